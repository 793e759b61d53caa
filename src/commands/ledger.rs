//! `dnc ledger`: the audit ledger as an auditor reads it: one row per operation.

use crate::cli::{LedgerArgs, LedgerFormat};
use crate::drift::DriftRecord;
use crate::escape::terminal;
use crate::exit::Exit;
use crate::history::LedgerSource;
use crate::ledger;
use crate::ledger_git::{LedgerBranch, Pushed};
use crate::ledger_table::{self, Row};
use crate::phone;
use crate::trail::RunRecord;
use miette::{IntoDiagnostic, Result};
use serde::Serialize;
use std::path::PathBuf;

/// `--format json`: the operations in the envelope every JSON output has.
#[derive(Serialize)]
struct JsonLedger<'a> {
    /// Bumped when a field changes meaning or goes away.
    format_version: u32,
    operations: &'a [Row],
    /// Apply runs (approval trail, overrides, refusals); none with `--number`.
    runs: &'a [RunRecord],
    /// The drift checks listed among the operations (rows with `change: drift`), in full:
    /// each missing entry with since when, what changed, the unmanaged counts.
    drift_checks: &'a [&'a DriftRecord],
}

pub fn run(args: LedgerArgs) -> Result<Exit> {
    if let Some(branch) = &args.push_to {
        return push(&args, branch);
    }
    let root = config_dir(&args)?;
    let place = ledger::Place::of(&root, args.sources.ledger.as_deref());
    let source = LedgerSource::chosen(args.sources.ledger_branch.as_deref(), &place);
    let mut notes = Vec::new();
    let ledger::Split {
        records,
        mut runs,
        checks,
    } = ledger::split(source.lines(&root, &mut notes)?);
    for note in &notes {
        stderrln!("note: {}", terminal(note))?;
    }
    let wanted = args
        .number
        .as_deref()
        .map(|n| phone::normalize(Some(args.phone_code), n).map(|(p, _)| p))
        .transpose()
        .map_err(super::CommandError::NumberFlag)?;
    let ops = ledger::operations(records);
    let (_, classes) = crate::drift::classify(&ops, &checks);
    let listed: Vec<(&DriftRecord, Row)> = checks
        .iter()
        .filter(|c| in_range(&c.time, &args))
        .filter_map(|c| Some((c, check_row(c, wanted.as_ref())?)))
        .collect();
    let drift_checks: Vec<&DriftRecord> = listed.iter().map(|(c, _)| *c).collect();
    let mut checks = listed.into_iter().map(|(_, row)| row).peekable();
    let mut rows: Vec<Row> = Vec::new();
    for ((start, finish), class) in ops.iter().zip(classes) {
        if wanted.as_ref().is_some_and(|p| *p != start.key().phone) || !in_range(&start.time, &args)
        {
            continue;
        }
        // Each check between the operations of its time.
        while let Some(c) = checks.next_if(|c| c.time <= start.time) {
            rows.push(c);
        }
        let mut r = Row::of(start, finish.as_ref());
        match class {
            Some(crate::drift::Class::Restore(gap)) => {
                r.change = "restore".into();
                r.restore = Some(gap);
                r.late = None;
            }
            Some(crate::drift::Class::Repeat) => {
                r.repeat = true;
                r.late = None;
            }
            _ => {}
        }
        rows.push(r);
    }
    rows.extend(checks);
    // JSON and CSV are written to memory from our own rows: neither can fail.
    // Runs are not about one number: shown with every operation, not with --number.
    runs.retain(|r| args.number.is_none() && in_range(&r.time, &args));
    let text = match args.format {
        LedgerFormat::Json => {
            let ledger = JsonLedger {
                format_version: 1,
                operations: &rows,
                runs: &runs,
                drift_checks: &drift_checks,
            };
            serde_json::to_string_pretty(&ledger).into_diagnostic()? + "\n"
        }
        LedgerFormat::Csv => ledger_table::csv(&rows).into_diagnostic()?,
        LedgerFormat::Table => {
            let mut text = ledger_table::table(&rows);
            if !runs.is_empty() {
                text.push_str(&super::trail::table(&runs));
            }
            text
        }
    };
    stdout!("{text}")?;
    Ok(Exit::Success)
}

/// The config's directory; a ledger file named where the config goes is refused with the
/// flag that takes it.
fn config_dir(args: &LedgerArgs) -> Result<PathBuf> {
    let config = &args.sources.config;
    if config.extension().is_some_and(|e| e == "jsonl") {
        return Err(super::CommandError::LedgerNotConfig {
            path: config.clone(),
        }
        .into());
    }
    Ok(crate::manifest::config_root(config))
}

/// Records a local ledger (a runner's, or one left by a run that died) on the ledger branch.
fn push(args: &LedgerArgs, branch: &str) -> Result<Exit> {
    let root = config_dir(args)?;
    let target = crate::git::PushTarget {
        branch,
        branch_flag: "--push-to",
        remote: &args.remote,
        remote_flag: "--remote",
    };
    super::check_push_target(&target, &root)?;
    let place = ledger::Place::of(&root, args.sources.ledger.as_deref());
    let path = place.path();
    // The default must exist here too: reading it names the file when it does not.
    let (records, unreadable) =
        ledger::read_lines_at(&place)?.map_or_else(|| ledger::read_lines(path), Ok)?;
    for warning in &unreadable {
        stderrln!("warning: {}", terminal(warning))?;
    }
    let (config, _) = crate::manifest::load_config(&args.sources.config);
    let pin = config.and_then(|c| c.ledger_root);
    let target = LedgerBranch {
        repo: root,
        remote: args.remote.clone(),
        branch: branch.to_string(),
    };
    let subject = format!(
        "dnc ledger: {} lines from {}",
        records.len(),
        path.display()
    );
    let pushed = target
        .push(&records, &subject, pin.as_deref())
        .map_err(|e| super::CommandError::LedgerPush {
            branch: branch.to_string(),
            reason: e.to_string(),
        })?;
    match &pushed.commit {
        Some(c) => stdoutln!(
            "Recorded {} new ledger lines on {branch} ({}), commit {c}",
            pushed.lines,
            args.remote
        )?,
        None => stdoutln!(
            "Every line is already on {branch} ({}): nothing to record",
            args.remote
        )?,
    }
    after_push(branch, pin.as_deref(), &pushed)?;
    Ok(Exit::Success)
}

/// After a push: a note when other applies moved the branch meanwhile, and after the push
/// that started a chain, the root to pin: it goes into dnc.yaml through a reviewed change (not
/// written by dnc on a runner, where nobody would review it); until then every apply with the
/// ledger branch is refused.
pub(super) fn after_push(branch: &str, pinned: Option<&str>, pushed: &Pushed) -> Result<()> {
    if pushed.retries > 0 {
        stderrln!(
            "note: the ledger branch {branch} moved meanwhile (another apply); appended again \
             ({} refused pushes)",
            pushed.retries
        )?;
    }
    if let (None, Some(root)) = (pinned, pushed.root.as_deref()) {
        stdoutln!(
            "The ledger chain starts at {root}. Pin it: add this to dnc.yaml in a reviewed change \
             (the next apply is refused until it is there):\n\n  ledger: {{root: {root}}}\n"
        )?;
    }
    Ok(())
}

fn in_range(time: &str, args: &LedgerArgs) -> bool {
    let Some(day) = time
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return true;
    };
    args.since.is_none_or(|s| day >= s) && args.until.is_none_or(|u| day <= u)
}

/// A drift check as a row: `clean` or `differs` with what differed; with --number, only the
/// checks that found that number differing, saying how.
fn check_row(c: &DriftRecord, wanted: Option<&phone::Phone>) -> Option<Row> {
    let (scope, number, outcome, reason) = match wanted {
        None => (
            String::new(),
            String::new(),
            if c.clean { "clean" } else { "differs" },
            c.summary(),
        ),
        Some(p) => {
            let missing = c.missing.iter().find(|m| m.entry.key().phone == *p);
            let other = |list: &[crate::drift::Entry]| {
                list.iter().find(|e| e.key().phone == *p).map(|e| e.key())
            };
            match (missing, other(&c.changed), other(&c.not_removed)) {
                (Some(m), _, _) => (
                    m.entry.key().scope.to_string(),
                    p.display(),
                    "missing",
                    match &m.last_present {
                        Some(t) => {
                            format!("missing since {}, last known present {t}", m.missing_since)
                        }
                        None => format!("missing since {}, never applied", m.missing_since),
                    },
                ),
                (None, Some(k), _) => (k.scope.to_string(), p.display(), "changed", String::new()),
                (None, None, Some(k)) => (
                    k.scope.to_string(),
                    p.display(),
                    "not removed",
                    String::new(),
                ),
                (None, None, None) => return None,
            }
        }
    };
    Some(Row {
        time: c.time.clone(),
        outcome: outcome.to_string(),
        change: "drift".into(),
        scope,
        number,
        reason: Some(reason).filter(|r| !r.is_empty()),
        requested_at: None,
        due: None,
        late: None,
        ticket: None,
        request_source: None,
        source: None,
        actor: c.actor.clone(),
        commit: c
            .commit
            .as_deref()
            .map(|h| ledger::short_hash(h).to_string()),
        plan: ledger::short_hash(&c.plan_hash).to_string(),
        id: None,
        attempts: None,
        error: None,
        restore: None,
        repeat: false,
    })
}
