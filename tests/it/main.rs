//! Integration tests: one binary, one module per capability, sharing `harness`.

mod action;
mod client;
mod github;
mod harness;
mod history;
mod import;
mod run;
mod sandbox;
