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
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// The manifest's `source` (`inbound call`, `web form`); `source` in plans and ledgers is
    /// the manifest's `file:line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_source: Option<String>,
}

/// A number that should be on a DNC list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredEntry {
    pub key: Key,
    /// Shared by the entries that say the same (a million entries hold a few reasons).
    pub reason: Arc<str>,
    pub purpose: Option<Arc<str>>,
    pub source: Source,
    /// The day the request was made, when the manifest says.
    pub requested_at: Option<chrono::NaiveDate>,
    pub request: Request,
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
