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
        self.answer()
    }

    /// Sends every query at once (batch-check mode: no bytes follow), then reads their
    /// answers: one round trip instead of one per query. Chunked so that neither pipe fills
    /// while the other side waits.
    fn ask_all(&mut self, queries: &[String]) -> Result<Vec<Option<Object>>, GitError> {
        let mut out = Vec::with_capacity(queries.len());
        for chunk in queries.chunks(CHUNK) {
            for sent in self.send(chunk)? {
                out.push(if sent { self.answer()? } else { None });
            }
        }
        Ok(out)
    }

    /// Writes the queries that are one line each; which were sent.
    fn send(&mut self, queries: &[String]) -> Result<Vec<bool>, GitError> {
        let io = |e: std::io::Error| GitError::CatFile(e.to_string());
        let sent: Vec<bool> = queries.iter().map(|q| !q.contains(['\n', '\r'])).collect();
        let mut text = String::new();
        for (q, _) in queries.iter().zip(&sent).filter(|(_, s)| **s) {
            text.push_str(q);
            text.push('\n');
        }
        self.stdin.write_all(text.as_bytes()).map_err(io)?;
        self.stdin.flush().map_err(io)?;
        Ok(sent)
    }

    /// The bytes that follow a batch answer's header (and its newline).
    fn body(&mut self, object: &Object) -> Result<Vec<u8>, GitError> {
        let mut bytes = vec![0; object.size + 1];
        self.stdout
            .read_exact(&mut bytes)
            .map_err(|e| GitError::CatFile(e.to_string()))?;
        bytes.pop();
        Ok(bytes)
    }

    fn answer(&mut self) -> Result<Option<Object>, GitError> {
        let io = |e: std::io::Error| GitError::CatFile(e.to_string());
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

/// Queries written at once: small enough (a few KiB) that writing them never blocks while
/// git waits for its answers to be read.
const CHUNK: usize = 64;

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

    /// The blob id of each `rev:path` (or object) in `specs`, asked all at once.
    pub fn ids(&mut self, specs: &[String]) -> Result<Vec<Option<String>>, GitError> {
        let answers = self.check.ask_all(specs)?;
        Ok(answers
            .into_iter()
            .map(|o| o.filter(|o| o.blob).map(|o| o.id))
            .collect())
    }

    /// The bytes of each blob in `specs` (`rev:path` or an id), asked a chunk at a time:
    /// one round trip per chunk instead of one per blob.
    pub fn read_all(&mut self, specs: &[String]) -> Result<Vec<Option<Vec<u8>>>, GitError> {
        let mut out = Vec::with_capacity(specs.len());
        for chunk in specs.chunks(CHUNK) {
            for sent in self.batch.send(chunk)? {
                let object = if sent { self.batch.answer()? } else { None };
                out.push(match object {
                    Some(o) => Some(self.batch.body(&o)?).filter(|_| o.blob),
                    None => None,
                });
            }
        }
        Ok(out)
    }

    /// The bytes of `rev:path`, `None` when there is no such file.
    pub fn read(&mut self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let Some(object) = self.batch.ask(&format!("{rev}:{path}"))? else {
            return Ok(None);
        };
        // The contents and a newline follow, whatever the object's type.
        let bytes = self.batch.body(&object)?;
        Ok(object.blob.then_some(bytes))
    }
}

/// The CSV includes of a manifest read from git's objects at one commit, for the manifest
/// loader (which sees an I/O error only): the first git failure is kept for the caller.
pub struct IncludeReader<'b> {
    blobs: std::cell::RefCell<&'b mut Blobs>,
    rev: &'b str,
    failure: std::cell::RefCell<Option<GitError>>,
}

impl<'b> IncludeReader<'b> {
    pub fn new(blobs: &'b mut Blobs, rev: &'b str) -> Self {
        IncludeReader {
            blobs: std::cell::RefCell::new(blobs),
            rev,
            failure: std::cell::RefCell::new(None),
        }
    }

    pub fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let read = self
            .blobs
            .borrow_mut()
            .read(self.rev, &crate::paths::slashed(path));
        match read {
            Ok(Some(bytes)) => Ok(bytes),
            Ok(None) => Err(std::io::ErrorKind::NotFound.into()),
            Err(e) => {
                *self.failure.borrow_mut() = Some(e);
                Err(std::io::ErrorKind::Other.into())
            }
        }
    }

    /// The first git failure, if any read failed.
    pub fn finish(self) -> Result<(), GitError> {
        self.failure.into_inner().map_or(Ok(()), Err)
    }
}
