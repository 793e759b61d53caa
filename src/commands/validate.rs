//! `dnc validate`: load the config and manifests, print every diagnostic, exit 1 on errors.

use super::Output;
use crate::cli::{DiagnosticFormat, ValidateArgs};
use crate::exit::Exit;
use crate::manifest::{self, Diagnostics, render_github, render_human, render_json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn run(args: ValidateArgs, out: Output) -> miette::Result<Exit> {
    super::config_exists(&args.path)?;
    let mut loaded = manifest::load(&args.path, args.strict);
    let out = match args.format {
        DiagnosticFormat::Human => {
            let mut s = render_human(&loaded.diagnostics, out.color);
            if !loaded.has_errors() {
                let d = &loaded.desired;
                s.push_str(&format!(
                    "valid: {} entries, {} tombstones\n",
                    d.entries.len(),
                    d.tombstones.len()
                ));
            }
            s
        }
        DiagnosticFormat::Json => render_json(&loaded.diagnostics),
        DiagnosticFormat::Github => {
            if let Some(prefix) = repository_prefix(&args.path) {
                prefix_files(&mut loaded.diagnostics, &prefix);
            }
            render_github(&loaded.diagnostics)
        }
    };
    stdout!("{out}")?;
    Ok(Exit::error_if(loaded.has_errors()))
}

/// The config's directory relative to the repository root (GITHUB_WORKSPACE, else git's top
/// level), `/`-separated; `None` when it is the root itself or outside any repository.
/// Annotations must name files as the pull request's diff does.
fn repository_prefix(config_path: &Path) -> Option<String> {
    let dir = manifest::config_root(config_path).canonicalize().ok()?;
    let top = match std::env::var_os("GITHUB_WORKSPACE").filter(|v| !v.is_empty()) {
        Some(workspace) => PathBuf::from(workspace),
        None => PathBuf::from(crate::git::Git::at(&dir).value(&["rev-parse", "--show-toplevel"])?),
    };
    let relative = dir.strip_prefix(top.canonicalize().ok()?).ok()?;
    let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn prefix_files(diagnostics: &mut Diagnostics, prefix: &str) {
    let rebase = |file: &mut Arc<str>| *file = format!("{prefix}/{file}").into();
    for d in &mut diagnostics.items {
        if let Some(at) = &mut d.at {
            rebase(&mut at.file);
        }
        for label in &mut d.labels {
            rebase(&mut label.at.file);
        }
    }
}
