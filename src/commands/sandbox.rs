//! `dnc sandbox`: serve the emulated API until Ctrl-C or SIGTERM.

use super::CommandError;
use crate::cli::SandboxArgs;
use crate::exit::Exit;
use crate::sandbox::{Faults, Sandbox, SandboxConfig};
use miette::IntoDiagnostic;
use std::io::Write;
use std::time::Duration;

pub fn run(args: SandboxArgs) -> miette::Result<Exit> {
    if let Some(dir) = args.db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(CommandError::write(dir))?;
    }
    let cfg = SandboxConfig {
        db: args.db,
        token: args.token.into(),
        campaigns: args.campaigns,
        reasons: args.reasons,
        purposes: args.purposes,
        faults: Faults {
            error_rate: args.fault_5xx,
            throttle_rate: args.fault_429,
            retry_after_secs: args.retry_after,
            latency: Duration::from_millis(args.latency_ms),
            seed: args.seed,
            variant: args.variant,
        },
        max_offset: args.max_offset,
        profile: args.profile,
    };
    // Fails only when the OS refuses threads or an event loop: nothing a user can fix here.
    let runtime = tokio::runtime::Runtime::new().into_diagnostic()?;
    runtime.block_on(async move {
        let sandbox = Sandbox::start(cfg, args.listen).await?;
        // The first stdout line is the contract with harnesses: they read the port from it.
        let mut out = std::io::stdout().lock();
        writeln!(out, "dnc sandbox listening on {}", sandbox.base_url())
            .and_then(|()| out.flush())
            .map_err(CommandError::output)?;
        drop(out);
        sandbox.shutdown_on(super::signal::stop()).await?;
        Ok(Exit::Success)
    })
}
