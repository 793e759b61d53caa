//! Edits of a manifest's text for `dnc add` and `dnc remove`: an item appended to a list, or
//! taken out of it, with every other byte (comments, blank lines, quoting) left as it was.
//! The span tree of `manifest::yaml` says where each item starts and ends; new items are
//! written in `dnc fmt`'s layout, indented like the list's existing items.

use crate::fmt::content_end;
use crate::manifest::yaml::{self, Node, Value};

/// Why a file cannot be edited in place.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The YAML does not read (validate says why) or is not a mapping.
    Unreadable,
    /// The list is written in flow style (`[…]`) with items in it.
    FlowList(&'static str),
}

/// One field of a new item: its key and its value as YAML text.
pub type Field = (&'static str, String);

/// `text` with an item of `fields` appended to its top-level list `list` (`entries` or
/// `removals`), after `comments` (whole comment lines), the list created at the end of the
/// file when it has none (an empty file is an empty manifest).
pub fn append(
    text: &str,
    list: &'static str,
    fields: &[Field],
    comments: &[String],
) -> Result<String, Refusal> {
    let item = |dash: usize| {
        let lines = comments
            .iter()
            .map(|c| format!("{}{c}\n", " ".repeat(dash)));
        lines.collect::<String>() + &item(fields, dash)
    };
    let doc = yaml::read(text);
    let found = if text.trim().is_empty() {
        None
    } else {
        readable(&doc)?.get(list)
    };
    let Some((key, value)) = found else {
        let mut out = with_newline(text);
        out.push_str(list);
        out.push_str(":\n");
        out.push_str(&item(2));
        return Ok(out);
    };
    let key_indent = column(text, key.span.start);
    match &value.value {
        Value::Seq(items) if !items.is_empty() => {
            let first = &items[0];
            let dash = text[line_start(text, first.span.start)..first.span.start]
                .find('-')
                .map_or(key_indent + 2, |i| i);
            if is_flow(text, value) {
                return Err(Refusal::FlowList(list));
            }
            let at = line_end(text, content_end(items.last().unwrap_or(first)));
            let mut out = with_newline(&text[..at]);
            out.push_str(&item(dash));
            out.push_str(&text[at..]);
            Ok(out)
        }
        Value::Seq(_) => {
            // `list: []`: the brackets go, the items follow the key's line.
            let empty = value.span.clone();
            let before = text[..empty.start].trim_end_matches([' ', '\t']).len();
            let at = line_end(text, empty.end);
            let mut out = text[..before].to_string();
            out.push_str(&text[empty.end..at]);
            let mut out = with_newline(&out);
            out.push_str(&item(key_indent + 2));
            out.push_str(&text[at..]);
            Ok(out)
        }
        _ => Err(Refusal::Unreadable),
    }
}

/// `text` without the item of the top-level list `list` that starts on 1-based line `line`,
/// and the comment lines right above it (which `dnc fmt` keeps with it, so they go where it
/// goes); comments on its own lines go with it. The list becomes `[]` when it is emptied.
/// `None` when no item starts there.
pub fn take_out(text: &str, list: &str, line: usize) -> Option<(String, Vec<String>)> {
    let doc = yaml::read(text);
    let root = readable(&doc).ok()?;
    let (key, value) = root.get(list)?;
    let Value::Seq(items) = &value.value else {
        return None;
    };
    let found = items.iter().find(|i| line_of(text, i.span.start) == line)?;
    let mut start = line_start(text, found.span.start);
    let mut comments = Vec::new();
    while start > key.span.end {
        let above = line_start(text, start - 1);
        let comment = text[above..start].trim();
        if !comment.starts_with('#') || above <= key.span.end {
            break;
        }
        comments.insert(0, comment.to_string());
        start = above;
    }
    let cut = start..line_end(text, content_end(found));
    let mut out = String::with_capacity(text.len());
    if items.len() == 1 {
        out.push_str(&text[..key.span.end]);
        out.push_str(": []");
        let colon = text[key.span.end..].find(':')? + key.span.end + 1;
        out.push_str(&text[colon..cut.start]);
    } else {
        out.push_str(&text[..cut.start]);
    }
    out.push_str(&text[cut.end..]);
    Some((out, comments))
}

/// The item that starts on 1-based `line` of the list `list`, as `(key, value as written)`.
pub fn fields_at(text: &str, list: &str, line: usize) -> Option<Vec<(String, String)>> {
    let doc = yaml::read(text);
    let root = readable(&doc).ok()?;
    let (
        _,
        Node {
            value: Value::Seq(items),
            ..
        },
    ) = root.get(list)?
    else {
        return None;
    };
    let found = items.iter().find(|i| line_of(text, i.span.start) == line)?;
    let Value::Map(pairs) = &found.value else {
        return None;
    };
    Some(
        pairs
            .iter()
            .map(|(k, v)| {
                let key = k.scalar().unwrap_or_default().to_string();
                (key, text[v.span.clone()].to_string())
            })
            .collect(),
    )
}

/// A value as YAML: plain when it reads back as the same text, else double-quoted.
pub fn scalar(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " _.,/()@'-".contains(c))
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && !value.ends_with(' ')
        && matches!(yaml::core_schema(value), serde_json::Value::String(_));
    if plain {
        value.to_string()
    } else {
        crate::fmt::yaml_str(value)
    }
}

fn readable<'d, 't>(doc: &'d yaml::Document<'t>) -> Result<&'d Node<'t>, Refusal> {
    match &doc.root {
        Some(root) if doc.problems.is_empty() && matches!(root.value, Value::Map(_)) => Ok(root),
        _ => Err(Refusal::Unreadable),
    }
}

/// Whether a list's text is written with brackets.
fn is_flow(text: &str, list: &Node) -> bool {
    text[list.span.clone()].trim_start().starts_with('[')
}

/// The item's lines: `- key: value`, at `dash` columns.
fn item(fields: &[Field], dash: usize) -> String {
    let mut out = String::new();
    for (i, (key, value)) in fields.iter().enumerate() {
        out.push_str(&" ".repeat(dash));
        out.push_str(if i == 0 { "- " } else { "  " });
        out.push_str(key);
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    }
    out
}

fn with_newline(text: &str) -> String {
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset after the line break ending the line that holds `at`.
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

fn column(text: &str, at: usize) -> usize {
    text[line_start(text, at)..at].chars().count()
}

/// The 1-based line holding byte `at`.
pub fn line_of(text: &str, at: usize) -> usize {
    1 + text[..at].bytes().filter(|&b| b == b'\n').count()
}

/// The 1-based line where the last item of `list` starts.
pub fn last_item_line(text: &str, list: &str) -> Option<usize> {
    let doc = yaml::read(text);
    let root = readable(&doc).ok()?;
    match &root.get(list)?.1.value {
        Value::Seq(items) => items.last().map(|i| line_of(text, i.span.start)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Vec<Field> {
        vec![
            ("number", "\"+1 202-555-0143\"".into()),
            ("reason", "Customer Request".into()),
        ]
    }

    #[test]
    fn an_item_goes_after_the_last_one_with_its_comment() {
        let text =
            "# top\nentries:\n    - number: \"1\"   # first\n      reason: DNC # why\n# tail\n";
        let out = append(text, "entries", &entry(), &[]).unwrap();
        assert_eq!(
            out,
            "# top\nentries:\n    - number: \"1\"   # first\n      reason: DNC # why\n    - number: \"+1 202-555-0143\"\n      reason: Customer Request\n# tail\n"
        );
    }

    #[test]
    fn an_empty_or_missing_list_is_written() {
        let out = append(
            "entries: []  # none yet\nremovals: []\n",
            "entries",
            &entry(),
            &[],
        );
        assert_eq!(
            out.unwrap(),
            "entries:  # none yet\n  - number: \"+1 202-555-0143\"\n    reason: Customer Request\nremovals: []\n"
        );
        let out = append("defaults:\n  scope: global", "removals", &entry(), &[]).unwrap();
        assert!(out.ends_with(
            "global\nremovals:\n  - number: \"+1 202-555-0143\"\n    reason: Customer Request\n"
        ));
        assert_eq!(
            append("entries: [{number: \"1\"}]\n", "entries", &entry(), &[]),
            Err(Refusal::FlowList("entries"))
        );
    }

    #[test]
    fn taking_out_the_last_item_leaves_an_empty_list() {
        let text =
            "entries:\n  - number: \"1\" # a\n    reason: DNC\n  - number: \"2\"\nremovals: []\n";
        assert_eq!(
            take_out(text, "entries", 2).unwrap().0,
            "entries:\n  - number: \"2\"\nremovals: []\n"
        );
        let once = take_out(text, "entries", 4).unwrap().0;
        assert_eq!(
            take_out(&once, "entries", 2).unwrap().0,
            "entries: []\nremovals: []\n"
        );
        let commented =
            "entries:\n  - number: \"1\"\n\n  # asked twice\n  # on the phone\n  - number: \"2\"\n";
        assert_eq!(
            take_out(commented, "entries", 6).unwrap(),
            (
                "entries:\n  - number: \"1\"\n\n".to_string(),
                vec!["# asked twice".to_string(), "# on the phone".to_string()]
            )
        );
        assert_eq!(take_out(text, "entries", 3), None);
    }

    #[test]
    fn values_are_plain_only_when_they_read_back_the_same() {
        assert_eq!(scalar("Customer Request"), "Customer Request");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("COMP-1: urgent"), "\"COMP-1: urgent\"");
        assert_eq!(scalar("123"), "\"123\"");
        assert_eq!(scalar("a # b"), "\"a # b\"");
    }
}
