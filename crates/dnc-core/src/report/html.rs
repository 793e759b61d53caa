//! The report as one self-contained HTML file: inline CSS and SVG, no script, no network,
//! laid out to print on A4 or Letter. All text from manifests, git and the ledger is escaped.

use super::{Report, Row};
use crate::escape::html as esc;
use std::collections::BTreeMap;
use std::fmt::Write;

const CSS: &str = "
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--accent:#1f5f99;--late:#b42318;--ok:#1b7f4b}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--ink);margin:0;background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:32px 40px;background:#fff;overflow-wrap:break-word}
header{border-bottom:3px solid var(--accent);padding-bottom:12px;margin-bottom:20px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line);color:var(--accent)}
.meta{color:var(--muted);margin:0}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:24px}
.card span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.late b{color:var(--late)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:16px;align-items:start}
.nw{white-space:nowrap}
.wrap,td.nw .note{overflow-wrap:anywhere;white-space:normal}
td.wrap{min-width:8em}
td code{white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f0f4f8;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.late td{background:#fdecea}
.tag{display:inline-block;padding:0 6px;border-radius:3px;font-size:11.5px;font-weight:600}
.tag.late{background:var(--late);color:#fff}
.tag.ok{background:#e3f4ea;color:var(--ok)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.note{color:var(--muted)}
svg text{font:11px sans-serif;fill:var(--ink)}
@media print{body{background:#fff}main{padding:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}
";

pub fn html(report: &Report) -> String {
    let mut out = String::new();
    let p = report.period;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>DNC compliance report {} to {}</title><style>{CSS}</style></head><body><main>\n",
        p.since, p.until
    );
    let _ = writeln!(
        out,
        "<header><h1>Do-Not-Call compliance report</h1><p class=\"meta\">Period {} to {} (UTC) · \
         deadline to honor: {} business days · retention: {} years · numbers {}</p></header>",
        p.since,
        p.until,
        report.honor_within,
        report.retention_years,
        match report.rows.iter().any(|r| r.number.contains('*')) {
            _ if report.rows.is_empty() => "none in this period",
            true => "masked",
            false => "in full",
        }
    );
    if let Some(who) = organization(report) {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", esc(&who));
    }
    cards(&mut out, report);
    totals(&mut out, report);
    histogram(&mut out, report);
    late(&mut out, report);
    removals(&mut out, report);
    super::approvals::html(&mut out, &report.approval_trail);
    super::drift::html(&mut out, &report.drift);
    operations(&mut out, report);
    if !report.notes.is_empty() {
        out.push_str("<h2>Notes</h2><ul>");
        for n in &report.notes {
            let _ = write!(out, "<li class=\"note\">{}</li>", esc(n));
        }
        out.push_str("</ul>");
    }
    out.push_str(
        "<p class=\"note\">Sources: the manifests' git history (who asked, in which commit) and \
         the dnc audit ledger (what was applied, when, with the Convoso id). Business days \
         exclude weekends and the configured holidays.</p>\n",
    );
    footer(&mut out, &report.evidence);
    out.push_str("</main></body></html>\n");
    out
}

fn organization(r: &Report) -> Option<String> {
    let e = &r.evidence;
    match (&e.organization, &e.account) {
        (Some(o), Some(a)) => Some(format!("{o} · Convoso account {a}")),
        (Some(o), None) => Some(o.clone()),
        (None, Some(a)) => Some(format!("Convoso account {a}")),
        (None, None) => None,
    }
}

/// What the report was made from; its own SHA-256 is in the `.sha256` file written with it.
fn footer(out: &mut String, e: &crate::report::Evidence) {
    let or_none = |v: &Option<String>| v.as_deref().map_or("none".to_string(), esc);
    let _ = writeln!(
        out,
        "<footer class=\"note\">generated {} by dnc {} · manifests commit {} · ledger tip {} · ledger \
         verification: {} · this file's SHA-256 is in the <code>.sha256</code> file written \
         beside it (<code>sha256sum -c</code>)</footer>",
        esc(&e.generated_at),
        esc(&e.dnc_version),
        or_none(&e.manifests_commit),
        or_none(&e.ledger_tip),
        e.verification.as_deref().map_or(
            "not run (the ledger was not read from its branch)".to_string(),
            esc
        ),
    );
}

fn cards(out: &mut String, r: &Report) {
    let count = |k: &str| r.totals.by_change.get(k).copied().unwrap_or(0);
    let removals = count("remove") + count("prune");
    out.push_str("<section class=\"cards\">");
    for (class, value, label) in [
        ("", r.totals.operations, "operations"),
        ("", r.totals.opt_outs, "opt-outs entered"),
        ("", r.time_to_honor.measured, "with a request date"),
        ("late", r.time_to_honor.late, "honored late"),
        ("", removals, "removals"),
    ] {
        let _ = write!(
            out,
            "<div class=\"card {class}\"><b>{value}</b><span>{label}</span></div>"
        );
    }
    out.push_str("</section>\n");
}

fn totals(out: &mut String, r: &Report) {
    out.push_str("<h2>Totals</h2><div class=\"grid\">");
    for (title, map) in [
        ("By scope", &r.totals.by_scope),
        ("By change", &r.totals.by_change),
        ("By reason", &r.totals.by_reason),
        ("By removal reason", &r.totals.by_removal_reason),
        ("By outcome", &r.totals.by_outcome),
    ] {
        table_of(out, title, map);
    }
    out.push_str("</div>\n");
}

fn table_of(out: &mut String, title: &str, map: &BTreeMap<String, usize>) {
    let _ = write!(
        out,
        "<table><thead><tr><th>{title}</th><th class=\"n\">Count</th></tr></thead><tbody>"
    );
    if map.is_empty() {
        out.push_str("<tr><td colspan=\"2\" class=\"note\">none</td></tr>");
    }
    for (k, v) in map {
        let _ = write!(
            out,
            "<tr><td class=\"wrap\">{}</td><td class=\"n\">{v}</td></tr>",
            esc(k)
        );
    }
    out.push_str("</tbody></table>");
}

/// The most bars the histogram draws: a longer axis groups days so each bar stays readable.
const MAX_BARS: i64 = 40;

/// Days grouped into bars of `width` days (1, 2, 5, 10, 20, 50, …), aligned so that the
/// first late day starts a bar and no bar mixes on-time and late opt-outs.
struct Bins {
    width: i64,
    /// The first day of bar 0 (at most 0).
    origin: i64,
}

impl Bins {
    fn new(max_day: i64, deadline: i64) -> Self {
        let needed = (max_day + 1 + MAX_BARS - 1) / MAX_BARS;
        let width = [1, 2, 5]
            .iter()
            .flat_map(|m| (0..12).map(move |e| m * 10_i64.pow(e)))
            .filter(|w| *w >= needed)
            .min()
            .unwrap_or(needed);
        let offset = (deadline + 1).rem_euclid(width);
        let origin = if offset == 0 { 0 } else { offset - width };
        Bins { width, origin }
    }

    fn index(&self, day: i64) -> i64 {
        (day - self.origin).div_euclid(self.width)
    }

    /// "12", or "13–17" for a bar of several days (the first bar starts at day 0).
    fn label(&self, index: i64) -> String {
        let first = (self.origin + index * self.width).max(0);
        let last = self.origin + (index + 1) * self.width - 1;
        if first == last {
            first.to_string()
        } else {
            format!("{first}–{last}")
        }
    }
}

/// Bars of creates by business days to honor, with the deadline drawn between the last
/// day allowed and the first day late.
fn histogram(out: &mut String, r: &Report) {
    out.push_str("<h2>Time to honor</h2>");
    let t = &r.time_to_honor;
    if t.histogram.is_empty() {
        out.push_str("<p class=\"note\">No opt-out in this period has a request date.</p>");
        return;
    }
    let deadline = i64::from(r.honor_within);
    let max_day = t
        .histogram
        .iter()
        .map(|b| b.business_days)
        .max()
        .unwrap_or(0)
        .max(deadline + 2);
    let bins = Bins::new(max_day, deadline);
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for b in &t.histogram {
        *counts
            .entry(bins.index(b.business_days.max(0)))
            .or_default() += b.count;
    }
    let max_count = counts.values().copied().max().unwrap_or(1).max(1);
    let bars = bins.index(max_day) + 1;
    let (w, h, left, right, bottom, top) = (1000.0, 240.0, 10.0, 10.0, 30.0, 40.0);
    let slot = (w - left - right) / bars as f64;
    let scale = (h - bottom - top) / max_count as f64;
    let x = |index: i64| left + slot * index as f64;
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"Histogram of business days to honor\">\
         <line x1=\"{left}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#9aa5b1\"/>",
        y = h - bottom,
        x2 = w - right
    );
    let late_from = bins.index(deadline + 1);
    for (&i, &count) in &counts {
        let bh = count as f64 * scale;
        let color = if i >= late_from { "#b42318" } else { "#1f5f99" };
        let _ = write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{color}\"><title>{} business days: {count}</title></rect>",
            x(i) + slot * 0.1,
            h - bottom - bh,
            slot * 0.8,
            bins.label(i),
        );
        // A count wider than its bar is left to the bar's tooltip rather than overlap.
        if label_width(&count.to_string()) <= slot {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{count}</text>",
                x(i) + slot / 2.0,
                h - bottom - bh - 4.0,
            );
        }
    }
    ticks(out, &bins, bars, slot, |i| {
        (x(i) + slot / 2.0, h - bottom + 15.0)
    });
    let dx = x(late_from);
    // The deadline's label sits above the bars' counts, on the side of the line with room.
    let anchor = if dx > w * 0.7 {
        format!("x=\"{:.1}\" text-anchor=\"end\"", dx - 4.0)
    } else {
        format!("x=\"{:.1}\"", dx + 4.0)
    };
    let grouped = if bins.width > 1 {
        format!(", {} days a bar", bins.width)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<line x1=\"{dx:.1}\" y1=\"{}\" x2=\"{dx:.1}\" y2=\"{}\" stroke=\"#b42318\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\
         <text {anchor} y=\"{}\" fill=\"#b42318\">deadline: {deadline} business days</text>\
         <text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">business days from request to effect{grouped}</text></svg>",
        top - 20.0,
        h - bottom,
        top - 26.0,
        w / 2.0,
        h - 2.0
    );
    let _ = write!(
        out,
        "<p>{} of {} opt-outs with a request date took effect after their due date.</p>",
        t.late, t.measured
    );
}

/// The axis' labels, every bar's when they fit, else every few bars' so none overlap.
fn ticks(out: &mut String, bins: &Bins, bars: i64, slot: f64, at: impl Fn(i64) -> (f64, f64)) {
    let widest = (0..bars)
        .map(|i| label_width(&bins.label(i)))
        .fold(0.0, f64::max);
    let step = ((widest + 8.0) / slot).ceil().max(1.0) as usize;
    for i in (0..bars).step_by(step) {
        let (x, y) = at(i);
        let _ = write!(
            out,
            "<text x=\"{x:.1}\" y=\"{y}\" text-anchor=\"middle\">{}</text>",
            bins.label(i)
        );
    }
}

/// The width of a label in the histogram's 11 px font, in viewBox units (a digit is ~6.5).
fn label_width(label: &str) -> f64 {
    label.chars().count() as f64 * 6.5
}

fn late(out: &mut String, r: &Report) {
    let rows: Vec<&Row> = r.rows.iter().filter(|r| r.late).collect();
    let _ = write!(out, "<h2>Late opt-outs ({})</h2>", rows.len());
    if rows.is_empty() {
        out.push_str(if r.time_to_honor.measured == 0 {
            "<p class=\"note\">None: no opt-out with a request date took effect in this period.</p>"
        } else {
            "<p class=\"note\">None: every opt-out with a request date took effect by its due date.</p>"
        });
        return;
    }
    rows_table(out, &rows, Columns::WithRequest);
}

fn removals(out: &mut String, r: &Report) {
    let rows: Vec<&Row> = r
        .rows
        .iter()
        .filter(|r| r.change == "remove" || r.change == "prune")
        .collect();
    let _ = write!(out, "<h2>Removals ({})</h2>", rows.len());
    if rows.is_empty() {
        out.push_str("<p class=\"note\">No number left a DNC list in this period.</p>");
        return;
    }
    rows_table(out, &rows, Columns::Removal);
}

fn operations(out: &mut String, r: &Report) {
    let rows: Vec<&Row> = r.rows.iter().collect();
    let _ = write!(out, "<h2>Every operation ({})</h2>", rows.len());
    rows_table(out, &rows, Columns::WithRequest);
}

/// Whether a table shows the request columns (requested, due, business days to honor).
#[derive(Clone, Copy, PartialEq)]
enum Columns {
    WithRequest,
    Removal,
}

fn rows_table(out: &mut String, rows: &[&Row], columns: Columns) {
    let request = columns == Columns::WithRequest;
    out.push_str("<table><thead><tr><th>Number</th><th>Scope</th><th>Change</th><th>Reason</th>");
    if request {
        out.push_str("<th>Requested</th><th>Due</th><th class=\"n\">Business days</th>");
    }
    out.push_str(
        "<th>Asked in</th><th>Applied (UTC)</th><th class=\"n\">Convoso id</th><th>Outcome</th></tr></thead><tbody>",
    );
    for row in rows {
        let reason = row.removal_reason.as_ref().unwrap_or(&row.reason);
        let asked = match (&row.asked_in, &row.asked_by) {
            (Some(c), Some(a)) => {
                let short: String = c.chars().take(12).collect();
                format!("<code>{}</code><br>{}", esc(&short), esc(a))
            }
            _ => String::new(),
        };
        let outcome = if row.late {
            format!("{} <span class=\"tag late\">LATE</span>", esc(&row.outcome))
        } else {
            esc(&row.outcome)
        };
        let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "<tr{}><td class=\"nw\"><code>{}</code></td><td class=\"nw\">{}</td><td>{}</td><td class=\"wrap\">{}</td>",
            if row.late { " class=\"late\"" } else { "" },
            esc(&row.number),
            esc(&row.scope),
            esc(&row.change),
            esc(reason),
        );
        if request {
            let _ = write!(
                out,
                "<td class=\"nw\">{}</td><td class=\"nw\">{}</td><td class=\"n\">{}</td>",
                day(row.requested_at),
                day(row.due),
                row.business_days_to_honor
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            );
        }
        let _ = write!(
            out,
            "<td class=\"wrap\">{asked}</td><td class=\"nw\">{}<br><span class=\"note\">{}</span></td><td class=\"n\">{}</td><td class=\"nw\">{outcome}</td></tr>",
            esc(&super::applied_time(&row.applied_at)),
            row.actor.as_deref().map(esc).unwrap_or_default(),
            row.convoso_id.map(|i| i.to_string()).unwrap_or_default(),
        );
    }
    out.push_str("</tbody></table>\n");
}
