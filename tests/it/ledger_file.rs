//! The ledger is a file dnc owns: confined to the config's folder, a regular file (symlinks,
//! FIFOs refused without hanging), held under a lock a second apply meets before it sends
//! anything, never written onto a torn line, each run's lines under their own run id; and the
//! ledger branch and remote are checked before anything is sent.

use crate::common::{self, Config, Project, Run, Sandbox, normalize, run};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIST: &str = "\
defaults:
  scope: global
  reason: DNC
entries:
  - number: \"202-555-0143\"
  - number: \"202-555-0178\"
";

fn project() -> Project {
    Project::new(&Config::standard(), &[("lists/opt-outs.yaml", LIST)])
}

/// Runs `cmd`, failing the test if it has not ended within ten seconds (a hung read).
fn within(cmd: &mut Command) -> Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{cmd:?} hung on the ledger");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The commands that open the ledger, each bounded in time; every one must refuse it.
fn every_reader_refuses(project: &Project, sandbox: &Sandbox) -> Vec<String> {
    let mut errors = Vec::new();
    for args in [
        &["apply", "--yes"][..],
        &["ledger"],
        &["history", "202-555-0143"],
        &["report", "--format", "json"],
    ] {
        let out = within(&mut project.targeting(sandbox, args));
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        errors.push(normalize(&out.stderr));
    }
    assert_eq!(sandbox.requests(), 0, "refused before anything was sent");
    errors
}

#[test]
fn a_ledger_symlinked_out_of_the_folder_is_refused() {
    let project = project();
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::create_dir(project.path(".dnc")).unwrap();
    std::os::unix::fs::symlink(outside.path(), project.path(".dnc/ledger.jsonl")).unwrap();
    let sandbox = Sandbox::start(&[]);
    let errors = every_reader_refuses(&project, &sandbox);
    assert_eq!(
        std::fs::read(outside.path()).unwrap(),
        b"",
        "nothing written through"
    );
    insta::assert_snapshot!(errors.join("---\n"));
}

#[test]
fn a_dnc_folder_symlinked_out_of_the_config_folder_is_refused() {
    let project = project();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("ledger.jsonl"), "").unwrap();
    std::os::unix::fs::symlink(outside.path(), project.path(".dnc")).unwrap();
    let sandbox = Sandbox::start(&[]);
    let errors = every_reader_refuses(&project, &sandbox);
    assert_eq!(
        std::fs::read(outside.path().join("ledger.jsonl")).unwrap(),
        b"",
        "nothing written through"
    );
    insta::assert_snapshot!(errors.join("---\n"));
}

#[test]
fn a_fifo_ledger_is_refused_without_hanging() {
    let project = project();
    std::fs::create_dir(project.path(".dnc")).unwrap();
    let fifo = std::ffi::CString::new(
        project
            .path(".dnc/ledger.jsonl")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let sandbox = Sandbox::start(&[]);
    let errors = every_reader_refuses(&project, &sandbox);
    insta::assert_snapshot!(errors.join("---\n"));
}

/// A start line cut short by a full disk: the next apply must not write onto it.
#[test]
fn a_torn_last_line_is_ended_not_written_onto() {
    let project = project();
    let whole = r#"{"time":"2026-03-02T10:00:00.000Z","event":"start","plan_hash":"p","op":0,"change":"create","campaign_id":0,"phone_code":1,"phone_number":"2025550199","reason":"DNC"}"#;
    let torn = r#"{"time":"2026-03-02T10:00:01.000Z","event":"finish","plan_hash":"p","op":0,"change":"cre"#;
    project.write(".dnc/ledger.jsonl", &format!("{whole}\n{torn}"));
    let sandbox = Sandbox::start(&[]);
    let applied = project.dnc_ok(&sandbox, &["apply", "--yes"]);
    insta::assert_snapshot!(normalize(&applied.stderr));
    let text = std::fs::read_to_string(project.path(".dnc/ledger.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        [whole, torn],
        "the earlier lines are kept as they were"
    );
    assert_eq!(
        lines.len(),
        2 + 1 + 4,
        "the run's own line, then two operations, a start and a finish each"
    );
    for line in &lines[2..] {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(record["run"].is_string(), "{line}");
    }
    // Readers report the torn line and still read every other one.
    let shown = project.dnc_ok(&sandbox, &["ledger", "--format", "json"]);
    let shown_json: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let rows = shown_json["operations"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{}", shown.stdout);
    assert!(
        shown
            .stderr
            .contains(":2: skipping an unreadable ledger line"),
        "{}",
        shown.stderr
    );
}

/// A second apply while the first is still sending: refused on the lock, and it sends
/// nothing (its own sandbox counts no request); the first finishes alone.
#[test]
fn a_second_apply_on_the_same_config_is_refused_before_sending() {
    let entries: String = (0..12)
        .map(|i| format!("  - number: \"202-555-01{i:02}\"\n"))
        .collect();
    let project = Project::new(
        &Config::standard(),
        &[(
            "lists/many.yaml",
            &format!("defaults:\n  scope: global\n  reason: DNC\nentries:\n{entries}"),
        )],
    );
    let slow = Sandbox::start(&["--latency-ms", "150"]);
    let first = project
        .targeting(&slow, &["apply", "--yes", "--concurrency", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ledger = project.path(".dnc/ledger.jsonl");
    common::wait_until(
        "the first apply never started sending",
        Duration::from_secs(30),
        || std::fs::read_to_string(&ledger).map_or(0, |t| t.lines().count()) >= 1,
    );
    let other = Sandbox::start(&[]);
    let second = project.dnc_fail(&other, 1, &["apply", "--yes"]);
    assert_eq!(other.requests(), 0, "the second apply sent nothing");
    insta::assert_snapshot!(normalize(&second.stderr));
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = ledger_records(&project);
    assert_eq!(
        lines.len(),
        1 + 24,
        "the first apply alone wrote the ledger"
    );
    let runs: std::collections::BTreeSet<&str> =
        lines.iter().map(|r| r["run"].as_str().unwrap()).collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
}

fn ledger_records(project: &Project) -> Vec<serde_json::Value> {
    std::fs::read_to_string(project.path(".dnc/ledger.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn each_run_writes_under_its_own_id() {
    let project = project();
    let sandbox = Sandbox::start(&[]);
    project.dnc_ok(&sandbox, &["apply", "--yes"]);
    project.write(
        "lists/more.yaml",
        "defaults: {scope: global, reason: DNC}\nentries:\n  - number: \"202-555-0199\"\n",
    );
    project.dnc_ok(&sandbox, &["apply", "--yes"]);
    let records = ledger_records(&project);
    let ids: Vec<&str> = records.iter().map(|r| r["run"].as_str().unwrap()).collect();
    // Each run: its own `run` line, then a start and a finish per operation.
    assert_eq!(ids.len(), 1 + 4 + 1 + 2);
    assert!(ids[..5].iter().all(|id| *id == ids[0]), "{ids:?}");
    assert!(ids[5..].iter().all(|id| *id == ids[5]), "{ids:?}");
    assert_ne!(ids[0], ids[5], "two runs, two ids");
}

/// Two runs of one plan interleaved, and a run that died: each operation pairs with its own
/// run's finish, and the one that never finished is interrupted exactly once.
#[test]
fn runs_never_mix_when_lines_interleave() {
    let project = project();
    let line = |run: &str, event: &str, op: u32, outcome: Option<&str>| {
        let mut r = serde_json::json!({
            "time": "2026-03-02T10:00:00.000Z", "run": run, "event": event, "plan_hash": "p",
            "op": op, "change": "create", "campaign_id": 0, "phone_code": 1,
            "phone_number": format!("20255501{op:02}"), "reason": "DNC",
        });
        if let Some(o) = outcome {
            r["outcome"] = o.into();
        }
        r.to_string()
    };
    let lines = [
        line("a", "start", 0, None),
        line("b", "start", 0, None),
        line("a", "finish", 0, Some("done")),
        line("a", "start", 1, None),
        line("b", "finish", 0, Some("converged")),
        line("b", "start", 1, None),
        line("b", "finish", 1, Some("done")),
    ];
    project.write(".dnc/ledger.jsonl", &(lines.join("\n") + "\n"));
    let csv = common::dnc_ok(project.dir.path(), &["ledger", "--format", "csv"]).stdout;
    let outcomes: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(outcomes, ["done", "converged", "interrupted", "done"]);
    let report = common::dnc_ok(
        project.dir.path(),
        &[
            "report",
            "--format",
            "json",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-31",
        ],
    )
    .stdout;
    assert_eq!(
        report.matches("\"outcome\": \"interrupted\"").count(),
        1,
        "{report}"
    );
    assert!(report.contains("\"interrupted\": 1"), "{report}");
    let history = common::dnc_ok(project.dir.path(), &["history", "202-555-0101"]).stdout;
    assert_eq!(history.matches(": interrupted").count(), 1, "{history}");
    assert_eq!(history.matches(": done").count(), 1, "{history}");
}

/// A bare origin and a clone of it on main, holding the config and a list.
fn repo(root: &Path) -> std::path::PathBuf {
    let git = |dir: &Path, args: &[&str]| {
        common::git(dir, args, "Alice Compliance", "2026-03-02T09:00:00+00:00")
    };
    let dir = crate::common::origin_and_clone(root, "manifests");
    std::fs::write(dir.join("dnc.yaml"), &*Config::standard()).unwrap();
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    std::fs::write(dir.join("lists/opt-outs.yaml"), LIST).unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "Two opt-outs"]);
    git(&dir, &["push", "-q", "origin", "main"]);
    // What a clone of a non-empty origin has: the remote's default branch.
    git(&dir, &["remote", "set-head", "origin", "main"]);
    dir
}

/// `dnc ARGS` in the repository `dir` against `sandbox`.
fn in_repo(dir: &Path, sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = common::command(dir, args);
    cmd.envs(sandbox.target()).envs(env.iter().copied());
    run(&mut cmd)
}

/// Flags after `apply --yes`, and the environment (a CI's variables).
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

#[test]
fn a_ledger_branch_or_remote_git_would_misread_is_refused_before_sending() {
    let root = tempfile::tempdir().unwrap();
    let dir = repo(root.path());
    let pwned = root.path().join("pwned");
    let upload = format!("--ledger-remote=--upload-pack=touch {}", pwned.display());
    let ci = [
        ("GITHUB_REF_TYPE", "branch"),
        ("GITHUB_REF_NAME", "release"),
    ];
    let cases: [Case; 10] = [
        (&["--ledger-branch", "main"], &[]),
        (&["--ledger-branch", "release"], &ci),
        (&["--ledger-branch", "HEAD"], &[]),
        (&["--ledger-branch=-x"], &[]),
        (&["--ledger-branch", "a..b"], &[]),
        (&["--ledger-branch", "@"], &[]),
        (&["--ledger-branch", "refs/heads/main"], &[]),
        (&["--ledger-branch", "dnc-ledger", &upload], &[]),
        (
            &["--ledger-branch", "dnc-ledger", "--ledger-remote", "orign"],
            &[],
        ),
        (
            &[
                "--ledger-branch",
                "dnc-ledger",
                "--ledger-remote",
                "ext::sh",
            ],
            &[],
        ),
    ];
    let sandbox = Sandbox::start(&[]);
    let mut errors = String::new();
    for (flags, env) in cases {
        let args = [&["apply", "--yes"][..], flags].concat();
        let out = in_repo(&dir, &sandbox, &args, env).fails(1);
        assert_eq!(
            sandbox.requests(),
            0,
            "{flags:?}: refused before anything was sent"
        );
        errors.push_str(&format!("$ dnc apply {}\n{}", flags.join(" "), out.stderr));
    }
    assert!(!pwned.exists(), "a remote never reaches git as an option");
    // On another branch, main is still the remote's default: refused all the same.
    common::git(
        &dir,
        &["checkout", "-q", "-b", "work"],
        "Alice",
        "2026-03-02T09:00:00+00:00",
    );
    let pushed = in_repo(
        &dir,
        &sandbox,
        &["ledger", "--push-to", "main", "--remote", "origin"],
        &[],
    )
    .fails(1);
    errors.push_str(&format!("$ dnc ledger --push-to main\n{}", pushed.stderr));
    assert_eq!(sandbox.requests(), 0);
    insta::assert_snapshot!(normalize(&errors));
}

/// A configured remote whose URL runs a command (an `ext::` remote in the repository's
/// config) runs nothing: git is run with the `ext::` transport off, even when the caller's
/// environment allows it.
#[test]
fn a_remote_whose_url_runs_a_command_runs_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = repo(root.path());
    let pwned = root.path().join("pwned");
    let url = format!("ext::sh -c touch% {}", pwned.display());
    common::git(
        &dir,
        &["remote", "add", "evil", &url],
        "Alice",
        "2026-03-02T09:00:00+00:00",
    );
    std::fs::write(dir.join("ledger.jsonl"), "").unwrap();
    let sandbox = Sandbox::start(&[]);
    let out = in_repo(
        &dir,
        &sandbox,
        &[
            "ledger",
            "--ledger",
            "ledger.jsonl",
            "--push-to",
            "dnc-ledger",
            "--remote",
            "evil",
        ],
        &[("GIT_ALLOW_PROTOCOL", "ext")],
    );
    assert!(!pwned.exists(), "{}{}", out.stdout, out.stderr);
    assert_eq!(out.code, 1);
    // The wrapped message holds the random temp path: checked for its cause, not snapshot.
    assert!(
        out.stderr.contains("dnc::ledger::push")
            && out.stderr.contains("transport 'ext' not allowed"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_ledger_branch_outside_any_repository_is_refused_before_sending() {
    let project = project();
    let sandbox = Sandbox::start(&[]);
    let out = project.dnc_fail(
        &sandbox,
        1,
        &["apply", "--yes", "--ledger-branch", "dnc-ledger"],
    );
    assert_eq!(sandbox.requests(), 0, "refused before anything was sent");
    insta::assert_snapshot!(normalize(&out.stderr), @r"
    dnc::git::no_repository

      × --ledger-branch needs the config's folder in a git repository, and . is in
      │ none; nothing was sent
      help: run dnc from a clone of the manifests' repository, or leave out
            --ledger-branch
    ");
}
