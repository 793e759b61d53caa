//! `dnc validate`: load the config and manifests, print every diagnostic, exit 1 on errors.

use super::Output;
use crate::cli::{DiagnosticFormat, ValidateArgs};
use crate::exit::Exit;
use crate::manifest::{self, render_github, render_human, render_json};

pub fn run(args: ValidateArgs, out: Output) -> miette::Result<Exit> {
    let loaded = manifest::load(&args.path, args.strict);
    let out = match args.format {
        DiagnosticFormat::Human => {
            let mut s = render_human(&loaded.diagnostics, out.color);
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
    Ok(Exit::error_if(loaded.has_errors()))
}
