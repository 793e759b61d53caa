//! `dnc validate`: load the config and manifests, print every diagnostic, exit 1 on errors.

use crate::cli::{ColorChoice, DiagnosticFormat, ValidateArgs};
use crate::manifest::{self, render_github, render_human, render_json};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(args: ValidateArgs, color: ColorChoice) -> miette::Result<ExitCode> {
    let loaded = manifest::load(&args.path, args.strict);
    let out = match args.format {
        DiagnosticFormat::Human => {
            let mut s = render_human(&loaded.diagnostics, use_color(color));
            if !loaded.has_errors() {
                let d = &loaded.desired;
                s.push_str(&format!(
                    "valid: {} entries, {} tombstones\n",
                    d.entries.len(),
                    d.tombstones.len()
                ));
            }
            s
        }
        DiagnosticFormat::Json => render_json(&loaded.diagnostics),
        DiagnosticFormat::Github => render_github(&loaded.diagnostics),
    };
    print!("{out}");
    Ok(if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `--color`, with NO_COLOR and a non-terminal stdout turning `auto` off.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
