//! The `manifests` check of requested_at and reasons: what the ledger says it applied is what
//! the manifests said at its applied commit. Each distinct applied commit is read once, oldest
//! first: its manifest files (the config's globs, matched on the commit's tree) are parsed
//! with the manifest loader from git's objects (`cat-file`, CSV includes too), and a file's
//! parse is kept while the next commit holds the same blobs, so a history where each commit
//! changes one file parses each version once. Only items naming a number the ledger touched
//! are checked (the rest cost their YAML parse alone).

use super::{Finding, Git, Line, VerifyError, digit_runs, finding, short};
use crate::entry::Key;
use crate::history::git::Blobs;
use crate::manifest::{self, Config};
use crate::plan::ChangeKind;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// What one manifest file asks for one key: an entry's reason and request day, or a
/// tombstone's removal reason.
#[derive(Clone)]
enum Asked {
    Entry {
        reason: Arc<str>,
        requested_at: Option<chrono::NaiveDate>,
    },
    Tombstone {
        removal_reason: Arc<str>,
    },
}

/// What one file asks, by key.
type Parsed = HashMap<Key, Asked>;

/// A file's parse, with the blob ids of it and the CSV files it included (in that order).
struct Kept {
    ids: Vec<Option<String>>,
    csvs: Vec<String>,
    parsed: Arc<Parsed>,
}

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
        if let Some(r) = &line.record
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
        .filter_map(|l| Some(l.record.as_ref()?.phone_number.clone()))
        .collect();
    let mut reader = Reader {
        blobs: Blobs::start(&git.0)?,
        prefix: git.0.prefix.clone(),
        patterns: config.manifests.clone(),
        phone_code: config.phone_code,
        numbers,
        paths: Vec::new(),
        kept: HashMap::new(),
    };
    if let Some(tip) = reachable.first() {
        let log = git.run(&["log", "--format=", "--name-only", "--no-renames", tip])?;
        let paths: std::collections::BTreeSet<&str> =
            log.lines().filter(|p| reader.is_manifest(p)).collect();
        reader.paths = paths.into_iter().map(str::to_string).collect();
    }
    for commit in reachable.iter().rev() {
        let Some(at_commit) = by_commit.get(commit.as_str()) else {
            continue;
        };
        let files = reader.at(commit)?;
        for line in at_commit {
            compare(line, commit, &files, findings);
        }
    }
    Ok(())
}

/// The manifests' parses, one commit at a time.
struct Reader {
    blobs: Blobs,
    prefix: String,
    patterns: Vec<String>,
    phone_code: Option<u16>,
    /// Every national number on the ledger: the items worth checking.
    numbers: HashSet<String>,
    /// Every manifest path the branch ever had (one `git log`, not a tree listing per commit).
    paths: Vec<String>,
    /// The previous commit's parses, by path.
    kept: HashMap<String, Kept>,
}

impl Reader {
    /// The parse of every manifest file at `commit`.
    fn at(&mut self, commit: &str) -> Result<Vec<Arc<Parsed>>, VerifyError> {
        let mut kept = HashMap::new();
        let mut out = Vec::new();
        for path in self.paths.clone() {
            if let Some(file) = self.parse(commit, &path)? {
                out.push(file.parsed.clone());
                kept.insert(path, file);
            }
        }
        self.kept = kept;
        Ok(out)
    }

    fn is_manifest(&self, path: &str) -> bool {
        let Some(relative) = path.strip_prefix(&self.prefix) else {
            return false;
        };
        !relative.ends_with(".csv")
            && self
                .patterns
                .iter()
                .any(|p| manifest::glob_matches(Path::new(""), p, Path::new(relative)))
    }

    /// `path` at `commit`: the previous commit's parse when its blobs (its own and its
    /// includes') are the same, else a new one.
    fn parse(&mut self, commit: &str, path: &str) -> Result<Option<Kept>, VerifyError> {
        let Some(id) = self.blobs.id(commit, path)? else {
            return Ok(None);
        };
        let id = Some(id);
        if let Some(before) = self.kept.remove(path) {
            let mut now = vec![id.clone()];
            for csv in &before.csvs {
                now.push(self.blobs.id(commit, csv)?);
            }
            if now == before.ids {
                return Ok(Some(before));
            }
        }
        let text = self.blobs.read(commit, path)?.unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let requested = std::cell::RefCell::new(Vec::new());
        let failure = std::cell::RefCell::new(None);
        let blobs = std::cell::RefCell::new(&mut self.blobs);
        let read = |p: &Path| -> std::io::Result<Vec<u8>> {
            let csv = crate::paths::slashed(p);
            requested.borrow_mut().push(csv.clone());
            match blobs.borrow_mut().read(commit, &csv) {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => Err(std::io::ErrorKind::NotFound.into()),
                Err(e) => {
                    *failure.borrow_mut() = Some(e);
                    Err(std::io::ErrorKind::Other.into())
                }
            }
        };
        let numbers = &self.numbers;
        let keep = |item: &str| {
            digit_runs(item)
                .iter()
                .any(|d| (0..=3.min(d.len())).any(|skip| numbers.contains(&d[skip..])))
        };
        let desired = manifest::load_file(path, &text, self.phone_code, &read, &keep);
        if let Some(e) = failure.into_inner() {
            return Err(e.into());
        }
        let csvs = requested.into_inner();
        let mut ids = vec![id];
        for csv in &csvs {
            ids.push(self.blobs.id(commit, csv)?);
        }
        let mut parsed = Parsed::new();
        for e in desired.entries {
            let asked = Asked::Entry {
                reason: e.reason,
                requested_at: e.requested_at,
            };
            parsed.entry(e.key).or_insert(asked);
        }
        for t in desired.tombstones {
            let asked = Asked::Tombstone {
                removal_reason: t.removal_reason,
            };
            parsed.entry(t.key).or_insert(asked);
        }
        Ok(Some(Kept {
            ids,
            csvs,
            parsed: Arc::new(parsed),
        }))
    }
}

/// One ledger line against what the manifests at `commit` ask for its key.
fn compare(line: &Line, commit: &str, files: &[Arc<Parsed>], findings: &mut Vec<Finding>) {
    let Some(r) = &line.record else {
        return;
    };
    let key = r.key();
    let asked = files.iter().find_map(|f| f.get(&key));
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
