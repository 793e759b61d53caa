//! Write-only attributes. The contract's search entries carry no `reason` or `purpose`, so
//! where the API does not echo them dnc learns what the API's filters tell (`-BLANK-`,
//! `-NOTBLANK-`, exact values), takes the rest from what it last applied (the ledger), and
//! says for each value how it is known: it never claims a remote value it has not seen.

use crate::api::{Client, SearchQuery, TextFilter};
use crate::change::ChangeKind;
use crate::entry::{CampaignId, Key};
use crate::ledger::{Event, LedgerError, Outcome};
use crate::manifest::{Config, Desired};
use crate::state::{self, ReadError, ReadOptions, RemoteEntry, RemoteState, ScopeState, Text};
pub use crate::state::{Known, Source};
use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attr {
    Reason,
    Purpose,
}

impl Attr {
    fn filter(self, scope: CampaignId, f: TextFilter, limit: u64) -> SearchQuery {
        let mut q = SearchQuery {
            campaign_id: Some(scope),
            limit,
            ..SearchQuery::default()
        };
        match self {
            Attr::Reason => q.reason = Some(f),
            Attr::Purpose => q.purpose = Some(f),
        }
        q
    }

    fn source(self, e: &RemoteEntry) -> Source {
        match self {
            Attr::Reason => e.known.reason,
            Attr::Purpose => e.known.purpose,
        }
    }

    fn set(self, e: &mut RemoteEntry, source: Source, value: Option<Text>) {
        let (slot, known) = match self {
            Attr::Reason => (&mut e.reason, &mut e.known.reason),
            Attr::Purpose => (&mut e.purpose, &mut e.known.purpose),
        };
        *slot = value.filter(|v| !v.is_empty());
        *known = source;
    }
}

/// What dnc last applied to each entry, per the ledger. The ledger may hold a million lines,
/// and only answers that lack a reason or purpose need it: its file is opened at once (a
/// ledger that cannot be opened fails the command), but read on first need, in parallel with
/// the API's blank/not-blank counts.
#[derive(Debug, Default)]
pub struct Applied {
    state: Mutex<Ledger>,
}

#[derive(Debug)]
enum Ledger {
    /// Not read yet: the branch's records and the opened file, if there is one.
    Pending(Pending),
    Read(Arc<Table>),
    /// Read ahead of need ([`Applied::read_now`]) and failed: the error for whoever needs it.
    Failed(LedgerError),
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::Read(Arc::default())
    }
}

#[derive(Debug)]
struct Pending {
    branch: Vec<crate::ledger::Record>,
    file: Option<(PathBuf, std::fs::File)>,
}

/// The last applied values by key: keys and values in one dense vector, found through an
/// index of positions (a table of a million `(Key, Last)` slots would be mostly empty).
#[derive(Debug, Default)]
struct Table {
    index: hashbrown::HashTable<usize>,
    lasts: Vec<(Key, Last)>,
    /// Each distinct reason or purpose once, named by position in `Last`.
    texts: Vec<Text>,
    text_at: FastMap<Text, u32>,
    hasher: foldhash::fast::RandomState,
}

#[derive(Debug, Clone, Copy)]
struct Last {
    /// `YYYYMMDDhhmmssmmm` (UTC) of the ledger line: later lines win, across file and branch.
    at: u64,
    id: Option<u64>,
    /// Positions in `Table::texts`, or `NO_TEXT`; `reason` is `REMOVED` when dnc removed the
    /// entry (or its text could not be numbered: then nothing is claimed either).
    reason: u32,
    purpose: u32,
}

const NO_TEXT: u32 = u32::MAX;
const REMOVED: u32 = u32::MAX - 1;

/// The fields of a ledger line the knowledge needs (the rest is skipped unparsed).
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    time: Cow<'a, str>,
    event: Event,
    change: ChangeKind,
    campaign_id: i64,
    phone_code: u16,
    #[serde(borrow)]
    phone_number: Cow<'a, str>,
    #[serde(default, borrow)]
    reason: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    purpose: Option<Cow<'a, str>>,
    #[serde(default)]
    outcome: Option<Outcome>,
    #[serde(default)]
    id: Option<u64>,
}

/// Bytes of the ledger file parsed at once (in parallel), so a large ledger is never held
/// parsed in full.
const CHUNK: usize = 8 << 20;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AppliedError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    File(#[from] LedgerError),
    #[error("cannot read the ledger from {rev}: {reason}")]
    #[diagnostic(
        code(dnc::known::ledger_branch),
        help(
            "fetch the ledger branch (git fetch origin dnc-ledger), or name another with --ledger-branch"
        )
    )]
    Branch { rev: String, reason: String },
}

impl Applied {
    /// The ledger file (absent: nothing applied yet), then `branch`'s records (the ledger
    /// branch, already read). The file is opened now and read when first needed.
    pub fn load(file: &Path, branch: Vec<crate::ledger::Record>) -> Result<Applied, LedgerError> {
        let file = if file.exists() {
            let opened = std::fs::File::open(file).map_err(|source| LedgerError::Read {
                path: file.to_path_buf(),
                source,
            })?;
            Some((file.to_path_buf(), opened))
        } else {
            None
        };
        Ok(Applied {
            state: Mutex::new(Ledger::Pending(Pending { branch, file })),
        })
    }

    /// Reads the ledger now, on this thread, unless it was read already: for a caller with a
    /// thread to spare while the API is read (the read tells when its answers lack values:
    /// `ReadOptions::unechoed`). A failure is kept for [`learn`], which fails only if it needs
    /// the ledger, as when the ledger is read on need.
    pub fn read_now(&self) {
        // Held while reading: a `learn` meanwhile waits for this table, not an empty one.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Ledger::Pending(_) = &*state
            && let Ledger::Pending(pending) = std::mem::take(&mut *state)
        {
            *state = match pending.read() {
                Ok(table) => Ledger::Read(Arc::new(table)),
                Err(e) => Ledger::Failed(e),
            };
        }
    }

    /// The ledger's values, read now unless already read (on a blocking thread, so the
    /// API's searches go on meanwhile).
    async fn table(&self) -> Result<Arc<Table>, LedgerError> {
        let pending = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match std::mem::take(&mut *state) {
                Ledger::Read(table) => {
                    *state = Ledger::Read(table.clone());
                    return Ok(table);
                }
                Ledger::Failed(e) => return Err(e),
                Ledger::Pending(pending) => pending,
            }
        };
        let table = match tokio::task::spawn_blocking(move || pending.read()).await {
            Ok(read) => Arc::new(read?),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = Ledger::Read(table.clone());
        Ok(table)
    }
}

impl Pending {
    fn read(self) -> Result<Table, LedgerError> {
        let mut table = Table::default();
        for r in self.branch {
            let line = serde_json::to_vec(&r).expect("records always serialize");
            if let Ok(l) = serde_json::from_slice::<Line>(&line) {
                table.add(l);
            }
        }
        let Some((path, mut reader)) = self.file else {
            return Ok(table);
        };
        let failed = |source| LedgerError::Read {
            path: path.clone(),
            source,
        };
        // Whole lines only: a chunk's unfinished last line is carried into the next chunk.
        let mut chunk: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
        loop {
            let carried = chunk.len();
            chunk.resize(carried + CHUNK, 0);
            let read = read_full(&mut reader, &mut chunk[carried..]).map_err(failed)?;
            chunk.truncate(carried + read);
            let end = if read == 0 {
                chunk.len()
            } else {
                chunk
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |at| at + 1)
            };
            // Torn or foreign lines are skipped here: `dnc ledger` is where they are reported.
            let lines: Vec<Line> = chunk[..end]
                .par_split(|&b| b == b'\n')
                .filter_map(|l| serde_json::from_slice::<Line>(l).ok())
                .filter(|l| l.event == Event::Finish)
                .collect();
            for l in lines {
                table.add(l);
            }
            chunk.drain(..end);
            if read == 0 {
                break;
            }
        }
        table.lasts.shrink_to_fit();
        Ok(table)
    }
}

impl Table {
    /// Numbers `text`; `None` once every number is taken (then the line claims nothing).
    fn intern(&mut self, text: Option<Cow<str>>) -> Option<u32> {
        let Some(text) = text else {
            return Some(NO_TEXT);
        };
        if let Some(&at) = self.text_at.get(&*text) {
            return Some(at);
        }
        let at = u32::try_from(self.texts.len())
            .ok()
            .filter(|&at| at < REMOVED)?;
        let text = Text::from(&*text);
        self.texts.push(text.clone());
        self.text_at.insert(text, at);
        Some(at)
    }

    fn add(&mut self, l: Line) {
        let settled = matches!(l.outcome, Some(Outcome::Done | Outcome::Converged));
        let Some(at) = packed_time(&l.time) else {
            return;
        };
        if l.event != Event::Finish || !settled {
            return;
        }
        let (reason, purpose) = match l.change {
            ChangeKind::Create | ChangeKind::Update | ChangeKind::Reassert => {
                match (self.intern(l.reason), self.intern(l.purpose)) {
                    (Some(r), Some(p)) => (r, p),
                    _ => (REMOVED, NO_TEXT),
                }
            }
            ChangeKind::Remove | ChangeKind::Prune => (REMOVED, NO_TEXT),
        };
        let key = Key::new(CampaignId(l.campaign_id), l.phone_code, &l.phone_number);
        let last = Last {
            at,
            id: l.id,
            reason,
            purpose,
        };
        let hash = self.hasher.hash_one(&key);
        let lasts = &mut self.lasts;
        match self.index.find(hash, |&i| lasts[i].0 == key) {
            Some(&i) => {
                if lasts[i].1.at <= last.at {
                    lasts[i].1 = last;
                }
            }
            None => {
                let hasher = &self.hasher;
                self.index
                    .insert_unique(hash, lasts.len(), |&i| hasher.hash_one(&lasts[i].0));
                lasts.push((key, last));
            }
        }
    }

    fn text(&self, at: u32) -> Option<Text> {
        self.texts.get(at as usize).cloned()
    }

    /// The value dnc last applied to `e`'s attribute, with its day; `None` when the ledger
    /// has none, or it was applied to another entry of the same number (another id).
    fn last(&self, e: &RemoteEntry, attr: Attr) -> Option<(NaiveDate, Option<Text>)> {
        let hash = self.hasher.hash_one(&e.key);
        let &i = self.index.find(hash, |&i| self.lasts[i].0 == e.key)?;
        let last = self.lasts[i].1;
        if last.id.is_some_and(|id| id != e.id) || last.reason == REMOVED {
            return None;
        }
        let day = last.at / 1_000_000_000;
        let day = NaiveDate::from_ymd_opt(
            i32::try_from(day / 10_000).ok()?,
            u32::try_from(day / 100 % 100).ok()?,
            u32::try_from(day % 100).ok()?,
        )?;
        let value = match attr {
            Attr::Reason => self.text(last.reason),
            Attr::Purpose => self.text(last.purpose),
        };
        Some((day, value))
    }
}

/// Fills `buf` from `reader` as far as it goes; fewer bytes only at the end of the file.
fn read_full(reader: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// `2026-12-05T10:30:00.123Z` as `20261205103000123`: its digits, in order (the ledger writes
/// RFC 3339 UTC with milliseconds, so digit order is time order).
fn packed_time(time: &str) -> Option<u64> {
    if time.len() < 10 {
        return None;
    }
    let digits = time.bytes().filter(u8::is_ascii_digit).take(17);
    let (value, n) = digits.fold((0u64, 0u32), |(v, n), d| {
        (v * 10 + u64::from(d - b'0'), n + 1)
    });
    Some(value * 10u64.pow(17 - n))
}

/// Which entries matter and which exact values may be searched for.
pub enum Wanted<'a> {
    /// A plan: the entries the manifests name, searched for their desired values.
    Plan(&'a Desired),
    /// An import: every entry, searched for the config's allowed reasons and purposes.
    Import(&'a Config),
}

/// What learning cost: the searches it sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Learned {
    pub searches: u64,
}

/// Fills in what the API did not echo, for every entry `wanted` cares about: first the
/// `-BLANK-`/`-NOTBLANK-` split (two counts, then the smaller side read) while the ledger is
/// read, then the ledger, then exact-value searches for what is still unknown. Answers that
/// showed every value need none of this: the ledger is then never read.
pub async fn learn(
    client: &Client,
    remote: &mut RemoteState,
    wanted: &Wanted<'_>,
    applied: &Applied,
    opts: &ReadOptions,
) -> Result<Learned, ReadError> {
    let lacking = |state: &ScopeState| {
        state.incomplete.is_none() && state.entries.iter().any(|e| !e.known.is_known())
    };
    if !remote.scopes.iter().any(|(_, state)| lacking(state)) {
        return Ok(Learned::default());
    }
    let desired = Cares::new(wanted);
    let needs = |e: &RemoteEntry| {
        [Attr::Reason, Attr::Purpose]
            .into_iter()
            .any(|a| desired.unknown(e, a))
    };
    let mut scopes: Vec<(CampaignId, &mut ScopeState)> = remote
        .scopes
        .iter_mut()
        .filter(|(_, state)| lacking(state) && state.entries.iter().any(needs))
        .map(|(scope, state)| (*scope, state))
        .collect();
    if scopes.is_empty() {
        return Ok(Learned::default());
    }
    let counted = scopes
        .iter_mut()
        .map(|(scope, state)| split_blank(client, *scope, state, &desired, opts));
    let (counted, table) = futures::join!(futures::future::join_all(counted), applied.table());
    let table = table?;
    let mut learned = Learned::default();
    for scope in counted {
        learned.searches += scope?.searches;
    }
    let scopes = scopes
        .iter_mut()
        .map(|(scope, state)| learn_scope(client, *scope, state, &desired, &table, opts));
    for scope in futures::future::join_all(scopes).await {
        learned.searches += scope?.searches;
    }
    Ok(learned)
}

/// Which entries matter, and what the manifests want for each: desired entries by key, as
/// their index (a million keys: no copies of their values).
struct Cares<'w> {
    wanted: &'w Wanted<'w>,
    desired: FastMap<&'w Key, usize>,
}

impl<'w> Cares<'w> {
    fn new(wanted: &'w Wanted<'w>) -> Self {
        let desired = match wanted {
            Wanted::Plan(d) => d
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| (&e.key, i))
                .collect(),
            Wanted::Import(_) => FastMap::default(),
        };
        Cares { wanted, desired }
    }

    fn cares(&self, e: &RemoteEntry) -> bool {
        match self.wanted {
            Wanted::Plan(_) => self.desired.contains_key(&e.key),
            Wanted::Import(_) => true,
        }
    }

    /// An attribute of `e` that matters and is not known.
    fn unknown(&self, e: &RemoteEntry, attr: Attr) -> bool {
        !attr.source(e).is_known() && self.cares(e)
    }

    /// The value the manifests want for `e`'s attribute.
    fn desired(&self, e: &RemoteEntry, attr: Attr) -> Option<&'w str> {
        let Wanted::Plan(d) = self.wanted else {
            return None;
        };
        let entry = &d.entries[*self.desired.get(&e.key)?];
        match attr {
            Attr::Reason => Some(&entry.reason),
            Attr::Purpose => entry.purpose.as_deref(),
        }
    }
}

/// The `-BLANK-`/`-NOTBLANK-` split of each attribute some entry of the scope lacks.
async fn split_blank(
    client: &Client,
    scope: CampaignId,
    state: &mut ScopeState,
    cares: &Cares<'_>,
    opts: &ReadOptions,
) -> Result<Learned, ReadError> {
    let mut learned = Learned::default();
    for attr in [Attr::Reason, Attr::Purpose] {
        if state.entries.iter().any(|e| cares.unknown(e, attr)) {
            blankness(client, scope, &mut state.entries, attr, opts, &mut learned).await?;
        }
    }
    Ok(learned)
}

/// [`learn`] for one scope once split (the scopes are learned concurrently): the ledger, then
/// exact-value searches.
async fn learn_scope(
    client: &Client,
    scope: CampaignId,
    state: &mut ScopeState,
    cares: &Cares<'_>,
    table: &Table,
    opts: &ReadOptions,
) -> Result<Learned, ReadError> {
    let mut learned = Learned::default();
    for attr in [Attr::Reason, Attr::Purpose] {
        let unknown = |e: &RemoteEntry| cares.unknown(e, attr);
        if !state.entries.iter().any(unknown) {
            continue;
        }
        for e in state.entries.iter_mut().filter(|e| unknown(e)) {
            from_ledger(e, attr, table);
        }
        let values: BTreeSet<String> = match cares.wanted {
            Wanted::Plan(_) => state
                .entries
                .iter()
                .filter(|e| unknown(e))
                .filter_map(|e| cares.desired(e, attr).map(str::to_string))
                .collect(),
            Wanted::Import(config) => match attr {
                Attr::Reason => config.reasons.iter().flatten().cloned().collect(),
                Attr::Purpose => config.purposes.iter().flatten().cloned().collect(),
            },
        };
        for value in values.into_iter().filter(|v| !v.trim().is_empty()) {
            if !state.entries.iter().any(unknown) {
                break;
            }
            let q = attr.filter(scope, TextFilter::Exact(value.clone()), state::PAGE);
            let found = state::read_where(client, scope, &q, opts).await?;
            learned.searches += found.requests;
            if found.incomplete.is_some() {
                continue;
            }
            let ids: FastMap<u64, ()> = found.entries.iter().map(|e| (e.id, ())).collect();
            // A server that ignored the filter would list entries known to be blank.
            let ignored = state.entries.iter().any(|e| {
                ids.contains_key(&e.id)
                    && attr.source(e) == Source::Api
                    && value_of(e, attr).is_none()
            });
            if ignored {
                break;
            }
            let value = Text::from(value);
            for e in state.entries.iter_mut() {
                if ids.contains_key(&e.id) && attr.source(e) != Source::Api {
                    attr.set(e, Source::Api, Some(value.clone()));
                }
            }
        }
    }
    Ok(learned)
}

fn value_of(e: &RemoteEntry, attr: Attr) -> Option<&str> {
    match attr {
        Attr::Reason => e.reason.as_deref(),
        Attr::Purpose => e.purpose.as_deref(),
    }
}

/// Splits the scope's entries into blank and not blank for `attr`: counts both filters, reads
/// the smaller side, and marks every entry not yet known. Nothing is marked unless the two
/// counts add up to the scope (a server that ignores the filter would count everything twice).
async fn blankness(
    client: &Client,
    scope: CampaignId,
    entries: &mut [RemoteEntry],
    attr: Attr,
    opts: &ReadOptions,
    learned: &mut Learned,
) -> Result<(), ReadError> {
    let count = |f: TextFilter| {
        let q = attr.filter(scope, f, 1);
        async move { client.search(&q).await.map(|p| p.total).ok() }
    };
    let (blank, not_blank) = tokio::join!(count(TextFilter::Blank), count(TextFilter::NotBlank));
    learned.searches += 2;
    let (Some(blank), Some(not_blank)) = (blank, not_blank) else {
        return Ok(());
    };
    if blank + not_blank != entries.len() as u64 {
        return Ok(());
    }
    let read_blank = blank <= not_blank;
    let side = if read_blank {
        TextFilter::Blank
    } else {
        TextFilter::NotBlank
    };
    let found =
        state::read_where(client, scope, &attr.filter(scope, side, state::PAGE), opts).await?;
    learned.searches += found.requests;
    if found.incomplete.is_some() {
        return Ok(());
    }
    let ids: FastMap<u64, ()> = found.entries.iter().map(|e| (e.id, ())).collect();
    for e in entries.iter_mut().filter(|e| !attr.source(e).is_known()) {
        let blank = ids.contains_key(&e.id) == read_blank;
        if blank {
            attr.set(e, Source::Api, None);
        } else {
            attr.set(e, Source::NotBlank, None);
        }
    }
    Ok(())
}

/// The ledger's last applied value, when it agrees with what the API's filters showed.
fn from_ledger(e: &mut RemoteEntry, attr: Attr, table: &Table) {
    let Some((day, value)) = table.last(e, attr) else {
        return;
    };
    let blank = value.as_deref().is_none_or(str::is_empty);
    if blank && attr.source(e) == Source::NotBlank {
        return;
    }
    attr.set(e, Source::Ledger { applied_on: day }, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(time: &str, change: &str, outcome: &str, id: u64, reason: &str) -> Vec<u8> {
        serde_json::json!({
            "time": time, "event": "finish", "plan_hash": "p", "op": 0, "change": change,
            "campaign_id": 0, "phone_code": 1, "phone_number": "2025550143",
            "reason": reason, "outcome": outcome, "id": id,
        })
        .to_string()
        .into_bytes()
    }

    fn applied(lines: &[Vec<u8>]) -> Table {
        let mut a = Table::default();
        for l in lines {
            a.add(serde_json::from_slice(l).unwrap());
        }
        a
    }

    fn entry(id: u64) -> RemoteEntry {
        RemoteEntry {
            id,
            key: Key::new(CampaignId(0), 1, "2025550143"),
            reason: None,
            purpose: None,
            insert_day: NaiveDate::from_ymd_opt(2026, 3, 3),
            malformed: false,
            known: Known {
                reason: Source::Unknown,
                purpose: Source::Unknown,
            },
        }
    }

    fn reason(a: &Table, id: u64) -> Option<(String, String)> {
        let (day, value) = a.last(&entry(id), Attr::Reason)?;
        Some((day.to_string(), value.as_deref().unwrap_or("").to_string()))
    }

    /// A ledger file holding one finished create (id 7, reason `DNC`), in its directory.
    fn ledger_of_one_create() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ledger.jsonl");
        std::fs::write(
            &file,
            line("2026-03-02T10:00:00.000Z", "create", "done", 7, "DNC"),
        )
        .unwrap();
        (dir, file)
    }

    #[test]
    fn times_pack_in_order() {
        let a = packed_time("2026-12-05T10:30:00.123Z").unwrap();
        assert_eq!(a, 20_261_205_103_000_123);
        assert!(packed_time("2026-12-05T10:30:01.000Z").unwrap() > a);
        assert_eq!(packed_time("2026-12-05").unwrap(), 20_261_205_000_000_000);
        assert_eq!(packed_time("x"), None);
    }

    #[test]
    fn the_last_settled_operation_of_the_same_entry_counts() {
        let a = applied(&[
            line("2026-03-02T10:00:00.000Z", "create", "done", 7, "DNC"),
            line("2026-03-04T10:00:00.000Z", "update", "failed", 7, "Failed"),
            line(
                "2026-03-03T10:00:00.000Z",
                "reassert",
                "done",
                7,
                "Customer Request",
            ),
        ]);
        assert_eq!(
            reason(&a, 7),
            Some(("2026-03-03".into(), "Customer Request".into()))
        );
        // Another id: the entry was removed and added again by someone else.
        assert_eq!(reason(&a, 8), None);
        let removed = applied(&[
            line("2026-03-02T10:00:00.000Z", "create", "done", 7, "DNC"),
            line("2026-03-05T10:00:00.000Z", "remove", "done", 7, ""),
        ]);
        assert_eq!(reason(&removed, 7), None);
    }

    #[test]
    fn answers_that_show_every_value_leave_the_ledger_unread() {
        let (_dir, file) = ledger_of_one_create();
        let applied = Applied::load(&file, Vec::new()).unwrap();
        let mut shown = entry(7);
        shown.known = Known::default();
        let mut remote = RemoteState {
            scopes: vec![(
                CampaignId(0),
                ScopeState {
                    entries: vec![shown],
                    ..ScopeState::default()
                },
            )],
        };
        // Nothing is sent either: no server listens here.
        let client = Client::new(crate::api::ClientConfig {
            base_url: url::Url::parse("http://127.0.0.1:9/v1/").unwrap(),
            token: "t".to_string().into(),
            timeout: std::time::Duration::from_secs(1),
            retry: crate::http::RetryPolicy::at_most(0),
            max_rps: None,
        })
        .unwrap();
        let desired = Desired {
            entries: vec![crate::manifest::DesiredEntry {
                key: entry(7).key,
                reason: "DNC".into(),
                purpose: None,
                source: crate::manifest::Source {
                    file: "a.yaml".into(),
                    line: 1,
                    column: 1,
                },
                requested_at: None,
                request: Default::default(),
            }],
            tombstones: Vec::new(),
        };
        let wanted = Wanted::Plan(&desired);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let learned = runtime
            .block_on(learn(
                &client,
                &mut remote,
                &wanted,
                &applied,
                &ReadOptions::default(),
            ))
            .unwrap();
        assert_eq!(learned.searches, 0);
        let state = applied.state.lock().unwrap();
        assert!(matches!(*state, Ledger::Pending(_)), "the ledger was read");
    }

    #[test]
    fn a_ledger_read_ahead_is_the_one_learn_uses() {
        let (dir, file) = ledger_of_one_create();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let applied = Applied::load(&file, Vec::new()).unwrap();
        applied.read_now();
        // The file is not read again: what learn gets is what was read ahead.
        std::fs::remove_file(&file).unwrap();
        let table = runtime.block_on(applied.table()).unwrap();
        assert_eq!(reason(&table, 7), Some(("2026-03-02".into(), "DNC".into())));
        // A ledger that fails to read fails learn when it needs it, not before.
        let unreadable = Applied::load(dir.path(), Vec::new()).unwrap();
        unreadable.read_now();
        assert!(matches!(
            *unreadable.state.lock().unwrap(),
            Ledger::Failed(_)
        ));
        assert!(runtime.block_on(unreadable.table()).is_err());
    }

    #[test]
    fn a_ledger_value_never_contradicts_the_api() {
        let a = applied(&[line("2026-03-02T10:00:00.000Z", "create", "done", 7, "")]);
        let mut e = entry(7);
        e.known.reason = Source::NotBlank;
        from_ledger(&mut e, Attr::Reason, &a);
        assert_eq!(
            e.known.reason,
            Source::NotBlank,
            "blank per the ledger, not per the API"
        );
        let mut e = entry(7);
        from_ledger(&mut e, Attr::Reason, &a);
        assert!(matches!(e.known.reason, Source::Ledger { .. }));
        assert_eq!(e.reason, None);
    }
}
