//! The git plumbing `history` needs: pickaxe searches, the commits touching some paths, and
//! blob reads through two long-lived `git cat-file` processes.

use crate::git::Git;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error("git cat-file: {0}")]
    CatFile(String),
}

/// A repository, and where the config's directory sits inside it.
pub struct Repo {
    pub top: PathBuf,
    /// The config's directory relative to `top`, with a trailing `/` (empty at the top).
    pub prefix: String,
}

/// A commit as `git log` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub hash: String,
    /// The first parent; `None` for a root commit.
    pub parent: Option<String>,
    pub author: String,
    pub email: String,
    /// Committer date, strict ISO 8601: when the change entered the history.
    pub time: String,
    pub subject: String,
}

impl Repo {
    /// The repository holding `dir`; `None` when `dir` is in none.
    pub fn discover(dir: &Path) -> Result<Option<Repo>, GitError> {
        let out = Git::output(
            Git::at(dir).command(&["rev-parse", "--show-toplevel", "--show-prefix"]),
            None,
        )?;
        if !out.status.success() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let top = lines.next().unwrap_or_default().to_string();
        let prefix = lines.next().unwrap_or_default().to_string();
        Ok(Some(Repo {
            top: PathBuf::from(top),
            prefix,
        }))
    }

    pub(crate) fn run(&self, args: &[&str]) -> Result<String, GitError> {
        Ok(Git::at(&self.top).text(args)?)
    }

    pub fn is_shallow(&self) -> bool {
        self.run(&["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|s| s.trim() == "true")
    }

    /// Whether the repository has any commit yet.
    pub fn has_commits(&self) -> bool {
        self.run(&["rev-parse", "--verify", "--quiet", "HEAD"])
            .is_ok()
    }

    /// Every path under `pathspecs` whose added or removed lines ever matched `regex` (POSIX
    /// extended), old and new names alike (renames are split so both sides are searched).
    pub fn paths_matching(
        &self,
        regex: &str,
        pathspecs: &[String],
    ) -> Result<BTreeSet<String>, GitError> {
        let g = format!("-G{regex}");
        let mut args = vec![
            "log",
            "--no-merges",
            "--no-renames",
            "--format=",
            "--name-only",
            &g,
            "--",
        ];
        args.extend(pathspecs.iter().map(String::as_str));
        Ok(self
            .run(&args)?
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// The commits reachable from HEAD that touch any of `paths`, oldest first.
    pub fn commits(&self, paths: &[String]) -> Result<Vec<Commit>, GitError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec![
            "log",
            "--no-merges",
            "--reverse",
            "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%s",
            "--",
        ];
        args.extend(paths.iter().map(String::as_str));
        Ok(self.run(&args)?.lines().filter_map(parse_commit).collect())
    }
}

impl Repo {
    /// The added lines of every non-merge commit in `revs` (`HEAD`, `a..b`) touching
    /// `pathspecs`, oldest first: the text of `git log -p --unified=0`, each commit starting
    /// with a `\x1e` line of hash, author and committer date separated by `\x1f`.
    pub fn added_lines(&self, revs: &str, pathspecs: &[String]) -> Result<String, GitError> {
        let mut args = vec![
            "log",
            "--reverse",
            "--no-merges",
            "--no-renames",
            "-p",
            "--unified=0",
            "--no-color",
            "--format=%x1e%H%x1f%an%x1f%cI",
            revs,
            "--",
        ];
        args.extend(pathspecs.iter().map(String::as_str));
        self.run(&args)
    }
}

fn parse_commit(line: &str) -> Option<Commit> {
    let mut f = line.split('\x1f');
    let hash = f.next()?.to_string();
    let parent = f.next()?.split(' ').next().filter(|p| !p.is_empty());
    Some(Commit {
        hash,
        parent: parent.map(str::to_string),
        author: f.next()?.to_string(),
        email: f.next()?.to_string(),
        time: f.next()?.to_string(),
        subject: f.next()?.to_string(),
    })
}

/// Reads objects by `REV:path`: `id` asks for the blob id alone (cheap), `read` for the bytes.
pub struct Blobs {
    check: Pipe,
    batch: Pipe,
}

struct Pipe {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Pipe {
    fn start(top: &Path, mode: &str) -> Result<Pipe, GitError> {
        let mut child = Git::at(top)
            .command(&["cat-file", mode])
            .stdin(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(crate::git::GitError::Spawn)?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(Pipe {
            child,
            stdin,
            stdout,
        })
    }

    /// Sends one query and reads its header line: `Some(object)` when it exists. In batch
    /// mode the object's bytes follow and must be read next.
    fn ask(&mut self, query: &str) -> Result<Option<Object>, GitError> {
        if query.contains(['\n', '\r']) {
            return Ok(None);
        }
        let io = |e: std::io::Error| GitError::CatFile(e.to_string());
        writeln!(self.stdin, "{query}").map_err(io)?;
        self.stdin.flush().map_err(io)?;
        let mut header = String::new();
        self.stdout.read_line(&mut header).map_err(io)?;
        let parts: Vec<&str> = header.split_whitespace().collect();
        match parts[..] {
            [id, kind, size] => Ok(Some(Object {
                id: id.to_string(),
                blob: kind == "blob",
                size: size
                    .parse()
                    .map_err(|_| GitError::CatFile(format!("unexpected answer {header:?}")))?,
            })),
            _ => Ok(None),
        }
    }
}

struct Object {
    id: String,
    blob: bool,
    size: usize,
}

impl Drop for Pipe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Blobs {
    pub fn start(repo: &Repo) -> Result<Blobs, GitError> {
        Ok(Blobs {
            check: Pipe::start(&repo.top, "--batch-check")?,
            batch: Pipe::start(&repo.top, "--batch")?,
        })
    }

    /// The blob id of `rev:path`, `None` when there is no such file.
    pub fn id(&mut self, rev: &str, path: &str) -> Result<Option<String>, GitError> {
        Ok(self
            .check
            .ask(&format!("{rev}:{path}"))?
            .filter(|o| o.blob)
            .map(|o| o.id))
    }

    /// The bytes of `rev:path`, `None` when there is no such file.
    pub fn read(&mut self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let Some(object) = self.batch.ask(&format!("{rev}:{path}"))? else {
            return Ok(None);
        };
        // The contents and a newline follow, whatever the object's type.
        let mut bytes = vec![0; object.size + 1];
        self.batch
            .stdout
            .read_exact(&mut bytes)
            .map_err(|e| GitError::CatFile(e.to_string()))?;
        bytes.pop();
        Ok(object.blob.then_some(bytes))
    }
}
