//! Drift on the record, through the real sandbox: each `dnc plan --record-drift` appends a
//! chained `drift` line to the ledger branch (clean, or what differed and since when); an
//! entry deleted in the dialer out of band is a gap the next apply closes with a `restore`,
//! which `dnc ledger`, `dnc history` and `dnc report` show as such and never count as a new
//! opt-out; `dnc verify` stays clean over it all.

use crate::common::{self, Config, Run, Sandbox, command, run};
use dnc::api::DeleteRequest;
use dnc::entry::CampaignId;
use std::path::{Path, PathBuf};

/// Three opt-outs; the first is due 2026-03-16, the last has no request date.
const OPT_OUTS: &str = "\
defaults:
  scope: global
  reason: Customer Request
entries:
  - number: \"(202) 555-0143\"
    requested_at: 2026-03-02
  - number: \"+1 202-555-0178\"
    requested_at: 2026-03-03
  - number: \"202-555-0199\"
";

/// Before the first opt-out's due date: a drift run that finds it missing exits 2, not 1.
const TODAY: &str = "2026-03-05";

fn git(dir: &Path, args: &[&str]) -> String {
    common::git(dir, args, "Alice Compliance", "2026-03-02T15:00:00+00:00")
}

fn dnc_in(dir: &Path, sandbox: Option<&Sandbox>, args: &[&str]) -> Run {
    let mut cmd = command(dir, args);
    cmd.env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("DNC_TODAY", TODAY);
    if let Some(s) = sandbox {
        cmd.envs(s.target());
    }
    run(&mut cmd)
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["push", "-q", "origin", "main"]);
}

/// The drift run of the workflow: plan, exit status as today, the check recorded.
fn drift_check(dir: &Path, sandbox: &Sandbox) -> Run {
    dnc_in(
        dir,
        Some(sandbox),
        &[
            "plan",
            "--detailed-exitcode",
            "--ledger-branch",
            "origin/dnc-ledger",
            "--record-drift",
            "dnc-ledger",
        ],
    )
}

fn apply(dir: &Path, sandbox: &Sandbox) -> Run {
    dnc_in(
        dir,
        Some(sandbox),
        // One at a time: the ids the sandbox gives and the ledger's order are the same each run.
        &[
            "apply",
            "--yes",
            "--concurrency",
            "1",
            "--ledger-branch",
            "dnc-ledger",
        ],
    )
}

/// The team's clone of origin, its three opt-outs applied and the chain's root pinned.
fn applied(root: &Path, sandbox: &Sandbox) -> PathBuf {
    let team = crate::common::origin_and_clone(root, "team");
    std::fs::write(team.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::create_dir_all(team.join("lists")).unwrap();
    std::fs::write(team.join("lists/opt-outs.yaml"), OPT_OUTS).unwrap();
    commit(&team, "Three opt-outs (COMP-1201)");
    let first = apply(&team, sandbox).ok();
    let pin = crate::common::pin_line(&first.stdout);
    std::fs::write(
        team.join("dnc.yaml"),
        format!("{}{pin}\n", &*Config::standard()),
    )
    .unwrap();
    commit(&team, "Pin the ledger's root");
    git(&team, &["fetch", "-q", "origin"]);
    team
}

/// Deletes +1 202-555-0143 from the global list behind dnc's back, as someone in the dialer's
/// UI would.
fn delete_out_of_band(sandbox: &Sandbox) {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sandbox.client().delete(&DeleteRequest {
            phone_code: 1,
            phone_number: "2025550143".into(),
            campaign_id: CampaignId::GLOBAL,
            lead_status: None,
        }))
        .expect("deleted");
}

/// The drift lines on origin's ledger branch, as JSON.
fn drift_lines(team: &Path) -> Vec<serde_json::Value> {
    git(team, &["fetch", "-q", "origin"]);
    crate::common::ledger_branch_lines(team)
        .into_iter()
        .filter(|l| l["event"] == "drift")
        .collect()
}

/// Times, hashes and commits change from run to run; the rest is kept to the byte.
fn shown(text: &str) -> String {
    let times =
        regex::Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?( UTC)?").unwrap();
    let text = times.replace_all(text, "[time]");
    let widths = regex::Regex::new(r" {2,}").unwrap();
    common::normalize(&widths.replace_all(&text, "  "))
}

/// The text of an HTML fragment: a line per paragraph and table row, cells between `|`.
fn text_of(html: &str) -> String {
    let html = html
        .replace("</h2>", "\n")
        .replace("</p>", "\n")
        .replace("</tr>", "\n")
        .replace("</th>", " | ")
        .replace("</td>", " | ");
    regex::Regex::new("<[^>]*>")
        .unwrap()
        .replace_all(&html, "")
        .into_owned()
}

/// Clean, dirty twice (the gap's start carried over), restored by apply, clean again.
#[test]
fn a_deleted_entry_is_a_gap_on_the_record_and_its_restore_counts_once() {
    let root = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(&[]);
    let team = applied(root.path(), &sandbox);

    let clean = drift_check(&team, &sandbox).ok();
    assert!(
        clean
            .stderr
            .contains("Drift check recorded on dnc-ledger (origin): clean, commit "),
        "{}",
        clean.stderr
    );
    delete_out_of_band(&sandbox);
    let dirty = drift_check(&team, &sandbox).fails(2);
    assert!(
        dirty
            .stderr
            .contains("Drift check recorded on dnc-ledger (origin): 1 missing, 0 changed, 0 not removed, commit "),
        "{}",
        dirty.stderr
    );
    drift_check(&team, &sandbox).fails(2);
    let restored = apply(&team, &sandbox).ok();
    assert!(restored.stdout.contains("1 done"), "{}", restored.stdout);
    drift_check(&team, &sandbox).ok();

    let lines = drift_lines(&team);
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let clean: Vec<bool> = lines.iter().map(|l| l["clean"] == true).collect();
    assert_eq!(clean, [true, false, false, true]);
    let (first, second) = (&lines[1]["missing"][0], &lines[2]["missing"][0]);
    assert_eq!(first["phone_number"], "2025550143");
    assert_eq!(
        first["last_present"], lines[0]["time"],
        "the clean check saw it last"
    );
    assert_eq!(first["missing_since"], lines[1]["time"]);
    assert_eq!(
        second["missing_since"], lines[1]["time"],
        "the gap began at the first check"
    );
    assert!(first["applied_at"].is_string(), "{first}");
    assert_eq!(lines[3]["last_clean"], lines[0]["time"]);
    for line in &lines {
        assert!(
            line["prev"].as_str().is_some_and(|p| p.len() == 64),
            "{line}"
        );
    }

    // The apply's create line carries the gap.
    let ledger = dnc_in(
        &team,
        None,
        &[
            "ledger",
            "--ledger-branch",
            "origin/dnc-ledger",
            "--format",
            "json",
        ],
    )
    .ok();
    let envelope: serde_json::Value = serde_json::from_str(&ledger.stdout).unwrap();
    let rows = envelope["operations"].as_array().unwrap();
    // The envelope carries each check listed among the rows in full.
    let checks = envelope["drift_checks"].as_array().unwrap();
    assert_eq!(
        checks.len(),
        rows.iter().filter(|r| r["change"] == "drift").count(),
        "{envelope}"
    );
    assert!(checks.iter().any(|c| c["missing"].is_array()), "{envelope}");
    let restore = rows
        .iter()
        .find(|r| r["change"] == "restore")
        .expect("a restore");
    assert_eq!(restore["restore"]["missing_since"], lines[1]["time"]);
    assert_eq!(
        restore["late"],
        serde_json::Value::Null,
        "a restore is not timed"
    );
    let table = dnc_in(
        &team,
        None,
        &["ledger", "--ledger-branch", "origin/dnc-ledger"],
    )
    .ok();
    insta::assert_snapshot!("drift_ledger_table", shown(&table.stdout));
    let one = dnc_in(
        &team,
        None,
        &[
            "ledger",
            "--ledger-branch",
            "origin/dnc-ledger",
            "--number",
            "202-555-0143",
        ],
    )
    .ok();
    insta::assert_snapshot!("drift_ledger_one_number", shown(&one.stdout));

    let history = dnc_in(
        &team,
        None,
        &[
            "history",
            "202-555-0143",
            "--ledger-branch",
            "origin/dnc-ledger",
        ],
    )
    .ok();
    insta::assert_snapshot!("drift_history", shown(&history.stdout));

    // Three opt-outs, once each: the restore is neither a new opt-out nor a late honor.
    let report = |format: &str| {
        let mut cmd = command(
            &team,
            &[
                "report",
                "--ledger-branch",
                "origin/dnc-ledger",
                "--format",
                format,
            ],
        );
        cmd.env("HOME", &team).env("GIT_CONFIG_NOSYSTEM", "1");
        run(&mut cmd).ok().stdout
    };
    let json: serde_json::Value = serde_json::from_str(&report("json")).unwrap();
    assert_eq!(json["totals"]["opt_outs"], 3, "{}", json["totals"]);
    assert_eq!(json["totals"]["by_change"]["create"], 3);
    assert_eq!(json["totals"]["by_change"]["restore"], 1);
    assert_eq!(
        json["time_to_honor"]["measured"], 2,
        "{}",
        json["time_to_honor"]
    );
    let drift = &json["drift"];
    assert_eq!(
        (&drift["checks"], &drift["clean"], &drift["entries_exposed"]),
        (&4.into(), &2.into(), &1.into()),
        "{drift}"
    );
    assert_eq!(drift["gaps"][0]["restored_by"], "apply");
    assert_eq!(drift["gaps"][0]["checks"], 2);
    let html = report("html");
    let start = html
        .find("<h2>Drift checks")
        .expect("a Drift checks section");
    let section = html[start..].split("<h2>Every operation").next().unwrap();
    insta::assert_snapshot!("drift_report_section", shown(&text_of(section)));
    assert!(
        html.contains("<b>3</b><span>opt-outs entered</span>"),
        "{html}"
    );

    let verified = dnc_in(&team, None, &["verify"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
}

/// A drift run before any apply has nothing to check against: it notes that and records
/// nothing, and a branch name dnc would never push to is refused before anything is read.
#[test]
fn a_drift_check_records_nothing_before_the_first_apply_and_refuses_main() {
    let root = tempfile::tempdir().unwrap();
    let team = crate::common::origin_and_clone(root.path(), "team");
    std::fs::write(team.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::create_dir_all(team.join("lists")).unwrap();
    std::fs::write(team.join("lists/opt-outs.yaml"), OPT_OUTS).unwrap();
    commit(&team, "Three opt-outs (COMP-1201)");
    let sandbox = Sandbox::start(&[]);
    let first = dnc_in(
        &team,
        Some(&sandbox),
        &[
            "plan",
            "--detailed-exitcode",
            "--record-drift",
            "dnc-ledger",
        ],
    )
    .fails(2);
    assert!(
        first.stderr.contains(
            "note: dnc-ledger does not exist on origin (no apply has recorded one yet): the drift check is not recorded"
        ),
        "{}",
        first.stderr
    );
    let before = sandbox.requests();
    let main = dnc_in(&team, Some(&sandbox), &["plan", "--record-drift", "main"]).fails(1);
    assert!(
        main.stderr.contains("dnc::git::manifests_branch"),
        "{}",
        main.stderr
    );
    assert_eq!(sandbox.requests(), before, "the refused run read nothing");
}

/// A create's ledger line, as run `run` of its own plan writes it.
fn line(run: &str, time: &str, number: &str, outcome: Option<&str>) -> String {
    let mut l = serde_json::json!({
        "time": time, "run": run, "event": "start", "plan_hash": format!("plan-{run}"),
        "op": 0, "change": "create", "campaign_id": 0, "phone_code": 1,
        "phone_number": number, "reason": "DNC", "requested_at": "2026-03-02", "due": "2026-03-16",
    });
    if let Some(o) = outcome {
        l["event"] = "finish".into();
        l["outcome"] = o.into();
        l["id"] = 5000.into();
    }
    l.to_string()
}

/// A create interrupted and retried, and a plan applied twice: one opt-out each, timed once.
#[test]
fn a_retried_or_repeated_create_is_one_opt_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dnc.yaml"), &*Config::standard()).unwrap();
    let lines = [
        // The runner died with the request in flight, the retry took effect.
        line("r1", "2026-03-03T10:00:00.000Z", "2025550143", None),
        line("r2", "2026-03-04T10:00:00.000Z", "2025550143", None),
        line("r2", "2026-03-04T10:00:01.000Z", "2025550143", Some("done")),
        // Applied, then the same create again (converged): no gap was seen.
        line("r3", "2026-03-05T10:00:00.000Z", "2025550178", None),
        line("r3", "2026-03-05T10:00:01.000Z", "2025550178", Some("done")),
        line("r4", "2026-03-20T10:00:00.000Z", "2025550178", None),
        line(
            "r4",
            "2026-03-20T10:00:01.000Z",
            "2025550178",
            Some("converged"),
        ),
    ];
    std::fs::write(dir.path().join("ledger.jsonl"), lines.join("\n") + "\n").unwrap();
    let report = run(command(
        dir.path(),
        &[
            "report",
            "--ledger",
            "ledger.jsonl",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-31",
            "--format",
            "json",
        ],
    )
    .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap()))
    .ok();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(json["totals"]["opt_outs"], 2, "{}", json["totals"]);
    assert_eq!(json["totals"]["by_change"]["create"], 4);
    // Each timed once, on time: the repeat on the 20th is past the due date but not late.
    assert_eq!(
        json["time_to_honor"]["measured"], 2,
        "{}",
        json["time_to_honor"]
    );
    assert_eq!(
        json["time_to_honor"]["late"], 0,
        "{}",
        json["time_to_honor"]
    );
    let repeats: Vec<bool> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repeat"] == true)
        .collect();
    assert_eq!(repeats, [false, false, false, true]);
    let history = run(command(
        dir.path(),
        &["history", "202-555-0178", "--ledger", "ledger.jsonl"],
    )
    .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap()))
    .ok();
    assert!(
        history
            .stdout
            .contains("create: converged, id 5000, reason \"DNC\", requested 2026-03-02, due 2026-03-16 (repeated: already in effect, not a new opt-out)"),
        "{}",
        history.stdout
    );
}
