//! The view model every plan emitter reads: a change matched once into what its row says.

use super::or_none;
use crate::entry::Key;
use crate::known::Source;
use crate::manifest::{Approval, Source as Written};
use crate::plan::{Change, ChangeKind, Deadline, Effect};

/// What one change says, in the order every format shows it: the fields, then the deadline,
/// the approval and the effect.
pub(crate) struct Row<'p> {
    pub kind: ChangeKind,
    pub key: &'p Key,
    /// The remote entry's id (none for a create).
    pub id: Option<u64>,
    /// Where the change is written (none for a prune: it is in no manifest).
    pub source: Option<&'p Written>,
    pub fields: Vec<Field<'p>>,
    pub deadline: Option<&'p Deadline>,
    pub approval: Option<&'p Approval>,
    pub effect: Option<&'p Effect>,
}

/// One attribute of a row, as text to show (`(none)` where there is no value).
pub(crate) enum Field<'p> {
    /// A value the change sends, or the one it removes with: `reason: DNC`.
    Value { label: &'static str, value: &'p str },
    /// An attribute that changes, and how its old value is known.
    Edit {
        label: &'static str,
        old: &'p str,
        new: &'p str,
        was: Source,
    },
    /// An attribute sent again because the remote value is not shown: how it is known.
    Resent {
        label: &'static str,
        value: &'p str,
        remote: Source,
    },
}

impl<'p> Row<'p> {
    pub fn of(change: &'p Change) -> Row<'p> {
        let mut row = Row {
            kind: change.kind(),
            key: change.key(),
            id: None,
            source: None,
            fields: Vec::new(),
            deadline: None,
            approval: None,
            effect: None,
        };
        match change {
            Change::Create {
                reason,
                purpose,
                source,
                deadline,
                ..
            } => {
                row.source = Some(source);
                row.fields.push(Field::Value {
                    label: "reason",
                    value: reason,
                });
                row.fields.extend(purpose.as_deref().map(|p| Field::Value {
                    label: "purpose",
                    value: p,
                }));
                row.deadline = deadline.as_ref();
            }
            Change::Update {
                id,
                reason,
                purpose,
                source,
                known,
                ..
            } => {
                row.id = Some(*id);
                row.source = Some(source);
                let attributes = [
                    ("reason", reason, known.reason),
                    ("purpose", purpose, known.purpose),
                ];
                row.fields.extend(
                    attributes
                        .into_iter()
                        .filter(|(_, edit, _)| edit.changed())
                        .map(|(label, edit, was)| Field::Edit {
                            label,
                            old: or_none(&edit.old),
                            new: or_none(&edit.new),
                            was,
                        }),
                );
            }
            Change::Reassert {
                id,
                reason,
                purpose,
                source,
                known,
                ..
            } => {
                row.id = Some(*id);
                row.source = Some(source);
                row.fields = vec![
                    Field::Resent {
                        label: "reason",
                        value: reason,
                        remote: known.reason,
                    },
                    Field::Resent {
                        label: "purpose",
                        value: or_none(purpose),
                        remote: known.purpose,
                    },
                ];
            }
            Change::Remove {
                id,
                removal_reason,
                source,
                effect,
                approval,
                ..
            } => {
                row.id = Some(*id);
                row.source = Some(source);
                row.fields.push(Field::Value {
                    label: "removal reason",
                    value: removal_reason,
                });
                row.approval = approval.as_ref();
                row.effect = Some(effect);
            }
            Change::Prune {
                id, reason, effect, ..
            } => {
                row.id = Some(*id);
                row.fields.push(Field::Value {
                    label: "reason was",
                    value: or_none(reason),
                });
                row.effect = Some(effect);
            }
        }
        row
    }
}
