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

/// Help never shows a variable's value (a token must never be printed) and so reads the same
/// whatever the tester's environment holds.
#[test]
fn help_shows_no_environment_values() {
    let dir = tempfile::tempdir().unwrap();
    let set = [
        ("DNC_RETRY_BUDGET", "7"),
        ("DNC_API_URL", "https://user:secret@api.example/v1/"),
        ("DNC_MASK_NUMBERS", "true"),
        ("DNC_COMMENT", "true"),
        ("DNC_SANDBOX_TOKEN", "secret"),
    ];
    for command in ["plan", "sandbox"] {
        let with = crate::common::dnc(dir.path(), &[command, "--help"], &set).ok();
        assert_eq!(with.stdout, help(command), "dnc {command} --help");
        assert!(!with.stdout.contains("secret"), "{}", with.stdout);
    }
}
