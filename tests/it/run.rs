//! Running the `dnc` binary the way a person or a workflow does, with a clean environment.

use std::path::Path;
use std::process::{Command, Output};

/// A config managing global, campaign 111 and purpose-type, reading `lists/*.yaml`.
pub const CONFIG: &str = "\
version: 1
manifests: [\"lists/*.yaml\"]
phone_code: 1
scopes:
  - scope: global
  - scope: 111
    name: Sales Campaign
  - scope: purpose-type
";

/// What a `dnc` run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `dnc ARGS` in `dir` with every variable that changes dnc's behaviour (target, CI,
/// GitHub, color, retry budget) removed, and millisecond retry backoff.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dnc"));
    cmd.current_dir(dir).arg("--color").arg("never").args(args);
    for var in [
        "DNC_API_URL",
        "DNC_AUTH_TOKEN",
        "DNC_API_MAX_OFFSET",
        "DNC_MASK_NUMBERS",
        "DNC_COMMENT",
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "GITHUB_EVENT_PATH",
        "GITHUB_TOKEN",
        "GITHUB_WORKSPACE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    // Retry backoff in milliseconds: no test waits on real retry delays.
    cmd.env("DNC_RETRY_BASE_DELAY_MS", "1");
    cmd.env_remove("DNC_RETRY_BUDGET");
    cmd
}

/// Runs `dnc ARGS` in `dir` with a clean environment plus `env`.
pub fn dnc(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = command(dir, args);
    cmd.envs(env.iter().copied());
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run dnc");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}
