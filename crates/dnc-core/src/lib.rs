//! dnc's core: the manifests, the plan, the remote state, the API client and its HTTP
//! policy, apply and its gates, the ledger, history, the report, import and fmt. It reads no
//! environment variable and prints nothing: the binary hands it plain values (a target, today's
//! date), receives warnings as data and installs the progress observer.

pub mod api;
pub mod apply;
pub mod calendar;
pub mod chain;
pub mod change;
pub mod drift;
pub mod drift_check;
pub mod edit;
pub mod escape;
pub mod fmt;
pub mod git;
pub mod history;
pub mod http;
pub mod import;
pub mod known;
pub mod ledger;
pub mod ledger_file;
pub mod ledger_git;
pub mod ledger_table;
pub mod manifest;
pub mod paths;
pub mod plan;
pub mod probe;
pub mod progress;
pub mod report;
pub mod state;
pub mod trail;
pub mod verify;

pub use dnc_entry::{entry, phone};
