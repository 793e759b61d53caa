//! `dnc plan`: load and check the manifests, read the remote lists, show the difference.

use super::{Output, load_valid, runtime};
use crate::cli::{PlanArgs, PlanFormat};
use crate::entry::CampaignId;
use crate::exit::Exit;
use crate::github::{self, CommentOutcome, GithubContext, PlanPublication};
use crate::manifest::{self, Config};
use crate::plan::render::{self, Options};
use crate::plan::saved;
use crate::plan::{Plan, Wants};
use crate::state;
use crate::target;
use crate::target::Connected;
use miette::Result;
use std::cell::Cell;
use std::time::Instant;

pub fn run(args: PlanArgs, out: Output) -> Result<Exit> {
    let laps = Laps::new(args.timings);
    let root = manifest::config_root(&args.path);
    super::drift::check_target(&args, &root)?;
    let plan = match early_config(&args) {
        Some(config) => plan_while_loading(&args, out, &laps, &config)?,
        None => plan_after_loading(&args, out, &laps)?,
    };
    let render_opts = Options {
        color: out.color,
        mask_numbers: args.mask_numbers,
        full: args.full,
    };
    match args.format {
        PlanFormat::Human => stdout!("{}", render::human(&plan, render_opts))?,
        PlanFormat::Markdown => stdout!("{}", render::markdown(&plan, render_opts))?,
        PlanFormat::Json => stdoutln!("{}", render::json(&plan))?,
    }
    if let Some(path) = &args.out {
        saved::save(
            path,
            &args.path,
            &target::identity(&super::target(&args.target)?),
            &plan,
        )?;
        stderrln!("Saved plan {} to {}", plan.hash, path.display())?;
    }
    laps.lap("render");
    publish(&args, &plan, render_opts)?;
    super::refuse_if_incomplete(
        &plan,
        "the plan above",
        "it is partial and must not be applied",
    )?;
    super::drift::record(&args, &root, &plan)?;
    // A drift check is the proof the live lists match the records: an opt-out still missing
    // past its deadline is a compliance failure, not mere drift.
    if let Some(overdue) = args
        .detailed_exitcode
        .then(|| render::overdue_summary(&plan))
        .flatten()
    {
        return Err(super::CommandError::Overdue(overdue).into());
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

/// The config, when the remote read may start before the manifests are loaded: it is
/// valid and names a Convoso API (the embedded sandbox keeps its state next to the config,
/// so it is only started for valid manifests).
fn early_config(args: &PlanArgs) -> Option<Config> {
    let api = args
        .target
        .api_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty());
    if !api || args.target.sandbox {
        return None;
    }
    let (config, diagnostics) = manifest::load_config(&args.path);
    config.filter(|_| diagnostics.errors() == 0)
}

/// People see first where the plan comes from; machine formats keep stdout clean.
fn announce(args: &PlanArgs, connected: &Connected) -> Result<()> {
    let announce = format!("Target: {}", connected.description);
    match args.format {
        PlanFormat::Human => stdoutln!("{announce}")?,
        _ => stderrln!("{announce}")?,
    }
    Ok(())
}

/// Loads the manifests, then reads the remote state and plans.
fn plan_after_loading(args: &PlanArgs, out: Output, laps: &Laps) -> Result<Plan> {
    let (config, desired) = load_valid(&args.path, out)?;
    laps.lap("load");
    let opts = super::read_options(&args.target, &desired);
    let applied = applied(args, &config)?;
    laps.lap("ledger");
    runtime()?.block_on(async {
        let connected = target::connect(&super::target(&args.target)?, &config).await?;
        announce(args, &connected)?;
        laps.lap("connect");
        let wants = Wants {
            config: &config,
            desired: &desired,
            applied: &applied,
            today: super::today(),
        };
        let plan =
            crate::plan::make_with_laps(&connected.client, wants, &opts, |p| laps.lap(p)).await;
        connected.close().await;
        plan.map_err(|e| super::read_failed(e, &args.path))
    })
}

/// Reads the remote state while the manifests load on another thread: the read needs only
/// the config, and waiting on the API is most of a plan's time. What the user sees is what
/// [`plan_after_loading`] shows: invalid manifests end the command first, and a read that
/// came to need the manifests' numbers is done again with them.
fn plan_while_loading(args: &PlanArgs, out: Output, laps: &Laps, config: &Config) -> Result<Plan> {
    let runtime = runtime()?;
    let early = super::read_options(&args.target, &Default::default());
    let unechoed = early.unechoed.clone();
    std::thread::scope(|threads| {
        let (loaded_tx, loaded) = tokio::sync::oneshot::channel();
        // The ledger is opened on the same thread once the manifests are known valid, and
        // read there too when the API's answers lack values it holds (while the API is read).
        threads.spawn(move || {
            let started = Instant::now();
            let loaded = load_valid(&args.path, out);
            let took = started.elapsed();
            let ledger = loaded.as_ref().ok().map(|(config, _)| {
                let started = Instant::now();
                let applied = applied(args, config);
                if let Ok(applied) = &applied
                    && unechoed.load(std::sync::atomic::Ordering::Relaxed)
                {
                    applied.read_now();
                }
                (applied, started.elapsed())
            });
            let _ = loaded_tx.send((loaded, took, ledger));
        });
        runtime.block_on(async {
            let scopes: Vec<CampaignId> = config.scopes.iter().map(|s| s.id).collect();
            let read = async {
                let connected = target::connect(&super::target(&args.target)?, config).await?;
                laps.lap("connect");
                let remote = state::read_before_manifests(&connected.client, &scopes, &early).await;
                laps.lap("read");
                Ok::<_, target::TargetError>((connected, remote))
            };
            let loaded = async {
                let (loaded, took, ledger) =
                    loaded.await.expect("the loading thread always answers");
                laps.took("load", took);
                if let Some((_, took)) = &ledger {
                    laps.took("ledger", *took);
                }
                loaded.map(|(config, desired)| (config, desired, ledger.map(|(a, _)| a)))
            };
            let (mut read, mut loaded) = (std::pin::pin!(read), std::pin::pin!(loaded));
            // Invalid manifests end the command as soon as they are known.
            let ((config, desired, applied), read) = tokio::select! {
                loaded = &mut loaded => (loaded?, read.await),
                read = &mut read => (loaded.await?, read),
            };
            laps.resume();
            let (connected, remote) = read?;
            announce(args, &connected)?;
            let applied = applied.expect("read when the manifests are valid")?;
            let opts = super::read_options(&args.target, &desired);
            let remote = match remote {
                Ok(Some(remote)) => Ok(remote),
                Ok(None) => state::read(&connected.client, &scopes, &opts).await,
                Err(e) => Err(e),
            };
            let plan = match remote {
                Ok(remote) => crate::plan::from_remote(
                    &connected.client,
                    Wants {
                        config: &config,
                        desired: &desired,
                        applied: &applied,
                        today: super::today(),
                    },
                    remote,
                    &opts,
                    |p| laps.lap(p),
                )
                .await
                .map_err(|e| super::read_failed(e, &args.path)),
                Err(e) => Err(super::read_failed(e, &args.path)),
            };
            connected.close().await;
            plan
        })
    })
}

/// What dnc last applied, per `--ledger` (or the default file) and `--ledger-branch`.
fn applied(args: &PlanArgs, config: &Config) -> Result<crate::known::Applied> {
    let records = match &args.ledger_branch {
        // Before the first apply that pushes it, the branch is not there: nothing was applied
        // through it, and what the API does not show is re-asserted, visibly.
        Some(rev) if !exists(&config.root, rev) => {
            stderrln!(
                "note: the ledger branch {rev} does not exist (yet): nothing applied through it is \
                 known; reasons and purposes the API does not show are re-asserted"
            )?;
            Vec::new()
        }
        Some(rev) => crate::ledger_git::read(&config.root, rev).map_err(|e| {
            crate::known::AppliedError::Branch {
                rev: rev.clone(),
                reason: e.to_string(),
            }
        })?,
        None => Vec::new(),
    };
    Ok(super::applied(
        &config.root,
        args.ledger.as_deref(),
        records,
    )?)
}

/// Whether `rev` names a commit of the repository holding the config (a name git would read
/// as an option names none).
fn exists(root: &std::path::Path, rev: &str) -> bool {
    !rev.starts_with('-')
        && crate::git::Git::at(root)
            .value(&[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ])
            .is_some()
}

/// Inside GitHub Actions: the step summary, the step outputs and, with `--comment`, the
/// sticky pull-request comment. Outside, nothing.
fn publish(args: &PlanArgs, plan: &Plan, opts: Options) -> Result<()> {
    let Some(ctx) =
        GithubContext::from_env()?.map(|ctx| ctx.with_retry_budget(args.target.retry_budget))
    else {
        if args.comment {
            stderrln!("note: --comment does nothing outside GitHub Actions")?;
        }
        return Ok(());
    };
    let markdown = render::markdown(plan, opts);
    // The step summary lists every change, as far as GitHub keeps it.
    let full = Options { full: true, ..opts };
    let step_summary = render::markdown_within(plan, full, github::STEP_SUMMARY_MAX_BYTES as usize);
    let config_path = args.path.to_string_lossy();
    let publication = PlanPublication {
        config_path: &config_path,
        markdown: &markdown,
        step_summary: &step_summary,
        has_changes: plan.has_changes(),
        complete: plan.is_complete(),
        plan_hash: &plan.hash,
        comment: args.comment,
    };
    let published = runtime()?.block_on(github::publish_plan(&ctx, &publication))?;
    match published.comment {
        Some(CommentOutcome::Created { url, .. }) => stderrln!("Posted the plan comment: {url}")?,
        Some(CommentOutcome::Updated { url, .. }) => stderrln!("Updated the plan comment: {url}")?,
        Some(CommentOutcome::Unchanged { .. }) => {
            stderrln!("The plan comment is already up to date")?
        }
        Some(CommentOutcome::Skipped) => {
            stderrln!("No changes and no earlier plan comment: none posted")?
        }
        None if args.comment => stderrln!("note: not a pull request; no comment posted")?,
        None => {}
    }
    Ok(())
}

/// `timing: NAME 1.234s` on stderr. Best effort: timings are called for from inside the
/// read, and a plan is not failed for a measurement that could not be shown.
fn timing(phase: &str, took: std::time::Duration) {
    let _ = crate::output::stderr(format!("timing: {phase} {:.3}s\n", took.as_secs_f64()));
}

/// With `--timings`, prints each phase's duration to stderr as it ends: `timing: NAME 1.234s`.
struct Laps {
    last: Option<Cell<Instant>>,
}

impl Laps {
    fn new(enabled: bool) -> Laps {
        Laps {
            last: enabled.then(|| Cell::new(Instant::now())),
        }
    }

    fn lap(&self, phase: &str) {
        if let Some(last) = &self.last {
            let now = Instant::now();
            timing(phase, now - last.get());
            last.set(now);
        }
    }

    /// The next phase starts now (after waiting on phases that ran alongside).
    fn resume(&self) {
        if let Some(last) = &self.last {
            last.set(Instant::now());
        }
    }

    /// A phase that ran alongside the others, and took `took`.
    fn took(&self, phase: &str, took: std::time::Duration) {
        if self.last.is_some() {
            timing(phase, took);
        }
    }
}
