//! Running the `dnc` binary the way a person or a workflow does, from an empty environment.

use std::path::Path;
use std::process::Command;

/// What a `dnc` run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the run exited 0, showing what it printed when it did not.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "{}{}", self.stdout, self.stderr);
        self
    }

    /// Asserts the run exited with `code` (non-zero: use `ok` for success).
    #[track_caller]
    pub fn fails(self, code: i32) -> Run {
        assert_ne!(code, 0, "a failure has a non-zero exit code");
        assert_eq!(self.code, code, "{}{}", self.stdout, self.stderr);
        self
    }
}

/// `dnc ARGS` in `dir` from an empty environment: only `PATH` (dnc runs git) comes from the
/// test process, plus a hermetic git (`dir` as HOME, no user or system config), `NO_COLOR`
/// and millisecond retry backoff. Whatever else a test needs (the target, GitHub's
/// variables, CI) it sets itself.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dnc"));
    cmd.current_dir(dir).arg("--color").arg("never").args(args);
    super::git::hermetic(&mut cmd, dir);
    cmd.env("NO_COLOR", "1");
    // Retry backoff in milliseconds: no test waits on real retry delays.
    cmd.env("DNC_RETRY_BASE_DELAY_MS", "1");
    cmd
}

/// Runs `cmd` to its end.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run dnc");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// `dnc ARGS` in `dir` from an empty environment plus `env`, however it exits.
pub fn dnc(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run(command(dir, args).envs(env.iter().copied()))
}

/// `dnc ARGS` in `dir`, asserting it exits 0.
#[track_caller]
pub fn dnc_ok(dir: &Path, args: &[&str]) -> Run {
    dnc(dir, args, &[]).ok()
}

/// `dnc ARGS` in `dir`, asserting it exits with `code`.
#[track_caller]
pub fn dnc_fail(dir: &Path, code: i32, args: &[&str]) -> Run {
    dnc(dir, args, &[]).fails(code)
}
