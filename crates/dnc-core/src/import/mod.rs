//! Import: turn what the remote lists hold into manifests, so adopting an existing list (or
//! unmanaged drift) is one command and the next plan shows no changes.
//!
//! What cannot be written so that a plan agrees with the remote entry is left out and
//! counted, never papered over:
//! - an entry with no reason: a manifest entry must have one, and any reason written for it
//!   is a change the plan would make. `blank_reason` adopts such entries with a reason the
//!   caller chooses (the plan then shows one update per entry, setting it); without it they
//!   stay unmanaged drift, which the plan reports and never removes;
//! - a number the phone rules reject (or an unassigned one under `strict`): no manifest can
//!   name it;
//! - a purpose that is blank text: a manifest cannot write it.
//!
//! Reasons and purposes outside the config's allowed sets stop the whole import: the files
//! would fail validation, so the config must allow them first.

use crate::entry::{CampaignId, Key};
use crate::fmt::modeline;
use crate::manifest::{Config, Desired};
use crate::paths;
use crate::phone::{self, Assignment};
use crate::state::{RemoteEntry, RemoteState};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Entries above which a scope's entries go to a CSV file included from its manifest.
pub const DEFAULT_CSV_THRESHOLD: usize = 1000;

#[derive(Clone, Debug)]
pub struct Options {
    /// The scopes to import, each managed by the config.
    pub scopes: Vec<CampaignId>,
    /// Only entries no manifest names yet.
    pub only_unmanaged: bool,
    /// A directory (one manifest per scope) or a `.yaml`/`.yml` file (one manifest for all);
    /// relative to the config's directory. `None`: the directory of the first `manifests`
    /// glob that matches the file names written.
    pub out: Option<PathBuf>,
    pub csv_threshold: usize,
    /// The reason written for entries that have none remotely.
    pub blank_reason: Option<String>,
    /// Overwrite existing files (their entries then count as unnamed).
    pub force: bool,
    /// The provenance date, `YYYY-MM-DD`.
    pub date: String,
    /// Where the entries come from, for the header comment.
    pub origin: String,
}

/// A file to write: its path (under the config's directory) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutFile {
    pub path: PathBuf,
    pub text: String,
}

/// What happened to one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeReport {
    pub scope: CampaignId,
    pub remote: usize,
    pub imported: usize,
    /// Imported with `blank_reason`: the plan updates these.
    pub given_reason: usize,
    /// Already named by a manifest (with `only_unmanaged`).
    pub managed: usize,
    /// Left out: no reason remotely and no `blank_reason`.
    pub no_reason: usize,
    /// Left out: the API does not show the reason or purpose, and neither its filters nor
    /// the ledger told them (a manifest would claim a value nobody has seen).
    pub unlearned: usize,
    /// Left out: the number cannot be written in a manifest.
    pub bad_number: Vec<String>,
    /// Left out: a purpose that is blank text.
    pub blank_purpose: usize,
    /// Left out: a reason or purpose the API would refuse if dnc sent it (control
    /// characters, too long, a keyword): validate would reject the manifest holding it.
    pub unsendable: usize,
    /// Numbers held more than once; the first entry was imported.
    pub duplicates: usize,
    /// Why the scope was not imported at all: its read is incomplete.
    pub refused: Option<String>,
    /// The files holding this scope's entries.
    pub files: Vec<PathBuf>,
}

/// The outcome of [`prepare`]: files to write, per-scope reports, and warnings.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub files: Vec<OutFile>,
    pub scopes: Vec<ScopeReport>,
    pub warnings: Vec<String>,
}

/// Why nothing can be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum ImportError {
    #[error("the config does not allow {}", describe_missing(.reasons, .purposes))]
    #[diagnostic(
        code(dnc::import::not_allowed),
        help(
            "if the account accepts them, add them to `reasons:` / `purposes:` in the config, then import again; nothing was written"
        )
    )]
    NotAllowed {
        reasons: Vec<String>,
        purposes: Vec<String>,
    },
    #[error(
        "{count} of the remote entries are already in manifests (first: {example}); importing them again would list them twice"
    )]
    #[diagnostic(
        code(dnc::import::already_managed),
        help(
            "use --only-unmanaged to import only the entries no manifest names; nothing was written"
        )
    )]
    AlreadyManaged { count: usize, example: String },
    #[error("{0} already exists")]
    #[diagnostic(
        code(dnc::import::exists),
        help("pass --force to replace it, or --out to write elsewhere; nothing was written")
    )]
    Exists(PathBuf),
    #[error(
        "{0} would be matched by the config's `manifests` globs and read as a manifest; choose another --out"
    )]
    #[diagnostic(code(dnc::import::csv_matched), help("nothing was written"))]
    CsvMatched(PathBuf),
    #[error("--blank-reason must not be blank")]
    #[diagnostic(
        code(dnc::import::blank_reason),
        help("give the reason these entries are on the list")
    )]
    BlankReason,
}

fn describe_missing(reasons: &[String], purposes: &[String]) -> String {
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (reasons.is_empty(), purposes.is_empty()) {
        (false, true) => format!("the remote reasons {}", list(reasons)),
        (true, false) => format!("the remote purposes {}", list(purposes)),
        _ => format!(
            "the remote reasons {} and purposes {}",
            list(reasons),
            list(purposes)
        ),
    }
}

/// The rows of each scope one manifest holds.
type Group = Vec<(CampaignId, Vec<Row>)>;

/// One entry as it will be written.
struct Row {
    key: Key,
    number: String,
    /// Written when the number's code differs from the config's `phone_code`.
    phone_code: Option<u16>,
    reason: String,
    purpose: Option<String>,
    source: String,
}

/// Decides what to write for `opts.scopes` from `remote`, without touching the disk except
/// to check which target files exist.
pub fn prepare(
    config: &Config,
    desired: &Desired,
    remote: &RemoteState,
    opts: &Options,
) -> Result<Prepared, ImportError> {
    if opts
        .blank_reason
        .as_deref()
        .is_some_and(|r| r.trim().is_empty())
    {
        return Err(ImportError::BlankReason);
    }
    let single = opts
        .out
        .as_deref()
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")));
    let targets: Vec<(PathBuf, PathBuf)> = match single {
        Some(file) => vec![(file.to_path_buf(), file.with_extension("csv"))],
        None => opts
            .scopes
            .iter()
            .map(|&s| {
                let dir = opts.out.clone().unwrap_or_else(|| default_dir(config, s));
                let stem = format!("imported-{}", file_scope(s));
                (
                    dir.join(format!("{stem}.yaml")),
                    dir.join(format!("{stem}.csv")),
                )
            })
            .collect(),
    };
    // With --force, entries in files about to be replaced are not "named by a manifest".
    let replaced: HashSet<String> = targets
        .iter()
        .filter(|_| opts.force)
        .flat_map(|(m, c)| [paths::slashed(m), paths::slashed(c)])
        .collect();
    let named: BTreeMap<&Key, String> = desired
        .entries
        .iter()
        .map(|e| (&e.key, &e.source))
        .chain(desired.tombstones.iter().map(|t| (&t.key, &t.source)))
        .filter(|(_, s)| !replaced.contains(s.file.as_ref()))
        .map(|(k, s)| (k, format!("{}:{}", s.file, s.line)))
        .collect();

    let mut prepared = Prepared::default();
    let mut per_scope: Group = Vec::new();
    let mut already = Vec::new();
    for &scope in &opts.scopes {
        let (report, rows) = scope_rows(config, remote, scope, opts, &named, &mut already);
        prepared.scopes.push(report);
        per_scope.push((scope, rows));
    }
    if !opts.only_unmanaged && !already.is_empty() {
        return Err(ImportError::AlreadyManaged {
            count: already.len(),
            example: already[0].clone(),
        });
    }
    check_allowed(config, &per_scope)?;

    let groups: Vec<(PathBuf, PathBuf, Group)> = match single {
        Some(_) => vec![(targets[0].0.clone(), targets[0].1.clone(), per_scope)],
        None => targets
            .into_iter()
            .zip(per_scope)
            .map(|((m, c), group)| (m, c, vec![group]))
            .collect(),
    };
    for (manifest, csv, group) in groups {
        let rows: usize = group.iter().map(|(_, r)| r.len()).sum();
        if rows == 0 {
            continue;
        }
        let use_csv = rows > opts.csv_threshold;
        let schema_line = modeline::find(&config.root, &manifest, modeline::MANIFEST_SCHEMA);
        let files = render(&manifest, &csv, group, use_csv, schema_line, opts);
        for f in &files {
            if !opts.force && config.root.join(&f.path).exists() {
                return Err(ImportError::Exists(config.root.join(&f.path)));
            }
        }
        if use_csv && matched(config, &csv) {
            return Err(ImportError::CsvMatched(csv));
        }
        if !matched(config, &manifest) {
            prepared.warnings.push(format!(
                "{} is not matched by the config's `manifests` globs ({}): dnc will not read it until you add it there",
                manifest.display(),
                config.manifests.join(", ")
            ));
        }
        for report in &mut prepared.scopes {
            if files_hold(&files, report.scope, single.is_some()) {
                // The manifest first, then the CSV it includes.
                report.files = files.iter().rev().map(|f| f.path.clone()).collect();
            }
        }
        prepared.files.extend(files);
    }
    Ok(prepared)
}

mod decide;
mod render;
mod write;

use crate::fmt::yaml_str;
use decide::*;
use render::*;
pub use render::{entries, scope_text};
pub use write::write;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_strings_read_back_exactly() {
        let nothing = |_: &Path| Err(std::io::ErrorKind::NotFound.into());
        for s in [
            "plain",
            " edge ",
            "quote \" back \\ slash",
            "tab\tnew\nline\r end",
            "\u{7f}\u{85}\u{2028}\u{feff}\u{1}",
            "emoji 🎉 ünï",
            "# hash: colon - [x] {y} &a *b !t",
            "null",
            "true",
            "0123",
        ] {
            let text = format!(
                "defaults:\n  scope: global\nentries:\n  - number: \"+1 202-555-0143\"\n    reason: {}\n",
                yaml_str(s)
            );
            let d = crate::manifest::load_file("x.yaml", &text, Some(1), &nothing, &|_| true);
            assert_eq!(d.entries.len(), 1, "{s:?} as {text}");
            assert_eq!(&*d.entries[0].reason, s);
        }
    }

    #[test]
    fn default_directory_follows_the_globs() {
        assert_eq!(literal_dir("lists/*.yaml"), PathBuf::from("lists"));
        assert_eq!(literal_dir("./a/b/**/*.yml"), PathBuf::from("a/b"));
        assert_eq!(literal_dir("*.yaml"), PathBuf::new());
    }
}
