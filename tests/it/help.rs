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

#[test]
fn help_texts() {
    for command in [
        "", "validate", "plan", "apply", "ledger", "report", "sandbox", "fmt",
    ] {
        let name = if command.is_empty() {
            "dnc_help".to_string()
        } else {
            format!("{command}_help")
        };
        insta::assert_snapshot!(name, help(command));
    }
    insta::assert_snapshot!("schema_help", help("schema"));
    insta::assert_snapshot!("completions_help", help("completions"));
    insta::assert_snapshot!("man_help", help("man"));
}
