//! `dnc report`: the evidence for a period, from the manifests' git history and the ledger.

use super::CommandError;
use crate::cli::{ReportArgs, ReportFormat};
use crate::exit::Exit;
use crate::history::LedgerSource;
use crate::ledger;
use crate::manifest;
use crate::report::{self, Options};
use miette::{IntoDiagnostic, Result};

pub fn run(args: ReportArgs) -> Result<Exit> {
    let (config, diagnostics) = manifest::load_config(&args.sources.config);
    let Some(config) = config else {
        eprint!("{}", manifest::render_human(&diagnostics, false));
        return Err(super::CommandError::InvalidConfig.into());
    };
    let period = report::period(args.since, args.until);
    if period.since > period.until {
        return Err(super::CommandError::EmptyPeriod {
            since: period.since.to_string(),
            until: period.until.to_string(),
        }
        .into());
    }
    let place = ledger::Place::of(&config.root, args.sources.ledger.as_deref());
    let ledger = LedgerSource::chosen(args.sources.ledger_branch.as_deref(), &place);
    let built = report::build(
        &config,
        Options {
            period,
            unmask: args.unmask,
            ledger,
        },
    )
    .map_err(super::CommandError::Report)?;
    let text = match args.format {
        ReportFormat::Html => report::html::html(&built),
        ReportFormat::Json => report::json(&built),
        // Written to memory from our own rows: cannot fail.
        ReportFormat::Csv => report::csv(&built).into_diagnostic()?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(CommandError::write(path))?,
        None => print!("{text}"),
    }
    Ok(Exit::Success)
}
