//! Manifests: the root config and the entry files, loaded with spans, checked, and
//! turned into the desired set the plan diffs against.

mod check;
mod csv_include;
pub mod diagnostics;
mod duplicates;
mod files;
mod load;
pub mod model;
mod row;
pub mod schema;
pub mod yaml;

pub use csv_include::{CsvMapping, CsvRow, read_csv};
pub use diagnostics::{
    Diagnostic, Diagnostics, Label, Location, Severity, render_github, render_human, render_json,
};
pub use files::{Globbed, glob, glob_matches};
pub use load::{Loaded, config_file, config_root, load, load_config, load_file, load_with};

use crate::entry::{CampaignId, Key};
use std::path::PathBuf;
use std::sync::Arc;

/// Where a desired entry or tombstone was written (1-based line and column).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Source {
    /// Path relative to the config's directory, with `/` separators.
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The request's ticket and where it came from (the manifest's `ticket` and `source`), carried
/// into the plan and the ledger so the record names them without git.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// The manifest's `source` (`inbound call`, `web form`); `source` in plans and ledgers is
    /// the manifest's `file:line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_source: Option<String>,
}

/// A number that should be on a DNC list. A million of them are held at once, so the texts
/// many entries repeat are shared, not copied (112 bytes each; a test keeps it so).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredEntry {
    pub key: Key,
    /// Shared by the entries that say the same (a million entries hold a few reasons).
    pub reason: Arc<str>,
    pub purpose: Option<Arc<str>>,
    pub source: Source,
    /// The day the request was made, when the manifest says.
    pub requested_at: Option<chrono::NaiveDate>,
    /// `None` when the entry names neither a ticket nor a request source; else shared by the
    /// entries of a file that name the same (every row of an export says `web form`).
    pub request: Option<Arc<Request>>,
}

impl DesiredEntry {
    /// The request's ticket and source, as a plan's change carries them.
    pub fn request(&self) -> Request {
        self.request.as_deref().cloned().unwrap_or_default()
    }
}

/// A number that must leave a DNC list, with the reason it may be dialed again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tombstone {
    pub key: Key,
    pub removal_reason: Arc<str>,
    pub source: Source,
    /// The day the removal was requested, when the manifest says.
    pub requested_at: Option<chrono::NaiveDate>,
    /// Who approved the removal, when the tombstone says.
    pub approval: Option<Approval>,
    pub request: Request,
}

/// Who approved a removal (a GitHub login) and the ticket recording it, as the tombstone
/// writes them.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Approval {
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// Everything the manifests ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    pub entries: Vec<DesiredEntry>,
    pub tombstones: Vec<Tombstone>,
}

/// The numbers the desired set names, by scope, for a read that must look them up one by
/// one: read from the shared set when asked, not copied (a million numbers, used only by a
/// scope the API cannot page through).
#[derive(Clone, Default)]
pub struct WantedNumbers {
    desired: Arc<Desired>,
    /// Entries per scope, counted once: a read asks for each part it splits a scope into.
    counts: Vec<(CampaignId, usize)>,
}

impl WantedNumbers {
    pub fn new(desired: Arc<Desired>) -> Self {
        let mut counts: Vec<(CampaignId, usize)> = Vec::new();
        for e in &desired.entries {
            match counts.iter_mut().find(|(scope, _)| *scope == e.key.scope) {
                Some((_, n)) => *n += 1,
                None => counts.push((e.key.scope, 1)),
            }
        }
        WantedNumbers { desired, counts }
    }

    /// How many numbers `scope` wants.
    pub fn count(&self, scope: CampaignId) -> usize {
        let mut counts = self.counts.iter();
        counts.find(|(s, _)| *s == scope).map_or(0, |(_, n)| *n)
    }

    /// The numbers `scope` wants, in the desired set's order.
    pub fn phones(&self, scope: CampaignId) -> impl Iterator<Item = &crate::phone::Phone> {
        let entries = self.desired.entries.iter();
        entries
            .filter(move |e| e.key.scope == scope)
            .map(|e| &e.key.phone)
    }
}

impl std::fmt::Debug for WantedNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.counts.iter().copied()).finish()
    }
}

/// One scope the config manages.
#[derive(Clone, Debug, PartialEq)]
pub struct ScopeConfig {
    pub id: CampaignId,
    pub name: Option<String>,
    /// Remote entries in this scope that no manifest names are removed (off by default).
    pub prune: bool,
    /// Limits of this scope's own, over the config's.
    pub safety: ScopeSafety,
}

/// Removal limits one scope sets for itself; `None` keeps the config's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScopeSafety {
    pub max_removals: Option<u64>,
    pub max_removal_percent: Option<f64>,
}

/// Limits on removals and prunes in one plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Safety {
    pub max_removals: u64,
    pub max_removal_percent: f64,
}

/// The validated root config.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The directory holding the config file; manifest paths are relative to it.
    pub root: PathBuf,
    /// The `manifests` globs, relative to `root`.
    pub manifests: Vec<String>,
    /// Country calling code for numbers written without `+`, unless a manifest says otherwise.
    pub phone_code: Option<u16>,
    pub scopes: Vec<ScopeConfig>,
    pub safety: Safety,
    pub reasons: Option<Vec<String>>,
    pub purposes: Option<Vec<String>>,
    pub strict: bool,
    pub deadlines: Deadlines,
    /// Fields every entry must have besides number, scope and reason.
    pub require: Vec<model::RequiredField>,
    /// What a tombstone's approval counts for.
    pub approvals: model::ApprovalPolicy,
    /// The ledger chain's root pinned in the config (`ledger.root`).
    pub ledger_root: Option<String>,
    /// Who the evidence is about, named on reports (`organization`, `account`).
    pub organization: Option<String>,
    pub account: Option<String>,
}

/// How long a request may take to honor, and how long it is honored.
#[derive(Clone, Debug, PartialEq)]
pub struct Deadlines {
    /// Business days after the request's day.
    pub honor_within: u32,
    pub calendar: crate::calendar::Calendar,
    /// Years before an entry may be removed without an override.
    pub retention_years: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            honor_within: model::DEFAULT_HONOR_WITHIN,
            calendar: crate::calendar::Calendar::us_federal(),
            retention_years: model::DEFAULT_RETENTION_YEARS,
        }
    }
}

impl Deadlines {
    /// The last day to honor a request made on `requested`.
    pub fn due(&self, requested: chrono::NaiveDate) -> chrono::NaiveDate {
        self.calendar
            .add_business_days(requested, self.honor_within)
    }

    /// The first day a request made on `requested` is no longer inside the retention period.
    pub fn retained_until(&self, requested: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        requested.checked_add_months(chrono::Months::new(12 * self.retention_years))
    }
}

#[cfg(test)]
impl DesiredEntry {
    /// An entry for `+code national` in `scope`, written in `a.yaml`, for tests.
    pub(crate) fn example(scope: i64, code: u16, national: &str, reason: &str) -> DesiredEntry {
        DesiredEntry {
            key: Key {
                scope: CampaignId(scope),
                phone: crate::phone::Phone {
                    code,
                    national: national.into(),
                },
            },
            reason: reason.into(),
            purpose: None,
            source: Source {
                file: "a.yaml".into(),
                line: 1,
                column: 1,
            },
            requested_at: None,
            request: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Phone;

    fn entry(scope: i64, national: &str) -> DesiredEntry {
        DesiredEntry::example(scope, 1, national, "DNC")
    }

    /// The numbers read from the shared set are the ones a copy per scope held, in order.
    #[test]
    fn wanted_numbers_are_the_desired_numbers_of_each_scope() {
        let desired = Arc::new(Desired {
            entries: vec![
                entry(0, "2025550101"),
                entry(111, "2025550102"),
                entry(0, "2025550103"),
                entry(-1, "2025550104"),
            ],
            tombstones: Vec::new(),
        });
        let mut copied: std::collections::HashMap<CampaignId, Vec<Phone>> = Default::default();
        for e in &desired.entries {
            copied
                .entry(e.key.scope)
                .or_default()
                .push(e.key.phone.clone());
        }
        let wanted = WantedNumbers::new(desired.clone());
        for scope in [0, 111, -1, 222].map(CampaignId) {
            let read: Vec<Phone> = wanted.phones(scope).cloned().collect();
            let copy = copied.get(&scope).cloned().unwrap_or_default();
            assert_eq!(read, copy, "{scope}");
            assert_eq!(wanted.count(scope), copy.len(), "{scope}");
        }
        assert_eq!(
            format!("{wanted:?}"),
            "{CampaignId(0): 2, CampaignId(111): 1, CampaignId(-1): 1}"
        );
        assert_eq!(WantedNumbers::default().count(CampaignId(0)), 0);
    }
}
