//! Integration tests: one binary, one module per capability, sharing `common`.

mod action;
mod apply;
mod client;
mod common;
mod conventions;
mod evidence;
mod faults;
mod fmt;
mod github;
mod help;
mod history;
mod import;
mod plan;
mod readme;
mod robust;
mod sandbox;
mod schema;
mod serving;
mod validate;
mod verify;
