use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = dnc::cli::Cli::parse();
    dnc::commands::color_reports(cli.color);
    match dnc::commands::run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::FAILURE
        }
    }
}
