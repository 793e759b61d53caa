use clap::Parser;
use dnc::exit::{self, Exit};
use std::process::ExitCode;

fn main() -> ExitCode {
    exit::quiet_on_closed_pipe();
    let cli = match dnc::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // clap's own code for usage errors is 2, which means "changes" here.
        Err(e) => {
            let _ = e.print();
            return Exit::error_if(e.use_stderr()).into();
        }
    };
    dnc::commands::color_reports(cli.color);
    match dnc::commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(report) => {
            eprintln!("{report:?}");
            Exit::Error.into()
        }
    }
}
