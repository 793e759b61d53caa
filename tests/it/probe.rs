//! `dnc probe`: the first contact with an account reads one page per scope, writes nothing,
//! and reports the answer shape the account speaks and what dnc does about it.

use crate::common::{Config, Project, Sandbox, normalize, run, scripted_server, seed};
use regex::Regex;

/// Every sandbox shape the probe is snapshotted against: each entry's arguments, and the
/// snapshot's name. Extend it with each `--profile` (and new variants) as they appear.
const SHAPES: &[(&str, &[&str])] = &[
    ("standard", &[]),
    ("no_data_wrapper", &["--variant", "no-data-wrapper"]),
    ("no_success", &["--variant", "no-success"]),
    ("sparse_answers", &["--variant", "sparse-answers"]),
    ("error_code", &["--variant", "error-code"]),
    ("sdk_codes", &["--variant", "sdk-codes"]),
    ("profile_sdk", &["--profile", "sdk"]),
    ("profile_date_only", &["--profile", "date-only"]),
];

/// Page times and the projection change from run to run.
fn stable(text: &str) -> String {
    let ms = Regex::new(r"\d+ ms").unwrap();
    let secs = Regex::new(r"about \d+\.\d s").unwrap();
    let json_ms = Regex::new(r#"("page_ms"|"projected_plan_seconds"): [\d.]+"#).unwrap();
    let text = ms.replace_all(text, "[n] ms");
    let text = secs.replace_all(&text, "about [n] s");
    normalize(&json_ms.replace_all(&text, "$1: [n]"))
}

fn seeded(args: &[&str]) -> Sandbox {
    Sandbox::start_seeded(
        [
            seed("2025550101", 0).reason("Customer Request"),
            seed("2025550102", 0),
            seed("2025550103", 111).purpose("TELEMKT"),
        ],
        args,
    )
}

/// Totals per scope, read through the client: what the store holds.
async fn totals(sandbox: &Sandbox) -> Vec<u64> {
    let mut out = Vec::new();
    for id in [0, 111, -1] {
        let q = dnc::api::SearchQuery {
            campaign_id: Some(dnc::entry::CampaignId(id)),
            ..Default::default()
        };
        out.push(sandbox.client().search(&q).await.expect("search").total);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_reports_each_shape_and_never_writes() {
    let project = Project::new(&Config::standard(), &[]);
    for (name, args) in SHAPES {
        let sandbox = seeded(args);
        let before = totals(&sandbox).await;
        let requests = sandbox.requests();
        let human = project.dnc_ok(&sandbox, &["probe"]);
        let json = project.dnc_ok(&sandbox, &["probe", "--format", "json"]);
        // One search per managed scope, twice: nothing else was sent.
        assert_eq!(sandbox.requests() - requests, 2 * 3, "{name}");
        assert_eq!(totals(&sandbox).await, before, "{name}: the store changed");
        insta::assert_snapshot!(format!("probe_{name}"), stable(&human.stdout));
        let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
        assert_eq!(report["format_version"], 1);
        assert_eq!(report["scopes"][0]["entries"], 2, "{name}");
        insta::assert_snapshot!(format!("probe_{name}_json"), stable(&json.stdout));
    }
}

#[test]
fn probe_names_a_scope_the_account_lacks() {
    let project = Project::new(&Config::new().scope("global", &[]).scope("999", &[]), &[]);
    let sandbox = Sandbox::start(&[]);
    let out = project.dnc_fail(&sandbox, 1, &["probe"]);
    assert!(out.stdout.contains("does not exist"), "{}", out.stdout);
    insta::assert_snapshot!(
        "probe_missing_scope",
        stable(&format!("{}\n{}", out.stdout, out.stderr))
    );
}

#[test]
fn probe_projects_a_full_plan_from_the_totals() {
    let entries = (0..2500).map(|n| seed(&format!("20255{n:05}"), 0));
    let sandbox = Sandbox::start_seeded(entries, &[]);
    let project = Project::new(&Config::new().scope("global", &[]), &[]);
    let out = project.dnc_ok(
        &sandbox,
        &["probe", "--format", "json", "--read-concurrency", "2"],
    );
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["scopes"][0]["entries"], 2500);
    assert_eq!(report["plan_pages"], 3);
    assert_eq!(report["read_concurrency"], 2);
    let page = report["page_ms"].as_f64().unwrap();
    let projected = report["projected_plan_seconds"].as_f64().unwrap();
    // Three pages two at a time: two waves of one page's time.
    assert!((projected - 2.0 * page / 1000.0).abs() <= 0.1, "{report}");
}

/// The search answers documented in convoso-dnc-api.md and typed by the public SDK, served
/// as they are (the sandbox serves them once it has profiles for them).
const DOCUMENTED: &[(&str, &str)] = &[
    (
        "contract_documented",
        r#"{"data":{"offset":0,"limit":100,"total":350,"entries":[{"id":"5083","phone_number":"5551234567","campaign_id":"0","insert_date":"2026-03-03","phone_code":"1","campaign_uid":"0","campaign_name":"Global DNC"}]}}"#,
    ),
    (
        "sdk_typed",
        r#"{"success":true,"data":{"offset":0,"limit":100,"total":"350","entries":[{"id":5083,"phone_number":"5551234567","campaign_id":0,"insert_date":"2026-03-03 10:30:00","phone_code":1,"campaign_uid":0,"campaign_name":"Global DNC","reason":"DNC","purpose":"","campaign_type":"DNC"}]}}"#,
    ),
];

#[test]
fn probe_reads_the_documented_shapes() {
    let project = Project::new(&Config::new().scope("global", &[]), &[]);
    for (name, answer) in DOCUMENTED {
        let url = scripted_server(vec![("/v1/dnc/search", answer)]);
        let out = run(project
            .command(&["probe"])
            .env("DNC_API_URL", url.as_str())
            .env("DNC_AUTH_TOKEN", "tok"))
        .ok();
        insta::assert_snapshot!(format!("probe_{name}"), stable(&out.stdout));
    }
}
