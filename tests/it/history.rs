//! `dnc history` over a scripted git repository: the number is added in one notation, its
//! reason changed on another line, its file renamed and split, moved into a CSV in another
//! notation, tombstoned and unlisted; a ledger records what was applied.

use crate::common::{Config, Run, dnc_fail, dnc_ok, git, normalize};
use std::path::Path;

struct Repo {
    dir: tempfile::TempDir,
    day: u32,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repo { dir, day: 0 };
        repo.git(&["init", "-q", "-b", "main"], "Alice Compliance");
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `git ARGS` as `author` on the repository's current day.
    fn git(&self, args: &[&str], author: &str) -> String {
        let date = format!("2026-01-{:02}T09:00:00+00:00", self.day.max(1));
        git(self.path(), args, author, &date)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    /// Commits everything as `author` on the next day.
    fn commit(&mut self, author: &str, message: &str) {
        self.day += 1;
        self.git(&["add", "-A"], author);
        self.git(&["commit", "-q", "-m", message], author);
    }
}

/// The scripted history; returns the repository.
fn scripted() -> Repo {
    let mut r = Repo::new();
    r.write("dnc.yaml", &Config::standard());
    r.write(
        "lists/opt-outs.yaml",
        "defaults:\n  scope: global\nentries:\n  - number: \"(202) 555-0143\"\n    reason: Customer Request\n    ticket: COMP-1234\n  - number: \"202-555-0178\"\n    reason: DNC\n",
    );
    r.commit("Alice Compliance", "Add the first opt-outs");

    // The reason changes on its own line: the number's line is untouched.
    r.write(
        "lists/opt-outs.yaml",
        "defaults:\n  scope: global\nentries:\n  - number: \"(202) 555-0143\"\n    reason: Litigator\n    ticket: COMP-1234\n  - number: \"202-555-0178\"\n    reason: DNC\n",
    );
    r.commit("Bob Legal", "COMP-1250: known litigator");

    // An unrelated number changes: this commit must not appear.
    r.write(
        "lists/opt-outs.yaml",
        "defaults:\n  scope: global\nentries:\n  - number: \"(202) 555-0143\"\n    reason: Litigator\n    ticket: COMP-1234\n  - number: \"202-555-0178\"\n    reason: ConsentRevoked\n",
    );
    r.commit("Alice Compliance", "COMP-1260: 0178 revoked consent");

    r.git(
        &["mv", "lists/opt-outs.yaml", "lists/global.yaml"],
        "Alice Compliance",
    );
    r.commit("Alice Compliance", "Rename the global list");

    // Split: the litigators get their own file.
    r.write(
        "lists/global.yaml",
        "defaults:\n  scope: global\nentries:\n  - number: \"202-555-0178\"\n    reason: ConsentRevoked\n",
    );
    r.write(
        "lists/litigators.yaml",
        "defaults:\n  scope: global\n  reason: Litigator\nentries:\n  - number: \"(202) 555-0143\"\n    ticket: COMP-1234\n",
    );
    r.commit("Carol Ops", "Split litigators out of the global list");

    // Into a CSV in another notation, and onto campaign 111 too.
    r.write(
        "lists/litigators.yaml",
        "defaults:\n  scope: global\ninclude:\n  - csv: bulk/litigators.csv\n    reason: Litigator\n",
    );
    r.write(
        "lists/bulk/litigators.csv",
        "number,scope,purpose\n+1 202 555 0143,,TELEMKT\n2025550143,111,\n",
    );
    r.commit("Carol Ops", "Litigators move to a CSV");

    // Tombstone in the global scope.
    r.write(
        "lists/bulk/litigators.csv",
        "number,scope,purpose\n2025550143,111,\n",
    );
    r.write(
        "lists/litigators.yaml",
        "defaults:\n  scope: global\ninclude:\n  - csv: bulk/litigators.csv\n    reason: Litigator\nremovals:\n  - number: 202.555.0143\n    removal_reason: Consent re-obtained in writing, COMP-1301\n",
    );
    r.commit("Bob Legal", "COMP-1301: consent re-obtained");

    // Dropped from campaign 111 without a tombstone.
    r.remove("lists/bulk/litigators.csv");
    r.write(
        "lists/litigators.yaml",
        "defaults:\n  scope: global\nremovals:\n  - number: 202.555.0143\n    removal_reason: Consent re-obtained in writing, COMP-1301\n",
    );
    r.commit("Carol Ops", "Drop the litigator CSV");
    r
}

/// One ledger line as JSON: a fixed plan, actor and commit, plus `extra` fields.
pub(crate) fn ledger_line(
    time: &str,
    event: &str,
    op: u64,
    change: &str,
    number: &str,
    extra: serde_json::Value,
) -> String {
    let mut v = serde_json::json!({
        "time": time, "event": event, "plan_hash": "3f9a2c1d0a1b2c3d4e5f", "op": op,
        "change": change, "campaign_id": 0, "phone_code": 1, "phone_number": number,
        "actor": "ci-bot", "commit": "0123456789abcdef0123",
    });
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v.to_string()
}

fn write_ledger(r: &Repo) {
    let reason =
        serde_json::json!({"reason": "Customer Request", "source": "lists/opt-outs.yaml:4"});
    let lines = [
        ledger_line(
            "2026-01-01T12:00:00.000Z",
            "start",
            0,
            "create",
            "2025550143",
            reason.clone(),
        ),
        ledger_line(
            "2026-01-01T12:00:01.000Z",
            "finish",
            0,
            "create",
            "2025550143",
            serde_json::json!({"outcome": "done", "id": 5083, "attempts": 1}),
        ),
        ledger_line(
            "2026-01-01T12:00:00.000Z",
            "start",
            1,
            "create",
            "2025550178",
            serde_json::json!({"reason": "DNC"}),
        ),
        ledger_line(
            "2026-01-07T12:00:00.000Z",
            "start",
            2,
            "remove",
            "2025550143",
            serde_json::json!({"removal_reason": "Consent re-obtained in writing, COMP-1301"}),
        ),
    ];
    r.write(".dnc/ledger.jsonl", &(lines.join("\n") + "\n"));
}

fn history(dir: &Path, number: &str, extra: &[&str]) -> Run {
    let mut args = vec!["history", number];
    args.extend_from_slice(extra);
    dnc_ok(dir, &args)
}

#[test]
fn the_timeline_follows_the_number_through_edits_moves_csv_and_tombstone() {
    let r = scripted();
    write_ledger(&r);
    let out = history(r.path(), "(202) 555-0143", &[]);
    insta::assert_snapshot!("history_human", normalize(&out.stdout));
    let text = &out.stdout;
    for expected in [
        "global         changed in lists/opt-outs.yaml: reason \"Customer Request\" -> \"Litigator\"",
        "global         moved from lists/opt-outs.yaml to lists/global.yaml",
        "global         moved from lists/global.yaml to lists/litigators.yaml",
        "global         moved from lists/litigators.yaml to lists/bulk/litigators.csv",
        "campaign 111   added in lists/bulk/litigators.csv",
        "global         TOMBSTONED in lists/litigators.yaml",
        "campaign 111   UNLISTED from lists/bulk/litigators.csv without a tombstone",
        "create: done, id 5083",
        "remove: interrupted",
        "applied  plan 3f9a2c1d0a1b, by ci-bot, from commit 0123456789ab",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // Seven of the eight commits touch the number; the other and 0178's operation do not.
    assert_eq!(text.matches("  commit ").count(), 7, "{text}");
    assert!(!text.contains("0178"), "{text}");
    assert!(!text.contains("revoked consent"), "{text}");

    // Any notation gives the same timeline.
    for notation in ["+1 202-555-0143", "2025550143", "202.555.0143"] {
        assert_eq!(
            history(r.path(), notation, &[]).stdout,
            out.stdout,
            "{notation}"
        );
    }
}

#[test]
fn the_json_timeline_has_a_stable_shape() {
    let r = scripted();
    write_ledger(&r);
    let out = history(r.path(), "2025550143", &["--format", "json"]);
    let mut json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    // Commit hashes depend on git's object format; the rest is fixed.
    for e in json["events"].as_array_mut().unwrap() {
        if let Some(hash) = e.pointer_mut("/commit/hash") {
            assert_eq!(hash.as_str().unwrap().len(), 40);
            *hash = "[hash]".into();
        }
    }
    insta::assert_json_snapshot!("history_json", json);
}

#[test]
fn a_number_never_written_has_an_empty_timeline_and_no_ledger_is_a_note() {
    let r = scripted();
    let out = history(r.path(), "202-555-0199", &[]);
    insta::assert_snapshot!(out.stdout, @"
    History of +1 202-555-0199

    No manifest change or applied operation mentions this number.

    note: no ledger at ./.dnc/ledger.jsonl: no applied operations
    ");
    let missing = dnc_fail(
        r.path(),
        1,
        &["history", "2025550143", "--ledger", "nope.jsonl"],
    );
    // One diagnostic with its code and help, not a rendered report inside another (`×   ×`).
    insta::assert_snapshot!(missing.stderr, @r"
    dnc::history::ledger

      × cannot read the ledger nope.jsonl: No such file or directory (os error 2)
      help: name an existing ledger with --ledger FILE or --ledger-branch BRANCH
    ");
}

#[test]
fn a_directory_outside_git_still_shows_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dnc.yaml"), &*Config::standard()).unwrap();
    let r = Repo { dir, day: 0 };
    write_ledger(&r);
    let out = history(r.path(), "2025550143", &[]);
    assert!(
        out.stdout.contains("create: done, id 5083"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("is not in a git repository"),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_numbers_are_clear_errors() {
    let r = scripted();
    let out = dnc_fail(r.path(), 1, &["history", "hello"]);
    assert!(
        out.stderr.contains("`hello` contains 'h' (U+0068)"),
        "{}",
        out.stderr
    );
}
