//! Schema errors in words: one `jsonschema` error becomes diagnostics at the exact node
//! (or key) it is about.

use super::head;
use crate::manifest::diagnostics::{At, Diagnostic, Severity, SourceFile, excerpt};
use crate::manifest::schema;
use crate::manifest::yaml::{Node, Value as Y};
use serde_json::Value;

/// Turns one schema error into diagnostics at the exact node (or key) it is about.
pub(super) fn schema_diagnostic(
    file: &SourceFile,
    node: &Node,
    schema: &Value,
    err: &jsonschema::ValidationError,
    item: bool,
) -> Vec<Diagnostic> {
    use jsonschema::error::ValidationErrorKind as K;
    let pointer = err.instance_path().as_str();
    let (target, key) = node.at_pointer(pointer);
    let at = At(file);
    let field = pointer
        .rsplit('/')
        .find(|s| s.parse::<usize>().is_err())
        .unwrap_or("document");
    let schema_node = schema::at_pointer(schema, pointer);
    // A mapping that fails `anyOf` (an optional section such as `defaults`): report what
    // is wrong inside it, from the branch that accepts mappings.
    if let (K::AnyOf { context }, Y::Map(_)) = (err.kind(), &target.value) {
        let inner = context.iter().find(|errors| {
            errors.iter().any(|e| {
                e.instance_path().as_str() != pointer
                    || matches!(
                        e.kind(),
                        K::AdditionalProperties { .. } | K::Required { .. }
                    )
            })
        });
        if let Some(errors) = inner {
            return errors
                .iter()
                .flat_map(|e| schema_diagnostic(file, node, schema, e, item))
                .collect();
        }
    }
    match err.kind() {
        K::AdditionalProperties { unexpected } => {
            let allowed: Vec<&str> = schema_node
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|k| {
                    let span = target
                        .get(k)
                        .map_or(target.span.clone(), |(kn, _)| kn.span.clone());
                    let mut d = at.diag(
                        Severity::Error,
                        "dnc::schema::unknown_key",
                        format!("unknown key `{}`", excerpt(k)),
                        span,
                        "not allowed here",
                    );
                    let near = allowed.iter().find(|a| close(a, k));
                    d.help = Some(match near {
                        Some(n) => {
                            format!("did you mean `{n}`? allowed here: {}", allowed.join(", "))
                        }
                        None => format!("allowed here: {}", allowed.join(", ")),
                    });
                    d
                })
                .collect()
        }
        K::Required { property } => {
            let p = property.as_str().unwrap_or_default();
            let what = if pointer.is_empty() && !item {
                "the file"
            } else {
                "this item"
            };
            vec![at.diag(
                Severity::Error,
                "dnc::schema::missing",
                format!("missing required key `{p}`"),
                head(&file.text, &target.span),
                format!("{what} has no `{p}`"),
            )]
        }
        _ => {
            let span = if matches!(target.value, Y::Scalar { .. }) || key.is_none() {
                target.span.clone()
            } else {
                head(&file.text, &target.span)
            };
            let shown = match &target.value {
                Y::Scalar { text, .. } => format!("`{}`", excerpt(text)),
                Y::Seq(_) => "a list".to_string(),
                Y::Map(_) => "a mapping".to_string(),
            };
            let description = schema_node
                .and_then(|n| n.get("description"))
                .and_then(Value::as_str);
            let mut help = description.map(str::to_string);
            let message = match err.kind() {
                K::AnyOf { .. } | K::OneOfNotValid { .. } => {
                    if field == "number" && matches!(target.value, Y::Scalar { plain: true, .. }) {
                        help = Some("write the number in quotes: `number: \"2025550143\"`".into());
                    }
                    format!("{shown} is not a valid `{field}`")
                }
                K::Type { .. } => {
                    let want = expected(schema_node);
                    if want == "text"
                        && let Y::Scalar { text, plain: true } = &target.value
                    {
                        help = Some(format!("quote it: `{field}: \"{}\"`", excerpt(text)));
                    }
                    format!("`{field}` must be {want}, not {shown}")
                }
                _ => format!("invalid `{field}`: {}", err.masked()),
            };
            let mut d = at.diag(
                Severity::Error,
                "dnc::schema::invalid",
                message,
                span,
                "here",
            );
            d.help = help;
            vec![d]
        }
    }
}

/// The kinds of value a schema node accepts, in words (null, meaning "absent", left out).
fn expected(schema_node: Option<&Value>) -> String {
    let types: Vec<&str> = match schema_node.and_then(|n| n.get("type")) {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let words: Vec<&str> = types
        .iter()
        .filter_map(|t| match *t {
            "string" => Some("text"),
            "integer" => Some("a whole number"),
            "number" => Some("a number"),
            "boolean" => Some("true or false"),
            "array" => Some("a list"),
            "object" => Some("a mapping of keys to values"),
            _ => None,
        })
        .collect();
    if words.is_empty() {
        "something else".into()
    } else {
        words.join(" or ")
    }
}

/// A likely misspelling: same length +-1 and at most two differing characters.
fn close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}
