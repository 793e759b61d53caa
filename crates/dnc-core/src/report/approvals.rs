//! The report's approval trail: each apply run of the period with the pull request behind
//! it (number, author, approvers, merger), the overrides and who gave them, and every
//! refused attempt; self-merges and merges without an approving review are flagged.

use crate::escape::html as esc;
use crate::ledger::{self, Record};
use crate::trail::{RunKind, RunRecord, Trail};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;

/// One apply run as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ApprovedRun {
    pub time: String,
    /// `applied` or `refused`.
    pub outcome: String,
    pub commit: Option<String>,
    pub plan: String,
    /// Operations this run recorded (none for a refused run).
    pub operations: usize,
    /// Who ran it (and so authorized its overrides), and where that name came from.
    pub by: String,
    pub by_from: String,
    /// The pull request, as the run recorded it (absent outside GitHub Actions).
    pub trail: Option<Trail>,
    /// `--allow-removals 3, --allow-early-removals 1`; empty when none was given.
    pub overrides: String,
    /// For a refused run: the gate and its message.
    pub refused_by: Option<String>,
    pub refusal: Option<String>,
    /// `self-merge`, `no approving review`, `no pull request`, `trail unknown`.
    pub flags: Vec<&'static str>,
}

/// The period's runs, oldest first; `records` are the period's operation start lines.
pub fn runs(lines: &[RunRecord], records: &[&Record]) -> Vec<ApprovedRun> {
    let mut ops: HashMap<&str, usize> = HashMap::new();
    for r in records {
        if let Some(run) = &r.run {
            *ops.entry(run.as_str()).or_default() += 1;
        }
    }
    lines
        .iter()
        .map(|r| ApprovedRun {
            time: r.time.clone(),
            outcome: match r.kind {
                RunKind::Run => "applied",
                RunKind::Refused => "refused",
            }
            .to_string(),
            commit: r.commit.clone(),
            plan: ledger::short_hash(&r.plan_hash).to_string(),
            operations: r
                .run
                .as_deref()
                .and_then(|run| ops.get(run))
                .copied()
                .unwrap_or(0),
            by: r.by.name.clone(),
            by_from: r.by.from.clone(),
            trail: r.trail.clone(),
            overrides: r.overrides.text(),
            refused_by: r.refused.as_ref().map(|f| f.gate.text().to_string()),
            // The gate's message as one line: its list items become clauses.
            refusal: r.refused.as_ref().map(|f| {
                let lines: Vec<&str> = f.message.lines().map(str::trim).collect();
                lines.join(" ")
            }),
            flags: crate::trail::flags(r),
        })
        .collect()
}

/// The section: a sentence of counts, then one row per run.
pub fn html(out: &mut String, runs: &[ApprovedRun]) {
    let noun = if runs.len() == 1 { "run" } else { "runs" };
    let _ = write!(out, "<h2>Approval trail ({} {noun})</h2>", runs.len());
    if runs.is_empty() {
        out.push_str(
            "<p class=\"note\">No apply run in this period recorded its approval trail.</p>",
        );
        return;
    }
    let count = |flag: &str| runs.iter().filter(|r| r.flags.contains(&flag)).count();
    let refused = runs.iter().filter(|r| r.outcome == "refused").count();
    let _ = write!(
        out,
        "<p>self-merges: {} · merges without an approving review: {} · runs with overrides: {} · \
         refused attempts: {}</p>",
        count("self-merge"),
        count("no approving review"),
        runs.iter().filter(|r| !r.overrides.is_empty()).count(),
        refused
    );
    out.push_str(
        "<table><thead><tr><th>Run (UTC)</th><th>Outcome</th><th>Commit</th><th>Pull request</th>\
         <th>Author</th><th>Approvers</th><th>Merged by</th><th>Overrides, run by</th><th>Flags</th>\
         </tr></thead><tbody>",
    );
    for r in runs {
        row(out, r);
    }
    out.push_str("</tbody></table>\n");
}

fn row(out: &mut String, r: &ApprovedRun) {
    let flagged = r.outcome == "refused" || !r.flags.is_empty();
    let _ = write!(
        out,
        "<tr{}><td class=\"nw\">{}</td><td>{}</td><td><code>{}</code></td>",
        if flagged { " class=\"late\"" } else { "" },
        esc(&r.time),
        outcome(r),
        esc(r.commit.as_deref().map_or("", ledger::short_hash)),
    );
    match &r.trail {
        Some(Trail::PullRequest(p)) => {
            let approvers = if p.approvers.is_empty() {
                "none".to_string()
            } else {
                p.approvers.join(", ")
            };
            let _ = write!(
                out,
                "<td>#{}</td><td>{}</td><td>{}</td><td>{}</td>",
                p.number,
                esc(&p.author),
                esc(&approvers),
                esc(p.merged_by.as_deref().unwrap_or("not merged"))
            );
        }
        other => {
            let text = other.as_ref().map_or(
                "not recorded (applied outside GitHub Actions)".to_string(),
                Trail::text,
            );
            let _ = write!(out, "<td colspan=\"4\" class=\"wrap\">{}</td>", esc(&text));
        }
    }
    let overrides = if r.overrides.is_empty() {
        String::new()
    } else {
        format!("{}; ", r.overrides)
    };
    let _ = write!(
        out,
        "<td class=\"wrap\">{}{} <span class=\"note\">({})</span></td><td>",
        esc(&overrides),
        esc(&r.by),
        esc(&r.by_from)
    );
    for flag in &r.flags {
        let _ = write!(out, "<span class=\"tag late\">{}</span> ", esc(flag));
    }
    out.push_str("</td></tr>");
}

fn outcome(r: &ApprovedRun) -> String {
    match (&r.refused_by, &r.refusal) {
        (Some(gate), Some(message)) => format!(
            "<span class=\"tag late\">REFUSED</span> by the {} gate<br><span class=\"note\">{}</span>",
            esc(gate),
            esc(message)
        ),
        _ => format!("applied ({} operations)", r.operations),
    }
}
