//! `dnc apply`: plan afresh (or check a saved plan still holds), confirm, execute, record.

use super::{Output, load_valid};
use crate::apply::{self, Provenance, Summary};
use crate::cli::{ApplyArgs, OutputFormat};
use crate::exit::Exit;
use crate::ledger::{self, Event, Ledger, Record};
use crate::ledger_git::{LedgerBranch, LedgerGitError};
use crate::manifest::Config;
use crate::plan::render::{self, Options};
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{Plan, Safety};
use crate::target;
use miette::{IntoDiagnostic, Result};
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::Command;

pub fn run(args: ApplyArgs, out: Output) -> Result<Exit> {
    let saved = saved_plan(&args.path)?;
    let config_path = saved
        .as_ref()
        .map_or(args.path.clone(), |s| s.config.clone());
    let (config, desired) = load_valid(&config_path, out)?;
    let ledger_path = args
        .ledger
        .clone()
        .unwrap_or_else(|| config.root.join(".dnc").join("ledger.jsonl"));
    let who = provenance(&config.root);
    let opts = super::read_options(&args.target, &desired);
    if let Some(saved) = &saved {
        super::refuse_if_incomplete(&saved.plan, "the saved plan", "nothing was applied")?;
    }
    let json = args.format == OutputFormat::Json;
    // With --format json, stdout holds only the JSON; what people read goes to stderr.
    let say = |text: &str| {
        if json {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    };
    one_thread()?.block_on(async {
        let connected = target::connect(&args.target, &config).await?;
        say(&format!("Target: {}\n", connected.description));
        let plan = crate::plan::make(&connected.client, &config, &desired, &opts)
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
            },
        ));
        if !plan.has_changes() {
            say("\nNothing to apply.\n");
            connected.close().await;
            if json {
                print_json(&plan, &Summary::default(), &ledger_path, Vec::new())?;
            }
            return Ok(Exit::Success);
        }
        check_safety(&plan.safety, args.allow_removals)?;
        check_retention(&plan.safety, args.allow_early_removals)?;
        if let Some(branch) = &args.ledger_branch {
            ledger_branch(&config.root, &args.ledger_remote, branch)
                .check_pin(config.ledger_root.as_deref())
                .map_err(|e| ApplyError::LedgerRefused {
                    branch: branch.clone(),
                    reason: e.to_string(),
                })?;
        }
        confirm(&plan, args.yes)?;
        let earlier = if json {
            records(&ledger_path)?.len()
        } else {
            0
        };
        let mut ledger = Ledger::open(&ledger_path)?;
        let exec = apply::Options {
            concurrency: args.concurrency.into(),
            bar: std::io::stderr().is_terminal(),
        };
        // A cancelled job (SIGINT, then SIGTERM) stops sending requests and still records what
        // began: operations in flight keep a start line and no finish line.
        let executed = tokio::select! {
            done = apply::execute(&connected.client, &plan, &mut ledger, &who, exec) => done,
            () = super::sandbox::stop_signal() => Err(ApplyError::Interrupted.into()),
        };
        connected.close().await;
        // Recorded in git also when the run failed part-way: its start lines say what began.
        if let Some(branch) = &args.ledger_branch {
            record_in_git(&config, &args.ledger_remote, branch, &ledger, &plan, &who)?;
        }
        let summary = executed?;
        if json {
            let mut finished: Vec<Record> = records(&ledger_path)?
                .into_iter()
                .skip(earlier)
                .filter(|r| r.event == Event::Finish)
                .collect();
            finished.sort_by_key(|r| r.op);
            print_json(&plan, &summary, &ledger_path, finished)?;
        } else {
            report(&summary, &ledger_path);
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
    #[error(
        "--allow-removals {allowed} does not match this plan's {removals} removals; nothing was applied"
    )]
    #[diagnostic(
        code(dnc::apply::removals),
        help("pass the plan's exact number of removals: --allow-removals {removals}")
    )]
    RemovalsMismatch { allowed: u64, removals: u64 },
    #[error("the plan breaches the safety limits; nothing was applied:\n  - {}", breaches.join("\n  - "))]
    #[diagnostic(
        code(dnc::apply::removals),
        help("if these removals are intended, run again with --allow-removals {removals}")
    )]
    OverLimits {
        breaches: Vec<String>,
        removals: u64,
    },
    #[error(
        "--allow-early-removals {allowed} does not match this plan's {early} removals inside the retention period; nothing was applied"
    )]
    #[diagnostic(
        code(dnc::apply::early_removals),
        help("pass the plan's exact number of early removals: --allow-early-removals {early}")
    )]
    EarlyRemovalsMismatch { allowed: u64, early: u64 },
    #[error(
        "the plan removes {early} entries whose request is younger than the retention period (listed above); nothing was applied"
    )]
    #[diagnostic(
        code(dnc::apply::early_removals),
        help(
            "record why each may be dialed again (the tombstone's removal_reason), then run again with --allow-early-removals {early}"
        )
    )]
    EarlyRemovals { early: u64 },
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

fn ledger_branch(root: &Path, remote: &str, branch: &str) -> LedgerBranch {
    LedgerBranch {
        repo: root.to_path_buf(),
        remote: remote.to_string(),
        branch: branch.to_string(),
    }
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
    let records = ledger.this_run()?;
    let target = ledger_branch(&config.root, remote, branch);
    let subject = format!(
        "dnc apply {}: plan {}, {} operations",
        who.commit
            .as_deref()
            .map_or("(no commit)", |c| &c[..12.min(c.len())]),
        render::short_hash(plan),
        records.iter().filter(|r| r.event == Event::Start).count()
    );
    let pushed = target
        .push(&records, &subject, config.ledger_root.as_deref())
        .map_err(|e| ledger_branch_error(branch, remote, e))?;
    if let Some(commit) = pushed.commit {
        println!("Ledger recorded on {branch} ({remote}): commit {commit}");
    }
    super::ledger::ask_to_pin(config.ledger_root.as_deref(), pushed.root.as_deref());
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
        eprintln!("  - {d}");
    }
    Err(ApplyError::Stale {
        hash: render::short_hash(saved).to_string(),
        count: diffs.len(),
    }
    .into())
}

/// Over the limits, only the exact count the operator names is accepted.
fn check_safety(safety: &Safety, allowed: Option<u64>) -> Result<()> {
    if safety.breaches.is_empty() {
        return Ok(());
    }
    match allowed {
        Some(n) if n == safety.removals => Ok(()),
        Some(n) => Err(ApplyError::RemovalsMismatch {
            allowed: n,
            removals: safety.removals,
        }
        .into()),
        None => Err(ApplyError::OverLimits {
            breaches: safety.breaches.clone(),
            removals: safety.removals,
        }
        .into()),
    }
}

/// Removing an entry still inside the retention period needs its exact count, like the
/// removal limits.
fn check_retention(safety: &Safety, allowed: Option<u64>) -> Result<()> {
    let early = safety.early_removals.len() as u64;
    match allowed {
        _ if early == 0 => Ok(()),
        Some(n) if n == early => Ok(()),
        Some(n) => Err(ApplyError::EarlyRemovalsMismatch { allowed: n, early }.into()),
        None => Err(ApplyError::EarlyRemovals { early }.into()),
    }
}

fn confirm(plan: &Plan, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(ApplyError::NoTerminal.into());
    }
    print!(
        "\nApply {}? Only 'yes' is accepted: ",
        render::summary(plan)
    );
    std::io::stdout()
        .flush()
        .map_err(super::CommandError::output)?;
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

/// The ledger's records so far (none before the first apply).
fn records(path: &Path) -> Result<Vec<Record>> {
    if path.exists() {
        Ok(ledger::read(path)?.0)
    } else {
        Ok(Vec::new())
    }
}

/// `--format json`: the outcome of every operation (this run's ledger finish lines, in plan
/// order) and the summary.
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    plan_hash: &'a str,
    ledger: &'a Path,
    done: u64,
    converged: u64,
    failed: u64,
    operations: Vec<Record>,
}

fn print_json(
    plan: &Plan,
    summary: &Summary,
    ledger: &Path,
    operations: Vec<Record>,
) -> Result<()> {
    let report = JsonReport {
        version: 1,
        plan_hash: &plan.hash,
        ledger,
        done: summary.done,
        converged: summary.converged,
        failed: summary.failed,
        operations,
    };
    // Serializing our own struct cannot fail.
    println!(
        "{}",
        serde_json::to_string_pretty(&report).into_diagnostic()?
    );
    Ok(())
}

fn report(summary: &Summary, ledger: &Path) {
    println!(
        "\nApplied: {} done, {} already converged, {} failed. Ledger: {}",
        summary.done,
        summary.converged,
        summary.failed,
        ledger.display()
    );
    for f in &summary.failures {
        eprintln!("  failed: {f}");
    }
    if summary.not_sent > 0 {
        eprintln!(
            "  {} operations were not sent: the API refused the token or stayed unreachable (see the errors above)",
            summary.not_sent
        );
    }
    if summary.failed > summary.failures.len() as u64 {
        eprintln!(
            "  … and {} more failures (see the ledger)",
            summary.failed - summary.failures.len() as u64
        );
    }
}

/// The actor and commit for the ledger: GitHub's variables first, then git.
fn provenance(root: &Path) -> Provenance {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    Provenance {
        commit: env("GITHUB_SHA").or_else(|| git(&["rev-parse", "HEAD"])),
        actor: env("GITHUB_ACTOR")
            .or_else(|| git(&["config", "user.email"]))
            .or_else(|| git(&["config", "user.name"])),
    }
}
