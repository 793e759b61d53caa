//! Walking a manifest: its top level, its `defaults`, and each entry, removal and CSV
//! include read into a `Row` (or an `Include`) for the entry checks.

use super::schemas::Which;
use super::{Check, Include, Inherited, head, outside};
use crate::manifest::Config;
use crate::manifest::diagnostics::{At, Severity, SourceFile, excerpt};
use crate::manifest::files;
use crate::manifest::model::{Defaults, EntrySpec, IncludeSpec, RemovalSpec};
use crate::manifest::row::Row;
use crate::manifest::schema::Item;
use crate::manifest::yaml::{self, Node, Value as Y};
use serde_json::Value;
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
            for item in items {
                let skip = self.keep.is_some_and(|keep| {
                    kind != Item::Include
                        && !keep(file.text.get(item.span.clone()).unwrap_or_default())
                });
                if skip {
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
        let span = |key: &str| {
            node.get(key)
                .map(|(_, v)| v.span.clone())
                .unwrap_or_else(|| head(&file.text, &node.span))
        };
        let text = |v: &Option<String>, key: &str| v.clone().map(|s| (s, span(key)));
        match kind {
            Item::Entry => {
                let Some(e) = self.spec::<EntrySpec>(file, node, json) else {
                    return;
                };
                let row = Row {
                    head: head(&file.text, &node.span),
                    number: (e.number.into_string(), span("number")),
                    phone_code: e.phone_code,
                    scope: e.scope.map(|s| (s, span("scope"))),
                    reason: text(&e.reason, "reason"),
                    purpose: text(&e.purpose, "purpose"),
                    requested_at: text(&e.requested_at, "requested_at"),
                    removal_reason: None,
                };
                self.accept(config, file, row, inherited);
            }
            Item::Removal => {
                let Some(r) = self.spec::<RemovalSpec>(file, node, json) else {
                    return;
                };
                let row = Row {
                    head: head(&file.text, &node.span),
                    number: (r.number.into_string(), span("number")),
                    phone_code: r.phone_code,
                    scope: r.scope.map(|s| (s, span("scope"))),
                    requested_at: text(&r.requested_at, "requested_at"),
                    removal_reason: Some((r.removal_reason, span("removal_reason"))),
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
                self.includes.push(Include {
                    path: config.root.join(&rel),
                    name: crate::paths::slashed(&rel),
                    from: (file.clone(), span("csv")),
                    inherited,
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
