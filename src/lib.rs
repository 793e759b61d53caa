//! dnc: Convoso Do-Not-Call lists as code.

pub mod api;
pub mod cli;
pub mod commands;
pub mod entry;
pub mod github;
pub mod manifest;
pub mod phone;
pub mod sandbox;
