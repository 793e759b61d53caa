use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match dnc::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return dnc::commands::usage_error(&e).into(),
    };
    dnc::commands::color_reports(cli.color);
    match dnc::commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(report) => dnc::commands::report(&report).into(),
    }
}
