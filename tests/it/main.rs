//! Integration tests: one binary, one module per capability, sharing `common`.

mod action;
mod apply;
mod client;
mod common;
mod conventions;
mod everyday;
mod evidence;
mod faults;
mod fmt;
mod github;
mod help;
mod history;
mod hostile;
mod import;
mod ledger_file;
mod lists;
mod plan;
mod probe;
mod readme;
mod robust;
mod sandbox;
mod schema;
mod servers;
mod serving;
mod shapes;
mod validate;
