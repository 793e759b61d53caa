//! `dnc report`: the evidence for a period, as an auditor preparing a TCPA defense reads it.
//! Every applied operation in the period (from the ledger, the same source `dnc history`
//! reads) with the manifest commit that asked for it (from the manifests' git history), the
//! time each opt-out took to honor in business days against the deadline, every late one,
//! and every removal with its reason.
//!
//! JSON shape (`format_version` 1): `{"format_version", "period": {"since", "until"},
//! "honor_within", "retention_years", "notes", "evidence": {"generated_at", "organization", "account",
//! "dnc_version", "manifests_commit", "ledger_tip", "verification"}, "totals": {"operations", "by_change",
//! "by_scope", "by_reason", "by_removal_reason", "by_outcome", "opt_outs"}, "time_to_honor":
//! {"measured", "late", "histogram": [{"business_days", "count"}]}, "drift": {"checks", "clean",
//! "first", "last", "entries_exposed", "gaps": [{…}]}, "rows": [Row], "approval_trail":
//! [ApprovedRun]}`; a row's fields are those of [`Row`], a gap's those of [`drift::GapRow`], a
//! run's those of [`approvals::ApprovedRun`]. Numbers are masked unless asked otherwise.

pub mod approvals;
mod asked;
pub mod drift;
pub mod html;

use crate::drift::Class;
use crate::history::LedgerSource;
use crate::ledger::{self, Record};
use crate::manifest::Config;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

pub const FORMAT_VERSION: u32 = 1;

/// An operation's start line and its finish line, if any.
type Operation = (Record, Option<Record>);

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub period: Period,
    pub honor_within: u32,
    pub retention_years: u32,
    /// What limits the evidence (no repository, a shallow clone, no ledger).
    pub notes: Vec<String>,
    /// What the report was made from, so it can be tied to its evidence.
    pub evidence: Evidence,
    pub totals: Totals,
    pub time_to_honor: TimeToHonor,
    /// The drift checks in the period and the gaps they found.
    pub drift: drift::Drift,
    pub rows: Vec<Row>,
    /// Each apply run of the period: its pull request, overrides, refusals and flags.
    pub approval_trail: Vec<approvals::ApprovedRun>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Evidence {
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    pub organization: Option<String>,
    pub account: Option<String>,
    pub dnc_version: String,
    /// The manifests' commit (HEAD of the config's repository).
    pub manifests_commit: Option<String>,
    /// The ledger branch's tip commit, when the ledger was read from a branch.
    pub ledger_tip: Option<String>,
    /// `dnc verify`'s result on that branch: `verified`, or how many findings.
    pub verification: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Period {
    pub since: NaiveDate,
    pub until: NaiveDate,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    pub operations: usize,
    /// Numbers entered on a list in the period (per scope), each once: a restore or a
    /// repeated create of an entry already in effect is not a new opt-out.
    pub opt_outs: usize,
    pub by_change: BTreeMap<String, usize>,
    pub by_scope: BTreeMap<String, usize>,
    /// Reasons of the entries created and updated.
    pub by_reason: BTreeMap<String, usize>,
    /// Why numbers left a list (removals and prunes), apart from why they were entered.
    pub by_removal_reason: BTreeMap<String, usize>,
    pub by_outcome: BTreeMap<String, usize>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TimeToHonor {
    /// Creates with a known request day that took effect.
    pub measured: usize,
    /// Of those, the ones that took effect after their due date.
    pub late: usize,
    /// Creates by business days from request to effect, one bucket per day count.
    pub histogram: Vec<Bucket>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Bucket {
    pub business_days: i64,
    pub count: usize,
}

/// One applied operation.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// When the operation finished (or started, when it never finished).
    pub applied_at: String,
    pub change: String,
    pub scope: String,
    pub number: String,
    /// The number as E.164 (`+12025550143`), only with `--unmask`.
    pub e164: Option<String>,
    pub reason: String,
    /// The manifest `file:line` the change came from.
    pub source: Option<String>,
    /// Set for removals and prunes.
    pub removal_reason: Option<String>,
    pub requested_at: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    /// Business days from the request to the day the entry took effect.
    pub business_days_to_honor: Option<i64>,
    pub late: bool,
    /// The latest manifest commit, at or before the applied commit, that changed what the
    /// manifests ask for this entry (or tombstone).
    pub asked_in: Option<String>,
    pub asked_by: Option<String>,
    /// The commit the apply ran from, and who ran it.
    pub applied_commit: Option<String>,
    pub actor: Option<String>,
    pub convoso_id: Option<u64>,
    pub outcome: String,
    pub error: Option<String>,
    /// The request's ticket (a removal's approval ticket when its tombstone has none).
    pub ticket: Option<String>,
    /// Who approved a removal, as its tombstone says.
    pub approver: Option<String>,
    /// A `restore`'s gap: the entry had taken effect and vanished from the dialer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore: Option<crate::drift::Restore>,
    /// A create of an entry already in effect (a retry, or the same plan applied twice): not
    /// a new opt-out, not timed again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeat: bool,
}

pub struct Options<'a> {
    pub period: Period,
    pub unmask: bool,
    pub ledger: LedgerSource<'a>,
}

/// The default period: the 90 days up to and including `until` (today by default).
pub fn period(since: Option<NaiveDate>, until: Option<NaiveDate>, today: NaiveDate) -> Period {
    let until = until.unwrap_or(today);
    let since = since.unwrap_or_else(|| until - chrono::Days::new(89));
    Period { since, until }
}

pub fn build(config: &Config, opts: Options) -> Result<Report, crate::history::HistoryError> {
    let mut notes = Vec::new();
    let ledger::Split {
        records,
        runs,
        checks,
    } = ledger::split(opts.ledger.lines(&config.root, &mut notes)?);
    let runs: Vec<_> = runs
        .into_iter()
        .filter(|r| day_of(&r.time).is_some_and(|d| in_period(d, opts.period)))
        .collect();
    let all = ledger::operations(records);
    // Classified over the whole ledger: an entry created before the period and restored in
    // it is a restore.
    let (gaps, classes) = crate::drift::classify(&all, &checks);
    let ops: Vec<(&Operation, Option<Class>)> = all
        .iter()
        .zip(classes)
        .filter(|((start, _), _)| day_of(&start.time).is_some_and(|d| in_period(d, opts.period)))
        .collect();
    let wanted: Vec<crate::entry::Key> = ops.iter().map(|((s, _), _)| s.key()).collect();
    let asked = asked::find(&config.root, config.phone_code, &wanted, &mut notes);
    let rows: Vec<Row> = ops
        .iter()
        .map(|((start, finish), class)| {
            let mut r = row(config, start, finish.as_ref(), &asked, opts.unmask);
            classified(&mut r, class.as_ref());
            r
        })
        .collect();
    let starts: Vec<&Record> = ops.iter().map(|((s, _), _)| s).collect();
    let approval_trail = approvals::runs(&runs, &starts);
    let opt_outs: std::collections::HashSet<crate::entry::Key> = ops
        .iter()
        .filter(|((_, finish), class)| {
            *class == Some(Class::Create)
                && matches!(ledger::outcome_text(finish.as_ref()), "done" | "converged")
        })
        .map(|((start, _), _)| start.key())
        .collect();
    let mut totals = totals(&rows);
    totals.opt_outs = opt_outs.len();
    Ok(Report {
        format_version: FORMAT_VERSION,
        period: opts.period,
        honor_within: config.deadlines.honor_within,
        retention_years: config.deadlines.retention_years,
        evidence: evidence(config, &opts.ledger),
        notes,
        totals,
        time_to_honor: time_to_honor(&rows),
        drift: drift::Drift::of(&checks, gaps, opts.period, opts.unmask),
        rows,
        approval_trail,
    })
}

fn evidence(config: &Config, ledger: &LedgerSource) -> Evidence {
    let repo = crate::history::git::Repo::discover(&config.root)
        .ok()
        .flatten();
    let commit = |rev: &str| {
        let spec = format!("{rev}^{{commit}}");
        let out = repo
            .as_ref()?
            .run(&["rev-parse", "--verify", "--quiet", &spec]);
        out.ok().map(|c| c.trim().to_string())
    };
    Evidence {
        generated_at: ledger::now(),
        organization: config.organization.clone(),
        account: config.account.clone(),
        dnc_version: env!("CARGO_PKG_VERSION").to_string(),
        manifests_commit: commit("HEAD"),
        ledger_tip: match ledger {
            LedgerSource::Branch(rev) => commit(rev),
            LedgerSource::File { .. } => None,
        },
        verification: None,
    }
}

fn in_period(day: NaiveDate, p: Period) -> bool {
    day >= p.since && day <= p.until
}

/// The UTC day of a ledger time.
fn day_of(time: &str) -> Option<NaiveDate> {
    time.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn row(
    config: &Config,
    start: &Record,
    finish: Option<&Record>,
    asked: &asked::Asked,
    unmask: bool,
) -> Row {
    let last = finish.unwrap_or(start);
    let phone = start.key().phone;
    let outcome = ledger::outcome_text(finish).to_string();
    let took_effect = matches!(outcome.as_str(), "done" | "converged");
    let applied_day = day_of(&last.time);
    let honored = match (start.requested_at, applied_day) {
        (Some(r), Some(a)) if took_effect => {
            Some(config.deadlines.calendar.business_days_between(r, a))
        }
        _ => None,
    };
    let late = match (start.due, applied_day) {
        (Some(due), Some(a)) => took_effect && a > due,
        _ => false,
    };
    let by = asked.before(&start.key(), start.commit.as_deref(), &start.time);
    Row {
        applied_at: last.time.clone(),
        change: change_name(start.change),
        scope: start.key().scope.to_string(),
        number: if unmask {
            phone.display()
        } else {
            phone.masked()
        },
        e164: unmask.then(|| format!("+{}{}", phone.code, phone.national)),
        reason: start.reason.clone().unwrap_or_default(),
        source: start.source.clone(),
        removal_reason: start.removal_reason.clone(),
        requested_at: start.requested_at,
        due: start.due,
        business_days_to_honor: honored,
        late,
        asked_in: by.map(|c| c.hash.clone()),
        asked_by: by.map(|c| c.author.clone()),
        applied_commit: start.commit.clone(),
        actor: start.actor.clone(),
        convoso_id: last.id.or(start.id),
        outcome,
        error: last.error.clone(),
        ticket: start
            .ticket
            .clone()
            .or_else(|| start.approval.as_ref()?.ticket.clone()),
        approver: start.approval.as_ref().map(|a| a.by.clone()),
        restore: None,
        repeat: false,
    }
}

/// A restore or a repeated create is shown as such and is neither timed nor late again.
fn classified(row: &mut Row, class: Option<&Class>) {
    match class {
        Some(Class::Restore(gap)) => {
            row.change = "restore".into();
            row.restore = Some(gap.clone());
        }
        Some(Class::Repeat) => row.repeat = true,
        Some(Class::Create) | None => return,
    }
    row.business_days_to_honor = None;
    row.late = false;
}

fn change_name(kind: crate::plan::ChangeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn totals(rows: &[Row]) -> Totals {
    let mut t = Totals {
        operations: rows.len(),
        ..Totals::default()
    };
    for r in rows {
        *t.by_change.entry(r.change.clone()).or_default() += 1;
        *t.by_scope.entry(r.scope.clone()).or_default() += 1;
        match &r.removal_reason {
            Some(why) => *t.by_removal_reason.entry(why.clone()).or_default() += 1,
            None => *t.by_reason.entry(r.reason.clone()).or_default() += 1,
        }
        *t.by_outcome.entry(r.outcome.clone()).or_default() += 1;
    }
    t
}

fn time_to_honor(rows: &[Row]) -> TimeToHonor {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    let mut t = TimeToHonor::default();
    for r in rows.iter().filter(|r| r.change == "create" && !r.repeat) {
        if let Some(days) = r.business_days_to_honor {
            *counts.entry(days).or_default() += 1;
            t.measured += 1;
            t.late += usize::from(r.late);
        }
    }
    t.histogram = counts
        .into_iter()
        .map(|(business_days, count)| Bucket {
            business_days,
            count,
        })
        .collect();
    t
}

pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("reports always serialize") + "\n"
}

const CSV_COLUMNS: [&str; 23] = [
    "applied_at",
    "change",
    "scope",
    "number",
    "reason",
    "removal_reason",
    "requested_at",
    "due",
    "business_days_to_honor",
    "late",
    "asked_in",
    "asked_by",
    "applied_commit",
    "actor",
    "convoso_id",
    "outcome",
    "error",
    "e164",
    "applied_date",
    "applied_time",
    "source",
    "ticket",
    "approver",
];

/// The rows for a spreadsheet: each cell as [`crate::escape::csv_cell`] writes it (one line,
/// formulas neutralized).
pub fn csv(report: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    let text = |v: Option<String>| v.unwrap_or_default();
    for r in &report.rows {
        // A spreadsheet reads the applied time as one date and one time, UTC.
        let (date, time) = r.applied_at.split_once('T').unwrap_or((&r.applied_at, ""));
        w.write_record(
            [
                r.applied_at.clone(),
                r.change.clone(),
                r.scope.clone(),
                r.number.clone(),
                r.reason.clone(),
                text(r.removal_reason.clone()),
                text(r.requested_at.map(|d| d.to_string())),
                text(r.due.map(|d| d.to_string())),
                text(r.business_days_to_honor.map(|d| d.to_string())),
                r.late.to_string(),
                text(r.asked_in.clone()),
                text(r.asked_by.clone()),
                text(r.applied_commit.clone()),
                text(r.actor.clone()),
                text(r.convoso_id.map(|i| i.to_string())),
                r.outcome.clone(),
                text(r.error.clone()),
                text(r.e164.clone()),
                date.to_string(),
                time.trim_end_matches('Z').to_string(),
                text(r.source.clone()),
                text(r.ticket.clone()),
                text(r.approver.clone()),
            ]
            .iter()
            .map(|cell| crate::escape::csv_cell(cell).into_owned()),
        )?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `2026-03-18 09:00:01` from the ledger's RFC 3339 UTC time.
fn applied_time(time: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(time).map_or_else(
        |_| time.to_string(),
        |t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    )
}
