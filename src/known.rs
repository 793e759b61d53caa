//! Write-only attributes. The contract's search entries carry no `reason` or `purpose`, so
//! where the API does not echo them dnc learns what the API's filters tell (`-BLANK-`,
//! `-NOTBLANK-`, exact values), takes the rest from what it last applied (the ledger), and
//! says for each value how it is known: it never claims a remote value it has not seen.

use crate::api::{Client, SearchQuery, TextFilter};
use crate::change::ChangeKind;
use crate::entry::{CampaignId, Key};
use crate::ledger::{Event, LedgerError, Outcome};
use crate::manifest::{Config, Desired};
use crate::phone::Phone;
use crate::state::{self, ReadError, ReadOptions, RemoteEntry, RemoteState, ScopeState};
pub use crate::state::{Known, Source};
use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

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

    fn set(self, e: &mut RemoteEntry, source: Source, value: Option<Arc<str>>) {
        let (slot, known) = match self {
            Attr::Reason => (&mut e.reason, &mut e.known.reason),
            Attr::Purpose => (&mut e.purpose, &mut e.known.purpose),
        };
        *slot = value.filter(|v| !v.is_empty());
        *known = source;
    }
}

/// What dnc last applied to each entry, per the ledger. A million entries may be held: the
/// time is packed into an integer and each distinct text is stored once.
#[derive(Debug, Default)]
pub struct Applied {
    by_key: FastMap<Key, Last>,
    texts: hashbrown::HashSet<Arc<str>>,
}

#[derive(Debug)]
struct Last {
    /// `YYYYMMDDhhmmssmmm` (UTC) of the ledger line: later lines win, across file and branch.
    at: u64,
    id: Option<u64>,
    /// `None`: dnc removed the entry.
    values: Option<Values>,
}

/// A reason and a purpose as last applied.
#[derive(Debug)]
struct Values {
    reason: Option<Arc<str>>,
    purpose: Option<Arc<str>>,
}

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
    /// branch, already read).
    pub fn load(file: &Path, branch: Vec<crate::ledger::Record>) -> Result<Applied, LedgerError> {
        let mut applied = Applied::default();
        for r in branch {
            let line = serde_json::to_vec(&r).expect("records always serialize");
            if let Ok(l) = serde_json::from_slice::<Line>(&line) {
                applied.add(l);
            }
        }
        if !file.exists() {
            return Ok(applied);
        }
        let failed = |source| LedgerError::Read {
            path: file.to_path_buf(),
            source,
        };
        let mut reader = std::fs::File::open(file).map_err(failed)?;
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
                applied.add(l);
            }
            chunk.drain(..end);
            if read == 0 {
                break;
            }
        }
        Ok(applied)
    }

    /// Keys the ledger knows something about.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    fn intern(&mut self, text: Option<Cow<str>>) -> Option<Arc<str>> {
        let text = text?;
        if let Some(known) = self.texts.get(&*text) {
            return Some(known.clone());
        }
        let text: Arc<str> = text.into();
        self.texts.insert(text.clone());
        Some(text)
    }

    fn add(&mut self, l: Line) {
        let settled = matches!(l.outcome, Some(Outcome::Done | Outcome::Converged));
        let Some(at) = packed_time(&l.time) else {
            return;
        };
        if l.event != Event::Finish || !settled {
            return;
        }
        let values = match l.change {
            ChangeKind::Create | ChangeKind::Update | ChangeKind::Reassert => Some(Values {
                reason: self.intern(l.reason),
                purpose: self.intern(l.purpose),
            }),
            ChangeKind::Remove | ChangeKind::Prune => None,
        };
        let key = Key {
            scope: CampaignId(l.campaign_id),
            phone: Phone {
                code: l.phone_code,
                national: l.phone_number.as_ref().into(),
            },
        };
        let last = Last {
            at,
            id: l.id,
            values,
        };
        match self.by_key.entry(key) {
            hashbrown::hash_map::Entry::Occupied(mut slot) => {
                if slot.get().at <= last.at {
                    slot.insert(last);
                }
            }
            hashbrown::hash_map::Entry::Vacant(slot) => {
                slot.insert(last);
            }
        }
    }

    /// The value dnc last applied to `e`'s attribute, with its day; `None` when the ledger
    /// has none, or it was applied to another entry of the same number (another id).
    fn last(&self, e: &RemoteEntry, attr: Attr) -> Option<(NaiveDate, Option<Arc<str>>)> {
        let last = self.by_key.get(&e.key)?;
        if last.id.is_some_and(|id| id != e.id) {
            return None;
        }
        let values = last.values.as_ref()?;
        let day = last.at / 1_000_000_000;
        let day = NaiveDate::from_ymd_opt(
            i32::try_from(day / 10_000).ok()?,
            u32::try_from(day / 100 % 100).ok()?,
            u32::try_from(day % 100).ok()?,
        )?;
        let value = match attr {
            Attr::Reason => values.reason.clone(),
            Attr::Purpose => values.purpose.clone(),
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
/// `-BLANK-`/`-NOTBLANK-` split (two counts, then the smaller side read), then the ledger,
/// then exact-value searches for what is still unknown.
pub async fn learn(
    client: &Client,
    remote: &mut RemoteState,
    wanted: &Wanted<'_>,
    applied: &Applied,
    opts: &ReadOptions,
) -> Result<Learned, ReadError> {
    let desired: DesiredValues = match wanted {
        Wanted::Plan(d) => d
            .entries
            .iter()
            .map(|e| (&e.key, (&*e.reason, e.purpose.as_deref())))
            .collect(),
        Wanted::Import(_) => FastMap::default(),
    };
    let scopes = remote
        .scopes
        .iter_mut()
        .filter(|(_, state)| state.incomplete.is_none())
        .map(|(scope, state)| learn_scope(client, *scope, state, wanted, &desired, applied, opts));
    let mut learned = Learned::default();
    for scope in futures::future::join_all(scopes).await {
        learned.searches += scope?.searches;
    }
    Ok(learned)
}

/// What the manifests want for each key: reason and purpose.
type DesiredValues<'d> = FastMap<&'d Key, (&'d str, Option<&'d str>)>;

/// [`learn`] for one scope (the scopes are learned concurrently).
async fn learn_scope(
    client: &Client,
    scope: CampaignId,
    state: &mut ScopeState,
    wanted: &Wanted<'_>,
    desired: &DesiredValues<'_>,
    applied: &Applied,
    opts: &ReadOptions,
) -> Result<Learned, ReadError> {
    let mut learned = Learned::default();
    for attr in [Attr::Reason, Attr::Purpose] {
        let cares = |e: &RemoteEntry| match wanted {
            Wanted::Plan(_) => desired.contains_key(&e.key),
            Wanted::Import(_) => true,
        };
        let unknown = |e: &RemoteEntry| cares(e) && !attr.source(e).is_known();
        if !state.entries.iter().any(&unknown) {
            continue;
        }
        blankness(client, scope, &mut state.entries, attr, opts, &mut learned).await?;
        for e in state.entries.iter_mut().filter(|e| unknown(e)) {
            from_ledger(e, attr, applied);
        }
        let values: BTreeSet<String> = match wanted {
            Wanted::Plan(_) => state
                .entries
                .iter()
                .filter(|e| unknown(e))
                .filter_map(|e| {
                    let (reason, purpose) = desired.get(&e.key)?;
                    match attr {
                        Attr::Reason => Some(reason.to_string()),
                        Attr::Purpose => purpose.map(str::to_string),
                    }
                })
                .collect(),
            Wanted::Import(config) => match attr {
                Attr::Reason => config.reasons.iter().flatten().cloned().collect(),
                Attr::Purpose => config.purposes.iter().flatten().cloned().collect(),
            },
        };
        for value in values.into_iter().filter(|v| !v.trim().is_empty()) {
            if !state.entries.iter().any(&unknown) {
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
            let value: Arc<str> = value.into();
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
fn from_ledger(e: &mut RemoteEntry, attr: Attr, applied: &Applied) {
    let Some((day, value)) = applied.last(e, attr) else {
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

    fn applied(lines: &[Vec<u8>]) -> Applied {
        let mut a = Applied::default();
        for l in lines {
            a.add(serde_json::from_slice(l).unwrap());
        }
        a
    }

    fn entry(id: u64) -> RemoteEntry {
        RemoteEntry {
            id,
            key: Key {
                scope: CampaignId(0),
                phone: Phone {
                    code: 1,
                    national: "2025550143".into(),
                },
            },
            reason: None,
            purpose: None,
            insert_date: "2026-03-03 10:30:00".into(),
            malformed: false,
            known: Known {
                reason: Source::Unknown,
                purpose: Source::Unknown,
            },
        }
    }

    fn reason(a: &Applied, id: u64) -> Option<(String, String)> {
        let (day, value) = a.last(&entry(id), Attr::Reason)?;
        Some((day.to_string(), value.as_deref().unwrap_or("").to_string()))
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
