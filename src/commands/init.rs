//! `dnc init [DIR]`: a new repository's starting point, valid and ready to plan: the config,
//! one commented manifest, `.gitignore` for `.dnc/`, the GitHub workflows and the JSON
//! Schemas the files' modelines name. Nothing is overwritten: one existing target and
//! nothing at all is written.

use super::CommandError;
use crate::cli::{InitArgs, SchemaKind};
use crate::edit::scalar;
use crate::entry::CampaignId;
use crate::exit::Exit;
use crate::fmt::modeline::{CONFIG_SCHEMA, MANIFEST_SCHEMA, PREFIX};
use crate::import::{OutFile, scope_text, write};
use miette::Result;
use std::path::PathBuf;

/// The manifest `init` writes, where the config's glob finds it.
const MANIFEST: &str = "lists/opt-outs.yaml";

const WORKFLOWS: [(&str, &str); 3] = [
    (
        "dnc-plan.yml",
        include_str!("../../examples/github/dnc-plan.yml"),
    ),
    (
        "dnc-apply.yml",
        include_str!("../../examples/github/dnc-apply.yml"),
    ),
    (
        "dnc-drift.yml",
        include_str!("../../examples/github/dnc-drift.yml"),
    ),
];

pub fn run(args: InitArgs) -> Result<Exit> {
    let files = files(&args);
    if let Some(path) = files
        .iter()
        .map(|f| args.dir.join(&f.path))
        .find(|p| p.symlink_metadata().is_ok())
    {
        let path = crate::paths::slashed(&path).into();
        return Err(CommandError::InitExists { path }.into());
    }
    write(&args.dir, &files, false).map_err(CommandError::write(&args.dir))?;
    let dir = match crate::paths::slashed(&args.dir) {
        d if d.is_empty() => ".".to_string(),
        d => d,
    };
    for f in &files {
        stdoutln!("wrote {}", crate::paths::slashed(&args.dir.join(&f.path)))?;
    }
    let to = if dir == "." {
        String::new()
    } else {
        format!(" --config {dir}")
    };
    let at = if dir == "." {
        String::new()
    } else {
        format!(" {dir}")
    };
    stdoutln!(
        "next: dnc add NUMBER --reason \"{}\"{to}, then dnc plan{at}",
        args.reasons
            .first()
            .map_or("Customer Request", String::as_str)
    )?;
    Ok(Exit::Success)
}

fn files(args: &InitArgs) -> Vec<OutFile> {
    let file = |path: &str, text: String| OutFile {
        path: PathBuf::from(path),
        text,
    };
    let mut files = vec![
        file("dnc.yaml", config(args)),
        file(MANIFEST, manifest(args.scopes.first().copied())),
        file(".gitignore", ".dnc/\n".into()),
        file(
            &format!("schema/{CONFIG_SCHEMA}"),
            super::schema::text(SchemaKind::Config),
        ),
        file(
            &format!("schema/{MANIFEST_SCHEMA}"),
            super::schema::text(SchemaKind::Manifest),
        ),
    ];
    for (name, text) in WORKFLOWS {
        files.push(file(&format!(".github/workflows/{name}"), text.into()));
    }
    files
}

fn config(args: &InitArgs) -> String {
    let mut scopes: Vec<CampaignId> = Vec::new();
    for s in &args.scopes {
        if !scopes.contains(s) {
            scopes.push(*s);
        }
    }
    let scopes: String = scopes
        .iter()
        .map(|s| format!("  - scope: {}\n", scope_text(*s)))
        .collect();
    let reasons: Vec<String> = args
        .reasons
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .map(scalar)
        .collect();
    format!(
        "{PREFIX}schema/{CONFIG_SCHEMA}
# dnc's root config: which manifests to read and which Convoso DNC lists dnc manages.
# `dnc validate` checks it; docs/manifest-format.md in dnc's repository describes every key.
version: 1
manifests: [\"lists/*.yaml\"]
phone_code: {code} # numbers written without \"+\" have this country code
scopes: # the only lists dnc reads and changes: global, purpose-type or a campaign id
{scopes}reasons: [{reasons}] # the reasons entries may give
require: [requested_at] # every entry says when it was asked for: the deadline counts from it
",
        code = args.phone_code,
        reasons = reasons.join(", "),
    )
}

fn manifest(scope: Option<CampaignId>) -> String {
    let scope = scope_text(scope.unwrap_or(CampaignId::GLOBAL));
    format!(
        "{PREFIX}../schema/{MANIFEST_SCHEMA}
# Numbers that must not be called. `dnc add` writes entries here, for example:
#   dnc add \"(202) 555-0143\" --reason \"Customer Request\" --ticket COMP-1234
# which appends:
#   - number: \"+1 202-555-0143\"
#     reason: Customer Request
#     ticket: COMP-1234
#     requested_at: 2026-03-09
# `dnc remove NUMBER --reason WHY` turns an entry into a tombstone under `removals`.
defaults:
  scope: {scope}
entries: []
removals: []
"
    )
}
