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

use crate::chain;
use crate::git::{self, Git, GitError};
use crate::ledger::{self, Line, Record};
use std::collections::{BTreeMap, BTreeSet, HashSet};
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
    #[error(
        "dnc.yaml pins no ledger root, and {branch} already holds a chain: add `ledger: {{root: {root}}}` to dnc.yaml in a reviewed change, then apply again"
    )]
    Unpinned { branch: String, root: String },
    #[error(
        "{branch} was replaced: dnc.yaml pins the ledger root {pinned}, the branch's chain starts at {found}; restore the branch from a copy (a clone, a fork) and run `dnc verify`"
    )]
    Replaced {
        branch: String,
        pinned: String,
        found: String,
    },
    #[error(
        "{branch} does not exist, but dnc.yaml pins the ledger root {pinned}: the ledger was deleted; restore the branch from a copy (a clone, a fork) and run `dnc verify`"
    )]
    Gone { branch: String, pinned: String },
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
    /// The hash of the chain's first line (`None` while the branch has no chained line).
    pub root: Option<String>,
}

/// The chain at the branch's tip, as its trailers name it.
#[derive(Default)]
struct Tip {
    exists: bool,
    root: Option<String>,
    head: Option<String>,
}

/// A tree with new lines, and the chain after them.
struct Built {
    tree: String,
    lines: usize,
    root: String,
    head: String,
}

impl LedgerBranch {
    pub fn new(repo: &Path, remote: &str, branch: &str) -> LedgerBranch {
        LedgerBranch {
            repo: repo.to_path_buf(),
            remote: remote.to_string(),
            branch: branch.to_string(),
        }
    }

    /// Appends `records` to the branch on the remote (lines already there are skipped),
    /// linking each into the chain, retrying on a non-fast-forward. `subject` heads the
    /// commit message; `pin` is the root dnc.yaml pins (see [`LedgerBranch::check_pin`]).
    pub fn push(
        &self,
        records: &[Line],
        subject: &str,
        pin: Option<&str>,
    ) -> Result<Pushed, LedgerGitError> {
        let tracking = format!("refs/dnc/{}", self.branch);
        for retries in 0..ATTEMPTS {
            let parent = self.fetch(&tracking)?;
            let tip = self.tip(parent.as_deref())?;
            self.pinned(&tip, pin)?;
            let Some(built) = self.tree_with(parent.as_deref(), &tip, records)? else {
                return Ok(Pushed {
                    commit: None,
                    lines: 0,
                    retries,
                    root: tip.root,
                });
            };
            let message = commit_message(subject, records, &built);
            let commit = self.commit(&built.tree, parent.as_deref(), &message)?;
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
                    lines: built.lines,
                    retries,
                    root: Some(built.root),
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
        }
        Err(LedgerGitError::Raced(self.branch.clone()))
    }

    /// The branch's records as its remote holds them now (none before the first push).
    pub fn fetch_records(&self) -> Result<Vec<Record>, LedgerGitError> {
        Ok(self.fetch_all()?.map(|s| s.records).unwrap_or_default())
    }

    /// The branch's lines by kind as its remote holds them now; `None` when the remote has
    /// no such branch yet.
    pub fn fetch_all(&self) -> Result<Option<ledger::Split>, LedgerGitError> {
        let tracking = format!("refs/dnc/{}", self.branch);
        match self.fetch(&tracking)? {
            Some(_) => Ok(Some(ledger::split(read_lines(&self.repo, &tracking)?))),
            None => Ok(None),
        }
    }

    /// Before an apply sends anything: the branch on the remote must hold the chain dnc.yaml
    /// pins, so no change is made that would be recorded on a replaced or unreviewed ledger.
    pub fn check_pin(&self, pin: Option<&str>) -> Result<(), LedgerGitError> {
        let parent = self.fetch(&format!("refs/dnc/{}", self.branch))?;
        self.pinned(&self.tip(parent.as_deref())?, pin)
    }

    /// A branch that does not exist yet may start a chain only when none is pinned; an
    /// existing chain must be the pinned one, and pinned before it grows.
    fn pinned(&self, tip: &Tip, pin: Option<&str>) -> Result<(), LedgerGitError> {
        let branch = self.branch.clone();
        match (&tip.root, pin) {
            (Some(root), Some(pin)) if root == pin => Ok(()),
            (Some(root), Some(pin)) => Err(LedgerGitError::Replaced {
                branch,
                pinned: pin.to_string(),
                found: root.clone(),
            }),
            (Some(root), None) => Err(LedgerGitError::Unpinned {
                branch,
                root: root.clone(),
            }),
            (None, Some(pin)) if tip.exists => Err(LedgerGitError::Replaced {
                branch,
                pinned: pin.to_string(),
                found: "no chain".into(),
            }),
            (None, Some(pin)) => Err(LedgerGitError::Gone {
                branch,
                pinned: pin.to_string(),
            }),
            (None, None) => Ok(()),
        }
    }

    /// The chain's root and head at `commit`, from its trailers.
    fn tip(&self, commit: Option<&str>) -> Result<Tip, LedgerGitError> {
        let Some(commit) = commit else {
            return Ok(Tip::default());
        };
        let message = self.git(
            &["show", "-s", "--format=%B", "--end-of-options", commit],
            None,
        )?;
        let field = |name| chain::trailer(&message, name).map(str::to_string);
        Ok(Tip {
            exists: true,
            root: field(chain::ROOT_TRAILER),
            head: field(chain::HEAD_TRAILER),
        })
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

    /// The tree of `parent` with the new records appended to their month files, linked into
    /// the chain in their order; `None` when every line is already there.
    fn tree_with(
        &self,
        parent: Option<&str>,
        tip: &Tip,
        records: &[Line],
    ) -> Result<Option<Built>, LedgerGitError> {
        let mut files: BTreeMap<String, (String, HashSet<String>)> = BTreeMap::new();
        let mut appended: BTreeMap<String, String> = BTreeMap::new();
        let mut head = tip
            .head
            .clone()
            .unwrap_or_else(|| chain::GENESIS.to_string());
        let mut root = tip.root.clone();
        let mut added = 0;
        for record in records {
            let file = month_file(record.time());
            if !files.contains_key(&file) {
                let old = match parent {
                    Some(p) => self.blob(&format!("{p}:{file}"))?,
                    None => None,
                }
                .unwrap_or_default();
                let have = old.lines().filter_map(chain::identity).collect();
                files.insert(file.clone(), (old, have));
            }
            let (_, have) = files.get_mut(&file).expect("inserted above");
            let mut linked = record.clone();
            linked.set_prev(None);
            let value = serde_json::to_value(&linked).expect("records always serialize");
            if !have.insert(value.to_string()) {
                continue;
            }
            linked.set_prev(Some(head));
            let line = serde_json::to_string(&linked).expect("records always serialize");
            head = chain::hash(&line);
            root.get_or_insert_with(|| head.clone());
            let text = appended.entry(file).or_default();
            text.push_str(&line);
            text.push('\n');
            added += 1;
        }
        if added == 0 {
            return Ok(None);
        }
        let index = tempfile::NamedTempFile::new().map_err(GitError::Spawn)?;
        let index_path = index.path().to_path_buf();
        drop(index);
        let env = [("GIT_INDEX_FILE", index_path.as_path())];
        match parent {
            Some(p) => self.git_env(&["read-tree", p], &env)?,
            None => self.git_env(&["read-tree", "--empty"], &env)?,
        };
        for (file, new) in appended {
            let mut text = files.remove(&file).map(|(old, _)| old).unwrap_or_default();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&new);
            self.add_file(&file, &text, &env)?;
        }
        if parent.is_none() {
            self.add_file("README.md", README, &env)?;
        }
        let tree = self.git_env(&["write-tree"], &env)?;
        let _ = std::fs::remove_file(&index_path);
        Ok(Some(Built {
            tree,
            lines: added,
            root: root.expect("set by the first line added"),
            head,
        }))
    }

    fn add_file(
        &self,
        file: &str,
        text: &str,
        env: &[(&str, &Path)],
    ) -> Result<(), LedgerGitError> {
        let blob = self.git(&["hash-object", "-w", "--stdin"], Some(text.as_bytes()))?;
        let info = format!("100644,{blob},{file}");
        self.git_env(&["update-index", "--add", "--cacheinfo", &info], env)?;
        Ok(())
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

    /// `git ARGS` signing as dnc where the environment names no author or committer (git
    /// prefers `GIT_AUTHOR_*`/`GIT_COMMITTER_*` to `-c user.*`): a runner often has none.
    fn command(&self, args: &[&str]) -> Command {
        let mut all = vec![
            "-c",
            "user.name=dnc",
            "-c",
            "user.email=dnc@users.noreply.github.com",
        ];
        all.extend_from_slice(args);
        Git::at(&self.repo).command(&all)
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

fn commit_message(subject: &str, records: &[Line], built: &Built) -> String {
    let commits: BTreeSet<&str> = records.iter().filter_map(Line::commit).collect();
    let plans: BTreeSet<&str> = records.iter().map(Line::plan_hash).collect();
    let mut msg = format!("{subject}\n\n");
    for c in commits {
        msg.push_str(&format!("Applied-commit: {c}\n"));
    }
    for p in plans {
        msg.push_str(&format!("Plan: {p}\n"));
    }
    msg.push_str(&format!("{}: {}\n", chain::ROOT_TRAILER, built.root));
    msg.push_str(&format!("{}: {}\n", chain::HEAD_TRAILER, built.head));
    msg
}

/// Every operation record on `rev` (a branch, `origin/dnc-ledger`, a commit), month by
/// month.
pub fn read(repo: &Path, rev: &str) -> Result<Vec<Record>, LedgerGitError> {
    Ok(ledger::split(read_lines(repo, rev)?).records)
}

/// Like [`read`], keeping the run lines and the drift checks.
pub fn read_lines(repo: &Path, rev: &str) -> Result<Vec<Line>, LedgerGitError> {
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
            let record = Line::parse(line).map_err(|e| LedgerGitError::Corrupt {
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
is an operation whose outcome was never seen (the runner stopped). A line with `kind: run`
says who decided an apply (the pull request, its approvers and merger, the overrides given);
`kind: refused` records an apply a safety gate refused. A drift check
(`dnc plan --record-drift`) adds one line whose `event` is `drift`: clean, or what differed.

Each line's `prev` is the SHA-256 of the line appended before it (the first line's is 64
zeros); each commit names the chain's first and last line (`Dnc-Ledger-Root:`,
`Dnc-Ledger-Head:`), and dnc.yaml pins the root (`ledger: {root: …}`).

Read it with `dnc ledger --ledger-branch origin/dnc-ledger` or `dnc report --ledger-branch
origin/dnc-ledger`; check it with `dnc verify --ledger-branch origin/dnc-ledger`.
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
