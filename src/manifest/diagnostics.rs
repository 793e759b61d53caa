//! Diagnostics: every problem found in the config, manifests and CSV files, with exact
//! positions, and the three ways to print them (human, JSON, GitHub annotations).

use crate::escape::{github_data, github_property};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a file: 1-based line and column (columns count Unicode scalar values, so tabs
/// and CRLF do not shift them), plus the byte span for tools.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
    pub offset: usize,
    pub length: usize,
}

/// A second place that explains the diagnostic (e.g. the first of two duplicates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    #[serde(flatten)]
    pub at: Location,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `dnc::entry::duplicate`.
    pub code: &'static str,
    pub message: String,
    /// Where the problem is; absent only when no file could be read at all.
    #[serde(flatten)]
    pub at: Option<Location>,
    /// What the primary span shows.
    pub label: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

/// Bytes between checkpoints of the character count.
const CHECKPOINT: usize = 1024;

/// A file's text with lazily built line and character indexes, so positions are exact and
/// each costs a bounded amount of work however long its line.
pub struct SourceFile {
    pub name: Arc<str>,
    pub text: Arc<str>,
    lines: OnceLock<Vec<usize>>,
    /// Characters before every `CHECKPOINT`-th byte.
    chars: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(name: Arc<str>, text: Arc<str>) -> Self {
        SourceFile {
            name,
            text,
            lines: OnceLock::new(),
            chars: OnceLock::new(),
        }
    }

    /// Byte offsets where lines start.
    fn lines(&self) -> &[usize] {
        self.lines
            .get_or_init(|| std::iter::once(0).chain(newlines(&self.text)).collect())
    }

    /// Characters in `text[..at]` (`at` on a character boundary).
    fn chars_before(&self, at: usize) -> usize {
        let bytes = self.text.as_bytes();
        let checkpoints = self.chars.get_or_init(|| {
            let mut count = 0;
            let mut out = vec![0];
            for chunk in bytes.chunks(CHECKPOINT) {
                count += chars_in(chunk);
                out.push(count);
            }
            out
        });
        let k = at / CHECKPOINT;
        checkpoints[k] + chars_in(&bytes[k * CHECKPOINT..at])
    }

    /// The 0-based line holding byte `at`.
    fn line_of(&self, at: usize) -> usize {
        self.lines().partition_point(|&s| s <= at) - 1
    }

    /// The byte range of 0-based line `line`, without its line break.
    fn line_span(&self, line: usize) -> Range<usize> {
        let lines = self.lines();
        let start = lines[line];
        let mut end = lines.get(line + 1).map_or(self.text.len(), |&n| n - 1);
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end.max(start)
    }

    fn boundary(&self, mut at: usize) -> usize {
        at = at.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    /// The exact line and column of a byte span.
    pub fn locate(&self, span: Range<usize>) -> Location {
        let start = self.boundary(span.start);
        let line = self.line_of(start);
        let line_start = self.lines()[line];
        // Short distances are counted directly; long lines use the checkpoints.
        let column = if start - line_start <= CHECKPOINT {
            chars_in(&self.text.as_bytes()[line_start..start])
        } else {
            self.chars_before(start) - self.chars_before(line_start)
        } + 1;
        Location {
            file: self.name.clone(),
            line: line as u32 + 1,
            column: column as u32,
            offset: start,
            length: span.end.saturating_sub(start),
        }
    }
}

fn newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i + 1)
}

/// Characters in UTF-8 bytes: every byte that does not continue a character.
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Longest excerpt of input echoed in a message.
const EXCERPT: usize = 40;

/// A short, escaped excerpt of input for a message: control characters and backticks are
/// escaped and anything past a few dozen characters is cut, so a message never carries a
/// file's contents.
pub fn excerpt(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == EXCERPT {
            out.push('…');
            break;
        }
        if crate::escape::hidden(c) || c == '`' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// All problems found, with the files they point into (kept for source snippets).
#[derive(Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
    sources: HashMap<Arc<str>, Arc<SourceFile>>,
    order: Vec<Arc<str>>,
}

impl fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl Diagnostics {
    /// Registers a file so diagnostics can point into it.
    pub fn add_file(&mut self, file: Arc<SourceFile>) {
        let name = file.name.clone();
        if self.sources.insert(name.clone(), file).is_none() {
            self.order.push(name);
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, s: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == s).count()
    }

    /// Orders diagnostics by file (in reading order) and position, so output is stable.
    pub fn sort(&mut self) {
        let rank: HashMap<&str, usize> = self
            .order
            .iter()
            .enumerate()
            .map(|(i, n)| (&**n, i))
            .collect();
        let key = |d: &Diagnostic| {
            d.at.as_ref()
                .map(|a| (rank.get(&*a.file).copied().unwrap_or(usize::MAX), a.offset))
                .unwrap_or((0, 0))
        };
        let mut items = std::mem::take(&mut self.items);
        items.sort_by_key(key);
        self.items = items;
    }
}

/// Builds a diagnostic at a span of a file.
pub struct At<'a>(pub &'a SourceFile);

impl At<'_> {
    pub fn diag(
        &self,
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            at: Some(self.0.locate(span)),
            label: label.into(),
            labels: Vec::new(),
            help: None,
        }
    }
}

impl Diagnostic {
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, at: Location, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            at,
            message: message.into(),
        });
        self
    }
}

// ---- human ----

/// Problems shown per file in human output; JSON carries all of them.
pub const HUMAN_PER_FILE: usize = 50;
/// Longest source line shown whole; longer lines are cut to a window around the label.
const SNIPPET_LINE: usize = 120;
/// Labels this many lines from the primary one are shown as notes of their own.
const SNIPPET_LINES: usize = 3;

struct Human {
    d: Diagnostic,
    /// A second place shown under its diagnostic: no code, no severity of its own.
    note: bool,
    source: Option<Snippet>,
    related: Vec<Human>,
}

impl fmt::Debug for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&terminal_lines(&self.d.message))
    }
}

/// Text for the terminal, its own line breaks kept (values in messages are excerpts, whose
/// line breaks are already escaped).
fn terminal_lines(text: &str) -> String {
    text.split('\n')
        .map(crate::escape::terminal)
        .collect::<Vec<_>>()
        .join("\n")
}

impl std::error::Error for Human {}

/// The few lines around a diagnostic's labels, copied out of the file with long lines cut
/// to a window, so rendering costs the same for any file size or line length (miette's own
/// lookup scans the file from its start, and panics past column 65,535).
struct Snippet {
    name: String,
    text: String,
    /// The file's 0-based line number of the snippet's first line.
    first_line: usize,
    /// Each label: its span in `text`, its message, and its true line and column.
    labels: Vec<(Range<usize>, String, Location)>,
}

impl Snippet {
    /// A snippet of `file` showing `labels` (the first is primary), which lie within
    /// `SNIPPET_LINES` of each other.
    fn new(file: &SourceFile, labels: &[(&Location, &str)]) -> Snippet {
        let lines: Vec<usize> = labels
            .iter()
            .map(|(at, _)| file.line_of(at.offset))
            .collect();
        let last_line = file.lines().len() - 1;
        let first = lines.iter().min().map_or(0, |l| l.saturating_sub(1));
        let last = lines.iter().max().map_or(0, |l| (l + 1).min(last_line));
        let mut text = String::new();
        // For each line: its window in the file and where that window starts in `text`.
        let mut windows: Vec<(Range<usize>, usize)> = Vec::new();
        for line in first..=last {
            let span = file.line_span(line);
            let anchor = labels
                .iter()
                .map(|(at, _)| at.offset)
                .filter(|o| span.contains(o))
                .min()
                .unwrap_or(span.start);
            let window = if span.len() <= SNIPPET_LINE {
                span.clone()
            } else {
                let start = file.boundary(anchor.saturating_sub(SNIPPET_LINE / 3).max(span.start));
                let end = file.boundary((start + SNIPPET_LINE).min(span.end));
                start..end
            };
            if window.start > span.start {
                text.push('…');
            }
            windows.push((window.clone(), text.len()));
            text.extend(file.text[window.clone()].chars().map(visible));
            if window.end < span.end {
                text.push('…');
            }
            if line < last {
                text.push('\n');
            }
        }
        let map = |at: usize, clamp: bool| {
            windows.iter().find_map(|(w, base)| {
                let inside = w.contains(&at) || at == w.end;
                (inside || (clamp && at >= w.start)).then(|| base + at.min(w.end) - w.start)
            })
        };
        let labels = labels
            .iter()
            .filter_map(|(at, message)| {
                let start = map(at.offset, false)?;
                let end = map(at.offset + at.length, false)
                    .filter(|&e| e >= start)
                    .or_else(|| {
                        let w = windows.iter().find(|(w, _)| w.contains(&at.offset))?;
                        Some(w.1 + w.0.len())
                    })?;
                Some((start..end, message.to_string(), (*at).clone()))
            })
            .collect();
        Snippet {
            name: crate::escape::terminal(&file.name).into_owned(),
            text,
            first_line: first,
            labels,
        }
    }
}

/// A character as shown in a snippet: hidden characters (controls, which could move the
/// cursor or recolour a terminal, and invisible or reordering ones) become `?`, or `¿` or
/// `�` for the two- and three-byte ones, so offsets do not move.
fn visible(c: char) -> char {
    match c {
        '\t' => c,
        c if !crate::escape::hidden(c) => c,
        c if c.len_utf8() == 1 => '?',
        c if c.len_utf8() == 2 => '¿',
        _ => '�',
    }
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = miette::SourceCode::read_span(self.text.as_str(), span, before, after)?;
        // The header shows the primary label's true position, not the snippet's.
        let exact = self
            .labels
            .iter()
            .find(|(s, _, _)| before == 0 && after == 0 && s.start == span.offset());
        let (line, column) = match exact {
            Some((_, _, at)) => (at.line as usize - 1, at.column as usize - 1),
            None => (inner.line() + self.first_line, inner.column()),
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}

impl miette::Diagnostic for Human {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.note).then(|| Box::new(self.d.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            _ if self.note => miette::Severity::Advice,
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(terminal_lines(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let source = self.source.as_ref()?;
        Some(Box::new(source.labels.iter().enumerate().map(
            |(i, (span, message, _))| {
                let span = (span.start, span.len());
                if i == 0 {
                    miette::LabeledSpan::new_primary_with_span(Some(message.clone()), span)
                } else {
                    miette::LabeledSpan::new_with_span(Some(message.clone()), span)
                }
            },
        )))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

impl Diagnostics {
    /// A diagnostic for miette: labels near the primary one share its snippet, the others
    /// (in other files, or far away in the same one) are shown as notes below it.
    fn human(&self, diag: &Diagnostic) -> Human {
        let Some(at) = &diag.at else {
            return Human {
                d: diag.clone(),
                note: false,
                source: None,
                related: Vec::new(),
            };
        };
        let file = self.sources.get(&at.file);
        let line = |l: &Location| file.map(|f| f.line_of(l.offset));
        let near = |l: &Location| {
            l.file == at.file
                && matches!((line(l), line(at)), (Some(a), Some(b)) if a.abs_diff(b) <= SNIPPET_LINES)
        };
        let mut shown = vec![(at, diag.label.as_str())];
        shown.extend(
            diag.labels
                .iter()
                .filter(|l| near(&l.at))
                .map(|l| (&l.at, l.message.as_str())),
        );
        let related = diag
            .labels
            .iter()
            .filter(|l| !near(&l.at))
            .map(|l| Human {
                d: Diagnostic {
                    severity: diag.severity,
                    code: diag.code,
                    message: format!("{} ({})", l.message, l.at.file),
                    at: Some(l.at.clone()),
                    label: l.message.clone(),
                    labels: Vec::new(),
                    help: None,
                },
                source: self
                    .sources
                    .get(&l.at.file)
                    .map(|f| Snippet::new(f, &[(&l.at, l.message.as_str())])),
                note: true,
                related: Vec::new(),
            })
            .collect();
        Human {
            d: diag.clone(),
            source: file.map(|f| Snippet::new(f, &shown)),
            note: false,
            related,
        }
    }
}

/// Renders diagnostics with miette's graphical handler: the first `HUMAN_PER_FILE` of each
/// file, a count of the rest, and a summary line.
pub fn render_human(d: &Diagnostics, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    let mut per_file: HashMap<Option<&str>, usize> = HashMap::new();
    for diag in &d.items {
        let count = per_file
            .entry(diag.at.as_ref().map(|a| &*a.file))
            .or_default();
        *count += 1;
        if *count > HUMAN_PER_FILE {
            continue;
        }
        let _ = handler.render_report(&mut out, &d.human(diag));
        out.push('\n');
    }
    let mut hidden: Vec<(&str, usize)> = per_file
        .into_iter()
        .filter(|&(_, n)| n > HUMAN_PER_FILE)
        .map(|(f, n)| (f.unwrap_or("(no file)"), n - HUMAN_PER_FILE))
        .collect();
    hidden.sort();
    for (file, n) in &hidden {
        out.push_str(&format!(
            "… and {n} more problems in {}\n",
            crate::escape::terminal(file)
        ));
    }
    if !hidden.is_empty() {
        out.push_str("run with `--format json` to see every problem\n\n");
    }
    out.push_str(&summary(d));
    out
}

fn summary(d: &Diagnostics) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}\n",
        plural(d.errors(), "error"),
        plural(d.warnings(), "warning")
    )
}

// ---- json ----

#[derive(Serialize)]
struct JsonReport<'a> {
    /// Shape version; bumped only on incompatible changes.
    format_version: u32,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

/// The stable JSON shape: `{format_version, valid, errors, warnings, diagnostics: [{severity, code,
/// message, file, line, column, offset, length, label, labels: [{file, line, column, offset,
/// length, message}], help}]}`.
pub fn render_json(d: &Diagnostics) -> String {
    let report = JsonReport {
        format_version: 1,
        valid: d.errors() == 0,
        errors: d.errors(),
        warnings: d.warnings(),
        diagnostics: &d.items,
    };
    let mut s = serde_json::to_string_pretty(&report).expect("diagnostics serialize");
    s.push('\n');
    s
}

// ---- github ----

/// GitHub workflow commands: `::error file=…,line=…,col=…,title=…::message`.
pub fn render_github(d: &Diagnostics) -> String {
    let mut out = String::new();
    for diag in &d.items {
        let kind = match diag.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some(at) = &diag.at {
            props.push(format!("file={}", github_property(&at.file)));
            props.push(format!("line={}", at.line));
            props.push(format!("col={}", at.column));
        }
        props.push(format!("title={}", github_property(diag.code)));
        let mut message = diag.message.clone();
        for l in &diag.labels {
            message.push_str(&format!(
                "\n{}: {}:{}:{}",
                l.message, l.at.file, l.at.line, l.at.column
            ));
        }
        if let Some(help) = &diag.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            github_data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_after_tabs_bom_and_crlf() {
        let f = SourceFile::new("f".into(), "a: 1\r\n\tb: \"é\"x\r\n".into());
        let at = f.locate(13..14);
        assert_eq!((at.line, at.column), (2, 7));
    }

    #[test]
    fn snippets_cut_long_lines_and_hide_control_characters() {
        let text = format!("a: \"\u{1b}[31m{}\"\nb: BAD\n", "x".repeat(100_000));
        let file = Arc::new(SourceFile::new("f.yaml".into(), text.as_str().into()));
        let at = text.find("BAD").unwrap();
        let mut d = Diagnostics::default();
        d.add_file(file.clone());
        d.push(At(&file).diag(Severity::Error, "dnc::t", "bad", at..at + 3, "here"));
        let far = text.len() - 20;
        d.push(At(&file).diag(Severity::Error, "dnc::t", "far", far..far + 1, "x"));
        let out = render_human(&d, false);
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(out.contains("[f.yaml:2:4]"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 200), "{out}");
    }
}
