//! `dnc plan` end to end against the sandbox: every kind of change, scopes left alone,
//! complete reads past the offset cap, partial reads, targets, saved plans.

use crate::common::{
    Config, Project, Sandbox, Seed, Style, TOKEN, counts, normalize, plan_json, run, seed, send,
};

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

fn remote() -> Vec<Seed> {
    vec![
        seed("2025550102", 0).reason("Old reason from the phone"),
        seed("2025550103", 0).reason("Same"),
        seed("2025550104", 0).reason("Customer Request"),
        seed("2025550104", 111).reason("DNC"),
        seed("2025550106", 0).reason("legacy import"),
        seed("2025550107", 111).reason("DNC"),
        seed("2025550108", 222).reason("old campaign entry"),
        seed("2025550109", -1).reason("DNC").purpose("COLLECT"),
        seed("2025550109", 0).reason("legacy import"),
        seed("2025550110", 333).reason("not managed here"),
    ]
}

fn scenario() -> (Project, Sandbox) {
    let project = Project::new(
        &Config::pruning(false, 10),
        &[
            ("lists/global.yaml", GLOBAL),
            ("lists/campaigns.yaml", CAMPAIGNS),
        ],
    );
    let sandbox = Sandbox::start_seeded(
        remote(),
        &[
            "--profile",
            "sdk",
            "--campaign",
            "222=Renewals",
            "--campaign",
            "333=Other",
        ],
    );
    (project, sandbox)
}

#[test]
fn every_kind_of_change_in_three_formats() {
    let (project, sandbox) = scenario();
    let human = project.dnc_fail(&sandbox, 2, &["plan", "--detailed-exitcode"]);
    let text = human.stdout.replace(sandbox.url.as_str(), "[sandbox]/");
    assert!(
        !text.contains("2025550110") && !text.contains("555-0110"),
        "scope 333 is not managed: {text}"
    );
    insta::assert_snapshot!("plan_human", normalize(&text));

    let md = project.dnc_ok(&sandbox, &["plan", "--format", "markdown"]);
    insta::assert_snapshot!("plan_markdown", normalize(&md.stdout));

    let json = plan_json(&project, &sandbox, &[]);
    assert_eq!(json["format_version"], 1);
    assert_eq!(counts(&json), [1, 2, 2, 1]);
    insta::assert_snapshot!(
        "plan_json",
        normalize(&serde_json::to_string_pretty(&json).unwrap())
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

    project.write("dnc.yaml", &Config::pruning(true, 10));
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
    let own = Config::pruning(false, 10)
        .replace(
            "  - scope: global\n    prune: false\n",
            "  - scope: global\n    prune: false\n    safety: {max_removal_percent: 10}\n",
        )
        .replace(
            "    prune: true\n",
            "    prune: true\n    safety:\n      max_removals: 0\n",
        );
    assert_ne!(*own, *Config::pruning(false, 10));
    project.write("dnc.yaml", &own);
    let out = project.dnc_ok(&sandbox, &["plan"]);
    let text = out.stdout;
    let safety: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Safety:"))
        .take_while(|l| !l.is_empty())
        .collect();
    insta::assert_snapshot!(safety.join("\n"), @"
    Safety: 3 removal(s); limits 10 per plan, 100% of a scope (global: 10%; campaign 222: 100%, at most 0)
      LIMIT BREACHED: 1 removals in global are 20.0% of its 5 entries (limit 10%)
      LIMIT BREACHED: 1 removals in campaign 222 (limit 0 for this scope)
      apply refuses this plan unless run with --allow-removals 3
    ");
    let json = plan_json(&project, &sandbox, &[]);
    assert_eq!(json["safety"]["scopes"][1]["max_removals"], 0);
}

#[test]
fn apply_converges_and_a_second_plan_is_empty() {
    let (project, sandbox) = scenario();
    let out = project.dnc_ok(&sandbox, &["apply", "--yes"]);
    assert!(
        out.stdout
            .contains("Applied: 6 done, 0 already converged, 0 failed"),
        "{}",
        out.stdout
    );
    let again = project.dnc_ok(&sandbox, &["plan", "--detailed-exitcode"]);
    assert!(
        again
            .stdout
            .contains("0 to create, 0 to update, 0 to remove, 0 to prune")
    );
    let twice = project.dnc(&sandbox, &["apply", "--yes"]);
    assert!(
        twice.stdout.contains("Nothing to apply."),
        "{}",
        twice.stdout
    );
}

/// The offset cap of the sandboxes below: the reader splits scopes past `CAP + 1000` entries
/// exactly as it splits the API's past 101,000, with a few thousand entries instead.
const CAP: u32 = 1000;
/// Entries of the crowded scopes: three times what one filter exposes under `CAP`.
const CROWD: u32 = 3 * CAP;

fn capped(entries: impl IntoIterator<Item = Seed>) -> Sandbox {
    Sandbox::start_seeded(
        entries,
        &["--profile", "sdk", "--max-offset", &CAP.to_string()],
    )
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
    let entries = (0..CROWD).map(|i| {
        seed(&format!("2{:02}{:07}", 1 + i % 98, 2_000_000 + i), 0)
            .reason("bulk")
            .at(&date(i))
    });
    let project = Project::new(
        &Config::pruning(false, 10),
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
    let entries = (0..2040u32).map(|i| {
        seed(&format!("2{:02}{:07}", 1 + i % 98, 3_000_000 + i), 0)
            .reason("x")
            .at(&second)
    });
    // 271-300-2030 is the 2,031st entry: no page reaches it, only an exact search does.
    let project = Project::new(
        &Config::pruning(true, 1_000_000),
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
    assert_eq!(out.code, 1, "an incomplete plan is an error");
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
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
    assert!(human.stdout.contains("INCOMPLETE READ"), "{}", human.stdout);
    assert!(
        human.stderr.contains("dnc::plan::incomplete"),
        "{}",
        human.stderr
    );
}

#[test]
fn a_failed_read_is_not_an_empty_list() {
    let project = Project::new(
        &Config::new().scope("global", &[("prune", "true")]),
        &[(
            "lists/global.yaml",
            "entries:\n  - number: \"202-555-0101\"\n    scope: global\n    reason: r\n",
        )],
    );
    let sandbox = Sandbox::start(&["--fault-5xx", "1.0", "--seed", "1"]);
    // Nothing could be read: the plan says only that, with the cause, and plans no creates.
    let out = project.dnc_fail(
        &sandbox,
        1,
        &["plan", "--format", "json", "--detailed-exitcode"],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    let why = json["scopes"][0]["incomplete"]
        .as_str()
        .expect("incomplete");
    assert!(why.contains("failed"), "{why}");
    assert_eq!(json["complete"], false);
    assert_eq!(counts(&json), [0, 0, 0, 0]);
    assert!(
        out.stderr.contains("dnc::plan::unreadable"),
        "{}",
        out.stderr
    );
    let human = project.dnc_fail(&sandbox, 1, &["plan"]);
    assert!(!human.stdout.contains("555-0101"), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("INCOMPLETE: global could not be read"),
        "{}",
        human.stdout
    );
}

/// The base URL without the API's `/v1/`: every search answers 404, and the error says
/// where the path went missing instead of planning the manifests as creates.
#[test]
fn a_base_url_without_v1_is_named_as_the_cause() {
    let project = Project::new(
        &Config::new().scope("global", &[]),
        &[(
            "lists/global.yaml",
            "entries:\n  - number: \"202-555-0101\"\n    scope: global\n    reason: r\n",
        )],
    );
    let sandbox = Sandbox::start(&[]);
    let root = format!(
        "http://{}:{}/",
        sandbox.url.host_str().unwrap(),
        sandbox.url.port().unwrap()
    );
    let mut cmd = project.targeting(&sandbox, &["plan"]);
    cmd.env("DNC_API_URL", &root);
    let out = run(&mut cmd).fails(1);
    assert!(!out.stdout.contains("555-0101"), "{}", out.stdout);
    let shown = format!("{}{}", out.stdout, out.stderr).replace(&root, "[sandbox]/");
    insta::assert_snapshot!(normalize(&shown));
}

/// Past the threshold, human and markdown output list every removal, the first creates
/// and updates of each scope, and count the rest; --full and JSON list everything.
#[test]
fn a_big_plan_is_summarized_and_full_on_request() {
    let mut entries =
        String::from("defaults:\n  scope: global\n  reason: Customer Request\nentries:\n");
    for n in 0..300 {
        entries.push_str(&format!(
            "  - number: \"20{}555{:04}\"\n",
            2 + n / 100,
            100 + n % 100
        ));
    }
    entries.push_str(
        "removals:\n  - number: \"205-555-0100\"\n    removal_reason: Entered by mistake\n",
    );
    let project = Project::new(
        &Config::new().scope("global", &[]).safety(10),
        &[("lists/big.yaml", &entries)],
    );
    let sandbox = Sandbox::start_seeded([seed("2055550100", 0).reason("Customer Request")], &[]);
    let human = project.dnc_ok(&sandbox, &["plan"]);
    let text = normalize(&human.stdout.replace(sandbox.url.as_str(), "[sandbox]/"));
    assert!(text.lines().count() < 100, "{text}");
    insta::assert_snapshot!("plan_summarized_human", text);
    let full = project.dnc_ok(&sandbox, &["plan", "--full"]);
    assert_eq!(full.stdout.matches("\n  + ").count(), 300);
    let md = project.dnc_ok(&sandbox, &["plan", "--format", "markdown"]);
    assert_eq!(md.stdout.matches("| ➕ create |").count(), 20);
    assert_eq!(md.stdout.matches("| ➖ remove |").count(), 1);
    assert!(
        md.stdout
            .contains("| | … 280 more to create | listed in full"),
        "{}",
        md.stdout
    );
    assert_eq!(counts(&plan_json(&project, &sandbox, &[])), [300, 0, 1, 0]);
}

#[test]
fn a_malformed_remote_number_is_shown_and_never_removed() {
    let project = Project::new(
        &Config::pruning(true, 100),
        &[("lists/global.yaml", "entries: []\n")],
    );
    let sandbox = Sandbox::start_seeded(
        [seed("12345", 222).reason("legacy")],
        &["--profile", "sdk", "--campaign", "222=Renewals"],
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
        human.stdout.contains("malformed remote entry"),
        "{}",
        human.stdout
    );
}

#[test]
fn ci_needs_a_target_or_an_explicit_sandbox() {
    let project = Project::new(
        &Config::pruning(false, 10),
        &[("lists/global.yaml", GLOBAL)],
    );
    let out = run(project.command(&["plan"]).env("CI", "true")).fails(1);
    insta::assert_snapshot!(out.stderr, @"
    dnc::target::none_in_ci

      × CI=true and no DNC API target is configured
      help: configure DNC_API_URL and DNC_AUTH_TOKEN, or pass --sandbox to use the
            embedded sandbox on purpose
    ");

    let out = run(project.command(&["plan", "--sandbox"]).env("CI", "true")).ok();
    let first = out.stdout.lines().next().unwrap_or_default().to_string();
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
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains(TOKEN), "{format}: {all}");
    }
    let saved = std::fs::read_to_string(project.path("p.json")).unwrap();
    assert!(!saved.contains(TOKEN));
}

/// Adds an entry the way someone outside dnc would, straight through the API.
fn insert_by_hand(sandbox: &Sandbox, number: &str, campaign: &str) {
    let params = [
        ("auth_token", TOKEN),
        ("phone_number", number),
        ("phone_code", "1"),
        ("campaign_id", campaign),
        ("reason", "added by hand"),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_, body) = rt.block_on(send(sandbox.endpoint("insert"), Style::FormBody, &params));
    assert_eq!(body["success"], true, "{body}");
}

/// Applies the saved plan `file`, which must be refused; returns the differences listed and
/// all of stderr.
fn refusal(project: &Project, sandbox: &Sandbox, file: &str) -> (Vec<String>, String) {
    let err = project
        .dnc_fail(sandbox, 1, &["apply", file, "--yes"])
        .stderr;
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
    project.dnc_ok(&sandbox, &["plan", "--out", "reviewed.json"]);
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

    project.dnc_ok(&sandbox, &["plan", "--out", "reviewed.json"]);
    project.dnc_ok(&sandbox, &["apply", "reviewed.json", "--yes"]);
}

#[test]
fn a_saved_plan_must_match_its_hash_and_the_remote_state() {
    let (project, sandbox) = scenario();
    project.dnc_ok(&sandbox, &["plan", "--out", "reviewed.json"]);
    let text = std::fs::read_to_string(project.path("reviewed.json")).unwrap();

    // Only the hash edited: the content no longer matches it.
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hash = saved["plan"]["hash"].as_str().unwrap();
    let forged = text.replace(hash, &"0".repeat(64));
    project.write("forged.json", &forged);
    let refused = project.dnc_fail(&sandbox, 1, &["apply", "forged.json", "--yes"]);
    assert!(
        refused.stderr.contains("dnc::plan::tampered"),
        "{}",
        refused.stderr
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

/// A saved plan carries `format_version` at its top like every JSON output; one saved before
/// it did (the plan's own only) still applies, one of another format is refused.
#[test]
fn a_saved_plan_of_any_format_this_dnc_reads_applies() {
    let (project, sandbox) = scenario();
    project.dnc_ok(&sandbox, &["plan", "--out", "reviewed.json"]);
    let text = std::fs::read_to_string(project.path("reviewed.json")).unwrap();
    let mut saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["format_version"], 1, "{text}");

    saved["format_version"] = 2.into();
    project.write("newer.json", &saved.to_string());
    let refused = project.dnc_fail(&sandbox, 1, &["apply", "newer.json", "--yes"]);
    assert!(
        refused.stderr.contains("dnc::plan::format"),
        "{}",
        refused.stderr
    );

    saved.as_object_mut().unwrap().remove("format_version");
    project.write("older.json", &saved.to_string());
    project.dnc_ok(&sandbox, &["apply", "older.json", "--yes"]);
}

#[test]
fn inside_github_actions_the_plan_fills_summary_and_outputs() {
    let (project, sandbox) = scenario();
    let (summary, outputs) = (project.path("summary.md"), project.path("outputs.txt"));
    let step = |args: &[&str]| {
        run(project
            .targeting(&sandbox, args)
            .envs(project.github_step()))
    };
    step(&["plan", "--detailed-exitcode", "--mask-numbers"]).fails(2);
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
    step(&["validate", "missing.yaml"]).fails(1);
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
    let out = project.dnc_fail(&sandbox, 1, &["plan", "--timings"]);
    assert_eq!(out.stdout, "", "no Target line, no plan");
    let err = &out.stderr;
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

/// A tombstone's approval shows in every format; `approvals: required` makes a tombstone
/// without one an error at its line.
#[test]
fn approvals_show_in_the_plan_and_can_be_required() {
    let removals = "removals:\n  - number: \"202-555-0104\"\n    scope: global\n    removal_reason: Entered by mistake\n    approval: {by: alice, ticket: COMP-1301}\n  - number: \"202-555-0105\"\n    scope: global\n    removal_reason: Duplicate\n";
    let project = Project::new(
        &Config::new().scope("global", &[]).safety(10),
        &[("lists/global.yaml", removals)],
    );
    let sandbox = Sandbox::start_seeded(
        [
            seed("2025550104", 0).reason("DNC"),
            seed("2025550105", 0).reason("DNC"),
        ],
        &[],
    );
    let human = project.dnc_ok(&sandbox, &["plan"]);
    assert!(
        human
            .stdout
            .contains("      approved by: alice (COMP-1301)\n"),
        "{}",
        human.stdout
    );
    let md = project.dnc_ok(&sandbox, &["plan", "--format", "markdown"]);
    assert!(
        md.stdout.contains("; approved by alice (COMP-1301);"),
        "{}",
        md.stdout
    );
    let json = plan_json(&project, &sandbox, &[]);
    let approvals: Vec<&serde_json::Value> = json["scopes"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["approval"])
        .collect();
    assert_eq!(
        approvals,
        [
            &serde_json::json!({"by": "alice", "ticket": "COMP-1301"}),
            &serde_json::Value::Null
        ]
    );

    project.write(
        "dnc.yaml",
        &Config::new()
            .scope("global", &[])
            .with("removals:\n  approvals: required\n"),
    );
    let out = project.dnc_fail(&sandbox, 1, &["validate", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let found: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("dnc::entry::no_approval".to_string(), 6)]);
}
