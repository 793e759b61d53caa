//! One module per subcommand; `run` dispatches and returns the process exit code.

pub mod schema;
pub mod validate;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(args, cli.color),
        Command::Schema(args) => schema::run(args),
        Command::Sandbox(_) => miette::bail!("not built yet"),
    }
}
