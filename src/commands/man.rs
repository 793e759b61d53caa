//! `dnc man`: man pages (roff), the reference sections by clap_mangen from the CLI, then the
//! sections a man page is expected to have: EXAMPLES (each command's `--help` examples),
//! ENVIRONMENT, EXIT STATUS and FILES, each page naming what concerns its command.

use super::CommandError;
use crate::cli::{Cli, ManArgs};
use crate::exit::Exit;
use clap::CommandFactory;
use clap_mangen::Man;
use miette::{IntoDiagnostic, Result};
use roff::{Roff, bold, roman};

/// Every command that reaches the Convoso API.
const TARGETED: &[&str] = &["plan", "apply", "import", "probe"];

/// A variable dnc reads: its names, the commands that read it (empty: every command), and
/// what it means.
struct Variable(
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
);

const ENVIRONMENT: &[Variable] = &[
    Variable(
        &["DNC_API_URL"],
        TARGETED,
        "The Convoso DNC API base URL, e.g. https://api.convoso.com/v1/ (--api-url). With neither it nor a token, the embedded sandbox is used.",
    ),
    Variable(
        &["DNC_AUTH_TOKEN"],
        TARGETED,
        "The Convoso auth token (--auth-token-file reads it from a file instead). It is never printed.",
    ),
    Variable(
        &["DNC_RETRY_BUDGET"],
        TARGETED,
        "Seconds the API (Convoso or GitHub) may keep failing before dnc stops retrying (--retry-budget; default 30, 0: no retries).",
    ),
    Variable(
        &["DNC_RETRY_BASE_DELAY_MS"],
        TARGETED,
        "The first backoff delay in milliseconds (default 1000).",
    ),
    Variable(
        &["DNC_API_MAX_OFFSET"],
        TARGETED,
        "For tests: the highest search offset the API accepts (default 100000, the API's); match a sandbox's --max-offset.",
    ),
    Variable(
        &["CI"],
        TARGETED,
        "true or 1: the embedded sandbox is used only with --sandbox.",
    ),
    Variable(
        &["DNC_MASK_NUMBERS"],
        &["plan"],
        "true: hide the middle digits of numbers (--mask-numbers).",
    ),
    Variable(
        &["DNC_COMMENT"],
        &["plan"],
        "true: post the plan as the sticky pull-request comment (--comment).",
    ),
    Variable(
        &["DNC_COMMENT_AUTHOR"],
        &["plan"],
        "The login of the token that writes the comment (default github-actions[bot]).",
    ),
    Variable(
        &["DNC_GITHUB_TOKEN", "GITHUB_TOKEN"],
        &["plan"],
        "The token the comment is posted with (the first one set).",
    ),
    Variable(
        &["DNC_SANDBOX_TOKEN"],
        &["sandbox"],
        "The token clients must send (--token).",
    ),
    Variable(
        &["DNC_GIT_TOKEN"],
        &["apply", "ledger"],
        "The token git pushes the ledger branch with, sent as an HTTP header through git's environment.",
    ),
    Variable(
        &["DNC_TODAY"],
        &["plan", "report", "add", "remove"],
        "The day (YYYY-MM-DD) deadlines are counted to and add and remove write as requested_at, instead of today (UTC).",
    ),
    Variable(
        &["NO_COLOR"],
        &[],
        "No color under --color auto (the default).",
    ),
    Variable(
        &[
            "GITHUB_ACTIONS",
            "GITHUB_REPOSITORY",
            "GITHUB_API_URL",
            "GITHUB_EVENT_PATH",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_OUTPUT",
        ],
        &["validate", "plan", "apply"],
        "Set by the GitHub Actions runner: the job summary, the step outputs and the pull request.",
    ),
    Variable(
        &["GITHUB_WORKSPACE"],
        &["validate"],
        "The repository root that --format github annotation paths are relative to (else git's top level).",
    ),
    Variable(
        &["GITHUB_ACTOR", "GITHUB_SHA"],
        &["apply"],
        "Who applies and from which commit, for the ledger (else git's user and HEAD).",
    ),
    Variable(
        &["GITHUB_TRIGGERING_ACTOR"],
        &["apply"],
        "Who authorized the run and its overrides, for the ledger's approval trail (else GITHUB_ACTOR, then git's user).",
    ),
    Variable(
        &[
            "GITHUB_REF_TYPE",
            "GITHUB_REF_NAME",
            "GITHUB_HEAD_REF",
            "GITHUB_BASE_REF",
        ],
        &["apply", "ledger"],
        "The branches the manifests are on, which the ledger branch may not be.",
    ),
    Variable(
        &["GITHUB_SERVER_URL"],
        &["apply", "ledger"],
        "The server DNC_GIT_TOKEN is sent to (default https://github.com).",
    ),
];

/// A file dnc reads or writes: where, the commands concerned (empty: `init` and every command
/// that reads a config), and what it is.
struct File(&'static str, &'static [&'static str], &'static str);

const FILES: &[File] = &[
    File(
        "dnc.yaml",
        &[],
        "The root config: the manifests to read, the scopes dnc manages, the reasons, the safety limits. Every command taking CONFIG accepts the file or a directory holding it.",
    ),
    File(
        "lists/*.yaml",
        &[],
        "The manifests, as the config's manifests globs name them, relative to the config.",
    ),
    File(
        ".dnc/ledger.jsonl",
        &["plan", "apply", "ledger", "history", "report"],
        "The audit ledger beside the config, one JSON line per operation (--ledger names another).",
    ),
    File(
        ".dnc/sandbox.db",
        &["plan", "apply", "import", "probe", "sandbox"],
        "The embedded sandbox's SQLite database beside the config (dnc sandbox: --db).",
    ),
    File(
        "dnc-ledger",
        &["plan", "apply", "ledger", "history", "report", "verify"],
        "The git branch the ledger is pushed to (--ledger-branch, --push-to), read as origin/dnc-ledger.",
    ),
];

pub fn run(args: ManArgs) -> Result<Exit> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(CommandError::write(dir))?;
            let pages = std::iter::once(root.clone())
                .chain(root.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
            for command in pages {
                let man = Man::new(command.clone());
                let path = dir.join(man.get_filename());
                let page = render(&man, &command).into_diagnostic()?;
                std::fs::write(&path, page).map_err(CommandError::write(&path))?;
            }
            stdoutln!("wrote the man pages into {}", dir.display())?;
        }
        None => {
            // Rendered in memory and printed like every other output, so a closed pipe or a
            // full disk ends as it does there.
            let page = render(&Man::new(root.clone()), &root).into_diagnostic()?;
            stdout!("{}", String::from_utf8_lossy(&page))?;
        }
    }
    Ok(Exit::Success)
}

/// `command`'s page: clap_mangen's sections, then dnc's.
fn render(man: &Man, command: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if command.get_subcommands().any(|c| !c.is_hide_set()) {
        man.render_subcommands_section(&mut page)?;
    }
    // The root page is about every command; a command's page names what concerns it.
    let name = command.get_name();
    let concerns =
        |commands: &[&str]| name == "dnc" || commands.is_empty() || commands.contains(&name);
    let mut roff = Roff::new();
    examples(&mut roff, command);
    let variables: Vec<_> = ENVIRONMENT.iter().filter(|v| concerns(v.1)).collect();
    if !variables.is_empty() {
        roff.control("SH", ["ENVIRONMENT"]);
        for Variable(names, _, meaning) in variables {
            roff.control("TP", [])
                .text([bold(names.join(", "))])
                .text([roman(*meaning)]);
        }
    }
    exit_status(&mut roff, name);
    let configured = name == "init" || takes_config(command);
    let files: Vec<_> = FILES
        .iter()
        .filter(|f| {
            if f.1.is_empty() {
                configured
            } else {
                concerns(f.1)
            }
        })
        .collect();
    if !files.is_empty() {
        roff.control("SH", ["FILES"]);
        for File(path, _, meaning) in files {
            roff.control("TP", [])
                .text([bold(*path)])
                .text([roman(*meaning)]);
        }
    }
    roff.to_writer(&mut page)?;
    if command.get_version().is_some() {
        man.render_version_section(&mut page)?;
    }
    Ok(page)
}

/// Whether `command` reads a config (its CONFIG argument or option); dnc's own page is about
/// every command.
fn takes_config(command: &clap::Command) -> bool {
    command.get_name() == "dnc"
        || command.get_arguments().any(|a| {
            a.get_value_names()
                .is_some_and(|names| names.iter().any(|n| n == "CONFIG"))
        })
}

/// The examples `--help` shows after the options (`# what` above each command), as EXAMPLES.
fn examples(roff: &mut Roff, command: &clap::Command) {
    let Some(help) = command.get_after_help().map(ToString::to_string) else {
        return;
    };
    roff.control("SH", ["EXAMPLES"]);
    for example in help.trim_start_matches("Examples:").trim().split("\n\n") {
        let mut commands = Vec::new();
        for line in example.lines().map(str::trim) {
            match line.strip_prefix("# ") {
                Some(what) => {
                    roff.control("PP", []).text([roman(what)]);
                }
                None => commands.push(line),
            }
        }
        roff.control("PP", [])
            .control("RS", ["4"])
            .control("nf", []);
        for line in commands {
            roff.text([roman(line)]);
        }
        roff.control("fi", []).control("RE", []);
    }
}

/// The exit-status contract of `exit.rs`; only `plan` can end with `Exit::Changes`.
fn exit_status(roff: &mut Roff, name: &str) {
    roff.control("SH", ["EXIT STATUS"]);
    let mut statuses = vec![
        (Exit::Success, "Done; for plan, also no changes."),
        (
            Exit::Error,
            "Any error: invalid input, a usage error, a failed or incomplete read, a failed operation.",
        ),
    ];
    if matches!(name, "dnc" | "plan") {
        statuses.push((
            Exit::Changes,
            "plan --detailed-exitcode found changes. Nothing else exits with this status.",
        ));
    }
    for (exit, meaning) in statuses {
        roff.control("TP", [])
            .text([bold(exit.code().to_string())])
            .text([roman(meaning)]);
    }
}
