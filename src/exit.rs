//! The exit-status contract, the one table the README shows under "Exit status".

use std::process::ExitCode;

/// How a command ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done; for `plan`, also "no changes".
    Success,
    /// Any error: invalid input, a usage error, a failed or incomplete read, a failed operation.
    Error,
    /// `plan --detailed-exitcode` found changes. Nothing else ever exits with this code.
    Changes,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Error => 1,
            Exit::Changes => 2,
        }
    }

    /// `Error` when `failed`, else `Success`.
    pub fn error_if(failed: bool) -> Exit {
        if failed { Exit::Error } else { Exit::Success }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// A reader that goes away (`dnc plan | head`) makes `print!` panic on the broken pipe; end
/// quietly with `Exit::Error` instead, since the output was not delivered whole. Any other
/// failure to print (a full disk) ends with `dnc::output::write`, not a panic.
pub fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if let Some(reason) = message.strip_prefix("failed printing to stdout: ") {
            if !reason.contains("Broken pipe") {
                let error = crate::commands::CommandError::Output {
                    reason: reason.to_string(),
                };
                eprintln!("{:?}", miette::Report::new(error));
            }
            std::process::exit(Exit::Error.code().into());
        }
        if message.starts_with("failed printing to stderr") {
            std::process::exit(Exit::Error.code().into());
        }
        default(info);
    }));
}
