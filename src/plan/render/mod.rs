//! Plan renderers: human (colored), markdown (pull requests) and JSON (machines).

mod human;
mod markdown;

pub use human::human;
pub use markdown::markdown;

use super::{ChangeKind, Effect, Plan, ScopePlan};
use crate::entry::{CampaignId, Key};
use anstyle::Style;
use similar::{ChangeTag, TextDiff};

/// GitHub refuses comments over 65,535 characters; stay clear of it.
pub const MARKDOWN_LIMIT: usize = 65_000;
/// Unmanaged entries listed per scope in human and markdown output (JSON lists all).
pub(crate) const UNMANAGED_SHOWN: usize = 20;

/// How numbers and colors appear.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub color: bool,
    pub mask_numbers: bool,
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

pub fn json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).expect("plan values always serialize")
}

/// `1 to create, 2 to update, 0 to remove, 0 to prune`.
pub fn summary(plan: &Plan) -> String {
    format!(
        "{} to create, {} to update, {} to remove, {} to prune",
        plan.count(ChangeKind::Create),
        plan.count(ChangeKind::Update),
        plan.count(ChangeKind::Remove),
        plan.count(ChangeKind::Prune)
    )
}

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
        None => format!("{} remote entries, read completely", s.remote_total),
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

/// Word-level diff of two attribute values; `mark` renders (removed, inserted) runs.
pub(crate) fn word_diff(
    old: &str,
    new: &str,
    mut mark: impl FnMut(bool, &str) -> String,
) -> String {
    let diff = TextDiff::from_words(old, new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => out.push_str(text),
            ChangeTag::Delete => out.push_str(&mark(false, text)),
            ChangeTag::Insert => out.push_str(&mark(true, text)),
        }
    }
    out
}
