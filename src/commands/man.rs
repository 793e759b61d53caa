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
            stdoutln!("wrote the man pages into {}", dir.display())?;
        }
        None => {
            // Rendered in memory (which cannot fail) and printed like every other output, so a
            // closed pipe or a full disk ends as it does there.
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .into_diagnostic()?;
            stdout!("{}", String::from_utf8_lossy(&page))?;
        }
    }
    Ok(Exit::Success)
}
