//! The markdown rendering of a plan for pull-request comments and step summaries.
//! Text from manifests and the API is escaped: a reason must not become markup or a mention.

use super::{
    MARKDOWN_LIMIT, OVERDUE_SHOWN, Options, UNMANAGED_SHOWN, changed, deadline_text,
    early_removal_text, effect_text, incomplete_banner, known_summary, known_text, or_none,
    read_status, reassert_parts, scope_title, short_hash, summary, word_diff,
};
use crate::known::Source;
use crate::plan::{Change, ChangeKind, Plan, ScopePlan};
use std::fmt::Write;

/// Renders `plan`, never longer than [`MARKDOWN_LIMIT`]: rows that do not fit are counted in a
/// closing notice that says where the full plan is.
pub fn markdown(plan: &Plan, opts: Options) -> String {
    let opts = Options {
        color: false,
        ..opts
    };
    let mut out = head(plan, opts);
    let tail_reserve = 600;
    let mut omitted = 0usize;
    // Once a row does not fit, every later row is counted instead, so what shows is a prefix.
    let fits = |out: &String, more: usize, omitted: usize| {
        omitted == 0 && out.len() + more + tail_reserve <= MARKDOWN_LIMIT
    };
    for scope in plan
        .scopes
        .iter()
        .filter(|s| !s.changes.is_empty() || !s.unmanaged.is_empty())
    {
        let rows = scope_rows(scope, opts);
        let open = format!(
            "\n<details><summary><b>{}</b>: {} change(s), {} unmanaged</summary>\n\n| | Number | Details | Source |\n|---|---|---|---|\n",
            escape(&scope_title(scope)),
            scope.changes.len(),
            scope.unmanaged.len()
        );
        if !fits(&out, open.len(), omitted) {
            omitted += rows.len();
            continue;
        }
        out.push_str(&open);
        for row in &rows {
            if fits(&out, row.len(), omitted) {
                out.push_str(row);
            } else {
                omitted += 1;
            }
        }
        out.push_str("\n</details>\n");
    }
    if omitted > 0 {
        let _ = write!(
            out,
            "\n> [!NOTE]\n> {omitted} row(s) are not shown: a comment holds at most 65,535 characters. \
             The full plan is in this job's step summary and in `dnc plan --format json`.\n"
        );
    }
    out
}

fn head(plan: &Plan, opts: Options) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### dnc plan `{}`\n", short_hash(plan));
    if let Some(banner) = incomplete_banner(plan) {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **Do not merge on this plan.** {}\n",
            escape(&banner)
        );
    }
    overdue_caution(&mut out, plan, opts);
    if !plan.has_changes() {
        let _ = writeln!(out, "**No changes.** The DNC lists match the manifests.\n");
    } else {
        let _ = writeln!(out, "**{}**\n", summary(plan));
    }
    if !plan.safety.breaches.is_empty() {
        let _ = writeln!(out, "> [!CAUTION]\n> **Safety limits breached**");
        for b in &plan.safety.breaches {
            let _ = writeln!(out, "> - {}", escape(b));
        }
        let _ = writeln!(
            out,
            "> \n> Apply refuses this plan unless run with `--allow-removals {}`.\n",
            plan.safety.removals
        );
    }
    let early = &plan.safety.early_removals;
    if !early.is_empty() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **{} removal(s) inside the retention period**",
            early.len()
        );
        for e in early.iter().take(OVERDUE_SHOWN) {
            let _ = writeln!(out, "> - {}", escape(&early_removal_text(e, opts)));
        }
        if early.len() > OVERDUE_SHOWN {
            let _ = writeln!(out, "> - … and {} more", early.len() - OVERDUE_SHOWN);
        }
        let _ = writeln!(
            out,
            "> \n> Apply refuses this plan unless run with `--allow-early-removals {}`.\n",
            early.len()
        );
    }
    for (s, known) in plan
        .scopes
        .iter()
        .filter_map(|s| Some((s, known_summary(s)?)))
    {
        let _ = writeln!(
            out,
            "> [!NOTE]\n> **{}**: the API does not show every reason and purpose here. {}\n",
            escape(&scope_title(s)),
            escape(&known)
        );
    }
    for s in plan.scopes.iter().filter(|s| s.incomplete.is_some()) {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> **{}**: {}\n",
            escape(&scope_title(s)),
            escape(&read_status(s))
        );
    }
    let _ = writeln!(
        out,
        "| Scope | Remote | Create | Update | Remove | Prune | Unmanaged | Read |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|---|");
    for s in &plan.scopes {
        let count = |k: ChangeKind| s.changes.iter().filter(|c| c.kind() == k).count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            escape(&scope_title(s)),
            s.remote_total,
            count(ChangeKind::Create),
            count(ChangeKind::Update),
            count(ChangeKind::Remove),
            count(ChangeKind::Prune),
            s.unmanaged.len(),
            if s.incomplete.is_some() {
                "⚠️ incomplete"
            } else {
                "complete"
            }
        );
    }
    out
}

/// Desired entries still missing past their due date: what an auditor asks about first.
fn overdue_caution(out: &mut String, plan: &Plan, opts: Options) {
    let overdue = plan.overdue();
    if overdue.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "> [!CAUTION]\n> **{} opt-out(s) past the deadline to honor them**",
        overdue.len()
    );
    for c in overdue.iter().take(OVERDUE_SHOWN) {
        if let Some(d) = c.overdue() {
            let _ = writeln!(
                out,
                "> - {} in {}: {}",
                opts.number(c.key()),
                escape(&c.key().scope.to_string()),
                deadline_text(d)
            );
        }
    }
    if overdue.len() > OVERDUE_SHOWN {
        let _ = writeln!(out, "> - … and {} more", overdue.len() - OVERDUE_SHOWN);
    }
    let _ = writeln!(out, "> \n> Applying this plan honors them now.\n");
}

fn scope_rows(scope: &ScopePlan, opts: Options) -> Vec<String> {
    let mut rows: Vec<String> = scope.changes.iter().map(|c| change_row(c, opts)).collect();
    rows.extend(scope.unmanaged.iter().take(UNMANAGED_SHOWN).map(|u| {
        format!(
            "| ❔ {} | {} | id {}; reason: {}; left alone | |\n",
            if u.malformed {
                "malformed remote entry"
            } else {
                "unmanaged"
            },
            opts.number(&u.key),
            u.id,
            escape(or_none(&u.reason))
        )
    }));
    if scope.unmanaged.len() > UNMANAGED_SHOWN {
        rows.push(format!(
            "| | … {} more unmanaged | listed in `dnc plan --format json` | |\n",
            scope.unmanaged.len() - UNMANAGED_SHOWN
        ));
    }
    rows
}

fn change_row(change: &Change, opts: Options) -> String {
    let number = opts.number(change.key());
    match change {
        Change::Create {
            reason,
            purpose,
            source,
            deadline,
            ..
        } => {
            let purpose = purpose
                .as_deref()
                .map(|p| format!("; purpose: {}", escape(p)))
                .unwrap_or_default();
            let deadline = deadline
                .as_ref()
                .map(|d| {
                    let text = deadline_text(d);
                    if d.overdue {
                        format!("; **{text}**")
                    } else {
                        format!("; {text}")
                    }
                })
                .unwrap_or_default();
            format!(
                "| ➕ create | {number} | reason: {}{purpose}{deadline} | `{}:{}` |\n",
                escape(reason),
                source.file,
                source.line
            )
        }
        Change::Reassert {
            id,
            reason,
            purpose,
            source,
            known,
            ..
        } => {
            let parts: Vec<String> = reassert_parts(reason, purpose, *known)
                .iter()
                .map(|(label, value, how)| {
                    format!("{label}: {} (remote: {})", escape(value), escape(how))
                })
                .collect();
            format!(
                "| 🔁 re-assert | {number} | id {id}; {}; sent once, then the ledger knows it | `{}:{}` |\n",
                parts.join("; "),
                source.file,
                source.line
            )
        }
        Change::Update {
            id,
            reason,
            purpose,
            source,
            known,
            ..
        } => {
            let edits: Vec<String> = changed(reason, purpose)
                .map(|(label, e)| {
                    let diff = word_diff(or_none(&e.old), or_none(&e.new), |inserted, t| {
                        if t.trim().is_empty() {
                            t.to_string()
                        } else if inserted {
                            format!("<ins>{}</ins>", escape(t))
                        } else {
                            format!("<del>{}</del>", escape(t))
                        }
                    });
                    let how = if label == "reason" {
                        known.reason
                    } else {
                        known.purpose
                    };
                    let was = match how {
                        Source::Api => String::new(),
                        how => format!(" (was: {})", escape(&known_text(how))),
                    };
                    format!("{label}: {diff}{was}")
                })
                .collect();
            format!(
                "| ✏️ update | {number} | id {id}; {} | `{}:{}` |\n",
                edits.join("; "),
                source.file,
                source.line
            )
        }
        Change::Remove {
            id,
            removal_reason,
            source,
            effect,
            ..
        } => format!(
            "| ➖ remove | {number} | id {id}; removal reason: {}; **{}** | `{}:{}` |\n",
            escape(removal_reason),
            escape(&effect_text(effect)),
            source.file,
            source.line
        ),
        Change::Prune {
            id, reason, effect, ..
        } => format!(
            "| ➖ prune | {number} | id {id}; in no manifest; reason was: {}; **{}** | |\n",
            escape(or_none(reason)),
            escape(&effect_text(effect))
        ),
    }
}

/// Escapes text for a GitHub-flavored markdown table cell: markup, HTML, pipes, line breaks,
/// and `@` (no mentions from a reason).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@\u{200b}"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{CampaignId, Key};
    use crate::manifest::Source;
    use crate::phone::Phone;
    use crate::plan::{FORMAT_VERSION, Safety};

    fn plan_with_creates(n: usize, reason: &str) -> Plan {
        let changes = (0..n)
            .map(|i| Change::Create {
                key: Key {
                    scope: CampaignId(0),
                    phone: Phone {
                        code: 1,
                        national: format!("202555{i:04}").into(),
                    },
                },
                reason: reason.into(),
                purpose: None,
                deadline: None,
                source: Source {
                    file: "lists/big.yaml".into(),
                    line: i as u32 + 1,
                    column: 3,
                },
            })
            .collect();
        Plan {
            format_version: FORMAT_VERSION,
            tool_version: "test".into(),
            hash: "0123456789abcdef".into(),
            manifests_hash: String::new(),
            remote_hash: String::new(),
            scopes: vec![ScopePlan {
                campaign_id: CampaignId(0),
                name: None,
                prune: false,
                remote_total: 0,
                incomplete: None,
                changes,
                unchanged: 0,
                already_absent: 0,
                unmanaged: vec![],
                duplicates: vec![],
                known: Default::default(),
            }],
            safety: Safety {
                max_removals: 25,
                max_removal_percent: 5.0,
                removals: 0,
                breaches: vec![],
                scopes: vec![],
                early_removals: vec![],
            },
        }
    }

    #[test]
    fn huge_plans_are_cut_below_the_comment_limit_with_a_notice() {
        let md = markdown(
            &plan_with_creates(5000, "Customer Request"),
            Options::default(),
        );
        assert!(md.len() <= MARKDOWN_LIMIT, "{}", md.len());
        let shown = md.matches("| ➕ create |").count();
        assert!(shown > 100 && shown < 5000, "{shown}");
        assert!(
            md.contains(&format!("{} row(s) are not shown", 5000 - shown)),
            "{}",
            &md[md.len() - 300..]
        );
    }

    #[test]
    fn reasons_cannot_inject_markup_or_mentions() {
        let md = markdown(
            &plan_with_creates(1, "<img src=x> | @org/team **now**\n# Title"),
            Options::default(),
        );
        let row = md.lines().find(|l| l.starts_with("| ➕ create")).unwrap();
        assert_eq!(
            row,
            "| ➕ create | +1 202-555-0000 | reason: &lt;img src=x&gt; \\| @\u{200b}org/team \\*\\*now\\*\\* \\# Title | `lists/big.yaml:1` |"
        );
    }

    #[test]
    fn masking_hides_the_middle_digits() {
        let md = markdown(
            &plan_with_creates(1, "r"),
            Options {
                mask_numbers: true,
                color: false,
            },
        );
        assert!(md.contains("| +1 202-***-0000 |"), "{md}");
        assert!(!md.contains("202-555-0000"));
    }
}
