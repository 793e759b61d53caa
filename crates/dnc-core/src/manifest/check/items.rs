//! Walking a manifest: its top level, its `defaults`, and each entry, removal and CSV
//! include read into a `Row` (or an `Include`) for the entry checks.

use super::schemas::Which;
use super::{Check, Include, Inherited, head, outside};
use crate::manifest::csv_include::{CsvMapping, Written};
use crate::manifest::diagnostics::{At, Severity, SourceFile, excerpt};
use crate::manifest::files;
use crate::manifest::model::{
    Defaults, ENTRY_FIELDS, EntrySpec, IncludeSpec, RemovalSpec, ScopeName, ScopeRef,
};
use crate::manifest::row::Row;
use crate::manifest::schema::Item;
use crate::manifest::yaml::{self, Core, Node, Value as Y};
use crate::manifest::{Approval, Config};
use serde_json::Value;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

impl Check<'_> {
    /// Checks one manifest; the CSV files it includes are kept for `take_includes`, to be
    /// checked with `include`.
    pub(in crate::manifest) fn manifest(
        &mut self,
        config: &Config,
        name: &str,
        file: &Arc<SourceFile>,
        doc: yaml::Document,
    ) {
        let Some(node) = self.yaml(file, doc) else {
            return;
        };
        // The top level is checked with its lists emptied; each item is checked on its own.
        let top = match &node.value {
            Y::Map(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        let key = k.scalar().unwrap_or_default();
                        let lists = Item::ALL.iter().any(|(_, l)| *l == key);
                        let json = match &v.value {
                            Y::Seq(_) if lists => Value::Array(Vec::new()),
                            _ => v.to_json(),
                        };
                        (key.to_string(), json)
                    })
                    .collect(),
            ),
            _ => node.to_json(),
        };
        self.check_schema(file, &node, &top, Which::Manifest);
        // Items are still checked when other top-level keys are wrong, with the fields of
        // `defaults` that can be read.
        let defaults = top
            .get("defaults")
            .map(readable_defaults)
            .unwrap_or_default();
        let base = Inherited {
            phone_code: config.phone_code,
            ..Inherited::default()
        };
        let defaults_node = node.get("defaults").map(|(_, v)| v);
        if let Some(n) = defaults_node {
            self.check_inherited(config, file, n, &defaults);
        }
        let Defaults {
            scope,
            phone_code,
            reason,
            purpose,
        } = &defaults;
        let inherited = base.over(*scope, *phone_code, reason, purpose);
        for (index, (_, list)) in Item::ALL.iter().enumerate() {
            let Some((
                _,
                Node {
                    value: Y::Seq(items),
                    ..
                },
            )) = node.get(list)
            else {
                continue;
            };
            let kind = Item::ALL[index].0;
            if kind != Item::Include {
                self.reserve(items.len());
            }
            for item in items {
                let skip = self.keep.is_some_and(|keep| {
                    kind != Item::Include
                        && !keep(file.text.get(item.span.clone()).unwrap_or_default())
                });
                if skip {
                    continue;
                }
                if kind == Item::Entry
                    && let Some(row) = plain_entry(&file.text, item)
                {
                    self.accept(config, file, row, &inherited);
                    continue;
                }
                let json = item.to_json();
                if !self.check_schema(file, item, &json, Which::Item(index)) {
                    continue;
                }
                self.item(
                    config,
                    name,
                    file,
                    item,
                    json,
                    Item::ALL[index].0,
                    &inherited,
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn item(
        &mut self,
        config: &Config,
        name: &str,
        file: &Arc<SourceFile>,
        node: &Node,
        json: Value,
        kind: Item,
        inherited: &Inherited,
    ) {
        let span = |key: &str| span(&file.text, node, key);
        let text = |v: &Option<String>, key: &str| v.clone().map(|s| (s, span(key)));
        let cow = |v: &Option<String>, key: &str| v.clone().map(|s| (s.into(), span(key)));
        match kind {
            Item::Entry => {
                let Some(e) = self.spec::<EntrySpec>(file, node, json) else {
                    return;
                };
                let row = Row {
                    head: head(&file.text, &node.span),
                    number: (e.number.into_string().into(), span("number")),
                    phone_code: e.phone_code,
                    scope: e.scope.map(|s| (s, span("scope"))),
                    reason: cow(&e.reason, "reason"),
                    purpose: cow(&e.purpose, "purpose"),
                    requested_at: cow(&e.requested_at, "requested_at"),
                    ticket: text(&e.ticket, "ticket"),
                    source: text(&e.source, "source"),
                    ..Row::default()
                };
                self.accept(config, file, row, inherited);
            }
            Item::Removal => {
                let Some(r) = self.spec::<RemovalSpec>(file, node, json) else {
                    return;
                };
                let row = Row {
                    head: head(&file.text, &node.span),
                    number: (r.number.into_string().into(), span("number")),
                    phone_code: r.phone_code,
                    scope: r.scope.map(|s| (s, span("scope"))),
                    requested_at: cow(&r.requested_at, "requested_at"),
                    ticket: text(&r.ticket, "ticket"),
                    source: text(&r.source, "source"),
                    removal_reason: Some((r.removal_reason, span("removal_reason"))),
                    approval: r.approval.map(|a| Approval {
                        by: a.by,
                        ticket: a.ticket,
                    }),
                    ..Row::default()
                };
                self.accept(config, file, row, inherited);
            }
            Item::Include => {
                let Some(inc) = self.spec::<IncludeSpec>(file, node, json) else {
                    return;
                };
                let defaults = Defaults {
                    scope: inc.scope,
                    phone_code: inc.phone_code,
                    reason: inc.reason.clone(),
                    purpose: inc.purpose.clone(),
                };
                self.check_inherited(config, file, node, &defaults);
                let inherited =
                    inherited.over(inc.scope, inc.phone_code, &inc.reason, &inc.purpose);
                let dir = Path::new(name).parent().unwrap_or(Path::new(""));
                let rel = match files::confine(dir, &inc.csv) {
                    Ok(rel) => rel,
                    Err(refusal) => {
                        self.error(outside(file, &inc.csv, refusal, span("csv")));
                        return;
                    }
                };
                let mapping = CsvMapping::of(&inc);
                let mut spans: Vec<(&'static str, Range<usize>)> = ENTRY_FIELDS
                    .iter()
                    .filter_map(|f| {
                        let columns = node.get("columns")?.1;
                        Some((*f, columns.get(f)?.1.span.clone()))
                    })
                    .collect();
                spans.push(("date_format", span("date_format")));
                self.includes.push(Include {
                    path: config.root.join(&rel),
                    name: crate::paths::slashed(&rel),
                    from: (file.clone(), span("csv")),
                    inherited,
                    mapping,
                    written: Written {
                        file: file.clone(),
                        spans,
                    },
                });
            }
        }
    }

    /// Reads an item that passed the schema; what still cannot be read is an error, so no
    /// item is ever skipped in silence.
    fn spec<T: serde::de::DeserializeOwned>(
        &mut self,
        file: &SourceFile,
        node: &Node,
        json: Value,
    ) -> Option<T> {
        let e = match serde_json::from_value(json) {
            Ok(spec) => return Some(spec),
            Err(e) => e,
        };
        if !self.reported_inexact(&node.span) {
            self.error(At(file).diag(
                Severity::Error,
                "dnc::schema::invalid",
                format!("this item cannot be read: {}", excerpt(&e.to_string())),
                head(&file.text, &node.span),
                "here",
            ));
        }
        None
    }
}

/// Where a field's value is written; the item's first line when it is not.
fn span(text: &str, node: &Node, key: &str) -> Range<usize> {
    node.get(key)
        .map_or_else(|| head(text, &node.span), |(_, v)| v.span.clone())
}

/// An entry read straight from its YAML when every field is plainly what the entry schema
/// accepts, which spares the schema pass its JSON round trip (most items of a large file).
/// Anything else is `None` and goes through the schema pass, which reports what is wrong:
/// this accepts a subset of what the schema does and reads it as `EntrySpec` would.
fn plain_entry<'a>(text: &str, node: &'a Node) -> Option<Row<'a>> {
    let Y::Map(pairs) = &node.value else {
        return None;
    };
    let mut row = Row {
        head: head(text, &node.span),
        ..Row::default()
    };
    let mut number = None;
    for (k, v) in pairs {
        let value = match &v.value {
            Y::Scalar { text, plain: true } => yaml::core_type(text),
            Y::Scalar { text, plain: false } => Core::Text(text),
            _ => return None,
        };
        let at = || v.span.clone();
        match (k.scalar()?, value) {
            (
                "phone_code" | "scope" | "reason" | "purpose" | "ticket" | "requested_at"
                | "source",
                Core::Null,
            ) => {}
            ("number", Core::Text(s)) if (1..=64).contains(&s.chars().count()) => {
                number = Some((s.into(), at()));
            }
            ("number", Core::Number(n)) => number = Some((n.as_u64()?.to_string().into(), at())),
            ("phone_code", Core::Number(n)) => {
                row.phone_code = Some(n.as_u64().filter(|c| (1..=999).contains(c))? as u16);
            }
            ("scope", value) => row.scope = Some((plain_scope(value)?, at())),
            ("reason", Core::Text(s)) => row.reason = Some((s.into(), at())),
            ("purpose", Core::Text(s)) => row.purpose = Some((s.into(), at())),
            ("requested_at", Core::Text(s)) if plain_date(s) => {
                row.requested_at = Some((s.into(), at()));
            }
            ("ticket", Core::Text(s)) => row.ticket = Some((s.to_string(), at())),
            ("source", Core::Text(s)) => row.source = Some((s.to_string(), at())),
            _ => return None,
        }
    }
    row.number = number?;
    Some(row)
}

/// A scope as the schema's `ScopeRef` takes it: a name, or a campaign id from -1 up.
fn plain_scope(value: Core) -> Option<ScopeRef> {
    match value {
        Core::Text("global") => Some(ScopeRef::Named(ScopeName::Global)),
        Core::Text("purpose-type") => Some(ScopeRef::Named(ScopeName::PurposeType)),
        Core::Number(n) => n.as_i64().filter(|&id| id >= -1).map(ScopeRef::Id),
        _ => None,
    }
}

/// Matches the schema's `^\d{4}-\d{2}-\d{2}([Tt].*)?$`, with ASCII digits and no line
/// break after the `T` (the reading every regex dialect agrees on).
fn plain_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b.len() == 10
            || (matches!(b[10], b'T' | b't')
                && !s[11..].contains(['\n', '\r', '\u{2028}', '\u{2029}'])))
}

/// The readable fields of a file's `defaults`: a bad field is reported by the schema pass,
/// and the items that need it then fail on their own instead of being skipped.
fn readable_defaults(value: &Value) -> Defaults {
    let field = |key: &str| {
        let mut one = serde_json::Map::new();
        one.insert(key.to_string(), value.get(key)?.clone());
        serde_json::from_value::<Defaults>(Value::Object(one)).ok()
    };
    Defaults {
        scope: field("scope").and_then(|d| d.scope),
        phone_code: field("phone_code").and_then(|d| d.phone_code),
        reason: field("reason").and_then(|d| d.reason),
        purpose: field("purpose").and_then(|d| d.purpose),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `plain_entry` reads an item only when the schema pass would accept it, and then reads
    /// it as the schema pass and `EntrySpec` do; everything else is left to the schema pass.
    #[test]
    fn plain_entries_read_as_the_schema_pass_does() {
        let items = [
            (r#"{number: "(202) 555-0143"}"#, true),
            (r#"{number: 2025550143, scope: 111, phone_code: 1}"#, true),
            (
                r#"{number: +12025550143, scope: global, reason: DNC, purpose: P}"#,
                true,
            ),
            (
                r#"{number: "1", scope: purpose-type, ticket: T-1, source: call}"#,
                true,
            ),
            (
                r#"{number: "1", scope: -1, reason: null, requested_at: 2026-03-01}"#,
                true,
            ),
            (
                r#"{number: "1", requested_at: "2026-03-01T14:30:00-05:00"}"#,
                true,
            ),
            (r#"{number: "1", reason: ""}"#, true),
            (r#"{number: "1", scope: ~, purpose: ~, ticket: ~}"#, true),
            (r#"{number: "1", requested_at: "2026-03-01T1\n2"}"#, false),
            (r#"{number: "1", requested_at: "2026-3-01"}"#, false),
            (r#"{number: "1", requested_at: "２０２６-03-01"}"#, false),
            (r#"{number: ""}"#, false),
            (
                r#"{number: "12345678901234567890123456789012345678901234567890123456789012345"}"#,
                false,
            ),
            (r#"{number: 2025550143.0}"#, false),
            (r#"{number: -2025550143}"#, false),
            (r#"{number: null}"#, false),
            (r#"{number: true}"#, false),
            (r#"{number: [1]}"#, false),
            (r#"{scope: global}"#, false),
            (r#"{number: "1", scope: "111"}"#, false),
            (r#"{number: "1", scope: Global}"#, false),
            (r#"{number: "1", scope: -2}"#, false),
            (r#"{number: "1", scope: 1.5}"#, false),
            (r#"{number: "1", phone_code: 0}"#, false),
            (r#"{number: "1", phone_code: 1000}"#, false),
            (r#"{number: "1", phone_code: "1"}"#, false),
            (r#"{number: "1", reason: 5}"#, false),
            (r#"{number: "1", ticket: 5}"#, false),
            (r#"{number: "1", colour: red}"#, false),
            (r#"{number: "1", colour: null}"#, false),
            (r#"{number: "1", reason: {a: b}}"#, false),
            (r#"[number]"#, false),
        ];
        for (text, plain) in items {
            let doc = yaml::read(text);
            let node = doc.root.expect(text);
            let file = SourceFile::new(Arc::from("t.yaml"), Arc::from(text));
            let mut check = Check::new(Path::new(""), false, None);
            let json = node.to_json();
            let spec = check
                .check_schema(&file, &node, &json, Which::Item(0))
                .then(|| check.spec::<EntrySpec>(&file, &node, json))
                .flatten();
            let Some(row) = plain_entry(text, &node) else {
                assert!(!plain, "{text} is read by the schema pass");
                continue;
            };
            assert!(plain, "{text} is not plainly valid");
            let e = spec.unwrap_or_else(|| panic!("{text} fails the schema pass"));
            let field = |key| node.get(key).map(|(_, v)| v.span.clone());
            let text_of = |v: Option<String>, key| v.map(|s| (s, field(key).unwrap()));
            let owned = |v: Option<crate::manifest::row::Text>| v.map(|(t, s)| (t.into_owned(), s));
            assert_eq!(
                owned(Some(row.number)),
                Some((e.number.into_string(), field("number").unwrap()))
            );
            assert_eq!(row.phone_code, e.phone_code, "{text}");
            assert_eq!(row.scope, e.scope.map(|s| (s, field("scope").unwrap())));
            assert_eq!(owned(row.reason), text_of(e.reason, "reason"), "{text}");
            assert_eq!(owned(row.purpose), text_of(e.purpose, "purpose"), "{text}");
            assert_eq!(
                owned(row.requested_at),
                text_of(e.requested_at, "requested_at")
            );
            assert_eq!(row.ticket, text_of(e.ticket, "ticket"), "{text}");
            assert_eq!(row.source, text_of(e.source, "source"), "{text}");
            assert_eq!(row.head, head(text, &node.span));
        }
    }
}
