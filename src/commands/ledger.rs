//! `dnc ledger`: the audit ledger as an auditor reads it: one row per operation.

use crate::cli::{LedgerArgs, LedgerFormat};
use crate::exit::Exit;
use crate::history::LedgerSource;
use crate::ledger::{self, Record};
use crate::ledger_git::LedgerBranch;
use crate::phone;
use miette::{IntoDiagnostic, Result};
use serde::Serialize;
use std::path::PathBuf;

/// One operation: its start line joined with its finish line, if it has one. JSON keeps the
/// types (ids and attempts are numbers, absent values null); the table and CSV show text.
#[derive(Debug, Serialize)]
struct Row {
    time: String,
    outcome: String,
    change: String,
    scope: String,
    number: String,
    reason: String,
    /// A create's request day, its deadline, and whether it took effect after it.
    requested_at: Option<chrono::NaiveDate>,
    due: Option<chrono::NaiveDate>,
    late: Option<bool>,
    source: String,
    actor: String,
    commit: String,
    plan: String,
    id: Option<u64>,
    attempts: Option<u32>,
    error: String,
}

const COLUMNS: [&str; 16] = [
    "time",
    "outcome",
    "change",
    "scope",
    "number",
    "reason",
    "requested_at",
    "due",
    "late",
    "source",
    "actor",
    "commit",
    "plan",
    "id",
    "attempts",
    "error",
];

pub fn run(args: LedgerArgs) -> Result<Exit> {
    if let Some(branch) = &args.push_to {
        return push(&args, branch);
    }
    let root = config_dir(&args)?;
    let default = root.join(".dnc").join("ledger.jsonl");
    let source = LedgerSource::chosen(
        args.sources.ledger_branch.as_deref(),
        args.sources.ledger.as_deref(),
        &default,
    );
    let records = match source.records(&root)? {
        Ok(records) => records,
        Err(note) => {
            eprintln!("{note}");
            Vec::new()
        }
    };
    let wanted = args
        .number
        .as_deref()
        .map(|n| phone::normalize(Some(args.phone_code), n).map(|(p, _)| p))
        .transpose()
        .map_err(super::CommandError::NumberFlag)?;
    let rows: Vec<Row> = ledger::operations(records)
        .into_iter()
        .filter(|(start, _)| wanted.as_ref().is_none_or(|p| *p == start.key().phone))
        .filter(|(start, _)| in_range(&start.time, &args))
        .map(|(start, finish)| row(&start, finish.as_ref()))
        .collect();
    // JSON and CSV are written to memory from our own rows: neither can fail.
    let text = match args.format {
        LedgerFormat::Json => serde_json::to_string_pretty(&rows).into_diagnostic()? + "\n",
        LedgerFormat::Csv => csv_text(&rows)?,
        LedgerFormat::Table => table(&rows),
    };
    print!("{text}");
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
    let path =
        (args.sources.ledger.clone()).unwrap_or_else(|| root.join(".dnc").join("ledger.jsonl"));
    let (records, _torn) = ledger::read(&path)?;
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
    match pushed.commit {
        Some(c) => println!(
            "Recorded {} new ledger lines on {branch} ({}), commit {c}",
            pushed.lines, args.remote
        ),
        None => println!(
            "Every line is already on {branch} ({}): nothing to record",
            args.remote
        ),
    }
    ask_to_pin(pin.as_deref(), pushed.root.as_deref());
    Ok(Exit::Success)
}

/// After the push that started a chain: the root goes into dnc.yaml through a reviewed
/// change (not written by dnc on a runner, where nobody would review it); until then every
/// apply with the ledger branch is refused.
pub(super) fn ask_to_pin(pinned: Option<&str>, root: Option<&str>) {
    if let (None, Some(root)) = (pinned, root) {
        println!(
            "The ledger chain starts at {root}. Pin it: add this to dnc.yaml in a reviewed change \
             (the next apply is refused until it is there):\n\n  ledger: {{root: {root}}}\n"
        );
    }
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

fn row(start: &Record, finish: Option<&Record>) -> Row {
    let last = finish.unwrap_or(start);
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    Row {
        time: last.time.clone(),
        outcome: ledger::outcome_text(finish).to_string(),
        change: serde_json::to_value(start.change)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        scope: start.key().scope.to_string(),
        number: start.key().phone.display(),
        reason: start
            .removal_reason
            .clone()
            .or_else(|| start.reason.clone())
            .unwrap_or_default(),
        requested_at: start.requested_at,
        due: start.due,
        late: ledger::late(start, finish),
        source: opt(&start.source),
        actor: opt(&start.actor),
        commit: start
            .commit
            .as_deref()
            .map(|c| c[..12.min(c.len())].to_string())
            .unwrap_or_default(),
        plan: start.plan_hash[..12.min(start.plan_hash.len())].to_string(),
        id: last.id,
        attempts: last.attempts,
        error: opt(&last.error),
    }
}

fn fields(r: &Row) -> [String; 16] {
    [
        r.time.clone(),
        r.outcome.clone(),
        r.change.clone(),
        r.scope.clone(),
        r.number.clone(),
        r.reason.clone(),
        text(r.requested_at),
        text(r.due),
        match r.late {
            Some(true) => "LATE".into(),
            Some(false) => "on time".into(),
            None => String::new(),
        },
        r.source.clone(),
        r.actor.clone(),
        r.commit.clone(),
        r.plan.clone(),
        text(r.id),
        text(r.attempts),
        r.error.clone(),
    ]
}

fn text(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn csv_text(rows: &[Row]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).into_diagnostic()?;
    for r in rows {
        w.write_record(fields(r)).into_diagnostic()?;
    }
    String::from_utf8(w.into_inner().into_diagnostic()?).into_diagnostic()
}

/// Aligned columns; the error column is last and unpadded.
fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "no operations match\n".to_string();
    }
    let mut widths = COLUMNS.map(|c| c.chars().count());
    for r in rows {
        for (w, f) in widths.iter_mut().zip(fields(r)) {
            *w = (*w).max(f.chars().count());
        }
    }
    let line = |cells: [String; 16]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(COLUMNS.map(String::from));
    for r in rows {
        out.push_str(&line(fields(r)));
    }
    out
}
