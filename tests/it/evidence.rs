//! Evidence for auditors: deadlines to honor in the plan, the retention guard in apply, the
//! ledger kept on a git branch (two clones racing, a force-pushed main, a run that died) and
//! `dnc report` in every format, the HTML rendered by a real headless Chromium.

use crate::common::{
    self, Config, Project, Run, Sandbox, TOKEN, command, counts, dnc, normalize, run, seed,
};
use std::path::Path;
use std::process::Command;

/// A day after the deadline of the 2026-03-02 request (due 2026-03-16).
const TODAY: &str = "2026-03-20";

const OPT_OUTS: &str = "\
defaults:
  scope: global
  reason: Customer Request
entries:
  - number: \"(202) 555-0143\"
    requested_at: 2026-03-02
  - number: \"+1 202-555-0178\"
    requested_at: \"2026-03-13T16:00:00-05:00\"
  - number: \"202-555-0199\"
";

fn dnc_at(project: &Project, sandbox: &Sandbox, today: &str, args: &[&str]) -> Run {
    run(project.targeting(sandbox, args).env("DNC_TODAY", today))
}

/// A `DNC_TODAY` that names no day ends the command: deadlines quietly counted to the clock
/// instead would make a drift check pass or fail on the wrong day.
#[test]
fn a_fixed_day_that_is_no_day_is_refused() {
    let project = Project::new(&Config::standard(), &[("lists/opt-outs.yaml", OPT_OUTS)]);
    let sandbox = Sandbox::start(&[]);
    let refused = dnc_at(&project, &sandbox, "2026-02-30", &["plan"]).fails(1);
    assert_eq!(refused.stdout, "", "no plan is printed");
    insta::assert_snapshot!(refused.stderr, @r#"
    dnc::env::today

      × DNC_TODAY is "2026-02-30", which is not a day
      help: set DNC_TODAY to a date as YYYY-MM-DD (e.g. 2026-03-09), or unset it
            to count to today (UTC)
    "#);
}

#[test]
fn each_create_shows_its_deadline_and_overdue_ones_lead_the_comment() {
    let project = Project::new(&Config::standard(), &[("lists/opt-outs.yaml", OPT_OUTS)]);
    let sandbox = Sandbox::start(&[]);
    let human = dnc_at(&project, &sandbox, TODAY, &["plan"]).ok();
    insta::assert_snapshot!("evidence_plan_deadlines", normalize(&human.stdout));

    let markdown = dnc_at(&project, &sandbox, TODAY, &["plan", "--format", "markdown"]);
    let text = markdown.stdout;
    let body = text.split_once("\n\n").expect("a heading").1;
    assert!(
        body.starts_with("> [!CAUTION]\n> **1 opt-out(s) past the deadline"),
        "{text}"
    );
    insta::assert_snapshot!("evidence_plan_deadlines_markdown", normalize(&text));

    let json = dnc_at(&project, &sandbox, TODAY, &["plan", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    let creates: Vec<&serde_json::Value> = plan["scopes"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let find = |n: &str| {
        *creates
            .iter()
            .find(|c| c["phone_number"] == n)
            .expect("the create")
    };
    let late = find("2025550143");
    assert_eq!(late["requested_at"], "2026-03-02");
    assert_eq!(late["due"], "2026-03-16");
    assert_eq!(late["business_days_left"], -4);
    assert_eq!(late["overdue"], true);
    // A date-time counts from its own local day (the 13th, not UTC's 14th).
    let timed = find("2025550178");
    assert_eq!(timed["due"], "2026-03-27");
    assert_eq!(timed["business_days_left"], 5);
    assert!(find("2025550199").get("due").is_none());
}

#[test]
fn a_drift_run_fails_while_an_opt_out_is_missing_past_its_due_date() {
    let project = Project::new(&Config::standard(), &[("lists/opt-outs.yaml", OPT_OUTS)]);
    let sandbox = Sandbox::start(&[]);
    dnc_at(
        &project,
        &sandbox,
        "2026-03-16",
        &["plan", "--detailed-exitcode"],
    )
    .fails(2);
    let after = dnc_at(&project, &sandbox, TODAY, &["plan", "--detailed-exitcode"]).fails(1);
    let err = after.stderr;
    assert!(err.contains("dnc::plan::overdue"), "{err}");
    assert!(
        err.contains("1 desired entry is still missing past its due date: create +1 202-555-0143"),
        "{err}"
    );
}

#[test]
fn removals_inside_the_retention_period_need_their_exact_count() {
    let config = Config::standard().safety(10);
    let tombstones = "\
removals:
  - number: \"202-555-0143\"
    scope: global
    removal_reason: Consent re-obtained in writing, COMP-1301
  - number: \"202-555-0144\"
    scope: global
    removal_reason: Number reassigned, COMP-1302
";
    let project = Project::new(&config, &[("lists/removals.yaml", tombstones)]);
    // Entered on 2026-03-03, inside the retention period; the other (2020) is past it.
    let young = seed("2025550143", 0)
        .reason("DNC")
        .at("2026-03-03 10:30:00");
    let sandbox = Sandbox::start_seeded([young, seed("2025550144", 0).reason("DNC")], &[]);
    let plan = dnc_at(&project, &sandbox, TODAY, &["plan"]);
    let text = plan.stdout;
    assert!(
        text.contains("RETENTION: 1 removal(s) of entries still inside the retention period:\n    +1 202-555-0143 in global (id 1, remove): on the list since 2026-03-03, honored until 2031-03-03\n"),
        "{text}"
    );
    assert!(!text.contains("202-555-0144 in global (id"), "{text}");

    let refused = dnc_at(&project, &sandbox, TODAY, &["apply", "--yes"]).fails(1);
    assert!(
        refused.stderr.contains("--allow-early-removals 1"),
        "{}",
        refused.stderr
    );
    let wrong = dnc_at(
        &project,
        &sandbox,
        TODAY,
        &["apply", "--yes", "--allow-early-removals", "2"],
    )
    .fails(1);
    assert!(
        wrong
            .stderr
            .contains("does not match this plan's 1 removals")
    );
    let replan = dnc_at(&project, &sandbox, TODAY, &["plan", "--format", "json"]);
    let replan: serde_json::Value = serde_json::from_str(&replan.stdout).unwrap();
    assert_eq!(counts(&replan), [0, 0, 2, 0], "nothing was removed");

    dnc_at(
        &project,
        &sandbox,
        TODAY,
        &["apply", "--yes", "--allow-early-removals", "1"],
    )
    .ok();
}

/// `git ARGS` in `dir` as Alice, on the morning of 2026-03-02.
fn git(dir: &Path, args: &[&str]) -> String {
    common::git(dir, args, "Alice Compliance", "2026-03-02T09:00:00+00:00")
}

fn ledger_lines(clone: &str, n: usize) -> String {
    (0..n)
        .flat_map(|op| {
            let base = serde_json::json!({
                "plan_hash": format!("plan-{clone}"), "op": op, "change": "create",
                "campaign_id": 0, "phone_code": 1, "phone_number": format!("20255501{op:02}"),
                "reason": "DNC", "commit": format!("commit-{clone}"), "actor": clone,
            });
            let mut start = base.clone();
            start["time"] = "2026-03-02T10:00:00.000Z".into();
            start["event"] = "start".into();
            let mut finish = base;
            finish["time"] = "2026-03-02T10:00:01.000Z".into();
            finish["event"] = "finish".into();
            finish["outcome"] = "done".into();
            finish["id"] = (1000 + op).into();
            [start.to_string(), finish.to_string()]
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `dnc ledger --ledger ledger.jsonl --push-to dnc-ledger` in `dir`.
fn push_ledger(dir: &Path) -> Run {
    dnc(
        dir,
        &[
            "ledger",
            "--ledger",
            "ledger.jsonl",
            "--push-to",
            "dnc-ledger",
        ],
        &[],
    )
}

/// The outcome of each operation on the fetched ledger branch, in order.
fn ledger_outcomes(dir: &Path) -> Vec<String> {
    let csv = dnc(
        dir,
        &[
            "ledger",
            "--ledger-branch",
            "origin/dnc-ledger",
            "--format",
            "csv",
        ],
        &[],
    )
    .ok();
    csv.stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect()
}

#[test]
fn the_ledger_branch_takes_racing_pushes_and_outlives_a_force_pushed_main() {
    let root = tempfile::tempdir().unwrap();
    let a = crate::common::origin_and_clone(root.path(), "a");
    std::fs::write(a.join("dnc.yaml"), &*Config::standard()).unwrap();
    // The first push starts the chain; its root is pinned in dnc.yaml before any other.
    std::fs::write(a.join("ledger.jsonl"), ledger_lines("first", 1)).unwrap();
    let first = push_ledger(&a).ok();
    let pin = crate::common::pin_line(&first.stdout);
    std::fs::write(
        a.join("dnc.yaml"),
        format!("{}{pin}\n", &*Config::standard()),
    )
    .unwrap();
    git(&a, &["add", "dnc.yaml"]);
    git(&a, &["commit", "-q", "-m", "config"]);
    git(&a, &["push", "-q", "origin", "main"]);
    let b = crate::common::origin_and_clone(root.path(), "b");
    // Two runners push at once, three times over: every push that loses the race is
    // refused as a non-fast-forward and must be rebuilt on the new tip.
    for round in 0..3 {
        let (la, lb) = (format!("a{round}"), format!("b{round}"));
        std::fs::write(a.join("ledger.jsonl"), ledger_lines(&la, 5)).unwrap();
        std::fs::write(b.join("ledger.jsonl"), ledger_lines(&lb, 5)).unwrap();
        let runs: Vec<std::thread::JoinHandle<Run>> = [a.clone(), b.clone()]
            .into_iter()
            .map(|dir| std::thread::spawn(move || push_ledger(&dir)))
            .collect();
        for run in runs {
            run.join().unwrap().ok();
        }
    }
    // Pushing the same file again records nothing twice.
    let again = push_ledger(&a);
    assert!(
        again.stdout.contains("nothing to record"),
        "{}",
        again.stdout
    );

    // Main is rewritten and force-pushed; the ledger branch is untouched.
    git(&a, &["commit", "-q", "--amend", "-m", "rewritten"]);
    git(&a, &["push", "-q", "--force", "origin", "main"]);
    git(&b, &["fetch", "-q", "origin"]);
    let log = git(&b, &["log", "--format=%s", "origin/dnc-ledger"]);
    assert_eq!(log.lines().count(), 7, "one commit per push:\n{log}");
    let shown = dnc(
        &b,
        &[
            "ledger",
            "--ledger-branch",
            "origin/dnc-ledger",
            "--format",
            "json",
        ],
        &[],
    )
    .ok();
    let shown: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let rows = shown["operations"].as_array().unwrap();
    assert_eq!(rows.len(), 31, "every operation exactly once");
    let files = git(&b, &["ls-tree", "--name-only", "origin/dnc-ledger"]);
    assert_eq!(files, "2026-03.jsonl\nREADME.md\n");
}

#[test]
fn start_lines_of_a_run_that_died_are_recorded_and_read_as_interrupted() {
    let root = tempfile::tempdir().unwrap();
    let a = crate::common::origin_and_clone(root.path(), "a");
    let lines = ledger_lines("died", 2);
    // The runner stopped after sending the second request: no finish line for it.
    let cut: Vec<&str> = lines.lines().take(3).collect();
    std::fs::write(a.join("ledger.jsonl"), cut.join("\n") + "\n").unwrap();
    push_ledger(&a).ok();
    git(&a, &["fetch", "-q", "origin"]);
    let outcomes = ledger_outcomes(&a);
    assert_eq!(outcomes, ["done", "interrupted"]);
}

#[test]
fn apply_records_its_ledger_on_the_branch_naming_the_applied_commit() {
    let root = tempfile::tempdir().unwrap();
    let dir = crate::common::origin_and_clone(root.path(), "manifests");
    std::fs::write(dir.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    std::fs::write(dir.join("lists/opt-outs.yaml"), OPT_OUTS).unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "Three opt-outs"]);
    let head = git(&dir, &["rev-parse", "HEAD"]).trim().to_string();
    let sandbox = Sandbox::start(&[]);
    let out = run(
        command(&dir, &["apply", "--yes", "--ledger-branch", "dnc-ledger"]).envs(sandbox.target()),
    )
    .ok();
    assert!(
        out.stdout
            .contains("Ledger recorded on dnc-ledger (origin): commit ")
    );
    git(&dir, &["fetch", "-q", "origin"]);
    let message = git(&dir, &["log", "-1", "--format=%B", "origin/dnc-ledger"]);
    assert!(
        message.starts_with(&format!("dnc apply {}: plan ", &head[..12])),
        "{message}"
    );
    assert!(
        message.contains(&format!("Applied-commit: {head}\n")),
        "{message}"
    );
    let history = dnc(
        &dir,
        &[
            "history",
            "202-555-0143",
            "--ledger-branch",
            "origin/dnc-ledger",
        ],
        &[],
    );
    assert!(
        history.stdout.contains("create: done, id "),
        "{}",
        history.stdout
    );
    // The request day and due date travel with the operation.
    let month = git(&dir, &["ls-tree", "--name-only", "origin/dnc-ledger"]);
    let file = month.lines().find(|f| f.ends_with(".jsonl")).unwrap();
    let text = git(&dir, &["show", &format!("origin/dnc-ledger:{file}")]);
    assert!(
        text.contains("\"requested_at\":\"2026-03-02\",\"due\":\"2026-03-16\""),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "the token never reaches the ledger");
}

/// A manifests repository with one commit asking for three opt-outs, and a ledger of what
/// was applied: one late, one on time, one without a request date, a removal, and a prune
/// whose runner died.
fn audited_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::write(d.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::create_dir_all(d.join("lists")).unwrap();
    std::fs::write(d.join("lists/opt-outs.yaml"), OPT_OUTS).unwrap();
    git(d, &["add", "-A"]);
    git(
        d,
        &["commit", "-q", "-m", "Three opt-outs from the March calls"],
    );
    let op = crate::history::ledger_line;
    let lines = [
        op(
            "2026-03-16T14:00:00.000Z",
            "start",
            0,
            "create",
            "2025550178",
            serde_json::json!({"reason": "Customer Request", "requested_at": "2026-03-13", "due": "2026-03-27"}),
        ),
        op(
            "2026-03-16T14:00:01.000Z",
            "finish",
            0,
            "create",
            "2025550178",
            serde_json::json!({"outcome": "done", "id": 5101, "attempts": 1}),
        ),
        op(
            "2026-03-16T14:00:00.000Z",
            "start",
            1,
            "create",
            "2025550199",
            serde_json::json!({"reason": "Customer Request"}),
        ),
        op(
            "2026-03-16T14:00:01.000Z",
            "finish",
            1,
            "create",
            "2025550199",
            serde_json::json!({"outcome": "converged", "id": 5102, "attempts": 1}),
        ),
        op(
            "2026-03-18T09:00:00.000Z",
            "start",
            2,
            "create",
            "2025550143",
            serde_json::json!({"reason": "Customer Request", "requested_at": "2026-03-02", "due": "2026-03-16"}),
        ),
        op(
            "2026-03-18T09:00:01.000Z",
            "finish",
            2,
            "create",
            "2025550143",
            serde_json::json!({"outcome": "done", "id": 5103, "attempts": 2}),
        ),
        op(
            "2026-03-19T09:00:00.000Z",
            "start",
            3,
            "remove",
            "2025550100",
            serde_json::json!({"removal_reason": "Consent re-obtained in writing, COMP-1301"}),
        ),
        op(
            "2026-03-19T09:00:01.000Z",
            "finish",
            3,
            "remove",
            "2025550100",
            serde_json::json!({"outcome": "done", "id": 4001, "attempts": 1}),
        ),
        op(
            "2026-03-19T09:00:00.000Z",
            "start",
            4,
            "prune",
            "2025550111",
            serde_json::json!({"removal_reason": "prune: in no manifest"}),
        ),
        // Outside the period.
        op(
            "2026-04-02T09:00:00.000Z",
            "start",
            5,
            "create",
            "2025550122",
            serde_json::json!({"reason": "DNC"}),
        ),
    ];
    std::fs::create_dir_all(d.join(".dnc")).unwrap();
    std::fs::write(d.join(".dnc/ledger.jsonl"), lines.join("\n") + "\n").unwrap();
    dir
}

fn report(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["report", "--since", "2026-03-01", "--until", "2026-03-31"];
    args.extend_from_slice(extra);
    dnc(dir, &args, &[]).ok()
}

/// A period with no operation: no claim about numbers shown or deadlines met.
#[test]
fn an_empty_report_claims_nothing_it_cannot_show() {
    let repo = audited_repo();
    let html = dnc(
        repo.path(),
        &["report", "--since", "2025-01-01", "--until", "2025-01-31"],
        &[],
    )
    .ok()
    .stdout;
    assert!(html.contains("numbers none in this period"), "{html}");
    assert!(!html.contains("in full") && !html.contains("masked"));
    assert!(
        html.contains("None: no opt-out with a request date took effect in this period."),
        "{html}"
    );
    assert!(!html.contains("took effect by its due date"));
}

#[test]
fn the_report_in_json_and_csv() {
    let repo = audited_repo();
    let json = report(repo.path(), &["--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["totals"]["operations"], 5);
    assert_eq!(value["time_to_honor"]["late"], 1);
    let late: Vec<&serde_json::Value> = value["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["late"] == true)
        .collect();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["number"], "+1 202-***-0143", "masked by default");
    assert_eq!(late[0]["business_days_to_honor"], 12);
    assert_eq!(late[0]["asked_by"], "Alice Compliance");
    let generated = regex::Regex::new(r#""generated_at": "[^"]+""#).unwrap();
    let stable = generated.replace(&json.stdout, r#""generated_at": "[now]""#);
    insta::assert_snapshot!("evidence_report_json", normalize(&stable));
    let csv = report(repo.path(), &["--format", "csv", "--unmask"]);
    // No cell starts a spreadsheet formula; a number has nothing to run and stays as written
    // (crate::escape::csv_cell).
    assert!(csv.stdout.contains(",+1 202-555-0143,"), "{}", csv.stdout);
    let formula = |c: &str| match c.chars().next() {
        Some('=' | '@') => true,
        Some('+' | '-') => !c
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()*".contains(c)),
        _ => false,
    };
    let cells = csv.stdout.lines().flat_map(|l| l.split(','));
    assert!(!cells.clone().any(formula), "{}", csv.stdout);
    insta::assert_snapshot!(normalize(&csv.stdout), @r#"
    applied_at,change,scope,number,reason,removal_reason,requested_at,due,business_days_to_honor,late,asked_in,asked_by,applied_commit,actor,convoso_id,outcome,error,e164,applied_date,applied_time,source,ticket,approver
    2026-03-16T14:00:01.000Z,create,global,+1 202-555-0178,Customer Request,,2026-03-13,2026-03-27,1,false,[commit],Alice Compliance,0123456789abcdef0123,ci-bot,5101,done,,+12025550178,2026-03-16,14:00:01.000,,,
    2026-03-16T14:00:01.000Z,create,global,+1 202-555-0199,Customer Request,,,,,false,[commit],Alice Compliance,0123456789abcdef0123,ci-bot,5102,converged,,+12025550199,2026-03-16,14:00:01.000,,,
    2026-03-18T09:00:01.000Z,create,global,+1 202-555-0143,Customer Request,,2026-03-02,2026-03-16,12,true,[commit],Alice Compliance,0123456789abcdef0123,ci-bot,5103,done,,+12025550143,2026-03-18,09:00:01.000,,,
    2026-03-19T09:00:01.000Z,remove,global,+1 202-555-0100,,"Consent re-obtained in writing, COMP-1301",,,,false,,,0123456789abcdef0123,ci-bot,4001,done,,+12025550100,2026-03-19,09:00:01.000,,,
    2026-03-19T09:00:00.000Z,prune,global,+1 202-555-0111,,prune: in no manifest,,,,false,,,0123456789abcdef0123,ci-bot,,interrupted,,+12025550111,2026-03-19,09:00:00.000,,,
    "#);
}

/// Renders a file in Debian's Chromium, headless and offline, in a 1280 px window, and
/// returns the DOM it built.
fn chromium_dom(file: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text a reader sees: the DOM without its tags, whitespace collapsed.
fn visible_text(dom: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in dom.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_html_report_renders_in_headless_chromium() {
    let repo = audited_repo();
    let file = repo.path().join("report.html");
    report(repo.path(), &["--out", file.to_str().unwrap()]);
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network"
    );
    if !crate::common::available("chromium", "apt-get install chromium") {
        return;
    }
    let text = visible_text(&chromium_dom(&file));
    for shown in [
        "5 operations",
        "3 opt-outs entered",
        "1 honored late",
        "2 removals",
        "global 5",
        "Late opt-outs (1)",
        "+1 202-***-0143 global create Customer Request 2026-03-02 2026-03-16 12",
        "Consent re-obtained in writing, COMP-1301",
        "deadline: 10 business days",
    ] {
        assert!(text.contains(shown), "{shown:?} not in:\n{text}");
    }
}

/// The audited history plus what makes a report wide and its histogram long: reasons and
/// removal reasons of one long word, and late opt-outs honored up to 110 business days after
/// their request.
fn wide_repo() -> tempfile::TempDir {
    let repo = audited_repo();
    let long = "Customer_requested_removal_via_inbound_IVR_transcript_2026_03_02_ticket_COMP_77812";
    let mut lines = std::fs::read_to_string(repo.path().join(".dnc/ledger.jsonl")).unwrap();
    for (i, requested) in [
        "2025-10-01",
        "2025-10-02",
        "2025-11-20",
        "2026-01-05",
        "2026-02-20",
    ]
    .iter()
    .enumerate()
    {
        let op = 10 + i as u64;
        let number = format!("20255502{i:02}");
        for (event, extra) in [
            (
                "start",
                serde_json::json!({"reason": long, "requested_at": requested, "due": "2026-03-02"}),
            ),
            (
                "finish",
                serde_json::json!({"outcome": "done", "id": 6000 + op, "attempts": 1}),
            ),
        ] {
            let line = crate::history::ledger_line(
                "2026-03-20T10:00:00.000Z",
                event,
                op,
                "create",
                &number,
                extra,
            );
            lines.push_str(&line);
            lines.push('\n');
        }
    }
    let removal = serde_json::json!({"removal_reason": format!("{long}_{long}")});
    for event in ["start", "finish"] {
        let line = crate::history::ledger_line(
            "2026-03-21T10:00:00.000Z",
            event,
            20,
            "remove",
            "2025550300",
            removal.clone(),
        );
        lines.push_str(&line);
        lines.push('\n');
    }
    std::fs::write(repo.path().join(".dnc/ledger.jsonl"), lines).unwrap();
    repo
}

/// Appended to a copy of the report (the report itself runs no script): writes into the DOM
/// the document's width, the window's, how far right a LATE badge reaches, the narrowest bar
/// of the histogram (in CSS pixels), and how many of its labels overlap another or its edge.
const MEASURE: &str = "<script>
const badges = [...document.querySelectorAll('.tag.late')].map(b => b.getBoundingClientRect().right);
const bars = [...document.querySelectorAll('svg rect')].map(r => r.getBoundingClientRect().width);
const box = document.querySelector('svg').getBoundingClientRect();
const labels = [...document.querySelectorAll('svg text')].map(t => t.getBoundingClientRect());
const apart = (a, b) => a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
const inside = l => l.left >= box.left && l.right <= box.right && l.top >= box.top && l.bottom <= box.bottom;
const p = document.createElement('pre');
p.id = 'measure';
p.textContent = JSON.stringify({
  scroll: document.documentElement.scrollWidth,
  viewport: window.innerWidth,
  badges: badges.length,
  badge_right: Math.max(...badges),
  bars: bars.length,
  narrowest_bar: Math.min(...bars),
  overlapping_labels: labels.filter((a, i) => labels.some((b, j) => i != j && !apart(a, b))).length,
  labels_outside: labels.filter(l => !inside(l)).length,
});
document.body.append(p);
</script>";

/// At 1280 px a report with long reasons fits the window (no horizontal scrolling, every LATE
/// badge in view) and a histogram over a 110-day axis has bars a reader can see.
#[test]
fn a_wide_report_fits_a_1280_px_window_in_headless_chromium() {
    let repo = wide_repo();
    let file = repo.path().join("report.html");
    report(repo.path(), &["--out", file.to_str().unwrap()]);
    if !crate::common::available("chromium", "apt-get install chromium") {
        return;
    }
    let page = repo.path().join("measure.html");
    std::fs::write(&page, std::fs::read_to_string(&file).unwrap() + MEASURE).unwrap();
    let dom = chromium_dom(&page);
    let json = regex::Regex::new(r#"<pre id="measure">([^<]*)</pre>"#)
        .unwrap()
        .captures(&dom)
        .unwrap_or_else(|| panic!("no measure in:\n{dom}"))[1]
        .replace("&quot;", "\"");
    let m: serde_json::Value = serde_json::from_str(&json).unwrap();
    let num = |k: &str| m[k].as_f64().unwrap_or_else(|| panic!("{k} in {m}"));
    assert_eq!(num("viewport"), 1280.0, "{m}");
    assert!(
        num("scroll") <= num("viewport"),
        "the page scrolls sideways: {m}"
    );
    assert_eq!(num("badges"), 12.0, "six late opt-outs, in two tables: {m}");
    assert!(
        num("badge_right") <= num("viewport"),
        "a LATE badge is cut: {m}"
    );
    // 116 days grouped five a bar, the first late day (11) starting one: 1, 12, 20, 52, 81
    // and 114 with 115.
    assert_eq!(num("bars"), 6.0, "{m}");
    assert!(num("narrowest_bar") >= 20.0, "hairline bars: {m}");
    assert_eq!(num("overlapping_labels"), 0.0, "{m}");
    assert_eq!(num("labels_outside"), 0.0, "{m}");
    let text = visible_text(&dom);
    for shown in [
        "business days from request to effect, 5 days a bar",
        "deadline: 10 business days",
        "11–15",
    ] {
        assert!(text.contains(shown), "{shown:?} not in:\n{text}");
    }
}

#[test]
fn a_cancelled_apply_still_records_what_began_on_the_ledger_branch() {
    let root = tempfile::tempdir().unwrap();
    let dir = crate::common::origin_and_clone(root.path(), "manifests");
    std::fs::write(dir.join("dnc.yaml"), &*Config::standard()).unwrap();
    let entries: String = (0..20)
        .map(|i| format!("  - number: \"202-555-01{i:02}\"\n"))
        .collect();
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    std::fs::write(
        dir.join("lists/many.yaml"),
        format!("defaults:\n  scope: global\n  reason: DNC\nentries:\n{entries}"),
    )
    .unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "Twenty opt-outs"]);
    let sandbox = Sandbox::start(&["--latency-ms", "400"]);
    let child = command(
        &dir,
        &[
            "apply",
            "--yes",
            "--concurrency",
            "2",
            "--ledger-branch",
            "dnc-ledger",
        ],
    )
    .envs(sandbox.target())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let ledger = dir.join(".dnc/ledger.jsonl");
    common::wait_until(
        "the apply never started sending",
        std::time::Duration::from_secs(60),
        || std::fs::read_to_string(&ledger).map_or(0, |t| t.lines().count()) >= 3,
    );
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stopped by a signal"), "{err}");
    git(&dir, &["fetch", "-q", "origin"]);
    let outcomes = ledger_outcomes(&dir);
    assert!(outcomes.iter().any(|o| o == "interrupted"), "{outcomes:?}");
    assert!(outcomes.len() < 20, "the apply stopped early: {outcomes:?}");
}

/// Under the contract's search shape a fresh clone knows what was applied only from the
/// ledger branch: apply fetches it, and plan reads it with `--ledger-branch`.
#[test]
fn the_ledger_branch_tells_a_fresh_clone_the_reasons_it_applied() {
    let root = tempfile::tempdir().unwrap();
    let a = crate::common::origin_and_clone(root.path(), "a");
    std::fs::write(a.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::create_dir_all(a.join("lists")).unwrap();
    std::fs::write(a.join("lists/opt-outs.yaml"), OPT_OUTS).unwrap();
    git(&a, &["add", "-A"]);
    git(&a, &["commit", "-q", "-m", "Three opt-outs"]);
    git(&a, &["push", "-q", "origin", "main"]);
    // Another tool put one of the numbers on the list: its reason is not shown.
    let sandbox = Sandbox::start_seeded([seed("2025550143", 0).reason("Litigator")], &[]);
    let apply = |dir: &Path| {
        run(
            command(dir, &["apply", "--yes", "--ledger-branch", "dnc-ledger"])
                .envs(sandbox.target()),
        )
        .ok()
    };
    let first = apply(&a);
    assert!(first.stdout.contains("1 to re-assert"), "{}", first.stdout);

    let b = crate::common::origin_and_clone(root.path(), "b");
    assert!(!b.join(".dnc/ledger.jsonl").exists());
    let again = apply(&b);
    assert!(
        again.stdout.contains("Nothing to apply."),
        "{}",
        again.stdout
    );
    git(
        &b,
        &[
            "fetch",
            "-q",
            "origin",
            "dnc-ledger:refs/remotes/origin/dnc-ledger",
        ],
    );
    let plan = run(command(
        &b,
        &[
            "plan",
            "--detailed-exitcode",
            "--ledger-branch",
            "origin/dnc-ledger",
        ],
    )
    .envs(sandbox.target()))
    .ok();
    assert!(
        plan.stdout.contains("3 last applied per the ledger"),
        "{}",
        plan.stdout
    );

    // Before the first apply pushes it the branch is not there: a note, not an error (what
    // the API does not show would be re-asserted, visibly; here the config's reasons let the
    // API's filters tell every value).
    let missing = run(command(
        &b,
        &[
            "plan",
            "--detailed-exitcode",
            "--ledger-branch",
            "origin/no-ledger-yet",
        ],
    )
    .envs(sandbox.target()));
    assert_eq!(missing.code, 0, "{}{}", missing.stdout, missing.stderr);
    assert!(
        missing.stderr.contains(
            "note: the ledger branch origin/no-ledger-yet does not exist (yet): nothing applied through it is known"
        ),
        "{}",
        missing.stderr
    );
}

/// Alice asks for two opt-outs; Bob later changes one's reason on a line of its own, and
/// Carol tombstones the other. Each report row credits the commit that changed what the
/// manifests ask for its entry (not the one that first wrote the number), up to its applied
/// commit.
#[test]
fn each_report_row_credits_the_commit_that_changed_its_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let commit = |who: &str, date: &str, message: &str, file: &str| {
        std::fs::write(d.join("lists/opt-outs.yaml"), file).unwrap();
        common::git(d, &["add", "-A"], who, date);
        common::git(d, &["commit", "-q", "-m", message], who, date);
        common::git(d, &["rev-parse", "HEAD"], who, date)
            .trim()
            .to_string()
    };
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::write(d.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::create_dir_all(d.join("lists")).unwrap();
    let first = "entries:\n  - number: \"(202) 555-0143\"\n    scope: global\n    reason: REASON\n    requested_at: 2026-03-02\n";
    let second =
        "  - number: \"(202) 555-0178\"\n    scope: global\n    reason: Customer Request\n";
    let entries = |reason: &str| format!("{}{second}", first.replace("REASON", reason));
    let alice = commit(
        "Alice Compliance",
        "2026-03-02T09:00:00+00:00",
        "Two opt-outs",
        &entries("Customer Request"),
    );
    let bob = commit(
        "Bob Legal",
        "2026-03-04T09:00:00+00:00",
        "A litigator",
        &entries("Litigator"),
    );
    let tombstone = "removals:\n  - number: \"(202) 555-0178\"\n    scope: global\n    removal_reason: Consent re-obtained in writing, COMP-1301\n";
    let carol = commit(
        "Carol Ops",
        "2026-03-06T09:00:00+00:00",
        "Consent re-obtained",
        &format!("{}{tombstone}", first.replace("REASON", "Litigator")),
    );
    let op = |time: &str,
              n: u64,
              change: &str,
              number: &str,
              applied: &str,
              extra: serde_json::Value| {
        let mut fields = serde_json::json!({"commit": applied});
        fields
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        [
            crate::history::ledger_line(time, "start", n, change, number, fields.clone()),
            crate::history::ledger_line(
                time,
                "finish",
                n,
                change,
                number,
                serde_json::json!({"commit": applied, "outcome": "done", "id": 5100 + n}),
            ),
        ]
    };
    let reason = |r: &str| serde_json::json!({"reason": r});
    let lines = [
        op(
            "2026-03-03T10:00:00.000Z",
            0,
            "create",
            "2025550143",
            &alice,
            reason("Customer Request"),
        ),
        op(
            "2026-03-03T10:00:00.000Z",
            1,
            "create",
            "2025550178",
            &alice,
            reason("Customer Request"),
        ),
        op(
            "2026-03-05T10:00:00.000Z",
            2,
            "update",
            "2025550143",
            &bob,
            reason("Litigator"),
        ),
        op(
            "2026-03-07T10:00:00.000Z",
            3,
            "remove",
            "2025550178",
            &carol,
            serde_json::json!({"removal_reason": "Consent re-obtained in writing, COMP-1301"}),
        ),
        // Applied from Carol's commit: the reason still last changed in Bob's.
        op(
            "2026-03-08T10:00:00.000Z",
            4,
            "reassert",
            "2025550143",
            &carol,
            reason("Litigator"),
        ),
    ];
    std::fs::create_dir_all(d.join(".dnc")).unwrap();
    std::fs::write(
        d.join(".dnc/ledger.jsonl"),
        lines.concat().join("\n") + "\n",
    )
    .unwrap();
    let json = report(d, &["--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let credited: Vec<String> = value["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let asked_in = r["asked_in"].as_str().unwrap_or("(none)");
            let named = [(&alice, "alice's"), (&bob, "bob's"), (&carol, "carol's")]
                .into_iter()
                .find(|(h, _)| h.as_str() == asked_in)
                .map_or(asked_in.to_string(), |(_, n)| format!("{n} commit"));
            format!(
                "{} {} {}: {named} by {}",
                r["change"], r["number"], r["reason"], r["asked_by"]
            )
        })
        .collect();
    assert!(
        credited[2].contains("bob's commit by \"Bob Legal\""),
        "{credited:#?}"
    );
    insta::assert_snapshot!(credited.join("\n"), @r#"
    "create" "+1 202-***-0143" "Customer Request": alice's commit by "Alice Compliance"
    "create" "+1 202-***-0178" "Customer Request": alice's commit by "Alice Compliance"
    "update" "+1 202-***-0143" "Litigator": bob's commit by "Bob Legal"
    "remove" "+1 202-***-0178" "": carol's commit by "Carol Ops"
    "reassert" "+1 202-***-0143" "Litigator": bob's commit by "Bob Legal"
    "#);
}
