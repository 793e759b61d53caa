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
    if super::diff::plan_hash(&saved.plan) != saved.plan.hash {
        return Err(miette!(
            code = "dnc::plan::tampered",
            help = "make the plan again with `dnc plan --out FILE`, review it, and apply that file unedited",
            "{} does not match its own hash: it was edited after `dnc plan` wrote it; nothing was applied",
            path.display()
        ));
    }
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
/// each; empty when the saved plan may still be applied. A change whose line reads the same
/// on both sides but differs in detail is listed once, as changed.
pub fn staleness(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    if saved.manifests_hash != fresh.manifests_hash {
        out.push("the manifests changed since the plan was made".to_string());
    }
    // Keyed by the line without the days left: a plan made yesterday is not stale for that.
    let by_line = |plan: &'_ Plan| -> BTreeMap<String, (String, String)> {
        plan.changes()
            .map(|c| {
                let dateless = c.dateless();
                let detail = serde_json::to_string(&dateless).expect("changes always serialize");
                (render::one_line(&dateless), (render::one_line(c), detail))
            })
            .collect()
    };
    let (before, now) = (by_line(saved), by_line(fresh));
    for (key, (line, detail)) in &before {
        match now.get(key) {
            None => out.push(format!("no longer planned: {line}")),
            Some((_, d)) if d != detail => out.push(format!("changed since the plan: {line}")),
            Some(_) => {}
        }
    }
    out.extend(
        now.iter()
            .filter(|(key, _)| !before.contains_key(*key))
            .map(|(_, (line, _))| format!("newly planned: {line}")),
    );
    if saved.remote_hash != fresh.remote_hash {
        out.extend(remote_changes(saved, fresh));
    }
    out
}

/// How the remote lists moved under a plan whose changes may still look the same: scope
/// totals and unmanaged entries.
fn remote_changes(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for (s, f) in saved.scopes.iter().zip(&fresh.scopes) {
        let title = render::scope_title(f);
        if s.remote_total != f.remote_total {
            out.push(format!(
                "{title} held {} entries at plan time and holds {} now",
                s.remote_total, f.remote_total
            ));
        }
        let ids = |p: &super::ScopePlan| -> BTreeMap<u64, String> {
            p.unmanaged
                .iter()
                .map(|u| (u.id, format!("{} (id {})", u.key.phone.display(), u.id)))
                .collect()
        };
        let (was, is) = (ids(s), ids(f));
        out.extend(
            is.iter()
                .filter(|(id, _)| !was.contains_key(*id))
                .map(|(_, u)| format!("new unmanaged entry in {title}: {u}")),
        );
        out.extend(
            was.iter()
                .filter(|(id, _)| !is.contains_key(*id))
                .map(|(_, u)| format!("unmanaged entry gone from {title}: {u}")),
        );
    }
    if out.is_empty() {
        out.push("the remote lists changed since the plan was made".to_string());
    }
    out
}
