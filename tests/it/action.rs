//! action.yml: every `run:` step runs here under bash as the runner runs it, with the env the
//! runner would build from the inputs, against stand-ins for `dnc` and `cargo` that record
//! their arguments. This checks the wiring (and that hostile inputs stay single arguments).

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const GITHUB_TOKEN: &str = "ghs_default_job_token";

fn action() -> Value {
    let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

fn steps(action: &Value) -> &Vec<Value> {
    action["runs"]["steps"].as_array().unwrap()
}

/// The `${{ }}` expressions action.yml uses: `inputs.x`, `runner.temp`, `github.token`,
/// `'literal'`, joined by `||` (the first non-empty operand wins).
fn evaluate(expression: &str, inputs: &BTreeMap<String, String>, temp: &Path) -> String {
    expression
        .split("||")
        .map(|operand| {
            let operand = operand.trim();
            if let Some(name) = operand.strip_prefix("inputs.") {
                inputs[name].clone()
            } else if let Some(literal) = operand.strip_prefix('\'') {
                literal.strip_suffix('\'').unwrap().to_owned()
            } else {
                match operand {
                    "runner.temp" => temp.display().to_string(),
                    "github.token" => GITHUB_TOKEN.to_owned(),
                    other => panic!("this test does not know the expression `{other}`"),
                }
            }
        })
        .find(|value| !value.is_empty())
        .unwrap_or_default()
}

fn expand(template: &str, inputs: &BTreeMap<String, String>, temp: &Path) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${{") {
        let end = rest[start..].find("}}").unwrap() + start;
        out.push_str(&rest[..start]);
        out.push_str(&evaluate(&rest[start + 3..end], inputs, temp));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The inputs as the runner sees them: the given ones over action.yml's defaults.
fn inputs(action: &Value, given: &[(&str, &str)], temp: &Path) -> BTreeMap<String, String> {
    let empty = BTreeMap::new();
    let mut inputs: BTreeMap<String, String> = action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, spec)| {
            let default = spec["default"].as_str().unwrap_or("");
            (name.clone(), expand(default, &empty, temp))
        })
        .collect();
    for (name, value) in given {
        assert!(inputs.contains_key(*name), "action.yml has no input {name}");
        inputs.insert((*name).to_owned(), (*value).to_owned());
    }
    inputs
}

/// A stand-in program that records its argv and env next to itself and exits with the code
/// in `exit` there (0 when absent).
fn recorder(path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let script = r#"#!/usr/bin/env bash
here="$(dirname "$0")"
printf '%s\0' "$@" >"$here/argv"
env -0 >"$here/env"
exit "$(cat "$here/exit" 2>/dev/null || echo 0)"
"#;
    fs::write(path, script).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

struct Run {
    status: i32,
    stdout: String,
    argv: Vec<String>,
    env: BTreeMap<String, String>,
}

fn read_nul_list(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .split_terminator('\0')
        .map(str::to_owned)
        .collect()
}

/// Run one step the way a composite action's `shell: bash` does, in `workdir`, with the
/// recorder at `recorded` (the stand-in for the program the step calls).
fn run_step(step: &Value, inputs: &BTreeMap<String, String>, temp: &Path, recorded: &Path) -> Run {
    assert_eq!(step["shell"], "bash");
    let script = step["run"].as_str().unwrap();
    assert!(
        !script.contains("${{"),
        "expressions reach run: only through env"
    );
    let script_path = temp.join("step.sh");
    fs::write(&script_path, script).unwrap();
    let workdir = temp.join("workspace");
    fs::create_dir_all(&workdir).unwrap();
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script_path)
        .current_dir(&workdir)
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", temp.join("path").display()),
        )
        .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"));
    if let Some(env) = step["env"].as_object() {
        for (name, value) in env {
            let value = value.as_str().unwrap();
            command.env(name, expand(value, inputs, temp));
        }
    }
    let output = command.output().unwrap();
    let dir = recorded.parent().unwrap();
    Run {
        status: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        argv: read_nul_list(&dir.join("argv")),
        env: read_nul_list(&dir.join("env"))
            .into_iter()
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                Some((name.to_owned(), value.to_owned()))
            })
            .collect(),
    }
}

/// Run the step that handles `command`, as the Action does for these inputs.
fn run_command(given: &[(&str, &str)], exit: Option<i32>) -> (Run, PathBuf, tempfile::TempDir) {
    let action = action();
    let temp = tempfile::tempdir().unwrap();
    let inputs = inputs(&action, given, temp.path());
    let command = &inputs["command"];
    let matching: Vec<_> = steps(&action)
        .iter()
        .filter(|step| step["if"] == format!("inputs.command == '{command}'").as_str())
        .collect();
    assert_eq!(matching.len(), 1, "one step runs `{command}`");
    assert_eq!(
        matching[0]["id"],
        command.as_str(),
        "outputs read steps.{command}"
    );
    let dnc = temp.path().join("dnc/bin/dnc");
    recorder(&dnc);
    if let Some(code) = exit {
        fs::write(dnc.with_file_name("exit"), code.to_string()).unwrap();
    }
    let run = run_step(matching[0], &inputs, temp.path(), &dnc);
    let workdir = temp.path().join("workspace");
    (run, workdir, temp)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn validate_runs_with_annotations_and_no_stray_arguments() {
    let (run, _, _temp) = run_command(&[("command", "validate")], None);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        run.argv,
        strings(&["validate", "dnc.yaml", "--format", "github"])
    );
}

#[test]
fn plan_passes_hostile_inputs_as_single_arguments() {
    let hostile_config = "lists/my dnc.yaml; touch pwned-config";
    let hostile_args = "--detailed-exitcode\n--note=$(touch pwned-subst) `touch pwned-tick` *\n";
    let (run, workdir, _temp) = run_command(
        &[
            ("command", "plan"),
            ("config", hostile_config),
            ("args", hostile_args),
            ("api-url", "https://api.convoso.com/v1"),
            ("auth-token", "convoso-secret"),
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        run.argv,
        strings(&[
            "plan",
            hostile_config,
            "--format",
            "markdown",
            "--out",
            "dnc.plan",
            "--detailed-exitcode",
            "--note=$(touch pwned-subst) `touch pwned-tick` *",
        ])
    );
    assert_eq!(
        fs::read_dir(&workdir).unwrap().count(),
        0,
        "no input was executed as code"
    );
    let env = |name: &str| run.env.get(name).map(String::as_str);
    assert_eq!(env("DNC_AUTH_TOKEN"), Some("convoso-secret"));
    assert_eq!(env("DNC_API_URL"), Some("https://api.convoso.com/v1"));
    assert_eq!(env("GITHUB_TOKEN"), Some(GITHUB_TOKEN));
    assert_eq!(env("DNC_COMMENT"), Some("true"));
    assert_eq!(env("DNC_MASK_NUMBERS"), Some("true"));
    assert_eq!(env("CI"), Some("true"));
}

#[test]
fn plan_options_reach_dnc_through_env() {
    let (run, _, _temp) = run_command(
        &[
            ("command", "plan"),
            ("comment", "false"),
            ("mask-numbers", "false"),
            ("plan-file", "out/prod.plan"),
        ],
        None,
    );
    assert_eq!(run.argv[4..6], strings(&["--out", "out/prod.plan"]));
    assert_eq!(run.env["DNC_COMMENT"], "false");
    assert_eq!(run.env["DNC_MASK_NUMBERS"], "false");
    assert!(!run.env.contains_key("DNC_AUTH_TOKEN") || run.env["DNC_AUTH_TOKEN"].is_empty());
}

#[test]
fn plan_exit_codes_pass_through() {
    let (run, _, _temp) = run_command(
        &[("command", "plan"), ("args", "--detailed-exitcode")],
        Some(2),
    );
    assert_eq!(run.status, 2, "drift fails the step with dnc's own code");
}

#[test]
fn apply_applies_the_saved_plan_or_the_config() {
    let (run, _, _temp) = run_command(&[("command", "apply"), ("plan-file", "dnc.plan")], None);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        run.argv,
        strings(&["apply", "dnc.plan", "--yes", "--ledger", "dnc-ledger.jsonl"])
    );
    let (run, _, _temp) = run_command(
        &[
            ("command", "apply"),
            ("config", "prod/dnc.yaml"),
            ("ledger", "audit/ledger.jsonl"),
        ],
        None,
    );
    assert_eq!(
        run.argv,
        strings(&[
            "apply",
            "prod/dnc.yaml",
            "--yes",
            "--ledger",
            "audit/ledger.jsonl"
        ])
    );
}

#[test]
fn install_builds_dnc_from_the_action_source() {
    let action = action();
    let temp = tempfile::tempdir().unwrap();
    let inputs = inputs(&action, &[("command", "plan")], temp.path());
    let install = steps(&action)
        .iter()
        .find(|step| step["name"] == "Install dnc")
        .unwrap();
    let cargo = temp.path().join("path/cargo");
    recorder(&cargo);
    let run = run_step(install, &inputs, temp.path(), &cargo);
    assert_eq!(run.status, 0, "{}", run.stdout);
    let root = temp.path().join("dnc").display().to_string();
    assert_eq!(
        run.argv,
        strings(&[
            "install",
            "--locked",
            "--force",
            "--path",
            env!("CARGO_MANIFEST_DIR"),
            "--root",
            &root,
        ])
    );
    assert_eq!(run.env["CARGO_TARGET_DIR"], format!("{root}/target"));
    let cache = steps(&action)
        .iter()
        .find(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .unwrap();
    assert!(
        cache["with"]["path"]
            .as_str()
            .unwrap()
            .contains("${{ runner.temp }}/dnc")
    );
}

#[test]
fn an_unknown_command_fails_the_action() {
    let action = action();
    let guard = steps(&action)
        .iter()
        .find(|step| step["name"] == "Reject an unknown command")
        .unwrap();
    assert_eq!(
        guard["if"],
        "inputs.command != 'validate' && inputs.command != 'plan' && inputs.command != 'apply'"
    );
    let temp = tempfile::tempdir().unwrap();
    let inputs = inputs(&action, &[("command", "destroy")], temp.path());
    let run = run_step(guard, &inputs, temp.path(), &temp.path().join("none/x"));
    assert_eq!(run.status, 1);
    assert!(
        run.stdout.starts_with("::error title=dnc action::"),
        "{}",
        run.stdout
    );
}
