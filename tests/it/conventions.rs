//! What people expect of a command-line tool: completions, man pages, `--color` obeyed by
//! the final error too, `--format json` on apply and import, and one way to find the config
//! and the `.dnc/` beside it from anywhere in the repository.

use crate::common::{
    Config, Project, SDK, Sandbox, command, dnc, dnc_fail, dnc_ok, git, run, seed,
};
use serde_json::Value;
use std::process::Command;

pub(crate) mod catalogue;
mod modules;

#[test]
fn completions_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = dnc_ok(dir.path(), &["completions", shell]);
        assert!(
            out.stdout.contains("validate"),
            "{shell} completes subcommands"
        );
        assert!(
            out.stdout.contains("detailed-exitcode"),
            "{shell} completes flags"
        );
    }
    let fish = dnc_ok(dir.path(), &["completions", "fish"]);
    insta::assert_snapshot!("completions_fish", fish.stdout);
    dnc_fail(dir.path(), 1, &["completions", "cmd"]);
}

#[test]
fn man_pages() {
    let dir = tempfile::tempdir().unwrap();
    let page = dnc_ok(dir.path(), &["man"]);
    let version = env!("CARGO_PKG_VERSION");
    insta::assert_snapshot!("man_dnc", page.stdout.replace(version, "[version]"));

    dnc_ok(dir.path(), &["man", "--out", "man/man1"]);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path().join("man/man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    insta::assert_snapshot!("man_pages", pages.join("\n"));
    let page =
        |name: &str| std::fs::read_to_string(dir.path().join("man/man1").join(name)).unwrap();
    let plan = page("dnc-plan.1");
    for expected in [
        "detailed\\-exitcode",
        ".SH EXAMPLES",
        "dnc plan examples",
        ".SH ENVIRONMENT",
        "DNC_API_URL",
        ".SH \"EXIT STATUS\"",
        ".SH FILES",
    ] {
        assert!(
            plan.contains(expected),
            "dnc-plan.1 lacks {expected}:\n{plan}"
        );
    }
    // A command's page names only what concerns it: `remove` reads no API and never exits 2.
    insta::assert_snapshot!(
        "man_remove",
        page("dnc-remove.1").replace(version, "[version]")
    );
}

/// Every `DNC_*` and `GITHUB_*` variable the code reads, and `CI` and `NO_COLOR`, is in the
/// man page's ENVIRONMENT, as in the README's table: a variable added to the code without a
/// word for its readers fails.
#[test]
fn the_man_page_names_every_variable_dnc_reads() {
    let dir = tempfile::tempdir().unwrap();
    let page = dnc_ok(dir.path(), &["man"]).stdout;
    let environment = &page[page
        .find(".SH ENVIRONMENT")
        .expect("an ENVIRONMENT section")..];
    let environment = &environment[..environment[1..]
        .find(".SH")
        .map_or(environment.len(), |e| e + 1)];
    let mut variables = crate::common::env_names();
    variables.extend(["CI".to_string(), "NO_COLOR".to_string()]);
    assert!(variables.len() > 20, "{variables:?}");
    let missing: Vec<_> = variables
        .iter()
        .filter(|v| !environment.contains(v.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "not in dnc(1)'s ENVIRONMENT: {missing:?}"
    );
}

/// `dnc --color CHOICE validate` on a missing config, with a terminal-less stderr and
/// FORCE_COLOR set (which the final report used to obey over `--color`).
fn final_error(choice: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new(env!("CARGO_BIN_EXE_dnc"))
        .current_dir(dir.path())
        .args(["--color", choice, "plan", "missing.yaml"])
        .env_clear()
        .env("FORCE_COLOR", "1")
        .env("CLICOLOR_FORCE", "1"))
    .fails(1);
    out.stderr
}

#[test]
fn color_never_holds_for_the_final_error_and_always_colors_it() {
    let never = final_error("never");
    assert!(never.contains("no dnc config at"), "{never}");
    assert!(!never.contains('\x1b'), "no escape codes: {never:?}");
    let always = final_error("always");
    assert!(always.contains("\x1b["), "colored: {always:?}");
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: not JSON:\n{text}"))
}

/// The parts of a JSON report that change from run to run, made stable.
fn stable(mut v: Value) -> Value {
    for op in v["operations"].as_array_mut().into_iter().flatten() {
        op["time"] = "[time]".into();
        op["id"] = op["id"].is_u64().into();
        op["plan_hash"] = "[hash]".into();
        if op["run"].is_string() {
            op["run"] = "[run]".into();
        }
    }
    if v["plan_hash"].is_string() {
        v["plan_hash"] = "[hash]".into();
    }
    v
}

#[test]
fn apply_reports_every_operation_as_json() {
    let project = Project::new(
        &Config::pruning(false, 10),
        &[(
            "lists/a.yaml",
            "entries:\n  - number: \"(202) 555-0101\"\n    scope: global\n    reason: Asked on the phone\nremovals:\n  - number: \"202-555-0102\"\n    scope: global\n    removal_reason: Consent re-obtained, COMP-7\n  - number: \"202-555-0103\"\n    scope: global\n    removal_reason: Never was on it\n",
        )],
    );
    let sandbox = Sandbox::start_seeded([seed("2025550102", 0).reason("DNC")], SDK);
    let apply = |args: &[&str]| {
        run(project
            .targeting(&sandbox, args)
            .env("GITHUB_ACTOR", "compliance-bot"))
        .ok()
    };
    let first = apply(&["apply", "--yes", "--format", "json"]);
    assert!(
        first.stderr.contains("Target: "),
        "people's text goes to stderr"
    );
    insta::assert_json_snapshot!("apply_json", stable(json(&first.stdout)));

    let again = apply(&["apply", "--yes", "--format", "json"]);
    let again = json(&again.stdout);
    assert_eq!(
        again["operations"],
        Value::Array(vec![]),
        "only this run's operations"
    );
    assert_eq!(
        (again["done"].as_u64(), again["failed"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn import_reports_files_and_counts_as_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dnc.yaml"), &*Config::standard()).unwrap();
    let sandbox = Sandbox::start_seeded(
        [
            seed("2025550101", 0).reason("DNC"),
            seed("2025550102", 0),
            seed("2025550143", 111).reason("DNC").purpose("TELEMKT"),
        ],
        SDK,
    );
    let out = run(command(dir.path(), &["import", "--format", "json"]).envs(sandbox.target())).ok();
    let mut report = json(&out.stdout);
    assert_eq!(report["root"], ".");
    report["root"] = "[root]".into();
    insta::assert_json_snapshot!("import_json", report);
    for file in report["files"].as_array().unwrap() {
        assert!(dir.path().join(file.as_str().unwrap()).is_file(), "{file}");
    }
}

/// A git repository holding the schemas at its root and a dnc config in `ops/dnc/`.
fn repository_with_config_in_a_subfolder() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    git(
        repo.path(),
        &["init", "--quiet"],
        "Alice Compliance",
        "2026-03-02T09:00:00+00:00",
    );
    let sub = repo.path().join("ops/dnc");
    std::fs::create_dir_all(sub.join("lists")).unwrap();
    std::fs::write(sub.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::write(
        sub.join("lists/a.yaml"),
        "entries:\n  - number: \"+1 202-555-0101\"\n    scope: nowhere\n    reason: DNC\n",
    )
    .unwrap();
    repo
}

#[test]
fn github_annotations_name_files_from_the_repository_root() {
    let repo = repository_with_config_in_a_subfolder();
    let root = repo.path();
    for (cwd, config) in [(root.to_path_buf(), "ops/dnc"), (root.join("ops/dnc"), ".")] {
        let out = dnc(&cwd, &["validate", config, "--format", "github"], &[]).fails(1);
        assert!(
            out.stdout
                .starts_with("::error file=ops/dnc/lists/a.yaml,line="),
            "from {}: {}",
            cwd.display(),
            out.stdout
        );
    }
    let workspace = root.join("ops");
    let out = dnc(
        root,
        &["validate", "ops/dnc", "--format", "github"],
        &[("GITHUB_WORKSPACE", workspace.to_str().unwrap())],
    );
    assert!(
        out.stdout.starts_with("::error file=dnc/lists/a.yaml,"),
        "GITHUB_WORKSPACE is the root: {}",
        out.stdout
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("dnc.yaml"),
        "version: 1\nmanifests: [\"x/*.yaml\"]\nscopes:\n  - scope: nowhere\n",
    )
    .unwrap();
    let out = dnc(outside.path(), &["validate", "--format", "github"], &[]);
    assert!(
        out.stdout.starts_with("::error file=dnc.yaml,"),
        "{}",
        out.stdout
    );
}

#[test]
fn ledger_and_history_find_the_ledger_beside_the_config_from_anywhere() {
    let repo = tempfile::tempdir().unwrap();
    let sub = repo.path().join("ops");
    let line = r#"{"time":"2026-11-27T11:52:27.806Z","event":"finish","plan_hash":"abc","op":0,"change":"create","campaign_id":0,"phone_code":1,"phone_number":"2025550143","outcome":"done","id":6,"attempts":1}"#;
    std::fs::create_dir_all(sub.join(".dnc")).unwrap();
    std::fs::write(sub.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::write(sub.join(".dnc/ledger.jsonl"), format!("{line}\n")).unwrap();
    for (cwd, args) in [
        (repo.path(), vec!["ledger", "ops", "--format", "json"]),
        (
            repo.path(),
            vec!["ledger", "ops/dnc.yaml", "--format", "json"],
        ),
        (sub.as_path(), vec!["ledger", "--format", "json"]),
        (
            repo.path(),
            vec![
                "ledger",
                "--ledger",
                "ops/.dnc/ledger.jsonl",
                "--format",
                "json",
            ],
        ),
    ] {
        let out = dnc_ok(cwd, &args);
        assert!(
            out.stdout.contains("+1 202-555-0143"),
            "{args:?}: {}",
            out.stdout
        );
    }
    let history = dnc_ok(repo.path(), &["history", "+1 202 555 0143", "ops"]);
    assert!(
        history.stdout.contains("create: done, id 6"),
        "{}",
        history.stdout
    );
    let old = dnc_fail(repo.path(), 1, &["ledger", "ops/.dnc/ledger.jsonl"]);
    assert!(
        old.stderr
            .contains("dnc ledger --ledger ops/.dnc/ledger.jsonl"),
        "{}",
        old.stderr
    );
}

#[test]
fn imported_manifests_reference_the_repository_schema_by_a_path_that_resolves() {
    let repo = repository_with_config_in_a_subfolder();
    let root = repo.path();
    std::fs::remove_file(root.join("ops/dnc/lists/a.yaml")).unwrap();
    std::fs::create_dir_all(root.join("schema")).unwrap();
    let schema = dnc_ok(root, &["schema", "manifest"]);
    std::fs::write(root.join("schema/manifest.schema.json"), &schema.stdout).unwrap();
    let sandbox = Sandbox::start_seeded([seed("2025550101", 0).reason("DNC")], SDK);
    run(command(root, &["import", "ops/dnc", "--scope", "global"]).envs(sandbox.target())).ok();
    let manifest = root.join("ops/dnc/lists/imported-global.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let first = text.lines().next().unwrap();
    let target = first
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap_or_else(|| panic!("no modeline: {text}"));
    assert_eq!(target, "../../../schema/manifest.schema.json");
    let resolved = manifest.parent().unwrap().join(target);
    assert_eq!(
        std::fs::read_to_string(resolved).unwrap(),
        schema.stdout,
        "the modeline names the schema file"
    );
}

/// `dnc ARGS` in a fresh directory with stdout sent to `stdout`: its exit code and stderr.
fn with_stdout(args: &[&str], stdout: impl Into<std::process::Stdio>) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path(), args).stdout(stdout).output().unwrap();
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
    (out.status.code().unwrap_or(-1), stderr)
}

/// A full disk under stdout is a diagnostic with a code and help, whether dnc prints a string
/// (schema) or renders into a buffer first (man, and completions, whose generator would
/// panic on a failed write), never a panic.
#[test]
fn a_full_disk_under_stdout_is_a_diagnostic() {
    for args in [
        &["schema", "manifest"][..],
        &["man"],
        &["completions", "bash"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (code, err) = with_stdout(args, full);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains("dnc::output::write") && err.contains("No space left on device"),
            "{args:?}: {err}"
        );
    }
}

/// A reader that went away before dnc wrote (`dnc man | head -0`) ends dnc quietly with 1.
#[test]
fn a_closed_pipe_under_stdout_ends_quietly() {
    for args in [
        &["schema", "manifest"][..],
        &["man"],
        &["completions", "bash"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let (code, err) = with_stdout(args, writer);
        assert_eq!((code, err.as_str()), (1, ""), "{args:?}");
    }
}

/// A reader of stderr that went away ends dnc with 1, never a panic (101): while it prints
/// diagnostics (a plan of an invalid list) and when it prints its final error (no config).
#[test]
fn a_closed_pipe_under_stderr_ends_with_1() {
    let config = Config::new().scope("global", &[]);
    let list = "entries:\n  - number: \"12\"\n    scope: global\n    reason: r\n";
    let project = Project::new(&config, &[("lists/global.yaml", list)]);
    let empty = tempfile::tempdir().unwrap();
    for mut cmd in [project.command(&["plan"]), command(empty.path(), &["plan"])] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = cmd.stderr(writer).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd:?}");
    }
}

/// Every diagnostic code dnc can print, with the message and help it prints: a code that is
/// renamed or dropped, or wording that changes, shows up here (scripts and docs match on the
/// codes; people read the rest).
#[test]
fn every_error_code_is_listed() {
    let all = catalogue::read_workspace();
    insta::assert_snapshot!("error_codes", catalogue::render(&all));
}

/// No module loop anywhere: at every level of the module tree, the modules under one parent
/// use each other one way only (docs/architecture.md, "Layers"). A loop names each edge that
/// makes it, with the names taken, so the fix starts from the message.
#[test]
fn no_module_uses_itself_through_another() {
    for src in catalogue::sources() {
        let graph = modules::read(&src.join("lib.rs"));
        let loops = modules::cycles(&graph);
        let shown = modules::explain(&graph, &loops);
        assert!(
            loops.is_empty(),
            "module loops in {}:\n{shown}",
            src.display()
        );
    }
}

/// The check sees a loop where there is one: two sibling modules that use each other, and
/// one made through a child module, are found; a module that uses its own parent is none.
#[test]
fn the_module_loop_check_finds_a_loop() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n");
    write("a.rs", "use crate::b::B;\npub struct A;\n");
    write(
        "b.rs",
        "pub struct B;\nfn f() -> crate::a::A { crate::a::A }\n",
    );
    write("c/mod.rs", "mod inner;\npub struct C;\n");
    write("c/inner.rs", "use super::C;\nfn g(_: crate::a::A) {}\n");
    let graph = modules::read(&dir.path().join("lib.rs"));
    assert_eq!(
        modules::cycles(&graph),
        vec![vec!["a".to_string(), "b".to_string()]]
    );

    write(
        "a.rs",
        "use crate::b::B;\npub struct A;\nfn h(_: crate::c::C) {}\n",
    );
    write("b.rs", "pub struct B;\n");
    write(
        "c/inner.rs",
        "use super::C;\nfn g(_: crate::b::B) {}\nfn i() { crate::a::h }\n",
    );
    let graph = modules::read(&dir.path().join("lib.rs"));
    let loops = modules::cycles(&graph);
    assert_eq!(loops, vec![vec!["a".to_string(), "c".to_string()]]);
    let text = modules::explain(&graph, &loops);
    assert!(
        text.contains("a -> c: C") && text.contains("c::inner -> a: h"),
        "{text}"
    );
}

/// Every `--format json` output is one object with `format_version` at its top, so a script
/// knows which shape it reads; a command that gains a JSON output must be added here.
#[test]
fn every_json_output_carries_format_version() {
    let list = "entries:\n  - number: \"202-555-0101\"\n    scope: global\n    reason: DNC\n";
    let project = Project::new(&Config::standard(), &[("lists/global.yaml", list)]);
    let dir = project.dir.path();
    git(
        dir,
        &["init", "-q", "-b", "main"],
        "Dana Ops",
        "2026-03-02T09:00:00Z",
    );
    git(dir, &["add", "-A"], "Dana Ops", "2026-03-02T09:00:00Z");
    git(
        dir,
        &["commit", "-q", "-m", "One opt-out"],
        "Dana Ops",
        "2026-03-02T09:00:00Z",
    );
    let sandbox = Sandbox::start(&[]);
    let json_commands: &[&[&str]] = &[
        &["validate"],
        &["plan"],
        &["apply", "--yes"],
        &["probe"],
        &["ledger"],
        &["import", "--only-unmanaged"],
        &["history", "2025550101"],
        &["report"],
        &["verify", "--ledger-branch", "main"],
        &["add", "2025550102", "--reason", "DNC", "--scope", "global"],
        &["remove", "2025550102", "--reason", "Consent given again"],
    ];
    for args in json_commands {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let out = project.dnc(&sandbox, &args);
        let value: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("dnc {args:?}: {e}\n{}{}", out.stdout, out.stderr));
        assert_eq!(value["format_version"], 1, "dnc {args:?}: {}", out.stdout);
    }
    // Which commands print JSON, from their help: none is left out above.
    let listed: Vec<&str> = json_commands.iter().map(|a| a[0]).collect();
    let help = dnc_ok(dir, &["--help"]).stdout;
    let commands = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        // A description wrapped onto the next line is indented deeper.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next());
    for command in commands.filter(|c| *c != "help") {
        let help = dnc_ok(dir, &[command, "--help"]).stdout;
        let format = help.split("--format <FORMAT>").nth(1).unwrap_or_default();
        let format = format.split("\n      --").next().unwrap_or_default();
        assert_eq!(
            format.contains("json"),
            listed.contains(&command),
            "dnc {command} --format json"
        );
    }
}

/// The binary runs on jemalloc with freed pages returned at once (src/allocator.rs): the
/// 1M plan's peak memory depends on it. jemalloc prints its options at exit when asked.
#[cfg(not(target_env = "msvc"))]
#[test]
fn the_binary_returns_freed_memory_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path(), &["--version"])
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .unwrap();
    let stats = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stats}");
    for option in ["opt.dirty_decay_ms: 0 ", "opt.muzzy_decay_ms: 0 "] {
        assert!(
            stats.contains(option),
            "{option:?} not in jemalloc's stats:\n{stats}"
        );
    }
}
