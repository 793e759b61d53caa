//! `dnc verify`: the ledger branch checked against its chain, its own history, the pinned
//! root and the manifests' branch; exit 1 on any finding.

use crate::cli::{OutputFormat, VerifyArgs};
use crate::exit::Exit;
use crate::manifest;
use crate::verify::{self, Options};
use miette::Result;

pub fn run(args: VerifyArgs) -> Result<Exit> {
    let loaded = manifest::load(&args.config, false);
    let Some(config) = loaded.config.as_ref().filter(|_| !loaded.has_errors()) else {
        stderr!("{}", manifest::render_human(&loaded.diagnostics, false))?;
        return Err(super::CommandError::InvalidManifests.into());
    };
    let result = verify::verify(
        config,
        &loaded.desired,
        &Options {
            ledger_rev: &args.ledger_branch,
            manifests_rev: &args.manifests,
        },
    )?;
    match args.format {
        OutputFormat::Human => stdout!("{}", verify::human(&result))?,
        OutputFormat::Json => stdout!("{}", verify::json(&result))?,
    }
    Ok(Exit::error_if(!result.verified))
}
