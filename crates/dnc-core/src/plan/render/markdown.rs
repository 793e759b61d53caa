//! The markdown rendering of a plan for pull-request comments and step summaries.
//! Text from manifests and the API is escaped: a reason must not become markup or a mention.

use super::view::{Field, Row};
use super::{
    MARKDOWN_LIMIT, OVERDUE_SHOWN, Options, UNMANAGED_SHOWN, approval_text, deadline_text,
    early_removal_text, effect_text, incomplete_banner, known_summary, known_text, listing,
    or_none, read_status, scope_title, short_hash, summarized, summary, word_diff,
};
use crate::escape::{markdown as escape, markdown_code};
use crate::known::Source;
use crate::manifest::Source as Written;
use crate::plan::{ChangeKind, Plan, ScopePlan};
use std::fmt::Write;

/// Renders `plan` for a pull-request comment, never longer than [`MARKDOWN_LIMIT`]: rows that
/// do not fit are counted in a closing notice that says where the full plan is.
pub fn markdown(plan: &Plan, opts: Options) -> String {
    markdown_within(plan, opts, MARKDOWN_LIMIT)
}

/// [`markdown`] within `limit` bytes (a step summary holds more than a comment).
pub fn markdown_within(plan: &Plan, opts: Options, limit: usize) -> String {
    let opts = Options {
        color: false,
        ..opts
    };
    let summarized = summarized(plan, opts);
    let mut out = head(plan, opts);
    let tail_reserve = 600;
    let mut omitted = 0usize;
    // Once a row does not fit, every later row is counted instead, so what shows is a prefix.
    let fits = |out: &String, more: usize, omitted: usize| {
        omitted == 0 && out.len() + more + tail_reserve <= limit
    };
    for scope in plan
        .scopes
        .iter()
        .filter(|s| !s.changes.is_empty() || !s.unmanaged.is_empty())
    {
        let rows = scope_rows(scope, opts, summarized);
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
        let (holds, elsewhere) = if limit == MARKDOWN_LIMIT {
            (
                "a comment holds at most 65,535 characters",
                "this job's step summary and ",
            )
        } else {
            ("a step summary holds at most 1 MiB", "")
        };
        let _ = write!(
            out,
            "\n> [!NOTE]\n> {omitted} row(s) are not shown: {holds}. \
             The full plan is in {elsewhere}`dnc plan --format json`.\n"
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

fn scope_rows(scope: &ScopePlan, opts: Options, summarized: bool) -> Vec<String> {
    let listing = listing(scope, summarized);
    let mut rows: Vec<String> = listing
        .shown
        .iter()
        .map(|c| change_row(&Row::of(c), opts))
        .collect();
    if listing.left() > 0 {
        rows.push(format!(
            "| | … {} | listed in full in this job's step summary, `dnc plan --full` and `dnc plan --format json` | |\n",
            listing.left_text()
        ));
    }
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

fn change_row(row: &Row, opts: Options) -> String {
    let kind = match row.kind {
        ChangeKind::Create => "➕ create",
        ChangeKind::Update => "✏️ update",
        ChangeKind::Reassert => "🔁 re-assert",
        ChangeKind::Remove => "➖ remove",
        ChangeKind::Prune => "➖ prune",
    };
    let mut details: Vec<String> = row.id.iter().map(|id| format!("id {id}")).collect();
    if row.kind == ChangeKind::Prune {
        details.push("in no manifest".into());
    }
    details.extend(row.fields.iter().map(field));
    if row.kind == ChangeKind::Reassert {
        details.push("sent once, then the ledger knows it".into());
    }
    details.extend(row.deadline.map(|d| {
        let text = deadline_text(d);
        if d.overdue {
            format!("**{text}**")
        } else {
            text
        }
    }));
    details.extend(
        row.approval
            .map(|a| format!("approved by {}", escape(&approval_text(a)))),
    );
    details.extend(
        row.effect
            .map(|e| format!("**{}**", escape(&effect_text(e)))),
    );
    let source = row
        .source
        .map(|s| format!(" {} |", source_cell(s)))
        .unwrap_or_else(|| " |".into());
    format!(
        "| {kind} | {} | {} |{source}\n",
        opts.number(row.key),
        details.join("; ")
    )
}

fn field(field: &Field) -> String {
    match *field {
        Field::Value { label, value } => format!("{label}: {}", escape(value)),
        Field::Edit {
            label,
            old,
            new,
            was,
        } => {
            // Diffed escaped, so the words both sides share are escaped too.
            let diff = word_diff(&escape(old), &escape(new), |inserted, t| {
                if t.trim().is_empty() {
                    t.to_string()
                } else if inserted {
                    format!("<ins>{t}</ins>")
                } else {
                    format!("<del>{t}</del>")
                }
            });
            let was = match was {
                Source::Api => String::new(),
                was => format!(" (was: {})", escape(&known_text(was))),
            };
            format!("{label}: {diff}{was}")
        }
        Field::Resent {
            label,
            value,
            remote,
        } => format!(
            "{label}: {} (remote: {})",
            escape(value),
            escape(&known_text(remote))
        ),
    }
}

/// `file:line` as code: a file name is shown as written, never read as markup.
fn source_cell(source: &Written) -> String {
    markdown_code(&format!("{}:{}", source.file, source.line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{CampaignId, Key};
    use crate::phone::Phone;
    use crate::plan::{Change, FORMAT_VERSION, Safety};

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
                request: Default::default(),
                source: Written {
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
        let full = Options {
            full: true,
            ..Options::default()
        };
        let md = markdown(&plan_with_creates(5000, "Customer Request"), full);
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
    fn big_plans_list_the_first_changes_and_count_the_rest() {
        let md = markdown(&plan_with_creates(5000, "r"), Options::default());
        assert_eq!(
            md.matches("| ➕ create |").count(),
            super::super::FIRST_LISTED
        );
        assert!(
            md.contains("| | … 4980 more to create | listed in full"),
            "{md}"
        );
        assert!(!md.contains("are not shown"), "{md}");
        let small = markdown(&plan_with_creates(100, "r"), Options::default());
        assert_eq!(small.matches("| ➕ create |").count(), 100);
        let summary = markdown_within(
            &plan_with_creates(5000, "r"),
            Options {
                full: true,
                ..Options::default()
            },
            1 << 20,
        );
        assert_eq!(summary.matches("| ➕ create |").count(), 5000);
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
            "| ➕ create | +1 202-555-0000 | reason: &lt;img src=x&gt; \\| @\u{200b}org/team \\*\\*now\\*\\*\\\\n\\# Title | `lists/big.yaml:1` |"
        );
    }

    #[test]
    fn masking_hides_the_middle_digits() {
        let md = markdown(
            &plan_with_creates(1, "r"),
            Options {
                mask_numbers: true,
                color: false,
                full: false,
            },
        );
        assert!(md.contains("| +1 202-***-0000 |"), "{md}");
        assert!(!md.contains("202-555-0000"));
    }
}
