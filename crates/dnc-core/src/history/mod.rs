//! A number's timeline: what the manifests' git history did to it (added, changed, moved,
//! tombstoned, unlisted) and what the ledger says was applied, in time order.
//!
//! Git is asked only about the commits that matter: a pickaxe search (`git log -G`) for lines
//! holding the number's digits (any separators between them) finds every file that ever named
//! it, old names included; the CSV files among them bring the manifests that include them; the
//! commits touching those files are the candidates. At each candidate the files are parsed
//! with the manifest loader before and after (blobs read through `git cat-file`, parses cached
//! by blob id), and the number's entry per scope is compared. Merge commits are skipped: the
//! commits on the merged branch carry their changes.
//!
//! JSON shape (`format_version` 1):
//! ```json
//! {"format_version": 1,
//!  "number": {"phone_code": 1, "phone_number": "2025550143", "display": "+1 202-555-0143"},
//!  "notes": ["..."],
//!  "events": [
//!    {"time": "2026-03-01T10:00:00+00:00", "scope": 0, "scope_name": "global",
//!     "event": "added", "file": "lists/a.yaml", "reason": "DNC", "purpose": null,
//!     "commit": {"hash": "...", "author": "...", "email": "...", "subject": "..."}},
//!    {"event": "changed", "file": "...", "reason": {"old": "...", "new": "..."},
//!     "purpose": {"old": null, "new": null}, ...},
//!    {"event": "moved", "from": "lists/a.yaml", "to": "lists/b.yaml", ...},
//!    {"event": "tombstoned", "file": "...", "removal_reason": "...", ...},
//!    {"event": "tombstone_removed", "file": "...", "removal_reason": "...", ...},
//!    {"event": "unlisted", "file": "...", "reason": "...", ...},
//!    {"event": "applied", "change": "create", "outcome": "done", "id": 5083,
//!     "actor": "...", "plan_hash": "...", "git_commit": "...", "reason": "...",
//!     "purpose": null, "removal_reason": null, "source": "...", "error": null,
//!     "requested_at": "2026-03-01", "due": "2026-03-13", "late": false,
//!     "ticket": "COMP-1234", "request_source": "inbound call",
//!     "commit": null, ...},
//!    {"event": "missing", "last_present": "...", "restored_at": "...", "restored_by": "apply",
//!     "lasted": "4d 3h", "checks": 2, ...}
//!  ]}
//! ```
//! `unlisted` means the number left the manifests without a tombstone: dnc stopped managing
//! it, and the remote entry stays. A `changed` event shows both attributes; equal `old` and
//! `new` mean that one did not change. A tombstone whose removal reason changes is
//! `tombstoned` again with the new reason. `outcome` is `done`, `converged`, `failed` or
//! `interrupted` (a start line with no finish line). An `applied` create that put back an entry
//! which had vanished from the dialer carries `restore` (its gap), one repeating a create
//! already in effect `repeat: true`; `missing` is a gap the drift checks found.

pub(crate) mod git;
pub mod render;
pub(crate) mod versions;

pub use git::GitError;

use crate::entry::CampaignId;
use crate::ledger;
use crate::manifest::{self, Config};
use crate::phone::Phone;
use crate::plan::{ChangeKind, Edit};
use chrono::{DateTime, Utc};
use git::{Blobs, Commit, Repo};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct Timeline {
    pub format_version: u32,
    pub number: Number,
    /// What limits the timeline (no repository, a shallow clone, no ledger).
    pub notes: Vec<String>,
    pub events: Vec<Event>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Number {
    #[serde(flatten)]
    pub phone: Phone,
    pub display: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// RFC 3339: the committer date of a commit, the finish time of an operation.
    pub time: String,
    pub scope: CampaignId,
    pub scope_name: String,
    #[serde(flatten)]
    pub what: What,
    /// The commit that made a manifest change.
    pub commit: Option<CommitInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    pub hash: String,
    pub author: String,
    pub email: String,
    pub subject: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum What {
    Added {
        file: String,
        reason: String,
        purpose: Option<String>,
    },
    Changed {
        file: String,
        reason: Edit,
        purpose: Edit,
    },
    Moved {
        from: String,
        to: String,
    },
    Tombstoned {
        file: String,
        removal_reason: String,
    },
    TombstoneRemoved {
        file: String,
        removal_reason: String,
    },
    /// Left the manifests without a tombstone: no longer managed, the remote entry stays.
    Unlisted {
        file: String,
        reason: String,
    },
    Applied {
        change: ChangeKind,
        outcome: String,
        id: Option<u64>,
        actor: Option<String>,
        plan_hash: String,
        git_commit: Option<String>,
        reason: Option<String>,
        purpose: Option<String>,
        removal_reason: Option<String>,
        source: Option<String>,
        error: Option<String>,
        /// A create's request day and deadline, and whether it took effect after it.
        requested_at: Option<chrono::NaiveDate>,
        due: Option<chrono::NaiveDate>,
        late: Option<bool>,
        /// The request's ticket and where it came from, as the manifest wrote them.
        ticket: Option<String>,
        request_source: Option<String>,
        #[serde(flatten)]
        run: Box<RunShown>,
        /// A create that put back an entry which had vanished from the dialer: its gap.
        #[serde(skip_serializing_if = "Option::is_none")]
        restore: Option<Box<crate::drift::Restore>>,
        /// A create of an entry already in effect (a retry): not a new opt-out.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        repeat: bool,
    },
    /// A drift check found the applied entry missing from the dialer (the first check of a
    /// gap; `time` is that check's).
    Missing {
        last_present: Option<String>,
        /// When it was back (`restored_by`: `apply` or `found`), none while still missing.
        restored_at: Option<String>,
        restored_by: Option<&'static str>,
        /// From the last time it was known present to its return (or the last check).
        lasted: Option<String>,
        /// The drift checks that found it missing.
        checks: usize,
    },
}

/// The approval trail of the run that applied an operation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunShown {
    /// The pull request behind the applied commit, as the run recorded it.
    pub trail: Option<crate::trail::Trail>,
    /// The overrides given and who gave them (`--allow-removals 1 by dave`).
    pub overrides: Option<String>,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum HistoryError {
    #[error(transparent)]
    #[diagnostic(
        code(dnc::history::git),
        help("check that git is installed and can read the repository holding the manifests")
    )]
    Git(#[from] GitError),
    #[error("{0}")]
    #[diagnostic(
        code(dnc::history::ledger),
        help("name an existing ledger with --ledger FILE or --ledger-branch BRANCH")
    )]
    Ledger(String),
    /// A ledger file dnc refuses to read (a symlink, a FIFO, out of the folder).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Refused(ledger::LedgerError),
}

/// Where the ledger is: a file (its absence is an error only when it was named
/// explicitly), or a git branch or ref of the config's repository.
pub enum LedgerSource<'a> {
    File(&'a ledger::Place),
    Branch(&'a str),
}

impl<'a> LedgerSource<'a> {
    /// The ledger a command names: a branch, or else the file `place` (whose absence is only
    /// a note when it is the default).
    pub fn chosen(branch: Option<&'a str>, place: &'a ledger::Place) -> LedgerSource<'a> {
        match branch {
            Some(rev) => LedgerSource::Branch(rev),
            None => LedgerSource::File(place),
        }
    }

    /// The ledger's operation records; `notes` gets why there are none, and each line it
    /// could not read.
    pub fn records(
        &self,
        root: &Path,
        notes: &mut Vec<String>,
    ) -> Result<Vec<ledger::Record>, HistoryError> {
        Ok(ledger::split(self.lines(root, notes)?).records)
    }

    /// The ledger's lines (operations, runs and, on the branch, drift checks); `notes` gets why there are none, and each
    /// line it could not read.
    pub fn lines(
        &self,
        root: &Path,
        notes: &mut Vec<String>,
    ) -> Result<Vec<ledger::Line>, HistoryError> {
        match self {
            LedgerSource::File(place) => match ledger::read_lines_at(place) {
                Ok(Some((lines, unreadable))) => {
                    notes.extend(unreadable);
                    Ok(lines)
                }
                Ok(None) => {
                    notes.push(format!(
                        "no ledger at {}: no applied operations",
                        place.path().display()
                    ));
                    Ok(Vec::new())
                }
                Err(e @ ledger::LedgerError::Read { .. }) => Err(HistoryError::Ledger(chain(&e))),
                Err(e) => Err(HistoryError::Refused(e)),
            },
            LedgerSource::Branch(rev) => crate::ledger_git::read_lines(root, rev)
                .map_err(|e| HistoryError::Ledger(format!("reading the ledger from {rev}: {e}"))),
        }
    }
}

/// An error and its causes on one line (`opening the ledger x: No such file or directory`).
fn chain(e: &dyn std::error::Error) -> String {
    std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// The timeline of `phone` from the git history of the manifests under the config's
/// directory and from the ledger.
pub fn timeline(
    config: &Config,
    phone: &Phone,
    ledger: LedgerSource,
) -> Result<Timeline, HistoryError> {
    let mut notes = Vec::new();
    let mut events = match Repo::discover(&config.root)? {
        Some(repo) if repo.has_commits() => {
            if repo.is_shallow() {
                notes.push(
                    "this is a shallow clone: commits before its depth are missing (git fetch --unshallow)"
                        .to_string(),
                );
            }
            git_events(&repo, config.phone_code, phone)?
        }
        Some(_) => {
            notes.push("the repository has no commits yet".to_string());
            Vec::new()
        }
        None => {
            notes.push(format!(
                "{} is not in a git repository: no manifest history",
                config.root.display()
            ));
            Vec::new()
        }
    };
    events.extend(ledger_events(
        ledger::split(ledger.lines(&config.root, &mut notes)?),
        phone,
    ));
    // Stable: commits keep their history order, operations follow the commits of their time.
    events.sort_by_key(|e| instant(&e.time));
    Ok(Timeline {
        format_version: FORMAT_VERSION,
        number: Number {
            phone: phone.clone(),
            display: phone.display(),
        },
        notes,
        events,
    })
}

fn instant(time: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What the manifests say about the number in one scope at one commit.
#[derive(Clone, Debug, PartialEq)]
struct Item {
    file: String,
    held: Held,
}

#[derive(Clone, Debug, PartialEq)]
enum Held {
    Entry {
        reason: String,
        purpose: Option<String>,
    },
    Tombstone {
        removal_reason: String,
    },
}

type State = BTreeMap<CampaignId, Item>;

fn git_events(
    repo: &Repo,
    phone_code: Option<u16>,
    phone: &Phone,
) -> Result<Vec<Event>, HistoryError> {
    let pathspecs: Vec<String> = ["yaml", "yml", "csv"]
        .iter()
        .map(|ext| format!(":(glob){}**/*.{ext}", repo.prefix))
        .collect();
    let yaml_specs = &pathspecs[..2];
    let named = repo.paths_matching(&digits_regex(&phone.national), &pathspecs)?;
    let mut files: BTreeSet<String> = named.clone();
    for csv in named.iter().filter(|p| p.ends_with(".csv")) {
        let base = csv.rsplit('/').next().unwrap_or(csv);
        files.extend(repo.paths_matching(&ere_escape(base), yaml_specs)?);
    }
    let manifests: Vec<String> = files
        .iter()
        .filter(|p| !p.ends_with(".csv"))
        .cloned()
        .collect();
    let paths: Vec<String> = files.into_iter().collect();
    let commits = repo.commits(&paths)?;
    let mut states = States {
        blobs: Blobs::start(repo)?,
        phone,
        phone_code,
        manifests,
        includes: HashMap::new(),
        parsed: HashMap::new(),
        csv_rows: HashMap::new(),
    };
    let mut events = Vec::new();
    for c in &commits {
        let before = match &c.parent {
            Some(p) => states.at(p)?,
            None => State::new(),
        };
        let after = states.at(&c.hash)?;
        events.extend(compare(&before, &after, c));
    }
    Ok(events)
}

/// A manifest's path and the blob ids of it and its includes.
type ParseKey = (String, Vec<Option<String>>);

/// The number's state at any commit, from the manifests that ever named it.
struct States<'p> {
    blobs: Blobs,
    phone: &'p Phone,
    phone_code: Option<u16>,
    manifests: Vec<String>,
    /// The CSV paths a manifest includes, by its path and blob id, learned at its first
    /// parse (paths matter: items name their file, and includes resolve from it).
    includes: HashMap<(String, String), Vec<String>>,
    /// Items found, by the manifest's path and the blob ids of it and its includes.
    parsed: HashMap<ParseKey, Vec<(CampaignId, Item)>>,
    /// The rows of a CSV blob that may hold the number, by blob id.
    csv_rows: HashMap<String, Vec<u8>>,
}

impl States<'_> {
    fn at(&mut self, rev: &str) -> Result<State, GitError> {
        let mut state = State::new();
        for path in self.manifests.clone() {
            for (scope, item) in self.items(rev, &path)? {
                state.entry(scope).or_insert(item);
            }
        }
        Ok(state)
    }

    fn items(&mut self, rev: &str, path: &str) -> Result<Vec<(CampaignId, Item)>, GitError> {
        let Some(id) = self.blobs.id(rev, path)? else {
            return Ok(Vec::new());
        };
        let blob = (path.to_string(), id);
        if let Some(csvs) = self.includes.get(&blob).cloned() {
            let key = self.key(rev, &blob, &csvs)?;
            if let Some(hit) = self.parsed.get(&key) {
                return Ok(hit.clone());
            }
        }
        let text = self.blobs.read(rev, path)?.unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let requested = RefCell::new(Vec::new());
        let failure = RefCell::new(None);
        let items = if !contains_digits(&text, &self.phone.national) && !text.contains("include") {
            Vec::new()
        } else {
            let blobs = RefCell::new(&mut self.blobs);
            let rows = RefCell::new(&mut self.csv_rows);
            let national = &self.phone.national;
            let read = |p: &Path| -> std::io::Result<Vec<u8>> {
                let csv = crate::paths::slashed(p);
                requested.borrow_mut().push(csv.clone());
                match csv_rows(
                    &mut blobs.borrow_mut(),
                    &mut rows.borrow_mut(),
                    rev,
                    &csv,
                    national,
                ) {
                    Ok(Some(bytes)) => Ok(bytes),
                    Ok(None) => Err(std::io::ErrorKind::NotFound.into()),
                    Err(e) => {
                        *failure.borrow_mut() = Some(e);
                        Err(std::io::ErrorKind::Other.into())
                    }
                }
            };
            let keep = |item: &str| contains_digits(item, national);
            let desired = manifest::load_file(path, &text, self.phone_code, &read, &keep);
            found(desired, self.phone)
        };
        if let Some(e) = failure.into_inner() {
            return Err(e);
        }
        let csvs = requested.into_inner();
        let key = self.key(rev, &blob, &csvs)?;
        self.includes.insert(blob, csvs);
        self.parsed.insert(key, items.clone());
        Ok(items)
    }

    fn key(
        &mut self,
        rev: &str,
        (path, id): &(String, String),
        csvs: &[String],
    ) -> Result<ParseKey, GitError> {
        let mut ids = vec![Some(id.clone())];
        for csv in csvs {
            ids.push(self.blobs.id(rev, csv)?);
        }
        Ok((path.clone(), ids))
    }
}

/// The header and the rows of `rev:path` that may hold the number, read once per blob.
fn csv_rows(
    blobs: &mut Blobs,
    cache: &mut HashMap<String, Vec<u8>>,
    rev: &str,
    path: &str,
    national: &str,
) -> Result<Option<Vec<u8>>, GitError> {
    let Some(id) = blobs.id(rev, path)? else {
        return Ok(None);
    };
    if let Some(rows) = cache.get(&id) {
        return Ok(Some(rows.clone()));
    }
    let Some(bytes) = blobs.read(rev, path)? else {
        return Ok(None);
    };
    let rows = only_rows_with(&bytes, national);
    cache.insert(id, rows.clone());
    Ok(Some(rows))
}

/// The entries and tombstones of `phone` in `desired`, by scope.
fn found(desired: manifest::Desired, phone: &Phone) -> Vec<(CampaignId, Item)> {
    let entries = desired
        .entries
        .into_iter()
        .filter(|e| e.key.phone == *phone)
        .map(|e| {
            let item = Item {
                file: crate::paths::slashed(Path::new(e.source.file.as_ref())),
                held: Held::Entry {
                    reason: e.reason.to_string(),
                    purpose: e.purpose.as_deref().map(str::to_string),
                },
            };
            (e.key.scope, item)
        });
    let tombstones = desired
        .tombstones
        .into_iter()
        .filter(|t| t.key.phone == *phone)
        .map(|t| {
            let item = Item {
                file: crate::paths::slashed(Path::new(t.source.file.as_ref())),
                held: Held::Tombstone {
                    removal_reason: t.removal_reason.to_string(),
                },
            };
            (t.key.scope, item)
        });
    entries.chain(tombstones).collect()
}

/// The events one commit made, scope by scope.
fn compare(before: &State, after: &State, c: &Commit) -> Vec<Event> {
    let scopes: BTreeSet<CampaignId> = before.keys().chain(after.keys()).copied().collect();
    let mut out = Vec::new();
    for scope in scopes {
        for what in changes(before.get(&scope), after.get(&scope)) {
            out.push(Event {
                time: c.time.clone(),
                scope,
                scope_name: scope.to_string(),
                what,
                commit: Some(CommitInfo {
                    hash: c.hash.clone(),
                    author: c.author.clone(),
                    email: c.email.clone(),
                    subject: c.subject.clone(),
                }),
            });
        }
    }
    out
}

fn changes(before: Option<&Item>, after: Option<&Item>) -> Vec<What> {
    use Held::{Entry, Tombstone};
    let (Some(b), Some(a)) = (before, after) else {
        return match (before, after) {
            (None, Some(a)) => vec![appeared(a)],
            (Some(b), None) => vec![disappeared(b)],
            _ => Vec::new(),
        };
    };
    let mut out = Vec::new();
    match (&b.held, &a.held) {
        (Entry { .. }, Tombstone { .. }) => return vec![appeared(a)],
        (Tombstone { .. }, Entry { .. }) => return vec![disappeared(b), appeared(a)],
        _ => {}
    }
    if b.file != a.file {
        out.push(What::Moved {
            from: b.file.clone(),
            to: a.file.clone(),
        });
    }
    match (&b.held, &a.held) {
        (
            Entry { reason, purpose },
            Entry {
                reason: r2,
                purpose: p2,
            },
        ) if reason != r2 || purpose != p2 => out.push(What::Changed {
            file: a.file.clone(),
            reason: Edit {
                old: Some(reason.clone()),
                new: Some(r2.clone()),
            },
            purpose: Edit {
                old: purpose.clone(),
                new: p2.clone(),
            },
        }),
        (Tombstone { removal_reason }, Tombstone { removal_reason: r2 })
            if removal_reason != r2 =>
        {
            out.push(What::Tombstoned {
                file: a.file.clone(),
                removal_reason: r2.clone(),
            })
        }
        _ => {}
    }
    out
}

fn appeared(a: &Item) -> What {
    match &a.held {
        Held::Entry { reason, purpose } => What::Added {
            file: a.file.clone(),
            reason: reason.clone(),
            purpose: purpose.clone(),
        },
        Held::Tombstone { removal_reason } => What::Tombstoned {
            file: a.file.clone(),
            removal_reason: removal_reason.clone(),
        },
    }
}

fn disappeared(b: &Item) -> What {
    match &b.held {
        Held::Entry { reason, .. } => What::Unlisted {
            file: b.file.clone(),
            reason: reason.clone(),
        },
        Held::Tombstone { removal_reason } => What::TombstoneRemoved {
            file: b.file.clone(),
            removal_reason: removal_reason.clone(),
        },
    }
}

fn ledger_events(lines: ledger::Split, phone: &Phone) -> Vec<Event> {
    let run_of: HashMap<&str, &crate::trail::RunRecord> = lines
        .runs
        .iter()
        .filter_map(|r| Some((r.run.as_deref()?, r)))
        .collect();
    let ops = ledger::operations(lines.records);
    let (gaps, classes) = crate::drift::classify(&ops, &lines.checks);
    let event = |scope: CampaignId, time: &str, what: What| Event {
        time: time.to_string(),
        scope,
        scope_name: scope.to_string(),
        what,
        commit: None,
    };
    let mut events: Vec<Event> = ops
        .into_iter()
        .zip(classes)
        .filter(|((s, _), _)| s.key().phone == *phone)
        .map(|((start, finish), class)| {
            let last = finish.as_ref().unwrap_or(&start);
            let (restore, repeat) = match class {
                Some(crate::drift::Class::Restore(gap)) => (Some(Box::new(gap)), false),
                Some(crate::drift::Class::Repeat) => (None, true),
                _ => (None, false),
            };
            let counted = restore.is_none() && !repeat;
            let run = start.run.as_deref().and_then(|r| run_of.get(r));
            let overrides = run
                .map(|r| (r.overrides.text(), &r.by.name))
                .filter(|(text, _)| !text.is_empty())
                .map(|(text, by)| format!("{text} by {by}"));
            let what = What::Applied {
                change: start.change,
                outcome: ledger::outcome_text(finish.as_ref()).to_string(),
                id: last.id.or(start.id),
                actor: start.actor.clone(),
                plan_hash: start.plan_hash.clone(),
                git_commit: start.commit.clone(),
                reason: start.reason.clone(),
                purpose: start.purpose.clone(),
                removal_reason: start.removal_reason.clone(),
                source: start.source.clone(),
                error: last.error.clone(),
                requested_at: start.requested_at,
                due: start.due,
                late: ledger::late(&start, finish.as_ref()).filter(|_| counted),
                ticket: start.ticket.clone(),
                request_source: start.request_source.clone(),
                run: Box::new(RunShown {
                    trail: run.and_then(|r| r.trail.clone()),
                    overrides,
                }),
                restore,
                repeat,
            };
            event(start.key().scope, &last.time, what)
        })
        .collect();
    for g in gaps.into_iter().filter(|g| g.entry.key().phone == *phone) {
        let end = g.restored_at.as_deref().unwrap_or(&g.last_missing);
        let lasted =
            crate::drift::duration(g.last_present.as_deref().unwrap_or(&g.missing_since), end);
        let what = What::Missing {
            lasted,
            last_present: g.last_present,
            restored_at: g.restored_at,
            restored_by: g.restored_by,
            checks: g.checks,
        };
        events.push(event(g.entry.key().scope, &g.missing_since, what));
    }
    events
}

/// A POSIX extended regex for the national digits with up to three non-digits between each
/// (spaces, dashes, dots, parentheses, a `+1 ` prefix is outside it).
fn digits_regex(national: &str) -> String {
    let digits: Vec<String> = national
        .chars()
        .filter(char::is_ascii_digit)
        .map(String::from)
        .collect();
    digits.join("[^0-9]{0,3}")
}

/// What `digits_regex` matches, for text already read.
fn contains_digits(text: &str, national: &str) -> bool {
    let want: Vec<u8> = national.bytes().filter(u8::is_ascii_digit).collect();
    let bytes = text.as_bytes();
    if want.is_empty() {
        return false;
    }
    (0..bytes.len()).any(|start| {
        let mut i = start;
        for (n, &d) in want.iter().enumerate() {
            let mut gap = 0;
            while n > 0 && i < bytes.len() && !bytes[i].is_ascii_digit() && bytes[i] != b'\n' {
                i += 1;
                gap += 1;
            }
            if (n > 0 && gap > 3) || bytes.get(i) != Some(&d) {
                return false;
            }
            i += 1;
        }
        true
    })
}

/// A CSV's header and only the rows that may hold the number: large CSV files parse in
/// time proportional to the rows that matter.
fn only_rows_with(bytes: &[u8], national: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split_inclusive('\n');
    let mut out = String::new();
    out.push_str(lines.next().unwrap_or_default());
    for line in lines.filter(|l| contains_digits(l, national)) {
        out.push_str(line);
    }
    out.into_bytes()
}

fn ere_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.[]{}()*+?^$|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_match_across_notations_only() {
        for text in [
            "(202) 555-0143",
            "202-555-0143",
            "+1 202 555 0143",
            "2025550143",
            "number: \"202.555.0143\"",
            "202 555 01 43",
        ] {
            assert!(contains_digits(text, "2025550143"), "{text}");
        }
        for text in ["2025550144", "202-555----0143", "202\n5550143", "20255501"] {
            assert!(!contains_digits(text, "2025550143"), "{text}");
        }
        assert_eq!(digits_regex("202"), "2[^0-9]{0,3}0[^0-9]{0,3}2");
    }

    #[test]
    fn only_matching_rows_survive() {
        let csv = b"number,reason\n2025550143,DNC\n2025550144,DNC\n(202) 555-0143,X\n";
        assert_eq!(
            String::from_utf8(only_rows_with(csv, "2025550143")).unwrap(),
            "number,reason\n2025550143,DNC\n(202) 555-0143,X\n"
        );
    }

    #[test]
    fn names_are_escaped_for_git_grep() {
        assert_eq!(ere_escape("a.b(1).csv"), "a\\.b\\(1\\)\\.csv");
    }
}
