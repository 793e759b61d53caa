//! `dnc probe`: a read-only first look at an account. It reads the first page of every
//! managed scope (searches only: nothing is ever written) and reports whether the token
//! works, how the account shapes its answers, what each scope holds, how long a full plan
//! would take, and what dnc does given that shape.

use crate::api::{ApiError, Client, ErrorKind, SearchQuery, Shape};
use crate::entry::CampaignId;
use crate::manifest::Config;
use crate::state::PAGE;
use serde::Serialize;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The JSON report's version: bumped when a field changes meaning or goes away.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Probe {
    pub format_version: u32,
    /// Where the probe read (never the token).
    pub target: String,
    /// `accepted`: a refused token ends the probe with the token diagnosis instead.
    pub token: &'static str,
    pub shape: Shape,
    pub scopes: Vec<ScopeProbe>,
    pub read_concurrency: u16,
    /// Search requests a full plan needs at least (one per page of every scope).
    pub plan_pages: u64,
    /// The mean time one page took, in milliseconds.
    pub page_ms: u64,
    /// `plan_pages` at `read_concurrency`, at `page_ms` a page.
    pub projected_plan_seconds: f64,
    /// What dnc does given this shape, one sentence each.
    pub dnc_will: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ScopeProbe {
    pub scope: String,
    pub campaign_id: i64,
    pub exists: bool,
    /// The scope's `total`; `None` when its page could not be read.
    pub entries: Option<u64>,
    pub page_ms: Option<u64>,
    /// Why the page could not be read.
    pub error: Option<String>,
}

impl Probe {
    /// Scopes the account does not have, or that could not be read.
    pub fn failed_scopes(&self) -> Vec<String> {
        self.scopes
            .iter()
            .filter_map(|s| Some(format!("{}: {}", s.scope, s.error.as_ref()?)))
            .collect()
    }
}

/// Reads each managed scope's first page, one after another so each page's time is its own.
/// A refused token (or an API that stays down) ends the probe with that error.
pub async fn run(
    client: &Client,
    config: &Config,
    target: String,
    read_concurrency: u16,
) -> Result<Probe, ApiError> {
    let mut shape: Option<Shape> = None;
    let mut scopes = Vec::new();
    let mut took = Duration::ZERO;
    let mut pages_read = 0u32;
    for scope in &config.scopes {
        let q = SearchQuery {
            campaign_id: Some(scope.id),
            limit: PAGE,
            ..SearchQuery::default()
        };
        let started = Instant::now();
        let answer = client.search_shaped(&q).await;
        let elapsed = started.elapsed();
        let label = label(scope.id, scope.name.as_deref());
        scopes.push(match answer {
            Ok((page, seen)) => {
                took += elapsed;
                pages_read += 1;
                shape = Some(merge(shape, seen));
                ScopeProbe {
                    scope: label,
                    campaign_id: scope.id.0,
                    exists: true,
                    entries: Some(page.total),
                    page_ms: Some(millis(elapsed)),
                    error: None,
                }
            }
            Err(e) if matches!(e, ApiError::Unauthorized { .. }) || client.is_down() => {
                return Err(e);
            }
            Err(e) => ScopeProbe {
                scope: label,
                campaign_id: scope.id.0,
                exists: e.kind() != Some(ErrorKind::InvalidCampaign),
                entries: None,
                page_ms: None,
                error: Some(e.to_string()),
            },
        });
    }
    let shape = shape.unwrap_or_default();
    let page = took / pages_read.max(1);
    let plan_pages: u64 = scopes
        .iter()
        .filter_map(|s| s.entries)
        .map(|n| n.div_ceil(PAGE).max(1))
        .sum();
    let waves = plan_pages.div_ceil(u64::from(read_concurrency.max(1)));
    Ok(Probe {
        format_version: FORMAT_VERSION,
        target,
        token: "accepted",
        dnc_will: dnc_will(&shape, &scopes),
        shape,
        scopes,
        read_concurrency,
        plan_pages,
        page_ms: millis(page),
        projected_plan_seconds: (page.as_secs_f64() * waves as f64 * 10.0).round() / 10.0,
    })
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn label(id: CampaignId, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{id} ({name})"),
        None => id.to_string(),
    }
}

/// The first page's shape, with what an empty page could not show taken from later pages.
fn merge(first: Option<Shape>, next: Shape) -> Shape {
    let Some(mut s) = first else { return next };
    s.reason_echoed = s.reason_echoed.or(next.reason_echoed);
    s.purpose_echoed = s.purpose_echoed.or(next.purpose_echoed);
    s.id_type = s.id_type.or(next.id_type);
    s.insert_date_format = s.insert_date_format.or(next.insert_date_format);
    s
}

fn dnc_will(shape: &Shape, scopes: &[ScopeProbe]) -> Vec<String> {
    let mut will = Vec::new();
    match (shape.reason_echoed, shape.purpose_echoed) {
        (Some(false), _) | (_, Some(false)) => will.push(
            "reasons are write-only here: dnc keeps them through the ledger (what it last \
             applied), and never claims a remote value it has not seen"
                .to_string(),
        ),
        (Some(true), Some(true)) => {
            will.push("reasons and purposes are read from the API's answers".to_string())
        }
        _ => will.push(
            "no entry to look at yet: whether reasons are echoed shows once a scope holds one \
             (run dnc probe again after the first apply)"
                .to_string(),
        ),
    }
    if !shape.data_wrapper {
        will.push(
            "search pages come without the `data` wrapper: dnc reads them at the top level".into(),
        );
    }
    if shape.id_type == Some("number") || shape.total_type == Some("string") {
        will.push("numbers arrive as JSON numbers or strings: dnc reads both".into());
    }
    will.push(
        "inserts answered without an `id`, and updates or deletes answered without their \
         fields, are confirmed by an exact search before they are recorded"
            .into(),
    );
    for s in scopes.iter().filter(|s| !s.exists) {
        will.push(format!(
            "{} does not exist on this account: plan and apply stop until the config or the \
             account is fixed",
            s.scope
        ));
    }
    will
}

/// The report for people.
pub fn human(p: &Probe) -> String {
    let mut s = String::new();
    let documented = |yes: bool| if yes { " (as documented)" } else { "" };
    let _ = writeln!(s, "Target: {}", p.target);
    let _ = writeln!(s, "Token: {}", p.token);
    let _ = writeln!(s, "Answer shape:");
    let sh = &p.shape;
    let rows = [
        (
            "search page",
            match sh.data_wrapper {
                true => "inside `data` (as documented)".to_string(),
                false => "at the top level, no `data`".to_string(),
            },
        ),
        (
            "success",
            match sh.search_success {
                None => "absent on search".to_string() + documented(true),
                Some(v) => format!("`{v}` on search"),
            },
        ),
        ("reason", echoed(sh.reason_echoed)),
        ("purpose", echoed(sh.purpose_echoed)),
        (
            "ids",
            typed(sh.id_type, "no entry seen yet").to_string()
                + documented(sh.id_type == Some("string")),
        ),
        (
            "totals",
            typed(sh.total_type, "no page read").to_string()
                + documented(sh.total_type == Some("number")),
        ),
        (
            "insert_date",
            sh.insert_date_format
                .unwrap_or("no entry seen yet")
                .to_string(),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(s, "  {name:<12} {value}");
    }
    let _ = writeln!(s, "Scopes:");
    let width = p.scopes.iter().map(|x| x.scope.len()).max().unwrap_or(0);
    for x in &p.scopes {
        match (&x.entries, &x.error) {
            (Some(n), _) => {
                let ms = x.page_ms.unwrap_or_default();
                let entries = if *n == 1 { "entry" } else { "entries" };
                let _ = writeln!(
                    s,
                    "  {:<width$}  {n} {entries}, first page in {ms} ms",
                    x.scope
                );
            }
            (None, error) => {
                let why = error.as_deref().unwrap_or_default();
                let state = if x.exists {
                    "unreadable"
                } else {
                    "does not exist"
                };
                let _ = writeln!(s, "  {:<width$}  {state}: {why}", x.scope);
            }
        }
    }
    let _ = writeln!(
        s,
        "Full plan: at least {} page(s) at read concurrency {}, about {} ({} ms a page)",
        p.plan_pages,
        p.read_concurrency,
        duration(p.projected_plan_seconds),
        p.page_ms
    );
    let _ = writeln!(s, "What dnc will do:");
    for line in &p.dnc_will {
        let _ = writeln!(s, "  - {line}");
    }
    s
}

fn echoed(v: Option<bool>) -> String {
    match v {
        Some(true) => "echoed in entries".into(),
        Some(false) => "not echoed (as documented): write-only".into(),
        None => "unknown: no entry seen yet".into(),
    }
}

fn typed(v: Option<&'static str>, none: &'static str) -> String {
    match v {
        Some(t) => format!("{t}s"),
        None => none.into(),
    }
}

fn duration(secs: f64) -> String {
    if secs >= 120.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{secs:.1} s")
    }
}
