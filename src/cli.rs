//! Command-line definitions (clap derive). Behaviour lives in `commands`.

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "dnc",
    version,
    about = "Manage Convoso Do-Not-Call lists as code",
    after_help = examples::DNC
)]
pub struct Cli {
    /// When to color output (NO_COLOR is honoured under `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests against the schemas and the semantic rules.
    #[command(after_help = examples::VALIDATE)]
    Validate(ValidateArgs),
    /// Read the remote DNC lists and show what applying the manifests would change.
    #[command(after_help = examples::PLAN)]
    Plan(PlanArgs),
    /// Make the remote DNC lists match the manifests (or a saved plan), with an audit ledger.
    #[command(after_help = examples::APPLY)]
    Apply(ApplyArgs),
    /// First contact with an account: check the token, the answer shape and every scope,
    /// reading only.
    #[command(after_help = examples::PROBE)]
    Probe(ProbeArgs),
    /// Show the audit ledger: what was applied, when, by whom and why.
    #[command(after_help = examples::LEDGER)]
    Ledger(LedgerArgs),
    /// Write manifests from what the remote lists hold: adopt a list, or unmanaged drift.
    #[command(after_help = examples::IMPORT)]
    Import(ImportArgs),
    /// Show one number's timeline: its manifest history in git and the operations applied.
    #[command(after_help = examples::HISTORY)]
    History(HistoryArgs),
    /// Evidence for auditors over a period: requests, time to honor, removals (HTML, CSV, JSON).
    #[command(after_help = examples::REPORT)]
    Report(ReportArgs),
    /// Check that the ledger branch is whole, append-only, pinned and matches the manifests.
    #[command(after_help = examples::VERIFY)]
    Verify(VerifyArgs),
    /// Print the JSON Schemas of the config and manifest files.
    #[command(after_help = examples::SCHEMA)]
    Schema(SchemaArgs),
    /// Serve the Convoso DNC API on this machine, backed by SQLite.
    #[command(after_help = examples::SANDBOX)]
    Sandbox(SandboxArgs),
    /// Rewrite the manifests in the canonical layout, keeping comments and meaning.
    #[command(after_help = examples::FMT)]
    Fmt(FmtArgs),
    /// Print the shell completion script for dnc.
    #[command(after_help = examples::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print dnc's man page, or write one page per command into a directory.
    #[command(after_help = examples::MAN)]
    Man(ManArgs),
    // Everyday edits (issue 21): a new repository, one opt-out added, one removed.
    /// Start a new repository: a config, a manifest, .gitignore, the GitHub workflows.
    #[command(after_help = examples::INIT)]
    Init(InitArgs),
    /// Add numbers to a manifest, keeping its comments and layout.
    #[command(after_help = examples::ADD)]
    Add(AddArgs),
    /// Turn a number's entry into a tombstone (a removal) with the reason it may be called.
    #[command(after_help = examples::REMOVE)]
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to start in (created if missing); nothing in it is overwritten.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Country calling code for numbers written without `+` (1: USA and Canada).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=999))]
    pub phone_code: u16,
    /// A scope dnc manages: `global`, `purpose-type` or a campaign id (repeatable); the
    /// first is the manifest's default.
    #[arg(long = "scope", value_name = "SCOPE", value_parser = parse_scope, default_value = "global")]
    pub scopes: Vec<crate::entry::CampaignId>,
    /// The reasons entries may give (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "Customer Request,DNC")]
    pub reasons: Vec<String>,
}

/// What `add` and `remove` share: where the config is and how to print.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The root config file, or a directory holding `dnc.yaml`.
    #[arg(long, value_name = "CONFIG", default_value = "dnc.yaml")]
    pub config: PathBuf,
    /// The scope: `global`, `purpose-type` or a campaign id [default: the manifest's]
    #[arg(long, value_parser = parse_scope)]
    pub scope: Option<crate::entry::CampaignId>,
    /// The manifest to write in, relative to the config (a removed entry's tombstone stays in
    /// its own) [default: the first manifest whose `defaults` name the scope, else the first]
    #[arg(long, value_name = "FILE")]
    pub to: Option<PathBuf>,
    /// Ticket or case id, kept in git.
    #[arg(long)]
    pub ticket: Option<String>,
    /// Where the request came from, kept in git (`inbound call`, `email`, …).
    #[arg(long)]
    pub source: Option<String>,
    /// When the request was made: YYYY-MM-DD or an RFC 3339 date-time [default: today]
    #[arg(long, value_name = "WHEN")]
    pub requested_at: Option<String>,
    /// Country calling code for numbers written without `+` [default: the config's]
    #[arg(long)]
    pub phone_code: Option<u16>,
    /// How to print what was written: lines for people, or JSON.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The numbers, in any notation: `(202) 555-0143`, `+1 202-555-0143`, `2025550143`.
    #[arg(required_unless_present = "csv", value_name = "NUMBER")]
    pub numbers: Vec<String>,
    /// Why the numbers must not be called (one of the config's `reasons`, when it lists
    /// them); with --csv, for the rows without a reason column.
    #[arg(long)]
    pub reason: String,
    /// The purpose, when the entry applies to one.
    #[arg(long)]
    pub purpose: Option<String>,
    #[command(flatten)]
    pub csv: CsvArgs,
    #[command(flatten)]
    pub edit: EditArgs,
}

/// `dnc add --csv FILE`: the mapping a manifest's CSV include writes, as flags.
#[derive(Debug, Args)]
pub struct CsvArgs {
    /// Add every row of a CSV file (a CRM export as it is): each row is added, reported as
    /// already listed, or refused at its line. The flags give the other fields' defaults.
    #[arg(long, value_name = "FILE", conflicts_with = "numbers")]
    pub csv: Option<PathBuf>,
    /// With --csv: the column holding a field (repeatable), e.g. number="Phone Number".
    #[arg(long = "column", value_name = "FIELD=COLUMN", value_parser = parse_column, requires = "csv")]
    pub columns: Vec<(String, String)>,
    /// With --csv: how the `requested_at` column writes a day (strftime, e.g. %m/%d/%Y)
    /// [default: YYYY-MM-DD or an RFC 3339 date-time]
    #[arg(long, value_name = "FORMAT", requires = "csv")]
    pub date_format: Option<String>,
    /// With --csv: a column to skip (repeatable).
    #[arg(long, value_name = "COLUMN", requires = "csv")]
    pub ignore: Vec<String>,
    /// With --csv: skip every column that is neither a field nor mapped with --column.
    #[arg(long, requires = "csv")]
    pub ignore_other_columns: bool,
}

/// `FIELD=COLUMN` for `--column`, the field one of an entry's.
fn parse_column(text: &str) -> Result<(String, String), String> {
    let fields = crate::manifest::model::ENTRY_FIELDS;
    match text.split_once('=') {
        Some((field, column)) if fields.contains(&field.trim()) && !column.trim().is_empty() => {
            Ok((field.trim().to_string(), column.trim().to_string()))
        }
        Some((field, _)) if !fields.contains(&field.trim()) => Err(format!(
            "`{field}` is not an entry field: one of {}",
            fields.join(", ")
        )),
        _ => Err("write FIELD=COLUMN, e.g. number=\"Phone Number\"".into()),
    }
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The number, in any notation.
    pub number: String,
    /// Why the number may be called again (the tombstone's `removal_reason`).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub edit: EditArgs,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// The root config file, or a directory holding `dnc.yaml`.
    #[arg(value_name = "CONFIG", default_value = "dnc.yaml")]
    pub path: PathBuf,
    /// Change nothing; show the changes and exit 1 when a manifest is not formatted (for CI).
    #[arg(long)]
    pub check: bool,
    /// Print the changes as a diff.
    #[arg(long)]
    pub diff: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `dnc.1` and one page per command (`dnc-plan.1`, …) into this directory instead.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Human text, or JSON for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The root config file, or a directory holding `dnc.yaml`.
    #[arg(value_name = "CONFIG", default_value = "dnc.yaml")]
    pub path: PathBuf,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Treat well-formed but unassigned numbers as errors, not warnings.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    Human,
    Json,
    Github,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema to print.
    #[arg(value_enum, default_value_t = SchemaKind::Config)]
    pub kind: SchemaKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Config,
    Manifest,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port (the bound URL is printed first).
    #[arg(long, default_value = "127.0.0.1:4010")]
    pub listen: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, default_value = ".dnc/sandbox.db")]
    pub db: PathBuf,
    /// The auth token clients must send.
    #[arg(long, env = "DNC_SANDBOX_TOKEN", hide_env_values = true)]
    pub token: String,
    /// A campaign that exists on the emulated account (repeatable); 0 and -1 always exist.
    #[arg(long = "campaign", value_name = "ID=NAME", value_parser = parse_campaign)]
    pub campaigns: Vec<(i64, String)>,
    /// Accept only these reasons (comma-separated), as a restricted account does.
    #[arg(long, value_delimiter = ',')]
    pub reasons: Option<Vec<String>>,
    /// Accept only these purposes (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub purposes: Option<Vec<String>>,
    /// Share of requests (0 to 1) answered with a 5xx, for testing retries.
    #[arg(long = "fault-5xx", value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_5xx: f64,
    /// Share of requests (0 to 1) answered with 429 Too Many Requests.
    #[arg(long = "fault-429", value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_429: f64,
    /// The Retry-After seconds sent with an injected 429.
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    pub retry_after: u64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Seed of the fault generator: the same seed gives the same faults.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Answer in a shape seen in the wild instead of the documented one, for testing clients.
    #[arg(long, value_enum, default_value_t = crate::sandbox::Variant::Standard)]
    pub variant: crate::sandbox::Variant,
    /// The shape of search entries: the contract's (no reason or purpose echoed), or one
    /// recorded in public client code (see docs/api-shapes.md).
    #[arg(long, value_enum, default_value_t = crate::sandbox::Profile::Contract)]
    pub profile: crate::sandbox::Profile,
    /// The highest search offset accepted (the API's is 100000); lower it to test paging
    /// past the cap with a few thousand entries.
    #[arg(long, value_name = "N", default_value_t = crate::state::MAX_OFFSET)]
    pub max_offset: u64,
}

fn parse_campaign(s: &str) -> Result<(i64, String), String> {
    let (id, name) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not ID=NAME"))?;
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| format!("`{id}` is not a campaign id"))?;
    if id <= 0 {
        return Err(format!(
            "campaign {id} is built in; name campaigns with positive ids"
        ));
    }
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("campaign {id} needs a name"));
    }
    Ok((id, name.to_string()))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("`{s}` is not a rate between 0 and 1")),
    }
}

/// Where the DNC API is. With neither URL nor token, the embedded sandbox is used.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Convoso DNC API base URL, e.g. https://api.convoso.com/v1/ (empty means unset)
    #[arg(long, env = "DNC_API_URL", hide_env_values = true)]
    pub api_url: Option<String>,
    /// Read the auth token from this file instead of DNC_AUTH_TOKEN.
    #[arg(long)]
    pub auth_token_file: Option<PathBuf>,
    /// Use the embedded sandbox (required to do so under CI=true).
    #[arg(long)]
    pub sandbox: bool,
    /// Search requests in flight at once while reading remote state.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub read_concurrency: u16,
    /// Cap on API requests per second.
    #[arg(long)]
    pub max_rps: Option<NonZeroU32>,
    /// Seconds the API may keep failing before dnc stops retrying [default: 30]
    #[arg(long, env = "DNC_RETRY_BUDGET", hide_env_values = true, value_name = "SECS", value_parser = parse_budget)]
    pub retry_budget: Option<std::time::Duration>,
    /// For tests: the highest search offset the API accepts (a sandbox's `--max-offset`)
    #[arg(long, env = "DNC_API_MAX_OFFSET", hide = true, default_value_t = crate::state::MAX_OFFSET,
          value_parser = clap::value_parser!(u64).range(0..=crate::state::MAX_OFFSET))]
    pub api_max_offset: u64,
}

fn parse_budget(s: &str) -> Result<std::time::Duration, String> {
    crate::http::parse_seconds(s)
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The root config file, or a directory holding `dnc.yaml`.
    #[arg(value_name = "CONFIG", default_value = "dnc.yaml")]
    pub path: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Save the plan here for `dnc apply FILE`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Hide the middle digits of phone numbers in the output: +1 202-***-0143.
    #[arg(long, env = "DNC_MASK_NUMBERS", hide_env_values = true, value_parser = BoolishValueParser::new())]
    pub mask_numbers: bool,
    /// In a GitHub pull request, post the plan as one sticky comment per config, edited in place.
    #[arg(long, env = "DNC_COMMENT", hide_env_values = true, value_parser = BoolishValueParser::new())]
    pub comment: bool,
    /// Print how long each phase took (load, ledger, read, learn, diff, effects, render) to
    /// stderr.
    #[arg(long)]
    pub timings: bool,
    /// List every change: past 100 creates and updates, human and markdown output list the
    /// first of each scope and count the rest.
    #[arg(long)]
    pub full: bool,
    /// The ledger that says what dnc last applied, for reasons and purposes the API does not
    /// show [default: .dnc/ledger.jsonl beside the config]
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Also read what was applied from this branch or ref of the manifests' repository
    /// (e.g. origin/dnc-ledger).
    #[arg(long, value_name = "REV")]
    pub ledger_branch: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Human,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The root config (or a directory holding `dnc.yaml`), or a plan saved by `dnc plan --out`.
    #[arg(value_name = "CONFIG", default_value = "dnc.yaml")]
    pub path: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Operations in flight at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Accept a plan that breaches the safety limits by naming its exact number of removals.
    #[arg(long, value_name = "COUNT")]
    pub allow_removals: Option<u64>,
    /// The audit ledger (JSON Lines) to append to [default: .dnc/ledger.jsonl beside the config]
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Also append this run's ledger lines to this branch of the manifests' repository and
    /// push it (e.g. dnc-ledger; see docs/auditors.md).
    #[arg(long, value_name = "BRANCH")]
    pub ledger_branch: Option<String>,
    /// The remote --ledger-branch is pushed to.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub ledger_remote: String,
    /// Accept removals of entries requested less than `retention_years` ago by naming their
    /// exact number.
    #[arg(long, value_name = "COUNT")]
    pub allow_early_removals: Option<u64>,
    /// Hide the middle digits of phone numbers in the printed plan.
    #[arg(long)]
    pub mask_numbers: bool,
    /// Print every change of the plan: past 100 creates and updates, the first of each scope
    /// are listed and the rest counted.
    #[arg(long)]
    pub full: bool,
    /// How to print the result: the plan and a summary, or JSON (each operation's outcome and
    /// the summary; the plan is not printed).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The root config file, or a directory holding `dnc.yaml`.
    #[arg(value_name = "CONFIG", default_value = "dnc.yaml")]
    pub path: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
    /// How to print the report (json: `format_version` 1).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(flatten)]
    pub sources: EvidenceArgs,
    /// Only this number (any notation).
    #[arg(long)]
    pub number: Option<String>,
    /// Country calling code for --number written without `+`.
    #[arg(long, default_value_t = 1)]
    pub phone_code: u16,
    /// Only operations on or after this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub since: Option<chrono::NaiveDate>,
    /// Only operations on or before this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub until: Option<chrono::NaiveDate>,
    /// How to print the operations: an aligned table, CSV for spreadsheets, or JSON.
    #[arg(long, value_enum, default_value_t = LedgerFormat::Table)]
    pub format: LedgerFormat,
    /// Append the file's lines to this branch on --remote and push it (lines already there
    /// are skipped), instead of printing.
    #[arg(long, value_name = "BRANCH", conflicts_with = "ledger_branch")]
    pub push_to: Option<String>,
    /// The remote --push-to pushes to.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The root config file, or a directory holding `dnc.yaml`.
    #[arg(value_name = "CONFIG", default_value = "dnc.yaml")]
    pub path: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
    /// A scope to import: `global`, `purpose-type` or a campaign id (repeatable)
    /// [default: every managed scope]
    #[arg(long = "scope", value_name = "SCOPE", value_parser = parse_scope)]
    pub scopes: Vec<crate::entry::CampaignId>,
    /// Import only the entries no manifest names yet (adopt unmanaged drift).
    #[arg(long)]
    pub only_unmanaged: bool,
    /// A directory (one manifest per scope) or a .yaml file (one manifest for all), relative
    /// to the config [default: the directory of the first `manifests` glob that matches]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Above this many entries, a manifest keeps its entries in an included CSV file.
    #[arg(long, value_name = "N", default_value_t = crate::import::DEFAULT_CSV_THRESHOLD)]
    pub csv_threshold: usize,
    /// The reason to write for entries that have none in Convoso (the plan will then set it);
    /// without it such entries are not imported.
    #[arg(long, value_name = "TEXT")]
    pub blank_reason: Option<String>,
    /// Replace files that already exist.
    #[arg(long)]
    pub force: bool,
    /// How to print the result: a summary, or JSON (the files written and the counts per scope).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

fn parse_scope(s: &str) -> Result<crate::entry::CampaignId, String> {
    crate::manifest::model::ScopeRef::parse(s)
        .map(|r| r.campaign_id())
        .ok_or_else(|| format!("`{s}` is not a scope: use global, purpose-type or a campaign id"))
}

/// Where `history` and `report` read the manifests' history and the ledger.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The root config file, or a directory holding `dnc.yaml`.
    #[arg(value_name = "CONFIG", default_value = "dnc.yaml")]
    pub config: PathBuf,
    /// The audit ledger [default: .dnc/ledger.jsonl beside the config]
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Read the ledger from this git branch or ref (e.g. origin/dnc-ledger) instead.
    #[arg(long, value_name = "REF", conflicts_with = "ledger")]
    pub ledger_branch: Option<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The number, in any notation: `(202) 555-0143`, `+1 202-555-0143`, `2025550143`.
    pub number: String,
    #[command(flatten)]
    pub sources: EvidenceArgs,
    /// Country calling code for a number written without `+` [default: the config's]
    #[arg(long)]
    pub phone_code: Option<u16>,
    /// How to print the timeline (json: `events`, each with its `event` kind, `time`, scope and
    /// the commit or the applied operation).
    #[arg(long, value_enum, default_value_t = HistoryFormat::Human)]
    pub format: HistoryFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LedgerFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub sources: EvidenceArgs,
    /// First day of the period (YYYY-MM-DD) [default: 90 days before --until]
    #[arg(long)]
    pub since: Option<chrono::NaiveDate>,
    /// Last day of the period (YYYY-MM-DD) [default: today]
    #[arg(long)]
    pub until: Option<chrono::NaiveDate>,
    /// One self-contained HTML page, the rows as CSV, or everything as JSON.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// Show numbers in full (they are masked by default: +1 202-***-0143).
    #[arg(long)]
    pub unmask: bool,
    /// Write the report to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The root config file, or a directory holding `dnc.yaml` (its `ledger.root` is the pin).
    #[arg(value_name = "CONFIG", default_value = "dnc.yaml")]
    pub config: PathBuf,
    /// The ledger branch or ref to verify (fetch it first).
    #[arg(long, value_name = "REF", default_value = "origin/dnc-ledger")]
    pub ledger_branch: String,
    /// The manifests' branch the applied commits must be on.
    #[arg(long, value_name = "REF", default_value = "HEAD")]
    pub manifests: String,
    /// How to print the result: findings for people, or JSON (`format_version`, `findings`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Csv,
    Json,
}

/// Each command's `Examples:`, shown after its `--help` and as its man page's EXAMPLES: a
/// `#` line says what the command under it does. `examples` is this repository's example
/// config; elsewhere the config defaults to `dnc.yaml` in the current directory.
mod examples {
    pub const DNC: &str = "\
Examples:
  # Start a repository, add an opt-out, check it and see what applying would change
  dnc init
  dnc add \"(202) 555-0143\" --reason \"Customer Request\"
  dnc validate
  dnc plan

  # Plan this repository's example manifests against the embedded sandbox
  dnc plan examples

  # Read one command's help and examples
  dnc help apply";

    pub const VALIDATE: &str = "\
Examples:
  # Check the example config and every manifest it names
  dnc validate examples

  # Annotate a pull request's files in GitHub Actions
  dnc validate --format github

  # Refuse unassigned numbers too, not only warn
  dnc validate --strict";

    pub const PLAN: &str = "\
Examples:
  # Plan the example manifests against the embedded sandbox
  dnc plan examples

  # Against a real account, saving the plan for review and `dnc apply plan.json`
  export DNC_API_URL=https://api.convoso.com/v1/
  dnc plan --auth-token-file ~/.convoso-token --out plan.json

  # Exit 2 when the live lists drifted, reading what was applied from the ledger branch
  dnc plan --detailed-exitcode --ledger-branch origin/dnc-ledger";

    pub const APPLY: &str = "\
Examples:
  # Apply the example manifests to the embedded sandbox, accepting their one early removal
  dnc apply examples --yes --allow-removals 1 --allow-early-removals 1

  # Apply a saved plan, only while it is still true
  dnc apply plan.json --yes

  # Also record the ledger on the dnc-ledger branch and push it
  dnc apply --yes --ledger-branch dnc-ledger";

    pub const PROBE: &str = "\
Examples:
  # Before the first plan against a real account: searches only, never a write
  export DNC_API_URL=https://api.convoso.com/v1/
  dnc probe --auth-token-file ~/.convoso-token

  # The same report for scripts
  dnc probe --auth-token-file ~/.convoso-token --format json";

    pub const LEDGER: &str = "\
Examples:
  # What was applied to one number, from the example config's ledger
  dnc ledger examples --number \"(202) 555-0143\"

  # Everything applied since January, from the ledger branch, for a spreadsheet
  dnc ledger --ledger-branch origin/dnc-ledger --since 2026-01-01 --format csv

  # Record a ledger file that an apply could not push
  dnc ledger --ledger ledger.jsonl --push-to dnc-ledger";

    pub const IMPORT: &str = "\
Examples:
  # Adopt what the remote lists hold: one manifest per managed scope
  dnc import

  # Write manifests only for the remote entries no manifest names yet
  dnc import --only-unmanaged --out lists/adopted.yaml

  # One scope, giving entries without a reason in Convoso one
  dnc import --scope 111 --blank-reason \"Customer Request\"";

    pub const HISTORY: &str = "\
Examples:
  # One number's timeline in the example manifests
  dnc history 202.555.0111 examples

  # The same, with what was applied read from the ledger branch
  dnc history \"+1 202-555-0143\" --ledger-branch origin/dnc-ledger";

    pub const REPORT: &str = "\
Examples:
  # The first quarter's evidence as one HTML page
  dnc report --since 2026-01-01 --until 2026-03-31 --out report.html

  # The last 90 days' rows for a spreadsheet, from the ledger branch
  dnc report --ledger-branch origin/dnc-ledger --format csv --out report.csv";

    pub const VERIFY: &str = "\
Examples:
  # Check the ledger branch as an auditor would
  git fetch origin dnc-ledger
  dnc verify --ledger-branch origin/dnc-ledger

  # The findings for scripts
  dnc verify --format json";

    pub const SCHEMA: &str = "\
Examples:
  # Write the schemas editors check the files with
  dnc schema config > schema/config.schema.json
  dnc schema manifest > schema/manifest.schema.json";

    pub const SANDBOX: &str = "\
Examples:
  # An account with one campaign, on the default address
  dnc sandbox --db dnc.db --token T --campaign 111=Sales

  # Test retries: a tenth of the requests fail with a 5xx, the same ones on every run
  dnc sandbox --listen 127.0.0.1:0 --token T --fault-5xx 0.1 --seed 7";

    pub const FMT: &str = "\
Examples:
  # Rewrite the manifests in the canonical layout
  dnc fmt

  # In CI: exit 1 with a diff when a manifest is not formatted
  dnc fmt --check";

    pub const COMPLETIONS: &str = "\
Examples:
  dnc completions bash > ~/.local/share/bash-completion/completions/dnc
  dnc completions zsh > ~/.zfunc/_dnc";

    pub const MAN: &str = "\
Examples:
  # Read dnc's man page
  dnc man | man -l -

  # Install every page where man finds them
  dnc man --out ~/.local/share/man/man1";

    pub const INIT: &str = "\
Examples:
  # Start in the current directory
  dnc init

  # Start in dnc-lists, managing the global list and campaign 111
  dnc init dnc-lists --scope global --scope 111 --reasons \"Customer Request,DNC,Litigator\"";

    pub const ADD: &str = "\
Examples:
  # One opt-out, with where it came from
  dnc add \"(202) 555-0143\" --reason \"Customer Request\" --ticket CS-1234 --source \"inbound call\"

  # Two numbers for campaign 111 only
  dnc add +1-202-555-0144 2025550145 --reason DNC --scope 111

  # A CRM export as it is, its columns mapped
  dnc add --csv opt-outs.csv --reason DNC --column \"number=Phone Number\" --ignore-other-columns";

    pub const REMOVE: &str = "\
Examples:
  # The customer consented again: the entry becomes a tombstone with the reason
  dnc remove \"(202) 555-0143\" --reason \"Consent given again\" --ticket CS-1300";
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::{CommandFactory, Parser};

    /// Every command shows examples, each `dnc` line among them is one of that command's and
    /// parses: a renamed flag or a wrong value fails here, not in a reader's shell.
    #[test]
    fn every_command_has_examples_that_parse() {
        let root = Cli::command();
        let commands = std::iter::once(("", &root))
            .chain(root.get_subcommands().map(|c| (c.get_name(), c)))
            .filter(|(_, c)| !c.is_hide_set());
        for (name, command) in commands {
            let help = command.get_after_help().map(ToString::to_string);
            let help = help.unwrap_or_else(|| panic!("`dnc {name}` shows no examples"));
            let body = help
                .strip_prefix("Examples:\n")
                .unwrap_or_else(|| panic!("`dnc {name}`: {help}"));
            let mut lines = 0;
            for line in body.lines() {
                // Help is wrapped at 100 columns: a longer line would not paste as one.
                assert!(line.chars().count() <= 100, "`dnc {name}` wraps: {line}");
                let line = line.trim();
                let words = shlex::split(line).unwrap_or_else(|| panic!("{line}"));
                if words.first().map(String::as_str) != Some("dnc") {
                    continue;
                }
                // What the shell does with the output is not dnc's.
                let words: Vec<_> = words
                    .into_iter()
                    .take_while(|w| w != ">" && w != "|")
                    .collect();
                if !name.is_empty() {
                    assert_eq!(
                        words[1], name,
                        "`dnc {name}` shows an example of another command"
                    );
                }
                if let Err(e) = Cli::try_parse_from(&words) {
                    assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{line}: {e}");
                }
                lines += 1;
            }
            assert!(lines > 0, "`dnc {name}` shows no dnc command");
        }
    }
}
