//! The approval trail of `dnc apply`: the run's own ledger line (who ran it, the overrides
//! given, the pull request that merged the applied commit) and, when a safety gate refuses
//! the plan, the `refused` line, recorded locally and on the ledger branch.

use crate::apply::Provenance;
use crate::cli::ApplyArgs;
use crate::github::{self, GithubContext};
use crate::ledger::{self, Ledger};
use crate::ledger_git::LedgerBranch;
use crate::manifest::Config;
use crate::plan::Plan;
use crate::trail::{Gate, Identity, Overrides, Refusal, RunKind, RunRecord, Trail};
use std::path::Path;

/// This run's line: inside GitHub Actions it asks GitHub for the pull request behind the
/// applied commit. What GitHub does not answer is recorded as unknown with the reason and
/// warned about; the apply goes ahead, because opt-outs must not wait for GitHub's API.
pub async fn run_record(root: &Path, plan: &Plan, args: &ApplyArgs, who: &Provenance) -> RunRecord {
    let trail = match GithubContext::from_env() {
        Ok(Some(ctx)) => {
            let ctx = ctx.with_retry_budget(args.target.retry_budget);
            Some(github::merge_trail(&ctx).await)
        }
        Ok(None) => None,
        Err(e) => Some(Trail::Unknown {
            reason: e.to_string(),
        }),
    };
    if let Some(Trail::Unknown { reason }) = &trail {
        crate::progress::note(&format!(
            "warning: who approved this change is unknown ({}); the ledger records the run with that reason",
            crate::escape::terminal(reason)
        ));
    }
    let repo = crate::git::Git::at(root);
    RunRecord {
        time: ledger::now(),
        run: None,
        kind: RunKind::Run,
        plan_hash: plan.hash.clone(),
        commit: who.commit.clone(),
        by: Identity::of_runner(
            |k| std::env::var(k).ok(),
            |key| repo.value(&["config", key]),
        ),
        trail,
        overrides: Overrides {
            allow_removals: args.allow_removals,
            allow_early_removals: args.allow_early_removals,
        },
        refused: None,
        prev: None,
    }
}

/// Where a refusal is recorded.
pub struct Refused<'a> {
    pub ledger: &'a mut Ledger,
    pub remote: &'a str,
    pub branch: Option<&'a str>,
    pub config: &'a Config,
}

impl Refused<'_> {
    /// Appends the `refused` line and pushes it to the ledger branch. A refusal that cannot
    /// be recorded is warned about (with how to record it later); the apply fails either way.
    pub fn record(
        self,
        mut run: RunRecord,
        plan: &Plan,
        gate: Gate,
        error: &dyn std::fmt::Display,
    ) {
        run.time = ledger::now();
        run.kind = RunKind::Refused;
        run.refused = Some(Refusal {
            gate,
            message: error.to_string(),
            removals: plan.safety.removals,
            early_removals: plan.safety.early_removals.len() as u64,
        });
        let path = self.ledger.path().display().to_string();
        if let Err(e) = self
            .ledger
            .append_run(run)
            .and_then(|()| self.ledger.sync())
        {
            crate::progress::note(&format!("warning: the refusal was not recorded: {e}"));
            return;
        }
        crate::progress::note(&format!("The refusal is recorded in the ledger {path}."));
        let Some(branch) = self.branch else {
            return;
        };
        let pushed = self
            .ledger
            .this_run_lines()
            .map_err(|e| e.to_string())
            .and_then(|lines| {
                let subject = format!(
                    "dnc apply {}: refused by the {} gate, plan {}",
                    lines
                        .iter()
                        .find_map(ledger::Line::commit)
                        .map_or("(no commit)", ledger::short_hash),
                    gate.text(),
                    ledger::short_hash(&plan.hash)
                );
                LedgerBranch::new(&self.config.root, self.remote, branch)
                    .push(&lines, &subject, self.config.ledger_root.as_deref())
                    .map_err(|e| e.to_string())
            });
        match pushed {
            Ok(p) => {
                if let Some(commit) = p.commit {
                    crate::progress::note(&format!(
                        "The refusal is recorded on {branch} ({}): commit {commit}",
                        self.remote
                    ));
                }
            }
            Err(reason) => crate::progress::note(&format!(
                "warning: the refusal was not recorded on {branch}: {}; record it later with `dnc ledger --ledger {path} --push-to {branch} --remote {}`",
                crate::escape::terminal(&reason),
                self.remote
            )),
        }
    }
}

/// The runs as `dnc ledger` prints them under the operations: one aligned row per run.
pub fn table(runs: &[RunRecord]) -> String {
    const COLUMNS: [&str; 7] = [
        "time",
        "run",
        "commit",
        "plan",
        "run by",
        "approval trail",
        "flags",
    ];
    let rows: Vec<[String; 7]> = runs
        .iter()
        .map(|r| {
            let outcome = match &r.refused {
                Some(f) => format!("REFUSED ({} gate)", f.gate.text()),
                None => "applied".to_string(),
            };
            let by = match r.overrides.text() {
                o if o.is_empty() => format!("{} ({})", r.by.name, r.by.from),
                o => format!("{} ({}), {o}", r.by.name, r.by.from),
            };
            let trail = r.trail.as_ref().map_or_else(
                || "not recorded (outside GitHub Actions)".into(),
                Trail::text,
            );
            [
                r.time.clone(),
                outcome,
                r.commit
                    .as_deref()
                    .map_or("", ledger::short_hash)
                    .to_string(),
                ledger::short_hash(&r.plan_hash).to_string(),
                by,
                trail,
                crate::trail::flags(r).join(", "),
            ]
        })
        .collect();
    format!(
        "\nApply runs ({}):\n{}",
        runs.len(),
        crate::ledger_table::aligned(COLUMNS, &rows)
    )
}
