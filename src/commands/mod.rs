//! One module per subcommand; `run` dispatches and returns the process exit code.

/// `print!` that returns the write's result as the command's error (see [`print`]).
macro_rules! stdout {
    ($($arg:tt)*) => { $crate::commands::print(format!($($arg)*)) };
}
/// `println!` that returns the write's result as the command's error.
macro_rules! stdoutln {
    ($($arg:tt)*) => { $crate::commands::print(format!($($arg)*) + "\n") };
}
/// `eprint!` that returns the write's result as the command's error (see [`eprint`]).
macro_rules! stderr {
    ($($arg:tt)*) => { $crate::commands::eprint(format!($($arg)*)) };
}
/// `eprintln!` that returns the write's result as the command's error.
macro_rules! stderrln {
    ($($arg:tt)*) => { $crate::commands::eprint(format!($($arg)*) + "\n") };
}

mod apply;
mod completions;
mod drift;
mod error;
mod fmt;
mod history;
mod import;
mod ledger;
mod man;
mod plan;
mod probe;
mod progress;
mod report;
mod sandbox;
mod schema;
mod signal;
mod trail;
mod validate;
mod verify;
// Everyday edits (issue 21).
mod add;
mod add_csv;
mod edit;
mod init;
mod remove;

pub use error::CommandError;

use crate::cli::{Cli, ColorChoice, Command, TargetArgs};
use crate::entry::CampaignId;
use crate::exit::Exit;
use crate::github::{self, GithubContext};
use crate::http::RetryPolicy;
use crate::manifest::{self, Config, Desired};
use crate::plan::Plan;
use crate::state::{self, ReadError, ReadOptions};
use crate::target::{Target, TargetError};
use chrono::NaiveDate;
use miette::{IntoDiagnostic, NamedSource, Result, SourceSpan};
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// Whether stdout and stderr get color, decided once from `--color`, NO_COLOR and terminals.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub color: bool,
    pub color_err: bool,
}

impl Output {
    fn new(choice: ColorChoice) -> Output {
        let auto = |tty: bool| tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        match choice {
            ColorChoice::Always => Output {
                color: true,
                color_err: true,
            },
            ColorChoice::Never => Output {
                color: false,
                color_err: false,
            },
            ColorChoice::Auto => Output {
                color: auto(std::io::stdout().is_terminal()),
                color_err: auto(std::io::stderr().is_terminal()),
            },
        }
    }
}

/// Makes the final error report follow `--color` and NO_COLOR like every other output.
pub fn color_reports(choice: ColorChoice) {
    let color = Output::new(choice).color_err;
    // Fails only when a hook is already set, which leaves that hook's choice in place.
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(miette::MietteHandlerOpts::new().color(color).build())
    }));
}

/// Writes `text` to stdout: every command prints through here or [`eprint`].
fn print(text: impl AsRef<[u8]>) -> Result<()> {
    Ok(crate::output::stdout(text).map_err(CommandError::output)?)
}

/// Writes `text` to stderr.
fn eprint(text: impl AsRef<[u8]>) -> Result<()> {
    Ok(crate::output::stderr(text).map_err(CommandError::output)?)
}

/// Shows the error a command ended with, and how dnc exits: after a closed pipe there is no
/// one to tell, and a report that cannot be written has nowhere else to go.
pub fn report(report: &miette::Report) -> Exit {
    if !matches!(report.downcast_ref(), Some(CommandError::Closed)) {
        let _ = crate::output::stderr(format!("{report:?}\n"));
    }
    Exit::Error
}

pub fn run(cli: Cli) -> Result<Exit> {
    progress::show_on_stderr();
    git_token();
    let out = Output::new(cli.color);
    let in_workflow = matches!(
        cli.command,
        Command::Validate(_) | Command::Plan(_) | Command::Apply(_)
    );
    let result = fixed_today()
        .map_err(|value| CommandError::Today { value }.into())
        .and_then(|_| dispatch(cli.command, out));
    if in_workflow {
        step_output_exitcode(result.as_ref().map_or(Exit::Error, |e| *e))?;
    }
    result
}

/// Today (UTC), or the day `DNC_TODAY` names (YYYY-MM-DD): a fixed day makes plans and
/// reports reproducible. `run` calls `fixed_today` first, so a `DNC_TODAY` that names no
/// day is refused rather than quietly replaced by the clock.
pub(crate) fn today() -> NaiveDate {
    fixed_today()
        .ok()
        .flatten()
        .unwrap_or_else(|| chrono::Utc::now().date_naive())
}

/// The day `DNC_TODAY` names; `None` when it is unset or empty, its text when it names no day.
fn fixed_today() -> Result<Option<NaiveDate>, String> {
    let Some(raw) = std::env::var_os("DNC_TODAY") else {
        return Ok(None);
    };
    let text = raw.to_string_lossy();
    let day = text.trim();
    if day.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| text.into_owned())
}

/// The API `args` and the environment name (`DNC_AUTH_TOKEN`, `CI`, the retry variables).
fn target(args: &TargetArgs) -> std::result::Result<Target, TargetError> {
    let env = |name: &str| std::env::var(name).ok();
    let retry = RetryPolicy::for_command(args.retry_budget, env)
        .map_err(|(name, reason)| TargetError::BadEnv { name, reason })?;
    Ok(Target {
        api_url: args.api_url.clone(),
        token_file: args.auth_token_file.clone(),
        // An empty variable is unset: workflows pass "" for inputs left blank.
        token: env("DNC_AUTH_TOKEN")
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().into()),
        sandbox: args.sandbox,
        in_ci: env("CI").is_some_and(|v| v == "true" || v == "1"),
        retry,
        max_rps: args.max_rps,
        api_max_offset: args.api_max_offset,
    })
}

/// `DNC_GIT_TOKEN` (an Action's token) for every git call to the job's server.
fn git_token() {
    if let Some(token) = std::env::var("DNC_GIT_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        crate::git::authenticate(crate::git::Auth {
            token,
            server: std::env::var("GITHUB_SERVER_URL").unwrap_or("https://github.com".into()),
        });
    }
}

fn dispatch(command: Command, out: Output) -> Result<Exit> {
    match command {
        Command::Validate(args) => validate::run(args, out),
        Command::Plan(args) => plan::run(args, out),
        Command::Apply(args) => apply::run(args, out),
        Command::Probe(args) => probe::run(args, out),
        Command::Ledger(args) => ledger::run(args),
        Command::Import(args) => import::run(args, out),
        Command::History(args) => history::run(args),
        Command::Report(args) => report::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Fmt(args) => fmt::run(args, out),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Init(args) => init::run(args),
        Command::Add(args) => match &args.csv.csv {
            Some(csv) => add_csv::run(&args, csv, out),
            None => add::run(args, out),
        },
        Command::Remove(args) => remove::run(args, out),
    }
}

/// Prints a failed parse (a usage error, or `--help`/`--version`) and how it exits: clap's own
/// code for usage errors is 2, which means "changes" here, so they exit 1 and, inside GitHub
/// Actions, say so in the step output `exitcode` like any other failure.
pub fn usage_error(e: &clap::Error) -> Exit {
    let _ = e.print();
    let exit = Exit::error_if(e.use_stderr());
    if exit == Exit::Error
        && let Err(e) = step_output_exitcode(exit)
    {
        return report(&e);
    }
    exit
}

/// Inside GitHub Actions, the exit code becomes the step output `exitcode`.
fn step_output_exitcode(exit: Exit) -> Result<()> {
    if let Some(path) = GithubContext::from_env()?
        .as_ref()
        .and_then(|ctx| ctx.output())
    {
        github::write_outputs(path, &[("exitcode", &exit.code().to_string())])?;
    }
    Ok(())
}

/// Fails only when the OS refuses threads or an event loop: nothing a user can fix here.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .into_diagnostic()
}

/// Fails with the path tried, and what to run instead, when there is no config at `path`
/// (a config file, or a directory holding `dnc.yaml`).
fn config_exists(path: &Path) -> Result<()> {
    let tried = manifest::config_file(path);
    if tried.exists() {
        return Ok(());
    }
    let tried = std::path::absolute(&tried).unwrap_or(tried);
    let dir = tried.parent().unwrap_or(Path::new("."));
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("dnc.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let hint = match found.as_slice() {
        [] => "run `dnc init` to start one here, or pass the config file or the directory that holds it".to_string(),
        some => format!(
            "pass the directory that holds it, e.g. `{}` (a path argument, or --config for add and remove), or run `dnc init` to start one here",
            some.join("`, `")
        ),
    };
    Err(CommandError::NoConfig { tried, hint }.into())
}

/// Loads the manifests, prints any diagnostics to stderr, and fails when there are errors:
/// nothing is planned or applied from invalid manifests. The desired set is shared with the
/// read, which may look its numbers up (see [`read_options`]).
fn load_valid(path: &Path, out: Output) -> Result<(Config, Arc<Desired>)> {
    config_exists(path)?;
    let loaded = manifest::load(path, false);
    if !loaded.diagnostics.items.is_empty() {
        eprint(manifest::render_human(&loaded.diagnostics, out.color_err))?;
    }
    match loaded.config {
        Some(config) if !loaded.has_errors() => Ok((config, Arc::new(loaded.desired))),
        Some(_) => Err(CommandError::InvalidManifests.into()),
        None => Err(CommandError::InvalidConfig.into()),
    }
}

/// How to read the remote lists: the target's concurrency, the manifests' phone codes, and
/// the numbers each scope wants (looked up one by one where a scope cannot be paged through).
fn read_options(target: &TargetArgs, desired: &Arc<Desired>) -> ReadOptions {
    ReadOptions {
        concurrency: target.read_concurrency.into(),
        phone_codes: phone_codes(desired),
        wanted: manifest::WantedNumbers::new(desired.clone()),
        max_offset: target.api_max_offset,
        ..ReadOptions::default()
    }
}

/// What dnc last applied, per the ledger `file` (default `.dnc/ledger.jsonl` beside the
/// config) and the ledger branch's `records`: the values the API may not echo.
fn applied(
    root: &Path,
    file: Option<&Path>,
    records: Vec<crate::ledger::Record>,
) -> Result<crate::known::Applied, crate::known::AppliedError> {
    let place = crate::ledger::Place::of(root, file);
    Ok(crate::known::Applied::load(place.path(), records)?)
}

/// A read that stopped the command, as a diagnostic; an unknown scope points at its line in
/// the config.
fn read_failed(error: ReadError, config_path: &Path) -> miette::Report {
    let ReadError::UnknownScope { scope, .. } = &error else {
        return error.into();
    };
    let token = match *scope {
        CampaignId::GLOBAL => "global".to_string(),
        CampaignId::PURPOSE_TYPE => "purpose-type".to_string(),
        CampaignId(id) => id.to_string(),
    };
    let file = if config_path.is_dir() {
        config_path.join("dnc.yaml")
    } else {
        config_path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let pattern = format!(
        r#"(?m)^\s*-?\s*scope:\s*["']?({})["']?\s*(#.*)?$"#,
        regex::escape(&token)
    );
    let at = regex::Regex::new(&pattern)
        .ok()
        .and_then(|re| re.captures(&text)?.get(1))
        .map(|m| SourceSpan::from(m.start()..m.end()));
    CommandError::UnknownScope {
        error,
        config: NamedSource::new(file.display().to_string(), text),
        at,
    }
    .into()
}

/// A plan that did not see every managed entry may miss removals it needs or plan creates
/// that exist: it is an error, never applied. Lists each incomplete scope with its reason.
fn refuse_if_incomplete(plan: &Plan, which: &'static str, consequence: &'static str) -> Result<()> {
    let scopes: Vec<String> = plan
        .incomplete()
        .map(|s| {
            format!(
                "{}: {}",
                s.campaign_id,
                s.incomplete.as_deref().unwrap_or_default()
            )
        })
        .collect();
    if scopes.is_empty() {
        return Ok(());
    }
    if plan.read_nothing() {
        let not_found = plan.incomplete().any(|s| {
            s.incomplete
                .as_deref()
                .is_some_and(|w| w.contains(state::URL_HINT))
        });
        return Err(CommandError::Unreadable {
            which,
            consequence,
            scopes: scopes.join("\n  - "),
            help: if not_found {
                "the API answered 404 Not Found: DNC_API_URL must be its base URL with the \
                 version path, e.g. https://api.convoso.com/v1/"
            } else {
                "fix the cause named (DNC_API_URL, the token's account, the network, the API's \
                 health) and plan again"
            },
        }
        .into());
    }
    Err(CommandError::Incomplete {
        which,
        consequence,
        scopes: scopes.join("\n  - "),
    }
    .into())
}

/// Phone codes the manifests use, always including 1.
fn phone_codes(desired: &Desired) -> Vec<u16> {
    let codes: BTreeSet<u16> = desired
        .entries
        .iter()
        .map(|e| e.key.phone.code)
        .chain(desired.tombstones.iter().map(|t| t.key.phone.code))
        .chain([1])
        .collect();
    codes.into_iter().collect()
}

/// Refuses a ledger branch or remote before anything is sent (see `git::PushTarget`); the
/// branches GitHub Actions names (the pushed branch, a pull request's head and base) are the
/// manifests' too.
fn check_push_target(target: &crate::git::PushTarget, root: &Path) -> Result<()> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut ci: Vec<String> = ["GITHUB_HEAD_REF", "GITHUB_BASE_REF"]
        .into_iter()
        .filter_map(env)
        .collect();
    if env("GITHUB_REF_TYPE").as_deref() == Some("branch") {
        ci.extend(env("GITHUB_REF_NAME"));
    }
    Ok(target.check(root, &ci)?)
}
