//! `dnc plan`: load and check the manifests, read the remote lists, show the difference.

use super::{Output, load_valid, runtime};
use crate::cli::{PlanArgs, PlanFormat};
use crate::plan::render::{self, Options};
use crate::plan::saved::{self, SavedPlan};
use crate::state::ReadOptions;
use crate::target;
use miette::Result;
use std::process::ExitCode;

pub fn run(args: PlanArgs, out: Output) -> Result<ExitCode> {
    let (config, desired) = load_valid(&args.path, out)?;
    let opts = ReadOptions {
        concurrency: args.target.read_concurrency.into(),
        phone_codes: super::phone_codes(&desired),
        ..ReadOptions::default()
    };
    let plan = runtime()?.block_on(async {
        let connected = target::connect(&args.target, &config).await?;
        // People see first where the plan comes from; machine formats keep stdout clean.
        let announce = format!("Target: {}", connected.description);
        match args.format {
            PlanFormat::Human => println!("{announce}"),
            _ => eprintln!("{announce}"),
        }
        let plan = crate::plan::make(&connected.client, &config, &desired, &opts).await;
        connected.close().await;
        Ok::<_, miette::Report>(plan)
    })?;
    let render_opts = Options { color: out.color, mask_numbers: args.mask_numbers };
    match args.format {
        PlanFormat::Human => print!("{}", render::human(&plan, render_opts)),
        PlanFormat::Markdown => print!("{}", render::markdown(&plan, render_opts)),
        PlanFormat::Json => println!("{}", render::json(&plan)),
    }
    if let Some(path) = &args.out {
        saved::save(path, &SavedPlan { config: args.path.clone(), plan: plan.clone() })?;
        eprintln!("Saved plan {} to {}", plan.hash, path.display());
    }
    Ok(if args.detailed_exitcode && plan.has_changes() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
