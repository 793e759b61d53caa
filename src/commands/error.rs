//! The commands' own errors: input a user gave on the command line, or a config that does
//! not load. Each has a stable code and, where there is something to do, help.

use crate::entry::CampaignId;
use crate::state::ReadError;
use miette::{NamedSource, SourceSpan};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CommandError {
    #[error("the config is invalid; fix the errors above first")]
    #[diagnostic(code(dnc::config::invalid))]
    InvalidConfig,
    #[error("the probe could not read every managed scope:\n  - {scopes}")]
    #[diagnostic(
        code(dnc::probe::scopes),
        help(
            "a scope that does not exist is a campaign id this account lacks: fix `scopes` in \
             the config, or check that DNC_API_URL and the token belong to the right account"
        )
    )]
    ProbeScopes { scopes: String },
    #[error("the manifests are invalid; fix the errors above (dnc validate shows them too)")]
    #[diagnostic(code(dnc::manifest::invalid))]
    InvalidManifests,
    #[error("the config or manifests are invalid; fix the errors above first")]
    #[diagnostic(code(dnc::manifest::invalid))]
    InvalidConfigOrManifests,
    #[error("{0}")]
    #[diagnostic(
        code(dnc::number::argument),
        help("write the number with `+` and its country code, or pass --phone-code")
    )]
    Number(crate::phone::PhoneError),
    #[error("--number: {0}")]
    #[diagnostic(
        code(dnc::number::argument),
        help("write the number with `+` and its country code, or pass --phone-code")
    )]
    NumberFlag(crate::phone::PhoneError),
    #[error("{refused} manifest(s) could not be formatted safely and were left as they are")]
    #[diagnostic(
        code(dnc::fmt::refused),
        help("fix what is named above by hand, then run dnc fmt again")
    )]
    FmtRefused { refused: usize },
    #[error("{scope} is not a scope this config manages")]
    #[diagnostic(
        code(dnc::import::unknown_scope),
        help("managed scopes: {managed}; add it to `scopes` in the config first")
    )]
    ImportScope { scope: CampaignId, managed: String },
    #[error("writing the import under {}: {reason}", root.display())]
    #[diagnostic(
        code(dnc::import::write),
        help("check that the output directory is writable; nothing was written")
    )]
    ImportWrite { root: PathBuf, reason: String },
    #[error("`{}` is a ledger, not a config: `dnc ledger` takes the config, like every command", path.display())]
    #[diagnostic(
        code(dnc::ledger::not_a_config),
        help("run `dnc ledger --ledger {}`", path.display())
    )]
    LedgerNotConfig { path: PathBuf },
    #[error("recording the ledger on {branch}: {reason}")]
    #[diagnostic(
        code(dnc::ledger::push),
        help("check that the remote is reachable and the token may push to {branch}")
    )]
    LedgerPush { branch: String, reason: String },
    #[error("--since {since} is after --until {until}: the period is empty")]
    #[diagnostic(code(dnc::report::period), help("give a --since on or before --until"))]
    EmptyPeriod { since: String, until: String },
    /// The ledger a report reads, with the history's codes and help.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Report(crate::history::HistoryError),
    #[error("{error}")]
    #[diagnostic(
        code(dnc::config::unknown_scope),
        help(
            "remove the scope from the config, or check that DNC_API_URL and the token belong to the account that has it"
        )
    )]
    UnknownScope {
        error: ReadError,
        #[source_code]
        config: NamedSource<String>,
        #[label("not a campaign of this account")]
        at: Option<SourceSpan>,
    },
    #[error("{which} did not read every managed scope completely; {consequence}:\n  - {scopes}")]
    #[diagnostic(
        code(dnc::plan::incomplete),
        help(
            "fix what kept each read from completing (or wait out the API's trouble) and plan again"
        )
    )]
    Incomplete {
        which: &'static str,
        consequence: &'static str,
        scopes: String,
    },
    #[error(
        "INCOMPLETE: no scope could be read, so {which} compares nothing; {consequence}:\n  - {scopes}"
    )]
    #[diagnostic(code(dnc::plan::unreadable), help("{help}"))]
    Unreadable {
        which: &'static str,
        consequence: &'static str,
        scopes: String,
        help: &'static str,
    },
    #[error("{0}")]
    #[diagnostic(
        code(dnc::plan::overdue),
        help("apply the manifests now; the ledger records when each entry took effect")
    )]
    Overdue(String),
    #[error("DNC_TODAY is {value:?}, which is not a day")]
    #[diagnostic(
        code(dnc::env::today),
        help(
            "set DNC_TODAY to a date as YYYY-MM-DD (e.g. 2026-03-09), or unset it to count to today (UTC)"
        )
    )]
    Today { value: String },
    #[error("cannot write the output: {reason}")]
    #[diagnostic(
        code(dnc::output::write),
        help(
            "check that the disk or device the output goes to has room and accepts writes; the output is incomplete"
        )
    )]
    Output { reason: String },
    /// The reader of stdout went away (`dnc plan | head`): dnc ends with exit 1 and says
    /// nothing more, since no one reads it.
    #[error("the reader of the output went away")]
    Closed,
    #[error("cannot read {}", path.display())]
    #[diagnostic(
        code(dnc::file::unreadable),
        help("check that the file exists and is readable")
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    #[diagnostic(
        code(dnc::file::unwritable),
        help("check that the directory exists and is writable, and that the disk has room")
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    // `dnc init`, `dnc add`, `dnc remove` and a missing config (issue 21).
    #[error("no dnc config at {}", tried.display())]
    #[diagnostic(code(dnc::config::not_found), help("{hint}"))]
    NoConfig { tried: PathBuf, hint: String },
    #[error("{} already exists; dnc init writes nothing over an existing file", path.display())]
    #[diagnostic(
        code(dnc::init::exists),
        help(
            "run dnc init in a new or empty directory, or move the file away; nothing was written"
        )
    )]
    InitExists { path: PathBuf },
    #[error("the result would be invalid; nothing was written")]
    #[diagnostic(
        code(dnc::edit::invalid),
        help(
            "fix what is named above (a reason the config allows, a scope it manages, …) and run the command again"
        )
    )]
    EditInvalid,
    #[error("{file} cannot be read with this mapping; nothing was written")]
    #[diagnostic(
        code(dnc::add::csv),
        help(
            "map a column to a field with --column FIELD=COLUMN (number=\"Phone Number\"), skip one with --ignore COLUMN or all others with --ignore-other-columns, give --date-format for dates like 03/01/2026"
        )
    )]
    CsvUnreadable { file: String },
    #[error("{file} cannot be edited in place: {why}")]
    #[diagnostic(code(dnc::edit::layout), help("{fix}"))]
    EditLayout {
        file: String,
        why: &'static str,
        fix: &'static str,
    },
    #[error("`{}` is not a manifest of this config", to.display())]
    #[diagnostic(
        code(dnc::edit::not_a_manifest),
        help(
            "name a YAML file the config's `manifests` patterns match ({patterns}), relative to the config"
        )
    )]
    NotAManifest { to: PathBuf, patterns: String },
    #[error("the config's manifests ({patterns}) match no file to write in")]
    #[diagnostic(
        code(dnc::edit::no_manifest),
        help("pass --to FILE, a YAML file those patterns match (it is created)")
    )]
    NoManifest { patterns: String },
    #[error("no scope for {number}: {file} has no `defaults: {{scope: …}}`")]
    #[diagnostic(
        code(dnc::edit::no_scope),
        help("pass --scope global, purpose-type or a campaign id")
    )]
    NoScope { number: String, file: String },
    #[error("--requested-at {value:?} is not a date")]
    #[diagnostic(
        code(dnc::edit::requested_at),
        help(
            "write the day (2026-03-01) or the moment with its offset (2026-03-01T14:30:00-05:00)"
        )
    )]
    RequestedAt { value: String },
    #[error("{number} ({scope}) has a tombstone at {at}: it was removed on purpose")]
    #[diagnostic(
        code(dnc::add::removed),
        help(
            "delete that tombstone first (its removal reason says why it was written), then add the number again"
        )
    )]
    AddRemoved {
        number: String,
        scope: CampaignId,
        at: String,
    },
    #[error(
        "{number} ({scope}) is a row of the CSV file {at}; dnc remove edits YAML manifests only"
    )]
    #[diagnostic(
        code(dnc::remove::in_csv),
        help(
            "delete that row from {file}, then run the same dnc remove again: it writes the tombstone"
        )
    )]
    RemoveInCsv {
        number: String,
        scope: CampaignId,
        at: String,
        file: String,
    },
    #[error("{number} is listed in several scopes: {places}")]
    #[diagnostic(
        code(dnc::remove::ambiguous),
        help("pass --scope to say which one to remove")
    )]
    RemoveAmbiguous { number: String, places: String },
}

impl CommandError {
    /// For `map_err`: an I/O failure reading `path`.
    pub fn read(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CommandError + '_ {
        move |source| CommandError::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// For `map_err`: an I/O failure writing stdout (or stderr); a closed pipe is `Closed`.
    pub fn output(e: std::io::Error) -> CommandError {
        match e.kind() {
            std::io::ErrorKind::BrokenPipe => CommandError::Closed,
            _ => CommandError::Output {
                reason: e.to_string(),
            },
        }
    }

    /// For `map_err`: an I/O failure writing `path`.
    pub fn write(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CommandError + '_ {
        move |source| CommandError::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}
