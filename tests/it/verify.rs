//! `dnc verify` on a history built for it: three people, three applies recorded on the ledger
//! branch (one before and one after a federal holiday, an early removal), the chain's root
//! pinned in dnc.yaml in a reviewed commit. Untampered, it verifies clean; each way of
//! tampering with the evidence (an edited line, lines dropped by a force-push, the branch
//! deleted and recreated, main rewritten, a forged line) is a finding that names where it is.

use crate::common::{self, Config, Run, Sandbox, command, dnc, normalize, run};
use std::path::{Path, PathBuf};

pub(crate) const OPT_OUTS: &str = "\
defaults:
  scope: global
  reason: Customer Request
entries:
  - number: \"(202) 555-0143\"
    requested_at: 2026-02-13
  - number: \"+1 202-555-0178\"
    requested_at: 2026-03-02
";

pub(crate) const ONE_MORE: &str = "  - number: \"202-555-0199\"\n    requested_at: 2026-03-03\n";

pub(crate) const REMOVALS: &str = "\
removals:
  - number: \"202-555-0178\"
    scope: global
    removal_reason: Consent re-obtained in writing, COMP-1301
";

/// The manifests' repository (origin), the team's clone, and the sandbox the applies went to.
struct History {
    root: tempfile::TempDir,
    team: PathBuf,
    _sandbox: Sandbox,
}

fn git_as(dir: &Path, args: &[&str], who: &str, date: &str) -> String {
    common::git(dir, args, who, date)
}

fn apply(dir: &Path, sandbox: &Sandbox, today: &str, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--yes", "--ledger-branch", "dnc-ledger"];
    args.extend(extra);
    let mut cmd = command(dir, &args);
    cmd.env("DNC_TODAY", today).envs(sandbox.target());
    run(&mut cmd)
}

fn commit(dir: &Path, message: &str, who: &str, date: &str) {
    git_as(dir, &["add", "-A"], who, date);
    git_as(dir, &["commit", "-q", "-m", message], who, date);
    git_as(dir, &["push", "-q", "origin", "main"], who, date);
}

/// The standard scopes, who the lists belong to, and `extra` (the pinned root).
fn config(extra: &str) -> String {
    format!(
        "{}organization: Acme Telemarketing LLC\naccount: acme-prod\n{extra}\n",
        &*Config::standard()
    )
}

/// The history: Alice asks for two opt-outs (one made the Friday before Washington's
/// Birthday), applied; Bob adds one more, refused until he pins the chain's root, applied; after Memorial
/// Day Carol tombstones one inside the retention period, applied with the override.
fn history() -> History {
    let root = tempfile::tempdir().unwrap();
    let alice = ("Alice Compliance", "2026-03-02T15:00:00+00:00");
    let team = crate::common::origin_and_clone(root.path(), "team");
    let sandbox = Sandbox::start(&[]);

    std::fs::write(team.join("dnc.yaml"), config("")).unwrap();
    std::fs::create_dir_all(team.join("lists")).unwrap();
    std::fs::write(team.join("lists/opt-outs.yaml"), OPT_OUTS).unwrap();
    commit(&team, "Two opt-outs (COMP-1201)", alice.0, alice.1);
    let first = apply(&team, &sandbox, "2026-03-02", &[]).ok();
    let pin = crate::common::pin_line(&first.stdout);

    let bob = ("Bob Intake", "2026-03-04T10:00:00+00:00");
    std::fs::write(
        team.join("lists/opt-outs.yaml"),
        format!("{OPT_OUTS}{ONE_MORE}"),
    )
    .unwrap();
    commit(&team, "One more opt-out (COMP-1202)", bob.0, bob.1);
    // Unpinned, the chain refuses to grow: the apply sends nothing.
    let refused = apply(&team, &sandbox, "2026-03-04", &[]).fails(1);
    assert!(
        refused.stderr.contains("dnc.yaml pins no ledger root"),
        "{}",
        refused.stderr
    );
    std::fs::write(team.join("dnc.yaml"), config(&pin)).unwrap();
    commit(
        &team,
        "Pin the ledger's root",
        bob.0,
        "2026-03-04T11:00:00+00:00",
    );
    apply(&team, &sandbox, "2026-03-04", &[]).ok();

    let carol = ("Carol Counsel", "2026-05-26T14:00:00+00:00");
    let kept = OPT_OUTS.replace(
        "  - number: \"+1 202-555-0178\"\n    requested_at: 2026-03-02\n",
        "",
    );
    std::fs::write(
        team.join("lists/opt-outs.yaml"),
        format!("{kept}{ONE_MORE}"),
    )
    .unwrap();
    std::fs::write(team.join("lists/removals.yaml"), REMOVALS).unwrap();
    commit(&team, "Consent re-obtained (COMP-1301)", carol.0, carol.1);
    apply(
        &team,
        &sandbox,
        "2026-05-26",
        &["--allow-early-removals", "1", "--allow-removals", "1"],
    )
    .ok();
    git_as(&team, &["fetch", "-q", "origin"], alice.0, alice.1);
    History {
        root,
        team,
        _sandbox: sandbox,
    }
}

impl History {
    /// A clone with the ledger branch checked out, for tampering.
    fn mallory(&self) -> PathBuf {
        let dir = self.root.path().join("mallory");
        if !dir.exists() {
            let origin = self.root.path().join("origin.git");
            self.git(
                self.root.path(),
                &["clone", "-q", origin.to_str().unwrap(), "mallory"],
            );
            self.git(&dir, &["checkout", "-q", "dnc-ledger"]);
        }
        dir
    }

    fn git(&self, dir: &Path, args: &[&str]) -> String {
        git_as(dir, args, "Mallory Insider", "2026-06-01T23:00:00+00:00")
    }

    /// The month file of the ledger branch (all three applies ran in this month).
    fn month_file(&self, dir: &Path) -> String {
        let files = self.git(dir, &["ls-tree", "--name-only", "HEAD"]);
        files
            .lines()
            .find(|f| f.ends_with(".jsonl"))
            .expect("a month file")
            .to_string()
    }

    /// `dnc verify` in the team's clone after fetching.
    fn verify(&self, args: &[&str]) -> Run {
        self.git(&self.team, &["fetch", "-q", "--prune", "origin"]);
        let mut all = vec!["verify"];
        all.extend(args);
        dnc(&self.team, &all, &[])
    }
}

/// Hashes, commits and the month the applies ran in change from run to run.
fn shown(text: &str) -> String {
    let month = regex::Regex::new(r"\d{4}-\d{2}\.jsonl").unwrap();
    month
        .replace_all(&normalize(text), "[month].jsonl")
        .into_owned()
}

#[test]
fn the_untampered_history_verifies_clean() {
    let h = history();
    let out = h.verify(&[]).ok();
    insta::assert_snapshot!("verify_clean", shown(&out.stdout));
    let json = h.verify(&["--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["verified"], true);
    // Each of the three applies: its `run` line, then a start and a finish per operation.
    assert_eq!(v["ledger"]["lines"], 3 + 8, "{v}");
    assert_eq!(v["ledger"]["root"], v["ledger"]["pinned"]);
    assert_eq!(v["findings"], serde_json::json!([]));

    // History and the ledger show the request day, its deadline (ten business days, past
    // Washington's Birthday) and that the apply came after it.
    let history = dnc(
        &h.team,
        &[
            "history",
            "(202) 555-0143",
            "--ledger-branch",
            "origin/dnc-ledger",
        ],
        &[],
    )
    .ok();
    assert!(
        history.stdout.contains(
            "reason \"Customer Request\", requested 2026-02-13, due 2026-03-02 (LATE), from lists/opt-outs.yaml:5"
        ),
        "{}",
        history.stdout
    );
    let ledger = dnc(
        &h.team,
        &[
            "ledger",
            "--ledger-branch",
            "origin/dnc-ledger",
            "--number",
            "(202) 555-0143",
            "--format",
            "json",
        ],
        &[],
    )
    .ok();
    let ledger: serde_json::Value = serde_json::from_str(&ledger.stdout).unwrap();
    let rows = &ledger["operations"];
    assert_eq!(rows[0]["requested_at"], "2026-02-13");
    assert_eq!(rows[0]["due"], "2026-03-02");
    assert_eq!(rows[0]["late"], true, "applied with today's clock");
    assert!(
        rows[0]["id"].is_u64() && rows[0]["attempts"].is_u64(),
        "{rows}"
    );
}

/// The report names whose lists these are and ties itself to its evidence: dnc's version, the
/// manifests' commit, the ledger tip, the verification, and its SHA-256 in a sidecar file.
#[test]
fn the_report_can_be_cited() {
    let h = history();
    let tip = h.git(&h.team, &["rev-parse", "origin/dnc-ledger"]);
    let head = h.git(&h.team, &["rev-parse", "HEAD"]);
    let report = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "--since",
            "2026-01-01",
            "--until",
            "2026-12-31",
            "--ledger-branch",
            "origin/dnc-ledger",
        ];
        args.extend(extra);
        dnc(&h.team, &args, &[]).ok()
    };
    let json: serde_json::Value =
        serde_json::from_str(&report(&["--format", "json"]).stdout).unwrap();
    let evidence = &json["evidence"];
    assert_eq!(evidence["organization"], "Acme Telemarketing LLC");
    assert_eq!(evidence["account"], "acme-prod");
    assert_eq!(evidence["dnc_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(evidence["manifests_commit"], head.trim());
    assert_eq!(evidence["ledger_tip"], tip.trim());
    assert_eq!(evidence["verification"], "verified");
    let generated = evidence["generated_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(generated).is_ok(),
        "{generated}"
    );

    report(&["--out", "report.html"]);
    let html = std::fs::read(h.team.join("report.html")).unwrap();
    let text = String::from_utf8_lossy(&html);
    assert!(text.contains("Acme Telemarketing LLC · Convoso account acme-prod"));
    assert!(text.contains("ledger verification: verified"), "{text}");
    let sidecar = std::fs::read_to_string(h.team.join("report.html.sha256")).unwrap();
    use sha2::Digest;
    let sum = hex::encode(sha2::Sha256::digest(&html));
    assert_eq!(sidecar, format!("{sum}  report.html\n"));

    // Tampered evidence shows on the report itself.
    let m = h.mallory();
    h.git(&m, &["reset", "-q", "--hard", "HEAD~1"]);
    h.git(&m, &["push", "-q", "--force", "origin", "dnc-ledger"]);
    h.git(&h.team, &["fetch", "-q", "origin"]);
    let json: serde_json::Value =
        serde_json::from_str(&report(&["--format", "json"]).stdout).unwrap();
    assert_eq!(
        json["evidence"]["verification"],
        "NOT VERIFIED: 1 finding(s) (run dnc verify)"
    );
}

#[test]
fn an_edited_line_pushed_normally_is_found() {
    let h = history();
    let m = h.mallory();
    let file = h.month_file(&m);
    let text = std::fs::read_to_string(m.join(&file)).unwrap();
    // The late opt-out made "on time": its request day moved a week later.
    let edited = text.replacen(
        "\"requested_at\":\"2026-02-13\"",
        "\"requested_at\":\"2026-02-20\"",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(m.join(&file), edited).unwrap();
    h.git(&m, &["commit", "-q", "-am", "fix typo"]);
    h.git(&m, &["push", "-q", "origin", "dnc-ledger"]);
    let out = h.verify(&[]).fails(1);
    insta::assert_snapshot!("verify_edited_line", shown(&out.stdout));
}

/// The chain proves lines were not changed after they were written, not that they were
/// right: the removal's reason rewritten on its own lines and the chain re-linked after them
/// (the last commit amended, its head trailer too) leaves a whole, pinned, append-only
/// chain, and only the manifests at the applied commit show the lie.
#[test]
fn an_edited_and_rechained_line_is_found_against_the_manifests() {
    let h = history();
    let m = h.mallory();
    let file = h.month_file(&m);
    let text = std::fs::read_to_string(m.join(&file)).unwrap();
    let mut renamed: std::collections::HashMap<String, String> = Default::default();
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_string();
        for (old, new) in &renamed {
            line = line.replace(
                &format!("\"prev\":\"{old}\""),
                &format!("\"prev\":\"{new}\""),
            );
        }
        line = line.replace(
            "Consent re-obtained in writing, COMP-1301",
            "Number reassigned to a new subscriber",
        );
        let (old, new) = (
            dnc::chain::hash(line_at(&text, out.lines().count())),
            dnc::chain::hash(&line),
        );
        if old != new {
            renamed.insert(old, new);
        }
        out.push_str(&line);
        out.push('\n');
    }
    assert_ne!(out, text);
    std::fs::write(m.join(&file), &out).unwrap();
    let message = h.git(&m, &["log", "-1", "--format=%B"]);
    let head = dnc::chain::trailer(&message, dnc::chain::HEAD_TRAILER).unwrap();
    let message = message.replace(head, &renamed[head]);
    std::fs::write(m.join(".git/msg"), message).unwrap();
    h.git(&m, &["commit", "-q", "-a", "--amend", "-F", ".git/msg"]);
    h.git(&m, &["push", "-q", "--force", "origin", "dnc-ledger"]);
    let out = h.verify(&[]).fails(1);
    let shown = shown(&out.stdout);
    assert!(
        shown
            .lines()
            .filter(|l| l.starts_with("  ["))
            .all(|l| l.starts_with("  [manifests]")),
        "only the manifests check can see it: {shown}"
    );
    insta::assert_snapshot!("verify_rechained_line", shown);
}

/// Line `n` (0-based) of `text`.
fn line_at(text: &str, n: usize) -> &str {
    text.lines().nth(n).unwrap()
}

#[test]
fn lines_dropped_by_a_force_push_are_found() {
    let h = history();
    let m = h.mallory();
    // The removal's apply is undone on the branch: its commit dropped, force-pushed.
    h.git(&m, &["reset", "-q", "--hard", "HEAD~1"]);
    h.git(&m, &["push", "-q", "--force", "origin", "dnc-ledger"]);
    let out = h.verify(&[]).fails(1);
    insta::assert_snapshot!("verify_tail_dropped", shown(&out.stdout));

    // Dropping lines inside the chain breaks it.
    let h = history();
    let m = h.mallory();
    let file = h.month_file(&m);
    let text = std::fs::read_to_string(m.join(&file)).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("\"phone_number\":\"2025550199\""))
        .collect();
    std::fs::write(m.join(&file), kept.join("\n") + "\n").unwrap();
    h.git(&m, &["commit", "-q", "-a", "--amend", "--no-edit"]);
    h.git(&m, &["push", "-q", "--force", "origin", "dnc-ledger"]);
    let out = h.verify(&[]).fails(1);
    insta::assert_snapshot!("verify_lines_dropped", shown(&out.stdout));
}

#[test]
fn a_deleted_and_recreated_branch_is_refused_and_found() {
    let h = history();
    let m = h.mallory();
    h.git(&m, &["push", "-q", "origin", "--delete", "dnc-ledger"]);
    let gone = h.verify(&[]).fails(1);
    insta::assert_snapshot!("verify_branch_deleted", shown(&gone.stdout));

    // The next apply sends nothing: the pinned ledger is gone.
    let sandbox = Sandbox::start(&[]);
    let refused = apply(&h.team, &sandbox, "2026-06-02", &[]).fails(1);
    insta::assert_snapshot!("verify_apply_refused_branch_gone", shown(&refused.stderr));

    // Recreated from a copy of the config without the pin: a chain with another root.
    h.git(&m, &["checkout", "-q", "main"]);
    let config = std::fs::read_to_string(m.join("dnc.yaml")).unwrap();
    let unpinned: String = config
        .lines()
        .filter(|l| !l.starts_with("ledger:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(m.join("dnc.yaml"), unpinned).unwrap();
    let line = "{\"time\":\"2026-03-02T10:00:00.000Z\",\"event\":\"start\",\"plan_hash\":\"p\",\"op\":0,\"change\":\"create\",\"campaign_id\":0,\"phone_code\":1,\"phone_number\":\"2025550143\",\"reason\":\"Customer Request\"}\n";
    std::fs::write(m.join("ledger.jsonl"), line).unwrap();
    dnc(
        &m,
        &[
            "ledger",
            "--ledger",
            "ledger.jsonl",
            "--push-to",
            "dnc-ledger",
        ],
        &[],
    )
    .ok();
    let out = h.verify(&[]).fails(1);
    insta::assert_snapshot!("verify_branch_recreated", shown(&out.stdout));
}

#[test]
fn a_rewritten_main_is_found() {
    let h = history();
    let m = h.mallory();
    h.git(&m, &["checkout", "-q", "main"]);
    // The removal is re-authored with another reason and main force-pushed.
    let removals = REMOVALS.replace("Consent re-obtained in writing", "Customer asked");
    std::fs::write(m.join("lists/removals.yaml"), removals).unwrap();
    h.git(
        &m,
        &[
            "commit",
            "-q",
            "-a",
            "--amend",
            "--reset-author",
            "--no-edit",
        ],
    );
    h.git(&m, &["push", "-q", "--force", "origin", "main"]);
    h.git(&h.team, &["fetch", "-q", "origin"]);
    h.git(&h.team, &["reset", "-q", "--hard", "origin/main"]);
    let out = h.verify(&[]).fails(1);
    insta::assert_snapshot!("verify_main_rewritten", shown(&out.stdout));
}

#[test]
fn a_forged_line_is_found() {
    let h = history();
    let m = h.mallory();
    let file = h.month_file(&m);
    let text = std::fs::read_to_string(m.join(&file)).unwrap();
    let last = text.lines().last().unwrap();
    // A careful forger links the line to the last one; the commit and plan exist nowhere.
    let forged = serde_json::json!({
        "time": "2026-03-03T10:00:00.000Z", "event": "finish", "plan_hash": "f".repeat(64),
        "op": 0, "change": "create", "campaign_id": 0, "phone_code": 1,
        "phone_number": "2025550111", "reason": "Customer Request",
        "commit": "0".repeat(40), "outcome": "done", "id": 99,
        "prev": dnc::chain::hash(last),
    });
    std::fs::write(m.join(&file), format!("{text}{forged}\n")).unwrap();
    // And an unreadable line after it.
    let with_junk = std::fs::read_to_string(m.join(&file)).unwrap() + "not json\n";
    std::fs::write(m.join(&file), with_junk).unwrap();
    h.git(&m, &["commit", "-q", "-am", "backfill"]);
    h.git(&m, &["push", "-q", "origin", "dnc-ledger"]);
    let out = h.verify(&[]).fails(1);
    insta::assert_snapshot!("verify_forged_line", shown(&out.stdout));
    let json = h.verify(&["--format", "json"]).fails(1);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["verified"], false);
    let checks: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        ["chain", "commit", "history", "line"].into_iter().collect()
    );
}
