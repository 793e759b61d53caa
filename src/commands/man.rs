//! `dnc man`: man pages (roff) generated from the CLI by clap_mangen.

use super::CommandError;
use crate::cli::{Cli, ManArgs};
use crate::exit::Exit;
use clap::CommandFactory;
use miette::{IntoDiagnostic, Result};

pub fn run(args: ManArgs) -> Result<Exit> {
    let command = Cli::command();
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .and_then(|()| clap_mangen::generate_to(command, dir))
                .map_err(CommandError::write(dir))?;
            println!("wrote the man pages into {}", dir.display());
        }
        None => clap_mangen::Man::new(command)
            .render(&mut std::io::stdout())
            .into_diagnostic()?,
    }
    Ok(Exit::Success)
}
