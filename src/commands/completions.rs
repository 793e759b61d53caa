//! `dnc completions SHELL`: the completion script clap_complete generates from the CLI.

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;
use clap::CommandFactory;

pub fn run(args: CompletionsArgs) -> miette::Result<Exit> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "dnc",
        &mut std::io::stdout(),
    );
    Ok(Exit::Success)
}
