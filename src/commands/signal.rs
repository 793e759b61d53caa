//! The one place dnc waits for a signal: Ctrl-C (SIGINT) or SIGTERM ends `dnc sandbox`
//! and cancels an apply, which then records what began.

/// Resolves at the first SIGINT or SIGTERM (SIGINT alone where there is no SIGTERM).
pub(super) async fn stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
