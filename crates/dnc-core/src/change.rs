//! The kinds of change a plan makes to an entry: the plan's changes, the ledger's lines and
//! what dnc knows it last applied all speak of them, so they sit below all three.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Create,
    Update,
    Reassert,
    Remove,
    Prune,
}
