//! The book under docs/: its generated pages are current (the command reference from every
//! command's `--help`, the error catalogue from src/ as the catalogue snapshot reads it), every
//! page is a chapter, and every relative link in the README and the book lands on a file and
//! heading that exist.

use super::{pages, refresh_or_fail};
use crate::conventions::catalogue;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Fails (or, under `DNC_README_UPDATE`, rewrites the page) when `file` is not `generated`.
fn is_current(file: &str, generated: &str) {
    let path = root().join(file);
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != generated {
        let diff = similar::TextDiff::from_lines(on_disk.as_str(), generated);
        let why = format!(
            "{file} is stale:\n{}",
            diff.unified_diff().header(file, "generated")
        );
        refresh_or_fail(&path, generated, &why);
    }
}

/// `dnc ARGS`' output with no environment, so no `[env: …]` value leaks into the page, wrapped
/// at 80 columns, which the book's pages show without scrolling.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dnc"))
        .args(args)
        .env_clear()
        .env("COLUMNS", "80")
        .output()
        .expect("run dnc");
    assert!(out.status.success(), "dnc {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

/// The commands `dnc --help` lists, `help` aside.
fn commands(top: &str) -> Vec<String> {
    top.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// A page section: a heading, then `body` as preformatted text.
fn section(out: &mut String, heading: &str, body: &str) {
    assert!(!body.contains("```"), "{heading}: a fence in the text");
    out.push_str(&format!(
        "{heading}\n\n```text\n{}\n```\n\n",
        body.trim_end()
    ));
}

/// `text` as an inline code span, which may hold single backticks (and wraps, unlike a block).
fn code_span(text: &str) -> String {
    assert!(!text.contains("``"), "{text}: a double backtick");
    format!("`` {text} ``")
}

fn reference() -> String {
    let top = help(&["--help"]);
    let names = commands(&top);
    assert!(
        names.len() > 10,
        "commands parsed from `dnc --help`: {names:?}"
    );
    let mut page = String::from(
        "# Commands\n\n\
         Every command's help, as `dnc COMMAND --help` prints it (`dnc man` gives the same as man\n\
         pages). This page is generated: a test (`readme::book`) fails when it differs from the\n\
         binary's help, and `DNC_README_UPDATE=1 cargo test --test it readme` rewrites it.\n\n",
    );
    section(&mut page, "## `dnc`", &top);
    for name in names {
        section(
            &mut page,
            &format!("## `dnc {name}`"),
            &help(&[&name, "--help"]),
        );
    }
    page.trim_end().to_string() + "\n"
}

fn errors() -> String {
    let codes = catalogue::read_workspace();
    let mut page = String::from(
        "# Error catalogue\n\n\
         Every diagnostic code dnc prints, with the message and help it is printed with; `{name}`\n\
         stands for a value filled in when it is printed. Read from every crate's `src/` as the\n\
         catalogue snapshot (`tests/it/snapshots/it__conventions__error_codes.snap`) is, and\n\
         generated: a \
         test (`readme::book`) fails when this page differs from the code, and\n\
         `DNC_README_UPDATE=1 cargo test --test it readme` rewrites it.\n\n",
    );
    let mut group = "";
    for (code, wordings) in &codes {
        let area = code.rsplit_once("::").map_or(code.as_str(), |(a, _)| a);
        if area != group {
            page.push_str(&format!("## `{area}`\n\n"));
            group = area;
        }
        page.push_str(&format!("### `{code}`\n\n"));
        if wordings.is_empty() {
            page.push_str("The message and help are chosen where the code is used.\n\n");
        }
        for (message, help) in wordings {
            page.push_str(&format!("- message: {}\n", code_span(message)));
            if help != catalogue::NO_HELP {
                page.push_str(&format!("- help: {}\n", code_span(help)));
            }
            page.push('\n');
        }
    }
    page.trim_end().to_string() + "\n"
}

#[test]
fn command_reference_is_current() {
    is_current("docs/reference.md", &reference());
}

#[test]
fn error_catalogue_is_current() {
    is_current("docs/errors.md", &errors());
}

/// Every page under docs/ is a chapter of the book.
#[test]
fn every_page_is_a_chapter() {
    let summary = std::fs::read_to_string(root().join("docs/SUMMARY.md")).expect("SUMMARY.md");
    for page in pages().iter().skip(1) {
        let name = page.file_name().unwrap().to_string_lossy();
        if name != "SUMMARY.md" {
            assert!(
                summary.contains(&format!("]({name})")),
                "docs/{name} is no chapter of docs/SUMMARY.md"
            );
        }
    }
}

/// A heading's anchor as GitHub and mdBook make it: lower case, spaces as `-`, punctuation
/// other than `-` and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            c if c.is_whitespace() => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The links (and images) of a markdown text, and the anchors of its headings.
fn links_and_anchors(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut links, mut anchors) = (Vec::new(), Vec::new());
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                links.push(dest_url.into_string());
            }
            Event::Start(Tag::Heading { .. }) => {
                heading = Some(String::new());
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => anchors.extend(heading.take().map(|h| anchor(&h))),
            _ => {}
        }
    }
    (links, anchors)
}

/// Every relative link of the README and the book names a file that exists (the book's only
/// within docs/, which is all the built book holds), and every `#anchor` a heading there.
#[test]
fn every_relative_link_lands() {
    let docs = root().join("docs");
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("read the page");
        let name = page.strip_prefix(root()).unwrap().display().to_string();
        for link in links_and_anchors(&text).0 {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            let inside = !page.starts_with(&docs) || target.starts_with(&docs);
            if !target.exists() || !inside || target.components().any(|c| c.as_os_str() == "..") {
                broken.push(format!("{name}: {link}: no such file in the book"));
                continue;
            }
            let is_page = target.extension().is_some_and(|e| e == "md");
            if !fragment.is_empty() && is_page {
                let target_text = std::fs::read_to_string(&target).expect("read the target");
                if !links_and_anchors(&target_text)
                    .1
                    .iter()
                    .any(|a| a == fragment)
                {
                    broken.push(format!("{name}: {link}: no such heading"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
