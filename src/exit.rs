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
