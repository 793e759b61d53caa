//! Command-line definitions (clap derive). Behaviour lives in `commands`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "dnc",
    version,
    about = "Manage Convoso Do-Not-Call lists as code"
)]
pub struct Cli {
    /// When to color output (NO_COLOR is honoured under `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests against the schemas and the semantic rules.
    Validate(ValidateArgs),
    /// Print the JSON Schemas of the config and manifest files.
    Schema(SchemaArgs),
    /// Serve the Convoso DNC API on this machine, backed by SQLite.
    Sandbox(SandboxArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The root config file, or a directory holding `dnc.yaml`.
    #[arg(default_value = "dnc.yaml")]
    pub path: PathBuf,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Treat well-formed but unassigned numbers as errors, not warnings.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    Human,
    Json,
    Github,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema to print.
    #[arg(value_enum, default_value_t = SchemaKind::Config)]
    pub kind: SchemaKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Config,
    Manifest,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port (the bound URL is printed first).
    #[arg(long, default_value = "127.0.0.1:4010")]
    pub listen: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, default_value = ".dnc/sandbox.db")]
    pub db: PathBuf,
    /// The auth token clients must send.
    #[arg(long, env = "DNC_SANDBOX_TOKEN", hide_env_values = true)]
    pub token: String,
}
