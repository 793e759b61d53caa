//! `dnc import` against the real sandbox: what it writes validates, the next plan shows no
//! changes, and whatever it cannot adopt honestly is left out and said.

use crate::common::{Config, Project, SDK, Sandbox, Seed, dnc_ok, normalize, seed};
use std::path::Path;

/// When the remote entries were inserted.
const DATE: &str = "2026-03-03 10:30:00";

fn remote() -> Vec<Seed> {
    vec![
        seed("2025550101", 0).reason("Customer Request").at(DATE),
        seed("2025550102", 0)
            .reason("DNC")
            .purpose("TELEMKT")
            .at(DATE),
        seed("2025550103", 0).reason("Litigator").at(DATE),
        seed("2025550104", 0)
            .reason("ConsentRevoked")
            .purpose("COLLECT")
            .at(DATE),
        seed("2025550105", 0).reason("DNC").at(DATE),
        seed("2025550106", 0).reason("Customer Request").at(DATE),
        // Text a CSV cell cannot keep (edge spaces) or that needs escaping in YAML.
        seed("2025550107", 0).reason(" padded reason ").at(DATE),
        seed("2025550108", 0)
            .reason("said \"stop\" \\ ünï cödé # not a comment ")
            .at(DATE),
        // No reason: not importable without --blank-reason.
        seed("2025550109", 0).at(DATE),
        // No phone rule accepts it.
        seed("12345", 0).reason("DNC").at(DATE),
        seed("2025550143", 111)
            .reason("DNC")
            .purpose("TELEMKT")
            .at(DATE),
        seed("2025550120", 111).reason("DNC").at(DATE),
        seed("2079460018", 111)
            .code(44)
            .reason("Customer Request")
            .at(DATE),
        seed("2025550155", -1)
            .reason("DNC")
            .purpose("COLLECT")
            .at(DATE),
        // A tab: the API refuses it, so validate would refuse a manifest holding it.
        seed("2025550110", 0).reason("Asked\tby phone").at(DATE),
    ]
}

/// Asserts `text` holds `needle`, showing all of `text` when it does not.
fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} not in:\n{text}");
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn plan_is_clean(p: &Project, s: &Sandbox, unmanaged: usize) {
    let plan = p.dnc_ok(s, &["plan", ".", "--detailed-exitcode"]);
    has(
        &plan.stdout,
        &format!("Plan: 0 to create, 0 to update, 0 to remove, 0 to prune; {unmanaged} unmanaged"),
    );
}

#[test]
fn an_import_validates_and_the_next_plan_shows_no_changes() {
    let s = Sandbox::start_seeded(remote(), SDK);
    let p = Project::new(&Config::standard(), &[]);
    let d = p.dir.path();

    let import = p.dnc_ok(&s, &["import", ".", "--csv-threshold", "5"]);
    assert!(import.stderr.is_empty(), "{}", import.stderr);
    insta::assert_snapshot!(normalize(&import.stdout), @r#"
    Target: Convoso API at [sandbox]/
    global: 11 entries in Convoso; imported 8 entries into lists/imported-global.yaml + lists/imported-global.csv
      1 entry without a reason in Convoso: not imported, left unmanaged (--blank-reason TEXT adopts them)
      1 entry with a reason or purpose the API refuses (control characters, over 255 characters, -BLANK-): not imported, left unmanaged
      1 entry with a number no manifest can hold (+1 12345): not imported, left unmanaged
    campaign 111 "Sales Campaign": 3 entries in Convoso; imported 3 entries into lists/imported-campaign-111.yaml
    purpose-type: 1 entry in Convoso; imported 1 entry into lists/imported-purpose-type.yaml
    Wrote 4 file(s). `dnc plan` now shows no changes for these entries.
    "#);
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
            normalize(&read(d, &format!("lists/{f}")))
        );
    }

    let validate = dnc_ok(d, &["validate", "."]);
    assert!(
        validate
            .stdout
            .ends_with("valid: 12 entries, 0 tombstones\n"),
        "{}",
        validate.stdout
    );
    // The entries without a reason or with a tab, and the unwritable number, stay unmanaged.
    plan_is_clean(&p, &s, 3);

    // Importing everything again would list every entry twice: refused, nothing written.
    let again = p.dnc_fail(&s, 1, &["import", "."]);
    assert!(
        again
            .stderr
            .contains("12 of the remote entries are already in manifests"),
        "{}",
        again.stderr
    );
    let before = read(d, "lists/imported-global.yaml");
    let same = p.dnc_ok(&s, &["import", ".", "--only-unmanaged"]);
    has(
        &same.stdout,
        "global: 11 entries in Convoso; nothing to import\n  8 entries already in manifests",
    );
    assert_eq!(read(d, "lists/imported-global.yaml"), before);
}

#[test]
fn drift_is_adopted_with_only_unmanaged_and_force() {
    let s = Sandbox::start_seeded(remote(), SDK);
    let p = Project::new(&Config::standard(), &[]);
    let d = p.dir.path();
    p.dnc_ok(&s, &["import", "."]);
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

    let refused = p.dnc_fail(&s, 1, &["import", ".", "--only-unmanaged"]);
    assert!(
        refused
            .stderr
            .contains("imported-global.yaml already exists")
            && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert_eq!(read(d, "lists/imported-global.yaml"), before);

    p.dnc_ok(&s, &["import", ".", "--only-unmanaged", "--force"]);
    let after = read(d, "lists/imported-global.yaml");
    assert!(after.contains("\"+1 202-555-0199\""), "{after}");
    assert_eq!(after.matches("- number:").count(), 9, "{after}");
    plan_is_clean(&p, &s, 3);
}

#[test]
fn reasons_the_config_does_not_allow_stop_the_import() {
    let s = Sandbox::start_seeded(remote(), SDK);
    let config = Config::standard().with("reasons: [DNC, Customer Request]\npurposes: [TELEMKT]\n");
    let p = Project::new(&config, &[]);
    let out = p.dnc_fail(&s, 1, &["import", "."]);
    insta::assert_snapshot!(normalize(&out.stderr), @r#"
    dnc::import::not_allowed

      × the config does not allow the remote reasons " padded reason ",
      │ "ConsentRevoked", "Litigator", "said \"stop\" \\ ünï cödé # not a comment
      │ " and purposes "COLLECT"
      help: if the account accepts them, add them to `reasons:` / `purposes:` in
            the config, then import again; nothing was written
    "#);
    assert!(!p.path("lists").exists(), "nothing is written");
}

#[test]
fn a_scope_the_account_does_not_have_stops_the_import() {
    let s = Sandbox::start_seeded(remote(), SDK);
    // The sandbox knows no campaign 333: the config names a scope that does not exist.
    let config = Config::new()
        .scope("global", &[])
        .scope("111", &[("name", "Sales Campaign")])
        .scope("333", &[]);
    let p = Project::new(&config, &[]);
    let out = p.dnc_fail(&s, 1, &["import", "."]);
    has(&out.stderr, "dnc::config::unknown_scope");
    has(
        &out.stderr,
        "campaign 333 is not a campaign of this account",
    );
    assert!(!p.path("lists/imported-global.yaml").exists());
}

#[test]
fn blank_reasons_are_adopted_only_with_a_reason_given_and_the_plan_then_sets_it() {
    let s = Sandbox::start_seeded(remote(), SDK);
    let p = Project::new(&Config::standard(), &[]);
    let out = p.dnc_ok(
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
    has(
        &out.stdout,
        "1 entry without a reason in Convoso: written with the --blank-reason reason",
    );
    has(&out.stdout, "1 update(s) setting the --blank-reason reason");
    let plan = p.dnc_fail(&s, 2, &["plan", ".", "--detailed-exitcode"]);
    has(&plan.stdout, "Plan: 0 to create, 1 to update, 0 to remove");
}

#[test]
fn an_out_path_the_globs_miss_is_written_with_a_warning() {
    let s = Sandbox::start_seeded(remote(), SDK);
    let p = Project::new(&Config::standard(), &[]);
    let out = p.dnc_ok(
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
    has(
        &out.stderr,
        "warning: elsewhere/imported-purpose-type.yaml is not matched by the config's `manifests` globs (lists/*.yaml)",
    );
}

/// The API's keyword `-BLANK-` held as a reason (or purpose) is not written into a manifest,
/// where `validate` refuses it: the entry is left out, counted, and the files validate.
#[test]
fn keyword_reasons_are_left_out_not_written() {
    let sandbox = Sandbox::start_seeded(
        [
            seed("2025550150", 0).reason("-BLANK-").at(DATE),
            seed("2025550152", 0)
                .reason("DNC")
                .purpose("-notblank-")
                .at(DATE),
            seed("2025550151", 0).reason("DNC").at(DATE),
        ],
        SDK,
    );
    let project = Project::new(&Config::new().scope("global", &[]), &[]);
    let out = project.dnc_ok(&sandbox, &["import", "--out", "lists"]);
    has(
        &out.stdout,
        "  2 entries with a reason or purpose the API refuses (control characters, over 255 characters, -BLANK-): not imported, left unmanaged",
    );
    let written = read(project.dir.path(), "lists/imported-global.yaml");
    assert!(!written.to_lowercase().contains("blank-"), "{written}");
    dnc_ok(project.dir.path(), &["validate"]);
    plan_is_clean(&project, &sandbox, 2);
}
