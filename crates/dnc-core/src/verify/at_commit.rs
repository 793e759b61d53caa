//! The `manifests` check of requested_at and reasons: what the ledger says it applied is what
//! the manifests said at its applied commit. Each distinct applied commit is read once, oldest
//! first: its manifest files (the config's globs, matched on the commit's tree) are parsed
//! with the manifest loader from git's objects (`cat-file`, CSV includes too), and a file's
//! parse is kept while the next commit holds the same blobs, so a history where each commit
//! changes one file parses each version once. Only items naming a number the ledger touched
//! are checked (the rest cost their YAML parse alone).

use super::{Finding, Git, Line, VerifyError, digit_runs, finding, short};
use crate::history::git::{Blobs, IncludeReader};
use crate::history::versions::{Asked, Parse, Version};
use crate::manifest::{self, Config};
use crate::plan::ChangeKind;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Compares every create, update, reassert and remove line with the manifests at its applied
/// commit. `reachable` is the manifests' branch, newest first; lines whose commit is not on
/// it are already findings of their own and are not read.
pub(super) fn check(
    git: &Git,
    config: &Config,
    lines: &[Line],
    reachable: &[String],
    findings: &mut Vec<Finding>,
) -> Result<(), VerifyError> {
    let mut by_commit: HashMap<&str, Vec<&Line>> = HashMap::new();
    for line in lines {
        if let Some(r) = line.record()
            && r.change != ChangeKind::Prune
            && let Some(c) = r.commit.as_deref()
        {
            by_commit.entry(c).or_default().push(line);
        }
    }
    if by_commit.is_empty() {
        return Ok(());
    }
    let numbers: HashSet<String> = by_commit
        .values()
        .flatten()
        .filter_map(|l| Some(l.record()?.phone_number.clone()))
        .collect();
    let mut reader = Reader::start(git, config, numbers, reachable.first())?;
    let applied: Vec<&String> = (reachable.iter().rev())
        .filter(|c| by_commit.contains_key(c.as_str()))
        .collect();
    for chunk in applied.chunks(PREFETCH) {
        reader.prefetch(chunk)?;
        for commit in chunk {
            let at_commit = &by_commit[commit.as_str()];
            compare_commit(&mut reader, commit, at_commit, findings)?;
        }
    }
    Ok(())
}

/// Applied commits whose blob ids (and changed files) are asked of git at once.
const PREFETCH: usize = 32;

fn compare_commit(
    reader: &mut Reader,
    commit: &str,
    at_commit: &[&Line],
    findings: &mut Vec<Finding>,
) -> Result<(), VerifyError> {
    let wanted: HashSet<&str> = at_commit
        .iter()
        .filter_map(|l| Some(l.record()?.phone_number.as_str()))
        .collect();
    let files = reader.at(commit, &wanted)?;
    for line in at_commit {
        let asked = line.record().and_then(|r| {
            files
                .iter()
                .find_map(|p| reader.files[p].version.asked(&r.key()))
        });
        compare(line, commit, asked, findings);
    }
    Ok(())
}

/// A file's current version, with the blob ids of it and the CSV files it included.
struct Kept {
    ids: Vec<Option<String>>,
    version: Version,
}

/// The manifests' files, one applied commit at a time.
struct Reader {
    blobs: Blobs,
    prefix: String,
    config: Settings,
    /// Settings by the config file's blob id, when a commit's config differs from today's.
    configs: HashMap<String, Settings>,
    /// Every ledger number: the items worth parsing.
    numbers: HashSet<String>,
    /// Their lengths.
    lengths: Vec<usize>,
    /// Every path the branch ever had (one `git log`, not a tree listing per commit).
    paths: Vec<String>,
    /// Which ledger numbers each blob's text holds.
    index: HashMap<String, HashSet<String>>,
    /// The latest version parsed of each path.
    files: HashMap<String, Kept>,
    /// The prefetched blob id of every path (in `paths` order) at each commit of a chunk.
    ids: HashMap<String, Vec<Option<String>>>,
    /// The prefetched text of each blob a chunk changed, by id.
    texts: HashMap<String, Vec<u8>>,
    /// The blob id of each path at the last commit prefetched.
    last: Vec<Option<String>>,
}

/// What a config says about where the manifests are and how to read their numbers.
#[derive(Clone)]
struct Settings {
    manifests: Vec<String>,
    phone_code: Option<u16>,
}

impl Reader {
    fn start(
        git: &Git,
        config: &Config,
        numbers: HashSet<String>,
        tip: Option<&String>,
    ) -> Result<Reader, VerifyError> {
        let mut paths = Vec::new();
        if let Some(tip) = tip {
            let log = git.run(&["log", "--format=", "--name-only", "--no-renames", tip])?;
            let all: std::collections::BTreeSet<&str> = log.lines().collect();
            paths = all.into_iter().map(str::to_string).collect();
        }
        let last = vec![None; paths.len()];
        Ok(Reader {
            blobs: Blobs::start(&git.0)?,
            prefix: git.0.prefix.clone(),
            config: Settings {
                manifests: config.manifests.clone(),
                phone_code: config.phone_code,
            },
            configs: HashMap::new(),
            lengths: numbers
                .iter()
                .map(String::len)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            numbers,
            paths,
            index: HashMap::new(),
            files: HashMap::new(),
            ids: HashMap::new(),
            texts: HashMap::new(),
            last,
        })
    }

    /// The manifest paths at `commit` that may hold one of the `wanted` numbers, parsed, in
    /// path order. A file whose text holds none of them is not parsed (it cannot ask for
    /// them), except one with CSV includes, whose CSV files may hold them.
    fn at(&mut self, commit: &str, wanted: &HashSet<&str>) -> Result<Vec<String>, VerifyError> {
        let settings = self.settings(commit)?;
        let ids = self.ids.get(commit).cloned().unwrap_or_default();
        let paths: Vec<(String, Option<String>)> = (self.paths.iter().cloned().zip(ids))
            .filter(|(p, _)| self.is_manifest(&settings, p))
            .collect();
        let mut out = Vec::new();
        for (path, id) in paths {
            let Some(id) = id else {
                continue;
            };
            if self.current(commit, &path, &id)? {
                out.push(path);
                continue;
            }
            let includes = self
                .files
                .get(&path)
                .is_some_and(|k| !k.version.csvs.is_empty());
            let asks = |held: &HashSet<String>| held.iter().any(|n| wanted.contains(n.as_str()));
            if !includes && self.index.get(&id).is_some_and(|held| !asks(held)) {
                continue;
            }
            let text = match self.texts.remove(&id) {
                Some(t) => t,
                None => self.blobs.read(commit, &path)?.unwrap_or_default(),
            };
            let text = String::from_utf8_lossy(&text);
            let held = self
                .index
                .entry(id.clone())
                .or_insert_with(|| holds(&text, &self.numbers, &self.lengths));
            if !includes && !asks(held) {
                continue;
            }
            let before = self.files.remove(&path).map(|k| k.version);
            let kept = self.parse(commit, &path, id, &text, before, &settings)?;
            self.files.insert(path.clone(), kept);
            out.push(path);
        }
        Ok(out)
    }

    /// Asks git at once for the blob id of every path at each of `commits` (oldest first),
    /// and for the text of each manifest blob they changed.
    fn prefetch(&mut self, commits: &[&String]) -> Result<(), VerifyError> {
        let specs: Vec<String> = (commits.iter())
            .flat_map(|c| self.paths.iter().map(move |p| format!("{c}:{p}")))
            .collect();
        let ids = self.blobs.ids(&specs)?;
        self.ids.clear();
        self.texts.clear();
        let mut wanted: Vec<String> = Vec::new();
        let width = self.paths.len().max(1);
        for (commit, ids) in commits.iter().zip(ids.chunks(width)) {
            self.ids.insert(commit.to_string(), ids.to_vec());
            let settings = self.settings(commit)?;
            for (i, id) in ids.iter().enumerate() {
                if *id != self.last[i] && self.is_manifest(&settings, &self.paths[i]) {
                    wanted.extend(id.clone());
                }
            }
            self.last = ids.to_vec();
        }
        wanted.sort();
        wanted.dedup();
        let texts = self.blobs.read_all(&wanted)?;
        for (id, text) in wanted.into_iter().zip(texts) {
            self.texts.extend(text.map(|t| (id, t)));
        }
        Ok(())
    }

    /// Whether the version of `path` already parsed is the one at `commit` (its blob and its
    /// CSV includes' blobs are the same).
    fn current(&mut self, commit: &str, path: &str, id: &str) -> Result<bool, VerifyError> {
        let Some(kept) = self.files.get(path) else {
            return Ok(false);
        };
        if kept.ids.first() != Some(&Some(id.to_string())) {
            return Ok(false);
        }
        let (csvs, ids) = (kept.version.csvs.clone(), kept.ids.clone());
        for (csv, before) in csvs.iter().zip(&ids[1..]) {
            if self.blobs.id(commit, csv)? != *before {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn parse(
        &mut self,
        commit: &str,
        path: &str,
        id: String,
        text: &str,
        before: Option<Version>,
        settings: &Settings,
    ) -> Result<Kept, VerifyError> {
        let reader = IncludeReader::new(&mut self.blobs, commit);
        let read = |p: &Path| reader.read(p);
        let numbers = &self.numbers;
        let keep = |item: &str| {
            digit_runs(item)
                .iter()
                .any(|d| (0..=3.min(d.len())).any(|skip| numbers.contains(&d[skip..])))
        };
        let how = Parse {
            path,
            phone_code: settings.phone_code,
            read: &read,
            keep: &keep,
        };
        let version = Version::parse(before, text, &how);
        reader.finish()?;
        let mut ids = vec![Some(id)];
        for csv in &version.csvs {
            ids.push(self.blobs.id(commit, csv)?);
        }
        Ok(Kept { ids, version })
    }

    fn is_manifest(&self, settings: &Settings, path: &str) -> bool {
        let Some(relative) = path.strip_prefix(&self.prefix) else {
            return false;
        };
        !relative.ends_with(".csv")
            && settings
                .manifests
                .iter()
                .any(|p| manifest::glob_matches(Path::new(""), p, Path::new(relative)))
    }

    /// The config at `commit`: its `manifests` globs and `phone_code` when it differs from
    /// today's and loads, today's otherwise.
    fn settings(&mut self, commit: &str) -> Result<Settings, VerifyError> {
        let path = format!("{}dnc.yaml", self.prefix);
        let at = self.paths.iter().position(|p| *p == path);
        let id = at.and_then(|i| self.ids.get(commit)?.get(i).cloned().flatten());
        let Some(id) = id else {
            return Ok(self.config.clone());
        };
        if let Some(s) = self.configs.get(&id) {
            return Ok(s.clone());
        }
        let text = self.blobs.read(commit, &path)?.unwrap_or_default();
        let settings = config_text(&text).unwrap_or_else(|| self.config.clone());
        self.configs.insert(id, settings.clone());
        Ok(settings)
    }
}

/// The settings a config file's text gives, through the config loader (`None` when it does
/// not load).
fn config_text(text: &[u8]) -> Option<Settings> {
    let dir = tempfile::tempdir().ok()?;
    std::fs::write(dir.path().join("dnc.yaml"), text).ok()?;
    let config = manifest::load_config(dir.path()).0?;
    Some(Settings {
        manifests: config.manifests,
        phone_code: config.phone_code,
    })
}

/// The ledger numbers `text` holds: every window of every run of digits (with the
/// separators numbers are written with) that is a ledger number. A superset of what the
/// loader's `keep` finds item by item, so a file holding none is a file asking for none.
fn holds(text: &str, numbers: &HashSet<String>, lengths: &[usize]) -> HashSet<String> {
    let mut found = HashSet::new();
    let mut digits = String::new();
    for b in text.bytes().chain(std::iter::once(b'\n')) {
        match b {
            b'0'..=b'9' => digits.push(char::from(b)),
            b' ' | b'-' | b'.' | b'(' | b')' | b'+' => {}
            _ if digits.is_empty() => {}
            _ => {
                for &len in lengths {
                    for start in 0..(digits.len() + 1).saturating_sub(len) {
                        if let Some(n) = numbers.get(&digits[start..start + len]) {
                            found.insert(n.clone());
                        }
                    }
                }
                digits.clear();
            }
        }
    }
    found
}

/// One ledger line against what the manifests at `commit` ask for its key.
fn compare(line: &Line, commit: &str, asked: Option<&Asked>, findings: &mut Vec<Finding>) {
    let Some(r) = line.record() else {
        return;
    };
    let key = r.key();
    let at = format!("{}, commit {}", line.at(), short(commit));
    let mut differs = |field: &str, ledger: Option<&str>, manifests: Option<&str>| {
        if ledger != manifests {
            findings.push(finding(
                "manifests",
                &at,
                format!(
                    "the ledger's {field} for {} in scope {} is {}, the manifests at the applied commit say {}: the line was changed after it was written, or the commit was",
                    key.phone.display(),
                    key.scope,
                    shown(ledger),
                    shown(manifests),
                ),
            ));
        }
    };
    match (r.change, asked) {
        (ChangeKind::Remove, Some(Asked::Tombstone { removal_reason })) => {
            differs(
                "removal_reason",
                r.removal_reason.as_deref(),
                Some(removal_reason),
            );
        }
        (ChangeKind::Remove, _) => {
            findings.push(finding(
                "manifests",
                &at,
                format!(
                    "the ledger removed {} in scope {}, but the manifests at the applied commit have no tombstone for it",
                    key.phone.display(),
                    key.scope
                ),
            ));
        }
        (
            _,
            Some(Asked::Entry {
                reason,
                requested_at,
            }),
        ) => {
            if let Some(recorded) = r.reason.as_deref() {
                differs("reason", Some(recorded), Some(reason));
            }
            if let Some(recorded) = r.requested_at {
                differs(
                    "requested_at",
                    Some(&recorded.to_string()),
                    requested_at.map(|d| d.to_string()).as_deref(),
                );
            }
        }
        (change, _) => {
            findings.push(finding(
                "manifests",
                &at,
                format!(
                    "the ledger records {} of {} in scope {}, but the manifests at the applied commit have no entry for it",
                    match change {
                        ChangeKind::Update => "an update",
                        ChangeKind::Reassert => "a reassert",
                        _ => "a create",
                    },
                    key.phone.display(),
                    key.scope
                ),
            ));
        }
    }
}

fn shown(value: Option<&str>) -> String {
    value.map_or("(none)".to_string(), |v| format!("{v:?}"))
}
