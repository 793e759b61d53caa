//! `dnc ledger`: the audit ledger as an auditor reads it: one row per operation.

use crate::cli::{LedgerArgs, LedgerFormat};
use crate::drift::DriftRecord;
use crate::escape::terminal;
use crate::exit::Exit;
use crate::history::LedgerSource;
use crate::ledger::{self, Record};
use crate::ledger_git::LedgerBranch;
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

/// One operation: its start line joined with its finish line, if it has one. JSON keeps the
/// types (ids and attempts are numbers, absent values null); the table and CSV show text.
#[derive(Debug, Serialize)]
struct Row {
    time: String,
    outcome: String,
    change: String,
    scope: String,
    number: String,
    reason: Option<String>,
    /// A create's request day, its deadline, and whether it took effect after it.
    requested_at: Option<chrono::NaiveDate>,
    due: Option<chrono::NaiveDate>,
    late: Option<bool>,
    /// The request's ticket and where it came from, as the manifest wrote them.
    ticket: Option<String>,
    request_source: Option<String>,
    source: Option<String>,
    actor: Option<String>,
    commit: Option<String>,
    plan: String,
    id: Option<u64>,
    attempts: Option<u32>,
    error: Option<String>,
    /// A restore's gap (the entry had vanished from the dialer); a repeated create of an
    /// entry already in effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    restore: Option<crate::drift::Restore>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    repeat: bool,
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
    let ledger::Split {
        records,
        mut runs,
        checks,
    } = match source.lines(&root)? {
        Ok(lines) => ledger::split(lines),
        Err(note) => {
            stderrln!("{}", terminal(&note))?;
            Default::default()
        }
    };
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
        let mut r = row(start, finish.as_ref());
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
        LedgerFormat::Csv => csv_text(&rows)?,
        LedgerFormat::Table => {
            let mut text = table(&rows);
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
    let (records, _torn) = place
        .read_lines()?
        .map_or_else(|| ledger::read_lines(path), Ok)?;
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
    ask_to_pin(pin.as_deref(), pushed.root.as_deref())?;
    Ok(Exit::Success)
}

/// After the push that started a chain: the root goes into dnc.yaml through a reviewed
/// change (not written by dnc on a runner, where nobody would review it); until then every
/// apply with the ledger branch is refused.
pub(super) fn ask_to_pin(pinned: Option<&str>, root: Option<&str>) -> Result<()> {
    if let (None, Some(root)) = (pinned, root) {
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

fn row(start: &Record, finish: Option<&Record>) -> Row {
    let last = finish.unwrap_or(start);
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
            .or_else(|| start.reason.clone()),
        requested_at: start.requested_at,
        due: start.due,
        late: ledger::late(start, finish),
        ticket: start.ticket.clone(),
        request_source: start.request_source.clone(),
        source: start.source.clone(),
        actor: start.actor.clone(),
        commit: start
            .commit
            .as_deref()
            .map(|c| ledger::short_hash(c).to_string()),
        plan: ledger::short_hash(&start.plan_hash).to_string(),
        id: last.id,
        attempts: last.attempts,
        error: last.error.clone(),
        restore: None,
        repeat: false,
    }
}

/// A drift check as a row: `clean` or `differs` with what differed; with --number, only the
/// checks that found that number differing, saying how.
fn check_row(c: &DriftRecord, wanted: Option<&phone::Phone>) -> Option<Row> {
    let (scope, number, outcome, reason) = match wanted {
        None => (
            String::new(),
            String::new(),
            if c.clean { "clean" } else { "differs" },
            super::drift::summary(c),
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

fn fields(r: &Row) -> [String; 18] {
    [
        r.time.clone(),
        r.outcome.clone(),
        r.change.clone(),
        r.scope.clone(),
        r.number.clone(),
        text(r.reason.as_ref()),
        text(r.requested_at),
        text(r.due),
        match r.late {
            Some(true) => "LATE".into(),
            Some(false) => "on time".into(),
            None => String::new(),
        },
        text(r.ticket.as_ref()),
        text(r.request_source.as_ref()),
        text(r.source.as_ref()),
        text(r.actor.as_ref()),
        text(r.commit.as_ref()),
        r.plan.clone(),
        text(r.id),
        text(r.attempts),
        text(r.error.as_ref()),
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
    let rows: Vec<[String; 18]> = rows.iter().map(fields).collect();
    aligned(COLUMNS, &rows)
}

/// A header and rows as aligned columns of escaped text, the last column unpadded.
pub(super) fn aligned<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|r| r.each_ref().map(|f| terminal(f).into_owned()))
        .collect();
    let mut widths = header.map(|c| c.chars().count());
    for r in &rows {
        for (w, f) in widths.iter_mut().zip(r) {
            *w = (*w).max(f.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            // Padded by hand: `format!`'s width stops at 65,535.
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header);
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
            reason: Some(reason),
            source: Some(source),
            actor: Some(actor),
            commit: Some("0123456789ab".into()),
            plan: "abcdef012345".into(),
            requested_at: None,
            due: None,
            late: Some(true),
            ticket: None,
            request_source: None,
            id: Some(5),
            attempts: Some(1),
            error: Some(error),
            restore: None,
            repeat: false,
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
