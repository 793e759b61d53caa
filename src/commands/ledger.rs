//! `dnc ledger`: the audit ledger as an auditor reads it: one row per operation.

use crate::cli::{LedgerArgs, LedgerFormat};
use crate::escape::terminal;
use crate::exit::Exit;
use crate::history::LedgerSource;
use crate::ledger::{self, Record};
use crate::ledger_git::{LedgerBranch, Pushed};
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
    /// The request's ticket and where it came from, as the manifest wrote them.
    ticket: Option<String>,
    request_source: Option<String>,
    source: String,
    actor: String,
    commit: String,
    plan: String,
    id: Option<u64>,
    attempts: Option<u32>,
    error: String,
}

const COLUMNS: [&str; 18] = [
    "time",
    "outcome",
    "change",
    "scope",
    "number",
    "reason",
    "requested_at",
    "due",
    "late",
    "ticket",
    "request_source",
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
    let place = ledger::Place::of(&root, args.sources.ledger.as_deref());
    let source = LedgerSource::chosen(args.sources.ledger_branch.as_deref(), &place);
    let mut notes = Vec::new();
    let records = source.records(&root, &mut notes)?;
    for note in &notes {
        eprintln!("note: {}", terminal(note));
    }
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
    let (records, unreadable) = ledger::read_at(&place)?.map_or_else(|| ledger::read(path), Ok)?;
    for warning in &unreadable {
        eprintln!("warning: {}", terminal(warning));
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
        Some(c) => println!(
            "Recorded {} new ledger lines on {branch} ({}), commit {c}",
            pushed.lines, args.remote
        ),
        None => println!(
            "Every line is already on {branch} ({}): nothing to record",
            args.remote
        ),
    }
    after_push(branch, pin.as_deref(), &pushed);
    Ok(Exit::Success)
}

/// After a push: a note when other applies moved the branch meanwhile, and after the push
/// that started a chain, the root to pin: it goes into dnc.yaml through a reviewed change (not
/// written by dnc on a runner, where nobody would review it); until then every apply with the
/// ledger branch is refused.
pub(super) fn after_push(branch: &str, pinned: Option<&str>, pushed: &Pushed) {
    if pushed.retries > 0 {
        eprintln!(
            "note: the ledger branch {branch} moved meanwhile (another apply); appended again \
             ({} refused pushes)",
            pushed.retries
        );
    }
    if let (None, Some(root)) = (pinned, pushed.root.as_deref()) {
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
        ticket: start.ticket.clone(),
        request_source: start.request_source.clone(),
        source: opt(&start.source),
        actor: opt(&start.actor),
        commit: start
            .commit
            .as_deref()
            .map(|c| ledger::short_hash(c).to_string())
            .unwrap_or_default(),
        plan: ledger::short_hash(&start.plan_hash).to_string(),
        id: last.id,
        attempts: last.attempts,
        error: opt(&last.error),
    }
}

fn fields(r: &Row) -> [String; 18] {
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
        text(r.ticket.as_ref()),
        text(r.request_source.as_ref()),
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

/// For spreadsheets: each cell as [`crate::escape::csv_cell`] writes it (one line, formulas
/// neutralized).
fn csv_text(rows: &[Row]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).into_diagnostic()?;
    for r in rows {
        let cells = fields(r).map(|f| crate::escape::csv_cell(&f).into_owned());
        w.write_record(cells.iter().map(|c| c.as_bytes()))
            .into_diagnostic()?;
    }
    String::from_utf8(w.into_inner().into_diagnostic()?).into_diagnostic()
}

/// Aligned columns of escaped text; the error column is last and unpadded.
fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "no operations match\n".to_string();
    }
    let rows: Vec<[String; 18]> = rows
        .iter()
        .map(|r| fields(r).map(|f| terminal(&f).into_owned()))
        .collect();
    let mut widths = COLUMNS.map(|c| c.chars().count());
    for r in &rows {
        for (w, f) in widths.iter_mut().zip(r) {
            *w = (*w).max(f.chars().count());
        }
    }
    let line = |cells: [&str; 18]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            // Padded by hand: `format!`'s width stops at 65,535.
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(COLUMNS);
    for r in &rows {
        out.push_str(&line(r.each_ref().map(String::as_str)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escape::tests::{assert_terminal_safe, csv_cells, hostile, huge, is_formula};
    use proptest::prelude::*;

    fn hostile_row(t: &[String]) -> Row {
        let [time, reason, source, actor, error, outcome, change, scope] =
            std::array::from_fn(|i| t[i].clone());
        Row {
            time,
            outcome,
            change,
            scope,
            number: "+1 202-555-0143".into(),
            reason,
            source,
            actor,
            commit: "0123456789ab".into(),
            plan: "abcdef012345".into(),
            requested_at: None,
            due: None,
            late: Some(true),
            ticket: None,
            request_source: None,
            id: Some(5),
            attempts: Some(1),
            error,
        }
    }

    proptest! {
        #[test]
        fn hostile_ledger_lines_stay_in_their_cells(t in prop::collection::vec(hostile(), 8)) {
            let rows = [hostile_row(&t), hostile_row(&t)];
            let table = table(&rows);
            assert_terminal_safe(&table);
            prop_assert_eq!(table.lines().count(), 3, "{}", table);
            let cells = csv_cells(&csv_text(&rows).unwrap());
            prop_assert_eq!(cells.len(), 3);
            for cell in cells.iter().flatten() {
                prop_assert!(!is_formula(cell), "{:?}", cell);
            }
        }
    }

    #[test]
    fn a_field_past_the_width_limit_is_shown() {
        let mut t: Vec<String> = (0..8).map(|i| format!("f{i}")).collect();
        t[1] = huge();
        let table = table(&[hostile_row(&t)]);
        assert_terminal_safe(&table);
        assert_eq!(table.lines().count(), 2);
    }
}
