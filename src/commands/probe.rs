//! `dnc probe`: a read-only first look at the account the config targets.

use super::{CommandError, Output, runtime};
use crate::cli::{OutputFormat, ProbeArgs};
use crate::exit::Exit;
use crate::manifest;
use crate::target;
use miette::Result;

pub fn run(args: ProbeArgs, out: Output) -> Result<Exit> {
    let (config, diagnostics) = manifest::load_config(&args.path);
    let Some(config) = config else {
        stderr!("{}", manifest::render_human(&diagnostics, out.color_err))?;
        return Err(CommandError::InvalidConfig.into());
    };
    let probe = runtime()?.block_on(async {
        let connected = target::connect(&super::target(&args.target)?, &config).await?;
        let probe = crate::probe::run(
            &connected.client,
            &config,
            connected.description.clone(),
            args.target.read_concurrency,
        )
        .await;
        connected.close().await;
        probe.map_err(miette::Report::from)
    })?;
    match args.format {
        OutputFormat::Human => stdout!("{}", crate::probe::human(&probe))?,
        OutputFormat::Json => stdoutln!(
            "{}",
            serde_json::to_string_pretty(&probe).expect("the report is plain data")
        )?,
    }
    let failed = probe.failed_scopes();
    if failed.is_empty() {
        Ok(Exit::Success)
    } else {
        Err(CommandError::ProbeScopes {
            scopes: failed.join("\n  - "),
        }
        .into())
    }
}
