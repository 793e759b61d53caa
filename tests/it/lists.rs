//! A list never vanishes silently: the `manifests` globs match the config's own files
//! wherever it lives, and a file or directory a glob reaches but cannot read is an error
//! that stops the plan (so no removal or prune is planned from a partial desired set).

use crate::common::{Config, Project, Sandbox, client_for, dnc, seed};
use std::path::Path;

const OWN: &str = "entries:\n  - {number: \"202-555-0143\", scope: global, reason: DNC}\n";
const OTHER: &str = "entries:\n  - {number: \"202-555-0144\", scope: global, reason: DNC}\n  - {number: \"202-555-0145\", scope: global, reason: DNC}\n";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_config_directory_named_like_a_pattern_reads_its_own_lists() {
    let tmp = tempfile::tempdir().unwrap();
    // `cfg[x]` as a pattern is `cfgx`, `a*` is any `a…`: the glob's root is escaped.
    for (own, other) in [("cfg[x]", "cfgx"), ("a*", "ab")] {
        let config = Config::new().scope("global", &[]);
        write(&tmp.path().join(own).join("dnc.yaml"), &config);
        write(&tmp.path().join(own).join("lists/own.yaml"), OWN);
        write(&tmp.path().join(other).join("lists/other.yaml"), OTHER);
        let path = format!("{own}/dnc.yaml");
        let out = dnc(tmp.path(), &["validate", &path], &[]).ok();
        assert!(
            out.stdout.ends_with("valid: 1 entries, 0 tombstones\n"),
            "{own}: {}",
            out.stdout
        );
    }
}

/// Validates the project, expecting exit 1 with `code` among the diagnostics.
fn refused(project: &Project, code: &str) -> String {
    let out = dnc(project.dir.path(), &["validate"], &[]).fails(1);
    assert!(out.stdout.contains(code), "{}", out.stdout);
    out.stdout
}

#[test]
fn a_dangling_symlink_among_the_lists_is_an_error() {
    let project = Project::new(
        &Config::new().scope("global", &[]),
        &[("lists/own.yaml", OWN)],
    );
    std::os::unix::fs::symlink("../archive/gone.yaml", project.path("lists/gone.yaml")).unwrap();
    let out = refused(&project, "dnc::file::unreadable");
    assert!(out.contains("cannot read lists/gone.yaml"), "{out}");
}

#[test]
fn a_fifo_among_the_lists_is_an_error_and_never_blocks() {
    let project = Project::new(
        &Config::new().scope("global", &[]),
        &[("lists/own.yaml", OWN)],
    );
    let fifo = std::ffi::CString::new(project.path("lists/pipe.yaml").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let out = refused(&project, "dnc::file::not_regular");
    assert!(out.contains("cannot read lists/pipe.yaml"), "{out}");
    let fmt = dnc(project.dir.path(), &["fmt", "--check"], &[]).fails(1);
    assert!(
        fmt.stderr.contains("lists/pipe.yaml: not a regular file"),
        "{}",
        fmt.stderr
    );
}

/// A directory under a `**` glob that cannot be listed. Tests run as root, for whom
/// `chmod 000` hides nothing, so the directory is made too deep to name: its path passes
/// PATH_MAX (4,096 bytes), and listing it fails with ENAMETOOLONG like any unreadable one.
#[test]
fn a_directory_that_cannot_be_listed_is_an_error_that_stops_the_plan() {
    let config = Config::reading("lists/**/*.yaml").scope("global", &[("prune", "true")]);
    let project = Project::new(&config, &[("lists/own.yaml", OWN)]);
    let deep = format!(
        "cd lists && for i in $(seq 1 24); do mkdir {n} && cd {n} 2>/dev/null || break; done; echo 'entries: []' > hidden.yaml",
        n = "d".repeat(200)
    );
    std::process::Command::new("sh")
        .args(["-c", &deep])
        .current_dir(project.dir.path())
        .status()
        .unwrap();
    let out = refused(&project, "dnc::config::unlistable");
    assert!(out.contains("File name too long"), "{out}");
    // A pruning scope whose lists could not all be read plans and removes nothing.
    let sandbox = Sandbox::start_seeded([seed("2025550150", 0).reason("drift")], &[]);
    let plan = project.dnc(&sandbox, &["plan"]).fails(1);
    assert!(
        plan.stderr.contains("dnc::config::unlistable"),
        "{}",
        plan.stderr
    );
    assert!(!plan.stdout.contains("prune"), "{}", plan.stdout);
    project.dnc(&sandbox, &["apply", "--yes"]).fails(1);
    let left = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(
            client_for(sandbox.url.clone(), crate::common::TOKEN, 0).search(&Default::default()),
        )
        .unwrap();
    assert_eq!(left.total, 1, "the unmanaged entry was pruned");
}
