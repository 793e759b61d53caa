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
        "", "validate", "plan", "apply", "probe", "ledger", "report", "sandbox", "fmt",
    ] {
        let name = if command.is_empty() {
            "dnc_help".to_string()
        } else {
            format!("{command}_help")
        };
        insta::assert_snapshot!(name, help(command));
    }
    insta::assert_snapshot!(help("schema"), @"
    Print the JSON Schemas of the config and manifest files

    Usage: dnc schema [OPTIONS] [KIND]

    Arguments:
      [KIND]  Which schema to print [default: config] [possible values: config, manifest]

    Options:
          --color <COLOR>  When to color output (NO_COLOR is honoured under `auto`) [default: auto]
                           [possible values: auto, always, never]
      -h, --help           Print help
    ");
    insta::assert_snapshot!(help("completions"), @"
    Print the shell completion script for dnc

    Usage: dnc completions [OPTIONS] <SHELL>

    Arguments:
      <SHELL>  The shell to complete in [possible values: bash, elvish, fish, powershell, zsh]

    Options:
          --color <COLOR>  When to color output (NO_COLOR is honoured under `auto`) [default: auto]
                           [possible values: auto, always, never]
      -h, --help           Print help
    ");
    insta::assert_snapshot!(help("man"), @"
    Print dnc's man page, or write one page per command into a directory

    Usage: dnc man [OPTIONS]

    Options:
          --color <COLOR>  When to color output (NO_COLOR is honoured under `auto`) [default: auto]
                           [possible values: auto, always, never]
          --out <DIR>      Write `dnc.1` and one page per command (`dnc-plan.1`, …) into this directory
                           instead
      -h, --help           Print help
    ");
}
