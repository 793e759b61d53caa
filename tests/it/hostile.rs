//! Hostile text through the real CLI and sandbox: a manifest file name and remote reasons
//! nobody reviewed reach the plan, apply's output, the ledger and the step summary shown for
//! what they are, never as terminal sequences, workflow commands, markup or formulas.

use crate::common::{Config, Project, SDK, Sandbox, run, seed};
use pulldown_cmark::{Event, Options, Parser, Tag};

/// A file name that ends a markdown table and opens a comment, with a backtick to close a
/// code span and a workflow command on a line of its own.
const FILE: &str = "lists/a\n<!--`\n::error::x.yaml";
/// OSC 8 link, a line starting a workflow command, a bidi override and a table breaker:
/// remote reasons, and a tombstone's removal reason (YAML escapes `\e`, `\a`, `\n`).
const REMOTE_REASON: &str =
    "\u{1b}]8;;https://evil.example/\u{7}click\u{1b}]8;;\u{7}\n::add-mask::secret \u{202e}`|<!--";
const REMOVAL_REASON: &str =
    r#""\e]8;;https://evil.example/\aclick\e]8;;\a\n::add-mask::secret \u202e`|<!--""#;
/// A spreadsheet formula.
const FORMULA: &str = "=cmd|' /C calc'!A0";

fn scenario() -> (Project, Sandbox) {
    let project = Project::new(
        &Config::new()
            .scope("global", &[("prune", "true")])
            .safety(10),
        &[
            (
                FILE,
                &format!(
                    "removals:\n  - number: 202-555-0101\n    scope: global\n    removal_reason: {REMOVAL_REASON}\n"
                ),
            ),
            (
                "lists/z.yaml",
                &format!(
                    "defaults:\n  scope: global\nentries:\n  - number: 202-555-0150\n    reason: DNC\nremovals:\n  - number: 202-555-0102\n    removal_reason: \"{FORMULA}\"\n"
                ),
            ),
        ],
    );
    let sandbox = Sandbox::start_seeded(
        vec![
            seed("2025550101", 0).reason("DNC"),
            seed("2025550102", 0).reason("DNC"),
            seed("2025550103", 0).reason(REMOTE_REASON),
            seed("2025550104", 0).reason(FORMULA),
        ],
        // Remote reasons nobody reviewed reach the plan only where the API echoes them.
        SDK,
    );
    (project, sandbox)
}

/// Nothing a terminal or a CI log would act on: no ESC, BEL or other control character
/// (line breaks aside), no bidi override, no line a GitHub runner reads as a command.
#[track_caller]
fn inert(text: &str) {
    let raw = text
        .chars()
        .find(|&c| (c.is_control() && c != '\n') || c == '\u{202e}');
    assert_eq!(raw, None, "{text}");
    for line in text.lines() {
        assert!(!line.trim_start().starts_with("::"), "{line:?} in:\n{text}");
    }
}

#[test]
fn a_hostile_file_name_and_remote_reasons_stay_text_in_the_plan() {
    let (project, sandbox) = scenario();
    let human = project.dnc_ok(&sandbox, &["plan"]);
    inert(&human.stdout);
    inert(&human.stderr);
    assert!(
        human
            .stdout
            .contains("reason was: \\u{1b}]8;;https://evil.example/\\u{7}click"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("lists/a\\n<!--`\\n::error::x.yaml:2"),
        "{}",
        human.stdout
    );

    let md = project
        .dnc_ok(&sandbox, &["plan", "--format", "markdown"])
        .stdout;
    inert(&md);
    rows_intact(&md);

    // In GitHub Actions: the step summary holds the same rows, the outputs one value each.
    let step = run(project
        .targeting(&sandbox, &["plan", "--format", "markdown"])
        .envs(project.github_step()))
    .ok();
    inert(&step.stdout);
    rows_intact(&std::fs::read_to_string(project.path("summary.md")).unwrap());
    let outputs = std::fs::read_to_string(project.path("outputs.txt")).unwrap();
    let names: Vec<&str> = outputs
        .lines()
        .filter_map(|l| l.split('=').next())
        .collect();
    assert_eq!(
        names,
        ["has_changes", "plan_hash", "complete", "exitcode"],
        "{outputs}"
    );
}

/// The plan's changes table keeps its five rows (two removals, a create, two prunes), and
/// nothing from the input became HTML or a link.
#[track_caller]
fn rows_intact(md: &str) {
    let (mut rows, mut html, mut links, mut removes) = (0, Vec::new(), 0, 0);
    let mut in_table = 0;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Table(_)) => in_table += 1,
            Event::Start(Tag::TableRow) if in_table == 2 => rows += 1,
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => links += 1,
            Event::Html(h) | Event::InlineHtml(h) => html.push(h.to_string()),
            Event::Text(t) if &*t == "➖ remove" => removes += 1,
            _ => {}
        }
    }
    assert_eq!(rows, 5, "two removals, a create, two prunes:\n{md}");
    assert_eq!(removes, 2, "both removals are rows:\n{md}");
    assert_eq!(links, 0, "{md}");
    for h in html {
        let ours = [
            "<details>",
            "</details>",
            "<summary>",
            "</summary>",
            "<b>",
            "</b>",
        ];
        let rest = ours.iter().fold(h.clone(), |h, t| h.replace(t, ""));
        assert!(!rest.contains('<'), "raw HTML {h:?} in:\n{md}");
    }
}

/// GitHub annotations name the hostile file on one line each: nothing in it starts a command
/// of its own.
#[test]
fn annotations_about_a_hostile_file_stay_one_line_each() {
    let (project, _sandbox) = scenario();
    project.write(
        FILE,
        "entries:\n  - number: 202-555-0199\n    scope: global\n    reason: \"\\e[2J\\n::error::fake\\t\"\n",
    );
    let out = run(&mut project.command(&["validate", "--format", "github"])).fails(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(
        lines[0].starts_with("::error file=lists/a%0A<!--`%0A%3A%3Aerror%3A%3Ax.yaml,line=4,"),
        "{}",
        lines[0]
    );
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
}

#[test]
fn apply_the_ledger_and_its_csv_show_remote_reasons_inertly() {
    let (project, sandbox) = scenario();
    let apply = project.dnc_ok(&sandbox, &["apply", "--yes"]);
    inert(&apply.stdout);
    inert(&apply.stderr);
    assert!(apply.stdout.contains("Applied: 5 done"), "{}", apply.stdout);

    let table = run(&mut project.command(&["ledger"])).ok();
    inert(&table.stdout);
    assert!(
        table
            .stdout
            .contains("\\u{1b}]8;;https://evil.example/\\u{7}click"),
        "{}",
        table.stdout
    );

    let csv = run(&mut project.command(&["ledger", "--format", "csv"])).ok();
    inert(&csv.stdout);
    let reasons: Vec<String> = csv::Reader::from_reader(csv.stdout.as_bytes())
        .records()
        .map(|r| r.unwrap()[5].to_string())
        .collect();
    assert!(
        reasons.contains(&format!("'{FORMULA}")),
        "the formula is neutralized: {reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("\\u{1b}]8;;https://evil.example/")),
        "the text is shown, escaped: {reasons:?}"
    );
}
