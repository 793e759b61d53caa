//! Integration tests: one binary, one module per capability, sharing `harness`.

mod action;
mod apply;
mod client;
mod conventions;
mod evidence;
mod faults;
mod fmt;
mod github;
mod harness;
mod help;
mod history;
mod import;
mod plan;
mod project;
mod readme;
mod robust;
mod run;
mod sandbox;
mod schema;
mod serving;
mod validate;
