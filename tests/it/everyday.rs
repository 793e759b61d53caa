//! The everyday commands: `dnc init` (a new repository that validates and plans at once),
//! `dnc add` and `dnc remove` (manifests edited in place, comments kept, checked before they
//! are written, a second run changing nothing), a config's `require`, and what a command
//! says when there is no config where it looks.

use crate::common::{CRM_MAPPING, Config, Project, dnc, dnc_fail, dnc_ok, normalize};
use std::path::Path;

const TODAY: &str = "2026-03-09";

/// `dnc ARGS` in `dir` on a fixed day.
fn on_today(dir: &Path, args: &[&str]) -> crate::common::Run {
    dnc(dir, args, &[("DNC_TODAY", TODAY)])
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

#[test]
fn init_writes_a_project_that_validates_formats_and_plans() {
    let temp = tempfile::tempdir().unwrap();
    let init = dnc_ok(temp.path(), &["init", "dnc"]);
    insta::assert_snapshot!("init_output", init.stdout);
    let dir = temp.path().join("dnc");
    insta::assert_snapshot!("init_config", read(&dir, "dnc.yaml"));
    insta::assert_snapshot!("init_manifest", read(&dir, "lists/opt-outs.yaml"));
    assert_eq!(read(&dir, ".gitignore"), ".dnc/\n");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github");
    for name in ["dnc-plan.yml", "dnc-apply.yml", "dnc-drift.yml"] {
        let copied = read(&dir, &format!(".github/workflows/{name}"));
        assert_eq!(copied, read(&examples, name), "{name}");
    }
    let schema = dnc_ok(&dir, &["schema", "manifest"]).stdout;
    assert_eq!(read(&dir, "schema/manifest.schema.json"), schema);

    let valid = dnc_ok(&dir, &["validate"]);
    assert!(
        valid.stdout.ends_with("valid: 0 entries, 0 tombstones\n"),
        "{}",
        valid.stdout
    );
    dnc_ok(&dir, &["fmt", "--check"]);
    let plan = dnc_ok(&dir, &["plan"]);
    assert!(plan.stdout.contains("embedded sandbox"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to create"), "{}", plan.stdout);

    // The first `dnc add` the manifest's comment shows works as it says, and stays formatted.
    let add = on_today(
        &dir,
        &[
            "add",
            "(202) 555-0143",
            "--reason",
            "Customer Request",
            "--ticket",
            "COMP-1234",
        ],
    )
    .ok();
    assert!(
        add.stdout
            .starts_with("added +1 202-555-0143 to global at lists/opt-outs.yaml:13\n"),
        "{}",
        add.stdout
    );
    insta::assert_snapshot!("init_manifest_after_add", read(&dir, "lists/opt-outs.yaml"));
    dnc_ok(&dir, &["fmt", "--check"]);
}

#[test]
fn init_takes_the_common_choices_as_flags() {
    let temp = tempfile::tempdir().unwrap();
    let args = [
        "init",
        "--phone-code",
        "44",
        "--scope",
        "111",
        "--scope",
        "global",
        "--reasons",
        "DNC,Litigator: do not call",
    ];
    dnc_ok(temp.path(), &args);
    insta::assert_snapshot!(read(temp.path(), "dnc.yaml"), @r#"
    # yaml-language-server: $schema=schema/config.schema.json
    # dnc's root config: which manifests to read and which Convoso DNC lists dnc manages.
    # `dnc validate` checks it; docs/manifest-format.md in dnc's repository describes every key.
    version: 1
    manifests: ["lists/*.yaml"]
    phone_code: 44 # numbers written without "+" have this country code
    scopes: # the only lists dnc reads and changes: global, purpose-type or a campaign id
      - scope: 111
      - scope: global
    reasons: [DNC, "Litigator: do not call"] # the reasons entries may give
    require: [requested_at] # every entry says when it was asked for: the deadline counts from it
    "#);
    assert!(read(temp.path(), "lists/opt-outs.yaml").contains("defaults:\n  scope: 111\n"));
    dnc_ok(temp.path(), &["validate"]);
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join(".gitignore"), "target/\n").unwrap();
    let run = dnc_fail(temp.path(), 1, &["init"]);
    insta::assert_snapshot!(normalize(&run.stderr), @r"
    dnc::init::exists

      × .gitignore already exists; dnc init writes nothing over an existing file
      help: run dnc init in a new or empty directory, or move the file away;
            nothing was written
    ");
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only .gitignore is there");
    assert_eq!(read(temp.path(), ".gitignore"), "target/\n");
}

/// A manifest with comments everywhere `dnc add` and `dnc remove` must keep them.
const OPT_OUTS: &str = r#"# yaml-language-server: $schema=../schema/manifest.schema.json
# People who asked never to be called.
defaults:
  scope: global   # every campaign
  reason: Customer Request
entries:
  # Asked on the phone.
  - number: "(202) 555-0143"
    ticket: COMP-1234   # the call's ticket
    requested_at: 2026-03-01
  - number: "+1 202-555-0178"
    reason: DNC
    requested_at: 2026-03-04

# Tombstones below.
removals:
  - number: "202-555-0199"
    removal_reason: Consent re-obtained in writing, COMP-1301
# end of file
"#;

/// `dnc ARGS` in `dir` fails with the error `code` and leaves the manifest as it was.
#[track_caller]
fn refused(dir: &Path, args: &[&str], code: &str) {
    let run = on_today(dir, args).fails(1);
    assert!(run.stderr.contains(code), "{}", run.stderr);
    assert_eq!(read(dir, "lists/opt-outs.yaml"), OPT_OUTS);
}

fn project() -> Project {
    let config = Config::new()
        .scope("global", &[])
        .scope("111", &[])
        .with("reasons: [Customer Request, DNC, State DNC import]\n");
    Project::new(
        &config,
        &[
            ("lists/opt-outs.yaml", OPT_OUTS),
            (
                "lists/state.yaml",
                "defaults:\n  scope: global\ninclude:\n  - csv: state.csv\n    reason: State DNC import\n",
            ),
            (
                "lists/state.csv",
                "number,requested_at\n2025550101,2026-01-15\n(202) 555-0102,2026-01-15\n",
            ),
        ],
    )
}

#[test]
fn add_appends_keeping_comments_and_a_second_run_changes_nothing() {
    let p = project();
    let dir = p.dir.path();
    let args = [
        "add",
        "202.555.0111",
        "+1 (202) 555-0164",
        "--reason",
        "DNC",
        "--ticket",
        "COMP-1400",
        "--source",
        "inbound call",
    ];
    let first = on_today(dir, &args).ok();
    insta::assert_snapshot!(first.stdout, @r"
    added +1 202-555-0111 to global at lists/opt-outs.yaml:14
    added +1 202-555-0164 to global at lists/opt-outs.yaml:19
    next: dnc plan shows what applying changes; commit the manifest for review
    ");
    let written = read(dir, "lists/opt-outs.yaml");
    insta::assert_snapshot!("add_manifest", written);
    assert!(written.starts_with(&OPT_OUTS[..OPT_OUTS.find("\n# Tombstones").unwrap()]));
    dnc_ok(dir, &["validate"]);

    let again = on_today(dir, &args).ok();
    insta::assert_snapshot!(again.stdout, @r"
    +1 202-555-0111 is already listed in global at lists/opt-outs.yaml:14: unchanged
    +1 202-555-0164 is already listed in global at lists/opt-outs.yaml:19: unchanged
    nothing changed
    ");
    assert_eq!(read(dir, "lists/opt-outs.yaml"), written);
}

#[test]
fn add_says_where_a_number_already_is_and_adds_the_rest() {
    let p = project();
    let dir = p.dir.path();
    let run = on_today(
        dir,
        &[
            "add",
            "2025550102",
            "202-555-0143",
            "2025550120",
            "--reason",
            "DNC",
            "--format",
            "json",
        ],
    )
    .ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    insta::assert_json_snapshot!(json, @r#"
    {
      "changed": true,
      "format_version": 1,
      "numbers": [
        {
          "action": "already_listed",
          "file": "lists/state.csv",
          "line": 3,
          "number": "+1 202-555-0102",
          "phone_code": 1,
          "phone_number": "2025550102",
          "scope": "global"
        },
        {
          "action": "already_listed",
          "file": "lists/opt-outs.yaml",
          "line": 8,
          "number": "+1 202-555-0143",
          "phone_code": 1,
          "phone_number": "2025550143",
          "scope": "global"
        },
        {
          "action": "added",
          "file": "lists/opt-outs.yaml",
          "line": 14,
          "number": "+1 202-555-0120",
          "phone_code": 1,
          "phone_number": "2025550120",
          "scope": "global"
        }
      ]
    }
    "#);
    // Another scope is another entry, written with its scope.
    let other = on_today(
        dir,
        &["add", "2025550143", "--reason", "DNC", "--scope", "111"],
    )
    .ok();
    assert!(
        other
            .stdout
            .starts_with("added +1 202-555-0143 to campaign 111"),
        "{}",
        other.stdout
    );
    assert!(
        read(dir, "lists/opt-outs.yaml")
            .contains("- number: \"+1 202-555-0143\"\n    scope: 111\n    reason: DNC\n")
    );
}

#[test]
fn add_writes_nothing_when_the_number_or_the_result_is_invalid() {
    let p = project();
    let dir = p.dir.path();
    let bad = on_today(dir, &["add", "202-555-01", "--reason", "DNC"]).fails(1);
    insta::assert_snapshot!(normalize(&bad.stderr), @r"
    dnc::number::argument

      × `202-555-01` has 8 digits, which no +1 number has
      help: write the number with `+` and its country code, or pass --phone-code
    ");
    let not_allowed = on_today(dir, &["add", "2025550111", "--reason", "Angry"]).fails(1);
    insta::assert_snapshot!(normalize(&not_allowed.stderr), @r#"
    dnc::entry::not_allowed

      × `Angry` is not an allowed reason
        ╭─[lists/opt-outs.yaml:15:13]
     14 │   - number: "+1 202-555-0111"
     15 │     reason: Angry
        ·             ──┬──
        ·               ╰── not in the config's `reasons`
     16 │     requested_at: 2026-03-09
        ╰────
      help: allowed: Customer Request, DNC, State DNC import

    1 error, 0 warnings
    dnc::edit::invalid

      × the result would be invalid; nothing was written
      help: fix what is named above (a reason the config allows, a scope it
            manages, …) and run the command again
    "#);
    let unmanaged = on_today(
        dir,
        &["add", "2025550111", "--reason", "DNC", "--scope", "222"],
    )
    .fails(1);
    assert!(
        unmanaged
            .stderr
            .contains("campaign 222 is not a scope this config manages"),
        "{}",
        unmanaged.stderr
    );
    assert_eq!(read(dir, "lists/opt-outs.yaml"), OPT_OUTS);
}

#[test]
fn add_to_a_new_file_creates_it_when_the_config_reads_it() {
    let p = project();
    let dir = p.dir.path();
    let outside = [
        "add",
        "2025550111",
        "--reason",
        "DNC",
        "--to",
        "other/x.yaml",
    ];
    refused(dir, &outside, "dnc::edit::not_a_manifest");
    let run = on_today(
        dir,
        &[
            "add",
            "2025550111",
            "--reason",
            "DNC",
            "--scope",
            "111",
            "--to",
            "lists/campaign-111.yaml",
        ],
    )
    .ok();
    assert!(
        run.stdout
            .starts_with("added +1 202-555-0111 to campaign 111 at lists/campaign-111.yaml:2\n"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!(read(dir, "lists/campaign-111.yaml"), @r#"
    entries:
      - number: "+1 202-555-0111"
        scope: 111
        reason: DNC
        requested_at: 2026-03-09
    "#);
}

#[test]
fn remove_turns_the_entry_into_a_tombstone_once() {
    let p = project();
    let dir = p.dir.path();
    let args = [
        "remove",
        "(202) 555-0143",
        "--reason",
        "Entered in error, COMP-1410",
        "--ticket",
        "COMP-1410",
    ];
    let first = on_today(dir, &args).ok();
    insta::assert_snapshot!(first.stdout, @r"
    removed +1 202-555-0143 from global: the entry at lists/opt-outs.yaml:8 is now the tombstone at lists/opt-outs.yaml:16
    next: dnc plan shows what applying changes; commit the manifest for review
    ");
    let written = read(dir, "lists/opt-outs.yaml");
    insta::assert_snapshot!("remove_manifest", written);
    dnc_ok(dir, &["validate"]);
    let again = on_today(dir, &args).ok();
    insta::assert_snapshot!(again.stdout, @r"
    +1 202-555-0143 already has a tombstone in global at lists/opt-outs.yaml:16: unchanged
    nothing changed
    ");
    assert_eq!(read(dir, "lists/opt-outs.yaml"), written);
}

#[test]
fn remove_of_a_number_no_manifest_lists_writes_a_tombstone_without_reading_the_remote() {
    let p = project();
    let dir = p.dir.path();
    let run = on_today(
        dir,
        &["remove", "2025550190", "--reason", "Listed by mistake"],
    )
    .ok();
    insta::assert_snapshot!(run.stdout, @r"
    wrote a tombstone for +1 202-555-0190 in global at lists/opt-outs.yaml:19; no manifest listed it and the remote list was not read: dnc plan shows whether it holds the number
    next: dnc plan shows what applying changes; commit the manifest for review
    ");
    assert!(read(dir, "lists/opt-outs.yaml").contains(
        "    removal_reason: Consent re-obtained in writing, COMP-1301\n  - number: \"+1 202-555-0190\"\n    removal_reason: Listed by mistake\n    requested_at: 2026-03-09\n# end of file\n"
    ));
}

#[test]
fn remove_of_a_csv_row_says_which_file_to_edit() {
    let p = project();
    let dir = p.dir.path();
    let run = on_today(dir, &["remove", "2025550102", "--reason", "Wrong digit"]).fails(1);
    insta::assert_snapshot!(normalize(&run.stderr), @r"
    dnc::remove::in_csv

      × +1 202-555-0102 (global) is a row of the CSV file lists/state.csv:3; dnc
      │ remove edits YAML manifests only
      help: delete that row from lists/state.csv, then run the same dnc remove
            again: it writes the tombstone
    ");
    assert_eq!(read(dir, "lists/opt-outs.yaml"), OPT_OUTS);
}

#[test]
fn a_required_field_missing_is_an_error_at_the_entry() {
    let config = Config::new()
        .scope("global", &[])
        .with("require: [requested_at, ticket]\n");
    let p = Project::new(
        &config,
        &[
            ("lists/opt-outs.yaml", OPT_OUTS),
            (
                "lists/state.yaml",
                "defaults:\n  scope: global\ninclude:\n  - csv: state.csv\n    reason: DNC\n",
            ),
            (
                "lists/state.csv",
                "number,ticket,requested_at\n2025550101,T-1,2026-01-15\n2025550102,,2026-01-15\n",
            ),
        ],
    );
    let run = dnc(p.dir.path(), &["validate"], &[]).fails(1);
    insta::assert_snapshot!("require_diagnostics", normalize(&run.stdout));
}

#[test]
fn without_a_config_the_commands_name_the_path_and_the_fix() {
    let temp = tempfile::tempdir().unwrap();
    let empty = dnc_fail(temp.path(), 1, &["plan"]);
    assert!(
        !empty.stderr.contains("manifests are invalid"),
        "{}",
        empty.stderr
    );
    insta::assert_snapshot!(normalize(&empty.stderr), @r"
    dnc::config::not_found

      × no dnc config at [tmp]/dnc.yaml
      help: run `dnc init` to start one here, or pass the config file or the
            directory that holds it
    ");
    dnc_ok(temp.path(), &["init", "lists-repo"]);
    let history = dnc_fail(temp.path(), 1, &["history", "2025550143"]);
    insta::assert_snapshot!(normalize(&history.stderr), @r"
    dnc::config::not_found

      × no dnc config at [tmp]/dnc.yaml
      help: pass the directory that holds it, e.g. `lists-repo` (a path argument,
            or --config for add and remove), or run `dnc init` to start one here
    ");
}

#[test]
fn remove_asks_which_scope_when_the_number_is_in_several() {
    let p = project();
    let dir = p.dir.path();
    on_today(
        dir,
        &["add", "2025550143", "--reason", "DNC", "--scope", "111"],
    )
    .ok();
    let both = on_today(dir, &["remove", "2025550143", "--reason", "Wrong digit"]).fails(1);
    insta::assert_snapshot!(normalize(&both.stderr), @r"
    dnc::remove::ambiguous

      × +1 202-555-0143 is listed in several scopes: global at lists/opt-
      │ outs.yaml:8, campaign 111 at lists/opt-outs.yaml:14
      help: pass --scope to say which one to remove
    ");
    let one = on_today(
        dir,
        &[
            "remove",
            "2025550143",
            "--reason",
            "Wrong digit",
            "--scope",
            "111",
        ],
    )
    .ok();
    assert!(
        one.stdout
            .starts_with("removed +1 202-555-0143 from campaign 111"),
        "{}",
        one.stdout
    );
    let text = read(dir, "lists/opt-outs.yaml");
    assert!(
        text.contains(
            "  - number: \"+1 202-555-0143\"\n    scope: 111\n    removal_reason: Wrong digit\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  - number: \"(202) 555-0143\"\n    ticket: COMP-1234"),
        "{text}"
    );
}

#[test]
fn requested_at_is_checked_and_written_as_given() {
    let p = project();
    let dir = p.dir.path();
    let bad = [
        "add",
        "2025550111",
        "--reason",
        "DNC",
        "--requested-at",
        "03/09/2026",
    ];
    refused(dir, &bad, "dnc::edit::requested_at");
    let when = "2026-03-06T16:45:00-05:00";
    on_today(
        dir,
        &[
            "add",
            "2025550111",
            "--reason",
            "DNC",
            "--requested-at",
            when,
        ],
    )
    .ok();
    assert!(read(dir, "lists/opt-outs.yaml").contains(&format!("    requested_at: {when}\n")));
    dnc_ok(dir, &["validate"]);
}

#[test]
fn a_required_field_may_come_from_the_defaults_where_it_can() {
    let config = Config::new()
        .scope("global", &[])
        .with("require: [purpose, requested_at]\n");
    let manifest = "defaults:\n  scope: global\n  reason: DNC\n  purpose: TELEMKT\nentries:\n  - number: \"2025550143\"\n    requested_at: 2026-03-01\n";
    let p = Project::new(&config, &[("lists/a.yaml", manifest)]);
    dnc_ok(p.dir.path(), &["validate"]);
    // `dnc add` writes `requested_at` itself, so a config that requires it takes the entry.
    on_today(p.dir.path(), &["add", "2025550178", "--reason", "DNC"]).ok();
    dnc_ok(p.dir.path(), &["validate"]);
}

#[test]
fn add_csv_adds_a_crm_export_through_a_mapping_and_a_second_run_changes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm");
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    std::fs::create_dir_all(dir.join("exports")).unwrap();
    std::fs::copy(fixture.join("dnc.yaml"), dir.join("dnc.yaml")).unwrap();
    let export = read(&fixture, "lists/exports/opt-outs-2026-03.csv");
    std::fs::write(dir.join("exports/opt-outs-2026-03.csv"), &export).unwrap();
    let manifest = "# The CRM's opt-outs.\ndefaults:\n  scope: global\nentries: []  # none yet\n";
    std::fs::write(dir.join("lists/crm.yaml"), manifest).unwrap();

    let mut args = vec!["add", "--csv", "exports/opt-outs-2026-03.csv"];
    args.extend(CRM_MAPPING);
    args.extend(["--reason", "Customer Request", "--source", "CRM export"]);
    let first = on_today(dir, &args).ok();
    insta::assert_snapshot!(first.stdout, @r"
    added 500 number(s) at lists/crm.yaml:5-2500
    exports/opt-outs-2026-03.csv: 500 row(s): 500 added, 0 already listed, 0 refused
    next: dnc plan shows what applying changes; commit the manifest for review
    ");
    let written = read(dir, "lists/crm.yaml");
    let head: String = written.lines().take(16).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!(head, @r#"
    # The CRM's opt-outs.
    defaults:
      scope: global
    entries:  # none yet
      - number: "+1 202-555-0100"
        reason: Customer Request
        ticket: C-10001
        requested_at: 2026-02-02
        source: CRM export
      - number: "+1 202-555-0101"
        reason: Customer Request
        ticket: C-10002
        requested_at: 2026-03-03
        source: CRM export
      - number: "+1 202-555-0102"
        reason: Customer Request
    "#);
    let valid = dnc_ok(dir, &["validate"]);
    assert!(
        valid.stdout.ends_with("valid: 500 entries, 0 tombstones\n"),
        "{}",
        valid.stdout
    );
    dnc_ok(dir, &["fmt", "--check"]);

    let again = on_today(dir, &args).ok();
    insta::assert_snapshot!(again.stdout, @r"
    exports/opt-outs-2026-03.csv:2: +1 202-555-0100 is already listed in global at lists/crm.yaml:5: unchanged
    exports/opt-outs-2026-03.csv:3: +1 202-555-0101 is already listed in global at lists/crm.yaml:10: unchanged
    exports/opt-outs-2026-03.csv:4: +1 202-555-0102 is already listed in global at lists/crm.yaml:15: unchanged
    exports/opt-outs-2026-03.csv:5: +1 202-555-0103 is already listed in global at lists/crm.yaml:20: unchanged
    exports/opt-outs-2026-03.csv:6: +1 202-555-0104 is already listed in global at lists/crm.yaml:25: unchanged
    exports/opt-outs-2026-03.csv:7: +1 202-555-0105 is already listed in global at lists/crm.yaml:30: unchanged
    exports/opt-outs-2026-03.csv:8: +1 202-555-0106 is already listed in global at lists/crm.yaml:35: unchanged
    exports/opt-outs-2026-03.csv:9: +1 202-555-0107 is already listed in global at lists/crm.yaml:40: unchanged
    exports/opt-outs-2026-03.csv:10: +1 202-555-0108 is already listed in global at lists/crm.yaml:45: unchanged
    exports/opt-outs-2026-03.csv:11: +1 202-555-0109 is already listed in global at lists/crm.yaml:50: unchanged
    … and 490 more already listed (--format json lists every row)
    exports/opt-outs-2026-03.csv: 500 row(s): 0 added, 500 already listed, 0 refused
    nothing changed
    ");
    assert_eq!(read(dir, "lists/crm.yaml"), written);

    // The fixture as it is reads the same file as an include: every row is already listed
    // there, at its own line.
    let mut args = vec!["add", "--csv", "lists/exports/opt-outs-2026-03.csv"];
    args.extend(CRM_MAPPING);
    args.extend([
        "--reason",
        "Customer Request",
        "--scope",
        "global",
        "--format",
        "json",
    ]);
    let json = on_today(&fixture, &args).ok();
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["changed"], false);
    assert_eq!(json["already_listed"], 500);
    let last = &json["rows"][499];
    assert_eq!(last["csv_line"], 501);
    assert_eq!(last["file"], "lists/exports/opt-outs-2026-03.csv");
    assert_eq!(last["line"], 501);
}

#[test]
fn add_csv_reports_every_row_it_cannot_add_at_its_line() {
    let p = project();
    let dir = p.dir.path();
    let hostile = "Phone Number,Opt Out Date,Name\n\
        (202) 555-0181,03/02/2026,Ann\n\
        555-01,03/02/2026,Bob\n\
        (202) 555-0182,31/02/2026,Cy\n\
        (202) 555-0143,03/02/2026,Dee\n\
        2025550101,03/02/2026,Eve\n\
        202-555-0199,03/02/2026,Fay\n\
        \"(202) 555-0181\",03/05/2026,Ann again\n\
        2025550183,03/06/2026\n";
    p.write("crm.csv", hostile);
    let args = [
        "add",
        "--csv",
        "crm.csv",
        "--column",
        "number=Phone Number",
        "--column",
        "requested_at=Opt Out Date",
        "--date-format",
        "%m/%d/%Y",
        "--ignore",
        "Name",
        "--reason",
        "DNC",
    ];
    let first = on_today(dir, &args).fails(1);
    insta::assert_snapshot!(first.stdout, @r"
    crm.csv:3: refused: `555-01` has 5 digits, which no +1 number has: write it with `+` and its country code, or pass --phone-code
    crm.csv:4: refused: `31/02/2026` is not a day written as `%m/%d/%Y`: write the day as --date-format says (2026-03-01 is `03/01/2026`), or fix the format
    crm.csv:7: refused: +1 202-555-0199 (global) has a tombstone at lists/opt-outs.yaml:17: it was removed on purpose; delete the tombstone first to add it again
    crm.csv:9: refused: row has 2 fields, the header has 3: give every row the header's columns; quote a field that holds a comma
    crm.csv:5: +1 202-555-0143 is already listed in global at lists/opt-outs.yaml:8: unchanged
    crm.csv:6: +1 202-555-0101 is already listed in global at lists/state.csv:2: unchanged
    crm.csv:8: +1 202-555-0181 is already listed in global at lists/opt-outs.yaml:14: unchanged
    added 1 number(s) at lists/opt-outs.yaml:14
    crm.csv: 8 row(s): 1 added, 3 already listed, 4 refused
    next: fix the refused rows and run the same command again (rows added now are then already listed)
    ");
    let written = read(dir, "lists/opt-outs.yaml");
    insta::assert_snapshot!("add_csv_hostile_manifest", written);
    dnc_ok(dir, &["validate"]);

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let again = on_today(dir, &json_args).fails(1);
    let json: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(
        (
            &json["changed"],
            &json["added"],
            &json["already_listed"],
            &json["refused"]
        ),
        (&false.into(), &0.into(), &4.into(), &4.into()),
        "{json:#}"
    );
    assert_eq!(read(dir, "lists/opt-outs.yaml"), written);

    // A header the mapping cannot read writes nothing and says how to map it.
    let run = on_today(dir, &["add", "--csv", "crm.csv", "--reason", "DNC"]).fails(1);
    assert!(run.stderr.contains("dnc::add::csv"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown column `Phone Number`"),
        "{}",
        run.stderr
    );
    assert_eq!(read(dir, "lists/opt-outs.yaml"), written);
}
