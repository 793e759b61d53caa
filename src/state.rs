//! Remote state: every entry of every managed scope, read completely or marked incomplete.

use crate::entry::{CampaignId, Key};

/// One entry as the API holds it, with its number normalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteEntry {
    pub id: u64,
    pub key: Key,
    pub reason: Option<String>,
    pub purpose: Option<String>,
    pub insert_date: String,
}

/// What one managed scope holds remotely.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeState {
    pub entries: Vec<RemoteEntry>,
    /// Why the read could not be completed; `None` when every entry was read.
    pub incomplete: Option<String>,
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

use crate::api::{ApiError, Client, RemoteRecord, SearchPage, SearchQuery, TextFilter};
use crate::phone::{self, Phone};
use chrono::{Days, NaiveDate, Utc};
use futures::future::join_all;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Page size: the API's maximum `limit`.
pub const PAGE: u64 = 1000;
/// The API refuses offsets above this.
pub const MAX_OFFSET: u64 = 100_000;
/// The most matches one filter can expose: the last page starts at `MAX_OFFSET`.
pub const READABLE: u64 = MAX_OFFSET + PAGE;

#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Search requests in flight at once, across all scopes.
    pub concurrency: usize,
    /// Whole-scope reads tried before a scope is declared incomplete.
    pub attempts: u32,
    /// Phone codes the manifests use: candidates when a scope is split by code.
    pub phone_codes: Vec<u16>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            concurrency: 8,
            attempts: 3,
            phone_codes: vec![1],
        }
    }
}

/// Reads every managed scope completely, concurrently.
pub async fn read(client: &Client, scopes: &[CampaignId], opts: &ReadOptions) -> RemoteState {
    let reader = Reader {
        client,
        permits: Arc::new(Semaphore::new(opts.concurrency.max(1))),
        opts,
    };
    let reads = scopes.iter().map(|&scope| reader.read_scope(scope));
    let states = join_all(reads).await;
    RemoteState {
        scopes: scopes.iter().copied().zip(states).collect(),
    }
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
                phone_number: Some(phone.national.clone()),
                phone_code: Some(phone.code),
                limit: PAGE,
                ..SearchQuery::default()
            };
            let page = client.search(&q).await.ok()?;
            // A number on more campaigns than one page holds is not fully known.
            (page.total <= PAGE).then(|| {
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
}

/// What reading one filter produced: its records, the total the API reported, and what
/// kept the read from being complete.
struct Outcome {
    records: Vec<RemoteRecord>,
    total: u64,
    problem: Option<String>,
}

impl Outcome {
    fn failed(problem: String) -> Outcome {
        Outcome {
            records: Vec::new(),
            total: 0,
            problem: Some(problem),
        }
    }
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Reader<'_> {
    async fn read_scope(&self, scope: CampaignId) -> ScopeState {
        let root = SearchQuery {
            campaign_id: Some(scope),
            limit: PAGE,
            ..SearchQuery::default()
        };
        let mut last = None;
        for _ in 0..self.opts.attempts.max(1) {
            let outcome = self.read_filter(root.clone()).await;
            let records = dedupe(outcome.records);
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
                entries: records.into_iter().map(normalize).collect(),
                incomplete: problem,
            };
            if state.incomplete.is_none() {
                return state;
            }
            last = Some(state);
        }
        last.unwrap_or_default()
    }

    async fn search(&self, q: &SearchQuery) -> Result<SearchPage, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        self.client.search(q).await
    }

    fn read_filter(&self, q: SearchQuery) -> Boxed<'_, Outcome> {
        Box::pin(async move {
            let first = match self.search(&q).await {
                Ok(page) => page,
                Err(e) => return Outcome::failed(format!("search {} failed: {e}", describe(&q))),
            };
            if first.total <= READABLE {
                return self.read_pages(q, first).await;
            }
            match self.split(&q, &first).await {
                Some(children) => self.read_children(first.total, children).await,
                None => Outcome {
                    total: first.total,
                    problem: Some(format!(
                        "{} entries match {}; the API pages through only the first {READABLE} and no narrower filter splits them",
                        first.total,
                        describe(&q)
                    )),
                    records: first.entries,
                },
            }
        })
    }

    /// Reads the pages after `first` concurrently and checks the total held still.
    async fn read_pages(&self, q: SearchQuery, first: SearchPage) -> Outcome {
        let total = first.total;
        let offsets = (1..).map(|i| i * PAGE).take_while(|&o| o < total);
        let pages = join_all(offsets.map(|offset| {
            let q = SearchQuery {
                offset,
                ..q.clone()
            };
            async move { (offset, self.search(&q).await) }
        }))
        .await;
        let mut out = Outcome {
            records: first.entries,
            total,
            problem: None,
        };
        for (offset, page) in pages {
            match page {
                Ok(page) if page.total == total => out.records.extend(page.entries),
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

    async fn read_children(&self, parent_total: u64, children: Vec<SearchQuery>) -> Outcome {
        let outcomes = join_all(children.into_iter().map(|q| self.read_filter(q))).await;
        let mut out = Outcome {
            records: Vec::new(),
            total: parent_total,
            problem: None,
        };
        let mut covered = 0;
        for o in outcomes {
            covered += o.total;
            out.records.extend(o.records);
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

    /// Narrower filters whose matches add up to `q`'s: by insert day, then phone code,
    /// then blank or non-blank reason and purpose. `None` when no dimension is left.
    async fn split(&self, q: &SearchQuery, first: &SearchPage) -> Option<Vec<SearchQuery>> {
        if q.insert_date.is_none() {
            let days = self.candidate_days(q, first).await;
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
            let codes: BTreeSet<u16> = self
                .opts
                .phone_codes
                .iter()
                .copied()
                .chain(first.entries.iter().map(|r| r.phone_code))
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

    /// Every day from the earliest insert date seen (first page and last reachable page)
    /// through tomorrow, UTC: the reconciliation of totals catches anything outside.
    async fn candidate_days(&self, q: &SearchQuery, first: &SearchPage) -> Vec<String> {
        let last = self
            .search(&SearchQuery {
                offset: MAX_OFFSET,
                ..q.clone()
            })
            .await
            .ok();
        let seen = first
            .entries
            .iter()
            .chain(last.iter().flat_map(|p| p.entries.iter()));
        let dates: Vec<NaiveDate> = seen.filter_map(|r| insert_day(&r.insert_date)).collect();
        let today = Utc::now().date_naive();
        let start = dates.iter().min().copied().unwrap_or(today);
        let end = dates.iter().max().copied().unwrap_or(today).max(today) + Days::new(1);
        start
            .iter_days()
            .take_while(|d| *d <= end)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect()
    }
}

fn insert_day(insert_date: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(insert_date.get(..10)?, "%Y-%m-%d").ok()
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

fn dedupe(mut records: Vec<RemoteRecord>) -> Vec<RemoteRecord> {
    let mut seen = HashSet::with_capacity(records.len());
    records.retain(|r| seen.insert(r.id));
    records
}

/// Normalizes a remote number like a manifest's, so both sides compare; a number the rules
/// reject keeps its digits, and shows up as unmanaged rather than vanishing.
fn normalize(r: RemoteRecord) -> RemoteEntry {
    let phone = match phone::canonical(Some(r.phone_code), &r.phone_number) {
        Ok(phone) => phone,
        Err(_) => Phone {
            code: r.phone_code,
            national: r
                .phone_number
                .chars()
                .filter(char::is_ascii_digit)
                .collect(),
        },
    };
    RemoteEntry {
        id: r.id,
        key: Key {
            scope: r.campaign_id,
            phone,
        },
        reason: r.reason,
        purpose: r.purpose,
        insert_date: r.insert_date,
    }
}
