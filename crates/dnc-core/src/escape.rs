//! Text from manifests, git, the ledger and the API, escaped for the medium it is written to:
//! one function per medium, used by every renderer. Each is the identity on ordinary text
//! (letters of any script, emoji, punctuation); only what could steer the medium changes.
//!
//! JSON needs nothing here: serde_json escapes quotes, backslashes and C0 controls, and every
//! JSON value dnc prints is a quoted string, so no line of it can start a workflow command.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters a reader cannot see or that reorder or hide text: C0/C1 controls (ESC starts
/// terminal sequences), bidi overrides and isolates (the "Trojan Source" ones), zero-width
/// and other invisible format characters, and the Unicode line and paragraph separators.
/// The zero-width joiners stay: emoji sequences and several scripts need them.
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{AD}'
                | '\u{61C}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Writes the visible form of a hidden character: `\n`, `\t`, `\r`, or `\u{1b}`.
fn show(out: &mut String, c: char) {
    let _ = write!(out, "{}", c.escape_default());
}

/// `s` with every hidden character written as its Rust escape (`\u{1b}`, `\n`, `\u{202e}`),
/// so a value shows as one line with nothing invisible, and a value that would begin a
/// GitHub workflow command (`::` after spaces) has its first colon escaped (`\:`): the
/// runner reads a log line starting with `::` as a command, whatever printed it.
pub fn terminal(s: &str) -> Cow<'_, str> {
    let command = s.trim_start().starts_with("::");
    if !command && !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut colon_done = !command;
    for c in s.chars() {
        if hidden(c) {
            show(&mut out, c);
        } else if c == ':' && !colon_done {
            out.push_str("\\:");
            colon_done = true;
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for a GitHub-flavored markdown paragraph or table cell: markup, HTML, pipes and `@`
/// (no mentions) are escaped, hidden characters (line breaks included) are shown as their
/// escapes, and a leading list marker (`-`, `+`, `1.`) is escaped, so a value stays inside
/// its cell, its row and its list item. A zero-width space after the `:` of `://` and
/// before the `.` of `www.` keeps GitHub from making a bare address a link.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut shown = String::new();
    let marker = list_marker(s);
    for (i, c) in s.char_indices() {
        if Some(i) == marker {
            out.push('\\');
        }
        let www = i >= 3 && s.as_bytes()[i - 3..i].eq_ignore_ascii_case(b"www");
        if c == '.' && www {
            out.push('\u{200b}');
        }
        if c == ':' && s[i..].starts_with("://") {
            out.push_str(":\u{200b}");
        } else if hidden(c) {
            shown.clear();
            show(&mut shown, c);
            shown.chars().for_each(|c| markdown_char(&mut out, c));
        } else {
            markdown_char(&mut out, c);
        }
    }
    out
}

/// Where `s` would start a list item at the start of a block: its leading `-` or `+`, or
/// the `.` or `)` after leading digits, followed by a space or nothing (`+1 202` is no item).
fn list_marker(s: &str) -> Option<usize> {
    let start = s.len() - s.trim_start_matches(' ').len();
    let rest = &s[start..];
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let mut after = rest[digits..].chars();
    let marker = after.next()?;
    let ends = after.next().is_none_or(char::is_whitespace);
    match marker {
        '-' | '+' if digits == 0 && ends => Some(start),
        '.' | ')' if digits > 0 && ends => Some(start + digits),
        _ => None,
    }
}

fn markdown_char(out: &mut String, c: char) {
    match c {
        '|' => out.push_str("\\|"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '@' => out.push_str("@\u{200b}"),
        '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
            out.push('\\');
            out.push(c);
        }
        c => out.push(c),
    }
}

/// `s` as a markdown code span inside a table cell: fenced with more backticks than any run
/// inside it (padded when it starts or ends with one), pipes escaped as GFM tables require
/// (`\u{7c}` after a backslash), hidden characters shown as their escapes. Inside a code span nothing is markup, so HTML,
/// links and mentions in a file name stay text.
pub fn markdown_code(s: &str) -> String {
    let mut body = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            // A table reads `\\` as an escaped backslash, so the pipe after one is shown.
            '|' if body.ends_with('\\') => body.push_str("\\u{7c}"),
            '|' => body.push_str("\\|"),
            c if hidden(c) => show(&mut body, c),
            c => body.push(c),
        }
    }
    let longest_run = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Text for HTML element content or a quoted attribute value; hidden characters are shown
/// as their escapes.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if hidden(c) => show(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text inside an HTML comment (`<!-- … -->`, the sticky comment's marker): characters that
/// could end the comment or hide in it (`--`, `>`, control and non-ASCII characters) are
/// percent-encoded, so every text gives a well-formed comment that reads the same on every
/// run.
pub fn html_comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_dash = false;
    for c in s.chars() {
        let dash = c == '-';
        if c.is_ascii_alphanumeric()
            || matches!(c, '.' | '_' | '/' | ' ')
            || (dash && !previous_dash)
        {
            out.push(c);
            previous_dash = dash;
        } else {
            let mut utf8 = [0; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
            previous_dash = false;
        }
    }
    out
}

/// The message of a GitHub workflow command (`::error …::MESSAGE`): `%`, CR and LF encoded
/// as the runner decodes them (so a message keeps its line breaks but stays on one log
/// line), every other hidden character shown as its escape.
pub fn github_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if hidden(c) => show(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A property of a GitHub workflow command (`file=…,title=…`): as [`github_data`], with
/// `:` and `,` encoded too.
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `GITHUB_OUTPUT` entry: `name=value`, or the heredoc form with a `delimiter` the value
/// does not contain when the value holds a line break (the runner reads the file by lines).
pub fn github_output(name: &str, value: &str, delimiter: impl FnMut() -> String) -> String {
    if value.contains(['\n', '\r']) {
        let delimiter = std::iter::repeat_with(delimiter)
            .find(|d| !value.contains(d.as_str()))
            .unwrap_or_default();
        format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
    } else {
        format!("{name}={value}\n")
    }
}

/// A CSV cell meant for a spreadsheet, as [`terminal`] shows it (one line, nothing hidden,
/// since such a file is as often printed as opened) and with a formula neutralized: a cell
/// that a spreadsheet would run (starting with `=`, `+`, `-` or `@`; a leading tab or CR is
/// already escaped) gets a leading `'`, OWASP's advice. A cell that is only a number
/// (digits, spaces, `+ - . ( ) *`, as a phone number or a negative count is written) has no
/// function, reference or command to run and stays as it is.
///
/// CSV files dnc reads back (import's CSV includes) are data, not spreadsheets: they are
/// written exactly, without this.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let shown = terminal(s);
    let formula = match shown.chars().next() {
        Some('=' | '@') => true,
        Some('+' | '-') => !shown
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()*".contains(c)),
        _ => false,
    };
    if formula {
        Cow::Owned(format!("'{shown}"))
    } else {
        shown
    }
}

#[cfg(test)]
pub(crate) mod tests;
