//! Every command's help, as people read it.

use crate::common::dnc_ok;

/// `dnc COMMAND --help` (`dnc --help` for the empty command).
fn help(command: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<&str> = [command, "--help"]
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect();
    dnc_ok(dir.path(), &args).stdout
}

/// Every command's help, examples included, one snapshot each.
#[test]
fn help_texts() {
    for command in [
        "",
        "validate",
        "plan",
        "apply",
        "probe",
        "ledger",
        "import",
        "history",
        "report",
        "verify",
        "schema",
        "sandbox",
        "fmt",
        "completions",
        "man",
        "init",
        "add",
        "remove",
    ] {
        let name = if command.is_empty() {
            "dnc_help".to_string()
        } else {
            format!("{command}_help")
        };
        insta::assert_snapshot!(name, help(command));
    }
}
