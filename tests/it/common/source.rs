//! What dnc's own source says, for tests that keep its documentation whole.

use std::collections::BTreeSet;
use std::path::Path;

/// Every environment variable the code reads: a quoted `DNC_…` or `GITHUB_…` name in src/.
pub fn env_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut names,
    );
    assert!(names.contains("DNC_AUTH_TOKEN"), "the scan found {names:?}");
    names
}

fn collect(dir: &Path, names: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(&path, names);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            for quoted in text.split('"').skip(1).step_by(2) {
                let env_like = quoted.starts_with("DNC_") || quoted.starts_with("GITHUB_");
                if env_like && quoted.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                    names.insert(quoted.to_string());
                }
            }
        }
    }
}
