//! Diagnostics as GitHub workflow commands, which the pull request shows as annotations.

use super::{Diagnostics, Severity};
use crate::escape::{github_data, github_property};

/// GitHub workflow commands: `::error file=…,line=…,col=…,title=…::message`.
pub fn render_github(d: &Diagnostics) -> String {
    let mut out = String::new();
    for diag in &d.items {
        let kind = match diag.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some(at) = &diag.at {
            props.push(format!("file={}", github_property(&at.file)));
            props.push(format!("line={}", at.line));
            props.push(format!("col={}", at.column));
        }
        props.push(format!("title={}", github_property(diag.code)));
        let mut message = diag.message.clone();
        for l in &diag.labels {
            message.push_str(&format!(
                "\n{}: {}:{}:{}",
                l.message, l.at.file, l.at.line, l.at.column
            ));
        }
        if let Some(help) = &diag.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            github_data(&message)
        ));
    }
    out
}
