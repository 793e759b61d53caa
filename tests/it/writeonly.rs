//! Reasons and purposes as write-only attributes: under every sandbox profile (the contract's
//! search shape shows neither), dnc converges, says how each value is known, and re-asserts
//! a value nobody has seen exactly once.

use crate::common::{Config, Project, Sandbox, Seed, Style, git, normalize, plan_json, seed};
use proptest::prelude::*;

const DATE: &str = "2026-03-03 10:30:00";
const PROFILES: [&str; 3] = ["contract", "sdk", "date-only"];

/// A config managing global, 111 and purpose-type, with the account's allowed reasons and
/// purposes declared (what lets import learn non-blank reasons by exact search).
fn config() -> Config {
    Config::standard()
        .with("reasons: [DNC, Customer Request, Litigator]\npurposes: [TELEMKT, COLLECT]\n")
}

fn remote() -> Vec<Seed> {
    vec![
        seed("2025550101", 0).reason("DNC").at(DATE),
        seed("2025550102", 0)
            .reason("Customer Request")
            .purpose("TELEMKT")
            .at(DATE),
        // Blank: adopted with --blank-reason, so the plan updates it.
        seed("2025550103", 0).at(DATE),
        seed("2025550143", 111).reason("Litigator").at(DATE),
        seed("2025550155", -1)
            .reason("DNC")
            .purpose("COLLECT")
            .at(DATE),
    ]
}

fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} not in:\n{text}");
}

fn commit(p: &Project, message: &str) {
    let d = p.dir.path();
    let at = "2026-03-04T10:00:00Z";
    git(d, &["add", "-A"], "Alice Compliance", at);
    git(d, &["commit", "-qm", message], "Alice Compliance", at);
}

/// How the plan says each scope's attributes are known, one line per scope.
fn known_lines(plan: &serde_json::Value) -> String {
    let mut out = String::new();
    for s in plan["scopes"].as_array().expect("scopes") {
        let known = &s["known"];
        let line = if known.is_null() {
            "all read from the API".to_string()
        } else {
            let part = |a: &str| {
                let c = &known[a];
                format!(
                    "{a}: api {} ledger {} unknown {}",
                    c["api"], c["ledger"], c["unknown"]
                )
            };
            format!("{}; {}", part("reason"), part("purpose"))
        };
        out.push_str(&format!("{}: {line}\n", s["campaign_id"]));
    }
    out
}

/// import → validate → plan → apply → plan → history → report under `profile`: the second
/// plan is empty, and what the plans say about how values are known is returned.
fn chain(profile: &str) -> String {
    chain_with(&["--profile", profile])
}

/// `chain` against a sandbox started with `args`.
fn chain_with(args: &[&str]) -> String {
    let s = Sandbox::start_seeded(remote(), args);
    let p = Project::new(&config(), &[]);
    let d = p.dir.path();
    git(
        d,
        &["init", "-q", "-b", "main"],
        "Alice Compliance",
        "2026-03-04T09:00:00Z",
    );

    let import = p.dnc_ok(&s, &["import", ".", "--blank-reason", "DNC"]);
    has(
        &import.stdout,
        "global: 3 entries in Convoso; imported 3 entries",
    );
    assert!(
        !import.stdout.contains("does not show"),
        "{}",
        import.stdout
    );
    p.dnc_ok(&s, &["validate", "."]);
    // The change under review: a new opt-out and a reason rewritten.
    p.write(
        "lists/new.yaml",
        "defaults:\n  scope: global\nentries:\n  - number: \"+1 202-555-0104\"\n    reason: Customer Request\n",
    );
    let global = std::fs::read_to_string(p.path("lists/imported-campaign-111.yaml")).unwrap();
    p.write(
        "lists/imported-campaign-111.yaml",
        &global.replace("Litigator", "Customer Request"),
    );
    commit(&p, "Import the lists, add an opt-out");

    let first = plan_json(&p, &s, &[]);
    let mut out = format!("first plan:\n{}", known_lines(&first));
    let before = p.dnc(&s, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(before.code, 2, "{}{}", before.stdout, before.stderr);
    let summary = before
        .stdout
        .lines()
        .find(|l| l.starts_with("Plan:"))
        .unwrap_or_default();
    out.push_str(&format!("{summary}\n"));

    p.dnc_ok(&s, &["apply", ".", "--yes"]);
    let after = p.dnc_ok(&s, &["plan", ".", "--detailed-exitcode"]);
    has(
        &after.stdout,
        "Plan: 0 to create, 0 to update, 0 to remove, 0 to prune;",
    );
    let second = plan_json(&p, &s, &[]);
    out.push_str(&format!("after apply:\n{}", known_lines(&second)));

    let history = p.dnc_ok(&s, &["history", "+1 202-555-0104"]);
    has(&history.stdout, "create: done");
    let report = p.dnc_ok(&s, &["report", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(report["totals"]["operations"], 3, "{report}");
    out
}

#[test]
fn the_chain_converges_under_the_contract_profile() {
    insta::assert_snapshot!(chain("contract"), @r#"
        first plan:
        0: all read from the API
        111: reason: api 0 ledger 0 unknown 1; purpose: api 1 ledger 0 unknown 0
        -1: all read from the API
        Plan: 1 to create, 1 to update, 0 to remove, 0 to prune, 1 to re-assert; 0 unmanaged, 0 duplicated.
        after apply:
        0: all read from the API
        111: reason: api 0 ledger 1 unknown 0; purpose: api 1 ledger 0 unknown 0
        -1: all read from the API
        "#);
}

#[test]
fn the_chain_converges_under_the_sdk_profile() {
    insta::assert_snapshot!(chain("sdk"), @r#"
        first plan:
        0: all read from the API
        111: all read from the API
        -1: all read from the API
        Plan: 1 to create, 2 to update, 0 to remove, 0 to prune; 0 unmanaged, 0 duplicated.
        after apply:
        0: all read from the API
        111: all read from the API
        -1: all read from the API
        "#);
}

/// The answer variants public clients record (other wrappers, error fields, the SDK's code
/// table, writes answered without ids) change how answers are read, never what converges.
#[test]
fn the_chain_converges_under_every_answer_variant() {
    let contract = chain("contract");
    for variant in [
        "sparse-answers",
        "no-data-wrapper",
        "no-success",
        "message-text",
        "error-text",
        "error-code",
        "sdk-codes",
    ] {
        let args = ["--profile", "contract", "--variant", variant];
        assert_eq!(chain_with(&args), contract, "{variant}");
    }
}

#[test]
fn the_chain_converges_with_date_only_insert_dates() {
    // Bare-day insert dates change what the read can split by, not what the plan knows.
    assert_eq!(chain("date-only"), chain("contract"));
}

/// One global entry remotely (contract profile), and a manifest asking for it with reason DNC.
fn one_entry(remote: Seed) -> (Sandbox, Project) {
    let s = Sandbox::start_seeded([remote.at(DATE)], &["--profile", "contract"]);
    let p = Project::new(
        &Config::standard(),
        &[(
            "lists/a.yaml",
            "defaults:\n  scope: global\nentries:\n  - number: \"+1 202-555-0143\"\n    reason: DNC\n",
        )],
    );
    (s, p)
}

/// An adopted entry whose reason the API does not show and the ledger never recorded.
fn unknown_reason() -> (Sandbox, Project) {
    one_entry(seed("2025550143", 0).reason("Litigator"))
}

#[test]
fn an_unknown_reason_is_re_asserted_once_and_then_known_from_the_ledger() {
    let (s, p) = unknown_reason();
    let plan = p.dnc(&s, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "a re-assert is a change: {}", plan.stdout);
    insta::assert_snapshot!(normalize(&plan.stdout), @r#"
        Target: Convoso API at [sandbox]/
        Plan [short-hash]

        global: 1 remote entry, read completely
          reasons: 0 read from the API, 0 last applied per the ledger, 1 unknown; purposes: 1 read from the API, 0 last applied per the ledger, 0 unknown
          ! +1 202-555-0143  id 1  re-assert (sent once; the ledger then knows it)  lists/a.yaml:4
              reason: DNC  (remote: not blank per the API, value not shown)
              purpose: (none)  (remote: read from the API)

        campaign 111 "Sales Campaign": 0 remote entries, read completely
          no changes

        purpose-type: 0 remote entries, read completely
          no changes

        Safety: 0 removal(s); limits 25 per plan, 5% of a scope

        Plan: 0 to create, 0 to update, 0 to remove, 0 to prune, 1 to re-assert; 0 unmanaged, 0 duplicated.
        "#);
    let md = p.dnc(&s, &["plan", ".", "--format", "markdown"]);
    insta::assert_snapshot!(normalize(&md.stdout), @r#"
        ### dnc plan `[short-hash]`

        **0 to create, 0 to update, 0 to remove, 0 to prune, 1 to re-assert**

        > [!NOTE]
        > **global**: the API does not show every reason and purpose here. reasons: 0 read from the API, 0 last applied per the ledger, 1 unknown; purposes: 1 read from the API, 0 last applied per the ledger, 0 unknown

        | Scope | Remote | Create | Update | Remove | Prune | Unmanaged | Read |
        |---|--:|--:|--:|--:|--:|--:|---|
        | global | 1 | 0 | 0 | 0 | 0 | 0 | complete |
        | campaign 111 "Sales Campaign" | 0 | 0 | 0 | 0 | 0 | 0 | complete |
        | purpose-type | 0 | 0 | 0 | 0 | 0 | 0 | complete |

        <details><summary><b>global</b>: 1 change(s), 0 unmanaged</summary>

        | | Number | Details | Source |
        |---|---|---|---|
        | 🔁 re-assert | +1 202-555-0143 | id 1; reason: DNC (remote: not blank per the API, value not shown); purpose: (none) (remote: read from the API); sent once, then the ledger knows it | `lists/a.yaml:4` |

        </details>
        "#);

    let apply = p.dnc_ok(&s, &["apply", ".", "--yes"]);
    has(&apply.stdout, "1 done");
    let ledger = std::fs::read_to_string(p.path(".dnc/ledger.jsonl")).unwrap();
    has(&ledger, "\"change\":\"reassert\"");
    // The sandbox stores what was sent, though it does not show it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let params = [("campaign_id", "0"), ("reason", "DNC")];
    let (_, found) = runtime.block_on(s.raw("search", Style::FormBody, &params));
    assert_eq!(
        found["data"]["total"], 1,
        "the re-assert sent the manifest's reason"
    );

    let again = p.dnc_ok(&s, &["plan", ".", "--detailed-exitcode"]);
    has(
        &again.stdout,
        "0 to create, 0 to update, 0 to remove, 0 to prune;",
    );
    has(
        &again.stdout,
        "reasons: 0 read from the API, 1 last applied per the ledger",
    );
    let json = plan_json(&p, &s, &[]);
    assert_eq!(json["scopes"][0]["known"]["reason"]["ledger"], 1, "{json}");
}

#[test]
fn without_its_ledger_an_entry_is_re_asserted_not_assumed_equal() {
    let (s, p) = unknown_reason();
    p.dnc_ok(&s, &["apply", ".", "--yes"]);
    p.dnc_ok(&s, &["plan", ".", "--detailed-exitcode"]);
    std::fs::remove_file(p.path(".dnc/ledger.jsonl")).unwrap();
    // The reason now equals the manifest's, and an exact search says so: nothing to do, and
    // every value read from the API (so the plan has no `known` counts to show).
    p.dnc_ok(&s, &["plan", ".", "--detailed-exitcode"]);
    let json = plan_json(&p, &s, &[]);
    assert_eq!(json["scopes"][0]["unchanged"], 1, "{json}");
    assert!(json["scopes"][0]["known"].is_null(), "{json}");
}

#[test]
fn a_blank_remote_reason_is_read_through_the_blank_filter() {
    let (s, p) = one_entry(seed("2025550143", 0));
    let plan = p.dnc(&s, &["plan", "."]).ok();
    // Known blank through `reason=-BLANK-`: an ordinary update, not a re-assert.
    has(
        &plan.stdout,
        "0 to create, 1 to update, 0 to remove, 0 to prune;",
    );
    has(&plan.stdout, "reason: [-(none)-]{+DNC+}");
}

/// One number's state on one side: absent, or present with a reason (empty: blank).
#[derive(Clone, Debug)]
enum Side {
    Absent,
    Present(&'static str),
}

fn side(reasons: &'static [&'static str]) -> impl Strategy<Value = Side> {
    prop_oneof![
        Just(Side::Absent),
        proptest::sample::select(reasons).prop_map(Side::Present)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random remote and desired states under each profile: plan → apply → plan is empty,
    /// and the ledger never holds two updates or re-asserts of one number.
    #[test]
    fn plan_apply_plan_converges(
        remote in proptest::collection::vec(side(&["", "DNC", "Litigator", "Customer Request"]), 5),
        desired in proptest::collection::vec(side(&["DNC", "Customer Request"]), 5),
        profile in proptest::sample::select(&PROFILES[..]),
    ) {
        let number = |i: usize| format!("20255501{i:02}");
        let seeds: Vec<Seed> = remote
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Side::Absent => None,
                Side::Present("") => Some(seed(&number(i), 0).at(DATE)),
                Side::Present(reason) => Some(seed(&number(i), 0).reason(reason).at(DATE)),
            })
            .collect();
        let s = Sandbox::start_seeded(seeds, &["--profile", profile]);
        let mut manifest = String::from("defaults:\n  scope: global\nentries:\n");
        for (i, d) in desired.iter().enumerate() {
            if let Side::Present(reason) = d {
                manifest.push_str(&format!("  - number: \"+1 {}\"\n    reason: {reason}\n", number(i)));
            }
        }
        if !desired.iter().any(|d| matches!(d, Side::Present(_))) {
            manifest = "defaults:\n  scope: global\nentries: []\n".into();
        }
        let p = Project::new(&Config::standard(), &[("lists/a.yaml", &manifest)]);
        p.dnc_ok(&s, &["apply", ".", "--yes"]);
        let after = p.dnc(&s, &["plan", ".", "--detailed-exitcode"]);
        prop_assert_eq!(after.code, 0, "{}", after.stdout);
        p.dnc_ok(&s, &["apply", ".", "--yes"]);
        let ledger = std::fs::read_to_string(p.path(".dnc/ledger.jsonl")).unwrap_or_default();
        let mut changed = std::collections::HashSet::new();
        for line in ledger.lines().filter(|l| l.contains("\"event\":\"finish\"")) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["change"] == "update" || v["change"] == "reassert" {
                prop_assert!(changed.insert(v["phone_number"].to_string()), "{}", ledger);
            }
        }
    }
}

#[test]
fn import_leaves_out_and_counts_reasons_the_api_does_not_show() {
    let s = Sandbox::start_seeded(remote(), &["--profile", "contract"]);
    // Only DNC is declared: the other reasons cannot be searched for, and no purpose can.
    let p = Project::new(&Config::standard().with("reasons: [DNC]\n"), &[]);
    let import = p.dnc_ok(&s, &["import", "."]);
    insta::assert_snapshot!(normalize(&import.stdout), @r#"
        Target: Convoso API at [sandbox]/
        global: 3 entries in Convoso; imported 1 entry into lists/imported-global.yaml
          1 entry without a reason in Convoso: not imported, left unmanaged (--blank-reason TEXT adopts them)
          1 entry whose reason or purpose the API does not show (its filters, the config's `reasons:` and `purposes:`, and the ledger did not tell it): not imported, left unmanaged
        campaign 111 "Sales Campaign": 1 entry in Convoso; nothing to import
          1 entry whose reason or purpose the API does not show (its filters, the config's `reasons:` and `purposes:`, and the ledger did not tell it): not imported, left unmanaged
        purpose-type: 1 entry in Convoso; nothing to import
          1 entry whose reason or purpose the API does not show (its filters, the config's `reasons:` and `purposes:`, and the ledger did not tell it): not imported, left unmanaged
        Wrote 1 file(s). `dnc plan` now shows no changes for these entries.
        "#);
    p.dnc_ok(&s, &["validate", "."]);
    let plan = p.dnc_ok(&s, &["plan", ".", "--detailed-exitcode"]);
    has(
        &plan.stdout,
        "Plan: 0 to create, 0 to update, 0 to remove, 0 to prune; 4 unmanaged",
    );
}

/// The searches one `dnc plan` sends to `s`.
fn plan_requests(p: &Project, s: &Sandbox) -> u64 {
    let before = s.requests();
    p.dnc_ok(s, &["plan", ".", "--detailed-exitcode"]);
    s.requests() - before
}

#[test]
fn learning_from_the_ledger_costs_six_searches_per_scope_whatever_its_size() {
    let mut manifest = String::from("defaults:\n  scope: global\nentries:\n");
    for i in 0..30 {
        manifest.push_str(&format!(
            "  - number: \"+1 202-555-01{i:02}\"\n    reason: DNC\n"
        ));
    }
    let mut sent = Vec::new();
    for profile in ["sdk", "contract"] {
        let s = Sandbox::start(&["--profile", profile]);
        let p = Project::new(&Config::standard(), &[("lists/a.yaml", &manifest)]);
        p.dnc_ok(&s, &["apply", ".", "--yes"]);
        sent.push(plan_requests(&p, &s));
    }
    // One page per scope; under the contract, for the one scope holding managed entries, two
    // counts and the smaller side (one empty page) for each of reason and purpose.
    assert_eq!(sent, [3, 9]);
}
