//! A drift check as the ledger records it (`drift` lines) and a restore's gap on a create
//! line: plain data the ledger reads and writes. What the checks mean (gaps, restores,
//! repeats) is `drift`'s job, which reads the ledger.

use crate::entry::{CampaignId, Key};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `event` of a drift line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftEvent {
    Drift,
}

/// One drift check, one line on the ledger branch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftRecord {
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    pub event: DriftEvent,
    /// The hash of the plan the check made: what differed, in full.
    pub plan_hash: String,
    /// Nothing the manifests say differed (unmanaged extras do not make a check dirty).
    pub clean: bool,
    /// Entries the manifests say must be listed that the dialer does not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<Missing>,
    /// Entries whose reason or purpose differ from the manifests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<Entry>,
    /// Tombstoned entries the dialer still holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_removed: Vec<Entry>,
    /// Remote entries no manifest names, counted per scope.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unmanaged: BTreeMap<String, u64>,
    /// When the last clean check before this one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_clean: Option<String>,
    /// The manifests' commit the check compared against, and who ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// On the ledger branch, the hash of the line before this one (see `chain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

impl DriftRecord {
    /// `clean`, or what differed: `2 missing, 1 changed, 0 not removed`; unmanaged extras after.
    pub fn summary(&self) -> String {
        let mut text = if self.clean {
            "clean".to_string()
        } else {
            format!(
                "{} missing, {} changed, {} not removed",
                self.missing.len(),
                self.changed.len(),
                self.not_removed.len()
            )
        };
        let unmanaged: u64 = self.unmanaged.values().sum();
        if unmanaged > 0 {
            text.push_str(&format!("; {unmanaged} unmanaged"));
        }
        text
    }
}

/// An entry as the ledger keys it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub campaign_id: i64,
    pub phone_code: u16,
    pub phone_number: String,
}

impl Entry {
    pub fn key(&self) -> Key {
        Key::new(
            CampaignId(self.campaign_id),
            self.phone_code,
            &self.phone_number,
        )
    }

    pub(crate) fn of(key: &Key) -> Entry {
        Entry {
            campaign_id: key.scope.0,
            phone_code: key.phone.code,
            phone_number: key.phone.national.to_string(),
        }
    }
}

/// An entry the dialer lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    #[serde(flatten)]
    pub entry: Entry,
    /// When the apply that put it there took effect; none when no apply ever did (a new
    /// opt-out not applied yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    /// The last time it was known present: that apply, or a later check that found it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_present: Option<String>,
    /// The first check that found it missing (this one, when it is new).
    pub missing_since: String,
}

/// A restore's gap, on the create line that put a vanished entry back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_present: Option<String>,
    /// The first drift check that found it missing; none when no check saw the gap (the
    /// entry had taken effect, and is created again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_since: Option<String>,
}
