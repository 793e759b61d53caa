//! `dnc plan`: load and check the manifests, read the remote lists, show the difference.

use super::{Output, load_valid, runtime};
use crate::cli::{PlanArgs, PlanFormat};
use crate::exit::Exit;
use crate::github::{self, CommentOutcome, GithubContext, PlanPublication};
use crate::plan::Plan;
use crate::plan::render::{self, Options};
use crate::plan::saved::{self, SavedPlan};
use crate::target;
use miette::Result;
use std::cell::Cell;
use std::time::Instant;

pub fn run(args: PlanArgs, out: Output) -> Result<Exit> {
    let laps = Laps::new(args.timings);
    let (config, desired) = load_valid(&args.path, out)?;
    laps.lap("load");
    let opts = super::read_options(&args.target, &desired);
    let plan = runtime()?.block_on(async {
        let connected = target::connect(&args.target, &config).await?;
        // People see first where the plan comes from; machine formats keep stdout clean.
        let announce = format!("Target: {}", connected.description);
        match args.format {
            PlanFormat::Human => println!("{announce}"),
            _ => eprintln!("{announce}"),
        }
        laps.lap("connect");
        let plan = crate::plan::make_with_laps(&connected.client, &config, &desired, &opts, |p| {
            laps.lap(p)
        })
        .await;
        connected.close().await;
        plan.map_err(|e| super::read_failed(e, &args.path))
    })?;
    let render_opts = Options {
        color: out.color,
        mask_numbers: args.mask_numbers,
    };
    match args.format {
        PlanFormat::Human => print!("{}", render::human(&plan, render_opts)),
        PlanFormat::Markdown => print!("{}", render::markdown(&plan, render_opts)),
        PlanFormat::Json => println!("{}", render::json(&plan)),
    }
    if let Some(path) = &args.out {
        saved::save(
            path,
            &SavedPlan {
                config: args.path.clone(),
                plan: plan.clone(),
            },
        )?;
        eprintln!("Saved plan {} to {}", plan.hash, path.display());
    }
    laps.lap("render");
    publish(&args, &plan, render_opts)?;
    super::refuse_if_incomplete(
        &plan,
        "the plan above",
        "it is partial and must not be applied",
    )?;
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

/// Inside GitHub Actions: the step summary, the step outputs and, with `--comment`, the
/// sticky pull-request comment. Outside, nothing.
fn publish(args: &PlanArgs, plan: &Plan, opts: Options) -> Result<()> {
    let Some(ctx) =
        GithubContext::from_env()?.map(|ctx| ctx.with_retry_budget(args.target.retry_budget))
    else {
        if args.comment {
            eprintln!("note: --comment does nothing outside GitHub Actions");
        }
        return Ok(());
    };
    let markdown = render::markdown(plan, opts);
    let config_path = args.path.to_string_lossy();
    let publication = PlanPublication {
        config_path: &config_path,
        markdown: &markdown,
        has_changes: plan.has_changes(),
        complete: plan.is_complete(),
        plan_hash: &plan.hash,
        comment: args.comment,
    };
    let published = runtime()?.block_on(github::publish_plan(&ctx, &publication))?;
    match published.comment {
        Some(CommentOutcome::Created { url, .. }) => eprintln!("Posted the plan comment: {url}"),
        Some(CommentOutcome::Updated { url, .. }) => eprintln!("Updated the plan comment: {url}"),
        Some(CommentOutcome::Unchanged { .. }) => {
            eprintln!("The plan comment is already up to date")
        }
        Some(CommentOutcome::Skipped) => {
            eprintln!("No changes and no earlier plan comment: none posted")
        }
        None if args.comment => eprintln!("note: not a pull request; no comment posted"),
        None => {}
    }
    Ok(())
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
            eprintln!("timing: {phase} {:.3}s", (now - last.get()).as_secs_f64());
            last.set(now);
        }
    }
}
