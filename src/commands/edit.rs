//! What `dnc add` and `dnc remove` share: the manifest to write in, the checked and atomic
//! write, and how each result is printed.

use super::{CommandError, Output};
use crate::cli::{EditArgs, OutputFormat};
use crate::edit::{self, Refusal};
use crate::entry::{CampaignId, Key};
use crate::import::scope_text;
use crate::manifest::model::ScopeRef;
use crate::manifest::yaml;
use crate::manifest::{self, Config, Desired};
use crate::phone::Phone;
use miette::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The manifest an edit writes in, with what its `defaults` say.
pub(super) struct Target {
    /// Relative to the config's directory, `/`-separated.
    pub name: String,
    pub path: PathBuf,
    /// Empty for a file that does not exist yet.
    pub text: String,
    pub exists: bool,
    pub scope: Option<CampaignId>,
    pub phone_code: Option<u16>,
}

/// The config and manifests as they are: an edit starts only from valid files.
pub(super) fn open(args: &EditArgs, out: Output) -> Result<(Config, Desired)> {
    let (config, desired) = super::load_valid(&args.config, out)?;
    Ok((config, std::sync::Arc::unwrap_or_clone(desired)))
}

/// `--to`, or the first manifest whose `defaults` name `scope` (any scope when `None`),
/// else the first manifest.
pub(super) fn target(
    config: &Config,
    to: Option<&Path>,
    scope: Option<CampaignId>,
) -> Result<Target> {
    let patterns = || config.manifests.join(", ");
    if let Some(to) = to {
        let rel = to.strip_prefix(&config.root).unwrap_or(to);
        let name = crate::paths::slashed(rel);
        let managed = !name.starts_with("/")
            && !name.starts_with("..")
            && config
                .manifests
                .iter()
                .any(|p| glob::Pattern::new(p).is_ok_and(|g| g.matches(&name)));
        if !managed {
            return Err(CommandError::NotAManifest {
                to: to.to_path_buf(),
                patterns: patterns(),
            }
            .into());
        }
        return read_target(config, name);
    }
    // A directory the globs cannot list is reported there, and the whole result is
    // validated (which refuses it) before anything is written.
    let files = super::fmt::manifest_files(&config.root, &config.manifests, &mut 0)?;
    let mut targets = Vec::new();
    for path in files {
        let name = crate::paths::relative(&config.root, &path);
        let t = read_target(config, name)?;
        if scope.is_none() || t.scope == scope {
            return Ok(t);
        }
        targets.push(t);
    }
    targets.into_iter().next().ok_or_else(|| {
        CommandError::NoManifest {
            patterns: patterns(),
        }
        .into()
    })
}

fn read_target(config: &Config, name: String) -> Result<Target> {
    let path = config.root.join(&name);
    let exists = path.exists();
    let text = if exists {
        std::fs::read_to_string(&path).map_err(CommandError::read(&path))?
    } else {
        String::new()
    };
    let doc = yaml::read(&text);
    let default = |key: &str| {
        let root = doc.root.as_ref()?;
        let (_, defaults) = root.get("defaults")?;
        Some(defaults.get(key)?.1.scalar()?.to_string())
    };
    let scope = default("scope")
        .and_then(|s| ScopeRef::parse(&s))
        .map(ScopeRef::campaign_id);
    let phone_code = default("phone_code").and_then(|c| c.parse().ok());
    Ok(Target {
        name,
        path,
        text,
        exists,
        scope,
        phone_code,
    })
}

/// The calling code for numbers written without `+`: the flag's, the manifest's, the config's.
pub(super) fn phone_code(args: &EditArgs, target: &Target, config: &Config) -> Option<u16> {
    args.phone_code.or(target.phone_code).or(config.phone_code)
}

/// `--requested-at` as written, checked, or today.
pub(super) fn requested_at(args: &EditArgs) -> Result<String> {
    match &args.requested_at {
        Some(value) if crate::calendar::parse_day(value).is_some() => Ok(value.trim().into()),
        Some(value) => Err(CommandError::RequestedAt {
            value: value.clone(),
        }
        .into()),
        None => Ok(super::today().to_string()),
    }
}

/// The provenance fields both commands write after the reason.
pub(super) fn provenance(
    ticket: Option<&str>,
    requested_at: &str,
    source: Option<&str>,
) -> Vec<edit::Field> {
    let mut fields = Vec::new();
    if let Some(ticket) = ticket {
        fields.push(("ticket", edit::scalar(ticket)));
    }
    fields.push(("requested_at", requested_at.to_string()));
    if let Some(source) = source {
        fields.push(("source", edit::scalar(source)));
    }
    fields
}

/// An edit's text, or why the file cannot be edited in place.
pub(super) fn edited(name: &str, result: Result<String, Refusal>) -> Result<String> {
    result.map_err(|refusal| {
        let (why, fix) = match refusal {
            Refusal::Unreadable => (
                "it is not a YAML mapping dnc can read",
                "run dnc validate to see why, fix it, and run the command again",
            ),
            Refusal::FlowList(_) => (
                "a list written in brackets ([…]) holds items",
                "run dnc fmt to write the lists in block style, then run the command again",
            ),
        };
        CommandError::EditLayout {
            file: name.to_string(),
            why,
            fix,
        }
        .into()
    })
}

/// Checks every file with `target` holding `text`, then writes it atomically (a temporary
/// file beside it, renamed over it). Returns what the manifests then ask for.
pub(super) fn write(args: &EditArgs, target: &Target, text: &str, out: Output) -> Result<Desired> {
    let loaded = manifest::load_with(&args.config, false, Some((&target.path, text)));
    if loaded.has_errors() || loaded.config.is_none() {
        stderr!(
            "{}",
            manifest::render_human(&loaded.diagnostics, out.color_err)
        )?;
        return Err(CommandError::EditInvalid.into());
    }
    replace(&target.path, text, target.exists).map_err(CommandError::write(&target.path))?;
    Ok(loaded.desired)
}

fn replace(path: &Path, text: &str, exists: bool) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".dnc-edit-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    // The temporary file is private; the manifest keeps its own permissions (or the usual
    // ones when it is new).
    let permissions = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => std::fs::metadata(dir)?.permissions(),
    };
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(if exists { permissions.mode() } else { 0o644 })
    };
    tmp.as_file().set_permissions(permissions)?;
    if exists {
        tmp.persist(path).map(drop).map_err(|e| e.error)
    } else {
        tmp.persist_noclobber(path).map(drop).map_err(|e| e.error)
    }
}

/// What happened to one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Action {
    Added,
    AlreadyListed,
    Removed,
    TombstoneWritten,
    AlreadyRemoved,
}

#[derive(Debug, Serialize)]
pub(super) struct Outcome {
    pub action: Action,
    pub number: String,
    pub phone_code: u16,
    pub phone_number: String,
    pub scope: String,
    /// The scope as people read it: `global`, `campaign 111`.
    #[serde(skip)]
    pub scope_name: String,
    pub file: String,
    pub line: u32,
    /// Where the entry was, for a removal: the line that now holds nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
}

impl Outcome {
    pub fn new(action: Action, key: &Key, at: &manifest::Source) -> Outcome {
        Outcome {
            action,
            number: key.phone.display(),
            phone_code: key.phone.code,
            phone_number: key.phone.national.to_string(),
            scope: scope_text(key.scope),
            scope_name: key.scope.to_string(),
            file: at.file.to_string(),
            line: at.line,
            was: None,
        }
    }

    pub fn human(&self) -> String {
        let at = format!("{}:{}", self.file, self.line);
        let (n, scope) = (&self.number, &self.scope_name);
        match self.action {
            Action::Added => format!("added {n} to {scope} at {at}"),
            Action::AlreadyListed => format!("{n} is already listed in {scope} at {at}: unchanged"),
            Action::Removed => format!(
                "removed {n} from {scope}: the entry at {} is now the tombstone at {at}",
                self.was.as_deref().unwrap_or_default()
            ),
            Action::TombstoneWritten => format!(
                "wrote a tombstone for {n} in {scope} at {at}; no manifest listed it and the remote list was not read: dnc plan shows whether it holds the number"
            ),
            Action::AlreadyRemoved => {
                format!("{n} already has a tombstone in {scope} at {at}: unchanged")
            }
        }
    }
}

/// Where the desired set holds `key`, entry or tombstone.
pub(super) fn placed(desired: &Desired, key: &Key) -> Option<(bool, manifest::Source)> {
    let entry = desired.entries.iter().find(|e| e.key == *key);
    let entry = entry.map(|e| (false, e.source.clone()));
    entry.or_else(|| {
        let t = desired.tombstones.iter().find(|t| t.key == *key);
        t.map(|t| (true, t.source.clone()))
    })
}

/// Where `key` is after an edit of `target` (always found there: the check read it back).
pub(super) fn now_at(desired: &Desired, key: &Key, target: &Target) -> manifest::Source {
    placed(desired, key).map_or_else(
        || manifest::Source {
            file: target.name.as_str().into(),
            line: 0,
            column: 0,
        },
        |(_, at)| at,
    )
}

/// The numbers' keys as the manifests hold them, in one scope or all.
pub(super) fn keys_of<'d>(
    desired: &'d Desired,
    phone: &'d Phone,
) -> impl Iterator<Item = (&'d Key, bool, &'d manifest::Source)> {
    let entries = desired.entries.iter().map(|e| (&e.key, false, &e.source));
    let tombstones = desired.tombstones.iter().map(|t| (&t.key, true, &t.source));
    entries
        .chain(tombstones)
        .filter(move |(k, _, _)| k.phone == *phone)
}

/// Prints the outcomes and the next step.
pub(super) fn report(outcomes: &[Outcome], format: OutputFormat) -> Result<()> {
    let changed = outcomes.iter().any(|o| {
        matches!(
            o.action,
            Action::Added | Action::Removed | Action::TombstoneWritten
        )
    });
    let mut text = String::new();
    match format {
        OutputFormat::Json => {
            let json = serde_json::json!({
                "format_version": 1,
                "changed": changed,
                "numbers": outcomes,
            });
            text = json.to_string() + "\n";
        }
        OutputFormat::Human => {
            for o in outcomes {
                text.push_str(&o.human());
                text.push('\n');
            }
            text.push_str(if changed {
                "next: dnc plan shows what applying changes; commit the manifest for review\n"
            } else {
                "nothing changed\n"
            });
        }
    }
    super::print(text)
}
