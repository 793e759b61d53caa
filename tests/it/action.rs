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
/// `github.action_ref`, `'literal'`, joined by `||` (the first non-empty operand wins).
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
                    // The ref the workflow pinned the action to; tests set it in `inputs`.
                    "github.action_ref" => inputs.get(operand).cloned().unwrap_or_default(),
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
    run_step_with(step, inputs, temp, recorded, &[])
}

/// `run_step` with extra variables the runner itself sets (RUNNER_OS, GITHUB_OUTPUT, …).
fn run_step_with(
    step: &Value,
    inputs: &BTreeMap<String, String>,
    temp: &Path,
    recorded: &Path,
    runner_env: &[(&str, &str)],
) -> Run {
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
        .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
        .envs(runner_env.iter().copied());
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
fn verify_passes_its_arguments_and_fails_with_dncs_code() {
    let (run, _, _temp) = run_command(
        &[
            ("command", "verify"),
            ("args", "--ledger-branch=origin/dnc-ledger"),
        ],
        Some(1),
    );
    assert_eq!(run.status, 1, "a finding fails the step");
    assert_eq!(
        run.argv,
        strings(&["verify", "dnc.yaml", "--ledger-branch=origin/dnc-ledger"])
    );
}

#[test]
fn fmt_checks_and_shows_a_colored_diff() {
    let (run, _, _temp) = run_command(&[("command", "fmt"), ("config", "ops/dnc.yaml")], Some(1));
    assert_eq!(run.status, 1, "an unformatted manifest fails the step");
    assert_eq!(
        run.argv,
        strings(&["--color", "always", "fmt", "ops/dnc.yaml", "--check"])
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
fn without_a_release_binary_dnc_is_built_from_the_action_source() {
    let action = action();
    let temp = tempfile::tempdir().unwrap();
    let inputs = inputs(&action, &[("command", "plan")], temp.path());
    let install = steps(&action)
        .iter()
        .find(|step| step["name"] == "Build dnc from source")
        .unwrap();
    assert_eq!(install["if"], "steps.download.outputs.installed != 'true'");
    let cargo = temp.path().join("path/cargo");
    recorder(&cargo);
    // What `cargo install` would leave: the step stamps it for the job's later steps.
    let built = temp.path().join("dnc/bin/dnc");
    fs::create_dir_all(built.parent().unwrap()).unwrap();
    fs::write(&built, "built").unwrap();
    let github_path = temp.path().join("github-path");
    let run = run_step_with(
        install,
        &inputs,
        temp.path(),
        &cargo,
        &[("GITHUB_PATH", github_path.to_str().unwrap())],
    );
    assert_eq!(run.status, 0, "{}", run.stdout);
    let stamp = fs::read_to_string(temp.path().join("dnc/bin/.installed")).unwrap();
    assert!(stamp.starts_with("local "), "{stamp}");
    assert_eq!(
        fs::read_to_string(&github_path).unwrap(),
        format!("{}\n", built.parent().unwrap().display())
    );
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
        .find(|step| step["name"] == "Restore the dnc build cache")
        .unwrap();
    assert!(
        cache["with"]["path"]
            .as_str()
            .unwrap()
            .contains("${{ runner.temp }}/dnc")
    );
    assert_eq!(
        cache["if"], install["if"],
        "the build cache is restored only for a build"
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
        "inputs.command != 'validate' && inputs.command != 'plan' && inputs.command != 'apply' && inputs.command != 'fmt' && inputs.command != 'verify'"
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

/// A release server on 127.0.0.1 (python's http.server over a directory laid out like
/// GitHub's `releases/download/<tag>/<file>`), stopped when dropped.
struct FakeRelease {
    server: std::process::Child,
    url: String,
    root: tempfile::TempDir,
}

impl FakeRelease {
    /// None (the test is skipped) where python3 is missing outside CI.
    fn serve() -> Option<FakeRelease> {
        use std::io::{BufRead, BufReader};
        if !crate::common::available("python3", "apt-get install python3") {
            return None;
        }
        let root = tempfile::tempdir().unwrap();
        let mut server = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(root.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 serves the fake release");
        let mut line = String::new();
        BufReader::new(server.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split_whitespace()
            .skip_while(|word| *word != "port")
            .nth(1)
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Some(FakeRelease {
            server,
            url: format!("http://127.0.0.1:{port}"),
            root,
        })
    }

    /// Publishes `dnc-<tag>-<target>.tar.gz` holding a stand-in `dnc` that creates `ran`
    /// when run, with a `.sha256` that is right or, with `tamper`, wrong. Returns `ran`.
    fn publish(&self, tag: &str, target: &str, tamper: bool) -> PathBuf {
        use sha2::Digest;
        let ran = self.root.path().join("ran");
        let stage = self.root.path().join("stage");
        fs::create_dir_all(&stage).unwrap();
        let dnc = stage.join("dnc");
        let script = format!("#!/bin/sh\ntouch '{}'\necho 'dnc 9.8.7'\n", ran.display());
        fs::write(&dnc, script).unwrap();
        fs::set_permissions(&dnc, fs::Permissions::from_mode(0o755)).unwrap();
        let dir = self.root.path().join(tag);
        fs::create_dir_all(&dir).unwrap();
        let archive = format!("dnc-{tag}-{target}.tar.gz");
        let status = Command::new("tar")
            .arg("-czf")
            .arg(dir.join(&archive))
            .arg("-C")
            .arg(&stage)
            .arg("dnc")
            .status()
            .unwrap();
        assert!(status.success());
        let mut bytes = fs::read(dir.join(&archive)).unwrap();
        if tamper {
            bytes.push(0);
        }
        let sum = hex::encode(sha2::Sha256::digest(&bytes));
        fs::write(
            dir.join(format!("{archive}.sha256")),
            format!("{sum}  {archive}\n"),
        )
        .unwrap();
        ran
    }
}

impl Drop for FakeRelease {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

struct Download {
    run: Run,
    /// What the step wrote to GITHUB_OUTPUT.
    outputs: String,
    /// What the step added to GITHUB_PATH.
    path: String,
    installed: PathBuf,
    _temp: tempfile::TempDir,
}

/// Runs the action's download step pinned at `action_ref`, on a runner of `os`/`arch`, against
/// the fake release server.
fn download(release: &FakeRelease, action_ref: &str, os: &str, arch: &str) -> Download {
    download_with(release, action_ref, os, arch, &[])
}

/// `download` with more runner variables.
fn download_with(
    release: &FakeRelease,
    action_ref: &str,
    os: &str,
    arch: &str,
    more_env: &[(&str, &str)],
) -> Download {
    let temp = tempfile::tempdir().unwrap();
    let (run, outputs, path) = install_step(
        "download",
        temp.path(),
        release,
        &[("command", "plan"), ("github.action_ref", action_ref)],
        &[&[("RUNNER_OS", os), ("RUNNER_ARCH", arch)], more_env].concat(),
    );
    Download {
        run,
        outputs,
        path,
        installed: temp.path().join("dnc/bin/dnc"),
        _temp: temp,
    }
}

/// Runs the install step with id `id` in the job whose runner temp is `temp` (a later call with
/// the same `temp` is a later step of the same job). Returns the run and what it wrote to
/// GITHUB_OUTPUT and GITHUB_PATH.
fn install_step(
    id: &str,
    temp: &Path,
    release: &FakeRelease,
    given: &[(&str, &str)],
    runner_env: &[(&str, &str)],
) -> (Run, String, String) {
    let action = action();
    let (refs, given): (Vec<_>, Vec<_>) = given
        .iter()
        .partition(|(name, _)| *name == "github.action_ref");
    let mut inputs = inputs(&action, &given, temp);
    for (name, value) in refs {
        inputs.insert(name.into(), value.into());
    }
    let step = steps(&action)
        .iter()
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("action.yml has no step {id}"));
    let step_files = tempfile::tempdir_in(temp).unwrap();
    let outputs = step_files.path().join("github-output");
    let path = step_files.path().join("github-path");
    let mut env = vec![
        ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ("GITHUB_PATH", path.to_str().unwrap()),
        ("DNC_RELEASE_URL", &release.url),
    ];
    env.extend_from_slice(runner_env);
    let run = run_step_with(step, &inputs, temp, &temp.join("none/x"), &env);
    let read = |file: &Path| fs::read_to_string(file).unwrap_or_default();
    (run, read(&outputs), read(&path))
}

#[test]
fn a_tagged_action_installs_its_release_binary_after_checking_the_checksum() {
    let Some(release) = FakeRelease::serve() else {
        return;
    };
    let ran = release.publish("v9.8.7", "x86_64-unknown-linux-musl", false);
    let got = download(&release, "v9.8.7", "Linux", "X64");
    assert_eq!(got.run.status, 0, "{}", got.run.stdout);
    assert_eq!(got.outputs, "installed=true\n");
    assert!(got.installed.is_file());
    assert_eq!(
        got.path,
        format!("{}\n", got.installed.parent().unwrap().display()),
        "dnc is on the job's PATH"
    );
    assert!(got.run.stdout.contains("dnc 9.8.7"), "{}", got.run.stdout);
    assert!(ran.exists(), "the installed binary answered --version");
}

#[test]
fn a_wrong_checksum_fails_and_never_runs_the_binary() {
    let Some(release) = FakeRelease::serve() else {
        return;
    };
    let ran = release.publish("v9.8.7", "x86_64-unknown-linux-musl", true);
    let got = download(&release, "v9.8.7", "Linux", "X64");
    assert_eq!(got.run.status, 1, "{}", got.run.stdout);
    assert!(
        got.run.stdout.starts_with(
            "::error title=dnc install::dnc-v9.8.7-x86_64-unknown-linux-musl.tar.gz has SHA-256"
        ),
        "{}",
        got.run.stdout
    );
    assert_eq!(got.outputs, "", "no fallback to a build either");
    assert!(!got.installed.exists());
    assert!(!ran.exists(), "the unverified binary never ran");
}

#[test]
fn the_tag_comes_from_the_action_checkout_when_github_action_ref_is_empty() {
    let Some(release) = FakeRelease::serve() else {
        return;
    };
    let ran = release.publish("v9.8.7", "x86_64-unknown-linux-musl", false);
    let checkout = tempfile::tempdir().unwrap();
    let action_path = checkout.path().join("_actions/acme/dnc/v9.8.7");
    fs::create_dir_all(action_path.join(".github")).unwrap();
    fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/.github/install-dnc.sh"),
        action_path.join(".github/install-dnc.sh"),
    )
    .unwrap();
    let got = download_with(
        &release,
        "",
        "Linux",
        "X64",
        &[("GITHUB_ACTION_PATH", action_path.to_str().unwrap())],
    );
    assert_eq!(got.run.status, 0, "{}", got.run.stdout);
    assert_eq!(got.outputs, "installed=true\n");
    assert!(ran.exists());
}

#[test]
fn without_a_matching_binary_the_action_falls_back_to_a_build() {
    let Some(release) = FakeRelease::serve() else {
        return;
    };
    let ran = release.publish("v9.8.7", "x86_64-unknown-linux-musl", false);
    for (action_ref, os, arch) in [
        ("0123456789abcdef0123456789abcdef01234567", "Linux", "X64"),
        ("main", "Linux", "X64"),
        ("v9.8.7", "Linux", "ARM64"),
        ("v9.8.7", "Linux", "ARM"),
        ("v1.0.0", "Linux", "X64"),
    ] {
        let got = download(&release, action_ref, os, arch);
        assert_eq!(
            got.run.status, 0,
            "{action_ref} {os}/{arch}: {}",
            got.run.stdout
        );
        assert_eq!(got.outputs, "installed=false\n", "{action_ref} {os}/{arch}");
        assert!(!got.installed.exists());
    }
    assert!(!ran.exists());
}

#[test]
fn a_later_use_in_the_same_job_reuses_the_installed_binary() {
    let Some(release) = FakeRelease::serve() else {
        return;
    };
    let ran = release.publish("v9.8.7", "x86_64-unknown-linux-musl", false);
    let job = tempfile::tempdir().unwrap();
    let given = [("command", "plan"), ("github.action_ref", "v9.8.7")];
    let runner = [("RUNNER_OS", "Linux"), ("RUNNER_ARCH", "X64")];
    let (first, outputs, path) = install_step("download", job.path(), &release, &given, &runner);
    assert_eq!(first.status, 0, "{}", first.stdout);
    assert_eq!(outputs, "installed=true\n");
    let bin = job.path().join("dnc/bin");
    assert_eq!(
        path,
        format!("{}\n", bin.display()),
        "dnc is on the job's PATH"
    );

    // The release is gone: a second download would fail, so the next use must not download.
    fs::remove_dir_all(release.root.path().join("v9.8.7")).unwrap();
    fs::remove_file(&ran).unwrap();
    let (resolved, outputs, _) = install_step("version", job.path(), &release, &given, &runner);
    assert_eq!(resolved.status, 0, "{}", resolved.stdout);
    assert_eq!(outputs, "version=v9.8.7\nrelease=true\npresent=true\n");
    let (second, outputs, path) = install_step("download", job.path(), &release, &given, &runner);
    assert_eq!(second.status, 0, "{}", second.stdout);
    assert_eq!(
        second.stdout,
        format!("dnc: v9.8.7 is already installed in {}\n", bin.display())
    );
    assert_eq!(outputs, "installed=true\n");
    assert_eq!(path, format!("{}\n", bin.display()));
    assert!(!ran.exists(), "nothing was downloaded or run again");
}

#[test]
fn a_changed_binary_or_another_version_is_installed_again() {
    let Some(release) = FakeRelease::serve() else {
        return;
    };
    release.publish("v9.8.7", "x86_64-unknown-linux-musl", false);
    let job = tempfile::tempdir().unwrap();
    let runner = [("RUNNER_OS", "Linux"), ("RUNNER_ARCH", "X64")];
    let pinned = [("command", "plan"), ("github.action_ref", "v9.8.7")];
    let (run, _, _) = install_step("download", job.path(), &release, &pinned, &runner);
    assert_eq!(run.status, 0, "{}", run.stdout);
    let binary = job.path().join("dnc/bin/dnc");
    let verified = fs::read(&binary).unwrap();

    fs::write(&binary, "#!/bin/sh\necho tampered\n").unwrap();
    let (resolved, outputs, _) = install_step("version", job.path(), &release, &pinned, &runner);
    assert_eq!(resolved.status, 0);
    assert!(outputs.ends_with("present=false\n"), "{outputs}");
    let (run, _, _) = install_step("download", job.path(), &release, &pinned, &runner);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(!run.stdout.contains("already installed"), "{}", run.stdout);
    assert_eq!(
        fs::read(&binary).unwrap(),
        verified,
        "the verified bytes are back"
    );

    release.publish("v9.8.8", "x86_64-unknown-linux-musl", false);
    let newer = [("command", "plan"), ("version", "v9.8.8")];
    let (run, _, _) = install_step("download", job.path(), &release, &newer, &runner);
    assert_eq!(run.status, 0, "{}", run.stdout);
    let stamp = fs::read_to_string(job.path().join("dnc/bin/.installed")).unwrap();
    assert!(stamp.starts_with("v9.8.8 "), "{stamp}");
}

#[test]
fn an_explicit_version_installs_that_release_or_fails_with_the_reason() {
    let Some(release) = FakeRelease::serve() else {
        return;
    };
    let ran = release.publish("v9.8.7", "x86_64-unknown-linux-musl", false);
    let runner = [("RUNNER_OS", "Linux"), ("RUNNER_ARCH", "X64")];
    let install = |version: &str, runner: &[(&str, &str)]| {
        let job = tempfile::tempdir().unwrap();
        let given = [
            ("command", "plan"),
            ("version", version),
            ("github.action_ref", "main"),
        ];
        let (run, outputs, _) = install_step("download", job.path(), &release, &given, runner);
        (run, outputs, job.path().join("dnc/bin/dnc").exists())
    };

    let (run, outputs, installed) = install("9.8.7", &runner);
    assert_eq!(run.status, 0, "a version without its v: {}", run.stdout);
    assert_eq!(outputs, "installed=true\n");
    assert!(installed && ran.exists());

    for (version, runner, reason) in [
        (
            "v9.9.9",
            &runner[..],
            "::error title=dnc install::release v9.9.9 has no dnc-v9.9.9-x86_64-unknown-linux-musl.tar.gz: version v9.9.9 cannot be installed (the action builds from source only when no version is given)\n",
        ),
        (
            "9.8.7",
            &[("RUNNER_OS", "Linux"), ("RUNNER_ARCH", "ARM")][..],
            "::error title=dnc install::no release binary for Linux/ARM: version v9.8.7 cannot be installed (the action builds from source only when no version is given)\n",
        ),
        (
            "latest",
            &runner[..],
            "::error title=dnc install::version `latest` is not a release: write a tag such as v0.2.0, or leave version empty to use the action's own ref\n",
        ),
    ] {
        let (run, outputs, installed) = install(version, runner);
        assert_eq!(run.status, 1, "{version}: {}", run.stdout);
        assert_eq!(run.stdout, reason, "{version}");
        assert_eq!(outputs, "", "{version}: no build of something else either");
        assert!(!installed, "{version}");
    }
}

#[test]
fn the_release_cache_is_keyed_by_the_resolved_version_and_skipped_when_present() {
    let action = action();
    let cache = steps(&action)
        .iter()
        .find(|step| step["name"] == "Restore the dnc release binary")
        .unwrap();
    assert_eq!(
        cache["if"],
        "steps.version.outputs.release == 'true' && steps.version.outputs.present != 'true'"
    );
    assert_eq!(cache["with"]["path"], "${{ runner.temp }}/dnc/bin");
    assert_eq!(
        cache["with"]["key"],
        "dnc-bin-${{ runner.os }}-${{ runner.arch }}-${{ steps.version.outputs.version }}"
    );
    let order: Vec<_> = steps(&action)
        .iter()
        .filter_map(|step| step["id"].as_str())
        .collect();
    assert_eq!(
        order[..2],
        ["version", "download"],
        "resolve, restore, then install"
    );
}
