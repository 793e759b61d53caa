//! Saved plans: written by `dnc plan --out`, applied by `dnc apply FILE` only while still true.

use super::{Plan, render};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    /// The file's format, as on every JSON output (the plan's own); absent in files written
    /// before dnc wrote it, which are read by the plan's.
    #[serde(default)]
    pub format_version: Option<u32>,
    /// The config the plan was made from, as given on the command line.
    pub config: PathBuf,
    /// The API the plan was read from, as the binary's `target::identity` names it; absent in
    /// files written before dnc recorded it, which are refused like any other target.
    #[serde(default)]
    pub target: Option<String>,
    pub plan: Plan,
}

/// Why a saved plan cannot be written or applied.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SavedPlanError {
    #[error("writing the plan to {}", path.display())]
    #[diagnostic(
        code(dnc::plan::write),
        help("check that the --out directory exists and is writable")
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("reading {}", path.display())]
    #[diagnostic(code(dnc::plan::read), help("check the path of the saved plan"))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a dnc plan file: {source}", path.display())]
    #[diagnostic(
        code(dnc::plan::not_a_plan),
        help("apply a file written by `dnc plan --out FILE`, or the config to plan afresh")
    )]
    NotAPlan {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{} does not match its own hash: it was edited after `dnc plan` wrote it; nothing was applied",
        path.display()
    )]
    #[diagnostic(
        code(dnc::plan::tampered),
        help(
            "make the plan again with `dnc plan --out FILE`, review it, and apply that file unedited"
        )
    )]
    Tampered { path: PathBuf },
    #[error(
        "{} was planned against {}, not against {now}: its changes were read from other lists than these; nothing was applied",
        path.display(),
        saved.as_deref().unwrap_or("an unrecorded target")
    )]
    #[diagnostic(
        code(dnc::plan::other_target),
        help(
            "apply it with the target it was planned against, or make the plan against this one with `dnc plan --out FILE` and review that"
        )
    )]
    OtherTarget {
        path: PathBuf,
        saved: Option<String>,
        now: String,
    },
    #[error("{} has plan format {found}, this dnc reads format {expected}", path.display())]
    #[diagnostic(
        code(dnc::plan::format),
        help("make the plan again with this dnc (`dnc plan --out FILE`)")
    )]
    Format {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
}

/// Writes `plan`, made from `config` against `target`, as a [`SavedPlan`], atomically: a
/// reader never sees half a plan.
pub fn save(path: &Path, config: &Path, target: &str, plan: &Plan) -> Result<(), SavedPlanError> {
    /// A `SavedPlan` by reference: the plan is not copied to be written.
    #[derive(Serialize)]
    struct Saving<'a> {
        format_version: u32,
        config: &'a Path,
        target: &'a str,
        plan: &'a Plan,
    }
    let failed = |source| SavedPlanError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    // Buffered: serde writes a JSON document in many small pieces.
    let mut out = std::io::BufWriter::new(tmp);
    serde_json::to_writer_pretty(
        &mut out,
        &Saving {
            format_version: plan.format_version,
            config,
            target,
            plan,
        },
    )
    .map_err(|e| failed(e.into()))?;
    out.write_all(b"\n").map_err(failed)?;
    let tmp = out.into_inner().map_err(|e| failed(e.into_error()))?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

pub fn load(path: &Path) -> Result<SavedPlan, SavedPlanError> {
    let path_buf = || path.to_path_buf();
    let text = std::fs::read_to_string(path).map_err(|source| SavedPlanError::Read {
        path: path_buf(),
        source,
    })?;
    let saved: SavedPlan =
        serde_json::from_str(&text).map_err(|source| SavedPlanError::NotAPlan {
            path: path_buf(),
            source,
        })?;
    if super::hash::plan_hash(&saved.plan) != saved.plan.hash {
        return Err(SavedPlanError::Tampered { path: path_buf() });
    }
    let versions = [saved.format_version, Some(saved.plan.format_version)];
    if let Some(found) = versions
        .into_iter()
        .flatten()
        .find(|v| *v != super::FORMAT_VERSION)
    {
        return Err(SavedPlanError::Format {
            path: path_buf(),
            found,
            expected: super::FORMAT_VERSION,
        });
    }
    Ok(saved)
}

/// Refuses a saved plan read from `path` when it was made against another target than
/// `now`: two accounts' lists may even look alike, so the remote hash alone cannot tell.
pub fn check_target(path: &Path, saved: &SavedPlan, now: &str) -> Result<(), SavedPlanError> {
    if saved.target.as_deref() == Some(now) {
        return Ok(());
    }
    Err(SavedPlanError::OtherTarget {
        path: path.to_path_buf(),
        saved: saved.target.clone(),
        now: now.to_string(),
    })
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
