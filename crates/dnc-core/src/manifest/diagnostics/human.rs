//! Diagnostics for people: miette's graphical reports over bounded snippets of the files.

use super::{Diagnostic, Diagnostics, Location, Severity, SourceFile};
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

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
