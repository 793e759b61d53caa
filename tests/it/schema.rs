//! The checked-in JSON Schemas match the types, `dnc schema` prints them, and every example
//! validates against them with the jsonschema crate.

use crate::common::dnc_ok;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn checked_in_schemas_match_the_types() {
    use dnc::manifest::schema;
    for (file, generated) in [
        ("schema/config.schema.json", schema::config()),
        ("schema/manifest.schema.json", schema::manifest()),
    ] {
        let on_disk = std::fs::read_to_string(root().join(file)).unwrap();
        assert!(
            on_disk == schema::pretty(&generated),
            "{file} is stale: run `cargo run -- schema config > schema/config.schema.json` \
             and `cargo run -- schema manifest > schema/manifest.schema.json`"
        );
    }
}

#[test]
fn dnc_schema_prints_the_checked_in_files() {
    for kind in ["config", "manifest"] {
        let out = dnc_ok(root(), &["schema", kind]);
        let file = std::fs::read(root().join(format!("schema/{kind}.schema.json"))).unwrap();
        assert_eq!(out.stdout.as_bytes(), file, "{kind}");
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn examples_validate_against_the_schemas_and_name_them() {
    let mut files = Vec::new();
    yaml_files(&root().join("examples"), &mut files);
    assert!(files.len() >= 4, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let kind = if path.file_name().unwrap() == "dnc.yaml" {
            "config"
        } else {
            "manifest"
        };
        let first = text.lines().next().unwrap();
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{} lacks the $schema line", path.display()));
        assert!(target.ends_with(&format!("{kind}.schema.json")), "{first}");
        let schema_path = path.parent().unwrap().join(target);
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
        let instance: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

#[test]
fn the_schemas_reject_what_dnc_rejects() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/manifest.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for bad in [
        serde_json::json!({"entries": [{"nmber": "2025550143"}]}),
        serde_json::json!({"entries": [{"number": "2025550143", "scope": "glob"}]}),
        serde_json::json!({"removals": [{"number": "2025550143"}]}),
        serde_json::json!({"entires": []}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}
