//! Programs a few tests need beyond Rust and git: Debian's `chromium` (the report's rendering)
//! and `python3` (the Action tests' release server). `.ci/run` installs them, so under CI a
//! missing one fails its test; on a developer's machine the test says so and is skipped, so
//! `cargo test --locked` passes on a fresh machine without them.

use std::ffi::OsStr;
use std::path::Path;

/// Whether `program` is on PATH. When it is not: under `CI` (`true` or `1`) the test fails
/// naming how to install it; elsewhere it prints why it is skipped and returns false.
pub fn available(program: &str, install: &str) -> bool {
    let path = std::env::var_os("PATH");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    match verdict(program, path.as_deref(), ci) {
        Verdict::Found => true,
        Verdict::Skip => {
            eprintln!(
                "skipped: {program} is not installed ({install}); under CI=true this test fails instead"
            );
            false
        }
        Verdict::Fail => panic!("{program} is not installed: {install} (.ci/run does)"),
    }
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Found,
    Skip,
    Fail,
}

fn verdict(program: &str, path: Option<&OsStr>, ci: bool) -> Verdict {
    let found =
        path.is_some_and(|dirs| std::env::split_paths(dirs).any(|d| is_program(&d.join(program))));
    match (found, ci) {
        (true, _) => Verdict::Found,
        (false, false) => Verdict::Skip,
        (false, true) => Verdict::Fail,
    }
}

fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[test]
fn a_missing_program_skips_outside_ci_and_fails_under_it() {
    let none = tempfile::tempdir().unwrap();
    let empty = Some(none.path().as_os_str());
    assert_eq!(verdict("chromium", empty, false), Verdict::Skip);
    assert_eq!(verdict("chromium", empty, true), Verdict::Fail);
    assert_eq!(
        verdict("sh", Some(OsStr::new("/bin:/usr/bin")), true),
        Verdict::Found
    );
    // A file of that name that cannot run is not the program.
    std::fs::write(none.path().join("chromium"), "").unwrap();
    assert_eq!(verdict("chromium", empty, true), Verdict::Fail);
}
