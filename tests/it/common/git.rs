//! `git` for the tests' scripted repositories, from an empty environment: a fixed identity
//! and date, no user or system config, nothing above the repository.

use std::path::Path;
use std::process::Command;

/// `git ARGS` in `dir` as `author` (email: first name at example.com) at `date`; asserts it
/// succeeds and returns its stdout.
#[track_caller]
pub fn git(dir: &Path, args: &[&str], author: &str, date: &str) -> String {
    let first = author.split(' ').next().unwrap_or(author);
    let email = format!("{}@example.com", first.to_lowercase());
    let mut git = Command::new("git");
    git.current_dir(dir).args(args).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        git.env("PATH", path);
    }
    let out = git
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
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
