//! The ledger as an auditor reads it (`dnc ledger`): one row per operation, its start line
//! joined with its finish line, as aligned text or as CSV for spreadsheets.

use crate::escape::terminal;
use crate::ledger::{self, Record};
use serde::Serialize;

/// One operation: its start line joined with its finish line, if it has one. JSON keeps the
/// types (ids and attempts are numbers, absent values null); the table and CSV show text.
#[derive(Debug, Serialize)]
pub struct Row {
    pub time: String,
    pub outcome: String,
    pub change: String,
    pub scope: String,
    pub number: String,
    pub reason: Option<String>,
    /// A create's request day, its deadline, and whether it took effect after it.
    pub requested_at: Option<chrono::NaiveDate>,
    pub due: Option<chrono::NaiveDate>,
    pub late: Option<bool>,
    /// The request's ticket and where it came from, as the manifest wrote them.
    pub ticket: Option<String>,
    pub request_source: Option<String>,
    pub source: Option<String>,
    pub actor: Option<String>,
    pub commit: Option<String>,
    pub plan: String,
    pub id: Option<u64>,
    pub attempts: Option<u32>,
    pub error: Option<String>,
    /// A restore's gap (the entry had vanished from the dialer); a repeated create of an
    /// entry already in effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore: Option<crate::drift::Restore>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeat: bool,
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

impl Row {
    /// The row of the operation started by `start` and finished by `finish`.
    pub fn of(start: &Record, finish: Option<&Record>) -> Row {
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
pub fn csv(rows: &[Row]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in rows {
        let cells = fields(r).map(|f| crate::escape::csv_cell(&f).into_owned());
        w.write_record(cells.iter().map(|c| c.as_bytes()))?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    // The cells are `String`s, so the bytes are UTF-8.
    Ok(String::from_utf8(bytes).expect("CSV of strings is UTF-8"))
}

/// Aligned columns of escaped text; the error column is last and unpadded.
pub fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "no operations match\n".to_string();
    }
    let rows: Vec<[String; 18]> = rows.iter().map(fields).collect();
    aligned(COLUMNS, &rows)
}

/// A header and rows as aligned columns of escaped text, the last column unpadded.
pub fn aligned<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
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
            let cells = csv_cells(&csv(&rows).unwrap());
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
