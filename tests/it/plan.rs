//! `dnc plan` end to end against the sandbox: every kind of change, scopes left alone,
//! complete reads past the offset cap, partial reads, targets, saved plans.

use crate::harness::Sandbox;
use crate::project::{Project, config, counts, plan_json, seed, stderr, stdout};
use dnc::sandbox::SeedEntry;

const GLOBAL: &str = "defaults:
  scope: global
  reason: Customer Request
entries:
  - number: \"(202) 555-0101\"
    ticket: COMP-1
  - number: \"+1 202-555-0102\"
    reason: Customer asked by email
  - number: \"2025550103\"
    reason: Same
removals:
  - number: \"202-555-0104\"
    removal_reason: Consent re-obtained in writing, COMP-1301
  - number: \"202-555-0105\"
    removal_reason: Entered by mistake
";

const CAMPAIGNS: &str = "entries:
  - number: \"202-555-0107\"
    scope: 111
    reason: DNC
    purpose: TELEMKT
removals:
  - number: \"202-555-0109\"
    scope: purpose-type
    removal_reason: Purpose consent given
";

fn remote() -> Vec<SeedEntry> {
    vec![
        seed("2025550102", 0, Some("Old reason from the phone"), None),
        seed("2025550103", 0, Some("Same"), None),
        seed("2025550104", 0, Some("Customer Request"), None),
        seed("2025550104", 111, Some("DNC"), None),
        seed("2025550106", 0, Some("legacy import"), None),
        seed("2025550107", 111, Some("DNC"), None),
        seed("2025550108", 222, Some("old campaign entry"), None),
        seed("2025550109", -1, Some("DNC"), Some("COLLECT")),
        seed("2025550109", 0, Some("legacy import"), None),
        seed("2025550110", 333, Some("not managed here"), None),
    ]
}

fn scenario() -> (Project, Sandbox) {
    let project = Project::new(
        &config(false, 10),
        &[
            ("lists/global.yaml", GLOBAL),
            ("lists/campaigns.yaml", CAMPAIGNS),
        ],
    );
    let sandbox = Sandbox::start_seeded(
        remote(),
        &["--campaign", "222=Renewals", "--campaign", "333=Other"],
    );
    (project, sandbox)
}

/// Hashes change with every run's data; the rest of the output must not. Replaces 12- and
/// 64-hex-digit runs with placeholders.
fn stable(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        match run.len() {
            64 => out.push_str("[hash]"),
            12 => out.push_str("[short-hash]"),
            _ => out.push_str(run),
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() && (c.is_ascii_digit() || c.is_ascii_lowercase()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[test]
fn every_kind_of_change_in_three_formats() {
    let (project, sandbox) = scenario();
    let human = project.dnc(&sandbox, &["plan", "--detailed-exitcode"]);
    assert_eq!(human.status.code(), Some(2), "{}", stderr(&human));
    let text = stdout(&human).replace(sandbox.url.as_str(), "[sandbox]/");
    assert!(
        !text.contains("2025550110") && !text.contains("555-0110"),
        "scope 333 is not managed: {text}"
    );
    insta::assert_snapshot!("plan_human", stable(&text));

    let md = project.dnc(&sandbox, &["plan", "--format", "markdown"]);
    assert!(md.status.success(), "{}", stderr(&md));
    insta::assert_snapshot!("plan_markdown", stable(&stdout(&md)));

    let json = plan_json(&project, &sandbox, &[]);
    assert_eq!(json["format_version"], 1);
    assert_eq!(counts(&json), [1, 2, 2, 1]);
    insta::assert_snapshot!(
        "plan_json",
        stable(&serde_json::to_string_pretty(&json).unwrap())
    );
}

#[test]
fn prune_is_opt_in_per_scope_and_unmanaged_entries_stay() {
    let (project, sandbox) = scenario();
    let json = plan_json(&project, &sandbox, &[]);
    let global = &json["scopes"][0];
    let unmanaged: Vec<&str> = global["unmanaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["phone_number"].as_str().unwrap())
        .collect();
    assert_eq!(unmanaged, ["2025550106", "2025550109"]);
    let pruned = &json["scopes"][2]["changes"][0];
    assert_eq!(
        (pruned["action"].as_str(), pruned["phone_number"].as_str()),
        (Some("prune"), Some("2025550108"))
    );

    project.write("dnc.yaml", &config(true, 10));
    let json = plan_json(&project, &sandbox, &[]);
    assert_eq!(
        counts(&json),
        [1, 2, 2, 3],
        "global now prunes its two unmanaged entries"
    );
}

#[test]
fn a_scope_can_set_its_own_removal_limits() {
    let (project, sandbox) = scenario();
    let own = config(false, 10)
        .replace(
            "  - scope: global\n    prune: false\n",
            "  - scope: global\n    prune: false\n    safety: {max_removal_percent: 10}\n",
        )
        .replace(
            "    prune: true\n",
            "    prune: true\n    safety:\n      max_removals: 0\n",
        );
    assert_ne!(own, config(false, 10));
    project.write("dnc.yaml", &own);
    let out = project.dnc(&sandbox, &["plan"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let safety: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Safety:"))
        .take_while(|l| !l.is_empty())
        .collect();
    insta::assert_snapshot!("plan_scope_limits", safety.join("\n"));
    let json = plan_json(&project, &sandbox, &[]);
    assert_eq!(json["safety"]["scopes"][1]["max_removals"], 0);
}

#[test]
fn apply_converges_and_a_second_plan_is_empty() {
    let (project, sandbox) = scenario();
    let out = project.dnc(&sandbox, &["apply", "--yes"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("Applied: 6 done, 0 already converged, 0 failed"),
        "{}",
        stdout(&out)
    );
    let again = project.dnc(&sandbox, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(stdout(&again).contains("0 to create, 0 to update, 0 to remove, 0 to prune"));
    let twice = project.dnc(&sandbox, &["apply", "--yes"]);
    assert!(
        stdout(&twice).contains("Nothing to apply."),
        "{}",
        stdout(&twice)
    );
}

/// The offset cap of the sandboxes below: the reader splits scopes past `CAP + 1000` entries
/// exactly as it splits the API's past 101,000, with a few thousand entries instead.
const CAP: u32 = 1000;
/// Entries of the crowded scopes: three times what one filter exposes under `CAP`.
const CROWD: u32 = 3 * CAP;

fn capped(entries: impl IntoIterator<Item = SeedEntry>) -> Sandbox {
    Sandbox::start_seeded(entries, &["--max-offset", &CAP.to_string()])
}

/// The day `n` days before today: the reader searches every day from the earliest insert
/// date through tomorrow, so recent dates keep the number of day searches small.
fn days_ago(n: u32) -> String {
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(n.into());
    day.format("%Y-%m-%d").to_string()
}

/// Plans `CROWD` global entries inserted at `date(i)`, all with a reason, none with a
/// purpose, and asserts the read was complete; returns the plan's JSON.
fn plan_crowd_read_completely(date: impl Fn(u32) -> String) -> serde_json::Value {
    let entries = (0..CROWD).map(|i| SeedEntry {
        insert_date: date(i),
        ..seed(
            &format!("2{:02}{:07}", 1 + i % 98, 2_000_000 + i),
            0,
            Some("bulk"),
            None,
        )
    });
    let project = Project::new(
        &config(false, 10),
        &[("lists/global.yaml", "entries: []\n")],
    );
    let sandbox = capped(entries);
    let json = plan_json(&project, &sandbox, &[]);
    let global = &json["scopes"][0];
    assert_eq!(
        global["incomplete"],
        serde_json::Value::Null,
        "{}",
        global["incomplete"]
    );
    assert_eq!(global["remote_total"], CROWD);
    assert_eq!(json["complete"], true);
    json
}

#[test]
fn a_scope_past_the_offset_cap_is_read_completely() {
    // Over 60 days: one filter exposes only CAP + 1000, so the reader splits by day.
    let json = plan_crowd_read_completely(|i| format!("{} 12:00:00", days_ago(1 + i % 60)));
    assert_eq!(
        json["scopes"][0]["unmanaged"].as_array().unwrap().len(),
        CROWD as usize
    );
}

#[test]
fn one_crowded_day_is_read_second_by_second() {
    // All on one day: only the second of insertion (`insert_date=YYYY-MM-DD hh:mm:ss`)
    // narrows them enough (300 seconds of 10 entries).
    let day = days_ago(1);
    let json =
        plan_crowd_read_completely(|i| format!("{day} 10:{:02}:{:02}", i / 10 / 60, i / 10 % 60));
    assert_eq!(counts(&json), [0, 0, 0, 0]);
}

#[test]
fn an_unsplittable_scope_is_incomplete_and_plans_no_removals() {
    // 2,040 entries in one second, one code, all with reasons: no filter narrows them below
    // the 2,000 that paging reaches under CAP.
    let second = format!("{} 10:30:00", days_ago(1));
    let entries = (0..2040u32).map(|i| SeedEntry {
        insert_date: second.clone(),
        ..seed(
            &format!("2{:02}{:07}", 1 + i % 98, 3_000_000 + i),
            0,
            Some("x"),
            None,
        )
    });
    // 271-300-2030 is the 2,031st entry: no page reaches it, only an exact search does.
    let project = Project::new(
        &config(true, 1_000_000),
        &[(
            "lists/global.yaml",
            "entries:\n  - number: \"271-300-2030\"\n    scope: global\n    reason: x\nremovals:\n  - number: \"201-300-0000\"\n    scope: global\n    removal_reason: test\n",
        )],
    );
    let sandbox = capped(entries);
    let out = project.dnc(&sandbox, &["plan", "--format", "json"]);
    // One pass (pages, splits, the day by second, the exact lookups): reading it again
    // cannot split it, so it is not read three times.
    let requests = sandbox.requests();
    assert!(
        requests <= 300,
        "{requests} requests for one unsplittable scope"
    );
    assert_eq!(out.status.code(), Some(1), "an incomplete plan is an error");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    assert_eq!(json["complete"], false);
    let global = &json["scopes"][0];
    let why = global["incomplete"]
        .as_str()
        .expect("the read is incomplete");
    assert!(
        why.contains("2040 entries match") && why.contains("only the first 2000"),
        "{why}"
    );
    assert_eq!(
        counts(&json),
        [0, 0, 0, 0],
        "no create for a number that exists, and no removal or prune from a partial read"
    );
    assert_eq!(global["unchanged"], 1);
    let human = project.dnc(&sandbox, &["plan"]);
    assert!(
        stdout(&human).contains("INCOMPLETE READ"),
        "{}",
        stdout(&human)
    );
    assert!(
        stderr(&human).contains("dnc::plan::incomplete"),
        "{}",
        stderr(&human)
    );
}

#[test]
fn a_failed_read_is_not_an_empty_list() {
    let project = Project::new(
        "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n    prune: true\n",
        &[(
            "lists/global.yaml",
            "entries:\n  - number: \"202-555-0101\"\n    scope: global\n    reason: r\n",
        )],
    );
    let sandbox = Sandbox::start(&["--fault-5xx", "1.0", "--seed", "1"]);
    let out = project
        .command(&["plan", "--format", "json", "--detailed-exitcode"])
        .env("DNC_API_URL", sandbox.url.as_str())
        .env("DNC_AUTH_TOKEN", crate::harness::TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    let why = json["scopes"][0]["incomplete"]
        .as_str()
        .expect("incomplete");
    assert!(why.contains("failed"), "{why}");
    assert_eq!(counts(&json), [1, 0, 0, 0]);
}

#[test]
fn a_malformed_remote_number_is_shown_and_never_removed() {
    let project = Project::new(
        &config(true, 100),
        &[("lists/global.yaml", "entries: []\n")],
    );
    let sandbox = Sandbox::start_seeded(
        [seed("12345", 222, Some("legacy"), None)],
        &["--campaign", "222=Renewals"],
    );
    let json = plan_json(&project, &sandbox, &[]);
    assert_eq!(
        counts(&json),
        [0, 0, 0, 0],
        "no prune of a number the API cannot delete"
    );
    let renewals = &json["scopes"][2];
    assert_eq!(renewals["unmanaged"][0]["malformed"], true, "{renewals}");
    let human = project.dnc(&sandbox, &["plan"]);
    assert!(
        stdout(&human).contains("malformed remote entry"),
        "{}",
        stdout(&human)
    );
}

#[test]
fn ci_needs_a_target_or_an_explicit_sandbox() {
    let project = Project::new(&config(false, 10), &[("lists/global.yaml", GLOBAL)]);
    let out = project
        .command(&["plan"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("plan_ci_without_target", stderr(&out));

    let out = project
        .command(&["plan", "--sandbox"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let first = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert_eq!(
        first,
        "Target: embedded sandbox (no DNC_API_URL configured), state in .dnc/sandbox.db"
    );
    assert!(project.path(".dnc/sandbox.db").exists());
}

#[test]
fn the_token_never_appears_in_output() {
    let (project, sandbox) = scenario();
    for format in ["human", "markdown", "json"] {
        let out = project.dnc(&sandbox, &["plan", "--format", format, "--out", "p.json"]);
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(crate::harness::TOKEN), "{format}: {all}");
    }
    let saved = std::fs::read_to_string(project.path("p.json")).unwrap();
    assert!(!saved.contains(crate::harness::TOKEN));
}

/// Adds an entry the way someone outside dnc would, straight through the API.
fn insert_by_hand(sandbox: &Sandbox, number: &str, campaign: &str) {
    let params = [
        ("auth_token", crate::harness::TOKEN),
        ("phone_number", number),
        ("phone_code", "1"),
        ("campaign_id", campaign),
        ("reason", "added by hand"),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_, body) = rt.block_on(crate::harness::send(
        sandbox.endpoint("insert"),
        crate::harness::Style::FormBody,
        &params,
    ));
    assert_eq!(body["success"], true, "{body}");
}

/// Applies the saved plan `file`, which must be refused; returns the differences listed and
/// all of stderr.
fn refusal(project: &Project, sandbox: &Sandbox, file: &str) -> (Vec<String>, String) {
    let stale = project.dnc(sandbox, &["apply", file, "--yes"]);
    assert_eq!(stale.status.code(), Some(1));
    let err = stderr(&stale);
    let listed = err
        .lines()
        .filter(|l| l.starts_with("  - "))
        .map(str::to_string)
        .collect();
    (listed, err)
}

#[test]
fn a_saved_plan_applies_only_while_it_holds() {
    let (project, sandbox) = scenario();
    let out = project.dnc(&sandbox, &["plan", "--out", "reviewed.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Someone changes the list after review: the reviewed plan no longer describes the change.
    insert_by_hand(&sandbox, "2025550101", "0");
    let (listed, err) = refusal(&project, &sandbox, "reviewed.json");
    assert_eq!(
        listed,
        [
            "  - no longer planned: create +1 202-555-0101 in global, reason \"Customer Request\" (lists/global.yaml:5)",
            "  - newly planned: update +1 202-555-0101 in global (id 11): reason \"added by hand\" -> \"Customer Request\" (lists/global.yaml:5)",
            "  - global held 5 entries at plan time and holds 6 now",
        ]
    );
    assert!(err.contains("is stale (3 differences above)"), "{err}");

    let fresh = project.dnc(&sandbox, &["plan", "--out", "reviewed.json"]);
    assert!(fresh.status.success());
    let ok = project.dnc(&sandbox, &["apply", "reviewed.json", "--yes"]);
    assert!(ok.status.success(), "{}\n{}", stdout(&ok), stderr(&ok));
}

#[test]
fn a_saved_plan_must_match_its_hash_and_the_remote_state() {
    let (project, sandbox) = scenario();
    let out = project.dnc(&sandbox, &["plan", "--out", "reviewed.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(project.path("reviewed.json")).unwrap();

    // Only the hash edited: the content no longer matches it.
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hash = saved["plan"]["hash"].as_str().unwrap();
    let forged = text.replace(hash, &"0".repeat(64));
    project.write("forged.json", &forged);
    let refused = project.dnc(&sandbox, &["apply", "forged.json", "--yes"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("dnc::plan::tampered"),
        "{}",
        stderr(&refused)
    );

    // An unmanaged entry appears after review: the changes are the same, the remote is not.
    insert_by_hand(&sandbox, "2025550177", "111");
    let (listed, _) = refusal(&project, &sandbox, "reviewed.json");
    assert_eq!(
        listed,
        [
            "  - campaign 111 \"Sales Campaign\" held 2 entries at plan time and holds 3 now",
            "  - new unmanaged entry in campaign 111 \"Sales Campaign\": +1 202-555-0177 (id 11)",
        ]
    );
}

#[test]
fn inside_github_actions_the_plan_fills_summary_and_outputs() {
    let (project, sandbox) = scenario();
    let (summary, outputs) = (project.path("summary.md"), project.path("outputs.txt"));
    let run = |args: &[&str]| {
        project
            .command(args)
            .env("DNC_API_URL", sandbox.url.as_str())
            .env("DNC_AUTH_TOKEN", crate::harness::TOKEN)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_REPOSITORY", "acme/dnc-lists")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &outputs)
            .output()
            .unwrap()
    };
    let out = run(&["plan", "--detailed-exitcode", "--mask-numbers"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let written = std::fs::read_to_string(&outputs).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], "has_changes=true");
    assert!(
        lines[1].starts_with("plan_hash=") && lines[1].len() == "plan_hash=".len() + 64,
        "{written}"
    );
    assert_eq!(lines[2], "complete=true");
    assert_eq!(lines[3], "exitcode=2");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("### dnc plan `"), "{md}");
    assert!(
        md.contains("+1 202-***-0101") && !md.contains("202-555-0101"),
        "numbers are masked: {md}"
    );

    std::fs::remove_file(&outputs).unwrap();
    let invalid = run(&["validate", "missing.yaml"]);
    assert_eq!(invalid.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&outputs).unwrap(), "exitcode=1\n");
}

/// Against an API the read starts while the manifests load: invalid manifests must still
/// end the plan with their diagnostics and nothing else, and an unknown scope (found by the
/// read) must wait for them.
#[test]
fn invalid_manifests_end_the_plan_before_the_read_shows() {
    let project = Project::new(
        "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n  - scope: 999\n",
        &[(
            "lists/global.yaml",
            "entries:\n  - number: \"202-555-01\"\n    scope: global\n    reason: r\n",
        )],
    );
    let sandbox = Sandbox::start(&[]);
    let out = project.dnc(&sandbox, &["plan", "--timings"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "no Target line, no plan");
    let err = stderr(&out);
    assert!(err.contains("dnc::manifest::invalid"), "{err}");
    assert!(
        !err.contains("is not a campaign"),
        "the read's error waits for the manifests: {err}"
    );
    assert!(
        !err.contains("timing: diff"),
        "nothing is planned from invalid manifests: {err}"
    );
}
