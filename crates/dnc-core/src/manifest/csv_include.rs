//! CSV includes: a header row naming columns (`number` required), one entry per row.
//! Every cell keeps its exact span so diagnostics point at the row and column. This reads
//! rows only; the entry checks (scope, reason, number…) are the caller's. A mapping reads
//! files with other column names (CRM exports) as they are: which column holds each field,
//! how dates are written, which columns to skip.

use super::diagnostics::{At, Diagnostic, Severity, SourceFile, excerpt};
use super::model::ENTRY_FIELDS as COLUMNS;
use super::model::{ColumnMap, IncludeSpec, ScopeRef};
use super::row::{Row, Text};
use chrono::format::{Item, StrftimeItems};
use std::ops::Range;
use std::sync::Arc;

/// Longest number accepted, as in the manifest schema.
const MAX_NUMBER: usize = 64;

/// How a CSV file's columns are read. The default reads dnc's own column names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvMapping {
    /// The column that holds each field, where the header names it otherwise.
    pub columns: ColumnMap,
    /// How `requested_at` writes a day (strftime, e.g. `%m/%d/%Y`).
    pub date_format: Option<String>,
    /// Columns to skip by name.
    pub ignore: Vec<String>,
    /// Skip every column that is neither a field nor mapped.
    pub ignore_other_columns: bool,
}

impl CsvMapping {
    pub fn of(include: &IncludeSpec) -> CsvMapping {
        CsvMapping {
            columns: include.columns.clone(),
            date_format: include.date_format.clone(),
            ignore: include.ignore.clone(),
            ignore_other_columns: include.ignore_other_columns,
        }
    }

    /// The field a header cell names: a mapped column, or a field's own name when that
    /// field is not mapped elsewhere.
    fn field(&self, name: &str) -> Option<usize> {
        COLUMNS
            .iter()
            .position(|f| self.columns.get(f) == Some(name))
            .or_else(|| {
                COLUMNS
                    .iter()
                    .position(|f| *f == name && self.columns.get(f).is_none())
            })
    }

    fn skips(&self, name: &str) -> bool {
        self.ignore_other_columns || self.ignore.iter().any(|i| i.trim() == name)
    }

    /// The column names this mapping reads, for help texts.
    fn names(&self) -> String {
        COLUMNS
            .iter()
            .map(|f| match self.columns.get(f) {
                Some(c) => format!("{f} (column `{}`)", excerpt(c)),
                None => f.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where a manifest wrote an include's mapping, so a mapped column missing from the file
/// or a bad date format is reported at the manifest's line.
pub(super) struct Written {
    pub file: Arc<SourceFile>,
    /// `(field or "date_format", span of its value)`.
    pub spans: Vec<(&'static str, Range<usize>)>,
}

/// What reading a CSV file yields, in file order. One value at a time is handed over, so
/// the size difference costs nothing, while boxing rows would allocate a million times.
#[allow(clippy::large_enum_variant)]
pub(super) enum Parsed<'r> {
    /// A row whose cells could be read, borrowing the record it was read from.
    Row(Row<'r>),
    /// A problem with the file, its header or a row (which then yields no `Row`).
    Problem(Diagnostic),
}

/// A CSV row read through a mapping, as written (dates as YYYY-MM-DD when the mapping gives
/// a format): for commands that take entries from a CSV file, such as `dnc add --csv`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvRow {
    /// The row's 1-based line in the file.
    pub line: u32,
    pub number: String,
    pub phone_code: Option<u16>,
    pub scope: Option<ScopeRef>,
    pub reason: Option<String>,
    pub purpose: Option<String>,
    pub ticket: Option<String>,
    pub requested_at: Option<String>,
    pub source: Option<String>,
}

/// Reads every row of a CSV file through `mapping`: the rows that could be read and the
/// problems of the others (with file:line:column), so every row is used or reported.
pub fn read_csv(name: &str, text: &str, mapping: &CsvMapping) -> (Vec<CsvRow>, Vec<Diagnostic>) {
    let file = SourceFile::new(Arc::from(name), Arc::from(text));
    let (mut rows, mut problems) = (Vec::new(), Vec::new());
    read(&file, mapping, None, &mut |parsed| match parsed {
        Parsed::Row(row) => {
            let text = |v: Option<(String, Range<usize>)>| v.map(|(t, _)| t);
            let owned = |v: Option<Text>| v.map(|(t, _)| t.into_owned());
            rows.push(CsvRow {
                line: file.locate(row.head.clone()).line,
                number: row.number.0.into_owned(),
                phone_code: row.phone_code,
                scope: row.scope.map(|(s, _)| s),
                reason: owned(row.reason),
                purpose: owned(row.purpose),
                ticket: text(row.ticket),
                requested_at: owned(row.requested_at),
                source: text(row.source),
            });
        }
        Parsed::Problem(d) => problems.push(d),
    });
    (rows, problems)
}

/// Reads every row of `file`, handing each row or problem to `out` as it is read.
pub(super) fn read(
    file: &SourceFile,
    mapping: &CsvMapping,
    written: Option<&Written>,
    out: &mut impl FnMut(Parsed),
) {
    // Where to report a problem of the mapping itself: where it is written, else the header.
    let at_mapping = |key: &str, header: Range<usize>| match written {
        Some(w) => {
            let span = w
                .spans
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, s)| s.clone());
            (w.file.as_ref(), span.unwrap_or(header))
        }
        None => (file, header),
    };
    if let Some(format) = &mapping.date_format
        && StrftimeItems::new(format).any(|i| matches!(i, Item::Error))
    {
        let (f, span) = at_mapping("date_format", 0..0);
        out(Parsed::Problem(
            At(f)
                .diag(
                    Severity::Error,
                    "dnc::csv::date_format",
                    format!("`{}` is not a date format", excerpt(format)),
                    span,
                    "not strftime",
                )
                .with_help("write it in strftime notation: %m/%d/%Y for 03/01/2026, %d.%m.%Y for 01.03.2026"),
        ));
        return;
    }
    let text = file.text.clone();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // One record reused for every row: a million rows, no allocation per row for it.
    let mut record = csv::StringRecord::new();
    let Some(start) = next(out, file, &mut reader, &mut record) else {
        out(Parsed::Problem(
            At(file)
                .diag(
                    Severity::Error,
                    "dnc::csv::header",
                    "the CSV file is empty",
                    0..0,
                    "expected a header row",
                )
                .with_help(format!("columns: {}", mapping.names())),
        ));
        return;
    };
    let spans = cells(&text, start, record.len());
    let header = spans
        .first()
        .map_or(0..0, |s| s.start..spans.last().map_or(s.end, |l| l.end));
    let names: Vec<&str> = record.iter().map(str::trim).collect();
    let mut columns: Vec<Option<usize>> = Vec::new();
    for (&name, span) in names.iter().zip(&spans) {
        let known = mapping.field(name);
        if known.is_none() && mapping.skips(name) {
            columns.push(None);
            continue;
        }
        if known.is_none() {
            out(Parsed::Problem(
                At(file)
                    .diag(
                        Severity::Error,
                        "dnc::csv::unknown_column",
                        format!("unknown column `{}`", excerpt(name)),
                        span.clone(),
                        "not a dnc column",
                    )
                    .with_help(format!(
                        "columns: {}; map it to a field with the include's `columns`, or skip it with `ignore`",
                        mapping.names()
                    )),
            ));
        } else if columns.contains(&known) {
            out(Parsed::Problem(
                At(file)
                    .diag(
                        Severity::Error,
                        "dnc::csv::duplicate_column",
                        format!("column `{}` appears twice", excerpt(name)),
                        span.clone(),
                        "again here",
                    )
                    .with_help("keep one of the two columns"),
            ));
        }
        columns.push(known);
    }
    let mut number_missing_reported = false;
    for (i, field) in COLUMNS.iter().enumerate() {
        let Some(column) = mapping.columns.get(field) else {
            continue;
        };
        if columns.contains(&Some(i)) {
            continue;
        }
        number_missing_reported |= i == 0;
        let (f, span) = at_mapping(field, header.clone());
        out(Parsed::Problem(
            At(f)
                .diag(
                    Severity::Error,
                    "dnc::csv::mapped_column",
                    format!(
                        "{} has no column `{}` for `{field}`",
                        file.name,
                        excerpt(column)
                    ),
                    span,
                    "not in the CSV header",
                )
                .with_help(format!(
                    "the header's columns: {}",
                    names
                        .iter()
                        .take(20)
                        .map(|n| excerpt(n))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
        ));
    }
    if !columns.contains(&Some(0)) {
        if !number_missing_reported {
            out(Parsed::Problem(
                At(file)
                    .diag(
                        Severity::Error,
                        "dnc::csv::header",
                        "the CSV header has no `number` column",
                        header,
                        "header row",
                    )
                    .with_help(format!(
                        "columns: {}; a column of another name is mapped with the include's `columns: {{number: \"Phone Number\"}}`",
                        mapping.names()
                    )),
            ));
        }
        return;
    }
    while let Some(start) = next(out, file, &mut reader, &mut record) {
        let spans = cells(&text, start, record.len());
        let whole = start..spans.last().map_or(start, |s| s.end);
        if record.len() != columns.len() {
            out(Parsed::Problem(
                At(file)
                    .diag(
                        Severity::Error,
                        "dnc::csv::width",
                        format!(
                            "row has {} fields, the header has {}",
                            record.len(),
                            columns.len()
                        ),
                        whole,
                        "this row",
                    )
                    .with_help(
                        "give every row the header's columns; quote a field that holds a comma",
                    ),
            ));
            continue;
        }
        let cells = Cells {
            record: &record,
            spans: &spans,
            columns: &columns,
        };
        if let Some(row) = row(out, file, mapping, cells, whole) {
            out(Parsed::Row(row));
        }
    }
}

/// Reads the next record into `record` and gives its byte offset; a CSV syntax error is
/// reported and ends the file.
fn next(
    out: &mut impl FnMut(Parsed),
    file: &SourceFile,
    reader: &mut csv::Reader<&[u8]>,
    record: &mut csv::StringRecord,
) -> Option<usize> {
    match reader.read_record(record) {
        Ok(true) => {
            // After a CRLF the reader places the next record at its `\n`: start past it.
            let bytes = file.text.as_bytes();
            let mut at = record.position().map_or(0, |p| p.byte() as usize);
            while matches!(bytes.get(at), Some(b'\r' | b'\n')) {
                at += 1;
            }
            Some(at)
        }
        Ok(false) => None,
        Err(e) => {
            let at = e.position().map_or(0, |p| p.byte() as usize);
            out(Parsed::Problem(At(file).diag(
                Severity::Error,
                "dnc::csv::syntax",
                format!("unreadable CSV: {e}"),
                at..at,
                "here",
            )
            .with_help("check the quotes: a field that starts with `\"` ends with `\"`, and a `\"` inside it is written twice")));
            None
        }
    }
}

/// One record's cells, their spans, and the field of each column.
struct Cells<'r> {
    record: &'r csv::StringRecord,
    spans: &'r [Range<usize>],
    columns: &'r [Option<usize>],
}

fn row<'r>(
    out: &mut impl FnMut(Parsed),
    file: &SourceFile,
    mapping: &CsvMapping,
    Cells {
        record,
        spans,
        columns,
    }: Cells<'r>,
    whole: Range<usize>,
) -> Option<Row<'r>> {
    let mut row = Row {
        head: whole,
        ..Row::default()
    };
    let mut ok = true;
    let mut too_long = false;
    for ((value, span), column) in record.iter().zip(spans).zip(columns) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let cell = || (value.to_string(), span.clone());
        let text = || (value.into(), span.clone());
        match column.map(|c| COLUMNS[c]) {
            Some("number") if value.chars().count() > MAX_NUMBER => {
                out(Parsed::Problem(At(file).diag(
                    Severity::Error,
                    "dnc::csv::number",
                    format!("a number of {} characters", value.chars().count()),
                    span.clone(),
                    format!("longer than {MAX_NUMBER} characters"),
                )));
                ok = false;
                too_long = true;
            }
            Some("number") => row.number = text(),
            Some("phone_code") => match value.parse::<u16>() {
                Ok(c) if (1..=999).contains(&c) => row.phone_code = Some(c),
                _ => {
                    out(Parsed::Problem(At(file).diag(
                        Severity::Error,
                        "dnc::csv::phone_code",
                        format!("`{}` is not a country calling code", excerpt(value)),
                        span.clone(),
                        "expected 1 to 999",
                    )));
                    ok = false;
                }
            },
            Some("scope") => match ScopeRef::parse(value) {
                Some(s) => row.scope = Some((s, span.clone())),
                None => {
                    out(Parsed::Problem(
                        At(file)
                            .diag(
                                Severity::Error,
                                "dnc::csv::scope",
                                format!("`{}` is not a scope", excerpt(value)),
                                span.clone(),
                                "not a scope",
                            )
                            .with_help("global, purpose-type, or a campaign id"),
                    ));
                    ok = false;
                }
            },
            Some("reason") => row.reason = Some(text()),
            Some("purpose") => row.purpose = Some(text()),
            Some("requested_at") => match &mapping.date_format {
                None => row.requested_at = Some(text()),
                Some(format) => match chrono::NaiveDate::parse_from_str(value, format) {
                    Ok(day) => row.requested_at = Some((day.to_string().into(), span.clone())),
                    Err(_) => {
                        let example = chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
                            .map(|d| d.format(format).to_string())
                            .unwrap_or_default();
                        out(Parsed::Problem(
                            At(file)
                                .diag(
                                    Severity::Error,
                                    "dnc::csv::date",
                                    format!(
                                        "`{}` is not a day written as `{}`",
                                        excerpt(value),
                                        excerpt(format)
                                    ),
                                    span.clone(),
                                    "not a date",
                                )
                                .with_help(format!(
                                    "write the day as the include's `date_format` says (2026-03-01 is `{}`), or fix the format",
                                    excerpt(&example)
                                )),
                        ));
                        ok = false;
                    }
                },
            },
            Some("ticket") => row.ticket = Some(cell()),
            Some("source") => row.source = Some(cell()),
            _ => {}
        }
    }
    if row.number.0.is_empty() && !too_long {
        out(Parsed::Problem(
            At(file)
                .diag(
                    Severity::Error,
                    "dnc::csv::no_number",
                    "row has no number",
                    row.head.clone(),
                    "empty `number`",
                )
                .with_help("fill in the number, or delete the row"),
        ));
        ok = false;
    }
    ok.then_some(row)
}

/// Byte spans of the first `n` cells of the record starting at `start` (quotes included).
fn cells(text: &str, start: usize, n: usize) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::with_capacity(n);
    let mut i = start;
    while spans.len() < n {
        let begin = i;
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'"' {
                    if bytes.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        }
        while i < bytes.len() && !matches!(bytes[i], b',' | b'\n' | b'\r') {
            i += 1;
        }
        spans.push(begin..i);
        if bytes.get(i) == Some(&b',') {
            i += 1;
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// What `read` yields for `text`, in order: `number reason@span-text` per row, the code
    /// per problem.
    fn parsed(text: &str) -> Vec<String> {
        let file = SourceFile::new(Arc::from("list.csv"), Arc::from(text));
        let mut out = Vec::new();
        read(&file, &CsvMapping::default(), None, &mut |p| {
            out.push(match p {
                Parsed::Row(row) => {
                    let reason = row
                        .reason
                        .map_or(String::new(), |(r, span)| format!(" {r}@{}", &text[span]));
                    format!("{}{reason}", &text[row.number.1])
                }
                Parsed::Problem(d) => d.code.to_string(),
            })
        });
        out
    }

    #[test]
    fn rows_keep_their_values_and_spans() {
        let text = "reason, number ,scope\n\"asked, twice\",\"202,555\",global\nx,2025550143,7\n";
        assert_eq!(
            parsed(text),
            [
                "\"202,555\" asked, twice@\"asked, twice\"",
                "2025550143 x@x"
            ]
        );
        let file = SourceFile::new(Arc::from("list.csv"), Arc::from(text));
        let mut rows = Vec::new();
        read(&file, &CsvMapping::default(), None, &mut |p| {
            // A row borrows the record it was read from: keep what is checked.
            if let Parsed::Row(row) = p {
                rows.push((row.number.0.into_owned(), row.scope, row.head));
            }
        });
        assert_eq!(rows[0].0, "202,555");
        assert_eq!(rows[1].1.as_ref().map(|s| s.0), ScopeRef::parse("7"));
        assert_eq!(&text[rows[1].2.clone()], "x,2025550143,7");
    }

    #[test]
    fn a_row_with_a_bad_cell_is_a_problem_not_a_row() {
        let text = "number,phone_code,scope,color\n1,0,global,red\n2,1,nowhere,\n,1,global,\n3\n4,1,global,blue\n";
        assert_eq!(
            parsed(text),
            [
                "dnc::csv::unknown_column",
                "dnc::csv::phone_code",
                "dnc::csv::scope",
                "dnc::csv::no_number",
                "dnc::csv::width",
                "4",
            ]
        );
    }

    #[test]
    fn a_header_without_number_yields_nothing_else() {
        assert_eq!(parsed(""), ["dnc::csv::header"]);
        assert_eq!(
            parsed("reason,reason\n2025550143,x\n"),
            ["dnc::csv::duplicate_column", "dnc::csv::header"]
        );
    }

    #[test]
    fn rows_after_crlf_start_on_their_own_line() {
        let text = "number,reason\r\n2025550101,a\r\n2025550102,b\r\n";
        let file = SourceFile::new(Arc::from("list.csv"), Arc::from(text));
        let mut heads = Vec::new();
        read(&file, &CsvMapping::default(), None, &mut |p| {
            if let Parsed::Row(row) = p {
                heads.push((
                    file.locate(row.head.clone()).line,
                    text[row.number.1].to_string(),
                ));
            }
        });
        assert_eq!(heads, [(2, "2025550101".into()), (3, "2025550102".into())]);
    }

    #[test]
    fn cell_spans_handle_quotes() {
        let text = "number,reason\n\"202,555\",\"say \"\"hi\"\"\"\r\nx,y\n";
        let spans = cells(text, 14, 2);
        assert_eq!(&text[spans[0].clone()], "\"202,555\"");
        assert_eq!(&text[spans[1].clone()], "\"say \"\"hi\"\"\"");
        let next = text.find("x,y").unwrap();
        assert_eq!(&text[cells(text, next, 2)[1].clone()], "y");
    }
}
