//! dnc: Convoso Do-Not-Call lists as code. This crate is the command line (`cli`, `commands`,
//! the GitHub integration, the exit status, the choice of API); the work is in `dnc_core`, the
//! emulated API in `dnc_sandbox`. Their modules are re-exported under this crate's name, so
//! the commands, the tests and the benchmarks name them as `dnc::plan`, `dnc::sandbox`, ….

mod allocator;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod github;
pub mod output;
pub mod target;

pub use dnc_core::{
    api, apply, calendar, chain, change, drift, edit, entry, escape, fmt, git, history, http,
    import, known, ledger, ledger_file, ledger_git, ledger_table, manifest, paths, phone, plan,
    probe, progress, report, state, trail, verify,
};
pub use dnc_sandbox as sandbox;
