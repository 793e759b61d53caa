//! Plain text: one change on one line, for lists of differences and failures.

use super::deadline_text;
use super::known_text;
use super::view::{Field, Row};
use crate::plan::{Change, ChangeKind};

/// `update +1 202-555-0143 in global (id 5): reason "Old" -> "New" (lists/a.yaml:3)`.
pub fn one_line(change: &Change) -> String {
    let row = Row::of(change);
    let (verb, from) = match row.kind {
        ChangeKind::Create => ("create", "in"),
        ChangeKind::Update => ("update", "in"),
        ChangeKind::Reassert => ("re-assert", "in"),
        ChangeKind::Remove => ("remove", "from"),
        ChangeKind::Prune => ("prune", "from"),
    };
    let mut line = format!(
        "{verb} {} {from} {}",
        row.key.phone.display(),
        row.key.scope
    );
    if let Some(id) = row.id {
        line.push_str(&format!(" (id {id})"));
    }
    let fields: Vec<String> = row
        .fields
        .iter()
        .filter_map(|f| match *f {
            // A create names its reason; removals say nothing more than their kind.
            Field::Value { label, value }
                if row.kind == ChangeKind::Create && label == "reason" =>
            {
                Some(format!("{label} {value:?}"))
            }
            Field::Value { .. } => None,
            Field::Edit {
                label, old, new, ..
            } => Some(format!("{label} {old:?} -> {new:?}")),
            Field::Resent {
                label,
                value,
                remote,
            } => Some(format!(
                "{label} {value:?} (remote: {})",
                known_text(remote)
            )),
        })
        .collect();
    if !fields.is_empty() {
        let sep = if row.kind == ChangeKind::Create {
            ", "
        } else {
            ": "
        };
        line.push_str(sep);
        line.push_str(&fields.join(", "));
    }
    if let Some(source) = row.source {
        line.push_str(&format!(
            " ({})",
            crate::escape::terminal(&source.to_string())
        ));
    }
    if let Some(d) = row.deadline {
        line.push_str(&format!(" [{}]", deadline_text(d)));
    }
    line
}
