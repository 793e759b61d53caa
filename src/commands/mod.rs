//! One module per subcommand; `run` dispatches and returns the process exit code.

use crate::cli::{Cli, Command};
use std::process::ExitCode;

mod sandbox;

pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Sandbox(args) => sandbox::run(args),
        Command::Validate(_) | Command::Schema(_) => {
            miette::bail!("not built yet")
        }
    }
}
