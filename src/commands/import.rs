//! `dnc import`: read the chosen scopes completely and write manifests holding what they hold.

use super::{Output, runtime};
use crate::cli::{ImportArgs, OutputFormat};
use crate::entry::CampaignId;
use crate::escape::terminal;
use crate::exit::Exit;
use crate::import::{self, Options, Prepared, ScopeReport, entries};
use crate::manifest::{self, Config, Desired, Severity};
use crate::state;
use crate::target;
use miette::{IntoDiagnostic, Result};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// A glob that matches nothing yet is expected before the first import.
const NO_FILES: &str = "dnc::config::no_files";

pub fn run(args: ImportArgs, out: Output) -> Result<Exit> {
    let (config, desired) = load(&args, out)?;
    let scopes = chosen_scopes(&args, &config)?;
    let opts = super::read_options(&args.target, &desired);
    let applied = super::applied(&config.root, None, Vec::new())?;
    let (remote, origin) = runtime()?.block_on(async {
        let connected = target::connect(&super::target(&args.target)?, &config).await?;
        // With --format json, stdout holds only the JSON.
        if args.format == OutputFormat::Json {
            stderrln!("Target: {}", connected.description)?;
        } else {
            stdoutln!("Target: {}", connected.description)?;
        }
        let remote = learned(&connected.client, &config, &scopes, &opts, &applied).await;
        let origin = connected.description.clone();
        connected.close().await;
        let remote = remote.map_err(|e| super::read_failed(e, &args.path))?;
        Ok::<_, miette::Report>((remote, origin))
    })?;
    let opts = Options {
        scopes,
        only_unmanaged: args.only_unmanaged,
        out: args.out.clone(),
        csv_threshold: args.csv_threshold,
        blank_reason: args.blank_reason.clone(),
        force: args.force,
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        origin,
    };
    let prepared = import::prepare(&config, &desired, &remote, &opts)?;
    import::write(&config.root, &prepared.files, args.force).map_err(|e| {
        super::CommandError::ImportWrite {
            root: config.root.clone(),
            reason: e.to_string(),
        }
    })?;
    match args.format {
        OutputFormat::Human => stdout!("{}", summary(&config, &prepared, &opts))?,
        // Serializing our own struct cannot fail.
        OutputFormat::Json => stdoutln!(
            "{}",
            serde_json::to_string_pretty(&JsonReport::new(&config.root, &prepared))
                .into_diagnostic()?
        )?,
    }
    for w in &prepared.warnings {
        stderrln!("warning: {}", terminal(w))?;
    }
    let refused: Vec<&ScopeReport> = prepared
        .scopes
        .iter()
        .filter(|s| s.refused.is_some())
        .collect();
    for s in &refused {
        stderrln!(
            "error: {} was not imported: {}",
            s.scope,
            terminal(s.refused.as_deref().unwrap_or_default())
        )?;
    }
    Ok(Exit::error_if(!refused.is_empty()))
}

/// The config and the manifests so far. Before the first import the `manifests` globs may
/// match nothing: that alone does not stop an import, any other error does.
fn load(args: &ImportArgs, out: Output) -> Result<(Config, Arc<Desired>)> {
    super::config_exists(&args.path)?;
    let loaded = manifest::load(&args.path, false);
    let blocking = loaded
        .diagnostics
        .items
        .iter()
        .any(|d| d.severity == Severity::Error && d.code != NO_FILES);
    match loaded.config {
        Some(config) if !blocking => Ok((config, Arc::new(loaded.desired))),
        _ => {
            stderr!(
                "{}",
                manifest::render_human(&loaded.diagnostics, out.color_err)
            )?;
            Err(super::CommandError::InvalidConfigOrManifests.into())
        }
    }
}

/// The chosen scopes, with what the API does not echo learned from its filters (the config's
/// allowed reasons and purposes as exact values) and the ledger.
async fn learned(
    client: &crate::api::Client,
    config: &Config,
    scopes: &[CampaignId],
    opts: &state::ReadOptions,
    applied: &crate::known::Applied,
) -> Result<state::RemoteState, state::ReadError> {
    let mut remote = state::read(client, scopes, opts).await?;
    let wanted = crate::known::Wanted::Import(config);
    crate::known::learn(client, &mut remote, &wanted, applied, opts).await?;
    Ok(remote)
}

/// `--format json`: the files written (relative to the config's directory, as
/// `manifests` globs are) and each scope's counts.
#[derive(Serialize)]
struct JsonReport {
    format_version: u32,
    root: PathBuf,
    files: Vec<PathBuf>,
    scopes: Vec<JsonScope>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct JsonScope {
    scope: String,
    campaign_id: i64,
    remote: usize,
    imported: usize,
    given_reason: usize,
    managed: usize,
    no_reason: usize,
    unlearned: usize,
    bad_number: usize,
    blank_purpose: usize,
    unsendable: usize,
    duplicates: usize,
    refused: Option<String>,
    files: Vec<PathBuf>,
}

impl JsonReport {
    fn new(root: &std::path::Path, prepared: &Prepared) -> JsonReport {
        JsonReport {
            format_version: 1,
            root: root.to_path_buf(),
            files: prepared.files.iter().map(|f| f.path.clone()).collect(),
            scopes: prepared
                .scopes
                .iter()
                .map(|s| JsonScope {
                    scope: s.scope.to_string(),
                    campaign_id: s.scope.0,
                    remote: s.remote,
                    imported: s.imported,
                    given_reason: s.given_reason,
                    managed: s.managed,
                    no_reason: s.no_reason,
                    unlearned: s.unlearned,
                    bad_number: s.bad_number.len(),
                    blank_purpose: s.blank_purpose,
                    unsendable: s.unsendable,
                    duplicates: s.duplicates,
                    refused: s.refused.clone(),
                    files: s.files.clone(),
                })
                .collect(),
            warnings: prepared.warnings.clone(),
        }
    }
}

fn chosen_scopes(args: &ImportArgs, config: &Config) -> Result<Vec<CampaignId>> {
    let managed: Vec<CampaignId> = config.scopes.iter().map(|s| s.id).collect();
    if args.scopes.is_empty() {
        return Ok(managed);
    }
    let mut chosen = Vec::new();
    for &s in &args.scopes {
        if !managed.contains(&s) {
            let names: Vec<String> = managed.iter().map(ToString::to_string).collect();
            return Err(super::CommandError::ImportScope {
                scope: s,
                managed: names.join(", "),
            }
            .into());
        }
        if !chosen.contains(&s) {
            chosen.push(s);
        }
    }
    Ok(chosen)
}

fn summary(config: &Config, prepared: &Prepared, opts: &Options) -> String {
    let mut out = String::new();
    let mut written = 0;
    let mut given = 0;
    for s in &prepared.scopes {
        let name = config
            .scopes
            .iter()
            .find(|c| c.id == s.scope)
            .and_then(|c| c.name.as_ref())
            .map_or_else(String::new, |n| format!(" {n:?}"));
        out.push_str(&format!(
            "{}{name}: {} in Convoso",
            s.scope,
            entries(s.remote)
        ));
        if s.refused.is_some() {
            out.push_str("; NOT imported (see the error below)\n");
            continue;
        }
        if s.files.is_empty() {
            out.push_str("; nothing to import\n");
        } else {
            let files: Vec<String> = s
                .files
                .iter()
                .map(|f| terminal(&f.display().to_string()).into_owned())
                .collect();
            out.push_str(&format!(
                "; imported {} into {}\n",
                entries(s.imported),
                files.join(" + ")
            ));
        }
        written += s.imported;
        given += s.given_reason;
        notes(&mut out, s, opts);
    }
    if written > 0 {
        out.push_str(&format!(
            "Wrote {} file(s). `dnc plan` now shows ",
            prepared.files.len()
        ));
        if given > 0 {
            out.push_str(&format!(
                "{given} update(s) setting the --blank-reason reason, and no other changes, for these entries.\n"
            ));
        } else {
            out.push_str("no changes for these entries.\n");
        }
    }
    out
}

fn notes(out: &mut String, s: &ScopeReport, opts: &Options) {
    let mut note = |n: usize, text: &str| {
        if n > 0 {
            out.push_str(&format!("  {} {text}\n", entries(n)));
        }
    };
    if opts.only_unmanaged {
        note(s.managed, "already in manifests: left there");
    }
    note(
        s.given_reason,
        "without a reason in Convoso: written with the --blank-reason reason",
    );
    note(
        s.no_reason,
        "without a reason in Convoso: not imported, left unmanaged (--blank-reason TEXT adopts them)",
    );
    note(
        s.unlearned,
        "whose reason or purpose the API does not show (its filters, the config's `reasons:` and \
         `purposes:`, and the ledger did not tell it): not imported, left unmanaged",
    );
    note(
        s.blank_purpose,
        "with a blank-text purpose no manifest can write: not imported, left unmanaged",
    );
    note(
        s.unsendable,
        "with a reason or purpose the API refuses (control characters, over 255 characters, -BLANK-): not imported, left unmanaged",
    );
    note(
        s.duplicates,
        "repeating a number already imported: the plan reports the duplicates",
    );
    if !s.bad_number.is_empty() {
        let shown: Vec<&str> = s.bad_number.iter().take(5).map(String::as_str).collect();
        let more = s.bad_number.len() - shown.len();
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        note(
            s.bad_number.len(),
            &format!(
                "with a number no manifest can hold ({}{tail}): not imported, left unmanaged",
                shown.join(", ")
            ),
        );
    }
}
