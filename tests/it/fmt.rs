//! `dnc fmt` on the examples and every fixture: what the manifests mean (the desired set and
//! the diagnostics) is the same before and after, a second run changes nothing, and
//! `--check` fails with a diff without touching a file.

use crate::common::{dnc, dnc_fail, dnc_ok, run};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A copy of `rel` (a directory of this repository) in a temp dir, `.dnc/` left out.
fn copy(rel: &str) -> (tempfile::TempDir, PathBuf) {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != ".dnc" {
                    copy_dir(&entry.path(), &target);
                }
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("project");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel), &dir);
    (temp, dir)
}

/// What the manifests mean, without the lines and columns formatting may move.
fn meaning(dir: &Path) -> (Vec<String>, BTreeSet<String>) {
    let loaded = dnc::manifest::load(dir, false);
    let desired = loaded
        .desired
        .entries
        .iter()
        .map(|e| {
            format!(
                "{:?} {:?} {:?} {}",
                e.key, e.reason, e.purpose, e.source.file
            )
        })
        .chain(
            loaded
                .desired
                .tombstones
                .iter()
                .map(|t| format!("{:?} {:?} {}", t.key, t.removal_reason, t.source.file)),
        )
        .collect();
    let diagnostics = loaded
        .diagnostics
        .items
        .iter()
        .map(|d| format!("{:?} {} {}", d.severity, d.code, d.message))
        .collect();
    (desired, diagnostics)
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in glob::glob(&format!("{}/**/*", dir.display())).unwrap() {
        let path = entry.unwrap();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            out.push((path, bytes));
        }
    }
    out
}

#[test]
fn formatting_keeps_the_meaning_of_the_examples_and_every_fixture() {
    for rel in [
        "examples",
        "tests/fixtures/invalid/config",
        "tests/fixtures/invalid/odd",
        "tests/fixtures/invalid/semantic",
        "tests/fixtures/invalid/structural",
    ] {
        let (_temp, dir) = copy(rel);
        let before = meaning(&dir);
        let first = dnc(&dir, &["fmt"], &[]);
        let after = meaning(&dir);
        assert_eq!(before, after, "{rel}: {}", first.stderr);
        let formatted = files(&dir);
        let second = dnc(&dir, &["fmt", "--check"], &[]);
        assert_eq!(second.code, first.code, "{rel}: {}", second.stderr);
        assert_eq!(second.stdout, "", "{rel}: a second run changes nothing");
        assert_eq!(files(&dir), formatted, "{rel}");
    }
}

#[test]
fn check_fails_with_a_diff_and_changes_nothing() {
    let (_temp, dir) = copy("examples");
    let messy = "# Numbers from the March audit.\nentries:\n    - reason: DNC   # as they asked\n      number: 2025550190\n      scope: 111\ndefaults: {purpose: TELEMKT}\n";
    std::fs::write(dir.join("lists/messy.yaml"), messy).unwrap();
    let before = files(&dir);
    let check = dnc_fail(&dir, 1, &["fmt", "--check"]);
    insta::assert_snapshot!("fmt_check_examples", check.stdout);
    assert!(
        check.stderr.contains("run `dnc fmt` to format them"),
        "{}",
        check.stderr
    );
    assert_eq!(files(&dir), before, "--check writes nothing");

    let colored = run(std::process::Command::new(env!("CARGO_BIN_EXE_dnc"))
        .current_dir(&dir)
        .args(["--color", "always", "fmt", "--check"])
        .env_clear())
    .fails(1)
    .stdout;
    assert!(colored.contains("\x1b[32m+"), "{colored:?}");

    let fixed = dnc_ok(&dir, &["fmt", "--diff"]);
    assert_eq!(fixed.stdout, check.stdout, "--diff shows what it wrote");
    dnc_ok(&dir, &["fmt", "--check"]);
}

#[test]
fn refused_files_are_named_and_left_as_they_are() {
    let (_temp, dir) = copy("examples");
    let block =
        "entries:\n  - number: \"+1 202 555 0188\"\n    reason: |\n      two\n      lines\n";
    std::fs::write(dir.join("lists/block.yaml"), block).unwrap();
    let out = dnc_fail(&dir, 1, &["fmt"]);
    assert!(
        out.stderr
            .contains("error: lists/block.yaml:3: not formatted: a value over several lines"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("lists/block.yaml")).unwrap(),
        block
    );
}

#[test]
fn the_modeline_is_pointed_at_the_schema_that_exists() {
    let (_temp, dir) = copy("examples");
    std::fs::create_dir_all(dir.join("schema")).unwrap();
    let schema = dnc_ok(&dir, &["schema", "manifest"]);
    std::fs::write(dir.join("schema/manifest.schema.json"), &schema.stdout).unwrap();
    dnc_ok(&dir, &["fmt"]);
    let text = std::fs::read_to_string(dir.join("lists/campaigns.yaml")).unwrap();
    assert!(
        text.starts_with(
            "# yaml-language-server: $schema=../schema/manifest.schema.json\n# Opt-outs"
        ),
        "{text}"
    );
}

#[test]
fn the_examples_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    dnc_ok(root, &["fmt", "--check", "examples"]);
}
