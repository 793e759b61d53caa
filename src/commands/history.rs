//! `dnc history NUMBER`: the number's timeline from the manifests' git history and the ledger.

use crate::cli::{HistoryArgs, HistoryFormat};
use crate::exit::Exit;
use crate::history::{self, LedgerSource};
use crate::ledger;
use crate::manifest;
use crate::phone;
use miette::{IntoDiagnostic, Result};

pub fn run(args: HistoryArgs) -> Result<Exit> {
    super::config_exists(&args.sources.config)?;
    let (config, diagnostics) = manifest::load_config(&args.sources.config);
    let Some(config) = config else {
        stderr!("{}", manifest::render_human(&diagnostics, false))?;
        return Err(super::CommandError::InvalidConfig.into());
    };
    let code = args.phone_code.or(config.phone_code);
    let (phone, _) = phone::normalize(code, &args.number).map_err(super::CommandError::Number)?;
    let place = ledger::Place::of(&config.root, args.sources.ledger.as_deref());
    let ledger = LedgerSource::chosen(args.sources.ledger_branch.as_deref(), &place);
    let timeline = history::timeline(&config, &phone, ledger)?;
    match args.format {
        HistoryFormat::Human => stdout!("{}", history::render::human(&timeline))?,
        // Serializing our own struct cannot fail.
        HistoryFormat::Json => stdoutln!(
            "{}",
            serde_json::to_string_pretty(&timeline).into_diagnostic()?
        )?,
    }
    Ok(Exit::Success)
}
