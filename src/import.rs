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
    /// Left out: the number cannot be written in a manifest.
    pub bad_number: Vec<String>,
    /// Left out: a purpose that is blank text.
    pub blank_purpose: usize,
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

/// Whether `files` (a rendered group) hold `scope`: with one file per scope, by name.
fn files_hold(files: &[OutFile], scope: CampaignId, single: bool) -> bool {
    let stem = format!("imported-{}", file_scope(scope));
    single
        || files
            .iter()
            .any(|f| f.path.file_stem().and_then(|s| s.to_str()) == Some(&stem))
}

fn scope_rows(
    config: &Config,
    remote: &RemoteState,
    scope: CampaignId,
    opts: &Options,
    named: &BTreeMap<&Key, String>,
    already: &mut Vec<String>,
) -> (ScopeReport, Vec<Row>) {
    let mut report = ScopeReport {
        scope,
        remote: 0,
        imported: 0,
        given_reason: 0,
        managed: 0,
        no_reason: 0,
        bad_number: Vec::new(),
        blank_purpose: 0,
        duplicates: 0,
        refused: None,
        files: Vec::new(),
    };
    let Some(state) = remote.scope(scope) else {
        report.refused = Some("it was not read".into());
        return (report, Vec::new());
    };
    report.remote = state.entries.len();
    if let Some(why) = &state.incomplete {
        report.refused = Some(format!("its read is incomplete: {why}"));
        return (report, Vec::new());
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for e in &state.entries {
        // The plan compares a manifest entry with the first remote entry of its key.
        if !seen.insert(&e.key) {
            report.duplicates += 1;
            continue;
        }
        if let Some(at) = named.get(&e.key) {
            report.managed += 1;
            already.push(at.clone());
            continue;
        }
        if e.purpose.as_deref().is_some_and(|p| p.trim().is_empty()) {
            report.blank_purpose += 1;
            continue;
        }
        let phone_code = (config.phone_code != Some(e.key.phone.code)).then_some(e.key.phone.code);
        let Some(number) = writable_number(config, e, phone_code) else {
            report.bad_number.push(e.key.phone.display());
            continue;
        };
        let reason = match (&e.reason, &opts.blank_reason) {
            (Some(r), _) if !r.trim().is_empty() => r.clone(),
            (_, Some(given)) => {
                report.given_reason += 1;
                given.clone()
            }
            (_, None) => {
                report.no_reason += 1;
                continue;
            }
        };
        report.imported += 1;
        rows.push(Row {
            key: e.key.clone(),
            number,
            phone_code,
            reason,
            purpose: e.purpose.clone(),
            source: format!("imported from Convoso on {}, id {}", opts.date, e.id),
        });
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    (report, rows)
}

/// The number as a manifest writes it, checked to normalize back to the same key.
fn writable_number(config: &Config, e: &RemoteEntry, phone_code: Option<u16>) -> Option<String> {
    let phone = &e.key.phone;
    let code = phone_code.or(config.phone_code);
    [
        phone.display(),
        format!("+{}{}", phone.code, phone.national),
    ]
    .into_iter()
    .find(|text| {
        matches!(phone::normalize(code, text), Ok((p, a))
                if p == *phone && (a == Assignment::Assigned || !config.strict))
    })
}

fn check_allowed(config: &Config, groups: &Group) -> Result<(), ImportError> {
    let missing = |allowed: &Option<Vec<String>>, values: &mut dyn Iterator<Item = &String>| {
        let Some(allowed) = allowed else {
            return Vec::new();
        };
        let set: std::collections::BTreeSet<String> =
            values.filter(|v| !allowed.contains(v)).cloned().collect();
        set.into_iter().collect::<Vec<_>>()
    };
    let rows = || groups.iter().flat_map(|(_, r)| r.iter());
    let reasons = missing(&config.reasons, &mut rows().map(|r| &r.reason));
    let purposes = missing(
        &config.purposes,
        &mut rows().filter_map(|r| r.purpose.as_ref()),
    );
    if reasons.is_empty() && purposes.is_empty() {
        Ok(())
    } else {
        Err(ImportError::NotAllowed { reasons, purposes })
    }
}

/// The manifest text (and the CSV text when `use_csv`) for one group of scopes.
fn render(
    manifest: &Path,
    csv: &Path,
    group: Group,
    use_csv: bool,
    schema_line: Option<String>,
    opts: &Options,
) -> Vec<OutFile> {
    let one_scope = (group.len() == 1).then(|| group[0].0);
    let total: usize = group.iter().map(|(_, r)| r.len()).sum();
    let scopes: Vec<String> = group.iter().map(|(s, _)| s.to_string()).collect();
    let mut yaml = String::new();
    if let Some(line) = schema_line {
        let _ = writeln!(yaml, "{line}");
    }
    let _ = writeln!(
        yaml,
        "# Imported by `dnc import` on {} from {}: {} of {}.",
        opts.date,
        one_line(&opts.origin),
        entries(total),
        scopes.join(", ")
    );
    yaml.push_str(
        "# Reasons and purposes are the ones Convoso holds; `source` names each entry's Convoso id.\n",
    );
    if let Some(scope) = one_scope {
        let _ = writeln!(yaml, "defaults:\n  scope: {}", scope_text(scope));
    }
    let (mut in_yaml, mut in_csv) = (Vec::new(), Vec::new());
    for (scope, rows) in group {
        for row in rows {
            if use_csv && csv_safe(&row) {
                in_csv.push((scope, row));
            } else {
                in_yaml.push((scope, row));
            }
        }
    }
    let mut files = Vec::new();
    if !in_csv.is_empty() {
        let name = csv
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let _ = writeln!(yaml, "include:\n  - csv: {}", yaml_str(&name));
        files.push(OutFile {
            path: csv.to_path_buf(),
            text: csv_text(&in_csv, one_scope.is_none()),
        });
    }
    if !in_yaml.is_empty() {
        yaml.push_str("entries:\n");
        for (scope, row) in &in_yaml {
            let _ = writeln!(yaml, "  - number: {}", yaml_str(&row.number));
            if let Some(code) = row.phone_code {
                let _ = writeln!(yaml, "    phone_code: {code}");
            }
            if one_scope.is_none() {
                let _ = writeln!(yaml, "    scope: {}", scope_text(*scope));
            }
            let _ = writeln!(yaml, "    reason: {}", yaml_str(&row.reason));
            if let Some(p) = &row.purpose {
                let _ = writeln!(yaml, "    purpose: {}", yaml_str(p));
            }
            let _ = writeln!(yaml, "    source: {}", yaml_str(&row.source));
        }
    }
    files.push(OutFile {
        path: manifest.to_path_buf(),
        text: yaml,
    });
    files
}

/// CSV cells are trimmed when read and cannot hold every character a YAML string can: such
/// rows stay in the manifest.
fn csv_safe(row: &Row) -> bool {
    let ok = |s: &str| s.trim() == s && !s.chars().any(char::is_control);
    ok(&row.reason) && row.purpose.as_deref().is_none_or(ok)
}

fn csv_text(rows: &[(CampaignId, Row)], with_scope: bool) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let with_code = rows.iter().any(|(_, r)| r.phone_code.is_some());
    let mut header = vec!["number"];
    if with_code {
        header.push("phone_code");
    }
    if with_scope {
        header.push("scope");
    }
    header.extend(["reason", "purpose", "source"]);
    w.write_record(&header).expect("writing to memory");
    for (scope, row) in rows {
        let mut record = vec![row.number.clone()];
        if with_code {
            record.push(row.phone_code.map_or_else(String::new, |c| c.to_string()));
        }
        if with_scope {
            record.push(scope_text(*scope));
        }
        record.extend([
            row.reason.clone(),
            row.purpose.clone().unwrap_or_default(),
            row.source.clone(),
        ]);
        w.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 is UTF-8")
}

/// The scope as manifests and CSV files name it.
fn scope_text(scope: CampaignId) -> String {
    match scope {
        CampaignId::GLOBAL => "global".into(),
        CampaignId::PURPOSE_TYPE => "purpose-type".into(),
        CampaignId(id) => id.to_string(),
    }
}

fn file_scope(scope: CampaignId) -> String {
    match scope {
        CampaignId::GLOBAL | CampaignId::PURPOSE_TYPE => scope_text(scope),
        CampaignId(id) => format!("campaign-{id}"),
    }
}

/// A YAML double-quoted scalar: every character outside YAML's printable set, and every
/// line break, is escaped, so any text round-trips.
pub fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..
                if !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}') =>
            {
                out.push(c)
            }
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// `1 entry`, `2 entries`.
pub fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The directory of the first `manifests` glob that matches a file written there, else the
/// config's directory.
fn default_dir(config: &Config, scope: CampaignId) -> PathBuf {
    let name = format!("imported-{}.yaml", file_scope(scope));
    config
        .manifests
        .iter()
        .map(|pattern| literal_dir(pattern))
        .find(|dir| matched(config, &dir.join(&name)))
        .unwrap_or_default()
}

/// The leading directories of a glob that hold no pattern characters.
fn literal_dir(pattern: &str) -> PathBuf {
    let parts: Vec<&str> = pattern.split('/').collect();
    parts[..parts.len().saturating_sub(1)]
        .iter()
        .take_while(|p| !p.contains(['*', '?', '[', '{']))
        .filter(|p| !p.is_empty() && **p != ".")
        .collect()
}

/// Whether a path (relative to the config's directory) matches one of its `manifests` globs.
fn matched(config: &Config, path: &Path) -> bool {
    let path = paths::slashed(path);
    config.manifests.iter().any(|pattern| {
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        glob::Pattern::new(pattern).is_ok_and(|p| p.matches(&path))
    })
}

/// Writes every file or none: each goes to a temporary file beside its target first, then
/// CSV files are renamed into place before the manifests that include them. Without `force`
/// an existing file is never replaced (checked again at the rename); if a rename fails, the
/// files this call created are removed.
pub fn write(root: &Path, files: &[OutFile], force: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut staged = Vec::new();
    let mut ordered: Vec<&OutFile> = files.iter().collect();
    ordered.sort_by_key(|f| f.path.extension().is_none_or(|e| e != "csv"));
    for f in ordered {
        let path = root.join(&f.path);
        let dir = path.parent().unwrap_or(root);
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".dnc-import-")
            .tempfile_in(dir)?;
        tmp.write_all(f.text.as_bytes())?;
        tmp.as_file().sync_all()?;
        staged.push((tmp, path));
    }
    let mut created: Vec<PathBuf> = Vec::new();
    for (tmp, path) in staged {
        let existed = path.exists();
        let result = if force {
            tmp.persist(&path).map(drop)
        } else {
            tmp.persist_noclobber(&path).map(drop)
        };
        if let Err(e) = result {
            for p in &created {
                let _ = std::fs::remove_file(p);
            }
            return Err(e.error);
        }
        if !existed {
            created.push(path);
        }
    }
    Ok(())
}

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
            assert_eq!(d.entries[0].reason, s);
        }
    }

    #[test]
    fn default_directory_follows_the_globs() {
        assert_eq!(literal_dir("lists/*.yaml"), PathBuf::from("lists"));
        assert_eq!(literal_dir("./a/b/**/*.yml"), PathBuf::from("a/b"));
        assert_eq!(literal_dir("*.yaml"), PathBuf::new());
    }
}
