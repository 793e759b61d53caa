//! The report's "Drift checks": when the live lists were compared with the records, and each
//! gap an applied entry spent missing from the dialer (see `crate::drift`).

use super::Period;
use crate::drift::{DriftRecord, Gap, duration};
use crate::escape::html as esc;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Drift {
    /// Drift checks recorded in the period, and how many found nothing differing.
    pub checks: usize,
    pub clean: usize,
    /// The first and last check in the period (RFC 3339, UTC).
    pub first: Option<String>,
    pub last: Option<String>,
    /// Entries that were missing from the dialer at some time in the period.
    pub entries_exposed: usize,
    pub gaps: Vec<GapRow>,
}

/// One gap, as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct GapRow {
    pub scope: String,
    pub number: String,
    /// The last time the entry was known present (the apply, or a check that found it).
    pub last_present: Option<String>,
    /// The first check that found it missing.
    pub missing_since: String,
    /// When it was back, and how: `apply` (a restore) or `found` (back without an apply);
    /// none while still missing at the last check.
    pub restored_at: Option<String>,
    pub restored_by: Option<&'static str>,
    /// How long it lasted at most: from the last time it was known present to its return
    /// (or the last check, while still missing).
    pub lasted: Option<String>,
    pub checks: usize,
}

impl Drift {
    /// The checks in `period` and the gaps open at some time in it.
    pub fn of(checks: &[DriftRecord], gaps: Vec<Gap>, period: Period, unmask: bool) -> Drift {
        let in_period = |t: &str| super::day_of(t).is_some_and(|d| super::in_period(d, period));
        let checked: Vec<&DriftRecord> = checks.iter().filter(|c| in_period(&c.time)).collect();
        let overlaps = |g: &Gap| {
            let starts = super::day_of(&g.missing_since);
            let ends = g.restored_at.as_deref().and_then(super::day_of);
            starts.is_some_and(|s| s <= period.until) && ends.is_none_or(|e| e >= period.since)
        };
        let gaps: Vec<GapRow> = gaps
            .into_iter()
            .filter(overlaps)
            .map(|g| row(g, unmask))
            .collect();
        let exposed: HashSet<(&str, &str)> = gaps
            .iter()
            .map(|g| (g.scope.as_str(), g.number.as_str()))
            .collect();
        Drift {
            checks: checked.len(),
            clean: checked.iter().filter(|c| c.clean).count(),
            first: checked.first().map(|c| c.time.clone()),
            last: checked.last().map(|c| c.time.clone()),
            entries_exposed: exposed.len(),
            gaps,
        }
    }
}

fn row(g: Gap, unmask: bool) -> GapRow {
    let key = g.entry.key();
    let end = g.restored_at.as_deref().unwrap_or(&g.last_missing);
    let from = g.last_present.as_deref().unwrap_or(&g.missing_since);
    GapRow {
        scope: key.scope.to_string(),
        number: if unmask {
            key.phone.display()
        } else {
            key.phone.masked()
        },
        lasted: duration(from, end),
        last_present: g.last_present,
        missing_since: g.missing_since,
        restored_at: g.restored_at,
        restored_by: g.restored_by,
        checks: g.checks,
    }
}

/// The "Drift checks" section.
pub fn html(out: &mut String, d: &Drift) {
    let _ = write!(out, "<h2>Drift checks ({})</h2>", d.checks);
    match (&d.first, &d.last) {
        (Some(first), Some(last)) => {
            let _ = write!(
                out,
                "<p>{} checks from {} to {}: {} clean, {} found a difference. Entries missing \
                 from the dialer in this period: {}.</p>",
                d.checks,
                esc(&super::applied_time(first)),
                esc(&super::applied_time(last)),
                d.clean,
                d.checks - d.clean,
                d.entries_exposed,
            );
        }
        _ => out.push_str(
            "<p class=\"note\">No drift check was recorded in this period: nothing proves the \
             live lists matched the records (run <code>dnc plan --record-drift</code> daily).</p>",
        ),
    }
    if d.gaps.is_empty() {
        return;
    }
    out.push_str(
        "<table><thead><tr><th>Number</th><th>Scope</th><th>Last known present</th>\
         <th>First found missing</th><th>Back</th><th>Lasted (at most)</th>\
         <th class=\"n\">Checks</th></tr></thead><tbody>",
    );
    let time = |t: Option<&str>| t.map(super::applied_time).unwrap_or_default();
    for g in &d.gaps {
        let back = match (g.restored_at.as_deref(), g.restored_by) {
            (Some(at), Some("found")) => format!("{} (found again)", time(Some(at))),
            (Some(at), _) => format!("{} (restored by apply)", time(Some(at))),
            (None, _) => "still missing".to_string(),
        };
        let _ = write!(
            out,
            "<tr class=\"late\"><td class=\"nw\"><code>{}</code></td><td class=\"nw\">{}</td>\
             <td class=\"nw\">{}</td><td class=\"nw\">{}</td><td class=\"nw\">{}</td>\
             <td class=\"nw\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&g.number),
            esc(&g.scope),
            esc(&time(g.last_present.as_deref())),
            esc(&time(Some(&g.missing_since))),
            esc(&back),
            esc(g.lasted.as_deref().unwrap_or("")),
            g.checks,
        );
    }
    out.push_str("</tbody></table>\n");
}
