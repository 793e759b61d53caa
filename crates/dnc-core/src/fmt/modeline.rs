//! The `# yaml-language-server: $schema=…` line that lets editors check a file as it is
//! typed. It names the schema by a relative path that resolves: the nearest `schema/`
//! directory holding the file's schema, searched from the file's directory up to the
//! repository root (`dnc schema config|manifest` writes those files).

use std::path::Path;

pub const PREFIX: &str = "# yaml-language-server: $schema=";

pub const CONFIG_SCHEMA: &str = "config.schema.json";
pub const MANIFEST_SCHEMA: &str = "manifest.schema.json";

/// The modeline for `file` (relative to `root`, which must exist) checked by `schema_file`;
/// `None` when no `schema/<schema_file>` exists above it within the repository.
pub fn find(root: &Path, file: &Path, schema_file: &str) -> Option<String> {
    let dir = root.canonicalize().ok()?.join(file);
    let mut up = String::new();
    for ancestor in dir.parent()?.ancestors() {
        if ancestor.join("schema").join(schema_file).is_file() {
            return Some(format!("{PREFIX}{up}schema/{schema_file}"));
        }
        if ancestor.join(".git").exists() {
            return None;
        }
        up.push_str("../");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_climbs_to_the_nearest_schema_directory() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path().join("dnc");
        std::fs::create_dir_all(repo.path().join("schema")).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(repo.path().join("schema").join(MANIFEST_SCHEMA), "{}").unwrap();
        let file = Path::new("lists/new/a.yaml");
        assert_eq!(
            find(&root, file, MANIFEST_SCHEMA).as_deref(),
            Some("# yaml-language-server: $schema=../../../schema/manifest.schema.json")
        );
        assert_eq!(find(&root, file, CONFIG_SCHEMA), None);
    }

    #[test]
    fn the_search_stops_at_the_repository_root() {
        let outer = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(outer.path().join("schema")).unwrap();
        std::fs::write(outer.path().join("schema").join(MANIFEST_SCHEMA), "{}").unwrap();
        let repo = outer.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        assert_eq!(find(&repo, Path::new("a.yaml"), MANIFEST_SCHEMA), None);
    }
}
