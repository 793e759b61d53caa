//! The one test environment: the sandbox launcher, `dnc` runs from an empty environment,
//! the project, config and seed fixtures, a hermetic `git` for scripted repositories, waits
//! with a deadline, and the one snapshot normalizer.

mod api;
mod config;
mod git;
mod normalize;
mod project;
mod run;
mod sandbox;
mod seed;
mod source;
mod tool;
mod wait;

pub use api::{STYLES, Style, client_for, code_of, decode, scripted_server, send};
pub use config::Config;
pub use git::{git, ledger_branch_lines, origin_and_clone, pin_line};
pub use normalize::normalize;
pub use project::{Project, counts, plan_json};
pub use run::{Run, command, dnc, dnc_fail, dnc_ok, run};
pub use sandbox::{SDK, Sandbox, TOKEN};
pub use seed::{Seed, seed};
pub use source::env_names;
pub use tool::available;
pub use wait::wait_until;

/// `dnc add --csv`'s mapping flags for a CRM export like the CRM fixture's (`Contact ID,
/// Phone Number, First Name, Last Name, Opt Out Date, Agent`, dates MM/DD/YYYY).
pub const CRM_MAPPING: [&str; 9] = [
    "--column",
    "number=Phone Number",
    "--column",
    "requested_at=Opt Out Date",
    "--column",
    "ticket=Contact ID",
    "--date-format",
    "%m/%d/%Y",
    "--ignore-other-columns",
];
