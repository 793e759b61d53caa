use crate::cli::HistoryArgs;
use std::process::ExitCode;
pub fn run(_args: HistoryArgs) -> miette::Result<ExitCode> {
    miette::bail!("not yet")
}
