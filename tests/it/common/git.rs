//! git for every test, from an empty environment: no user or system config, nothing found
//! above the test's temporary directory; `git` runs the tests' scripted repositories with a
//! fixed identity and date.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What every git a test starts sees, `git` itself or the one `dnc` runs: `home` as HOME, no
/// system or global config (the tester's identity, signing or hooks never leak in), and no
/// repository above the temporary directory the tests work in.
pub fn hermetic(cmd: &mut Command, home: &Path) {
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir());
}

/// `git ARGS` in `dir` as `author` (email: first name at example.com) at `date`; asserts it
/// succeeds and returns its stdout.
#[track_caller]
pub fn git(dir: &Path, args: &[&str], author: &str, date: &str) -> String {
    let first = author.split(' ').next().unwrap_or(author);
    let email = format!("{}@example.com", first.to_lowercase());
    let mut git = Command::new("git");
    git.current_dir(dir).args(args);
    hermetic(&mut git, dir);
    let out = git
        .env("GIT_AUTHOR_NAME", author)
        .env("GIT_AUTHOR_EMAIL", &email)
        .env("GIT_COMMITTER_NAME", author)
        .env("GIT_COMMITTER_EMAIL", &email)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 git output")
}

/// A bare `origin.git` under `root` (made by the first call) and a clone of it named `name`:
/// a team's repository with a remote to push the ledger branch to.
pub fn origin_and_clone(root: &Path, name: &str) -> PathBuf {
    let git =
        |dir: &Path, args: &[&str]| git(dir, args, "Alice Compliance", "2026-03-02T09:00:00+00:00");
    let origin = root.join("origin.git");
    if !origin.exists() {
        std::fs::create_dir_all(&origin).expect("create origin.git");
        git(&origin, &["init", "-q", "--bare", "-b", "main"]);
    }
    git(
        root,
        &["clone", "-q", origin.to_str().expect("a UTF-8 path"), name],
    );
    root.join(name)
}

/// The line `dnc apply` (or a ledger push) asks to add to dnc.yaml after the chain's first
/// push: `ledger: {root: …}`.
pub fn pin_line(out: &str) -> String {
    out.lines()
        .find(|l| l.trim_start().starts_with("ledger: {root:"))
        .unwrap_or_else(|| panic!("no line to pin in:\n{out}"))
        .trim()
        .to_string()
}

/// Every line of `origin/dnc-ledger` in `clone` (as last fetched), as JSON, file by file.
pub fn ledger_branch_lines(clone: &Path) -> Vec<serde_json::Value> {
    // Reading commits nothing: the identity is never used.
    let git = |args: &[&str]| git(clone, args, "Reader", "2026-03-02T15:00:00+00:00");
    let files = git(&["ls-tree", "--name-only", "origin/dnc-ledger"]);
    files
        .lines()
        .filter(|f| f.ends_with(".jsonl"))
        .flat_map(|f| {
            let text = git(&["show", &format!("origin/dnc-ledger:{f}")]);
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}
