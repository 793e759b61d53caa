//! `dnc import` against the real sandbox: what it writes validates, the next plan shows no
//! changes, and whatever it cannot adopt honestly is left out and said.

use crate::harness::{Sandbox, TOKEN};
use crate::run::{CONFIG, Run, dnc};
use dnc::sandbox::SeedEntry;
use std::path::Path;

fn seed(code: u16, number: &str, campaign_id: i64, reason: &str, purpose: &str) -> SeedEntry {
    SeedEntry {
        phone_code: code,
        phone_number: number.into(),
        campaign_id,
        reason: (!reason.is_empty()).then(|| reason.into()),
        purpose: (!purpose.is_empty()).then(|| purpose.into()),
        insert_date: "2026-03-03 10:30:00".into(),
    }
}

fn remote() -> Vec<SeedEntry> {
    vec![
        seed(1, "2025550101", 0, "Customer Request", ""),
        seed(1, "2025550102", 0, "DNC", "TELEMKT"),
        seed(1, "2025550103", 0, "Litigator", ""),
        seed(1, "2025550104", 0, "ConsentRevoked", "COLLECT"),
        seed(1, "2025550105", 0, "DNC", ""),
        seed(1, "2025550106", 0, "Customer Request", ""),
        // Text a CSV cell cannot keep (edge spaces) or that needs escaping in YAML.
        seed(1, "2025550107", 0, " padded reason ", ""),
        seed(
            1,
            "2025550108",
            0,
            "said \"stop\" \\ ünï\tcödé # not a comment",
            "",
        ),
        // No reason: not importable without --blank-reason.
        seed(1, "2025550109", 0, "", ""),
        // No phone rule accepts it.
        seed(1, "12345", 0, "DNC", ""),
        seed(1, "2025550143", 111, "DNC", "TELEMKT"),
        seed(1, "2025550120", 111, "DNC", ""),
        seed(44, "2079460018", 111, "Customer Request", ""),
        seed(1, "2025550155", -1, "DNC", "COLLECT"),
    ]
}

fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dnc.yaml"), config).expect("write config");
    dir
}

fn env(s: &Sandbox) -> [(&'static str, String); 2] {
    [
        ("DNC_API_URL", s.url.to_string()),
        ("DNC_AUTH_TOKEN", TOKEN.to_string()),
    ]
}

fn run(dir: &Path, s: &Sandbox, args: &[&str]) -> Run {
    let env = env(s);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dnc(dir, args, &env)
}

/// Dates and the sandbox's port change from run to run.
fn stable(text: &str, s: &Sandbox) -> String {
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    text.replace(&today, "[today]")
        .replace(s.url.as_str(), "[sandbox]/")
}

/// Asserts `text` holds `needle`, showing all of `text` when it does not.
fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} not in:\n{text}");
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn plan_is_clean(dir: &Path, s: &Sandbox, unmanaged: usize) {
    let plan = run(dir, s, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    has(
        &plan.stdout,
        &format!("Plan: 0 to create, 0 to update, 0 to remove, 0 to prune; {unmanaged} unmanaged"),
    );
}

#[test]
fn an_import_validates_and_the_next_plan_shows_no_changes() {
    let s = Sandbox::start_seeded(remote(), &[]);
    let dir = project(CONFIG);
    let d = dir.path();

    let import = run(d, &s, &["import", ".", "--csv-threshold", "5"]);
    assert_eq!(import.code, 0, "{}{}", import.stdout, import.stderr);
    assert!(import.stderr.is_empty(), "{}", import.stderr);
    insta::assert_snapshot!("import_stdout", stable(&import.stdout, &s));
    let mut written: Vec<String> = std::fs::read_dir(d.join("lists"))
        .expect("lists/ was created")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "imported-campaign-111.yaml",
            "imported-global.csv",
            "imported-global.yaml",
            "imported-purpose-type.yaml"
        ]
    );
    for f in &written {
        insta::assert_snapshot!(
            format!("import_{f}"),
            stable(&read(d, &format!("lists/{f}")), &s)
        );
    }

    let validate = dnc(d, &["validate", "."], &[]);
    assert_eq!(validate.code, 0, "{}", validate.stdout);
    assert!(
        validate
            .stdout
            .ends_with("valid: 12 entries, 0 tombstones\n"),
        "{}",
        validate.stdout
    );
    // The entry without a reason and the unwritable number stay unmanaged drift.
    plan_is_clean(d, &s, 2);

    // Importing everything again would list every entry twice: refused, nothing written.
    let again = run(d, &s, &["import", "."]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("12 of the remote entries are already in manifests"),
        "{}",
        again.stderr
    );
    let before = read(d, "lists/imported-global.yaml");
    let same = run(d, &s, &["import", ".", "--only-unmanaged"]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    has(
        &same.stdout,
        "global: 10 entries in Convoso; nothing to import\n  8 entries already in manifests",
    );
    assert_eq!(read(d, "lists/imported-global.yaml"), before);
}

#[test]
fn drift_is_adopted_with_only_unmanaged_and_force() {
    let s = Sandbox::start_seeded(remote(), &[]);
    let dir = project(CONFIG);
    let d = dir.path();
    let first = run(d, &s, &["import", "."]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = read(d, "lists/imported-global.yaml");
    let insert = dnc::api::InsertRequest {
        phone_code: 1,
        phone_number: "2025550199".into(),
        campaign_id: dnc::entry::CampaignId::GLOBAL,
        reason: Some("DNC".into()),
        purpose: None,
    };
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(s.client().insert(&insert))
        .expect("insert drift");

    let refused = run(d, &s, &["import", ".", "--only-unmanaged"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("imported-global.yaml already exists")
            && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert_eq!(read(d, "lists/imported-global.yaml"), before);

    let adopted = run(d, &s, &["import", ".", "--only-unmanaged", "--force"]);
    assert_eq!(adopted.code, 0, "{}", adopted.stderr);
    let after = read(d, "lists/imported-global.yaml");
    assert!(after.contains("\"+1 202-555-0199\""), "{after}");
    assert_eq!(after.matches("- number:").count(), 9, "{after}");
    plan_is_clean(d, &s, 2);
}

#[test]
fn reasons_the_config_does_not_allow_stop_the_import() {
    let s = Sandbox::start_seeded(remote(), &[]);
    let config = format!("{CONFIG}reasons: [DNC, Customer Request]\npurposes: [TELEMKT]\n");
    let dir = project(&config);
    let out = run(dir.path(), &s, &["import", "."]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("import_not_allowed", stable(&out.stderr, &s));
    assert!(!dir.path().join("lists").exists(), "nothing is written");
}

#[test]
fn a_scope_the_account_does_not_have_stops_the_import() {
    let s = Sandbox::start_seeded(remote(), &[]);
    // The sandbox knows no campaign 333: the config names a scope that does not exist.
    let config = CONFIG.replace("  - scope: purpose-type\n", "  - scope: 333\n");
    let dir = project(&config);
    let out = run(dir.path(), &s, &["import", "."]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    has(&out.stderr, "dnc::config::unknown_scope");
    has(
        &out.stderr,
        "campaign 333 is not a campaign of this account",
    );
    assert!(!dir.path().join("lists/imported-global.yaml").exists());
}

#[test]
fn blank_reasons_are_adopted_only_with_a_reason_given_and_the_plan_then_sets_it() {
    let s = Sandbox::start_seeded(remote(), &[]);
    let dir = project(CONFIG);
    let d = dir.path();
    let out = run(
        d,
        &s,
        &[
            "import",
            ".",
            "--scope",
            "global",
            "--out",
            "lists/adopted.yaml",
            "--blank-reason",
            "Imported without a reason",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    has(
        &out.stdout,
        "1 entry without a reason in Convoso: written with the --blank-reason reason",
    );
    has(&out.stdout, "1 update(s) setting the --blank-reason reason");
    let plan = run(d, &s, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    has(&plan.stdout, "Plan: 0 to create, 1 to update, 0 to remove");
}

#[test]
fn an_out_path_the_globs_miss_is_written_with_a_warning() {
    let s = Sandbox::start_seeded(remote(), &[]);
    let dir = project(CONFIG);
    let out = run(
        dir.path(),
        &s,
        &[
            "import",
            ".",
            "--scope",
            "purpose-type",
            "--out",
            "elsewhere",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    has(
        &out.stderr,
        "warning: elsewhere/imported-purpose-type.yaml is not matched by the config's `manifests` globs (lists/*.yaml)",
    );
}

#[test]
fn help() {
    let dir = tempfile::tempdir().unwrap();
    let out = dnc(dir.path(), &["import", "--help"], &[]);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("import_help", out.stdout);
}
