//! dnc: Convoso Do-Not-Call lists as code.

pub mod api;
pub mod apply;
pub mod calendar;
pub mod chain;
pub mod cli;
pub mod commands;
pub mod entry;
pub mod exit;
pub mod fmt;
pub mod github;
pub mod history;
pub mod http;
pub mod import;
pub mod ledger;
pub mod ledger_git;
pub mod manifest;
pub mod paths;
pub mod phone;
pub mod plan;
pub mod progress;
pub mod report;
pub mod sandbox;
pub mod state;
pub mod target;
pub mod verify;
