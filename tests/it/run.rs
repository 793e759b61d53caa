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

/// `dnc ARGS` in `dir` from an empty environment: only `PATH` (dnc runs git) comes from the
/// test process, plus `NO_COLOR` and millisecond retry backoff. Whatever else a test needs
/// (the target, GitHub's variables, CI) it sets itself.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dnc"));
    cmd.current_dir(dir).arg("--color").arg("never").args(args);
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("NO_COLOR", "1");
    // Retry backoff in milliseconds: no test waits on real retry delays.
    cmd.env("DNC_RETRY_BASE_DELAY_MS", "1");
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
