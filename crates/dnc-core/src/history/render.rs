//! The timeline for people: one block per commit or applied operation, one line per scope.
//! Text from manifests, git and the ledger is shown quoted or escaped (`crate::escape`),
//! so no file content can drive the terminal.

use super::{Event, Timeline, What};
use crate::plan::Edit;
use std::fmt::Write as _;

pub fn human(t: &Timeline) -> String {
    let mut out = format!("History of {}\n", t.number.display);
    if t.events.is_empty() {
        out.push_str("\nNo manifest change or applied operation mentions this number.\n");
    }
    let mut last_header = String::new();
    for e in &t.events {
        let header = header(e);
        if header != last_header {
            out.push('\n');
            out.push_str(&header);
            last_header = header;
        }
        let _ = writeln!(out, "  {:<14} {}", clean(&e.scope_name), line(&e.what));
    }
    if !t.notes.is_empty() {
        out.push('\n');
    }
    for n in &t.notes {
        let _ = writeln!(out, "note: {}", clean(n));
    }
    out
}

fn header(e: &Event) -> String {
    let time = chrono::DateTime::parse_from_rfc3339(&e.time).map_or_else(
        |_| clean(&e.time),
        |t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        },
    );
    match (&e.commit, &e.what) {
        (Some(c), _) => format!(
            "{time}  commit {}  {} <{}>\n    {}\n",
            short(&c.hash),
            clean(&c.author),
            clean(&c.email),
            clean(&c.subject)
        ),
        (
            None,
            What::Applied {
                plan_hash,
                actor,
                git_commit,
                run,
                ..
            },
        ) => {
            let mut h = format!("{time}  applied  plan {}", short(plan_hash));
            if let Some(a) = actor {
                let _ = write!(h, ", by {}", clean(a));
            }
            if let Some(c) = git_commit {
                let _ = write!(h, ", from commit {}", short(c));
            }
            if let Some(t) = &run.trail {
                let _ = write!(h, "; {}", clean(&t.text()));
            }
            if let Some(o) = &run.overrides {
                let _ = write!(h, "; override {}", clean(o));
            }
            h + "\n"
        }
        (None, What::Missing { .. }) => format!("{time}  drift check\n"),
        (None, _) => format!("{time}\n"),
    }
}

fn line(what: &What) -> String {
    match what {
        What::Added {
            file,
            reason,
            purpose,
        } => {
            let mut s = format!("added in {}: reason {reason:?}", clean(file));
            if let Some(p) = purpose {
                let _ = write!(s, ", purpose {p:?}");
            }
            s
        }
        What::Changed {
            file,
            reason,
            purpose,
        } => {
            let mut parts = Vec::new();
            for (name, edit) in [("reason", reason), ("purpose", purpose)] {
                if edit.changed() {
                    parts.push(format!("{name} {}", edit_text(edit)));
                }
            }
            format!("changed in {}: {}", clean(file), parts.join(", "))
        }
        What::Moved { from, to } => format!("moved from {} to {}", clean(from), clean(to)),
        What::Tombstoned {
            file,
            removal_reason,
        } => format!(
            "TOMBSTONED in {}: removal reason {removal_reason:?}",
            clean(file)
        ),
        What::TombstoneRemoved {
            file,
            removal_reason,
        } => format!(
            "tombstone removed from {} (it said {removal_reason:?})",
            clean(file)
        ),
        What::Unlisted { file, reason } => format!(
            "UNLISTED from {} without a tombstone (reason was {reason:?}): no longer managed, the remote entry stays",
            clean(file)
        ),
        What::Applied {
            change,
            outcome,
            id,
            reason,
            purpose,
            removal_reason,
            error,
            source,
            requested_at,
            due,
            late,
            ticket,
            request_source,
            restore,
            repeat,
            ..
        } => {
            let change = match restore {
                Some(_) => "restore".to_string(),
                None => serde_json::to_value(change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            };
            let mut s = format!("{change}: {outcome}");
            if let Some(id) = id {
                let _ = write!(s, ", id {id}");
            }
            if let Some(r) = removal_reason {
                let _ = write!(s, ", removal reason {r:?}");
            } else if let Some(r) = reason {
                let _ = write!(s, ", reason {r:?}");
            }
            if let Some(p) = purpose {
                let _ = write!(s, ", purpose {p:?}");
            }
            if let Some(r) = requested_at {
                let _ = write!(s, ", requested {r}");
            }
            if let Some(d) = due {
                let _ = write!(s, ", due {d}");
            }
            if *late == Some(true) {
                s.push_str(" (LATE)");
            }
            if let Some(t) = ticket {
                let _ = write!(s, ", ticket {}", clean(t));
            }
            if let Some(r) = request_source {
                let _ = write!(s, ", via {}", clean(r));
            }
            if let Some(f) = source {
                let _ = write!(s, ", from {}", clean(f));
            }
            if let Some(g) = restore {
                let _ = write!(
                    s,
                    " (put back after a gap: last known present {}, found missing {})",
                    time_or(g.last_present.as_deref(), "unknown"),
                    time_or(g.missing_since.as_deref(), "by no drift check")
                );
            }
            if *repeat {
                s.push_str(" (repeated: already in effect, not a new opt-out)");
            }
            if let Some(e) = error {
                let _ = write!(s, ": {}", clean(e));
            }
            s
        }
        What::Missing {
            last_present,
            restored_at,
            restored_by,
            lasted,
            checks,
        } => {
            let back = match (restored_at, *restored_by) {
                (Some(at), Some("found")) => {
                    format!("found again {}", time_or(Some(at.as_str()), ""))
                }
                (Some(at), _) => format!("restored by apply {}", time_or(Some(at.as_str()), "")),
                (None, _) => "still missing".to_string(),
            };
            format!(
                "MISSING from the dialer (drift check): last known present {}; {back}; lasted at most {} ({checks} checks found it missing)",
                time_or(last_present.as_deref(), "unknown"),
                lasted.as_deref().map_or("?".to_string(), clean),
            )
        }
    }
}

/// A ledger time as `2026-03-02 10:00 UTC`, or `none` when absent.
fn time_or(time: Option<&str>, none: &str) -> String {
    let Some(time) = time else {
        return none.to_string();
    };
    chrono::DateTime::parse_from_rfc3339(time).map_or_else(
        |_| clean(time),
        |t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        },
    )
}

fn edit_text(e: &Edit) -> String {
    let show = |v: &Option<String>| v.as_ref().map_or("none".to_string(), |s| format!("{s:?}"));
    format!("{} -> {}", show(&e.old), show(&e.new))
}

fn short(hash: &str) -> String {
    clean(&hash.chars().take(12).collect::<String>())
}

/// Text from git and the ledger, shown with its hidden characters escaped.
fn clean(s: &str) -> String {
    crate::escape::terminal(s).into_owned()
}
