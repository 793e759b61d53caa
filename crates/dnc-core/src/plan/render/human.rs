//! The colored terminal rendering of a plan.

use super::view::{Field, Row};
use super::{
    Options, UNMANAGED_SHOWN, approval_text, deadline_text, early_removal_text, effect_text,
    incomplete_banner, known_summary, known_text, listing, or_none, read_status, scope_counts,
    scope_title, short_hash, summarized, summary, word_diff,
};
use crate::escape::terminal;
use crate::known::Source;
use crate::plan::{ChangeKind, Plan, ScopePlan};
use anstyle::{AnsiColor, Effects, Style};
use std::fmt::Write;

const GREEN: Style = AnsiColor::Green.on_default();
const RED: Style = AnsiColor::Red.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const BOLD: Style = Style::new().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);

pub fn human(plan: &Plan, opts: Options) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", opts.paint(BOLD, "Plan"), short_hash(plan));
    if let Some(banner) = incomplete_banner(plan) {
        let _ = writeln!(
            out,
            "{}",
            opts.paint(RED.effects(Effects::BOLD), &terminal(&banner))
        );
    }
    if plan.read_nothing() {
        // Only the notice and each cause: nothing was compared.
        for s in &plan.scopes {
            let _ = writeln!(
                out,
                "\n{}: {}",
                opts.paint(BOLD, &scope_title(s)),
                read_status(s)
            );
        }
        return out;
    }
    let summarized = summarized(plan, opts);
    for scope in &plan.scopes {
        human_scope(&mut out, scope, opts, summarized);
    }
    human_safety(&mut out, plan, opts);
    let duplicates: usize = plan.scopes.iter().map(|s| s.duplicates.len()).sum();
    let _ = writeln!(
        out,
        "\n{} {}; {} unmanaged, {} duplicated.",
        opts.paint(BOLD, "Plan:"),
        summary(plan),
        plan.unmanaged(),
        duplicates
    );
    out
}

fn human_scope(out: &mut String, s: &ScopePlan, opts: Options, summarized: bool) {
    let _ = writeln!(
        out,
        "\n{}: {}",
        opts.paint(BOLD, &terminal(&scope_title(s))),
        terminal(&read_status(s))
    );
    if summarized {
        let _ = writeln!(out, "  {}", scope_counts(s));
    }
    if let Some(known) = known_summary(s) {
        let _ = writeln!(out, "  {}", opts.paint(DIM, &known));
    }
    if s.changes.is_empty() && s.unmanaged.is_empty() && s.duplicates.is_empty() {
        let _ = writeln!(out, "  no changes");
    }
    let listing = listing(s, summarized);
    for change in &listing.shown {
        human_change(out, &Row::of(change), opts);
    }
    if listing.left() > 0 {
        let line = format!(
            "… and {}; --full lists every change, as does --format json",
            listing.left_text()
        );
        let _ = writeln!(out, "  {}", opts.paint(DIM, &line));
    }
    if !s.unmanaged.is_empty() {
        let title = format!(
            "? {} unmanaged (in no manifest; left alone):",
            s.unmanaged.len()
        );
        let _ = writeln!(out, "  {}", opts.paint(YELLOW, &title));
        for u in s.unmanaged.iter().take(UNMANAGED_SHOWN) {
            let _ = writeln!(
                out,
                "      {}  id {}  reason: {}{}",
                opts.number(&u.key),
                u.id,
                terminal(or_none(&u.reason)),
                if u.malformed {
                    "  (malformed remote entry: the phone rules reject it; never removed)"
                } else {
                    ""
                }
            );
        }
        if s.unmanaged.len() > UNMANAGED_SHOWN {
            let _ = writeln!(
                out,
                "      … and {} more (all in --format json)",
                s.unmanaged.len() - UNMANAGED_SHOWN
            );
        }
    }
    for d in &s.duplicates {
        let ids = d
            .ids
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let line = format!(
            "! {} is held {} times (ids {ids})",
            opts.number(&d.key),
            d.ids.len()
        );
        let _ = writeln!(out, "  {}", opts.paint(YELLOW, &line));
    }
}

fn human_change(out: &mut String, row: &Row, opts: Options) {
    let (mark, style) = match row.kind {
        ChangeKind::Create => ("+", GREEN),
        ChangeKind::Update => ("~", YELLOW),
        ChangeKind::Reassert => ("!", YELLOW),
        ChangeKind::Remove | ChangeKind::Prune => ("-", RED),
    };
    let head = opts.paint(style, &format!("{mark} {}", opts.number(row.key)));
    let id = row.id.map(|id| format!("  id {id}")).unwrap_or_default();
    let what = match row.kind {
        ChangeKind::Reassert => "  re-assert (sent once; the ledger then knows it)",
        ChangeKind::Prune => "  pruned: in no manifest (scope has prune: true)",
        _ => "",
    };
    let source = row
        .source
        .map(|s| format!("  {}", opts.paint(DIM, &terminal(&s.to_string()))))
        .unwrap_or_default();
    let _ = writeln!(out, "  {head}{id}{what}{source}");
    for field in &row.fields {
        let _ = match *field {
            Field::Value { label, value } => writeln!(out, "      {label}: {}", terminal(value)),
            Field::Edit {
                label,
                old,
                new,
                was,
            } => {
                let text = word_diff(&terminal(old), &terminal(new), |inserted, t| {
                    if inserted {
                        opts.paint(GREEN, &format!("{{+{t}+}}"))
                    } else {
                        opts.paint(RED, &format!("[-{t}-]"))
                    }
                });
                // Where the old value was not read from the API, say how it is known.
                let was = match was {
                    Source::Api => String::new(),
                    was => format!(
                        "  {}",
                        opts.paint(DIM, &format!("(was: {})", known_text(was)))
                    ),
                };
                writeln!(out, "      {label}: {text}{was}")
            }
            Field::Resent {
                label,
                value,
                remote,
            } => {
                let how = opts.paint(DIM, &format!("(remote: {})", known_text(remote)));
                writeln!(out, "      {label}: {}  {how}", terminal(value))
            }
        };
    }
    if let Some(d) = row.deadline {
        let style = if d.overdue { RED } else { DIM };
        let _ = writeln!(out, "      {}", opts.paint(style, &deadline_text(d)));
    }
    if let Some(a) = row.approval {
        let _ = writeln!(out, "      approved by: {}", terminal(&approval_text(a)));
    }
    if let Some(effect) = row.effect {
        let _ = writeln!(
            out,
            "      effect: {}",
            opts.paint(BOLD, &effect_text(effect))
        );
    }
}

fn human_safety(out: &mut String, plan: &Plan, opts: Options) {
    let s = &plan.safety;
    let own: Vec<String> = s
        .scopes
        .iter()
        .map(|l| match l.max_removals {
            Some(max) => format!(
                "{}: {}%, at most {max}",
                l.campaign_id, l.max_removal_percent
            ),
            None => format!("{}: {}%", l.campaign_id, l.max_removal_percent),
        })
        .collect();
    let own = if own.is_empty() {
        String::new()
    } else {
        format!(" ({})", own.join("; "))
    };
    let _ = writeln!(
        out,
        "\nSafety: {} removal(s); limits {} per plan, {}% of a scope{own}",
        s.removals, s.max_removals, s.max_removal_percent
    );
    for b in &s.breaches {
        let _ = writeln!(
            out,
            "  {}",
            opts.paint(
                RED.effects(Effects::BOLD),
                &format!("LIMIT BREACHED: {}", terminal(b))
            )
        );
    }
    if !s.breaches.is_empty() {
        let _ = writeln!(
            out,
            "  apply refuses this plan unless run with --allow-removals {}",
            s.removals
        );
    }
    if !s.early_removals.is_empty() {
        let title = format!(
            "RETENTION: {} removal(s) of entries still inside the retention period:",
            s.early_removals.len()
        );
        let _ = writeln!(out, "  {}", opts.paint(RED.effects(Effects::BOLD), &title));
        for e in &s.early_removals {
            let _ = writeln!(out, "    {}", early_removal_text(e, opts));
        }
        let _ = writeln!(
            out,
            "  apply refuses this plan unless run with --allow-early-removals {}",
            s.early_removals.len()
        );
    }
}
