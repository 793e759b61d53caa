//! The file formats as Rust types. The JSON Schemas in `schema/` are generated from these
//! (schemars), the schema pass validates against those schemas, and the semantic pass reads
//! these types: one definition, no hand-written schema to drift.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A scope: `global` (campaign id 0), `purpose-type` (-1) or a campaign id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ScopeRef {
    Named(ScopeName),
    /// A campaign id (positive); `0` (global) and `-1` (purpose-type) are also accepted.
    Id(#[schemars(range(min = -1))] i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeName {
    /// The global DNC list (campaign id 0): blocks every campaign.
    Global,
    /// Purpose-type DNC entries (campaign id -1).
    PurposeType,
}

impl ScopeRef {
    /// A scope as text: `global`, `purpose-type` or a campaign id (`0` and `-1` included).
    pub fn parse(value: &str) -> Option<ScopeRef> {
        match value.trim() {
            "global" => Some(ScopeRef::Named(ScopeName::Global)),
            "purpose-type" => Some(ScopeRef::Named(ScopeName::PurposeType)),
            other => other
                .parse::<i64>()
                .ok()
                .filter(|&id| id >= -1)
                .map(ScopeRef::Id),
        }
    }

    pub fn campaign_id(self) -> crate::entry::CampaignId {
        use crate::entry::CampaignId;
        match self {
            ScopeRef::Named(ScopeName::Global) => CampaignId::GLOBAL,
            ScopeRef::Named(ScopeName::PurposeType) => CampaignId::PURPOSE_TYPE,
            ScopeRef::Id(id) => CampaignId(id),
        }
    }
}

/// A phone number as written: any common notation, or bare digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PhoneText {
    Text(#[schemars(length(min = 1, max = 64))] String),
    Digits(u64),
}

impl PhoneText {
    pub fn into_string(self) -> String {
        match self {
            PhoneText::Text(s) => s,
            PhoneText::Digits(d) => d.to_string(),
        }
    }
}

/// The root config (`dnc.yaml`): which manifest files to read and which scopes dnc manages.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "dnc root config", example = example_config())]
pub struct ConfigFile {
    /// Format version. Always 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Manifest files or globs, relative to this file.
    #[schemars(length(min = 1), example = vec!["lists/*.yaml"])]
    pub manifests: Vec<String>,
    /// Country calling code for numbers written without `+` (1 for USA/Canada).
    #[serde(default)]
    #[schemars(range(min = 1, max = 999))]
    pub phone_code: Option<u16>,
    /// The only scopes dnc reads and changes. Manifest entries in any other scope are errors.
    #[schemars(length(min = 1))]
    pub scopes: Vec<ScopeSpec>,
    /// The reasons the account accepts. Absent: any non-empty text.
    #[serde(default)]
    #[schemars(example = vec!["DNC", "DNCT", "ConsentRevoked", "Customer Request"])]
    pub reasons: Option<Vec<String>>,
    /// The purposes the account accepts. Absent: any non-empty text.
    #[serde(default)]
    #[schemars(example = vec!["TELEMKT", "COLLECT"])]
    pub purposes: Option<Vec<String>>,
    /// Limits on removals and prunes in one plan.
    #[serde(default)]
    pub safety: SafetySpec,
    /// Treat well-formed numbers in unassigned ranges as errors (default: warnings).
    #[serde(default)]
    pub strict: bool,
    /// Business days after `requested_at` by which a new entry must be in effect (47 CFR
    /// 64.1200: 10 since 2025-04-11).
    #[serde(default = "default_honor_within")]
    #[schemars(range(min = 1, max = 365))]
    pub honor_within: u32,
    /// The holidays business days skip, besides weekends.
    #[serde(default)]
    pub holidays: HolidayCalendar,
    /// Further days off that are not business days (YYYY-MM-DD).
    #[serde(default)]
    #[schemars(example = vec!["2026-12-24"])]
    pub extra_holidays: Vec<DateText>,
    /// Years a request is honored before its entry may be removed without an override
    /// (47 CFR 64.1200(d)(6): 5).
    #[serde(default = "default_retention_years")]
    #[schemars(range(min = 0, max = 100))]
    pub retention_years: u32,
    /// The largest config, manifest or CSV file read, in bytes (default 256 MiB).
    #[serde(default = "default_max_file_bytes")]
    #[schemars(range(min = 1))]
    pub max_file_bytes: u64,
    /// Entry fields every entry must have (its own, or from `defaults` or its include), e.g.
    /// `[requested_at, ticket]`: a missing one is an error at the entry.
    #[serde(default)]
    #[schemars(example = vec![RequiredField::RequestedAt, RequiredField::Ticket])]
    pub require: Vec<RequiredField>,
    /// How removals are approved.
    #[serde(default)]
    pub removals: RemovalsSpec,
    /// The audit ledger branch's chain, pinned here so a replaced branch is refused (`dnc
    /// apply`, `dnc verify`; docs/auditors.md).
    #[serde(default)]
    pub ledger: Option<LedgerSpec>,
    /// The company whose lists these are, named on reports.
    #[serde(default)]
    #[schemars(example = &"Acme Telemarketing LLC")]
    pub organization: Option<String>,
    /// The Convoso account the lists live in, named on reports.
    #[serde(default)]
    #[schemars(example = &"acme-prod")]
    pub account: Option<String>,
}

/// The ledger branch this repository's evidence lives on.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerSpec {
    /// SHA-256 (hex) of the chain's first line, as `dnc apply` prints it after the first push.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub root: String,
}

/// How removals are approved.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovalsSpec {
    /// Whether a tombstone's `approval` lets a removal over the safety limits or inside the
    /// retention period apply without `--allow-removals` / `--allow-early-removals`. In
    /// GitHub Actions the approver must have approved the pull request that merged it.
    #[serde(default)]
    pub approvals: ApprovalPolicy,
}

/// What a tombstone's `approval` counts for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalPolicy {
    /// Approvals are shown and recorded; only the apply flags lift the limits.
    #[default]
    Ignored,
    /// A removal whose approval is confirmed by the pull request's reviews applies without
    /// the flags.
    Accepted,
    /// As `accepted`, and every tombstone must carry an approval.
    Required,
}

/// An entry field a config can require (`number`, `scope` and `reason` always are).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequiredField {
    PhoneCode,
    Scope,
    Reason,
    Purpose,
    Ticket,
    RequestedAt,
    Source,
}

impl RequiredField {
    /// The field's key, as manifests write it.
    pub fn key(self) -> &'static str {
        match self {
            RequiredField::PhoneCode => "phone_code",
            RequiredField::Scope => "scope",
            RequiredField::Reason => "reason",
            RequiredField::Purpose => "purpose",
            RequiredField::Ticket => "ticket",
            RequiredField::RequestedAt => "requested_at",
            RequiredField::Source => "source",
        }
    }
}

/// A calendar day, YYYY-MM-DD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct DateText(#[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))] pub String);

/// Which holidays are not business days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HolidayCalendar {
    /// US federal holidays (5 U.S.C. 6103), observed on the nearest weekday.
    #[default]
    UsFederal,
    /// Only weekends (and `extra_holidays`).
    None,
}

pub const DEFAULT_HONOR_WITHIN: u32 = 10;
pub const DEFAULT_RETENTION_YEARS: u32 = 5;

fn default_honor_within() -> u32 {
    DEFAULT_HONOR_WITHIN
}

fn default_retention_years() -> u32 {
    DEFAULT_RETENTION_YEARS
}

fn default_max_file_bytes() -> u64 {
    super::files::DEFAULT_MAX_FILE_BYTES
}

fn example_config() -> serde_json::Value {
    serde_json::json!({
        "version": 1,
        "manifests": ["lists/*.yaml"],
        "phone_code": 1,
        "scopes": [
            {"scope": "global"},
            {"scope": 111, "name": "Sales Campaign"},
            {"scope": "purpose-type"}
        ],
        "reasons": ["DNC", "Customer Request"],
        "safety": {"max_removals": 25, "max_removal_percent": 5}
    })
}

/// One managed scope.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeSpec {
    /// `global`, `purpose-type`, or a campaign id.
    #[schemars(example = 111)]
    pub scope: ScopeRef,
    /// A readable name (e.g. the campaign's name in Convoso).
    #[serde(default)]
    #[schemars(example = &"Sales Campaign")]
    pub name: Option<String>,
    /// Remove remote entries in this scope that no manifest lists. Off by default: such
    /// entries are only reported.
    #[serde(default)]
    pub prune: bool,
    /// Removal limits for this scope alone, e.g. a higher percentage for a short list.
    #[serde(default)]
    pub safety: Option<ScopeSafetySpec>,
}

/// Removal limits for one scope. The plan-wide `max_removals` still applies.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeSafetySpec {
    /// Most removals in this scope in one plan.
    #[serde(default)]
    #[schemars(range(min = 0), example = 5)]
    pub max_removals: Option<u64>,
    /// Most removals as a percentage of this scope's remote entries, in place of the
    /// config's `max_removal_percent`.
    #[serde(default)]
    #[schemars(range(min = 0, max = 100), example = 50)]
    pub max_removal_percent: Option<f64>,
}

/// Safety limits for removals (tombstones plus prunes) in one plan.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SafetySpec {
    /// Most removals one plan may hold.
    #[serde(default = "default_max_removals")]
    #[schemars(range(min = 0))]
    pub max_removals: u64,
    /// Most removals, as a percentage of a scope's remote entries.
    #[serde(default = "default_max_removal_percent")]
    #[schemars(range(min = 0, max = 100))]
    pub max_removal_percent: f64,
}

pub const DEFAULT_MAX_REMOVALS: u64 = 25;
pub const DEFAULT_MAX_REMOVAL_PERCENT: f64 = 5.0;

fn default_max_removals() -> u64 {
    DEFAULT_MAX_REMOVALS
}

fn default_max_removal_percent() -> f64 {
    DEFAULT_MAX_REMOVAL_PERCENT
}

impl Default for SafetySpec {
    fn default() -> Self {
        SafetySpec {
            max_removals: DEFAULT_MAX_REMOVALS,
            max_removal_percent: DEFAULT_MAX_REMOVAL_PERCENT,
        }
    }
}

/// A manifest: numbers that must be on DNC lists, tombstones, and CSV includes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "dnc manifest", example = example_manifest())]
pub struct ManifestFile {
    /// Values for every entry, removal and include in this file that does not set its own.
    #[serde(default)]
    pub defaults: Option<Defaults>,
    /// Numbers that must be on a DNC list.
    #[serde(default)]
    pub entries: Vec<EntrySpec>,
    /// Tombstones: numbers that must leave a DNC list.
    #[serde(default)]
    pub removals: Vec<RemovalSpec>,
    /// CSV files of entries, relative to this manifest.
    #[serde(default)]
    pub include: Vec<IncludeSpec>,
}

fn example_manifest() -> serde_json::Value {
    serde_json::json!({
        "defaults": {"scope": "global", "phone_code": 1, "reason": "Customer Request"},
        "entries": [
            {"number": "(202) 555-0143", "ticket": "COMP-1234", "requested_at": "2026-03-01"},
            {"number": "+1 202-555-0178", "scope": 111, "reason": "DNC"}
        ],
        "removals": [
            {"number": "202-555-0199", "removal_reason": "Consent re-obtained in writing"}
        ],
        "include": [{"csv": "bulk/state-dnc.csv", "reason": "State DNC import"}]
    })
}

/// File-level defaults.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default)]
    pub scope: Option<ScopeRef>,
    #[serde(default)]
    #[schemars(range(min = 1, max = 999))]
    pub phone_code: Option<u16>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
}

/// An entry's fields in their canonical order: the CSV columns, and `dnc fmt`'s key order.
pub const ENTRY_FIELDS: [&str; 8] = [
    "number",
    "phone_code",
    "scope",
    "reason",
    "purpose",
    "ticket",
    "requested_at",
    "source",
];

/// A number that must be on a DNC list.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntrySpec {
    /// The number: `(202) 555-0143`, `+1 202-555-0143`, `2025550143`, ...
    #[schemars(example = &"(202) 555-0143")]
    pub number: PhoneText,
    /// Country calling code when the number has no `+` (overrides defaults and the config).
    #[serde(default)]
    #[schemars(range(min = 1, max = 999))]
    pub phone_code: Option<u16>,
    #[serde(default)]
    pub scope: Option<ScopeRef>,
    /// Why the number is on the list; required here or in `defaults`.
    #[serde(default)]
    #[schemars(example = &"Customer Request")]
    pub reason: Option<String>,
    #[serde(default)]
    #[schemars(example = &"TELEMKT")]
    pub purpose: Option<String>,
    /// Ticket or case id. Kept only in git.
    #[serde(default)]
    #[schemars(example = &"COMP-1234")]
    pub ticket: Option<String>,
    /// When the request was made: a date (YYYY-MM-DD) or an RFC 3339 date-time. The
    /// deadline to honor it counts from its day.
    #[serde(default)]
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}([Tt].*)?$"), example = &"2026-03-01")]
    pub requested_at: Option<String>,
    /// Where the request came from. Kept only in git.
    #[serde(default)]
    #[schemars(example = &"inbound call")]
    pub source: Option<String>,
}

/// A tombstone: the number must leave this scope's DNC list.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovalSpec {
    pub number: PhoneText,
    #[serde(default)]
    #[schemars(range(min = 1, max = 999))]
    pub phone_code: Option<u16>,
    #[serde(default)]
    pub scope: Option<ScopeRef>,
    /// Why the number may be dialed again.
    #[schemars(length(min = 1), example = &"Consent re-obtained in writing, COMP-1301")]
    pub removal_reason: String,
    /// Ticket or case id. Kept only in git.
    #[serde(default)]
    #[schemars(example = &"COMP-1234")]
    pub ticket: Option<String>,
    /// When the request was made: a date (YYYY-MM-DD) or an RFC 3339 date-time. The
    /// deadline to honor it counts from its day.
    #[serde(default)]
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}([Tt].*)?$"), example = &"2026-03-01")]
    pub requested_at: Option<String>,
    /// Where the request came from. Kept only in git.
    #[serde(default)]
    #[schemars(example = &"inbound call")]
    pub source: Option<String>,
    /// Who approved this removal, for removals that need approval (see the config's
    /// `removals.approvals`).
    #[serde(default)]
    pub approval: Option<ApprovalSpec>,
}

/// Who approved a removal, and the ticket that records it.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSpec {
    /// The approver's GitHub login: in GitHub Actions they must have approved the pull request.
    #[schemars(length(min = 1, max = 100), example = &"jdoe")]
    pub by: String,
    /// The ticket or case recording the approval.
    #[serde(default)]
    #[schemars(example = &"COMP-1301")]
    pub ticket: Option<String>,
}

/// A CSV file of entries. Header row; `number` required; optional columns
/// `phone_code, scope, reason, purpose, ticket, requested_at, source`. A file with other
/// column names (a CRM export) is read as it is through `columns`, `date_format` and
/// `ignore` / `ignore_other_columns`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludeSpec {
    /// Path relative to this manifest.
    #[schemars(example = &"bulk/state-dnc-2026q1.csv")]
    pub csv: String,
    #[serde(default)]
    pub scope: Option<ScopeRef>,
    #[serde(default)]
    #[schemars(range(min = 1, max = 999))]
    pub phone_code: Option<u16>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    /// The column that holds each entry field, where the header names it otherwise.
    #[serde(default)]
    pub columns: ColumnMap,
    /// How the `requested_at` column writes a day, in strftime notation (`%m/%d/%Y` for
    /// 03/01/2026). Absent: YYYY-MM-DD or an RFC 3339 date-time.
    #[serde(default)]
    #[schemars(length(min = 1), example = &"%m/%d/%Y")]
    pub date_format: Option<String>,
    /// Columns to skip (names, not fields); any other column dnc does not know is an error.
    #[serde(default)]
    #[schemars(example = vec!["First Name", "Last Name"])]
    pub ignore: Vec<String>,
    /// Skip every column that is neither a field nor mapped in `columns`.
    #[serde(default)]
    pub ignore_other_columns: bool,
}

/// Which CSV column holds each entry field. A field not named here is read from the column
/// named like it, if there is one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = example_columns())]
pub struct ColumnMap {
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub phone_code: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub ticket: Option<String>,
    #[serde(default)]
    pub requested_at: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

impl ColumnMap {
    /// The column named for each field, in [`ENTRY_FIELDS`] order.
    pub fn get(&self, field: &str) -> Option<&str> {
        match field {
            "number" => &self.number,
            "phone_code" => &self.phone_code,
            "scope" => &self.scope,
            "reason" => &self.reason,
            "purpose" => &self.purpose,
            "ticket" => &self.ticket,
            "requested_at" => &self.requested_at,
            "source" => &self.source,
            _ => &None,
        }
        .as_deref()
    }
}

fn example_columns() -> serde_json::Value {
    serde_json::json!({
        "number": "Phone Number",
        "requested_at": "Opt Out Date",
        "ticket": "Contact ID"
    })
}
