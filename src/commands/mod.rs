//! One module per subcommand; `run` dispatches and returns the process exit code.

use crate::cli::{Cli, Command};
use std::process::ExitCode;

pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Validate(_) | Command::Schema(_) | Command::Sandbox(_) => {
            miette::bail!("not built yet")
        }
    }
}
