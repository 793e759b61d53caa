//! Plan emitters, one per format over the view model in `view.rs` (a change is matched
//! once): human (colored), markdown (pull requests), plain (one line per change, for
//! errors) and JSON (machines).

mod human;
mod markdown;
mod plain;
mod view;

pub use human::human;
pub use markdown::{markdown, markdown_within};
pub use plain::one_line;

/// The first line of the error a drift run ends with when entries are past due.
pub fn overdue_summary(plan: &Plan) -> Option<String> {
    let overdue = plan.overdue();
    (!overdue.is_empty()).then(|| {
        format!(
            "{} desired {} still missing past {} due date: {}",
            overdue.len(),
            if overdue.len() == 1 {
                "entry is"
            } else {
                "entries are"
            },
            if overdue.len() == 1 { "its" } else { "their" },
            overdue
                .iter()
                .take(OVERDUE_SHOWN)
                .map(|c| one_line(c))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

use super::{Change, ChangeKind, Deadline, EarlyRemoval, Effect, Plan, ScopePlan, SourceCounts};
use crate::entry::{CampaignId, Key};
use crate::known::Source;
use anstyle::Style;
use similar::{ChangeTag, TextDiff};

/// GitHub refuses comments over 65,535 characters; stay clear of it.
pub const MARKDOWN_LIMIT: usize = 65_000;
/// Unmanaged entries listed per scope in human and markdown output (JSON lists all).
pub(crate) const UNMANAGED_SHOWN: usize = 20;

/// Past this many creates and updates, human and markdown output summarize: each scope's
/// counts, every removal, the first [`FIRST_LISTED`] creates and updates of each scope, and
/// the rest counted (`--full` lists them all; JSON always does).
pub const SUMMARIZE_AFTER: usize = 100;
/// Creates and updates listed per scope in a summarized plan.
pub const FIRST_LISTED: usize = 20;

/// How numbers and colors appear, and whether a big plan is listed in full.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub color: bool,
    pub mask_numbers: bool,
    /// List every change, however many (`--full`).
    pub full: bool,
}

/// What a scope's listing shows: every change, or every removal and the first creates and
/// updates, with how many of each were left out.
pub(crate) struct Listing<'p> {
    pub shown: Vec<&'p Change>,
    pub creates_left: usize,
    pub updates_left: usize,
}

impl Listing<'_> {
    pub fn left(&self) -> usize {
        self.creates_left + self.updates_left
    }

    /// `480 more to create, 3 more to update`.
    pub fn left_text(&self) -> String {
        let mut parts = Vec::new();
        if self.creates_left > 0 {
            parts.push(format!("{} more to create", self.creates_left));
        }
        if self.updates_left > 0 {
            parts.push(format!("{} more to update", self.updates_left));
        }
        parts.join(", ")
    }
}

/// Whether `plan` is shown summarized: many creates and updates, and no `--full`.
pub(crate) fn summarized(plan: &Plan, opts: Options) -> bool {
    !opts.full && plan.changes().filter(|c| !c.is_removal()).count() > SUMMARIZE_AFTER
}

/// The changes of `scope` to list. Removals are always listed: they make numbers dialable.
pub(crate) fn listing(scope: &ScopePlan, summarized: bool) -> Listing<'_> {
    let mut listing = Listing {
        shown: Vec::new(),
        creates_left: 0,
        updates_left: 0,
    };
    let mut others = 0;
    for change in &scope.changes {
        if !summarized || change.is_removal() || others < FIRST_LISTED {
            others += usize::from(!change.is_removal());
            listing.shown.push(change);
        } else if change.kind() == ChangeKind::Create {
            listing.creates_left += 1;
        } else {
            listing.updates_left += 1;
        }
    }
    listing
}

/// `2 to create, 0 to update, 1 to remove, 0 to prune` for one scope.
pub(crate) fn scope_counts(scope: &ScopePlan) -> String {
    let count = |k: ChangeKind| scope.changes.iter().filter(|c| c.kind() == k).count();
    format!(
        "{} to create, {} to update, {} to remove, {} to prune",
        count(ChangeKind::Create),
        count(ChangeKind::Update),
        count(ChangeKind::Remove),
        count(ChangeKind::Prune)
    )
}

impl Options {
    pub(crate) fn number(&self, key: &Key) -> String {
        if self.mask_numbers {
            key.phone.masked()
        } else {
            key.phone.display()
        }
    }

    pub(crate) fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

/// The plan with `complete` first: `false` when any scope could not be read completely.
pub fn json(plan: &Plan) -> String {
    #[derive(serde::Serialize)]
    struct Shown<'a> {
        complete: bool,
        #[serde(flatten)]
        plan: &'a Plan,
    }
    let shown = Shown {
        complete: plan.is_complete(),
        plan,
    };
    serde_json::to_string_pretty(&shown).expect("plan values always serialize")
}

/// The warning every format opens with when a scope was not read completely.
pub fn incomplete_banner(plan: &Plan) -> Option<String> {
    let names: Vec<String> = plan.incomplete().map(scope_title).collect();
    (!names.is_empty()).then(|| {
        format!(
            "INCOMPLETE: {} could not be read completely, so this plan may miss changes there. \
             dnc exits 1 and apply refuses it.",
            names.join(", ")
        )
    })
}

/// `1 to create, 2 to update, 0 to remove, 0 to prune` (and `, 3 to re-assert` when any).
pub fn summary(plan: &Plan) -> String {
    let reassert = match plan.count(ChangeKind::Reassert) {
        0 => String::new(),
        n => format!(", {n} to re-assert"),
    };
    format!(
        "{} to create, {} to update, {} to remove, {} to prune{reassert}",
        plan.count(ChangeKind::Create),
        plan.count(ChangeKind::Update),
        plan.count(ChangeKind::Remove),
        plan.count(ChangeKind::Prune)
    )
}

/// How one remote value is known, as people read it.
pub fn known_text(source: Source) -> String {
    match source {
        Source::Api => "read from the API".into(),
        Source::NotBlank => "not blank per the API, value not shown".into(),
        Source::Ledger { applied_on } => format!("last applied on {applied_on} per the ledger"),
        Source::Unknown => "unknown: the API does not show it and the ledger has no record".into(),
    }
}

/// `reasons: 2 read from the API, 10 last applied per the ledger (latest 2026-12-05),
/// 1 unknown; purposes: …`, for a scope where the API did not show every value.
pub fn known_summary(s: &ScopePlan) -> Option<String> {
    if s.known.all_from_api() {
        return None;
    }
    let part = |label: &str, c: &SourceCounts| {
        let latest = c
            .ledger_latest
            .map(|d| format!(" (latest {d})"))
            .unwrap_or_default();
        format!(
            "{label}: {} read from the API, {} last applied per the ledger{latest}, {} unknown",
            c.api, c.ledger, c.unknown
        )
    };
    Some(format!(
        "{}; {}",
        part("reasons", &s.known.reason),
        part("purposes", &s.known.purpose)
    ))
}

/// `jdoe (COMP-1301)`: who approved a removal, and the ticket.
pub(crate) fn approval_text(a: &crate::manifest::Approval) -> String {
    match &a.ticket {
        Some(ticket) => format!("{} ({ticket})", a.by),
        None => a.by.clone(),
    }
}

/// `requested 2026-03-02, due 2026-03-16: 4 business days left` (or `OVERDUE, …`).
pub fn deadline_text(d: &Deadline) -> String {
    let days = |n: i64| format!("{n} business day{}", if n == 1 { "" } else { "s" });
    let state = match d.business_days_left {
        n if d.overdue && n < 0 => format!("OVERDUE by {}", days(-n)),
        _ if d.overdue => "OVERDUE".to_string(),
        0 => "due today".to_string(),
        n => format!("{} left", days(n)),
    };
    format!("requested {}, due {}: {state}", d.requested_at, d.due)
}

/// `+1 202-555-0143 in global (id 5, prune): on the list since 2026-03-03, honored until 2031-03-03`.
pub(crate) fn early_removal_text(e: &EarlyRemoval, opts: Options) -> String {
    let change = serde_json::to_value(e.change)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let when = match (e.listed_since, e.retained_until) {
        (Some(r), Some(u)) => format!("on the list since {r}, honored until {u}"),
        (Some(r), None) => format!("on the list since {r}"),
        _ => "date it was listed unknown".to_string(),
    };
    format!(
        "{} in {} (id {}, {change}): {when}",
        opts.number(&e.key),
        e.key.scope,
        e.id
    )
}

/// Creates shown in an overdue list before the rest are counted.
pub(crate) const OVERDUE_SHOWN: usize = 20;

pub fn short_hash(plan: &Plan) -> &str {
    &plan.hash[..12.min(plan.hash.len())]
}

pub(crate) fn scope_title(s: &ScopePlan) -> String {
    match &s.name {
        Some(name) => format!("{} \"{name}\"", s.campaign_id),
        None => s.campaign_id.to_string(),
    }
}

pub(crate) fn read_status(s: &ScopePlan) -> String {
    match &s.incomplete {
        None => format!(
            "{} remote {}, read completely",
            s.remote_total,
            if s.remote_total == 1 {
                "entry"
            } else {
                "entries"
            }
        ),
        Some(why) if s.remote_total == 0 => {
            format!("INCOMPLETE READ, nothing could be read: {why}; nothing is planned here")
        }
        Some(why) => format!(
            "INCOMPLETE READ ({} entries read): {why}; no removals or prunes are planned here",
            s.remote_total
        ),
    }
}

pub fn effect_text(effect: &Effect) -> String {
    match effect {
        Effect::StillBlockedGlobally => "still blocked by the global entry".into(),
        Effect::DialableExcept { campaigns } if campaigns.is_empty() => {
            "DIALABLE AGAIN in every campaign".into()
        }
        Effect::DialableExcept { campaigns } => format!(
            "DIALABLE AGAIN in every campaign except {}",
            campaigns
                .iter()
                .map(CampaignId::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Effect::DialableIn { campaign_id } if *campaign_id == CampaignId::PURPOSE_TYPE => {
            "leaves the purpose-type list; no global entry blocks it".into()
        }
        Effect::DialableIn { campaign_id } => format!("DIALABLE AGAIN in {campaign_id}"),
        Effect::Unknown { why } => format!("effect unknown: {why}"),
    }
}

pub(crate) fn or_none(v: &Option<String>) -> &str {
    v.as_deref().filter(|s| !s.is_empty()).unwrap_or("(none)")
}

/// Word-level diff of two attribute values; `mark` renders a removed (`false`) or inserted
/// (`true`) run. Changed words separated only by spaces form one run, so a rewritten reason
/// reads as one replacement rather than alternating fragments.
pub(crate) fn word_diff(
    old: &str,
    new: &str,
    mut mark: impl FnMut(bool, &str) -> String,
) -> String {
    let diff = TextDiff::from_words(old, new);
    let mut out = String::new();
    let (mut removed, mut inserted, mut gap) = (String::new(), String::new(), String::new());
    let mut flush = |out: &mut String, removed: &mut String, inserted: &mut String| {
        for (is_insert, run) in [(false, &mut *removed), (true, &mut *inserted)] {
            if !run.trim().is_empty() {
                out.push_str(&mark(is_insert, run.trim()));
            }
            run.clear();
        }
    };
    for change in diff.iter_all_changes() {
        let text = change.value();
        let pending = !removed.is_empty() || !inserted.is_empty();
        match change.tag() {
            ChangeTag::Equal if pending && text.trim().is_empty() => gap.push_str(text),
            ChangeTag::Equal => {
                flush(&mut out, &mut removed, &mut inserted);
                out.push_str(&gap);
                gap.clear();
                out.push_str(text);
            }
            tag => {
                removed.push_str(&gap);
                inserted.push_str(&gap);
                gap.clear();
                if tag == ChangeTag::Delete {
                    removed.push_str(text)
                } else {
                    inserted.push_str(text)
                }
            }
        }
    }
    flush(&mut out, &mut removed, &mut inserted);
    out.push_str(&gap);
    out
}

#[cfg(test)]
mod tests {
    use super::word_diff;

    fn plain(old: &str, new: &str) -> String {
        word_diff(old, new, |ins, t| {
            if ins {
                format!("{{+{t}+}}")
            } else {
                format!("[-{t}-]")
            }
        })
    }

    #[test]
    fn word_diffs_group_runs() {
        assert_eq!(
            plain("Old reason from the phone", "Customer asked by email"),
            "[-Old reason from the phone-]{+Customer asked by email+}"
        );
        assert_eq!(
            plain("Asked on call 2026-03-01", "Asked by email 2026-03-01"),
            "Asked [-on call-]{+by email+} 2026-03-01"
        );
        assert_eq!(plain("DNC", "DNC"), "DNC");
        assert_eq!(plain("(none)", "TELEMKT"), "[-(none)-]{+TELEMKT+}");
    }
}

/// Every emitter over one shared fixture (a change of each kind, known-ness from the API, the
/// ledger and nowhere, a deadline past and one ahead, an approval, a breach): one snapshot
/// per format, so a change to the view model shows in all of them side by side.
#[cfg(test)]
mod emitters {
    use super::*;

    fn fixture() -> Plan {
        serde_json::from_str(include_str!("fixtures/every_change.json"))
            .expect("the fixture is a plan")
    }

    #[test]
    fn human() {
        insta::assert_snapshot!(super::human(&fixture(), Options::default()));
    }

    #[test]
    fn human_colored_and_masked() {
        let opts = Options {
            color: true,
            mask_numbers: true,
            full: false,
        };
        insta::assert_snapshot!(super::human(&fixture(), opts));
    }

    #[test]
    fn markdown() {
        insta::assert_snapshot!(super::markdown(&fixture(), Options::default()));
    }

    #[test]
    fn plain() {
        let lines: Vec<String> = fixture().changes().map(one_line).collect();
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn json() {
        insta::assert_snapshot!(super::json(&fixture()));
    }
}
