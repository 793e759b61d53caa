//! Every command's help, as people read it.

use crate::run::dnc;

#[test]
fn help_texts() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        "",
        "validate",
        "plan",
        "apply",
        "ledger",
        "report",
        "schema",
        "sandbox",
        "fmt",
        "completions",
        "man",
    ] {
        let args: Vec<&str> = [command, "--help"]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let out = dnc(dir.path(), &args, &[]);
        assert_eq!(out.code, 0, "{command}: {}", out.stderr);
        let name = if command.is_empty() {
            "dnc_help".to_string()
        } else {
            format!("{command}_help")
        };
        insta::assert_snapshot!(name, out.stdout);
    }
}
