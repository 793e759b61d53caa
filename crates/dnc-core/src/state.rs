//! Remote state: every entry of every managed scope, read completely or marked incomplete.

use crate::entry::{CampaignId, Key};
use chrono::NaiveDate;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One entry as the API holds it, with its number normalized. A million of them are held
/// at once (88 bytes each): reasons and purposes repeat, so each distinct text is stored
/// once per read behind a one-word pointer, the number sits inline, and of the insert date
/// only the day is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteEntry {
    pub id: u64,
    pub key: Key,
    pub reason: Option<Text>,
    pub purpose: Option<Text>,
    /// The day its `insert_date` starts with (`None` when the text does not start with one):
    /// when it was listed, as the retention period counts.
    pub insert_day: Option<NaiveDate>,
    /// The phone rules reject the number: its key keeps the raw digits, and dnc never plans
    /// its removal (a delete of a number the API cannot parse would fail on every apply).
    pub malformed: bool,
    /// How `reason` and `purpose` are known: read from the answer, or (where the API does
    /// not echo them) learned later by `known::learn`.
    pub known: Known,
}

/// A reason or purpose: one text shared by every entry holding it, one pointer wide (an
/// `Arc<str>` is two), read as a `str`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(Arc<Box<str>>);

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text(Arc::new(text.into()))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text(Arc::new(text.into_boxed_str()))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// How one attribute of a remote entry is known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Source {
    /// Read from the API: the answer showed it, or a search filter matched it.
    #[default]
    Api,
    /// Not blank per the API's filters; its value is not shown.
    NotBlank,
    /// Not shown by the API; dnc last applied it on this day, per the ledger.
    Ledger { applied_on: NaiveDate },
    /// Neither the API nor the ledger tells.
    Unknown,
}

impl Source {
    /// The value is known (read, or last applied): the plan may compare it.
    pub fn is_known(self) -> bool {
        matches!(self, Source::Api | Source::Ledger { .. })
    }
}

/// How an entry's reason and purpose are known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Known {
    pub reason: Source,
    pub purpose: Source,
}

impl Known {
    pub fn is_from_api(&self) -> bool {
        self.reason == Source::Api && self.purpose == Source::Api
    }

    pub fn is_known(self) -> bool {
        self.reason.is_known() && self.purpose.is_known()
    }
}

/// What one managed scope holds remotely.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeState {
    pub entries: Vec<RemoteEntry>,
    /// Why the read could not be completed; `None` when every entry was read.
    pub incomplete: Option<String>,
    /// Search requests the read sent.
    pub requests: u64,
}

/// The managed scopes as read, in config order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteState {
    pub scopes: Vec<(CampaignId, ScopeState)>,
}

impl RemoteState {
    pub fn scope(&self, id: CampaignId) -> Option<&ScopeState> {
        self.scopes.iter().find(|(s, _)| *s == id).map(|(_, st)| st)
    }
}

use crate::api::{ApiError, Client, ErrorKind, RemoteRecord, SearchPage, SearchQuery, TextFilter};
use crate::phone::{self, Phone};
use crate::progress::Reading;
use chrono::{Days, Utc};
use futures::future::join_all;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::Semaphore;

/// A read that must stop the command rather than yield a partial state.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReadError {
    /// The token was refused: no scope can be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unauthorized(ApiError),
    /// The API answered with a redirect: the URL is not the API's, no scope can be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Redirected(ApiError),
    /// The account has no such campaign: the config names a scope that does not exist.
    #[error("{scope} is not a campaign of this account: {error}")]
    #[diagnostic(code(dnc::state::unknown_scope))]
    UnknownScope { scope: CampaignId, error: ApiError },
    /// The ledger, read for the values the API did not show, could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
}

/// Said of a 404: the base URL most often lacks the API's version path.
pub const URL_HINT: &str = " (404: DNC_API_URL must be the API's base URL with its version path, \
                            e.g. https://api.convoso.com/v1/)";

/// The API answered 404 Not Found: the URL names no endpoint.
fn not_found(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Status { status: 404, .. } | ApiError::Garbled { status: 404, .. }
    )
}

/// Page size: the API's maximum `limit`.
pub const PAGE: u64 = 1000;
/// The API refuses offsets above this.
pub const MAX_OFFSET: u64 = 100_000;
/// Seconds of one day searched at once when a day must be read second by second.
const SECONDS_AT_ONCE: usize = 256;
/// The most insert days one split searches: about 27 years back from tomorrow. Entries
/// dated earlier are not searched, and the totals then say the read is incomplete.
const MAX_DAYS: u64 = 10_000;
/// Requests every scope's read may send whatever its total, on top of what its entries need.
const BASE_REQUESTS: u64 = 10_000;

#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Search requests in flight at once, across all scopes.
    pub concurrency: usize,
    /// Whole-scope reads tried before a scope is declared incomplete, when its count moved
    /// during a read (a failed request is not read again: the client already retried it).
    pub attempts: u32,
    /// Phone codes the manifests use: candidates when a scope is split by code.
    pub phone_codes: Vec<u16>,
    /// Numbers the manifests name, per scope: looked up one by one where a scope cannot be
    /// split finely enough, so no create is planned for a number that exists.
    pub wanted: crate::manifest::WantedNumbers,
    /// The highest offset the API accepts: `MAX_OFFSET`, lower only against a sandbox
    /// started with the same `--max-offset` (so tests split scopes of a few thousand).
    pub max_offset: u64,
    /// Set by the read once an answer's entries lack `reason` or `purpose` (the contract's
    /// search): what the API does not show is then learned from the ledger, which a caller
    /// with a thread to spare may read while the API is still being read.
    pub unechoed: Arc<AtomicBool>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            concurrency: 8,
            attempts: 3,
            phone_codes: vec![1],
            wanted: Default::default(),
            max_offset: MAX_OFFSET,
            unechoed: Arc::default(),
        }
    }
}

/// Reads every managed scope completely, concurrently, showing progress on stderr. A refused
/// token or a scope the account does not have stops the read.
pub async fn read(
    client: &Client,
    scopes: &[CampaignId],
    opts: &ReadOptions,
) -> Result<RemoteState, ReadError> {
    read_all(client, scopes, opts, false, &SearchQuery::default())
        .await
        .map(|(state, _)| state)
}

/// Every entry of `scope` whose reason and purpose match `filter`'s (its other fields are
/// ignored), read completely or marked incomplete like a whole scope.
pub async fn read_where(
    client: &Client,
    scope: CampaignId,
    filter: &SearchQuery,
    opts: &ReadOptions,
) -> Result<ScopeState, ReadError> {
    let template = SearchQuery {
        reason: filter.reason.clone(),
        purpose: filter.purpose.clone(),
        ..SearchQuery::default()
    };
    let (mut state, _) = read_all(client, &[scope], opts, false, &template).await?;
    Ok(state.scopes.pop().map(|(_, s)| s).unwrap_or_default())
}

/// [`read`] while the manifests are still loading, with no phone codes or numbers from
/// them: `None` when the read came to need them (a day split by phone code, numbers looked
/// up one by one), so it must be read again once they are known. Otherwise the state is the
/// one [`read`] returns.
pub async fn read_before_manifests(
    client: &Client,
    scopes: &[CampaignId],
    opts: &ReadOptions,
) -> Result<Option<RemoteState>, ReadError> {
    read_all(client, scopes, opts, true, &SearchQuery::default())
        .await
        .map(|(state, needed)| (!needed).then_some(state))
}

/// The state, and whether the read used the manifests' phone codes or numbers.
async fn read_all(
    client: &Client,
    scopes: &[CampaignId],
    opts: &ReadOptions,
    early: bool,
    template: &SearchQuery,
) -> Result<(RemoteState, bool), ReadError> {
    let names: Vec<String> = scopes
        .iter()
        .map(|s| match describe(template).as_str() {
            "[]" => s.to_string(),
            filter => format!("{s} {filter}"),
        })
        .collect();
    let reader = Reader {
        client,
        permits: Arc::new(Semaphore::new(opts.concurrency.max(1))),
        opts,
        progress: Reading::start(&names),
        texts: Mutex::default(),
        used_manifests: AtomicBool::new(false),
        early,
        fatal: Mutex::new(None),
        failed: scopes.iter().map(|_| AtomicBool::new(false)).collect(),
        template,
        work: scopes.iter().map(|_| Work::default()).collect(),
    };
    let reads = scopes
        .iter()
        .enumerate()
        .map(|(i, &scope)| reader.read_scope(i, scope));
    let states = join_all(reads).await;
    if let Some(fatal) = reader.fatal.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(fatal);
    }
    let state = RemoteState {
        scopes: scopes.iter().copied().zip(states).collect(),
    };
    Ok((state, reader.used_manifests.into_inner()))
}

/// Every campaign currently holding each number, managed or not: what a removal leaves behind.
pub async fn holders(
    client: &Client,
    phones: &[Phone],
    concurrency: usize,
) -> HashMap<Phone, Vec<CampaignId>> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let lookups = phones.iter().map(|phone| {
        let permits = permits.clone();
        async move {
            let _permit = permits.acquire().await.ok()?;
            let q = SearchQuery {
                phone_number: Some(phone.national.to_string()),
                phone_code: Some(phone.code),
                limit: PAGE,
                ..SearchQuery::default()
            };
            let page = client.search(&q).await.ok()?;
            // A number on more campaigns than one page holds is not fully known; nor is it
            // from an answer listing other numbers (one that ignores the filter would show
            // every campaign holding "it", hiding that a removal makes it dialable again).
            let only_it = page.entries.iter().all(|r| key_of(r).0.phone == *phone);
            (page.total <= PAGE && only_it).then(|| {
                (
                    phone.clone(),
                    page.entries.iter().map(|r| r.campaign_id).collect(),
                )
            })
        }
    });
    join_all(lookups).await.into_iter().flatten().collect()
}

struct Reader<'a> {
    client: &'a Client,
    permits: Arc<Semaphore>,
    opts: &'a ReadOptions,
    progress: Reading,
    /// Every distinct reason and purpose read so far, stored once.
    texts: Mutex<Texts>,
    /// The read reached a step that uses `opts.phone_codes` or `opts.wanted`.
    used_manifests: AtomicBool,
    /// Reading before the manifests are known: a step that needs them ends the scope's read.
    early: bool,
    /// The first error that ends the whole read.
    fatal: Mutex<Option<ReadError>>,
    /// Per scope: a request failed after its retries, or the answers contradicted
    /// themselves, so reading the scope again would only repeat them.
    failed: Vec<AtomicBool>,
    /// The reason and purpose filters every search of this read carries.
    template: &'a SearchQuery,
    /// Per scope: what the read has cost so far, against what its total allows.
    work: Vec<Work>,
}

/// The work one scope's read may do, bounded by the total the API first reports for it, so
/// answers that never add up (a total that does not shrink when split, the same page again)
/// end the read instead of growing it: see [`Work::allow`].
#[derive(Default)]
struct Work {
    requests: AtomicU64,
    /// Entries kept so far (pages read through, not first pages of a split).
    records: AtomicU64,
    /// 0 until the scope's first page sets it.
    max_requests: AtomicU64,
    max_records: AtomicU64,
}

impl Work {
    /// Starts a read of a scope: nothing spent, no bound until its first page.
    fn reset(&self) {
        for n in [
            &self.requests,
            &self.records,
            &self.max_requests,
            &self.max_records,
        ] {
            n.store(0, Ordering::Relaxed);
        }
    }

    /// Sets the bounds from the scope's total, once per read: four searches per page of it,
    /// a second-by-second read of each day that can hold more than the API pages through,
    /// and one lookup per wanted number; entries kept at most twice the total.
    fn bound(&self, total: u64, readable: u64, wanted: u64) {
        let pages = total.div_ceil(PAGE);
        let days = total / readable.max(1);
        let requests = BASE_REQUESTS
            .saturating_add(pages.saturating_mul(4))
            .saturating_add(days.saturating_mul(86_400 + 4 * PAGE))
            .saturating_add(wanted);
        let records = total
            .saturating_mul(2)
            .saturating_add(readable)
            .saturating_add(wanted.saturating_mul(2));
        let relaxed = Ordering::Relaxed;
        let _ = self
            .max_requests
            .compare_exchange(0, requests, relaxed, relaxed);
        let _ = self
            .max_records
            .compare_exchange(0, records, relaxed, relaxed);
    }

    /// Counts one more request; why not, when the scope's read is over its bounds.
    fn allow(&self) -> Result<(), String> {
        let sent = self.requests.fetch_add(1, Ordering::Relaxed);
        let held = self.records.load(Ordering::Relaxed);
        let (max_sent, max_held) = (
            self.max_requests.load(Ordering::Relaxed),
            self.max_records.load(Ordering::Relaxed),
        );
        if max_sent > 0 && sent >= max_sent {
            return Err(format!(
                "stopped after {sent} searches, more than the entries the API counts could need: its answers do not add up"
            ));
        }
        if max_held > 0 && held > max_held {
            return Err(format!(
                "stopped after keeping {held} entries, more than twice what the API counts: its answers do not add up"
            ));
        }
        Ok(())
    }
}

/// Why a search gave no page to use.
#[derive(Debug)]
enum SearchError {
    Api(ApiError),
    /// The answer contradicts the query or the answers before it, or the read is over its
    /// bounds: reading on or again cannot help.
    Untrustworthy(String),
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchError::Api(e) => e.fmt(f),
            SearchError::Untrustworthy(why) => f.write_str(why),
        }
    }
}

/// What reading one filter produced: its entries, the total the API reported, and what
/// kept the read from being complete.
struct Outcome {
    /// The entries, a page at a time in read order: moved up the splits as they are, and
    /// joined once per scope (joining at every level would copy a scope's entries again at
    /// each, with both copies held).
    pages: Vec<Vec<RemoteEntry>>,
    total: u64,
    problem: Option<String>,
    /// Some filter matched more than the API pages through and nothing narrower split it,
    /// or the answers contradicted themselves: reading the scope again cannot help.
    unsplittable: bool,
}

impl Outcome {
    fn failed(problem: String) -> Outcome {
        Outcome {
            pages: Vec::new(),
            total: 0,
            problem: Some(problem),
            unsplittable: false,
        }
    }
}

/// One search answer as the read keeps it: its entries normalized, and what splitting its
/// filter needs of the raw records.
struct Page {
    total: u64,
    entries: Vec<RemoteEntry>,
    /// The phone codes of its entries as the API gave them (before normalization), sorted.
    codes: Vec<u16>,
    edges: Edges,
}

/// Where a page's insert dates begin and end: what a split by day or by second starts from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Edges {
    /// The earliest and latest day an insert date starts with.
    earliest: Option<NaiveDate>,
    latest: Option<NaiveDate>,
    /// The earliest insert date given to the second (`YYYY-MM-DD hh:mm:ss`, 19 characters).
    first_second: Option<CompactString>,
}

impl Edges {
    /// Counts in one entry's insert date (`day` is the day it starts with).
    fn add(&mut self, day: Option<NaiveDate>, insert_date: &CompactString) {
        if let Some(day) = day {
            self.earliest = Some(self.earliest.map_or(day, |d| d.min(day)));
            self.latest = Some(self.latest.map_or(day, |d| d.max(day)));
        }
        let earlier = |first: &CompactString| insert_date < first;
        if insert_date.len() == 19 && self.first_second.as_ref().is_none_or(earlier) {
            self.first_second = Some(insert_date.clone());
        }
    }

    fn merge(self, other: Edges) -> Edges {
        fn pick<T: Ord>(a: Option<T>, b: Option<T>, f: fn(T, T) -> T) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(f(a, b)),
                (a, b) => a.or(b),
            }
        }
        Edges {
            earliest: pick(self.earliest, other.earliest, Ord::min),
            latest: pick(self.latest, other.latest, Ord::max),
            first_second: pick(self.first_second, other.first_second, Ord::min),
        }
    }
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Reader<'_> {
    async fn read_scope(&self, index: usize, scope: CampaignId) -> ScopeState {
        let root = SearchQuery {
            campaign_id: Some(scope),
            limit: PAGE,
            ..self.template.clone()
        };
        let mut last = None;
        for _ in 0..self.opts.attempts.max(1) {
            self.work[index].reset();
            let outcome = self.read_filter(index, root.clone()).await;
            let settled = outcome.unsplittable;
            let records = dedupe(joined(outcome.pages));
            let problem = outcome.problem.or_else(|| {
                (records.len() as u64 != outcome.total).then(|| {
                    format!(
                        "read {} distinct entries but the API counts {}",
                        records.len(),
                        outcome.total
                    )
                })
            });
            let state = ScopeState {
                entries: records,
                incomplete: problem,
                requests: self.work[index].requests.load(Ordering::Relaxed),
            };
            let stop = self.failed[index].load(Ordering::Relaxed)
                || self.is_fatal()
                || self.early && self.used_manifests.load(Ordering::Relaxed);
            if state.incomplete.is_none() || stop || settled {
                return state;
            }
            last = Some(state);
        }
        last.unwrap_or_default()
    }

    /// The most matches one filter can expose: the last page starts at the offset cap.
    fn readable(&self) -> u64 {
        self.opts.max_offset + PAGE
    }

    /// A page's entries, kept for scope number `index`: counted against its bounds.
    fn keep(&self, index: usize, entries: Vec<RemoteEntry>) -> Vec<RemoteEntry> {
        self.work[index]
            .records
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        entries
    }

    /// A raw page as the read keeps it, normalized as it arrives: the read never holds raw
    /// records beyond the pages in flight (a scope split by day holds the first page of
    /// every day at once before reading on).
    fn compact(&self, raw: SearchPage) -> Page {
        let mut codes = Vec::new();
        let mut edges = Edges::default();
        let mut unechoed = false;
        let mut texts = self.texts.lock().unwrap_or_else(|p| p.into_inner());
        let entries = raw
            .entries
            .into_iter()
            .map(|r| {
                if !codes.contains(&r.phone_code) {
                    codes.push(r.phone_code);
                }
                unechoed |= !(r.echoes.reason && r.echoes.purpose);
                let day = insert_day(&r.insert_date);
                edges.add(day, &r.insert_date);
                normalize(r, day, &mut texts)
            })
            .collect();
        if unechoed {
            self.opts.unechoed.store(true, Ordering::Relaxed);
        }
        codes.sort_unstable();
        Page {
            total: raw.total,
            entries,
            codes,
            edges,
        }
    }

    /// Notes that the read needs the manifests' phone codes or numbers; true when they are
    /// not known yet, so the step is cut short and the read will be done again.
    fn needs_manifests(&self) -> bool {
        self.used_manifests.store(true, Ordering::Relaxed);
        self.early
    }

    fn is_fatal(&self) -> bool {
        self.fatal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// One page for scope number `index`, within the scope's bounds, holding only entries
    /// that match `q`. A refused token or an unknown campaign is kept as the read's fatal
    /// error.
    async fn search(&self, index: usize, q: &SearchQuery) -> Result<Page, SearchError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let work = &self.work[index];
        let page = match work.allow() {
            Ok(()) => self.client.search(q).await.map_err(SearchError::Api),
            Err(why) => Err(SearchError::Untrustworthy(why)),
        };
        let page = page.and_then(|p| match mismatch(q, &p) {
            Some(why) => Err(SearchError::Untrustworthy(why)),
            None => Ok(self.compact(p)),
        });
        match &page {
            Ok(p) => self.progress.add(index, p.entries.len() as u64),
            Err(e) => {
                self.failed[index].store(true, Ordering::Relaxed);
                if let SearchError::Api(e) = e {
                    self.keep_fatal(q, e);
                }
            }
        }
        page
    }

    fn keep_fatal(&self, q: &SearchQuery, e: &ApiError) {
        let fatal = match (e, q.campaign_id) {
            (ApiError::Unauthorized { .. }, _) => ReadError::Unauthorized(e.clone()),
            (ApiError::Redirected { .. }, _) => ReadError::Redirected(e.clone()),
            (_, Some(scope)) if e.kind() == Some(ErrorKind::InvalidCampaign) => {
                ReadError::UnknownScope {
                    scope,
                    error: e.clone(),
                }
            }
            _ => return,
        };
        let mut kept = self.fatal.lock().unwrap_or_else(|p| p.into_inner());
        kept.get_or_insert(fatal);
    }

    fn read_filter(&self, index: usize, q: SearchQuery) -> Boxed<'_, Outcome> {
        Box::pin(async move {
            let first = match self.search(index, &q).await {
                Ok(page) => page,
                Err(e) => {
                    let hint = if matches!(&e, SearchError::Api(e) if not_found(e)) {
                        URL_HINT
                    } else {
                        ""
                    };
                    return Outcome::failed(format!("search {} failed: {e}{hint}", describe(&q)));
                }
            };
            let wanted = q.campaign_id.map_or(0, |s| self.opts.wanted.count(s));
            self.work[index].bound(first.total, self.readable(), wanted as u64);
            self.read_from(index, q, first).await
        })
    }

    /// Reads what `q` matches, given its first page.
    fn read_from(&self, index: usize, q: SearchQuery, first: Page) -> Boxed<'_, Outcome> {
        Box::pin(async move {
            if first.total <= self.readable() {
                return self.read_pages(index, q, first).await;
            }
            match self.split(index, &q, &first).await {
                Some(children) => self.read_children(index, first.total, children).await,
                None if q.insert_date.as_ref().is_some_and(|d| d.len() == 10) => {
                    self.read_by_second(index, q, first).await
                }
                None => self.look_up_wanted(index, q, first).await,
            }
        })
    }

    /// One day holds more than the API pages through: read it second by second
    /// (`insert_date` takes `YYYY-MM-DD hh:mm:ss`), from the earliest second seen onwards and
    /// then the seconds before it, in batches, until the seconds account for every entry.
    async fn read_by_second(&self, index: usize, q: SearchQuery, first: Page) -> Outcome {
        let day = q.insert_date.clone().unwrap_or_default();
        let seen = self
            .edges(index, &q, &first)
            .await
            .first_second
            .filter(|d| d.starts_with(&day));
        let all = seconds_of(&day);
        let from = seen
            .and_then(|s| all.iter().position(|a| *a == s))
            .unwrap_or(0);
        let order = all[from..].iter().chain(&all[..from]).collect::<Vec<_>>();
        let mut out = Outcome {
            pages: Vec::new(),
            total: first.total,
            problem: None,
            unsplittable: false,
        };
        let mut covered = 0;
        for batch in order.chunks(SECONDS_AT_ONCE) {
            if covered >= first.total || out.problem.is_some() {
                break;
            }
            let seconds = batch.iter().map(|second| SearchQuery {
                insert_date: Some((*second).clone()),
                ..q.clone()
            });
            let firsts = match self
                .first_pages(
                    index,
                    first.total.saturating_sub(covered),
                    seconds.collect(),
                )
                .await
            {
                Ok(firsts) => firsts,
                Err(failed) => {
                    out.unsplittable |= failed.unsplittable;
                    out.problem = failed.problem;
                    break;
                }
            };
            let reads = firsts
                .into_iter()
                .map(|(q, first)| self.read_from(index, q, first));
            for o in join_all(reads).await {
                covered += o.total;
                out.unsplittable |= o.unsplittable;
                out.pages.extend(o.pages);
                if let Some(p) = o.problem {
                    out.problem.get_or_insert(p);
                }
            }
        }
        if covered != first.total && out.problem.is_none() {
            return self.look_up_wanted(index, q, first).await;
        }
        out
    }

    /// No filter narrows `q` enough: look up every number the manifests want in this scope
    /// by exact search, so none of them is planned as a create while it exists. The read
    /// stays incomplete: what was not seen cannot be removed or pruned.
    async fn look_up_wanted(&self, index: usize, q: SearchQuery, first: Page) -> Outcome {
        let problem = format!(
            "{} entries match {}; the API pages through only the first {} and no narrower filter splits them",
            first.total,
            describe(&q),
            self.readable()
        );
        self.needs_manifests();
        let wanted = q.campaign_id.into_iter();
        let wanted = wanted.flat_map(|scope| self.opts.wanted.phones(scope));
        let lookups = join_all(wanted.map(|phone| {
            let exact = SearchQuery {
                phone_number: Some(phone.national.to_string()),
                phone_code: Some(phone.code),
                offset: 0,
                ..q.clone()
            };
            async move { self.search(index, &exact).await }
        }))
        .await;
        let mut out = Outcome {
            total: first.total,
            problem: Some(problem),
            pages: vec![self.keep(index, first.entries)],
            unsplittable: true,
        };
        for found in lookups {
            match found {
                Ok(page) => out.pages.push(self.keep(index, page.entries)),
                Err(e) => {
                    out.problem = Some(format!(
                        "{}; looking up a wanted number failed too: {e}",
                        out.problem.unwrap_or_default()
                    ));
                }
            }
        }
        out
    }

    /// Reads the pages after `first` concurrently and checks the total held still.
    async fn read_pages(&self, index: usize, q: SearchQuery, first: Page) -> Outcome {
        let total = first.total;
        let offsets = (1..).map(|i| i * PAGE).take_while(|&o| o < total);
        let pages = join_all(offsets.map(|offset| {
            let q = SearchQuery {
                offset,
                ..q.clone()
            };
            async move { (offset, self.search(index, &q).await) }
        }))
        .await;
        let mut seen: HashSet<u64> = first.entries.iter().map(|r| r.id).collect();
        let mut out = Outcome {
            pages: vec![self.keep(index, first.entries)],
            total,
            problem: None,
            unsplittable: false,
        };
        for (offset, page) in pages {
            match page {
                // The same page again (an API that ignores `offset`): every entry on it was
                // read already, and asking again would only repeat it.
                Ok(page)
                    if !page.entries.is_empty()
                        && !page.entries.iter().any(|r| seen.insert(r.id)) =>
                {
                    out.unsplittable = true;
                    out.problem.get_or_insert(format!(
                        "the page at offset {offset} of {} repeats entries already read: the API does not page",
                        describe(&q)
                    ));
                }
                Ok(page) if page.total == total => out.pages.push(self.keep(index, page.entries)),
                Ok(page) => {
                    out.problem.get_or_insert(format!(
                        "the count for {} moved from {total} to {} during the read",
                        describe(&q),
                        page.total
                    ));
                }
                Err(e) => {
                    out.problem.get_or_insert(format!(
                        "page at offset {offset} of {} failed: {e}",
                        describe(&q)
                    ));
                }
            }
        }
        out
    }

    async fn read_children(
        &self,
        index: usize,
        parent_total: u64,
        children: Vec<SearchQuery>,
    ) -> Outcome {
        let firsts = match self.first_pages(index, parent_total, children).await {
            Ok(firsts) => firsts,
            Err(failed) => return failed,
        };
        let outcomes = join_all(
            firsts
                .into_iter()
                .map(|(q, first)| self.read_from(index, q, first)),
        )
        .await;
        let mut out = Outcome {
            pages: Vec::new(),
            total: parent_total,
            problem: None,
            unsplittable: false,
        };
        let mut covered = 0;
        for o in outcomes {
            covered += o.total;
            out.unsplittable |= o.unsplittable;
            out.pages.extend(o.pages);
            if let Some(p) = o.problem {
                out.problem.get_or_insert(p);
            }
        }
        if covered != parent_total && out.problem.is_none() {
            out.problem = Some(format!(
                "narrower filters account for {covered} of {parent_total} entries; the rest cannot be reached"
            ));
        }
        out
    }

    /// The first page of each narrower filter, checked before anything is read further:
    /// narrower filters together never match more than their parent (the count of an
    /// answer that ignores a filter does not shrink, and splitting it again would never end).
    async fn first_pages(
        &self,
        index: usize,
        parent_total: u64,
        children: Vec<SearchQuery>,
    ) -> Result<Vec<(SearchQuery, Page)>, Outcome> {
        let pages = join_all(children.iter().map(|q| self.search(index, q))).await;
        let mut firsts = Vec::with_capacity(pages.len());
        let mut sum: u64 = 0;
        for (q, page) in children.into_iter().zip(pages) {
            match page {
                Ok(page) => {
                    sum = sum.saturating_add(page.total);
                    if sum > parent_total {
                        let mut failed = Outcome::failed(format!(
                            "narrower filters count {sum} entries, more than the {parent_total} \
                             of the filter they split ({} alone counts {}): the API does not \
                             apply them, so splitting the read would never end",
                            describe(&q),
                            page.total
                        ));
                        failed.unsplittable = true;
                        return Err(failed);
                    }
                    firsts.push((q, page));
                }
                Err(e) => {
                    return Err(Outcome::failed(format!(
                        "search {} failed: {e}",
                        describe(&q)
                    )));
                }
            }
        }
        Ok(firsts)
    }

    /// Narrower filters whose matches add up to `q`'s: by insert day, then phone code,
    /// then blank or non-blank reason and purpose, then by second of the insert day.
    /// `None` when no dimension is left.
    async fn split(&self, index: usize, q: &SearchQuery, first: &Page) -> Option<Vec<SearchQuery>> {
        if q.insert_date.is_none() {
            let days = self.candidate_days(index, q, first).await;
            return Some(
                days.into_iter()
                    .map(|d| SearchQuery {
                        insert_date: Some(d),
                        ..q.clone()
                    })
                    .collect(),
            );
        }
        if q.phone_code.is_none() {
            if self.needs_manifests() {
                return Some(Vec::new());
            }
            let codes: BTreeSet<u16> = self
                .opts
                .phone_codes
                .iter()
                .copied()
                .chain(first.codes.iter().copied())
                .collect();
            if codes.len() > 1 {
                return Some(
                    codes
                        .into_iter()
                        .map(|c| SearchQuery {
                            phone_code: Some(c),
                            ..q.clone()
                        })
                        .collect(),
                );
            }
        }
        let blankness = || [TextFilter::Blank, TextFilter::NotBlank];
        if q.reason.is_none() {
            return Some(
                blankness()
                    .map(|f| SearchQuery {
                        reason: Some(f),
                        ..q.clone()
                    })
                    .into(),
            );
        }
        if q.purpose.is_none() {
            return Some(
                blankness()
                    .map(|f| SearchQuery {
                        purpose: Some(f),
                        ..q.clone()
                    })
                    .into(),
            );
        }
        None
    }

    /// The insert dates of the first page and of the last page the API reaches for `q`:
    /// where its entries begin, and how far paging gets.
    async fn edges(&self, index: usize, q: &SearchQuery, first: &Page) -> Edges {
        let last = self
            .search(
                index,
                &SearchQuery {
                    offset: self.opts.max_offset,
                    ..q.clone()
                },
            )
            .await
            .ok();
        match last {
            Some(last) => first.edges.clone().merge(last.edges),
            None => first.edges.clone(),
        }
    }

    /// Every day from the earliest insert date seen (first page and last reachable page)
    /// through tomorrow, UTC: the reconciliation of totals catches anything outside.
    async fn candidate_days(&self, index: usize, q: &SearchQuery, first: &Page) -> Vec<String> {
        let edges = self.edges(index, q, first).await;
        let today = Utc::now().date_naive();
        let latest = edges.latest.unwrap_or(today).max(today);
        let end = latest.checked_add_days(Days::new(1)).unwrap_or(latest);
        let earliest = end
            .checked_sub_days(Days::new(MAX_DAYS - 1))
            .unwrap_or(NaiveDate::MIN);
        let start = edges.earliest.unwrap_or(today).max(earliest);
        start
            .iter_days()
            .take_while(|d| *d <= end)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect()
    }
}

/// Every second of `day` (`YYYY-MM-DD`) as an `insert_date` filter, `YYYY-MM-DD hh:mm:ss`.
fn seconds_of(day: &str) -> Vec<String> {
    let Some(start) = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    else {
        return Vec::new();
    };
    (0..86_400)
        .map(|s| {
            (start + chrono::TimeDelta::seconds(s))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .collect()
}

/// Why `page` cannot be the answer to `q`: an entry outside the filters asked for (another
/// campaign, phone code or day, or a reason where blank ones were asked for). Such
/// an answer would file entries under the wrong scope, so the read is incomplete.
fn mismatch(q: &SearchQuery, page: &SearchPage) -> Option<String> {
    let odd = page.entries.iter().find_map(|r| {
        let day_matches = |filter: &str| {
            let shown = r.insert_date.as_str();
            shown.starts_with(filter) || (shown.len() == 10 && filter.starts_with(shown))
        };
        if q.campaign_id.is_some_and(|c| c != r.campaign_id) {
            return Some(format!("campaign_id {}", r.campaign_id.0));
        }
        if q.phone_code.is_some_and(|c| c != r.phone_code) {
            return Some(format!("phone_code {}", r.phone_code));
        }
        if q.insert_date.as_deref().is_some_and(|d| !day_matches(d)) {
            return Some(format!("insert_date {:?}", r.insert_date));
        }
        for (name, filter, value) in [
            ("reason", &q.reason, &r.reason),
            ("purpose", &q.purpose, &r.purpose),
        ] {
            // An answer without the field says nothing: the documented search omits it.
            let wrong = match (filter, value) {
                (Some(TextFilter::Blank), Some(_)) => true,
                (Some(TextFilter::Exact(want)), Some(got)) => want != got,
                _ => false,
            };
            if wrong {
                return Some(format!("a {name} outside the filter"));
            }
        }
        None
    });
    odd.map(|what| {
        format!(
            "the API answered {} with an entry of {what}: it does not apply the filter, so nothing it lists can be trusted to be in this scope",
            describe(q)
        )
    })
}

/// The day an insert date starts with, read as chrono reads `%Y-%m-%d`: the usual
/// `YYYY-MM-DD` directly (a read meets a million), any other text through chrono's parser.
fn insert_day(insert_date: &str) -> Option<NaiveDate> {
    let day = insert_date.get(..10)?;
    let b = day.as_bytes();
    let number = |at: std::ops::Range<usize>| {
        b[at].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if let (b'-', b'-', Some(y), Some(m), Some(d)) =
        (b[4], b[7], number(0..4), number(5..7), number(8..10))
    {
        return NaiveDate::from_ymd_opt(y as i32, m, d);
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

fn describe(q: &SearchQuery) -> String {
    let mut parts = Vec::new();
    if let Some(c) = q.campaign_id {
        parts.push(format!("campaign_id={}", c.0));
    }
    if let Some(c) = q.phone_code {
        parts.push(format!("phone_code={c}"));
    }
    if let Some(d) = &q.insert_date {
        parts.push(format!("insert_date={d}"));
    }
    for (name, filter) in [("reason", &q.reason), ("purpose", &q.purpose)] {
        match filter {
            Some(TextFilter::Blank) => parts.push(format!("{name}=-BLANK-")),
            Some(TextFilter::NotBlank) => parts.push(format!("{name}=-NOTBLANK-")),
            Some(TextFilter::Exact(v)) => parts.push(format!("{name}={v}")),
            None => {}
        }
    }
    format!("[{}]", parts.join(" "))
}

/// A scope's pages as one vector of exactly its entries (held for the rest of the command),
/// each page freed once moved.
fn joined(pages: Vec<Vec<RemoteEntry>>) -> Vec<RemoteEntry> {
    let mut all = Vec::with_capacity(pages.iter().map(Vec::len).sum());
    for page in pages {
        all.extend(page);
    }
    all
}

/// The entries without repeats of an id (the first kept). Ids repeat only in answers that
/// contradict themselves, so they are sorted to find out before a set is built.
fn dedupe(mut records: Vec<RemoteEntry>) -> Vec<RemoteEntry> {
    let mut ids: Vec<u64> = records.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    if ids.windows(2).all(|w| w[0] != w[1]) {
        return records;
    }
    drop(ids);
    let mut seen = HashSet::with_capacity(records.len());
    records.retain(|r| seen.insert(r.id));
    records.shrink_to_fit();
    records
}

/// A remote record's key, normalized like a manifest's number so both sides compare; a
/// number the phone rules reject keeps its digits and is flagged malformed. The one
/// normalization of remote records: the state reader, apply's re-checks and import use it.
pub fn key_of(r: &RemoteRecord) -> (Key, bool) {
    let (phone, malformed) = match phone::normalize(Some(r.phone_code), &r.phone_number) {
        Ok((phone, _)) => (phone, false),
        Err(_) => (
            Phone {
                code: r.phone_code,
                national: shown_as_is(&r.phone_number).into(),
            },
            true,
        ),
    };
    let key = Key {
        scope: r.campaign_id,
        phone,
    };
    (key, malformed)
}

/// A number the phone rules reject, kept as the API holds it, never changed: printable
/// ASCII as it is, anything else (a non-ASCII digit, a space, a control character) escaped
/// as `\u{9e6}`, so `202555০143` does not read as `202555143` or as `2025550143`.
fn shown_as_is(number: &str) -> String {
    number
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '\\' {
                c.to_string()
            } else {
                c.escape_unicode().to_string()
            }
        })
        .collect()
}

fn normalize(r: RemoteRecord, insert_day: Option<NaiveDate>, texts: &mut Texts) -> RemoteEntry {
    let (key, malformed) = key_of(&r);
    RemoteEntry {
        id: r.id,
        key,
        reason: r.reason.map(|t| texts.intern(&t)),
        purpose: r.purpose.map(|t| texts.intern(&t)),
        insert_day,
        malformed,
        known: Known {
            reason: echoed(r.echoes.reason),
            purpose: echoed(r.echoes.purpose),
        },
    }
}

fn echoed(shown: bool) -> Source {
    if shown { Source::Api } else { Source::Unknown }
}

/// Reasons and purposes, each distinct text stored once.
#[derive(Default)]
struct Texts(hashbrown::HashSet<Text>);

impl Texts {
    fn intern(&mut self, text: &str) -> Text {
        if let Some(known) = self.0.get(text) {
            return known.clone();
        }
        let text = Text::from(text);
        self.0.insert(text.clone());
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_number_is_kept_visibly() {
        let record = |number: &str| RemoteRecord {
            id: 1,
            phone_code: 1,
            phone_number: number.into(),
            campaign_id: CampaignId::GLOBAL,
            insert_date: CompactString::default(),
            campaign_name: None,
            reason: None,
            purpose: None,
            echoes: Default::default(),
        };
        let (key, malformed) = key_of(&record("202555\u{9e6}143"));
        assert!(malformed);
        assert_eq!(key.phone.national, "202555\\u{9e6}143");
        assert_eq!(key.phone.display(), "+1 202555\\u{9e6}143");
        let (key, _) = key_of(&record("12 \\"));
        assert_eq!(key.phone.national, "12\\u{20}\\u{5c}");
    }

    #[test]
    fn insert_days_read_as_chrono_reads_them() {
        for text in [
            "2026-03-03",
            "2026-03-03 10:30:00",
            "2026-02-29",
            "2024-02-29 00:00:00",
            "0000-01-01",
            "9999-12-31",
            "2026-00-10",
            "2026-13-01",
            "2026-03-32",
            "2026-3-03 10",
            "+2026-03-0",
            "2026/03/03",
            " 2026-03-03",
            "2026-03-3x",
            "20260303",
            "２０２６-03-03",
            "",
        ] {
            let chrono = text
                .get(..10)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            assert_eq!(insert_day(text), chrono, "{text:?}");
        }
    }

    #[test]
    fn a_pages_edges_are_its_earliest_and_latest_dates() {
        let edges = |dates: &[&str]| {
            let mut e = Edges::default();
            for d in dates {
                e.add(insert_day(d), &CompactString::from(*d));
            }
            e
        };
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d);
        let a = edges(&[
            "2026-03-05 10:00:00",
            "2026-03-03",
            "2026-03-04 09:00:00",
            "03/02/2026",
            "2026-03-04 08:00",
        ]);
        assert_eq!((a.earliest, a.latest), (day(3), day(5)));
        assert_eq!(a.first_second.as_deref(), Some("2026-03-04 09:00:00"));
        let b = edges(&["2026-03-06", "2026-03-01 23:00:00"]);
        let both = a.clone().merge(b.clone());
        assert_eq!((both.earliest, both.latest), (day(1), day(6)));
        assert_eq!(both.first_second.as_deref(), Some("2026-03-01 23:00:00"));
        assert_eq!(b.clone().merge(a), both);
        assert_eq!(Edges::default().merge(b.clone()), b);
        assert_eq!(edges(&["x", ""]), Edges::default());
    }

    #[test]
    fn a_remote_entry_stays_small() {
        // A million are held for the whole plan: 128 bytes each before the insert date was
        // cut to its day and the texts to one-word pointers.
        assert_eq!(std::mem::size_of::<RemoteEntry>(), 88);
        assert_eq!(std::mem::size_of::<Option<Text>>(), 8);
    }

    #[test]
    fn a_read_stops_within_its_bounds() {
        let work = Work::default();
        // No bound before the first page.
        assert!((0..100_000).all(|_| work.allow().is_ok()));
        work.reset();
        work.bound(2_001, 2_000, 0);
        let allowed = (0..1_000_000).take_while(|_| work.allow().is_ok()).count() as u64;
        assert_eq!(allowed, BASE_REQUESTS + 3 * 4 + (86_400 + 4 * PAGE));
        assert!(work.allow().unwrap_err().contains("searches"));
        work.reset();
        work.bound(10, 2_000, 0);
        // Twice the total and one filter's worth of pages.
        work.records.store(2_020, Ordering::Relaxed);
        assert!(work.allow().is_ok());
        work.records.fetch_add(1, Ordering::Relaxed);
        assert!(work.allow().unwrap_err().contains("entries"));
    }
}
