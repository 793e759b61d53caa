//! Diagnostics: every problem found in the config, manifests and CSV files, with exact
//! positions. The three ways to print them are one module each: `human`, `json`, `github`.

mod github;
mod human;
mod json;

pub use github::render_github;
pub use human::{HUMAN_PER_FILE, render_human};
pub use json::render_json;

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
        self.location(span, start, line, self.lines()[line])
    }

    /// `locate`, reading only the text since the place `cursor` last located in this file:
    /// a file's items are located in order, so this counts each line break once and builds
    /// no line index (a million entries each located by a binary search over one cost more).
    pub fn locate_after(&self, cursor: &mut Cursor, span: Range<usize>) -> Location {
        let start = self.boundary(span.start);
        let text = Arc::as_ptr(&self.text).cast::<u8>() as usize;
        if cursor.text != text || start < cursor.at {
            *cursor = Cursor {
                text,
                ..Cursor::default()
            };
        }
        let between = &self.text.as_bytes()[cursor.at..start];
        if let Some(last) = between.iter().rposition(|&b| b == b'\n') {
            cursor.line += between.iter().filter(|&&b| b == b'\n').count();
            cursor.line_start = cursor.at + last + 1;
        }
        cursor.at = start;
        self.location(span, start, cursor.line, cursor.line_start)
    }

    /// The location of `span`, which starts at `start` on 0-based `line` beginning at
    /// byte `line_start`.
    fn location(
        &self,
        span: Range<usize>,
        start: usize,
        line: usize,
        line_start: usize,
    ) -> Location {
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

/// The last place `SourceFile::locate_after` located, and in which file's text.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cursor {
    /// The text's address: a cursor moved to another file starts over.
    text: usize,
    at: usize,
    /// The 0-based line holding `at`, and where that line starts.
    line: usize,
    line_start: usize,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_after_tabs_bom_and_crlf() {
        let f = SourceFile::new("f".into(), "a: 1\r\n\tb: \"é\"x\r\n".into());
        let at = f.locate(13..14);
        assert_eq!((at.line, at.column), (2, 7));
    }

    /// Locating in order from a cursor gives exactly what `locate` does, across CRLF, tabs,
    /// multi-byte characters, offsets inside a character, long lines and a change of file.
    #[test]
    fn locate_after_matches_locate() {
        let long = "y".repeat(3000);
        let text = format!("a: 1\r\n\tb: \"é\"x\r\n\n- c: ü{long}z\nlast");
        let file = SourceFile::new("f".into(), text.as_str().into());
        let other = SourceFile::new("g".into(), "x\ny\nz".into());
        let mut cursor = Cursor::default();
        for start in (0..=text.len()).chain([3, text.len() + 5]) {
            let span = start..start + 2;
            assert_eq!(
                file.locate_after(&mut cursor, span.clone()),
                file.locate(span)
            );
            if start % 7 == 0 {
                let span = start % 5..start % 5 + 1;
                assert_eq!(
                    other.locate_after(&mut cursor, span.clone()),
                    other.locate(span)
                );
            }
        }
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

/// Every diagnostics emitter over one shared fixture (an error with a label beside it and one
/// in another file, a warning with help, a problem with no file): one snapshot per format.
#[cfg(test)]
mod emitters {
    use super::*;

    fn fixture() -> Diagnostics {
        let global = "entries:\n  - number: \"202-555-0101\"\n    reason: DNC\n  - number: \"202-555-0101\"\n    reason: DNC\n  - number: \"999\"\n";
        let other = "entries:\n  - number: \"202-555-0101\"\n";
        let global = Arc::new(SourceFile::new("lists/global.yaml".into(), global.into()));
        let other = Arc::new(SourceFile::new("lists/other.yaml".into(), other.into()));
        let span = |file: &SourceFile, text: &str, nth: usize| {
            let at = file
                .text
                .match_indices(text)
                .nth(nth)
                .expect("in the fixture")
                .0;
            at..at + text.len()
        };
        let mut d = Diagnostics::default();
        d.add_file(global.clone());
        d.add_file(other.clone());
        let first = global.locate(span(&global, "\"202-555-0101\"", 0));
        let elsewhere = other.locate(span(&other, "\"202-555-0101\"", 0));
        d.push(
            At(&global)
                .diag(
                    Severity::Error,
                    "dnc::entry::duplicate",
                    "+1 202-555-0101 is listed twice in global",
                    span(&global, "\"202-555-0101\"", 1),
                    "listed again here",
                )
                .with_label(first, "first listed here")
                .with_label(elsewhere, "and in another file"),
        );
        d.push(
            At(&global)
                .diag(
                    Severity::Warning,
                    "dnc::phone::unassigned",
                    "\"999\" is not an assigned number",
                    span(&global, "\"999\"", 0),
                    "this number",
                )
                .with_help("check the digits; `strict: true` or --strict makes this an error"),
        );
        d.push(Diagnostic {
            severity: Severity::Error,
            code: "dnc::config::missing",
            message: "no dnc.yaml here".into(),
            at: None,
            label: String::new(),
            labels: Vec::new(),
            help: Some("run `dnc init`".into()),
        });
        d
    }

    #[test]
    fn human() {
        insta::assert_snapshot!(render_human(&fixture(), false));
    }

    #[test]
    fn json() {
        insta::assert_snapshot!(render_json(&fixture()));
    }

    #[test]
    fn github() {
        insta::assert_snapshot!(render_github(&fixture()));
    }
}
