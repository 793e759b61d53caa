//! A config-and-manifests project in a temp dir, and `dnc` runs in it against a sandbox.

use super::run::{Run, command, run};
use super::sandbox::Sandbox;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use tempfile::TempDir;

pub struct Project {
    pub dir: TempDir,
}

impl Project {
    pub fn new(config: &str, files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("dnc.yaml"), config).expect("write config");
        let p = Project { dir };
        for (path, text) in files {
            p.write(path, text);
        }
        p
    }

    pub fn write(&self, path: &str, text: &str) {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `dnc ARGS` in the project with no target configured.
    pub fn command(&self, args: &[&str]) -> Command {
        command(self.dir.path(), args)
    }

    /// `dnc ARGS` in the project aimed at `sandbox` (and its offset cap).
    pub fn targeting(&self, sandbox: &Sandbox, args: &[&str]) -> Command {
        let mut cmd = self.command(args);
        cmd.envs(sandbox.target());
        cmd
    }

    /// What a GitHub Actions runner sets for a step of `acme/dnc-lists`: its summary and
    /// outputs files are `summary.md` and `outputs.txt` in the project.
    pub fn github_step(&self) -> [(&'static str, OsString); 4] {
        [
            ("GITHUB_ACTIONS", "true".into()),
            ("GITHUB_REPOSITORY", "acme/dnc-lists".into()),
            ("GITHUB_STEP_SUMMARY", self.path("summary.md").into()),
            ("GITHUB_OUTPUT", self.path("outputs.txt").into()),
        ]
    }

    /// `dnc ARGS` against `sandbox`, however it exits.
    pub fn dnc(&self, sandbox: &Sandbox, args: &[&str]) -> Run {
        run(&mut self.targeting(sandbox, args))
    }

    /// `dnc ARGS` against `sandbox`, asserting it exits 0.
    #[track_caller]
    pub fn dnc_ok(&self, sandbox: &Sandbox, args: &[&str]) -> Run {
        self.dnc(sandbox, args).ok()
    }

    /// `dnc ARGS` against `sandbox`, asserting it exits with `code`.
    #[track_caller]
    pub fn dnc_fail(&self, sandbox: &Sandbox, code: i32, args: &[&str]) -> Run {
        self.dnc(sandbox, args).fails(code)
    }
}

/// The plan's JSON from `dnc plan --format json`.
pub fn plan_json(project: &Project, sandbox: &Sandbox, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["plan", "--format", "json"];
    args.extend_from_slice(extra);
    let out = project.dnc_ok(sandbox, &args);
    serde_json::from_str(&out.stdout).expect("plan JSON")
}

/// Counts of each action in a plan JSON, in create/update/remove/prune order.
pub fn counts(plan: &serde_json::Value) -> [usize; 4] {
    let mut out = [0; 4];
    for scope in plan["scopes"].as_array().expect("scopes") {
        for change in scope["changes"].as_array().expect("changes") {
            let i = ["create", "update", "remove", "prune"]
                .iter()
                .position(|a| change["action"] == *a)
                .expect("a known action");
            out[i] += 1;
        }
    }
    out
}
