//! `dnc fmt`: manifests in one canonical layout, comments kept, meaning unchanged.
//!
//! The layout is rebuilt from the span tree of `manifest::yaml`: block style indented by two
//! spaces, keys in the schema's order (unknown keys after, as written), phone numbers quoted,
//! the schema modeline first. Scalars are copied as written (their quoting included), so no
//! value is re-encoded. Comments are found outside every scalar's span and kept: a comment
//! line stays before the item it preceded, a comment after a value stays on that value's
//! line. Anything this cannot rewrite safely is refused with the reason: YAML problems,
//! multi-line scalars, sequences of sequences, a comment it could not place, and, as a last
//! check, any difference between the data read back from the result and the original.

pub mod modeline;

use crate::manifest::yaml::{self, Node, Value};
use std::fmt::Write as _;
use std::ops::Range;

const TOP: &[&str] = &["defaults", "include", "entries", "removals"];
const DEFAULTS: &[&str] = &["scope", "phone_code", "reason", "purpose"];
const ENTRY: &[&str] = &crate::manifest::model::ENTRY_FIELDS;
const REMOVAL: &[&str] = &[
    "number",
    "phone_code",
    "scope",
    "removal_reason",
    "ticket",
    "requested_at",
    "source",
];
const INCLUDE: &[&str] = &["csv", "scope", "phone_code", "reason", "purpose"];

/// Why a file was left as it is: the 1-based line and what the formatter cannot do there.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub line: usize,
    pub message: String,
}

/// A comment: where its `#` is, whether it has a line to itself, and the gap before it.
struct Comment {
    at: usize,
    line: usize,
    own_line: bool,
    gap: String,
    text: String,
}

struct Emitter<'t> {
    text: &'t str,
    line_starts: Vec<usize>,
    comments: Vec<Comment>,
    used: Vec<bool>,
    out: String,
}

/// The manifest `text` in the canonical layout, with `modeline` (when given) as its first
/// line in place of any modeline it had.
pub fn format(text: &str, modeline: Option<&str>) -> Result<String, Refusal> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = yaml::read(text);
    let line_starts = line_starts(text);
    let line = |at: usize| line_starts.partition_point(|&s| s <= at);
    if let Some(p) = doc.problems.first() {
        return Err(Refusal {
            line: line(p.span.start),
            message: format!(
                "{}; fix it first (dnc validate shows every problem)",
                p.message
            ),
        });
    }
    let Some(root) = doc
        .root
        .as_ref()
        .filter(|r| matches!(r.value, Value::Map(_)))
    else {
        return Err(Refusal {
            line: 1,
            message: "a manifest is a mapping (`entries:`, `removals:`, …)".into(),
        });
    };
    let mut scalars = Vec::new();
    scalar_spans(root, &mut scalars);
    scalars.sort_by_key(|s| s.start);
    let comments = comments(text, &line_starts, &scalars);
    let mut e = Emitter {
        text,
        used: vec![false; comments.len()],
        comments,
        line_starts,
        out: String::new(),
    };
    if let Some(line) = modeline {
        e.out.push_str(line);
        e.out.push('\n');
        for (c, used) in e.comments.iter().zip(e.used.iter_mut()) {
            *used |= c.own_line && c.text.starts_with("# yaml-language-server:");
        }
    }
    // The comments above the first key head the file, whichever key comes first now.
    let first_key = match &root.value {
        Value::Map(pairs) => pairs.first().map_or(0, |(k, _)| k.span.start),
        _ => 0,
    };
    e.leading(0, first_key, 0);
    e.map(root, first_key, None, TOP, 0)?;
    e.leading(content_end(root), text.len(), 0);
    if let Some(c) = e.comments.iter().zip(&e.used).find(|(_, used)| !**used) {
        return Err(Refusal {
            line: c.0.line,
            message: "cannot keep this comment in place; move it onto its own line".into(),
        });
    }
    let mut formatted = e.out;
    while formatted.ends_with("\n\n") {
        formatted.pop();
    }
    same_meaning(root, &formatted)?;
    Ok(formatted)
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn scalar_spans(node: &Node, out: &mut Vec<Range<usize>>) {
    match &node.value {
        Value::Scalar { .. } => out.push(node.span.clone()),
        Value::Seq(items) => items.iter().for_each(|n| scalar_spans(n, out)),
        Value::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            scalar_spans(k, out);
            scalar_spans(v, out);
        }),
    }
}

/// Every comment: a `#` at a line's start or after a space, outside every scalar.
fn comments(text: &str, line_starts: &[usize], scalars: &[Range<usize>]) -> Vec<Comment> {
    let inside = |at: usize| {
        let i = scalars.partition_point(|s| s.start <= at);
        i > 0 && scalars[i - 1].contains(&at)
    };
    let mut found = Vec::new();
    for (n, &start) in line_starts.iter().enumerate() {
        let end = line_starts.get(n + 1).map_or(text.len(), |&s| s - 1);
        let line = &text[start..end];
        let hash = line
            .match_indices('#')
            .map(|(i, _)| i)
            .find(|&i| (i == 0 || line[..i].ends_with([' ', '\t'])) && !inside(start + i));
        if let Some(i) = hash {
            let before = &line[..i];
            let gap_start = before.trim_end().len();
            found.push(Comment {
                at: start + i,
                line: n + 1,
                own_line: before.trim().is_empty(),
                gap: before[gap_start..].to_string(),
                text: line[i..].trim_end().to_string(),
            });
        }
    }
    found
}

/// Where a node's last scalar ends: comments after it belong to what follows.
pub(crate) fn content_end(node: &Node) -> usize {
    let last = match &node.value {
        Value::Scalar { .. } => None,
        Value::Seq(items) => items.last().map(content_end),
        Value::Map(pairs) => pairs.last().map(|(_, v)| content_end(v)),
    };
    last.unwrap_or(node.span.end)
}

fn order_for(key: &str) -> &'static [&'static str] {
    match key {
        "defaults" => DEFAULTS,
        "entries" => ENTRY,
        "removals" => REMOVAL,
        "include" => INCLUDE,
        _ => &[],
    }
}

impl Emitter<'_> {
    fn line(&self, at: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= at)
    }

    /// The comment lines between `from` and `to`, at `indent`, and a blank line wherever
    /// the source had blank lines among them.
    fn leading(&mut self, from: usize, to: usize, indent: usize) {
        let mut blank = false;
        for line in self.line(from)..=self.line(to) {
            let start = self.line_starts[line - 1];
            let end = self.line_starts.get(line).map_or(self.text.len(), |&s| s);
            if start > from && end <= to && self.text[start..end].trim().is_empty() {
                blank = true;
                continue;
            }
            let Some(i) = self.comment_on(line) else {
                continue;
            };
            let c = &self.comments[i];
            if !c.own_line || !(from..to).contains(&c.at) {
                continue;
            }
            self.used[i] = true;
            if std::mem::take(&mut blank) {
                self.blank_line();
            }
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(&self.comments[i].text);
            self.out.push('\n');
        }
        if blank {
            self.blank_line();
        }
    }

    /// One blank line, never at the top, after a key that opens a block, or twice.
    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with(":\n") && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Ends the output line with the comment that followed the value on source line `line`.
    fn end_line(&mut self, line: usize) {
        if let Some(i) = self
            .comment_on(line)
            .filter(|&i| !self.comments[i].own_line)
        {
            self.used[i] = true;
            self.out.push_str(&self.comments[i].gap);
            self.out.push_str(&self.comments[i].text);
        }
        self.out.push('\n');
    }

    /// The unused comment on source line `line` (a line holds at most one).
    fn comment_on(&self, line: usize) -> Option<usize> {
        let i = self.comments.partition_point(|c| c.line < line);
        (self.comments.get(i).is_some_and(|c| c.line == line) && !self.used[i]).then_some(i)
    }

    /// A scalar as written, refusing the multi-line ones; plain phone numbers get quoted.
    fn scalar(&self, key: Option<&str>, node: &Node) -> Result<String, Refusal> {
        let written = &self.text[node.span.clone()];
        if written.contains('\n') {
            return Err(Refusal {
                line: self.line(node.span.start),
                message: "a value over several lines; write it on one line".into(),
            });
        }
        Ok(match (&node.value, key) {
            (Value::Scalar { text, plain: true }, Some("number")) => yaml_str(text),
            _ => written.to_string(),
        })
    }

    /// The pairs of `node` in `order` (others after, as written). `from` is where comments
    /// that may lead its first pair start; `dash` puts the first pair on a `- ` line.
    fn map(
        &mut self,
        node: &Node,
        from: usize,
        dash: Option<usize>,
        order: &[&str],
        indent: usize,
    ) -> Result<(), Refusal> {
        let Value::Map(pairs) = &node.value else {
            unreachable!("map() is called on mappings")
        };
        let starts: Vec<usize> = (0..pairs.len())
            .map(|i| match i {
                0 => from,
                _ => content_end(&pairs[i - 1].1),
            })
            .collect();
        let rank = |key: &Node| {
            key.scalar()
                .and_then(|k| order.iter().position(|o| *o == k))
                .unwrap_or(order.len())
        };
        let mut sorted: Vec<usize> = (0..pairs.len()).collect();
        sorted.sort_by_key(|&i| rank(&pairs[i].0));
        for (n, i) in sorted.into_iter().enumerate() {
            let (key, value) = &pairs[i];
            match (n, dash) {
                (0, Some(dash_indent)) => {
                    self.leading(starts[i], key.span.start, dash_indent);
                    self.out.push_str(&" ".repeat(dash_indent));
                    self.out.push_str("- ");
                }
                _ => {
                    self.leading(starts[i], key.span.start, indent);
                    self.out.push_str(&" ".repeat(indent));
                }
            }
            let name = self.scalar(None, key)?;
            self.out.push_str(&name);
            self.out.push(':');
            self.value(key, value, indent)?;
        }
        Ok(())
    }

    fn value(&mut self, key: &Node, value: &Node, indent: usize) -> Result<(), Refusal> {
        let key_line = self.line(key.span.start);
        match &value.value {
            Value::Scalar { .. } => {
                let text = self.scalar(key.scalar(), value).map_err(|r| Refusal {
                    line: key_line,
                    ..r
                })?;
                let line = if text.is_empty() {
                    key_line
                } else {
                    self.out.push(' ');
                    self.out.push_str(&text);
                    self.line(value.span.end)
                };
                self.end_line(line);
            }
            Value::Map(pairs) if pairs.is_empty() => {
                self.out.push_str(" {}");
                self.end_line(key_line);
            }
            Value::Seq(items) if items.is_empty() => {
                self.out.push_str(" []");
                self.end_line(key_line);
            }
            Value::Map(_) => {
                self.end_line(key_line);
                self.map(value, key.span.end, None, &[], indent + 2)?;
            }
            Value::Seq(items) => {
                self.end_line(key_line);
                let order = order_for(key.scalar().unwrap_or_default());
                let mut from = key.span.end;
                for item in items {
                    self.item(item, from, order, indent + 2)?;
                    from = content_end(item);
                }
            }
        }
        Ok(())
    }

    /// One `- ` item of a sequence at `indent`.
    fn item(
        &mut self,
        item: &Node,
        from: usize,
        order: &[&str],
        indent: usize,
    ) -> Result<(), Refusal> {
        self.leading(from, item.span.start, indent);
        match &item.value {
            Value::Map(pairs) if !pairs.is_empty() => {
                self.map(item, item.span.start, Some(indent), order, indent + 2)
            }
            Value::Scalar { .. } => {
                let text = self.scalar(None, item)?;
                self.out.push_str(&" ".repeat(indent));
                self.out.push_str("- ");
                self.out.push_str(&text);
                self.end_line(self.line(item.span.end));
                Ok(())
            }
            _ => Err(Refusal {
                line: self.line(item.span.start),
                message: "an empty or nested list item; no dnc file holds one".into(),
            }),
        }
    }
}

/// Reads the result back and compares it with the original: the same keys, items and
/// scalars (phone numbers may have gained quotes). A difference is a bug, never written.
fn same_meaning(original: &Node, formatted: &str) -> Result<(), Refusal> {
    let back = yaml::read(formatted);
    let same = back.problems.is_empty()
        && back
            .root
            .as_ref()
            .is_some_and(|root| same_node(None, original, root));
    if same {
        Ok(())
    } else {
        Err(Refusal {
            line: 1,
            message: "formatting would change what the file says; it was left as it is (please report this)".into(),
        })
    }
}

fn same_node(key: Option<&str>, a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (
            Value::Scalar {
                text: ta,
                plain: pa,
            },
            Value::Scalar {
                text: tb,
                plain: pb,
            },
        ) => ta == tb && (pa == pb || key == Some("number")),
        (Value::Seq(xs), Value::Seq(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_node(key, x, y))
        }
        (Value::Map(xs), Value::Map(ys)) => {
            xs.len() == ys.len()
                && xs.iter().all(|(k, v)| {
                    let name = k.scalar();
                    b.get(name.unwrap_or_default())
                        .is_some_and(|(_, w)| same_node(name, v, w))
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;

/// A YAML double-quoted scalar: every character outside YAML's printable set, and every
/// line break, is escaped, so any text round-trips.
pub fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..
                if !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}') =>
            {
                out.push(c)
            }
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}
