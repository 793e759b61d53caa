//! `dnc validate` through the real binary: every invalid fixture's diagnostics in all three
//! formats (insta), the examples, strictness, and the loaded desired set.

use crate::common::{Config, Project, command, dnc_fail, dnc_ok, run};
use std::path::{Path, PathBuf};

fn dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs `dnc validate` inside `rel` (so paths in the output are relative; GitHub annotations
/// name them from this repository's root) and returns the exit code and stdout.
fn validate(rel: &str, extra: &[&str]) -> (i32, String) {
    let out = run(command(&dir(rel), &["validate", "dnc.yaml"])
        .args(extra)
        .env("GITHUB_WORKSPACE", env!("CARGO_MANIFEST_DIR")));
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    (out.code, out.stdout)
}

fn snapshot_all_formats(case: &str) {
    let rel = format!("tests/fixtures/invalid/{case}");
    for format in ["human", "json", "github"] {
        let (code, out) = validate(&rel, &["--format", format]);
        assert_eq!(code, 1, "{case} {format} must fail:\n{out}");
        insta::assert_snapshot!(format!("validate_{case}_{format}"), out);
    }
}

#[test]
fn structural_problems_are_all_reported() {
    snapshot_all_formats("structural");
}

#[test]
fn semantic_problems_are_all_reported() {
    snapshot_all_formats("semantic");
}

#[test]
fn config_problems_are_all_reported() {
    snapshot_all_formats("config");
}

#[test]
fn odd_input_gets_exact_diagnostics() {
    snapshot_all_formats("odd");
}

#[test]
fn inexact_numbers_and_unknown_keys_are_errors() {
    snapshot_all_formats("lossy");
}

#[test]
fn lines_past_column_65535_render_cut_without_panic() {
    snapshot_all_formats("wide");
}

#[test]
fn human_output_shows_the_first_problems_of_each_file() {
    snapshot_all_formats("many");
    let (_, json) = validate("tests/fixtures/invalid/many", &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 60);
}

/// Paths out of the config's directory are refused by name and never read: nothing of
/// /etc/passwd or of the environment (with its token) reaches any output.
#[test]
fn reads_stay_inside_the_config_directory() {
    snapshot_all_formats("confined");
    for format in ["human", "json", "github"] {
        let out = run(command(
            &dir("tests/fixtures/invalid/confined"),
            &["validate", "--format", format],
        )
        .env("DNC_AUTH_TOKEN", "token-that-must-not-leak"));
        let all = out.stdout + &out.stderr;
        assert!(!all.contains("token-that-must-not-leak"), "{all}");
        assert!(!all.contains("root:"), "{all}");
    }
}

/// A FIFO (which blocks whoever opens it) and a file over `max_file_bytes` are refused
/// before they are read.
#[test]
fn special_and_oversized_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("dnc.yaml"),
        &*Config::reading("*.yaml")
            .scope("global", &[])
            .with("max_file_bytes: 100\n"),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("m.yaml"),
        "defaults: {scope: global, reason: DNC}\ninclude: [{csv: fifo.csv}, {csv: big.csv}]\n",
    )
    .unwrap();
    let fifo = std::ffi::CString::new(
        tmp.path()
            .join("fifo.csv")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    std::fs::write(
        tmp.path().join("big.csv"),
        format!("number\n{}", "2025550143\n".repeat(20)),
    )
    .unwrap();
    let stdout = dnc_fail(tmp.path(), 1, &["validate", "--format", "github"]).stdout;
    insta::assert_snapshot!(stdout, @r"
    ::error file=m.yaml,line=2,col=17,title=dnc%3A%3Afile%3A%3Anot_regular::cannot read fifo.csv: it is not a regular file%0Ahelp: name a regular file, not a FIFO, device or directory
    ::error file=m.yaml,line=2,col=34,title=dnc%3A%3Afile%3A%3Atoo_large::cannot read big.csv: it is larger than 100 bytes (`max_file_bytes` in the config)%0Ahelp: split the file, or raise `max_file_bytes` in the config
    ");
}

#[test]
fn json_positions_are_exact() {
    let (_, out) = validate("tests/fixtures/invalid/odd", &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let zero_width = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("U+200B"))
        .expect("zero-width space reported");
    // `  - number: "202<U+200B>5550144"`: the invisible character is column 17 of line 7.
    assert_eq!(
        (zero_width["line"].as_u64(), zero_width["column"].as_u64()),
        (Some(7), Some(17))
    );
    assert_eq!(zero_width["file"], "lists/chars.yaml");
    assert_eq!(report["valid"], false);
}

#[test]
fn examples_are_valid() {
    let (code, out) = validate("examples", &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "0 errors, 0 warnings\nvalid: 12 entries, 2 tombstones\n"
    );
}

#[test]
fn strict_turns_unassigned_numbers_into_errors() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("dnc.yaml"),
        &*Config::reading("a.yaml").scope("global", &[]),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("a.yaml"),
        "entries:\n  - {number: 555-123-4567, scope: global, reason: DNC}\n",
    )
    .unwrap();
    let out = dnc_ok(tmp.path(), &["validate", "--format", "github"]).stdout;
    assert!(
        out.starts_with("::warning file=a.yaml,line=2,col=14,"),
        "{out}"
    );
    let out = dnc_fail(
        tmp.path(),
        1,
        &["validate", "--format", "github", "--strict"],
    )
    .stdout;
    assert!(
        out.starts_with("::error file=a.yaml,line=2,col=14,"),
        "{out}"
    );
}

#[test]
fn loaded_examples_are_normalized_and_placed() {
    let loaded = dnc::manifest::load(&dir("examples"), false);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let config = loaded.config.as_ref().unwrap();
    assert_eq!(config.safety.max_removals, 25);
    assert_eq!(config.phone_code, Some(1));
    let first = &loaded.desired.entries[0];
    assert_eq!(&*first.source.file, "lists/campaigns.yaml");
    assert_eq!((first.source.line, first.source.column), (6, 5));
    assert_eq!(first.key.phone.national, "2025550120");
    assert_eq!(first.key.scope, dnc::entry::CampaignId(111));
    let csv = loaded
        .desired
        .entries
        .iter()
        .find(|e| e.key.phone.national == "2025550104")
        .unwrap();
    assert_eq!(&*csv.source.file, "lists/bulk/state-dnc-2026q1.csv");
    assert_eq!(csv.source.line, 5);
    assert_eq!(&*csv.reason, "State DNC import");
    assert_eq!(csv.purpose.as_deref(), Some("TELEMKT"));
    let t = &loaded.desired.tombstones[0];
    assert_eq!(
        &*t.removal_reason,
        "Entered in error (wrong digit), see SALES-91"
    );
}

/// Files are checked on several threads; what they hold must still merge in reading order
/// (each manifest, then the CSV files it includes), so "first listed here" is the first.
#[test]
fn files_checked_in_parallel_merge_in_reading_order() {
    let config = Config::new().scope("global", &[]);
    let mut files = Vec::new();
    for m in 0..6 {
        // The first manifest is the largest, so its check finishes after later files'.
        let own = if m == 0 { 20_000 } else { 1 };
        let mut text = String::from("defaults: {scope: global, reason: DNC}\nentries:\n");
        for i in 0..own {
            let n = m * 100_000 + i;
            text += &format!(
                "  - number: \"415-{}-{:04}\"\n",
                620 + n / 10_000,
                n % 10_000
            );
        }
        if m == 5 {
            text += "  - number: \"+1 312-701-0001\"\n";
        }
        text += "include:\n";
        for c in 0..3 {
            text += &format!("  - csv: c{m}{c}.csv\n");
            let row = if (m, c) == (3, 2) { 0 } else { c };
            let csv = format!("number\n312-{}-{row:04}\n", 700 + m);
            files.push((format!("lists/c{m}{c}.csv"), csv));
        }
        files.push((format!("lists/m{m}.yaml"), text));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let project = Project::new(&config, &refs);
    let loaded = dnc::manifest::load(project.dir.path(), false);

    let mut order: Vec<&str> = loaded
        .desired
        .entries
        .iter()
        .map(|e| &*e.source.file)
        .collect();
    order.dedup();
    let mut expected = Vec::new();
    for m in 0..6 {
        expected.push(format!("lists/m{m}.yaml"));
        for c in 0..3 {
            if (m, c) != (3, 2) {
                expected.push(format!("lists/c{m}{c}.csv"));
            }
        }
    }
    assert_eq!(order, expected);
    assert_eq!(loaded.desired.entries.len(), 20_000 + 5 + 6 * 3 - 1);

    let found: Vec<String> = loaded
        .diagnostics
        .items
        .iter()
        .map(|d| {
            let at = d.at.as_ref().unwrap();
            let first = &d.labels[0].at;
            format!(
                "{}:{} {} / first {}:{}",
                at.file, at.line, d.message, first.file, first.line
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "lists/m5.yaml:4 global +1 3127010001 is listed twice / first lists/c11.csv:2",
            "lists/c32.csv:2 global +1 3127030000 is listed twice / first lists/c30.csv:2",
        ]
    );
}

#[test]
fn hostile_shapes_are_bounded_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("dnc.yaml"),
        &*Config::reading("*.yaml").scope("global", &[]),
    )
    .unwrap();
    // A 10 MB single line, and nesting far past any real file.
    let long = format!(
        "entries: [{{number: '2025550143', scope: global, reason: DNC, ticket: '{}'}}]\n",
        "x".repeat(10 << 20)
    );
    std::fs::write(tmp.path().join("long.yaml"), long).unwrap();
    let deep = format!("entries: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    std::fs::write(tmp.path().join("deep.yaml"), deep).unwrap();
    let stdout = dnc_fail(tmp.path(), 1, &["validate", "--format", "github"]).stdout;
    assert!(
        stdout.starts_with("::error file=deep.yaml,line=1,col=")
            && (stdout.contains("nesting deeper than 32 levels")
                || stdout.contains("recursion limit exceeded")),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().count(),
        1,
        "the long line is valid: {stdout}"
    );
}

/// What would be sent is what the allow-list sees: a tab after an allowed reason is not the
/// allowed reason, and a control character is an error of its own, not a warning.
#[test]
fn a_control_character_is_an_error_and_no_way_past_the_allow_list() {
    let p = Project::new(
        &Config::new().scope("global", &[]).with("reasons: [DNC]\n"),
        &[(
            "lists/a.yaml",
            "entries:\n  - number: 202-555-0143\n    scope: global\n    reason: \"Anything I like\\t\"\n",
        )],
    );
    let out = dnc_fail(p.dir.path(), 1, &["validate"]);
    insta::assert_snapshot!(out.stdout, @r#"
    dnc::entry::api_limit

      × `reason` cannot be sent to Convoso: the API refuses control characters (tabs, line breaks)
       ╭─[lists/a.yaml:4:13]
     3 │     scope: global
     4 │     reason: "Anything I like\t"
       ·             ─────────┬─────────
       ·                      ╰── refused by the API
       ╰────
      help: write it on one line, without tabs

    dnc::entry::not_allowed

      × `Anything I like\t` is not an allowed reason
       ╭─[lists/a.yaml:4:13]
     3 │     scope: global
     4 │     reason: "Anything I like\t"
       ·             ─────────┬─────────
       ·                      ╰── not in the config's `reasons`
       ╰────
      help: allowed: DNC

    2 errors, 0 warnings
    "#);
}
