//! JSON Schemas generated from the model types: printed by `dnc schema`, checked in under
//! `schema/`, and used by the schema pass.

use super::model::{ConfigFile, EntrySpec, IncludeSpec, ManifestFile, RemovalSpec};
use serde_json::Value;

pub const CONFIG_ID: &str = "https://github.com/dnc-project/dnc/schema/config.schema.json";
pub const MANIFEST_ID: &str = "https://github.com/dnc-project/dnc/schema/manifest.schema.json";

fn generate<T: schemars::JsonSchema>(id: &str) -> Value {
    let mut schema = schemars::schema_for!(T).to_value();
    schema["$id"] = Value::String(id.into());
    schema
}

pub fn config() -> Value {
    generate::<ConfigFile>(CONFIG_ID)
}

pub fn manifest() -> Value {
    generate::<ManifestFile>(MANIFEST_ID)
}

/// The schema as a pretty-printed file (what `dnc schema` prints and `schema/` holds).
pub fn pretty(schema: &Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).expect("schema serializes");
    s.push('\n');
    s
}

/// One item kind of a manifest list, validated on its own so a huge list is never held
/// as one JSON document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Entry,
    Removal,
    Include,
}

impl Item {
    pub const ALL: [(Item, &'static str); 3] = [
        (Item::Entry, "entries"),
        (Item::Removal, "removals"),
        (Item::Include, "include"),
    ];

    /// A schema for one item: the manifest's definitions with the item's as the root.
    pub fn schema(self) -> Value {
        let mut full = manifest();
        let defs = full["$defs"].take();
        let name = match self {
            Item::Entry => type_name::<EntrySpec>(),
            Item::Removal => type_name::<RemovalSpec>(),
            Item::Include => type_name::<IncludeSpec>(),
        };
        serde_json::json!({ "$ref": format!("#/$defs/{name}"), "$defs": defs })
    }
}

fn type_name<T: schemars::JsonSchema>() -> String {
    T::schema_name().into_owned()
}

/// The schema node that describes the instance at `pointer`, following `$ref`, `properties`
/// and `items`; used to name the keys a mapping allows.
pub fn at_pointer<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = deref(root, root);
    for step in pointer.split('/').skip(1) {
        node = match step.parse::<usize>() {
            Ok(_) if node.get("items").is_some() => &node["items"],
            _ => node.get("properties")?.get(step)?,
        };
        node = deref(root, node);
        if let Some(any) = node.get("anyOf").and_then(Value::as_array) {
            node = any
                .iter()
                .map(|n| deref(root, n))
                .find(|n| n.get("properties").is_some() || n.get("items").is_some())
                .unwrap_or(node);
        }
    }
    Some(node)
}

fn deref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs")?.get(name))
            .map(|n| deref(root, n))
            .unwrap_or(node),
        None => node,
    }
}
