//! A YAML reader that keeps a byte span for every node.
//!
//! Built on the event parser under serde-saphyr (granit-parser) rather than on serde, so that
//! one file yields *all* its structural problems: duplicate keys, aliases and bad keys are
//! collected and parsing goes on. Aliases are refused outright, which rules out
//! "billion laughs" expansion; nesting is capped so hostile input cannot exhaust the stack.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};
use std::borrow::Cow;
use std::ops::Range;

/// Deeper than any dnc file needs; bounds work and memory on hostile input.
const MAX_DEPTH: usize = 32;

/// A node of the text `'t`: scalars borrow from it unless escapes made them differ.
#[derive(Debug)]
pub struct Node<'t> {
    pub span: Range<usize>,
    pub value: Value<'t>,
}

#[derive(Debug)]
pub enum Value<'t> {
    /// `plain` scalars are typed by the YAML 1.2 core schema (null, bool, numbers);
    /// quoted and block scalars are always text.
    Scalar {
        text: Cow<'t, str>,
        plain: bool,
    },
    Seq(Vec<Node<'t>>),
    Map(Vec<(Node<'t>, Node<'t>)>),
}

/// A problem found while reading; `other` is a second place (the first of two duplicate keys).
#[derive(Debug)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    pub span: Range<usize>,
    pub label: String,
    pub other: Option<(Range<usize>, String)>,
    pub help: Option<String>,
}

impl Problem {
    fn new(code: &'static str, message: String, span: Range<usize>, label: &str) -> Self {
        Problem {
            code,
            message,
            span,
            label: label.into(),
            other: None,
            help: None,
        }
    }
}

/// Everything read from one file: the document (if the syntax allowed one) and the problems.
pub struct Document<'t> {
    pub root: Option<Node<'t>>,
    pub problems: Vec<Problem>,
}

/// An open collection: where it starts in the text, and where its items start in the
/// reader's shared lists (`Scratch`), which an inner collection's items come after.
enum Frame<'t> {
    Seq(usize, usize),
    Map(usize, usize, Option<Node<'t>>),
}

/// The items of every open collection, innermost last. A closed collection takes its items
/// in one allocation of the exact size: a mapping per entry, a million entries, no growing.
#[derive(Default)]
struct Scratch<'t> {
    items: Vec<Node<'t>>,
    pairs: Vec<(Node<'t>, Node<'t>)>,
}

fn range(span: &Span) -> Range<usize> {
    let start = span.start.byte_offset().unwrap_or(0);
    let end = span.end.byte_offset().unwrap_or(start).max(start);
    start..end
}

/// Reads one YAML document from `text`, collecting every problem it can.
pub fn read(text: &str) -> Document<'_> {
    let mut problems = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut scratch = Scratch::default();
    let mut root = None;
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(e) => e,
            Err(e) => {
                let at = e.marker().byte_offset().unwrap_or(0);
                problems.push(Problem::new(
                    "dnc::yaml::syntax",
                    format!("YAML syntax error: {}", e.info()),
                    at..at,
                    "here",
                ));
                return Document {
                    root: None,
                    problems,
                };
            }
        };
        let node = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    let at = range(&span);
                    let mut p = Problem::new(
                        "dnc::yaml::documents",
                        "a dnc file holds exactly one YAML document".into(),
                        at,
                        "second document starts here",
                    );
                    p.help = Some("move the second document into a file of its own".into());
                    problems.push(p);
                    return Document { root, problems };
                }
                continue;
            }
            Event::Scalar(text, style, _, _) => Node {
                span: range(&span),
                value: Value::Scalar {
                    text,
                    plain: style == ScalarStyle::Plain,
                },
            },
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                let mut p = Problem::new(
                    "dnc::yaml::alias",
                    "YAML aliases are not allowed in dnc files".into(),
                    range(&span),
                    "alias",
                );
                p.help = Some("write the value out, or use the file's `defaults`".into());
                problems.push(p);
                Node {
                    span: range(&span),
                    value: Value::Scalar {
                        text: Cow::Borrowed(""),
                        plain: true,
                    },
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    problems.push(Problem::new(
                        "dnc::yaml::depth",
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                        range(&span),
                        "too deep",
                    ));
                    return Document {
                        root: None,
                        problems,
                    };
                }
                let start = range(&span).start;
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq(start, scratch.items.len())
                } else {
                    Frame::Map(start, scratch.pairs.len(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = range(&span).end;
                match stack.pop() {
                    Some(Frame::Seq(start, first)) => Node {
                        span: start..end.max(start),
                        value: Value::Seq(scratch.items.drain(first..).collect()),
                    },
                    Some(Frame::Map(start, first, _)) => Node {
                        span: start..end.max(start),
                        value: Value::Map(scratch.pairs.drain(first..).collect()),
                    },
                    None => continue,
                }
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(..)) => scratch.items.push(node),
            Some(Frame::Map(_, first, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => add_pair(&mut scratch.pairs, *first, key, node, &mut problems),
            },
        }
    }
    Document { root, problems }
}

/// Adds a pair to the open mapping whose pairs start at `first`.
fn add_pair<'t>(
    pairs: &mut Vec<(Node<'t>, Node<'t>)>,
    first: usize,
    key: Node<'t>,
    value: Node<'t>,
    problems: &mut Vec<Problem>,
) {
    let Value::Scalar { text, .. } = &key.value else {
        let mut p = Problem::new(
            "dnc::yaml::key",
            "mapping keys must be plain text".into(),
            key.span,
            "complex key",
        );
        p.help = Some("write the key as a plain word, e.g. `reason:`".into());
        problems.push(p);
        return;
    };
    if let Some((first, _)) = pairs[first..]
        .iter()
        .find(|(k, _)| k.scalar() == Some(text))
    {
        let mut p = Problem::new(
            "dnc::yaml::duplicate_key",
            format!("duplicate key `{}`", super::diagnostics::excerpt(text)),
            key.span.clone(),
            "written again here",
        );
        p.other = Some((first.span.clone(), "first written here".into()));
        p.help = Some("YAML keeps only one of them; remove one".into());
        problems.push(p);
        return;
    }
    pairs.push((key, value));
}

impl<'t> Node<'t> {
    pub fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value under `key` in a mapping, with the key's node.
    pub fn get(&self, key: &str) -> Option<(&Node<'t>, &Node<'t>)> {
        match &self.value {
            Value::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| k.scalar() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// Converts to JSON for the schema pass, typing plain scalars by the YAML 1.2 core schema.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar { text, plain: false } => J::String(text.to_string()),
            Value::Scalar { text, plain: true } => core_schema(text),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(pairs) => J::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.scalar().unwrap_or_default().to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The node a JSON pointer (from the schema validator) names, and the key node when the
    /// last step is a mapping key. Stops at the deepest node that exists.
    pub fn at_pointer<'a>(&'a self, pointer: &str) -> (&'a Node<'t>, Option<&'a Node<'t>>) {
        let mut node = self;
        let mut key = None;
        for raw in pointer.split('/').skip(1) {
            let step = raw.replace("~1", "/").replace("~0", "~");
            let next = match &node.value {
                Value::Seq(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
                Value::Map(_) => node.get(&step).map(|(k, v)| {
                    key = Some(k);
                    v
                }),
                Value::Scalar { .. } => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        (node, key)
    }
}

/// A plain scalar as the YAML 1.2 core schema types it, its text borrowed.
pub enum Core<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Text(&'a str),
}

pub fn core_type(text: &str) -> Core<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Core::Null,
        "true" | "True" | "TRUE" => return Core::Bool(true),
        "false" | "False" | "FALSE" => return Core::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    // Leading zeros stay text: a number like `02079460018` must not lose its trunk prefix.
    if digits.len() > 1 && digits.starts_with('0') {
        return Core::Text(text);
    }
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse::<i64>() {
            return Core::Number(n.into());
        }
        if let Ok(n) = text.parse::<u64>() {
            return Core::Number(n.into());
        }
    }
    let looks_float = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    if looks_float
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Core::Number(n);
    }
    Core::Text(text)
}

pub fn core_schema(text: &str) -> serde_json::Value {
    use serde_json::Value as J;
    match core_type(text) {
        Core::Null => J::Null,
        Core::Bool(b) => J::Bool(b),
        Core::Number(n) => J::Number(n),
        Core::Text(t) => J::String(t.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_byte_exact_and_duplicates_reported() {
        let text = "a: 1\nb:\n  - x: 'q'\na: 2\n";
        let doc = read(text);
        let root = doc.root.unwrap();
        let (_, b) = root.get("b").unwrap();
        let (node, key) = b.at_pointer("/0/x");
        assert_eq!(&text[node.span.clone()], "'q'");
        assert_eq!(&text[key.unwrap().span.clone()], "x");
        assert_eq!(doc.problems.len(), 1);
        assert_eq!(&text[doc.problems[0].span.clone()], "a");
        assert_eq!(doc.problems[0].span.start, 19);
        assert_eq!(doc.problems[0].other.as_ref().unwrap().0.start, 0);
    }

    #[test]
    fn aliases_are_refused_and_depth_bounded() {
        let doc = read("a: &x [1, 2]\nb: *x\n");
        assert_eq!(doc.problems[0].code, "dnc::yaml::alias");
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(read(&deep).problems[0].code, "dnc::yaml::depth");
    }

    #[test]
    fn core_schema_typing() {
        assert_eq!(core_schema("111"), serde_json::json!(111));
        assert_eq!(core_schema("2026-03-01"), serde_json::json!("2026-03-01"));
        assert_eq!(
            core_schema("202-555-0143"),
            serde_json::json!("202-555-0143")
        );
        assert_eq!(core_schema("~"), serde_json::Value::Null);
        assert_eq!(core_schema("02079460018"), serde_json::json!("02079460018"));
    }
}
