//! The whole-number pass: numbers, scopes and phone codes written as plain YAML numbers
//! must be exact whole numbers.

use super::Check;
use crate::manifest::diagnostics::{At, Diagnostic, Severity, SourceFile, excerpt};
use crate::manifest::yaml::{self, Node, Value as Y};
use serde_json::Value;
use std::ops::Range;

impl Check<'_> {
    /// Reports numbers, scopes and phone codes written as plain YAML numbers that are not
    /// exact whole numbers (`2025550143.0`, `2.025550143e9`, `99999999999999999999`): the
    /// schema reads them as numbers, but no item may silently lose its digits.
    pub(super) fn whole_numbers(&mut self, file: &SourceFile, node: &Node) {
        match &node.value {
            Y::Map(pairs) => {
                for (k, v) in pairs {
                    match (k.scalar(), &v.value) {
                        (Some(key), Y::Scalar { text, plain: true })
                            if WHOLE_NUMBERS.contains(&key) =>
                        {
                            if let Some(d) = not_whole(file, key, text, v.span.clone()) {
                                self.inexact.push(v.span.start);
                                self.error(d);
                            }
                        }
                        _ => self.whole_numbers(file, v),
                    }
                }
            }
            Y::Seq(items) => items.iter().for_each(|i| self.whole_numbers(file, i)),
            Y::Scalar { .. } => {}
        }
    }

    /// Whether a value this file's whole-number pass reported lies in `span`.
    pub(super) fn reported_inexact(&self, span: &Range<usize>) -> bool {
        let i = self.inexact.partition_point(|&o| o < span.start);
        self.inexact.get(i).is_some_and(|&o| o < span.end)
    }
}

/// Keys whose plain-number values must be exact whole numbers.
const WHOLE_NUMBERS: [&str; 3] = ["number", "scope", "phone_code"];

/// The error for a plain YAML number under `key` that is not an exact whole number.
fn not_whole(file: &SourceFile, key: &str, text: &str, span: Range<usize>) -> Option<Diagnostic> {
    let Value::Number(n) = yaml::core_schema(text) else {
        return None;
    };
    if n.is_i64() || (key == "number" && n.is_u64()) {
        return None;
    }
    let shown = excerpt(text);
    let digits = text.trim_start_matches(['+', '-']);
    let overflow = digits.bytes().all(|b| b.is_ascii_digit());
    let message = if overflow {
        format!("`{shown}` is too large for a whole number")
    } else {
        format!("`{shown}` is read as a decimal number, not as the digits written")
    };
    // The whole number the writer most likely meant, if the value is one.
    let meant = n
        .as_f64()
        .filter(|f| !overflow && f.fract() == 0.0 && f.abs() < 1e15)
        .map(|f| format!("{f:.0}"));
    let help = match (key, meant) {
        ("number", Some(m)) => format!("quote the number: `number: \"{m}\"`"),
        ("number", None) => format!("quote the number as written: `number: \"{shown}\"`"),
        (_, Some(m)) => format!("write a whole number: `{key}: {m}`"),
        ("scope", None) => "a scope is `global`, `purpose-type` or a campaign id".into(),
        _ => "a country calling code is a whole number from 1 to 999".into(),
    };
    Some(
        At(file)
            .diag(
                Severity::Error,
                "dnc::value::not_whole",
                message,
                span,
                "not a whole number",
            )
            .with_help(help),
    )
}
