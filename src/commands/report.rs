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
    super::config_exists(&args.sources.config)?;
    let (config, diagnostics) = manifest::load_config(&args.sources.config);
    let Some(config) = config else {
        stderr!("{}", manifest::render_human(&diagnostics, false))?;
        return Err(super::CommandError::InvalidConfig.into());
    };
    let period = report::period(args.since, args.until, super::today());
    if period.since > period.until {
        return Err(super::CommandError::EmptyPeriod {
            since: period.since.to_string(),
            until: period.until.to_string(),
        }
        .into());
    }
    let place = ledger::Place::of(&config.root, args.sources.ledger.as_deref());
    let ledger = LedgerSource::chosen(args.sources.ledger_branch.as_deref(), &place);
    let mut built = report::build(
        &config,
        Options {
            period,
            unmask: args.unmask,
            ledger,
        },
    )
    .map_err(super::CommandError::Report)?;
    if let Some(rev) = &args.sources.ledger_branch {
        built.evidence.verification = Some(verification(&args, &config, rev));
    }
    let text = match args.format {
        ReportFormat::Html => report::html::html(&built),
        ReportFormat::Json => report::json(&built),
        // Written to memory from our own rows: cannot fail.
        ReportFormat::Csv => report::csv(&built).into_diagnostic()?,
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).map_err(CommandError::write(path))?;
            let sidecar = sidecar_path(path);
            std::fs::write(&sidecar, sidecar_text(path, &text))
                .map_err(CommandError::write(&sidecar))?;
        }
        None => stdout!("{text}")?,
    }
    Ok(Exit::Success)
}

/// `dnc verify` on the branch the report read, in a word or a count.
fn verification(args: &ReportArgs, config: &manifest::Config, rev: &str) -> String {
    let loaded = manifest::load(&args.sources.config, false);
    let opts = crate::verify::Options {
        ledger_rev: rev,
        manifests_rev: "HEAD",
    };
    match crate::verify::verify(config, &loaded.desired, &opts) {
        Ok(v) if v.verified => "verified".to_string(),
        Ok(v) => format!(
            "NOT VERIFIED: {} finding(s) (run dnc verify)",
            v.findings.len()
        ),
        Err(e) => format!("not verified: {e}"),
    }
}

/// `report.html.sha256` beside `report.html`.
fn sidecar_path(path: &std::path::Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".sha256");
    name.into()
}

/// The file's SHA-256 as `sha256sum` writes it, so `sha256sum -c` checks it.
fn sidecar_text(path: &std::path::Path, text: &str) -> String {
    use sha2::Digest;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!(
        "{}  {name}\n",
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    )
}
