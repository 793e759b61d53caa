//! `dnc apply` end to end: safety limits, confirmation, crash safety, faults, the ledger.

use crate::common::{Config, Project, Sandbox, TOKEN, client_for, run, seed, wait_until};
use dnc::api::SearchQuery;
use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

/// A manifest of `n` global opt-outs in a CSV include: valid, distinct US numbers.
fn bulk(n: u32) -> Project {
    let mut csv = String::from("number,reason\n");
    for i in 0..n {
        csv.push_str(&format!(
            "+1 (2{:02}) {:03}-{:04},Bulk opt-out\n",
            1 + i % 98,
            200 + i / 10_000,
            i % 10_000
        ));
    }
    let manifest = "include:\n  - csv: bulk.csv\n    scope: global\n";
    Project::new(
        &Config::pruning(false, 10),
        &[("lists/bulk.yaml", manifest), ("lists/bulk.csv", &csv)],
    )
}

/// Every remote entry of campaign 0, through the client (paged).
fn remote_numbers(sandbox: &Sandbox) -> Vec<String> {
    let client = client_for(sandbox.url.clone(), TOKEN, 3);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut out = Vec::new();
        loop {
            let q = SearchQuery {
                campaign_id: Some(dnc::entry::CampaignId::GLOBAL),
                offset: out.len() as u64,
                limit: 1000,
                ..SearchQuery::default()
            };
            let page = client.search(&q).await.expect("search");
            if page.entries.is_empty() {
                return out;
            }
            out.extend(page.entries.into_iter().map(|e| e.phone_number.into()));
        }
    })
}

/// The ledger's operation lines (each run's own `run` line left out).
fn ledger_lines(project: &Project) -> Vec<serde_json::Value> {
    std::fs::read_to_string(project.path(".dnc/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l.get("kind").is_none())
        .collect()
}

#[test]
fn removals_over_the_limit_need_the_exact_count() {
    let tombstones: String = (1..=3)
        .map(|i| format!("  - number: \"202-555-010{i}\"\n    scope: global\n    removal_reason: Consent given\n"))
        .collect();
    let project = Project::new(
        &Config::pruning(false, 1),
        &[("lists/out.yaml", &format!("removals:\n{tombstones}"))],
    );
    let sandbox = Sandbox::start_seeded(
        (1..=3).map(|i| seed(&format!("202555010{i}"), 0).reason("DNC")),
        &[],
    );

    let refused = project.dnc_fail(&sandbox, 1, &["apply", "--yes"]);
    insta::assert_snapshot!(refused.stderr, @"
    The refusal is recorded in the ledger ./.dnc/ledger.jsonl.
    dnc::apply::removals

      × the plan breaches the safety limits; nothing was applied:
      │   - 3 removals in this plan (limit 1)
      help: if these removals are intended, run again with --allow-removals 3
    ");
    let wrong = project.dnc_fail(&sandbox, 1, &["apply", "--yes", "--allow-removals", "2"]);
    assert!(
        wrong
            .stderr
            .contains("--allow-removals 2 does not match this plan's 3 removals"),
        "{}",
        wrong.stderr
    );
    assert_eq!(remote_numbers(&sandbox).len(), 3, "nothing was removed");
    // Both refusals are on the record, with the gate, the counts and the value given.
    let refusals: Vec<serde_json::Value> =
        std::fs::read_to_string(project.path(".dnc/ledger.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(refusals.iter().all(|r| r["kind"] == "refused"
        && r["refused"]["gate"] == "removals"
        && r["refused"]["removals"] == 3));
    assert_eq!(refusals[0].get("overrides"), None);
    assert_eq!(refusals[1]["overrides"]["allow_removals"], 2);

    project.dnc_ok(&sandbox, &["apply", "--yes", "--allow-removals", "3"]);
    assert!(remote_numbers(&sandbox).is_empty());
}

#[test]
fn without_a_terminal_apply_needs_yes() {
    let project = bulk(3);
    let sandbox = Sandbox::start(&[]);
    let out = project.dnc_fail(&sandbox, 1, &["apply"]);
    assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
    assert!(remote_numbers(&sandbox).is_empty());
}

#[test]
fn a_killed_apply_is_finished_by_running_it_again() {
    const N: u32 = 1500;
    let project = bulk(N);
    let sandbox = Sandbox::start(&["--latency-ms", "1"]);
    let mut child = project
        .targeting(&sandbox, &["apply", "--yes", "--concurrency", "8"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn apply");
    wait_until("apply never got going", Duration::from_secs(120), || {
        assert!(
            child.try_wait().unwrap().is_none(),
            "apply finished before it could be killed"
        );
        ledger_lines(&project).len() >= 600
    });
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let before = remote_numbers(&sandbox).len();
    assert!(
        before > 0 && before < N as usize,
        "killed mid-run: {before} of {N} applied"
    );

    project.dnc_ok(&sandbox, &["apply", "--yes"]);
    project.dnc_ok(&sandbox, &["plan", "--detailed-exitcode"]);

    let remote = remote_numbers(&sandbox);
    let distinct: HashSet<&String> = remote.iter().collect();
    assert_eq!(
        (remote.len(), distinct.len()),
        (N as usize, N as usize),
        "exactly the desired set, no duplicates"
    );
    let ledgered: HashSet<String> = ledger_lines(&project)
        .iter()
        .map(|r| r["phone_number"].as_str().unwrap().to_string())
        .collect();
    let missing: Vec<&&String> = distinct
        .iter()
        .filter(|n| !ledgered.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} applied entries have no ledger line, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

/// One request in seven fails: enough that well over 100 of the 1,000 operations are retried,
/// few enough that an operation failing all nine attempts (0.15⁹ each, 4·10⁻⁵ per run) does
/// not make the test flaky. At 0.25 a run failed once in a few hundred, correctly reported.
#[test]
fn apply_converges_through_faults() {
    let project = bulk(1000);
    let faults = [
        "--fault-5xx",
        "0.1",
        "--fault-429",
        "0.05",
        "--retry-after",
        "0",
        "--latency-ms",
        "2",
        "--seed",
        "7",
    ];
    let sandbox = Sandbox::start(&faults);
    let out = project.dnc_ok(&sandbox, &["apply", "--yes", "--concurrency", "16"]);
    assert!(out.stdout.contains(", 0 failed."), "{}", out.stdout);
    let retried = ledger_lines(&project)
        .iter()
        .filter(|r| r["attempts"].as_u64().is_some_and(|a| a > 1))
        .count();
    assert!(
        retried > 100,
        "the faults were really met and retried: {retried}"
    );
    project.dnc_ok(&sandbox, &["plan", "--detailed-exitcode"]);
    assert_eq!(remote_numbers(&sandbox).len(), 1000);
}

#[test]
fn the_ledger_answers_an_auditor() {
    let project = Project::new(
        &Config::pruning(false, 10),
        &[(
            "lists/a.yaml",
            "entries:\n  - number: \"(202) 555-0101\"\n    scope: global\n    reason: Asked on the phone\nremovals:\n  - number: \"202-555-0102\"\n    scope: global\n    removal_reason: Consent re-obtained, COMP-7\n    ticket: COMP-7\n    source: signed letter\n    approval: {by: jdoe}\n",
        )],
    );
    let sandbox = Sandbox::start_seeded([seed("2025550102", 0).reason("DNC")], &[]);
    run(project
        .targeting(&sandbox, &["apply", "--yes"])
        .env("GITHUB_ACTOR", "compliance-bot")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"))
    .ok();
    let lines = ledger_lines(&project);
    assert_eq!(lines.len(), 4, "a start and a finish line per operation");
    assert!(lines.iter().all(|l| !l.to_string().contains(TOKEN)));

    let csv =
        run(&mut project.command(&["ledger", "--format", "csv", "--number", "+1 202 555 0102"]))
            .ok();
    let text = csv.stdout;
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 2, "{text}");
    let fields: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(
        &fields[1..14],
        [
            "done",
            "remove",
            "global",
            "+1 202-555-0102",
            "\"Consent re-obtained",
            " COMP-7\"",
            "",
            "",
            "",
            // The request's ticket and where it came from, carried from the manifest.
            "COMP-7",
            "signed letter",
            "lists/a.yaml:6",
            "compliance-bot"
        ]
    );
    let table = run(&mut project.command(&["ledger", "--since", "2000-01-01"]));
    let stable: String = table
        .stdout
        .lines()
        .map(|l| {
            l.split_once("  ")
                .map_or(l.to_string(), |(_, rest)| format!("[time]  {rest}"))
        })
        .map(|l| {
            l.split_whitespace()
                .filter(|w| w.len() != 12 || !w.chars().all(|c| c.is_ascii_hexdigit()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(stable, @"
    [time] outcome change scope number reason requested_at due late ticket request_source source actor commit plan id attempts error
    [time] done create global +1 202-555-0101 Asked on the phone lists/a.yaml:2 compliance-bot 2 1
    [time] done remove global +1 202-555-0102 Consent re-obtained, COMP-7 COMP-7 signed letter lists/a.yaml:6 compliance-bot 1 1

    Apply runs (1):
    [time] run commit plan run by approval trail flags
    [time] applied compliance-bot (GITHUB_ACTOR) not recorded (outside GitHub Actions)
    ");
    let none = run(&mut project.command(&["ledger", "--until", "2000-01-01"]));
    assert_eq!(none.stdout, "no operations match\n");

    // The report's spreadsheet names the ticket and who approved the removal.
    let report =
        run(&mut project.command(&["report", "--format", "csv", "--since", "2000-01-01"])).ok();
    let mut rows = csv::Reader::from_reader(report.stdout.as_bytes());
    let header = rows.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let removal = rows
        .records()
        .map(Result::unwrap)
        .find(|r| &r[column("change")] == "remove")
        .expect("the removal's row");
    assert_eq!(&removal[column("ticket")], "COMP-7");
    assert_eq!(&removal[column("approver")], "jdoe");
}

/// A big apply prints the summarized plan and one summary line, not a line per operation;
/// --full prints every change.
#[test]
fn a_big_apply_prints_a_summary_not_a_line_per_operation() {
    let project = bulk(400);
    let sandbox = Sandbox::start(&[]);
    let out = project.dnc_ok(&sandbox, &["apply", "--yes"]);
    let lines = out.stdout.lines().count();
    assert!(lines < 80, "{lines} lines:\n{}", out.stdout);
    assert!(
        out.stdout
            .contains("  400 to create, 0 to update, 0 to remove, 0 to prune\n")
    );
    assert!(
        out.stdout
            .contains("… and 380 more to create; --full lists every change")
    );
    assert!(
        out.stdout
            .contains("Applied: 400 done, 0 already converged, 0 failed.")
    );
    assert_eq!(remote_numbers(&sandbox).len(), 400);

    let again = bulk(400);
    let sandbox = Sandbox::start(&[]);
    let full = again.dnc_ok(&sandbox, &["apply", "--yes", "--full"]);
    assert_eq!(full.stdout.matches("\n  + ").count(), 400);
}
