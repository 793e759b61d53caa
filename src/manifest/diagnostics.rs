//! Diagnostics: every problem found in the config, manifests and CSV files, with exact
//! positions, and the three ways to print them (human, JSON, GitHub annotations).

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

/// A file's text with a lazily built line index, so positions are exact and cheap.
pub struct SourceFile {
    pub name: Arc<str>,
    pub text: Arc<str>,
    lines: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(name: Arc<str>, text: Arc<str>) -> Self {
        SourceFile {
            name,
            text,
            lines: OnceLock::new(),
        }
    }

    /// The exact line and column of a byte span.
    pub fn locate(&self, span: Range<usize>) -> Location {
        let text = &*self.text;
        let mut start = span.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let lines = self.lines.get_or_init(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = lines.partition_point(|&s| s <= start);
        let line_start = lines[line - 1];
        let column = text[line_start..start].chars().count() + 1;
        Location {
            file: self.name.clone(),
            line: line as u32,
            column: column as u32,
            offset: start,
            length: span.end.saturating_sub(start),
        }
    }
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
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Human {}

struct Snippet(Arc<SourceFile>);

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.0.text.read_span(span, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.0.name.to_string(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
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
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let at = self.d.at.as_ref()?;
        let primary = miette::LabeledSpan::new_primary_with_span(
            Some(self.d.label.clone()),
            (at.offset, at.length),
        );
        let same_file = self
            .d
            .labels
            .iter()
            .filter(|l| l.at.file == at.file)
            .map(|l| {
                miette::LabeledSpan::new_with_span(
                    Some(l.message.clone()),
                    (l.at.offset, l.at.length),
                )
            });
        Some(Box::new(std::iter::once(primary).chain(same_file)))
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

/// Renders every diagnostic with miette's graphical handler and a summary line.
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
    for diag in &d.items {
        let source = |file: &str| d.sources.get(file).cloned().map(Snippet);
        let related = diag
            .labels
            .iter()
            .filter(|l| diag.at.as_ref().is_none_or(|a| a.file != l.at.file))
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
                source: source(&l.at.file),
                note: true,
                related: Vec::new(),
            })
            .collect();
        let human = Human {
            d: diag.clone(),
            source: diag.at.as_ref().and_then(|a| source(&a.file)),
            note: false,
            related,
        };
        let _ = handler.render_report(&mut out, &human);
        out.push('\n');
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
    version: u32,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

/// The stable JSON shape: `{version, valid, errors, warnings, diagnostics: [{severity, code,
/// message, file, line, column, offset, length, label, labels: [{file, line, column, offset,
/// length, message}], help}]}`.
pub fn render_json(d: &Diagnostics) -> String {
    let report = JsonReport {
        version: 1,
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

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

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
            props.push(format!("file={}", escape_property(&at.file)));
            props.push(format!("line={}", at.line));
            props.push(format!("col={}", at.column));
        }
        props.push(format!("title={}", escape_property(diag.code)));
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
            escape_data(&message)
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
    fn github_escaping() {
        assert_eq!(escape_data("50%\r\nx"), "50%25%0D%0Ax");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
