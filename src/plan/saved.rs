//! Saved plans: written by `dnc plan --out`, applied by `dnc apply FILE` only while still true.

use super::{Plan, render};
use miette::{Context, IntoDiagnostic, Result, miette};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    /// The config the plan was made from, as given on the command line.
    pub config: PathBuf,
    pub plan: Plan,
}

/// Writes atomically: a reader never sees half a plan.
pub fn save(path: &Path, saved: &SavedPlan) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .into_diagnostic()
        .wrap_err_with(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).into_diagnostic()?;
    serde_json::to_writer_pretty(&mut tmp, saved).into_diagnostic()?;
    tmp.write_all(b"\n").into_diagnostic()?;
    tmp.persist(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("writing the plan to {}", path.display()))?;
    Ok(())
}

pub fn load(path: &Path) -> Result<SavedPlan> {
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("reading {}", path.display()))?;
    let saved: SavedPlan = serde_json::from_str(&text)
        .map_err(|e| miette!("{} is not a dnc plan file: {e}", path.display()))?;
    if saved.plan.format_version != super::FORMAT_VERSION {
        return Err(miette!(
            "{} has plan format {}, this dnc reads format {}",
            path.display(),
            saved.plan.format_version,
            super::FORMAT_VERSION
        ));
    }
    Ok(saved)
}

/// What differs between a saved plan and the plan the same manifests give now, one line
/// each; empty when the saved plan may still be applied.
pub fn staleness(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    if saved.manifests_hash != fresh.manifests_hash {
        out.push("the manifests changed since the plan was made".to_string());
    }
    let by_value = |plan: &'_ Plan| -> BTreeMap<String, String> {
        plan.changes()
            .map(|c| {
                (
                    // A plan made yesterday differs only in its days left: not stale.
                    serde_json::to_string(&c.dateless()).expect("changes always serialize"),
                    render::one_line(c),
                )
            })
            .collect()
    };
    let (before, now) = (by_value(saved), by_value(fresh));
    out.extend(
        before
            .iter()
            .filter(|(k, _)| !now.contains_key(*k))
            .map(|(_, c)| format!("no longer planned: {c}")),
    );
    out.extend(
        now.iter()
            .filter(|(k, _)| !before.contains_key(*k))
            .map(|(_, c)| format!("newly planned: {c}")),
    );
    out
}
