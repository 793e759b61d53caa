//! `dnc add --csv FILE`: every row of a CSV file (a CRM export, read through the same column
//! mapping a CSV include writes) added as `dnc add` adds one number, reported as already
//! listed, or refused at its line. The rows that can be added are written in one checked,
//! atomic write; refused rows make the command fail after it, so they are never missed.

use super::add::{NewEntry, fields};
use super::edit::{self, Action, Outcome};
use super::{CommandError, Output};
use crate::cli::AddArgs;
use crate::entry::Key;
use crate::exit::Exit;
use crate::manifest::diagnostics::{Diagnostics, SourceFile};
use crate::manifest::model::{ColumnMap, ScopeRef};
use crate::manifest::{self, CsvMapping, CsvRow};
use miette::Result;
use std::path::Path;
use std::sync::Arc;

/// Problems of one row; any other problem (the header, the mapping) means the file cannot
/// be read as mapped, and nothing is written.
const ROW_PROBLEMS: [&str; 6] = [
    "dnc::csv::number",
    "dnc::csv::phone_code",
    "dnc::csv::scope",
    "dnc::csv::date",
    "dnc::csv::width",
    "dnc::csv::no_number",
];

/// Already-listed rows printed one by one before the rest are only counted.
const SHOWN: usize = 10;

/// What became of one CSV row.
enum Fate {
    Added(Key),
    Listed(Key, manifest::Source),
    /// A number an earlier row of the file adds.
    Repeated(Key),
    Refused(String),
}

pub fn run(args: &AddArgs, csv: &Path, out: Output) -> Result<Exit> {
    let (config, desired) = edit::open(&args.edit, out)?;
    let target = edit::target(&config, args.edit.to.as_deref(), args.edit.scope)?;
    let name = crate::paths::slashed(csv);
    let text = std::fs::read_to_string(csv).map_err(CommandError::read(csv))?;
    let (rows, problems) = manifest::read_csv(&name, &text, &mapping(args));
    if problems.iter().any(|d| !ROW_PROBLEMS.contains(&d.code)) {
        let mut shown = Diagnostics::default();
        shown.add_file(Arc::new(SourceFile::new(
            Arc::from(name.as_str()),
            Arc::from(text),
        )));
        problems.into_iter().for_each(|d| shown.push(d));
        stderr!("{}", manifest::render_human(&shown, out.color_err))?;
        return Err(CommandError::CsvUnreadable { file: name }.into());
    }
    let today = edit::requested_at(&args.edit)?;
    let code = edit::phone_code(&args.edit, &target, &config);
    let mut fates: Vec<(u32, Fate)> = problems
        .into_iter()
        .map(|d| {
            let line = d.at.as_ref().map_or(0, |at| at.line);
            let why = match d.help {
                // The reader's help speaks of an include; here the format is a flag.
                Some(help) => format!(
                    "{}: {}",
                    d.message,
                    help.replace("the include's `date_format`", "--date-format")
                ),
                None => d.message,
            };
            (line, Fate::Refused(why))
        })
        .collect();
    let mut text = target.text.clone();
    let mut added: Vec<Key> = Vec::new();
    for row in &rows {
        let fate = match key_of(row, code, args.edit.scope.or(target.scope)) {
            Err(why) => Fate::Refused(why),
            Ok(key) => match edit::placed(&desired, &key) {
                Some((false, at)) => Fate::Listed(key, at),
                Some((true, at)) => Fate::Refused(format!(
                    "{} ({}) has a tombstone at {at}: it was removed on purpose; delete the tombstone first to add it again",
                    key.phone.display(),
                    key.scope
                )),
                None if added.contains(&key) => Fate::Repeated(key),
                None => match requested_at(row, &today) {
                    Err(why) => Fate::Refused(why),
                    Ok(day) => {
                        let new = NewEntry {
                            reason: row.reason.as_deref().unwrap_or(&args.reason),
                            purpose: row.purpose.as_deref().or(args.purpose.as_deref()),
                            ticket: row.ticket.as_deref().or(args.edit.ticket.as_deref()),
                            requested_at: day,
                            source: row.source.as_deref().or(args.edit.source.as_deref()),
                        };
                        let fields = fields(&key, target.scope, &new);
                        text = edit::edited(
                            &target.name,
                            crate::edit::append(&text, "entries", &fields, &[]),
                        )?;
                        added.push(key.clone());
                        Fate::Added(key)
                    }
                },
            },
        };
        fates.push((row.line, fate));
    }
    fates.sort_by_key(|(line, _)| *line);
    let now = if added.is_empty() {
        desired
    } else {
        edit::write(&args.edit, &target, &text, out)?
    };
    let rows: Vec<Reported> = fates
        .into_iter()
        .map(|(line, fate)| Reported::new(line, fate, &now, &target))
        .collect();
    report(&name, &rows, args.edit.format)?;
    Ok(Exit::error_if(rows.iter().any(|r| r.outcome.is_none())))
}

fn mapping(args: &AddArgs) -> CsvMapping {
    let mut columns = ColumnMap::default();
    for (field, column) in &args.csv.columns {
        let slot = match field.as_str() {
            "number" => &mut columns.number,
            "phone_code" => &mut columns.phone_code,
            "scope" => &mut columns.scope,
            "reason" => &mut columns.reason,
            "purpose" => &mut columns.purpose,
            "ticket" => &mut columns.ticket,
            "requested_at" => &mut columns.requested_at,
            _ => &mut columns.source,
        };
        *slot = Some(column.clone());
    }
    CsvMapping {
        columns,
        date_format: args.csv.date_format.clone(),
        ignore: args.csv.ignore.clone(),
        ignore_other_columns: args.csv.ignore_other_columns,
    }
}

/// The row's number in its scope (the row's, else --scope, else the manifest's), or why not.
fn key_of(
    row: &CsvRow,
    code: Option<u16>,
    scope: Option<crate::entry::CampaignId>,
) -> Result<Key, String> {
    let (phone, _) =
        crate::phone::normalize(row.phone_code.or(code), &row.number).map_err(|e| {
            format!("{e}: write it with `+` and its country code, or pass --phone-code")
        })?;
    let scope = row.scope.map(ScopeRef::campaign_id).or(scope).ok_or_else(|| {
        "no scope: map a scope column, pass --scope, or add to a manifest whose defaults name one"
            .to_string()
    })?;
    Ok(Key { scope, phone })
}

/// The row's day (already YYYY-MM-DD when --date-format read it), else the default.
fn requested_at<'r>(row: &'r CsvRow, default: &'r str) -> Result<&'r str, String> {
    match row.requested_at.as_deref() {
        None => Ok(default),
        Some(day) if crate::calendar::parse_day(day).is_some() => Ok(day),
        Some(day) => Err(format!(
            "`{day}` is not a day: write YYYY-MM-DD, or give the column's format with --date-format (%m/%d/%Y for 03/01/2026)"
        )),
    }
}

/// One row as printed: what became of it, or why it was refused.
struct Reported {
    line: u32,
    outcome: Option<Outcome>,
    refused: Option<String>,
}

impl Reported {
    fn new(line: u32, fate: Fate, now: &manifest::Desired, target: &edit::Target) -> Reported {
        let written =
            |action, key: Key| Outcome::new(action, &key, &edit::now_at(now, &key, target));
        let (outcome, refused) = match fate {
            Fate::Added(key) => (Some(written(Action::Added, key)), None),
            Fate::Listed(key, at) => (Some(Outcome::new(Action::AlreadyListed, &key, &at)), None),
            Fate::Repeated(key) => (Some(written(Action::AlreadyListed, key)), None),
            Fate::Refused(why) => (None, Some(why)),
        };
        Reported {
            line,
            outcome,
            refused,
        }
    }

    fn action(&self) -> Option<Action> {
        self.outcome.as_ref().map(|o| o.action)
    }
}

fn report(csv: &str, rows: &[Reported], format: crate::cli::OutputFormat) -> Result<()> {
    let count = |action: Option<Action>| rows.iter().filter(|r| r.action() == action).count();
    let (added, listed, refused) = (
        count(Some(Action::Added)),
        count(Some(Action::AlreadyListed)),
        count(None),
    );
    let text = match format {
        crate::cli::OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let mut v = match (&r.outcome, &r.refused) {
                        (Some(o), _) => serde_json::to_value(o).unwrap_or_default(),
                        (None, why) => serde_json::json!({"action": "refused", "why": why}),
                    };
                    v["csv_line"] = r.line.into();
                    v
                })
                .collect();
            let json = serde_json::json!({
                "format_version": 1,
                "changed": added > 0,
                "csv": csv,
                "added": added,
                "already_listed": listed,
                "refused": refused,
                "rows": rows,
            });
            json.to_string() + "\n"
        }
        crate::cli::OutputFormat::Human => human(csv, rows, [added, listed, refused]),
    };
    super::print(text)
}

/// The refused rows in full, the first already-listed ones, the added ones as a range of
/// lines, the counts and the next step.
fn human(csv: &str, rows: &[Reported], [added, listed, refused]: [usize; 3]) -> String {
    let mut text = String::new();
    for r in rows.iter().filter(|r| r.refused.is_some()) {
        let why = r.refused.as_deref().unwrap_or_default();
        text.push_str(&format!("{csv}:{}: refused: {why}\n", r.line));
    }
    let listed_rows = rows
        .iter()
        .filter(|r| r.action() == Some(Action::AlreadyListed));
    for r in listed_rows.clone().take(SHOWN) {
        if let Some(o) = &r.outcome {
            text.push_str(&format!("{csv}:{}: {}\n", r.line, o.human()));
        }
    }
    if listed > SHOWN {
        text.push_str(&format!(
            "… and {} more already listed (--format json lists every row)\n",
            listed - SHOWN
        ));
    }
    let lines: Vec<&Outcome> = rows
        .iter()
        .filter_map(|r| r.outcome.as_ref())
        .filter(|o| o.action == Action::Added)
        .collect();
    if let (Some(first), Some(last)) = (
        lines.iter().min_by_key(|o| o.line),
        lines.iter().max_by_key(|o| o.line),
    ) {
        let lines = if first.line == last.line {
            first.line.to_string()
        } else {
            format!("{}-{}", first.line, last.line)
        };
        text.push_str(&format!(
            "added {added} number(s) at {}:{lines}\n",
            first.file
        ));
    }
    text.push_str(&format!(
        "{csv}: {} row(s): {added} added, {listed} already listed, {refused} refused\n",
        rows.len()
    ));
    text.push_str(match (added > 0, refused > 0) {
        (_, true) => "next: fix the refused rows and run the same command again (rows added now are then already listed)\n",
        (true, false) => "next: dnc plan shows what applying changes; commit the manifest for review\n",
        (false, false) => "nothing changed\n",
    });
    text
}
