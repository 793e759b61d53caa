//! The one normalizer for snapshots: what changes from run to run is replaced by a
//! placeholder, the rest is kept to the byte.

use regex::Regex;
use std::sync::LazyLock;

/// Replaces the sandbox's URL (`[sandbox]/`) or any other loopback port (`[port]`), retry
/// delays (`in [delay]`), hashes (`[hash]`, `[commit]`, `[short-hash]`), today's
/// date (`[today]`) and temporary directories (`[tmp]`).
pub fn normalize(text: &str) -> String {
    static RULES: LazyLock<Vec<(Regex, &str)>> = LazyLock::new(|| {
        let tmp = regex::escape(&std::env::temp_dir().join(".tmp").to_string_lossy());
        [
            (r"http://127\.0\.0\.1:\d+/v1/".to_string(), "[sandbox]/"),
            (r"127\.0\.0\.1:\d+".to_string(), "127.0.0.1:[port]"),
            (r"in \d+ ms".to_string(), "in [delay]"),
            (format!(r"{tmp}\w+"), "[tmp]"),
        ]
        .into_iter()
        .map(|(pattern, with)| (Regex::new(&pattern).unwrap(), with))
        .collect()
    });
    let mut text = text.to_string();
    for (pattern, with) in RULES.iter() {
        text = pattern.replace_all(&text, *with).into_owned();
    }
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    hashes(&text.replace(&today, "[today]"))
}

/// Runs of exactly 64, 40 (a git commit) or 12 lowercase hex digits: hashes change with
/// every run's data.
fn hashes(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        match run.len() {
            64 => out.push_str("[hash]"),
            40 => out.push_str("[commit]"),
            12 => out.push_str("[short-hash]"),
            _ => out.push_str(run),
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() && (c.is_ascii_digit() || c.is_ascii_lowercase()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}
