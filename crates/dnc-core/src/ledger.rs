//! The audit ledger: JSON Lines, appended as operations start and finish, so a crash loses at
//! most the outcome of requests in flight (their start is already on disk). Where the file
//! lives and how it is opened (confined, regular, locked) is `ledger_file`'s job.

use crate::change::ChangeKind;
use crate::drift_check::DriftRecord;
use crate::entry::{CampaignId, Key};
pub use crate::ledger_file::{LedgerError, Place, default_path};
use crate::trail::RunRecord;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, LedgerError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Written before the request is sent.
    Start,
    /// Written when the operation has its outcome.
    Finish,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The API made the change.
    Done,
    /// The API already matched ("already exists", "already gone").
    Converged,
    Failed,
}

/// One ledger line. Start and finish lines of an operation share `run`, `plan_hash` and `op`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: String,
    /// The apply run that wrote the line (none in ledgers written before runs had ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    pub event: Event,
    pub plan_hash: String,
    /// The operation's index in the plan.
    pub op: u64,
    pub change: ChangeKind,
    pub campaign_id: i64,
    pub phone_code: u16,
    pub phone_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_reason: Option<String>,
    /// Manifest `file:line` the change comes from (prunes have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The Convoso id of the entry the operation touched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// A create's request day and due date, so the ledger alone gives its time to honor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<chrono::NaiveDate>,
    /// The request's ticket and where it came from, as the manifest wrote them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_source: Option<String>,
    /// A removal's approval as its tombstone wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<RecordedApproval>,
    /// A create that put back an entry which had taken effect and vanished from the dialer:
    /// its gap (see `drift`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<crate::drift_check::Restore>,
    /// On the ledger branch, the hash of the line before this one (see `chain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

/// A ledger line: an operation's start or finish, a run's own record (`trail`), or a drift
/// check (`drift`, only on the ledger branch).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Line {
    Operation(Record),
    Run(RunRecord),
    Drift(DriftRecord),
}

impl Line {
    /// Reads one line; a line that is no kind fails with the operation's error (what most
    /// lines are, so the message fits a torn or edited one).
    pub fn parse(text: &str) -> serde_json::Result<Line> {
        match serde_json::from_str::<Record>(text) {
            Ok(r) => Ok(Line::Operation(r)),
            Err(e) => serde_json::from_str::<RunRecord>(text)
                .map(Line::Run)
                .or_else(|_| serde_json::from_str::<DriftRecord>(text).map(Line::Drift))
                .map_err(|_| e),
        }
    }

    pub fn time(&self) -> &str {
        match self {
            Line::Operation(r) => &r.time,
            Line::Run(r) => &r.time,
            Line::Drift(r) => &r.time,
        }
    }

    pub fn plan_hash(&self) -> &str {
        match self {
            Line::Operation(r) => &r.plan_hash,
            Line::Run(r) => &r.plan_hash,
            Line::Drift(r) => &r.plan_hash,
        }
    }

    /// The manifests' commit the line applied; a drift check applies none (its `commit` is
    /// the one it compared against).
    pub fn commit(&self) -> Option<&str> {
        match self {
            Line::Operation(r) => r.commit.as_deref(),
            Line::Run(r) => r.commit.as_deref(),
            Line::Drift(_) => None,
        }
    }

    pub fn prev(&self) -> Option<&str> {
        match self {
            Line::Operation(r) => r.prev.as_deref(),
            Line::Run(r) => r.prev.as_deref(),
            Line::Drift(r) => r.prev.as_deref(),
        }
    }

    pub fn set_prev(&mut self, prev: Option<String>) {
        match self {
            Line::Operation(r) => r.prev = prev,
            Line::Run(r) => r.prev = prev,
            Line::Drift(r) => r.prev = prev,
        }
    }
}

/// A ledger's lines by kind, each in ledger order.
#[derive(Debug, Default)]
pub struct Split {
    pub records: Vec<Record>,
    pub runs: Vec<RunRecord>,
    pub checks: Vec<DriftRecord>,
}

/// The operation lines, the run lines and the drift checks of a ledger.
pub fn split(lines: Vec<Line>) -> Split {
    let mut out = Split {
        records: Vec::with_capacity(lines.len()),
        ..Split::default()
    };
    for line in lines {
        match line {
            Line::Operation(r) => out.records.push(r),
            Line::Run(r) => out.runs.push(r),
            Line::Drift(r) => out.checks.push(r),
        }
    }
    out
}

/// Who approved a removal and the ticket; `pull_request` when that pull request's reviews
/// confirmed the approver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedApproval {
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<u64>,
}

impl Record {
    /// The entry the operation touched, as the plan keys it.
    pub fn key(&self) -> Key {
        Key::new(
            CampaignId(self.campaign_id),
            self.phone_code,
            &self.phone_number,
        )
    }
}

/// The ledger an apply writes, held under an exclusive lock until it is dropped.
pub struct Ledger {
    file: File,
    path: PathBuf,
    /// This run's id, on each of its lines.
    run: String,
    /// The file's length when opened: this run's lines follow it.
    opened_at: u64,
    /// Whether a torn last line (a write cut short) was terminated when opening.
    torn: bool,
    /// The line being written, kept to spare an allocation per line.
    line: Vec<u8>,
}

impl Ledger {
    /// Opens (creating) the ledger under an exclusive lock, with a new run id, its torn last
    /// line if any terminated so no line is written onto it.
    pub fn open(place: &Place) -> Result<Ledger> {
        let (file, torn) = place.open_locked()?;
        let opened_at = file
            .metadata()
            .map_err(|source| LedgerError::Open {
                path: place.path().to_path_buf(),
                source,
            })?
            .len();
        Ok(Ledger {
            file,
            path: place.path().to_path_buf(),
            run: crate::ledger_file::run_id(),
            opened_at,
            torn,
            line: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether opening found a torn last line (now terminated, so readers report it).
    pub fn had_torn_line(&self) -> bool {
        self.torn
    }

    /// Appends one line, stamped with this run's id, with a single write, so lines never
    /// interleave or half-appear on a clean stop.
    pub fn append(&mut self, mut record: Record) -> Result<()> {
        record.run = Some(self.run.clone());
        self.write(&record)
    }

    /// Appends a run's own line (see `trail`), stamped like [`Ledger::append`].
    pub fn append_run(&mut self, mut record: RunRecord) -> Result<()> {
        record.run = Some(self.run.clone());
        self.write(&record)
    }

    fn write(&mut self, record: &impl Serialize) -> Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).expect("records always serialize");
        self.line.push(b'\n');
        self.file
            .write_all(&self.line)
            .map_err(|source| self.write_error(source))
    }

    /// Forces the lines to disk (the end of a run).
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|source| self.write_error(source))
    }

    fn write_error(&self, source: std::io::Error) -> LedgerError {
        LedgerError::Write {
            path: self.path.clone(),
            source,
        }
    }
}

impl Drop for Ledger {
    /// A run that wrote nothing leaves no ledger behind (it was created to be locked).
    fn drop(&mut self) {
        crate::ledger_file::discard_if_empty(&self.file, &self.path);
    }
}

impl Ledger {
    /// The operation lines this run appended, read back from the file.
    pub fn this_run(&self) -> Result<Vec<Record>> {
        Ok(split(self.this_run_lines()?).records)
    }

    /// Every line this run appended, read back from the file.
    pub fn this_run_lines(&self) -> Result<Vec<Line>> {
        let failed = |source| LedgerError::Read {
            path: self.path.clone(),
            source,
        };
        let mut file = self.file.try_clone().map_err(failed)?;
        file.seek(SeekFrom::Start(self.opened_at)).map_err(failed)?;
        let (mut records, _) = parse(BufReader::new(file), &self.path)?;
        records.retain(|l| {
            let run = match l {
                Line::Operation(r) => &r.run,
                Line::Run(r) => &r.run,
                Line::Drift(r) => &r.run,
            };
            run.as_deref() == Some(&self.run)
        });
        Ok(records)
    }
}

/// The records of the ledger at `place` and a warning for each unreadable line; `None` when
/// the default ledger does not exist yet (a named one must exist).
pub fn read_at(place: &Place) -> Result<Option<(Vec<Record>, Vec<String>)>> {
    Ok(read_lines_at(place)?.map(|(lines, unreadable)| (split(lines).records, unreadable)))
}

/// Like [`read_at`], keeping the run lines.
pub fn read_lines_at(place: &Place) -> Result<Option<(Vec<Line>, Vec<String>)>> {
    if !place.present()? {
        return Ok(None);
    }
    read_lines(place.path()).map(Some)
}

/// Reads a ledger file (a regular file, never a symlink or FIFO); a torn line (a crash
/// mid-write) is skipped, with a warning naming it for the caller to show.
pub fn read(path: &Path) -> Result<(Vec<Record>, Vec<String>)> {
    read_lines(path).map(|(lines, unreadable)| (split(lines).records, unreadable))
}

/// Like [`read`], keeping the run lines.
pub fn read_lines(path: &Path) -> Result<(Vec<Line>, Vec<String>)> {
    let file = crate::ledger_file::open_read(path)?;
    parse(BufReader::new(file), path)
}

fn parse(reader: impl BufRead, path: &Path) -> Result<(Vec<Line>, Vec<String>)> {
    let mut records = Vec::new();
    let mut unreadable = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|source| LedgerError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match Line::parse(&line) {
            Ok(r) => records.push(r),
            Err(e) => unreadable.push(format!(
                "{}:{}: skipping an unreadable ledger line: {e}",
                path.display(),
                n + 1
            )),
        }
    }
    Ok((records, unreadable))
}

/// Pairs each start line with the finish line of the same operation of the same run, in
/// ledger order; the same plan applied twice gives two rows per operation.
pub fn operations(records: Vec<Record>) -> Vec<(Record, Option<Record>)> {
    let mut rows: Vec<(Record, Option<Record>)> = Vec::with_capacity(records.len() / 2);
    let mut open: HashMap<(Option<String>, String, u64), usize> = HashMap::new();
    for r in records {
        let key = (r.run.clone(), r.plan_hash.clone(), r.op);
        match r.event {
            Event::Start => {
                open.insert(key, rows.len());
                rows.push((r, None));
            }
            Event::Finish => match open.remove(&key) {
                Some(i) => rows[i].1 = Some(r),
                None => rows.push((r.clone(), Some(r))),
            },
        }
    }
    rows
}

/// An operation's outcome as people read it; `interrupted` when it has no finish line.
pub fn outcome_text(finish: Option<&Record>) -> &'static str {
    match finish.and_then(|f| f.outcome) {
        Some(Outcome::Done) => "done",
        Some(Outcome::Converged) => "converged",
        Some(Outcome::Failed) => "failed",
        None => "interrupted",
    }
}

/// The first 12 characters of a commit or plan hash, as tables show them. Cut on a
/// character boundary: `GITHUB_SHA` and a ledger's fields may hold any text.
pub fn short_hash(hash: &str) -> &str {
    hash.char_indices()
        .nth(12)
        .map_or(hash, |(end, _)| &hash[..end])
}

/// Whether a create took effect after its due date (its finish day, UTC); `None` when it has
/// no due date or no effect.
pub fn late(start: &Record, finish: Option<&Record>) -> Option<bool> {
    let (due, f) = start.due.zip(finish)?;
    let day = chrono::NaiveDate::parse_from_str(f.time.get(..10)?, "%Y-%m-%d").ok()?;
    (f.outcome != Some(Outcome::Failed)).then_some(day > due)
}

/// Now, as the ledger writes times: RFC 3339 UTC with milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drift check is read as one (not an operation, not a run), chains like the others,
    /// and names no applied commit (its `commit` is the one it compared against).
    #[test]
    fn a_drift_line_is_its_own_kind() {
        let text = r#"{"time":"2026-03-10T06:00:00.000Z","event":"drift","plan_hash":"ab","clean":true,"commit":"c0ffee"}"#;
        let mut line = Line::parse(text).unwrap();
        assert!(matches!(&line, Line::Drift(d) if d.clean), "{line:?}");
        assert_eq!(
            (line.time(), line.plan_hash()),
            ("2026-03-10T06:00:00.000Z", "ab")
        );
        assert_eq!(line.commit(), None);
        line.set_prev(Some("p".into()));
        assert_eq!(line.prev(), Some("p"));
        let lines = split(vec![line]);
        assert_eq!(
            (lines.records.len(), lines.runs.len(), lines.checks.len()),
            (0, 0, 1)
        );
        // A line of no kind fails with the operation's error.
        let e = Line::parse(r#"{"time":"t","event":"drifted"}"#).unwrap_err();
        assert!(e.to_string().contains("`start` or `finish`"), "{e}");
    }
}
