//! `dnc completions SHELL`: the completion script clap_complete generates from the CLI.

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;
use clap::CommandFactory;

pub fn run(args: CompletionsArgs) -> miette::Result<Exit> {
    // Generated in memory (clap_complete panics when its writer fails), then printed like
    // every other output.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "dnc", &mut script);
    super::print(script)?;
    Ok(Exit::Success)
}
