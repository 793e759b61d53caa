//! The compiled JSON schemas and the schema pass over one node.

use super::Check;
use super::schema_errors::schema_diagnostic;
use crate::manifest::diagnostics::SourceFile;
use crate::manifest::schema::{self, Item};
use crate::manifest::yaml::Node;
use serde_json::Value;

/// The config, manifest and item schemas, each with its compiled validator.
pub(super) struct Schemas {
    config: (Value, jsonschema::Validator),
    manifest: (Value, jsonschema::Validator),
    items: Vec<(Item, &'static str, Value, jsonschema::Validator)>,
}

fn compile(schema: Value) -> (Value, jsonschema::Validator) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("generated schemas are valid");
    (schema, validator)
}

impl Schemas {
    /// Compiled once per process: history loads thousands of file versions.
    pub(super) fn get() -> &'static Schemas {
        static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
        SCHEMAS.get_or_init(Schemas::new)
    }

    fn new() -> Self {
        let items = Item::ALL
            .iter()
            .map(|&(item, key)| {
                let (s, v) = compile(item.schema());
                (item, key, s, v)
            })
            .collect();
        Schemas {
            config: compile(schema::config()),
            manifest: compile(schema::manifest()),
            items,
        }
    }
}

/// The schema a node is checked against; an item by its index in `Item::ALL`.
#[derive(Clone, Copy)]
pub(super) enum Which {
    Config,
    Manifest,
    Item(usize),
}

impl Check<'_> {
    /// Schema pass for one node. Returns whether the node is structurally valid.
    pub(super) fn check_schema(
        &mut self,
        file: &SourceFile,
        node: &Node,
        json: &Value,
        which: Which,
    ) -> bool {
        let (schema, validator) = match which {
            Which::Config => (&self.schemas.config.0, &self.schemas.config.1),
            Which::Manifest => (&self.schemas.manifest.0, &self.schemas.manifest.1),
            Which::Item(i) => {
                let s = &self.schemas.items[i];
                (&s.2, &s.3)
            }
        };
        if validator.is_valid(json) {
            return true;
        }
        let mut found = Vec::new();
        for err in validator.iter_errors(json) {
            let item = matches!(which, Which::Item(_));
            found.extend(schema_diagnostic(file, node, schema, &err, item));
        }
        let ok = found.is_empty();
        for d in found {
            // A value the whole-number pass reported is not reported again.
            let inexact = d.at.as_ref().map(|a| self.inexact.binary_search(&a.offset));
            if !matches!(inexact, Some(Ok(_))) {
                self.error(d);
            }
        }
        ok
    }
}
