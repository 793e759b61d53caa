//! CSV includes: a header row naming columns (`number` required), one entry per row.
//! Every cell keeps its exact span so diagnostics point at the row and column. This reads
//! rows only; the entry checks (scope, reason, number…) are the caller's.

use super::diagnostics::{At, Diagnostic, Severity, SourceFile, excerpt};
use super::model::ENTRY_FIELDS as COLUMNS;
use super::model::ScopeRef;
use super::row::Row;
use std::ops::Range;

/// Longest number accepted, as in the manifest schema.
const MAX_NUMBER: usize = 64;

/// What reading a CSV file yields, in file order.
pub(super) enum Parsed {
    /// A row whose cells could be read.
    Row(Row),
    /// A problem with the file, its header or a row (which then yields no `Row`).
    Problem(Diagnostic),
}

/// Reads every row of `file`, handing each row or problem to `out` as it is read.
pub(super) fn read(file: &SourceFile, out: &mut impl FnMut(Parsed)) {
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
                .with_help(format!("columns: {}", COLUMNS.join(", "))),
        ));
        return;
    };
    let spans = cells(&text, start, record.len());
    let mut columns: Vec<Option<usize>> = Vec::new();
    for (name, span) in record.iter().zip(&spans) {
        let name = name.trim();
        let known = COLUMNS.iter().position(|c| *c == name);
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
                    .with_help(format!("columns: {}", COLUMNS.join(", "))),
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
    if !columns.contains(&Some(0)) {
        let row = spans
            .first()
            .map_or(0..0, |s| s.start..spans.last().map_or(s.end, |l| l.end));
        out(Parsed::Problem(
            At(file)
                .diag(
                    Severity::Error,
                    "dnc::csv::header",
                    "the CSV header has no `number` column",
                    row,
                    "header row",
                )
                .with_help(format!("columns: {}", COLUMNS.join(", "))),
        ));
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
        if let Some(row) = row(out, file, &record, &spans, &columns, whole) {
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
        Ok(true) => Some(record.position().map_or(0, |p| p.byte() as usize)),
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

fn row(
    out: &mut impl FnMut(Parsed),
    file: &SourceFile,
    record: &csv::StringRecord,
    spans: &[Range<usize>],
    columns: &[Option<usize>],
    whole: Range<usize>,
) -> Option<Row> {
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
            Some("number") => row.number = cell(),
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
            Some("reason") => row.reason = Some(cell()),
            Some("purpose") => row.purpose = Some(cell()),
            Some("requested_at") => row.requested_at = Some(cell()),
            Some("ticket") => row.ticket = true,
            Some("source") => row.source = true,
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
        read(&file, &mut |p| {
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
        read(&file, &mut |p| {
            if let Parsed::Row(row) = p {
                rows.push(row);
            }
        });
        assert_eq!(rows[0].number.0, "202,555");
        assert_eq!(rows[1].scope.as_ref().map(|s| s.0), ScopeRef::parse("7"));
        assert_eq!(&text[rows[1].head.clone()], "x,2025550143,7");
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
    fn cell_spans_handle_quotes() {
        let text = "number,reason\n\"202,555\",\"say \"\"hi\"\"\"\r\nx,y\n";
        let spans = cells(text, 14, 2);
        assert_eq!(&text[spans[0].clone()], "\"202,555\"");
        assert_eq!(&text[spans[1].clone()], "\"say \"\"hi\"\"\"");
        let next = text.find("x,y").unwrap();
        assert_eq!(&text[cells(text, next, 2)[1].clone()], "y");
    }
}
