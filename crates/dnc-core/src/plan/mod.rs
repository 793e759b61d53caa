//! The plan: what must change remotely so the managed scopes match the manifests.
//! `diff` computes it from plain values; `render` shows it; `saved` stores it for apply.

pub mod approval;
pub mod diff;
pub mod hash;
pub mod render;
pub mod safety;
pub mod saved;

use crate::api::Client;
pub use crate::change::ChangeKind;
use crate::entry::{CampaignId, Key};
use crate::known::{Applied, Known, Source as Source_, Wanted};
use crate::manifest::{Approval, Config, Deadlines, Desired, Request, Source};
use crate::state::{self, ReadError, ReadOptions, RemoteState};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a plan compares the remote lists with: the config, the manifests' desired set, what
/// dnc last applied (the ledger), and the day the plan is made.
#[derive(Clone, Copy)]
pub struct Wants<'a> {
    pub config: &'a Config,
    pub desired: &'a Desired,
    pub applied: &'a Applied,
    pub today: NaiveDate,
}

/// Reads the managed scopes, learns what the API does not echo (see `known`), diffs them
/// against the desired set, and looks up what each removal leaves behind.
pub async fn make(
    client: &Client,
    wants: Wants<'_>,
    opts: &ReadOptions,
) -> Result<Plan, ReadError> {
    make_with_laps(client, wants, opts, |_| {}).await
}

/// [`make`], calling `lap` as each phase ends: `read`, `learn`, `diff`, `effects`.
pub async fn make_with_laps(
    client: &Client,
    wants: Wants<'_>,
    opts: &ReadOptions,
    mut lap: impl FnMut(&'static str),
) -> Result<Plan, ReadError> {
    let scopes: Vec<CampaignId> = wants.config.scopes.iter().map(|s| s.id).collect();
    let remote = state::read(client, &scopes, opts).await?;
    lap("read");
    from_remote(client, wants, remote, opts, lap).await
}

/// The plan from a remote state already read: what the API did not echo learned, the diff,
/// then what each removal leaves behind (looked up `opts.concurrency` at a time). Calls `lap`
/// after `learn`, `diff` and `effects`.
pub async fn from_remote(
    client: &Client,
    wants: Wants<'_>,
    mut remote: RemoteState,
    opts: &ReadOptions,
    mut lap: impl FnMut(&'static str),
) -> Result<Plan, ReadError> {
    let Wants {
        config,
        desired,
        applied,
        today,
    } = wants;
    crate::known::learn(client, &mut remote, &Wanted::Plan(desired), applied, opts).await?;
    lap("learn");
    let mut plan = diff::diff(config, desired, &remote, today);
    drop(remote);
    lap("diff");
    let holders = state::holders(client, &plan.removed_phones(), opts.concurrency).await;
    plan.set_effects(&holders);
    lap("effects");
    Ok(plan)
}

/// Bumped whenever the JSON shape of a plan changes in a way that breaks a reader; a new
/// optional field (omitted when empty) does not bump it.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub tool_version: String,
    /// Identifies this plan: a hash of the manifests, the remote state read and the changes.
    pub hash: String,
    pub manifests_hash: String,
    pub remote_hash: String,
    pub scopes: Vec<ScopePlan>,
    pub safety: Safety,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopePlan {
    pub campaign_id: CampaignId,
    pub name: Option<String>,
    pub prune: bool,
    /// Entries the read found in this scope.
    pub remote_total: u64,
    /// Why the read is incomplete; `None` when every entry was read.
    pub incomplete: Option<String>,
    pub changes: Vec<Change>,
    /// Desired entries that already match.
    pub unchanged: u64,
    /// Tombstones whose number is already absent.
    pub already_absent: u64,
    /// Remote entries no manifest names (left alone unless the scope prunes).
    pub unmanaged: Vec<RemoteSnapshot>,
    /// Numbers held more than once remotely.
    pub duplicates: Vec<Duplicate>,
    /// How the reasons and purposes of the managed remote entries are known; omitted when
    /// the API showed every one.
    #[serde(default, skip_serializing_if = "KnownCounts::all_from_api")]
    pub known: KnownCounts,
}

/// Managed remote entries of a scope by how each attribute is known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownCounts {
    pub reason: SourceCounts,
    pub purpose: SourceCounts,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCounts {
    /// Read from the API (shown in its answers, or matched by a search filter).
    pub api: u64,
    /// Not shown by the API; last applied by dnc per the ledger.
    pub ledger: u64,
    /// The latest day the ledger's values were applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_latest: Option<chrono::NaiveDate>,
    /// Neither the API nor the ledger tells (re-asserted by the plan).
    pub unknown: u64,
}

impl SourceCounts {
    pub fn add(&mut self, source: Source_) {
        match source {
            Source_::Api => self.api += 1,
            Source_::Ledger { applied_on } => {
                self.ledger += 1;
                self.ledger_latest = self.ledger_latest.max(Some(applied_on));
            }
            Source_::NotBlank | Source_::Unknown => self.unknown += 1,
        }
    }
}

impl KnownCounts {
    pub fn add(&mut self, known: Known) {
        self.reason.add(known.reason);
        self.purpose.add(known.purpose);
    }

    pub fn all_from_api(&self) -> bool {
        [&self.reason, &self.purpose]
            .iter()
            .all(|c| c.ledger == 0 && c.unknown == 0)
    }
}

/// A remote entry as the plan saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteSnapshot {
    pub id: u64,
    #[serde(flatten)]
    pub key: Key,
    pub reason: Option<String>,
    pub purpose: Option<String>,
    /// The phone rules reject the number: shown, never removed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub malformed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    #[serde(flatten)]
    pub key: Key,
    pub ids: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    Create {
        #[serde(flatten)]
        key: Key,
        reason: String,
        purpose: Option<String>,
        source: Source,
        /// When the request was made and by when it must be honored, if the manifest says.
        #[serde(flatten, default)]
        deadline: Option<Deadline>,
        #[serde(flatten, default)]
        request: Request,
    },
    Update {
        id: u64,
        #[serde(flatten)]
        key: Key,
        reason: Edit,
        purpose: Edit,
        source: Source,
        /// How the old values are known (read from the API, or last applied per the ledger).
        #[serde(default, skip_serializing_if = "Known::is_from_api")]
        known: Known,
        #[serde(flatten, default)]
        request: Request,
    },
    /// An entry whose remote reason or purpose neither the API nor the ledger shows: both are
    /// sent once, after which the ledger knows them. Never assumed equal, never repeated.
    Reassert {
        id: u64,
        #[serde(flatten)]
        key: Key,
        reason: String,
        purpose: Option<String>,
        source: Source,
        known: Known,
        #[serde(flatten, default)]
        request: Request,
    },
    Remove {
        id: u64,
        #[serde(flatten)]
        key: Key,
        removal_reason: String,
        source: Source,
        effect: Effect,
        /// Who approved the removal, as the tombstone says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approval: Option<Approval>,
        #[serde(flatten, default)]
        request: Request,
    },
    Prune {
        id: u64,
        #[serde(flatten)]
        key: Key,
        reason: Option<String>,
        effect: Effect,
    },
}

impl Change {
    pub fn key(&self) -> &Key {
        match self {
            Change::Create { key, .. }
            | Change::Update { key, .. }
            | Change::Reassert { key, .. }
            | Change::Remove { key, .. }
            | Change::Prune { key, .. } => key,
        }
    }

    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::Create { .. } => ChangeKind::Create,
            Change::Update { .. } => ChangeKind::Update,
            Change::Reassert { .. } => ChangeKind::Reassert,
            Change::Remove { .. } => ChangeKind::Remove,
            Change::Prune { .. } => ChangeKind::Prune,
        }
    }

    /// Whether this change makes a number dialable somewhere.
    pub fn is_removal(&self) -> bool {
        matches!(self, Change::Remove { .. } | Change::Prune { .. })
    }
}

/// The deadline to honor one request, as of the day the plan was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub requested_at: chrono::NaiveDate,
    /// The last day the entry may take effect (`honor_within` business days later).
    pub due: chrono::NaiveDate,
    /// Business days from the plan's day to `due`; negative once past it.
    pub business_days_left: i64,
    pub overdue: bool,
}

impl Change {
    /// The change without what depends on the day it was planned, for comparing plans.
    pub fn dateless(&self) -> Change {
        let mut c = self.clone();
        if let Change::Create {
            deadline: Some(d), ..
        } = &mut c
        {
            d.business_days_left = 0;
            d.overdue = false;
        }
        c
    }

    /// The deadline of a create that is past due.
    pub fn overdue(&self) -> Option<&Deadline> {
        match self {
            Change::Create {
                deadline: Some(d), ..
            } if d.overdue => Some(d),
            _ => None,
        }
    }
}

/// An attribute's value before and after; equal values mean "unchanged".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Edit {
    pub fn changed(&self) -> bool {
        self.old != self.new
    }
}

/// What a removal does to whether the number can be called.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// A global entry for the number remains: nothing becomes dialable.
    StillBlockedGlobally,
    /// The global entry goes: dialable in every campaign but these, which keep their own entries.
    DialableExcept { campaigns: Vec<CampaignId> },
    /// A campaign or purpose-type entry goes and no global entry holds the number.
    DialableIn { campaign_id: CampaignId },
    /// The other entries for the number could not be looked up.
    Unknown { why: String },
}

/// Removal limits from the config, measured against this plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Safety {
    pub max_removals: u64,
    pub max_removal_percent: f64,
    /// Removals and prunes in the whole plan.
    pub removals: u64,
    pub breaches: Vec<String>,
    /// Scopes with limits of their own; the others have the limits above.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<ScopeLimits>,
    /// Removals of entries whose request is younger than the retention period (47 CFR
    /// 64.1200(d)(6): honored 5 years), or of unknown age: apply needs their exact count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub early_removals: Vec<EarlyRemoval>,
}

/// A removal inside the retention period. The request day is the day the entry entered the
/// remote list (Convoso's `insert_date`): the request was made no later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyRemoval {
    pub id: u64,
    #[serde(flatten)]
    pub key: Key,
    pub change: ChangeKind,
    /// The day the entry entered the remote list; `None` when the list gives no readable day.
    pub listed_since: Option<chrono::NaiveDate>,
    pub retained_until: Option<chrono::NaiveDate>,
}

/// The removal limits one scope sets for itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopeLimits {
    pub campaign_id: CampaignId,
    /// Most removals in this scope; `None`: only the plan-wide limit.
    pub max_removals: Option<u64>,
    pub max_removal_percent: f64,
}

impl Plan {
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        self.scopes.iter().flat_map(|s| s.changes.iter())
    }

    pub fn has_changes(&self) -> bool {
        self.changes().next().is_some()
    }

    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes().filter(|c| c.kind() == kind).count()
    }

    /// Scopes whose remote state could not be read completely.
    pub fn incomplete(&self) -> impl Iterator<Item = &ScopePlan> {
        self.scopes.iter().filter(|s| s.incomplete.is_some())
    }

    pub fn is_complete(&self) -> bool {
        self.incomplete().next().is_none()
    }

    /// No scope could be read at all: the plan holds no changes, only the causes.
    pub fn read_nothing(&self) -> bool {
        self.scopes
            .iter()
            .all(|s| s.incomplete.is_some() && s.remote_total == 0)
    }

    /// Creates past their due date: desired entries still missing remotely.
    pub fn overdue(&self) -> Vec<&Change> {
        self.changes().filter(|c| c.overdue().is_some()).collect()
    }

    pub fn unmanaged(&self) -> usize {
        self.scopes.iter().map(|s| s.unmanaged.len()).sum()
    }
}

/// The deadlines and the day the plan is made.
pub(crate) struct Honor<'c> {
    pub(crate) deadlines: &'c Deadlines,
    pub(crate) today: NaiveDate,
}

impl Honor<'_> {
    pub(crate) fn deadline(&self, requested_at: NaiveDate) -> Deadline {
        let due = self.deadlines.due(requested_at);
        Deadline {
            requested_at,
            due,
            business_days_left: self
                .deadlines
                .calendar
                .business_days_between(self.today, due),
            overdue: self.today > due,
        }
    }
}
