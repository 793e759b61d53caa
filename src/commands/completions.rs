//! `dnc completions SHELL`: the completion script clap_complete generates from the CLI.

use crate::cli::{Cli, CompletionsArgs};
use clap::CommandFactory;

pub fn run(args: CompletionsArgs) -> miette::Result<u8> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "dnc",
        &mut std::io::stdout(),
    );
    Ok(0)
}
