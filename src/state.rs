//! Remote state: every entry of every managed scope, read completely or marked incomplete.

use crate::entry::{CampaignId, Key};

/// One entry as the API holds it, with its number normalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteEntry {
    pub id: u64,
    pub key: Key,
    pub reason: Option<String>,
    pub purpose: Option<String>,
    pub insert_date: String,
}

/// What one managed scope holds remotely.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeState {
    pub entries: Vec<RemoteEntry>,
    /// Why the read could not be completed; `None` when every entry was read.
    pub incomplete: Option<String>,
}

/// The managed scopes as read, in config order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteState {
    pub scopes: Vec<(CampaignId, ScopeState)>,
}

impl RemoteState {
    pub fn scope(&self, id: CampaignId) -> Option<&ScopeState> {
        self.scopes.iter().find(|(s, _)| *s == id).map(|(_, st)| st)
    }
}
