//! A config-and-manifests project in a temp dir, and `dnc` runs against a sandbox.

use crate::harness::{Sandbox, TOKEN};
use dnc::sandbox::SeedEntry;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

pub struct Project {
    pub dir: TempDir,
}

/// A config managing global (pruned when `prune_global`), 111, 222 (pruned) and purpose-type.
pub fn config(prune_global: bool, max_removals: u32) -> String {
    format!(
        "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n    prune: {prune_global}\n  - scope: 111\n    name: Sales Campaign\n  - scope: 222\n    name: Renewals\n    prune: true\n  - scope: purpose-type\nsafety:\n  max_removals: {max_removals}\n  max_removal_percent: 100\n"
    )
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

    /// `dnc ARGS` in the project directory against `sandbox` (and its offset cap), without
    /// color or CI.
    pub fn dnc(&self, sandbox: &Sandbox, args: &[&str]) -> Output {
        self.command(args)
            .env("DNC_API_URL", sandbox.url.as_str())
            .env("DNC_AUTH_TOKEN", TOKEN)
            .env("DNC_API_MAX_OFFSET", sandbox.max_offset.to_string())
            .output()
            .expect("run dnc")
    }

    /// `dnc ARGS` in the project with no target configured.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = crate::run::command(self.dir.path(), args);
        cmd.env(
            "GIT_CEILING_DIRECTORIES",
            self.dir.path().parent().unwrap_or(Path::new("/")),
        );
        cmd
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn seed(
    number: &str,
    campaign_id: i64,
    reason: Option<&str>,
    purpose: Option<&str>,
) -> SeedEntry {
    SeedEntry {
        phone_code: 1,
        phone_number: number.to_string(),
        campaign_id,
        reason: reason.map(str::to_string),
        purpose: purpose.map(str::to_string),
        insert_date: "2020-03-03 10:30:00".to_string(),
    }
}

/// The plan's JSON from `dnc plan --format json`.
pub fn plan_json(project: &Project, sandbox: &Sandbox, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["plan", "--format", "json"];
    args.extend_from_slice(extra);
    let out = project.dnc(sandbox, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("plan JSON")
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
