//! Which manifest commit asked for each change: one pass over the manifests' history, each
//! changed file's versions parsed incrementally (`history::versions`), crediting each key to
//! the commits that changed what the manifests ask for it (an entry appearing or its reason
//! or request day changing, a tombstone appearing or its removal reason changing). A reason
//! edited on its own line, or a file's `defaults`, is credited to the commit that edited it,
//! not to the one that first wrote the number.

use crate::entry::Key;
use crate::history::git::{Blobs, IncludeReader, Repo};
use crate::history::versions::{Parse, Version};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

pub struct Asked {
    /// By key: the commits that changed what the manifests ask for it, oldest first, with
    /// their place in the walk.
    changes: HashMap<Key, Vec<(usize, Arc<CommitRef>)>>,
    /// Each commit's place in the walk (oldest first, parents before children).
    order: HashMap<String, usize>,
}

pub struct CommitRef {
    pub hash: String,
    pub author: String,
    time: Option<DateTime<Utc>>,
}

impl Asked {
    /// The latest change to `key` at or before the applied commit, or, when that commit is
    /// not in the manifests' history, at or before `time`.
    pub fn before(&self, key: &Key, applied: Option<&str>, time: &str) -> Option<&CommitRef> {
        let changes = self.changes.get(key)?;
        let found = match applied.and_then(|c| self.order.get(c)) {
            Some(&at) => changes.iter().rev().find(|(i, _)| *i <= at),
            None => {
                let at = instant(time);
                changes
                    .iter()
                    .rev()
                    .find(|(_, c)| at.is_none() || c.time <= at)
            }
        };
        found.map(|(_, c)| &**c)
    }
}

fn instant(time: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The commits that changed what the manifests ask for the `wanted` keys; notes say why none
/// could be looked up.
pub fn find(
    root: &Path,
    phone_code: Option<u16>,
    wanted: &[Key],
    notes: &mut Vec<String>,
) -> Asked {
    let mut asked = Asked {
        changes: HashMap::new(),
        order: HashMap::new(),
    };
    let repo = match Repo::discover(root) {
        Ok(Some(repo)) if repo.has_commits() => repo,
        _ => {
            notes.push(format!(
                "{} is not in a git repository with commits: no manifest commits",
                root.display()
            ));
            return asked;
        }
    };
    if repo.is_shallow() {
        notes.push(
            "this is a shallow clone: commits before its depth are missing (git fetch --unshallow)"
                .to_string(),
        );
    }
    if let Err(e) = walk(&repo, phone_code, wanted, &mut asked) {
        notes.push(format!("reading the manifests' history failed: {e}"));
    }
    asked
}

/// One commit of the walk: its hash, first parent, author, time and changed paths.
struct Step<'a> {
    hash: &'a str,
    parent: Option<&'a str>,
    commit: Arc<CommitRef>,
    paths: Vec<&'a str>,
}

fn steps(log: &str) -> impl Iterator<Item = Step<'_>> {
    log.split('\x1e').filter(|c| !c.is_empty()).filter_map(|c| {
        let mut lines = c.lines();
        let mut head = lines.next()?.split('\x1f');
        let (hash, parents, author, time) =
            (head.next()?, head.next()?, head.next()?, head.next()?);
        Some(Step {
            hash,
            parent: parents.split(' ').next().filter(|p| !p.is_empty()),
            commit: Arc::new(CommitRef {
                hash: hash.to_string(),
                author: author.to_string(),
                time: instant(time),
            }),
            paths: lines.filter(|l| !l.is_empty()).collect(),
        })
    })
}

fn walk(
    repo: &Repo,
    phone_code: Option<u16>,
    wanted: &[Key],
    asked: &mut Asked,
) -> Result<(), crate::history::GitError> {
    let log = repo.run(&[
        "log",
        "--reverse",
        "--topo-order",
        "--no-renames",
        "--format=%x1e%H%x1f%P%x1f%an%x1f%cI",
        "--name-only",
        "HEAD",
    ])?;
    let mut files = Files {
        blobs: Blobs::start(repo)?,
        phone_code,
        nationals: wanted
            .iter()
            .map(|k| k.phone.national.to_string())
            .collect(),
        versions: HashMap::new(),
        ids: HashMap::new(),
        texts: HashMap::new(),
    };
    let wanted: HashSet<&Key> = wanted.iter().collect();
    let config = format!("{}dnc.yaml", repo.prefix);
    let manifest = |path: &&str| {
        let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
        yaml && path.starts_with(&repo.prefix) && *path != config
    };
    let steps: Vec<Step> = steps(&log).collect();
    for (c, chunk) in steps.chunks(PREFETCH).enumerate() {
        files.prefetch(chunk, &manifest)?;
        for (j, step) in chunk.iter().enumerate() {
            let i = c * PREFETCH + j;
            asked.order.insert(step.hash.to_string(), i);
            let mut changed: Vec<String> = Vec::new();
            for path in &step.paths {
                if manifest(path) {
                    changed.push(path.to_string());
                } else if path.ends_with(".csv") {
                    changed.extend(files.including(path));
                }
            }
            changed.sort_unstable();
            changed.dedup();
            credit(&mut files, step, i, changed, &wanted, asked)?;
        }
    }
    Ok(())
}

/// Commits whose changed files' blob ids and texts are asked of git at once.
const PREFETCH: usize = 32;

/// Credits `step` (the `i`th commit) for the wanted keys its `changed` files changed.
fn credit(
    files: &mut Files,
    step: &Step,
    i: usize,
    changed: Vec<String>,
    wanted: &HashSet<&Key>,
    asked: &mut Asked,
) -> Result<(), crate::history::GitError> {
    for path in changed {
        for key in files.step(step, &path)? {
            if wanted.contains(&key) {
                let credits = asked.changes.entry(key).or_default();
                credits.push((i, step.commit.clone()));
            }
        }
    }
    Ok(())
}

/// The latest version of each manifest file, walked commit by commit.
struct Files {
    blobs: Blobs,
    phone_code: Option<u16>,
    nationals: HashSet<String>,
    /// By path: the blob id and the parse.
    versions: HashMap<String, (String, Version)>,
    /// Prefetched blob ids by `rev:path`, and texts by blob id.
    ids: HashMap<String, Option<String>>,
    texts: HashMap<String, Vec<u8>>,
}

impl Files {
    /// Asks git at once for the blob ids of the `manifest` files `steps` changed, at each
    /// step and its parent, and for the texts of the new versions.
    fn prefetch(
        &mut self,
        steps: &[Step],
        manifest: &dyn Fn(&&str) -> bool,
    ) -> Result<(), crate::history::GitError> {
        let mut specs = Vec::new();
        for step in steps {
            for path in step.paths.iter().filter(|p| manifest(p)) {
                specs.push(format!("{}:{path}", step.hash));
                specs.extend(step.parent.map(|p| format!("{p}:{path}")));
            }
        }
        let ids = self.blobs.ids(&specs)?;
        self.ids = specs.iter().cloned().zip(ids).collect();
        let mut new: Vec<String> = Vec::new();
        for step in steps {
            for path in step.paths.iter().filter(|p| manifest(p)) {
                new.extend(self.ids[&format!("{}:{path}", step.hash)].clone());
            }
        }
        new.sort();
        new.dedup();
        let texts = self.blobs.read_all(&new)?;
        self.texts = new
            .into_iter()
            .zip(texts)
            .filter_map(|(id, t)| Some((id, t?)))
            .collect();
        Ok(())
    }

    fn id(&mut self, rev: &str, path: &str) -> Result<Option<String>, crate::history::GitError> {
        match self.ids.get(&format!("{rev}:{path}")) {
            Some(id) => Ok(id.clone()),
            None => self.blobs.id(rev, path),
        }
    }

    /// The manifest files whose latest version includes the CSV file `csv`.
    fn including(&self, csv: &str) -> Vec<String> {
        let including = self.versions.iter();
        let including = including.filter(|(_, (_, v))| v.csvs.iter().any(|c| c == csv));
        including.map(|(path, _)| path.clone()).collect()
    }

    /// `path` at the commit `step`: the keys whose asked value it changed against its first
    /// parent (every key it asks for, for a root commit or a new file).
    fn step(&mut self, step: &Step, path: &str) -> Result<Vec<Key>, crate::history::GitError> {
        let Some(id) = self.id(step.hash, path)? else {
            self.versions.remove(path);
            return Ok(Vec::new());
        };
        let parent_id = match step.parent {
            Some(parent) => self.id(parent, path)?,
            None => None,
        };
        // The version walked last is usually the parent's; on another branch's, read the
        // parent's own.
        let mut before = self
            .versions
            .remove(path)
            .filter(|(walked, v)| Some(walked) == parent_id.as_ref() && v.csvs.is_empty());
        if before.is_none()
            && let (Some(parent), Some(parent_id)) = (step.parent, parent_id)
        {
            let version = self.parse(parent, path, None)?;
            before = Some((parent_id, version));
        }
        let text = match self.texts.remove(&id) {
            Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            None => self.text(step.hash, path)?,
        };
        let (version, changed) = match before {
            Some((_, b)) => self.next(b, step.hash, path, &text)?,
            None => {
                let v = self.parse(step.hash, path, Some(&text))?;
                let all = v.all().map(|(k, _)| k.clone()).collect();
                (v, all)
            }
        };
        self.versions.insert(path.to_string(), (id, version));
        Ok(changed)
    }

    fn text(&mut self, rev: &str, path: &str) -> Result<String, crate::history::GitError> {
        let bytes = self.blobs.read(rev, path)?.unwrap_or_default();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `path` at `rev` parsed whole (`text` when already read).
    fn parse(
        &mut self,
        rev: &str,
        path: &str,
        text: Option<&str>,
    ) -> Result<Version, crate::history::GitError> {
        let text = match text {
            Some(t) => t.to_string(),
            None => self.text(rev, path)?,
        };
        self.with_parse(rev, path, |how| Version::parse(None, &text, how))
    }

    fn next(
        &mut self,
        before: Version,
        rev: &str,
        path: &str,
        text: &str,
    ) -> Result<(Version, Vec<Key>), crate::history::GitError> {
        self.with_parse(rev, path, |how| before.next(text, how))
    }

    /// Runs `f` with how to read `path` at `rev`: its CSV includes from git's objects, only
    /// the items naming a wanted number.
    fn with_parse<T>(
        &mut self,
        rev: &str,
        path: &str,
        f: impl FnOnce(&Parse) -> T,
    ) -> Result<T, crate::history::GitError> {
        let reader = IncludeReader::new(&mut self.blobs, rev);
        let read = |p: &Path| reader.read(p);
        let nationals = &self.nationals;
        let keep = |item: &str| {
            numbers_in(item)
                .iter()
                .any(|d| national_in(d, nationals).is_some())
        };
        let how = Parse {
            path,
            phone_code: self.phone_code,
            read: &read,
            keep: &keep,
        };
        let out = f(&how);
        reader.finish()?;
        Ok(out)
    }
}
/// The digits of each phone-like run in a line: digits with spaces, dashes, dots,
/// parentheses or a `+` between them, at least seven digits long.
fn numbers_in(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut digits = String::new();
    for c in line.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !" -.()+".contains(c) {
            if digits.len() >= 7 {
                out.push(std::mem::take(&mut digits));
            }
            digits.clear();
        }
    }
    out
}

/// The wanted national number these digits spell, with or without a country code before.
fn national_in<'w>(digits: &str, nationals: &'w HashSet<String>) -> Option<&'w String> {
    (0..=3.min(digits.len())).find_map(|skip| nationals.get(&digits[skip..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_any_notation() {
        // Dates are runs of digits too; they match no wanted number.
        assert_eq!(
            numbers_in("+  - number: \"(202) 555-0143\"  # 2026-03-01"),
            ["2025550143", "20260301"]
        );
        assert_eq!(
            numbers_in("+2025550144,1,global,DNC,,T-1,2026-03-01,web"),
            ["2025550144", "20260301"]
        );
        let wanted = HashSet::from(["2025550143".to_string()]);
        let found = Some(&wanted.iter().next().unwrap().clone());
        assert_eq!(national_in("12025550143", &wanted), found.as_ref().copied());
        assert_eq!(national_in("2025550143", &wanted), found.as_ref().copied());
        assert_eq!(national_in("2025550144", &wanted), None);
    }
}
