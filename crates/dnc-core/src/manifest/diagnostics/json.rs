//! Diagnostics for machines: one JSON document.

use super::{Diagnostic, Diagnostics};
use serde::Serialize;

#[derive(Serialize)]
struct JsonReport<'a> {
    /// Shape version; bumped only on incompatible changes.
    format_version: u32,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

/// The stable JSON shape: `{format_version, valid, errors, warnings, diagnostics: [{severity, code,
/// message, file, line, column, offset, length, label, labels: [{file, line, column, offset,
/// length, message}], help}]}`.
pub fn render_json(d: &Diagnostics) -> String {
    let report = JsonReport {
        format_version: 1,
        valid: d.errors() == 0,
        errors: d.errors(),
        warnings: d.warnings(),
        diagnostics: &d.items,
    };
    let mut s = serde_json::to_string_pretty(&report).expect("diagnostics serialize");
    s.push('\n');
    s
}
