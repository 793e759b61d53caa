//! `dnc apply`: plan afresh (or check a saved plan still holds), confirm, execute, record.

use super::{Output, load_valid};
use crate::apply::{self, Provenance, Summary, gates};
use crate::cli::{ApplyArgs, OutputFormat};
use crate::exit::Exit;
use crate::github::{self, GithubContext, Reviewed};
use crate::ledger::{self, Event, Ledger, Record};
use crate::ledger_git::{LedgerBranch, LedgerGitError};
use crate::manifest::Config;
use crate::manifest::model::ApprovalPolicy;
use crate::plan::render::{self, Options};
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{Change, Plan, Wants};
use crate::target;
use miette::{IntoDiagnostic, Result};
use std::io::{BufRead, IsTerminal};
use std::path::Path;

pub fn run(args: ApplyArgs, out: Output) -> Result<Exit> {
    let saved = saved_plan(&args.path)?;
    let config_path = saved
        .as_ref()
        .map_or(args.path.clone(), |s| s.config.clone());
    let (config, desired) = load_valid(&config_path, out)?;
    // Before anything is sent: a bad ledger branch, and a second apply on this config (on
    // the lock), stop here.
    if let Some(branch) = &args.ledger_branch {
        let target = crate::git::PushTarget {
            branch,
            branch_flag: "--ledger-branch",
            remote: &args.ledger_remote,
            remote_flag: "--ledger-remote",
        };
        super::check_push_target(&target, &config.root)?;
    }
    let mut ledger = open_ledger(&ledger::Place::of(&config.root, args.ledger.as_deref()))?;
    let ledger_path = ledger.path().to_path_buf();
    let mut who = provenance(&config.root);
    let opts = super::read_options(&args.target, &desired);
    let before = applied_before(&args, &config.root, &ledger_path)?;
    let applied = &before.applied;
    if let Some(saved) = &saved {
        saved::check_target(
            &args.path,
            saved,
            &target::identity(&super::target(&args.target)?),
        )?;
        super::refuse_if_incomplete(&saved.plan, "the saved plan", "nothing was applied")?;
    }
    let json = args.format == OutputFormat::Json;
    // With --format json, stdout holds only the JSON; what people read goes to stderr.
    let say = |text: &str| {
        if json {
            stderr!("{text}")
        } else {
            stdout!("{text}")
        }
    };
    one_thread()?.block_on(async {
        let connected = target::connect(&super::target(&args.target)?, &config).await?;
        say(&format!("Target: {}\n", connected.description))?;
        let wants = Wants {
            config: &config,
            desired: &desired,
            applied,
            today: super::today(),
        };
        let plan = crate::plan::make(&connected.client, wants, &opts)
            .await
            .map_err(|e| super::read_failed(e, &config_path))?;
        super::refuse_if_incomplete(&plan, "this plan", "nothing was applied")?;
        if let Some(saved) = &saved {
            refuse_if_stale(&saved.plan, &plan)?;
        }
        say(&render::human(
            &plan,
            Options {
                color: out.color && !json,
                mask_numbers: args.mask_numbers,
                full: args.full,
            },
        ))?;
        if !plan.has_changes() {
            say("\nNothing to apply.\n")?;
            connected.close().await;
            if json {
                print_json(&plan, &Summary::default(), &ledger_path, Vec::new())?;
            }
            return Ok(Exit::Success);
        }
        let mut run = super::trail::run_record(&config.root, &plan, &args, &who).await;
        if let Some(trail) = &run.trail {
            say(&format!(
                "\nApproval trail: {}\n",
                crate::escape::terminal(&trail.text())
            ))?;
        }
        who.reviewed = reviewed(&config, &plan, &args).await?;
        who.restores = crate::drift::restores(&plan, &before.ops, &before.checks);
        let allowed = gates::Allowed {
            removals: args.allow_removals,
            early_removals: args.allow_early_removals,
        };
        let judged = match gates::check(&plan, config.approvals, allowed, who.reviewed.as_ref()) {
            Ok(judged) => judged,
            Err(refusal) => {
                let refused = super::trail::Refused {
                    ledger: &mut ledger,
                    remote: &args.ledger_remote,
                    branch: args.ledger_branch.as_deref(),
                    config: &config,
                };
                refused.record(run, &plan, refusal.gate(), &refusal);
                return Err(refusal.into());
            }
        };
        if let Some(r) = who.reviewed.as_ref().filter(|_| judged.all_removals) {
            say(&format!(
                "\nEvery removal is approved by a reviewer of pull request #{}.\n",
                r.pull_request
            ))?;
        }
        if let Some(branch) = &args.ledger_branch {
            LedgerBranch::new(&config.root, &args.ledger_remote, branch)
                .check_pin(config.ledger_root.as_deref())
                .map_err(|e| ApplyError::LedgerRefused {
                    branch: branch.clone(),
                    reason: e.to_string(),
                })?;
        }
        confirm(&plan, args.yes)?;
        // The run's trail is its first line: an interrupted run still says who decided.
        run.time = ledger::now();
        ledger.append_run(run)?;
        let exec = apply::Options {
            concurrency: args.concurrency.into(),
        };
        // A cancelled job (SIGINT, then SIGTERM) stops sending requests and still records what
        // began: operations in flight keep a start line and no finish line.
        let executed = tokio::select! {
            done = apply::execute(&connected.client, &plan, &mut ledger, &who, exec) => done,
            () = super::signal::stop() => Err(ApplyError::Interrupted.into()),
        };
        connected.close().await;
        // Recorded in git also when the run failed part-way: its start lines say what began.
        if let Some(branch) = &args.ledger_branch {
            record_in_git(&config, &args.ledger_remote, branch, &ledger, &plan, &who)?;
        }
        let summary = executed?;
        if json {
            let mut finished: Vec<Record> = ledger.this_run()?;
            finished.retain(|r| r.event == Event::Finish);
            finished.sort_by_key(|r| r.op);
            print_json(&plan, &summary, &ledger_path, finished)?;
        } else {
            report(&summary, &ledger_path)?;
        }
        Ok(Exit::error_if(summary.failed + summary.not_sent > 0))
    })
}

/// The executor's work per request is small next to the API's: one thread drives the
/// requests and their connections, which spares a thread wake-up per answer and leaves the
/// other cores to the API when it runs on this machine (benches/apply_scale.rs).
fn one_thread() -> Result<tokio::runtime::Runtime> {
    // Fails only when the OS refuses an event loop: nothing a user can fix here.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .into_diagnostic()
}

/// Why an apply stopped or sent nothing: each names what the operator can do.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ApplyError {
    #[error("stopped by a signal; operations in flight have no outcome in the ledger")]
    #[diagnostic(
        code(dnc::apply::interrupted),
        help("run the apply again: it finishes what was interrupted")
    )]
    Interrupted,
    #[error("the changes were applied but recording the ledger on {branch} failed: {reason}")]
    #[diagnostic(
        code(dnc::apply::ledger_branch),
        help(
            "the lines are in the local ledger; record them later with `dnc ledger LEDGER --push-to {branch} --remote {remote}`"
        )
    )]
    LedgerBranch {
        branch: String,
        remote: String,
        reason: String,
    },
    #[error("nothing was applied: the ledger branch {branch} cannot record it: {reason}")]
    #[diagnostic(
        code(dnc::apply::ledger_refused),
        help(
            "every change must land on the pinned ledger; see docs/auditors.md (The ledger's chain)"
        )
    )]
    LedgerRefused { branch: String, reason: String },
    #[error("the saved plan {hash} is stale ({count} differences above); nothing was applied")]
    #[diagnostic(
        code(dnc::apply::stale),
        help("run `dnc plan --out FILE` again, review it, and apply the new file")
    )]
    Stale { hash: String, count: usize },
    #[error("not on a terminal, so no one can confirm; nothing was applied")]
    #[diagnostic(
        code(dnc::apply::no_terminal),
        help("pass --yes to apply without a prompt")
    )]
    NoTerminal,
    #[error("not confirmed; nothing was applied")]
    #[diagnostic(code(dnc::apply::not_confirmed), help("answer exactly `yes` to apply"))]
    NotConfirmed,
    #[error("cannot read the answer to the prompt; nothing was applied")]
    #[diagnostic(
        code(dnc::apply::answer),
        help("type yes and press Enter, or pass --yes to apply without a prompt")
    )]
    Answer(#[source] std::io::Error),
}

fn ledger_branch_error(branch: &str, remote: &str, e: LedgerGitError) -> ApplyError {
    ApplyError::LedgerBranch {
        branch: branch.to_string(),
        remote: remote.to_string(),
        reason: e.to_string(),
    }
}

/// Appends this run's ledger lines to the ledger branch and pushes it.
fn record_in_git(
    config: &Config,
    remote: &str,
    branch: &str,
    ledger: &Ledger,
    plan: &Plan,
    who: &Provenance,
) -> Result<()> {
    let records = ledger.this_run_lines()?;
    let target = LedgerBranch::new(&config.root, remote, branch);
    let pushed =
        apply::record_on_branch(&target, &records, plan, who, config.ledger_root.as_deref())
            .map_err(|e| ledger_branch_error(branch, remote, e))?;
    if let Some(commit) = &pushed.commit {
        stdoutln!("Ledger recorded on {branch} ({remote}): commit {commit}")?;
    }
    super::ledger::after_push(branch, config.ledger_root.as_deref(), &pushed)?;
    Ok(())
}

/// A plan file (JSON) rather than a config.
fn saved_plan(path: &Path) -> Result<Option<SavedPlan>> {
    let is_plan = path.is_file()
        && std::fs::read(path)
            .map_err(super::CommandError::read(path))?
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            == Some(&b'{');
    Ok(is_plan.then(|| saved::load(path)).transpose()?)
}

/// Lists every difference on stderr (unwrapped, one per line) before refusing.
fn refuse_if_stale(saved: &Plan, fresh: &Plan) -> Result<()> {
    let diffs = saved::staleness(saved, fresh);
    if diffs.is_empty() {
        return Ok(());
    }
    for d in &diffs {
        stderrln!("  - {}", crate::escape::terminal(d))?;
    }
    Err(ApplyError::Stale {
        hash: render::short_hash(saved).to_string(),
        count: diffs.len(),
    }
    .into())
}

/// The pull request whose reviews may confirm the tombstones' approvals: looked up only
/// inside GitHub Actions, when the config accepts approvals and a removal carries one.
async fn reviewed(config: &Config, plan: &Plan, args: &ApplyArgs) -> Result<Option<Reviewed>> {
    let approved = plan.changes().any(|c| {
        matches!(
            c,
            Change::Remove {
                approval: Some(_),
                ..
            }
        )
    });
    if config.approvals == ApprovalPolicy::Ignored || !approved {
        return Ok(None);
    }
    let Some(ctx) =
        GithubContext::from_env()?.map(|c| c.with_retry_budget(args.target.retry_budget))
    else {
        return Ok(None);
    };
    Ok(github::reviewed_pull_request(&ctx).await?)
}

fn confirm(plan: &Plan, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(ApplyError::NoTerminal.into());
    }
    stdout!(
        "\nApply {}? Only 'yes' is accepted: ",
        render::summary(plan)
    )?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(ApplyError::Answer)?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(ApplyError::NotConfirmed.into())
    }
}

/// Opens the ledger under its lock, saying so when a torn last line was found.
fn open_ledger(place: &ledger::Place) -> Result<Ledger> {
    let ledger = Ledger::open(place)?;
    if ledger.had_torn_line() {
        stderrln!(
            "note: the ledger {} ended in a torn line (a write cut short): it was ended with a \
             newline, so nothing is written onto it; readers skip it if it is incomplete",
            place.path().display()
        )?;
    }
    Ok(ledger)
}

/// What earlier applies recorded: the ledger file, and the ledger branch as its remote holds
/// it now. A branch that cannot be fetched only means more re-asserts, so it is a warning.
/// Also the branch's operations and drift checks, the record a restore's gap is found from.
fn applied_before(args: &ApplyArgs, root: &Path, ledger_path: &Path) -> Result<Before> {
    let ledger::Split {
        records, checks, ..
    } = match &args.ledger_branch {
        Some(branch) => {
            let target = LedgerBranch {
                repo: root.to_path_buf(),
                remote: args.ledger_remote.clone(),
                branch: branch.clone(),
            };
            match target.fetch_all() {
                Ok(lines) => lines.unwrap_or_default(),
                Err(e) => {
                    stderrln!(
                        "warning: the ledger branch {branch} was not read ({e}); using {} only",
                        ledger_path.display()
                    )?;
                    ledger::Split::default()
                }
            }
        }
        None => ledger::Split::default(),
    };
    Ok(Before {
        ops: ledger::operations(records.clone()),
        applied: super::applied(root, Some(ledger_path), records)?,
        checks,
    })
}

/// What the ledger holds before this apply.
struct Before {
    applied: crate::known::Applied,
    ops: Vec<(Record, Option<Record>)>,
    checks: Vec<crate::drift::DriftRecord>,
}

fn print_json(
    plan: &Plan,
    summary: &Summary,
    ledger: &Path,
    operations: Vec<Record>,
) -> Result<()> {
    let report = apply::Report::new(plan, summary, ledger, operations);
    // Serializing our own struct cannot fail.
    stdoutln!(
        "{}",
        serde_json::to_string_pretty(&report).into_diagnostic()?
    )?;
    Ok(())
}

fn report(summary: &Summary, ledger: &Path) -> Result<()> {
    stdoutln!(
        "\nApplied: {} done, {} already converged, {} failed. Ledger: {}",
        summary.done,
        summary.converged,
        summary.failed,
        ledger.display()
    )?;
    for f in &summary.failures {
        stderrln!("  failed: {}", crate::escape::terminal(f))?;
    }
    if summary.not_sent > 0 {
        stderrln!(
            "  {} operations were not sent: the API refused the token or stayed unreachable (see the errors above)",
            summary.not_sent
        )?;
    }
    if summary.failed > summary.failures.len() as u64 {
        stderrln!(
            "  … and {} more failures (see the ledger)",
            summary.failed - summary.failures.len() as u64
        )?;
    }
    Ok(())
}

/// The actor and commit for the ledger: GitHub's variables first, then git.
pub(super) fn provenance(root: &Path) -> Provenance {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    Provenance::of(root, env("GITHUB_SHA"), env("GITHUB_ACTOR"))
}
