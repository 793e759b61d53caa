//! `dnc plan --record-drift BRANCH`: the drift check on the record, one `drift` line appended
//! to the ledger branch through the same push as apply's lines (see `drift`).

use crate::cli::PlanArgs;
use crate::drift;
use crate::git::PushTarget;
use crate::ledger;
use crate::ledger_git::LedgerBranch;
use crate::plan::Plan;
use miette::Result;
use std::path::Path;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DriftError {
    #[error("the drift check was not recorded on {branch}: {reason}")]
    #[diagnostic(
        code(dnc::drift::record),
        help(
            "the job needs to push {branch} (contents: write, with rulesets protecting main) and dnc.yaml must pin its root; fix that and run the check again"
        )
    )]
    Record { branch: String, reason: String },
}

/// Before anything is read: a branch or remote dnc would refuse to push to stops here.
pub(super) fn check_target(args: &PlanArgs, root: &Path) -> Result<()> {
    let Some(branch) = &args.record_drift else {
        return Ok(());
    };
    let target = PushTarget {
        branch,
        branch_flag: "--record-drift",
        remote: &args.ledger_remote,
        remote_flag: "--ledger-remote",
    };
    super::check_push_target(&target, root)
}

/// Appends the check's line to the branch and pushes it; a branch no apply has started yet
/// has nothing to check against, so nothing is recorded there.
pub(super) fn record(args: &PlanArgs, root: &Path, plan: &Plan) -> Result<()> {
    let Some(branch) = &args.record_drift else {
        return Ok(());
    };
    let failed = |reason: String| DriftError::Record {
        branch: branch.clone(),
        reason,
    };
    let target = LedgerBranch {
        repo: root.to_path_buf(),
        remote: args.ledger_remote.clone(),
        branch: branch.clone(),
    };
    let Some(ledger::Split {
        records, checks, ..
    }) = target.fetch_all().map_err(|e| failed(e.to_string()))?
    else {
        stderrln!(
            "note: {branch} does not exist on {} (no apply has recorded one yet): the drift check is not recorded",
            args.ledger_remote
        )?;
        return Ok(());
    };
    let ops = ledger::operations(records);
    let mut check = drift::check(plan, &ledger::now(), &ops, &checks);
    let who = super::apply::provenance(root);
    check.run = Some(crate::ledger_file::run_id());
    check.commit = who.commit;
    check.actor = who.actor;
    let (config, _) = crate::manifest::load_config(&args.path);
    let pin = config.and_then(|c| c.ledger_root);
    let subject = format!("dnc drift check: {}", check.summary());
    let line = ledger::Line::Drift(check.clone());
    let pushed = target
        .push(std::slice::from_ref(&line), &subject, pin.as_deref())
        .map_err(|e| failed(e.to_string()))?;
    if let Some(commit) = pushed.commit {
        stderrln!(
            "Drift check recorded on {branch} ({}): {}, commit {commit}",
            args.ledger_remote,
            check.summary()
        )?;
    }
    Ok(())
}
