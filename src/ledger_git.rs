//! The ledger kept in git: a branch of its own (`dnc-ledger` by default) holding one JSON
//! Lines file per month (`YYYY-MM.jsonl`, by each line's time), only ever appended to, one
//! commit per push naming the applied commits. A branch and not notes: the GitHub web UI
//! shows a branch's files and history, branch protection can forbid force-pushes and
//! deletion on it, and it shares nothing with main, so a force-push of main leaves it whole.
//!
//! A push is built with plumbing (no checkout, no working tree touched): fetch the branch,
//! append the new lines to the month files' blobs, write a tree and a commit on top of the
//! fetched tip, and push it without force. When another apply pushed in between, the push is
//! refused as a non-fast-forward; it is rebuilt on the new tip and tried again. Lines already
//! on the branch are skipped, so pushing the same local ledger twice records it once.

use crate::git::{self, Git, GitError};
use crate::ledger::Record;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const DEFAULT_BRANCH: &str = "dnc-ledger";
const ATTEMPTS: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum LedgerGitError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(
        "the ledger branch kept moving: {ATTEMPTS} pushes to {0} were refused as non-fast-forward"
    )]
    Raced(String),
    #[error("{path} on {rev} holds a line that is not a ledger record: {error}")]
    Corrupt {
        rev: String,
        path: String,
        error: String,
    },
}

/// Where the ledger branch lives: a repository and the remote to push it to.
pub struct LedgerBranch {
    pub repo: PathBuf,
    pub remote: String,
    pub branch: String,
}

/// What a push did.
#[derive(Debug, PartialEq, Eq)]
pub struct Pushed {
    /// The commit now at the branch's tip; `None` when nothing new was pushed.
    pub commit: Option<String>,
    pub lines: usize,
    /// Pushes refused because another run moved the branch first.
    pub retries: u32,
}

impl LedgerBranch {
    /// Appends `records` to the branch on the remote (lines already there are skipped),
    /// retrying on a non-fast-forward. `subject` heads the commit message.
    pub fn push(&self, records: &[Record], subject: &str) -> Result<Pushed, LedgerGitError> {
        let lines: Vec<(String, String)> = records
            .iter()
            .map(|r| {
                let line = serde_json::to_string(r).expect("records always serialize");
                (month_file(&r.time), line)
            })
            .collect();
        let tracking = format!("refs/dnc/{}", self.branch);
        for retries in 0..ATTEMPTS {
            let parent = self.fetch(&tracking)?;
            let Some(tree) = self.tree_with(parent.as_deref(), &lines)? else {
                return Ok(Pushed {
                    commit: None,
                    lines: 0,
                    retries,
                });
            };
            let message = commit_message(subject, records);
            let commit = self.commit(&tree.0, parent.as_deref(), &message)?;
            let refspec = format!("{commit}:refs/heads/{}", self.branch);
            let push = [
                "push",
                "--porcelain",
                "--end-of-options",
                &self.remote,
                &refspec,
            ];
            let out = self.git_out(&push, None)?;
            if out.status.success() {
                return Ok(Pushed {
                    commit: Some(commit),
                    lines: tree.1,
                    retries,
                });
            }
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if !moved_meanwhile(&text) {
                return Err(GitError::Failed {
                    args: format!("push {} {refspec}", self.remote),
                    stderr: text.trim().to_string(),
                }
                .into());
            }
            eprintln!(
                "note: the ledger branch {} moved meanwhile (another apply); appending again",
                self.branch
            );
        }
        Err(LedgerGitError::Raced(self.branch.clone()))
    }

    /// The branch's records as its remote holds them now (none before the first push).
    pub fn fetch_records(&self) -> Result<Vec<Record>, LedgerGitError> {
        let tracking = format!("refs/dnc/{}", self.branch);
        match self.fetch(&tracking)? {
            Some(_) => read(&self.repo, &tracking),
            None => Ok(Vec::new()),
        }
    }

    /// Fetches the branch into `tracking`; `None` when the remote has no such branch yet.
    fn fetch(&self, tracking: &str) -> Result<Option<String>, LedgerGitError> {
        let spec = format!("+refs/heads/{}:{tracking}", self.branch);
        let fetch = ["fetch", "--quiet", "--no-tags", "--end-of-options"];
        let out = self.git_out(&[&fetch[..], &[&self.remote, &spec]].concat(), None)?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("couldn't find remote ref") {
                return Ok(None);
            }
            return Err(GitError::Failed {
                args: format!("fetch {} {spec}", self.remote),
                stderr: stderr.trim().to_string(),
            }
            .into());
        }
        // `tracking` is refs/dnc/BRANCH, never an option.
        Ok(Some(self.git(&["rev-parse", "--verify", tracking], None)?))
    }

    /// The tree of `parent` with the new lines appended to their month files, and how many
    /// lines are new; `None` when every line is already there.
    fn tree_with(
        &self,
        parent: Option<&str>,
        lines: &[(String, String)],
    ) -> Result<Option<(String, usize)>, LedgerGitError> {
        let mut by_file: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (file, line) in lines {
            by_file.entry(file).or_default().push(line);
        }
        let index = tempfile::NamedTempFile::new().map_err(GitError::Spawn)?;
        let index_path = index.path().to_path_buf();
        drop(index);
        let env = [("GIT_INDEX_FILE", index_path.as_path())];
        match parent {
            Some(p) => self.git_env(&["read-tree", p], &env)?,
            None => self.git_env(&["read-tree", "--empty"], &env)?,
        };
        let mut added = 0;
        for (file, new) in by_file {
            let old = match parent {
                Some(p) => self.blob(&format!("{p}:{file}"))?,
                None => None,
            }
            .unwrap_or_default();
            let have: BTreeSet<&str> = old.lines().collect();
            let mut text = old.clone();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            let mut seen = BTreeSet::new();
            for line in new {
                if !have.contains(line) && seen.insert(line) {
                    text.push_str(line);
                    text.push('\n');
                    added += 1;
                }
            }
            if text.len() == old.len() {
                continue;
            }
            let blob = self.git(&["hash-object", "-w", "--stdin"], Some(text.as_bytes()))?;
            let info = format!("100644,{blob},{file}");
            let add = ["update-index", "--add", "--cacheinfo", &info];
            self.git_env(&add, &env)?;
        }
        if parent.is_none() && added > 0 {
            let blob = self.git(&["hash-object", "-w", "--stdin"], Some(README.as_bytes()))?;
            let info = format!("100644,{blob},README.md");
            self.git_env(&["update-index", "--add", "--cacheinfo", &info], &env)?;
        }
        let tree = self.git_env(&["write-tree"], &env)?;
        let _ = std::fs::remove_file(&index_path);
        Ok((added > 0).then_some((tree, added)))
    }

    fn commit(
        &self,
        tree: &str,
        parent: Option<&str>,
        message: &str,
    ) -> Result<String, LedgerGitError> {
        // `tree` and `parent` are object ids git just wrote or resolved.
        let mut args = vec!["commit-tree", "-F", "-"];
        if let Some(p) = parent {
            args.extend(["-p", p]);
        }
        args.push(tree);
        self.git(&args, Some(message.as_bytes()))
    }

    fn blob(&self, spec: &str) -> Result<Option<String>, LedgerGitError> {
        let out = self.git_out(&["cat-file", "blob", "--end-of-options", spec], None)?;
        Ok(out
            .status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    fn git(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String, LedgerGitError> {
        let out = self.git_out(args, stdin)?;
        Ok(git::checked(args, out)?.trim().to_string())
    }

    fn git_env(&self, args: &[&str], env: &[(&str, &Path)]) -> Result<String, LedgerGitError> {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().map(|(k, v)| (*k, *v)));
        Ok(git::checked(args, Git::output(cmd, None)?)?
            .trim()
            .to_string())
    }

    fn git_out(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<Output, LedgerGitError> {
        Ok(Git::output(self.command(args), stdin)?)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Git::at(&self.repo).command(args);
        identity(&mut cmd);
        cmd
    }
}

/// A commit needs an author; on a runner with none configured, dnc signs as itself.
fn identity(cmd: &mut Command) {
    for (name, email) in [
        ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"),
        ("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"),
    ] {
        if std::env::var_os(name).is_none() {
            cmd.env(name, "dnc");
        }
        if std::env::var_os(email).is_none() {
            cmd.env(email, "dnc@users.noreply.github.com");
        }
    }
}

/// Whether a refused push means the branch moved since the fetch.
fn moved_meanwhile(text: &str) -> bool {
    [
        "non-fast-forward",
        "fetch first",
        "cannot lock ref",
        "failed to update ref",
    ]
    .iter()
    .any(|s| text.contains(s))
}

/// `2026-12.jsonl` for a line written in December 2026 (UTC, as the ledger writes times).
fn month_file(time: &str) -> String {
    let month = time.get(..7).filter(|m| {
        m.bytes().enumerate().all(|(i, b)| {
            if i == 4 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
    });
    match month {
        Some(m) => format!("{m}.jsonl"),
        None => "undated.jsonl".to_string(),
    }
}

fn commit_message(subject: &str, records: &[Record]) -> String {
    let commits: BTreeSet<&str> = records.iter().filter_map(|r| r.commit.as_deref()).collect();
    let plans: BTreeSet<&str> = records.iter().map(|r| r.plan_hash.as_str()).collect();
    let mut msg = format!("{subject}\n\n");
    for c in commits {
        msg.push_str(&format!("Applied-commit: {c}\n"));
    }
    for p in plans {
        msg.push_str(&format!("Plan: {p}\n"));
    }
    msg
}

/// Every record on `rev` (a branch, `origin/dnc-ledger`, a commit), month by month.
pub fn read(repo: &Path, rev: &str) -> Result<Vec<Record>, LedgerGitError> {
    let branch = LedgerBranch {
        repo: repo.to_path_buf(),
        remote: String::new(),
        branch: String::new(),
    };
    let files = branch.git(&["ls-tree", "--name-only", "--end-of-options", rev], None)?;
    let mut records = Vec::new();
    for path in files.lines().filter(|p| p.ends_with(".jsonl")) {
        let text = branch.blob(&format!("{rev}:{path}"))?.unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let record = serde_json::from_str(line).map_err(|e| LedgerGitError::Corrupt {
                rev: rev.to_string(),
                path: path.to_string(),
                error: e.to_string(),
            })?;
            records.push(record);
        }
    }
    Ok(records)
}

const README: &str = "\
# dnc audit ledger

Written by `dnc apply`, never rewritten: one JSON Lines file per month (UTC), one line when an
operation on the Convoso DNC lists starts and one when it finishes, one commit per apply
naming the commits it applied (`Applied-commit:` trailers). A start line without a finish line
is an operation whose outcome was never seen (the runner stopped).

Read it with `dnc ledger --branch origin/dnc-ledger`, or `dnc report`.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_refusals() {
        assert_eq!(month_file("2026-12-01T10:00:00.000Z"), "2026-12.jsonl");
        assert_eq!(month_file("garbage"), "undated.jsonl");
        // A hostile time never names a path outside the month files.
        assert_eq!(month_file("../-/../x"), "undated.jsonl");
        assert!(moved_meanwhile(
            " ! [rejected]        abc -> dnc-ledger (fetch first)"
        ));
        assert!(moved_meanwhile(
            "! refs/heads/dnc-ledger [rejected] (non-fast-forward)"
        ));
        assert!(!moved_meanwhile("fatal: Authentication failed"));
    }
}
