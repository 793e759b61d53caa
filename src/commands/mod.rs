//! One module per subcommand; `run` dispatches and returns the process exit code.

mod apply;
mod history;
mod import;
mod ledger;
mod plan;
mod report;
mod sandbox;
mod schema;
mod validate;

use crate::cli::{Cli, ColorChoice, Command};
use crate::github::{self, GithubContext};
use crate::manifest::{self, Config, Desired};
use miette::{IntoDiagnostic, Result};
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

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

pub fn run(cli: Cli) -> Result<ExitCode> {
    let out = Output::new(cli.color);
    let in_workflow = matches!(
        cli.command,
        Command::Validate(_) | Command::Plan(_) | Command::Apply(_)
    );
    let result = match cli.command {
        Command::Validate(args) => validate::run(args, out),
        Command::Plan(args) => plan::run(args, out),
        Command::Apply(args) => apply::run(args, out),
        Command::Ledger(args) => ledger::run(args),
        Command::Import(args) => import::run(args, out),
        Command::History(args) => history::run(args),
        Command::Report(args) => report::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Sandbox(args) => sandbox::run(args),
    };
    if in_workflow {
        step_output_exitcode(result.as_ref().map_or(1, |c| *c))?;
    }
    result.map(ExitCode::from)
}

/// Inside GitHub Actions, the exit code becomes the step output `exitcode`.
fn step_output_exitcode(code: u8) -> Result<()> {
    if let Some(path) = GithubContext::from_env()?
        .as_ref()
        .and_then(|ctx| ctx.output())
    {
        github::write_outputs(path, &[("exitcode", &code.to_string())])?;
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .into_diagnostic()
}

/// Loads the manifests, prints any diagnostics to stderr, and fails when there are errors:
/// nothing is planned or applied from invalid manifests.
fn load_valid(path: &Path, out: Output) -> Result<(Config, Desired)> {
    let loaded = manifest::load(path, false);
    if !loaded.diagnostics.items.is_empty() {
        eprint!(
            "{}",
            manifest::render_human(&loaded.diagnostics, out.color_err)
        );
    }
    match loaded.config {
        Some(config) if !loaded.has_errors() => Ok((config, loaded.desired)),
        _ => miette::bail!(
            "the manifests are invalid; fix the errors above (dnc validate shows them too)"
        ),
    }
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
