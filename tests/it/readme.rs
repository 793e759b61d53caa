//! The README's and the book's shown outputs, produced by real runs so they cannot drift.
//!
//! Every ```console / ```markdown block in README.md and the book (docs/*.md) follows a marker
//! line `<!-- readme-output: NAME -->`. This test plays the README's walk through the examples
//! (a copy in a temp git repository, the embedded sandbox, a fixed actor, author, commit dates
//! and `DNC_TODAY`), whose outputs the README and docs/commands.md show, and the task guide's
//! from an empty directory, renders each named output and compares it with the block. On a
//! difference it fails with a diff; `DNC_README_UPDATE=1 cargo test --test it readme` rewrites
//! the blocks (and the book's generated pages: `book`).

use crate::common::{command, git};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// "Today" for every run: due dates and business days left stay put.
const TODAY: &str = "2026-03-09";
/// The time an apply's ledger lines show (the real clock's, normalized).
const APPLIED_AT: &str = "14:02:31.518";
/// The examples' `retention_years` (the default).
const RETENTION_YEARS: u32 = 5;
/// When the two commits of the walk were made.
const ADOPTED: &str = "2026-03-09T10:00:00Z";
const WITHDRAWN: &str = "2026-03-09T11:30:00Z";
const ACTOR: &str = "dana-compliance";
/// The commits' author (dana@example.com).
const AUTHOR: &str = "Dana Compliance";
const MARKER: &str = "<!-- readme-output: ";
/// The pages that show the README walk's outputs, and the task guide's.
const WALK_PAGES: [&str; 2] = ["README.md", "docs/commands.md"];
const TASK_PAGES: [&str; 1] = ["docs/tasks.md"];

mod book;

/// The README's walk: a copy of `examples/` in `root`, the only directory its commands name.
struct Walk {
    root: tempfile::TempDir,
    outputs: BTreeMap<&'static str, String>,
}

impl Walk {
    fn new() -> Walk {
        let w = Walk::empty();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
            &w.path("examples"),
        );
        std::fs::write(w.path(".gitignore"), ".dnc/\n").expect("write .gitignore");
        w
    }

    fn empty() -> Walk {
        Walk {
            root: tempfile::tempdir().expect("tempdir"),
            outputs: BTreeMap::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Runs `dnc ARGS` (stdout and stderr interleaved, as on a console), asserts its exit
    /// code, and returns the console text: the command line, then the normalized output.
    fn dnc(&self, args: &[&str], code: i32) -> String {
        let log = tempfile::tempfile().expect("temp file");
        let status = command(self.root.path(), args)
            .env("DNC_TODAY", TODAY)
            .env("GITHUB_ACTOR", ACTOR)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone"))
            .stderr(log.try_clone().expect("clone"))
            .status()
            .expect("run dnc");
        let text = read_all(log);
        assert_eq!(status.code(), Some(code), "dnc {args:?}:\n{text}");
        format!("$ dnc {}\n{}", shell_line(args), at_fixed_clock(&text))
    }

    /// Records `text` as the output named `name`.
    fn show(&mut self, name: &'static str, text: String) {
        assert!(self.outputs.insert(name, text).is_none(), "{name} twice");
    }

    fn git(&self, args: &[&str], date: &str) {
        git(self.root.path(), args, AUTHOR, date);
    }

    fn commit(&self, message: &str, date: &str) {
        self.git(&["add", "-A"], date);
        self.git(&["commit", "-q", "-m", message], date);
    }

    /// Replaces `from` with `to` in the example file `rel`, which must hold it.
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{rel} lacks {from:?}");
        std::fs::write(path, text.replacen(from, to, 1)).expect("write");
    }
}

/// Plays the README's walk and returns every output it shows, by name.
fn walk() -> BTreeMap<&'static str, String> {
    let opt_outs = "examples/lists/global-opt-outs.yaml";
    let mut w = Walk::new();
    w.show("validate", w.dnc(&["validate", "examples"], 0));

    w.edit(
        opt_outs,
        "reason: ConsentRevoked\n",
        "reason: ConsentRevoked by email\n",
    );
    w.show("validate-not-allowed", w.dnc(&["validate", "examples"], 1));
    w.edit(
        opt_outs,
        "reason: ConsentRevoked by email\n",
        "reason: ConsentRevoked\n",
    );

    w.show("plan", elide(&w.dnc(&["plan", "examples"], 0), 10, 1));

    w.git(&["init", "-q", "-b", "main"], ADOPTED);
    w.commit("Adopt DNC lists", ADOPTED);
    // One operation at a time, so the ids the sandbox gives are the same on every run.
    w.dnc(&["apply", "examples", "--yes", "--concurrency", "1"], 0);

    w.edit(
        opt_outs,
        "    reason: ConsentRevoked\n",
        "    reason: Customer Request\n",
    );
    w.edit(
        opt_outs,
        "  - number: \"2025550111\"\n    reason: Litigator\n",
        "",
    );
    w.edit(
        opt_outs,
        "removals:\n",
        "removals:\n  - number: \"2025550111\"\n    removal_reason: Litigator flag withdrawn by legal, LEGAL-77\n",
    );
    w.commit("Withdraw litigator flag (LEGAL-77)", WITHDRAWN);
    w.show("plan-after-apply", w.dnc(&["plan", "examples"], 0));
    let markdown = w.dnc(&["plan", "examples", "--format", "markdown"], 0);
    w.show("plan-markdown", markdown_excerpt(&markdown, 22));

    let removals = ["--allow-removals", "1", "--allow-early-removals", "1"];
    let apply = w.dnc(
        &[&["apply", "examples", "--yes"][..], &removals].concat(),
        0,
    );
    w.show("apply", elide(&apply, 1, 1));
    w.stop_the_clock();
    w.show(
        "ledger",
        w.dnc(&["ledger", "examples", "--number", "(202) 555-0143"], 0),
    );
    w.show(
        "history",
        w.dnc(&["history", "202.555.0111", "examples"], 0),
    );
    w.outputs
}

/// The task guide's walk: a repository started with `dnc init`, a number added, applied,
/// removed, and its history.
fn tasks_walk() -> BTreeMap<&'static str, String> {
    let number = "(202) 555-0143";
    let mut w = Walk::empty();
    w.show("tasks-init", w.dnc(&["init"], 0));
    w.git(&["init", "-q", "-b", "main"], ADOPTED);
    w.commit("Start the DNC lists", ADOPTED);
    let add = [
        "add",
        number,
        "--reason",
        "Customer Request",
        "--ticket",
        "COMP-1234",
        "--source",
        "inbound call",
    ];
    w.show("tasks-add", w.dnc(&add, 0));
    w.show("tasks-add-again", w.dnc(&add, 0));
    w.show("tasks-plan", w.dnc(&["plan"], 0));
    w.commit("Opt out (202) 555-0143 (COMP-1234)", ADOPTED);
    w.dnc(&["apply", "--yes", "--concurrency", "1"], 0);
    w.show("tasks-probe", page_times(&w.dnc(&["probe"], 0)));
    let remove = [
        "remove",
        number,
        "--reason",
        "Entered in error, COMP-1240",
        "--ticket",
        "COMP-1240",
    ];
    w.show("tasks-remove", w.dnc(&remove, 0));
    w.commit("Remove (202) 555-0143 (COMP-1240)", WITHDRAWN);
    w.show("tasks-remove-plan", w.dnc(&["plan"], 0));
    w.show("tasks-history", w.dnc(&["history", number], 0));

    // The removal applied as a local run may, so the live list matches the manifests.
    let allow = ["--allow-removals", "1", "--allow-early-removals", "1"];
    w.dnc(&[&["apply", "--yes"][..], &allow].concat(), 0);
    w.show("tasks-drift", w.dnc(&["plan", "--detailed-exitcode"], 0));

    std::fs::create_dir_all(w.path("exports")).expect("mkdir exports");
    std::fs::write(w.path("exports/opt-outs-2026-03.csv"), CRM_EXPORT).expect("write the export");
    let csv = ["add", "--csv", "exports/opt-outs-2026-03.csv"];
    let defaults = ["--reason", "Customer Request", "--source", "CRM export"];
    let crm = [&csv[..], &crate::common::CRM_MAPPING, &defaults].concat();
    w.show("tasks-add-csv", w.dnc(&crm, 1));
    w.edit("exports/opt-outs-2026-03.csv", "13/02/2026", "03/02/2026");
    w.show("tasks-add-csv-again", w.dnc(&crm, 0));
    w.outputs
}

/// A probe's timings, which change from run to run, at fixed values.
fn page_times(text: &str) -> String {
    let text = regex::Regex::new(r"\d+ ms")
        .unwrap()
        .replace_all(text, "12 ms");
    let text = regex::Regex::new(r"about \d+\.\d s")
        .unwrap()
        .replace_all(&text, "about 0.0 s");
    text.into_owned()
}

/// A CRM's opt-out export as the task guide adds it: one date mistyped, one number twice.
const CRM_EXPORT: &str = "Contact ID,Phone Number,First Name,Last Name,Opt Out Date,Agent
C-10001,202-555-0100,Nia,Müller,03/02/2026,mchen
C-10002,+1 202 555 0101,Priya,Nguyen,13/02/2026,asmith
C-10003,(202) 555-0102,Hugo,Haddad,03/04/2026,jdoe
C-10004,2025550100,Nia,Müller,03/05/2026,mchen
";

#[test]
fn readme_outputs_are_real() {
    outputs_are_real(&WALK_PAGES, walk());
}

#[test]
fn task_guide_outputs_are_real() {
    outputs_are_real(&TASK_PAGES, tasks_walk());
}

/// Compares the marked blocks of `files` with `outputs` (or rewrites them); every output must
/// be shown in one of them.
fn outputs_are_real(files: &[&str], outputs: BTreeMap<&'static str, String>) {
    let mut shown = Vec::new();
    for file in files {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let page = std::fs::read_to_string(&path).expect("read the page");
        let rewritten = rewrite(&page, &outputs);
        shown.extend(rewritten.shown);
        if !rewritten.stale.is_empty() {
            let diffs: Vec<String> = rewritten
                .stale
                .iter()
                .map(|(name, old, new)| {
                    let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
                    format!(
                        "{file} block `{name}` differs from the real output:\n{}",
                        diff.unified_diff().header(file, "real output")
                    )
                })
                .collect();
            refresh_or_fail(&path, &rewritten.page, &diffs.join("\n"));
        }
    }
    for name in outputs.keys() {
        assert!(
            shown.iter().any(|s| s == name),
            "output `{name}` is shown nowhere in {files:?}"
        );
    }
}

/// Writes `updated` to `path` under `DNC_README_UPDATE`, else fails with `why`.
fn refresh_or_fail(path: &Path, updated: &str, why: &str) {
    if std::env::var_os("DNC_README_UPDATE").is_some() {
        std::fs::write(path, updated).expect("write the page");
        return;
    }
    panic!("{why}\nRefresh it with: DNC_README_UPDATE=1 cargo test --test it readme");
}

/// README.md and every page of the book.
fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages.insert(0, root.join("README.md"));
    pages
}

/// Every shown output in the README and the book has a marker, on a page a walk replays.
#[test]
fn every_console_block_has_a_marker() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in pages() {
        let file = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("read the page");
        let lines: Vec<&str> = text.lines().collect();
        let mut in_block = false;
        for (i, line) in lines.iter().enumerate() {
            if !line.starts_with("```") {
                continue;
            }
            if !in_block && (*line == "```console" || *line == "```markdown") {
                let marked = i > 0 && lines[i - 1].starts_with(MARKER);
                assert!(
                    marked,
                    "{file}:{}: a shown output without a `{MARKER}NAME -->` line above it",
                    i + 1
                );
            }
            in_block = !in_block;
        }
        let replayed = WALK_PAGES.contains(&file.as_str()) || TASK_PAGES.contains(&file.as_str());
        assert!(
            replayed || !lines.iter().any(|l| l.starts_with(MARKER)),
            "{file} has shown outputs but no walk replays it: add it to WALK_PAGES or TASK_PAGES"
        );
    }
}

/// Every environment variable the code reads (a quoted `DNC_…` or `GITHUB_…` name in src/) has
/// a row in the book's one environment-variable table.
#[test]
fn every_environment_variable_is_in_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/environment.md")).expect("read the page");
    let rows: Vec<&str> = page.lines().filter(|l| l.starts_with("| `")).collect();
    let names = crate::common::env_names();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !rows.iter().any(|r| r.contains(&format!("`{n}`"))))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/environment.md's table lacks {missing:?}"
    );
}

/// A page with every marked block replaced by its real output.
struct Rewritten {
    page: String,
    /// The blocks that changed, as (name, page text, real text).
    stale: Vec<(String, String, String)>,
    /// The outputs the page shows.
    shown: Vec<String>,
}

/// `readme` with its marked blocks rewritten. Panics on a marker naming no output.
fn rewrite(readme: &str, outputs: &BTreeMap<&'static str, String>) -> Rewritten {
    let mut out = String::new();
    let mut stale = Vec::new();
    let mut shown = Vec::new();
    let mut lines = readme.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(name) = line
            .strip_prefix(MARKER)
            .and_then(|rest| rest.trim_end().strip_suffix(" -->"))
        else {
            continue;
        };
        let real = outputs
            .get(name)
            .unwrap_or_else(|| panic!("marker `{name}`: no such output in its walk"));
        let fence = lines.next().expect("a code block after the marker");
        assert!(fence.starts_with("```"), "marker `{name}`: no code block");
        out.push_str(fence);
        let mut old = String::new();
        for line in lines.by_ref() {
            if line.trim_end() == "```" {
                break;
            }
            old.push_str(line);
        }
        out.push_str(real);
        out.push_str("```\n");
        if old != *real {
            stale.push((name.to_string(), old, real.clone()));
        }
        shown.push(name.to_string());
    }
    Rewritten {
        page: out,
        stale,
        shown,
    }
}

/// The console line of `args`: each argument as a shell reads it back.
fn shell_line(args: &[&str]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:+,@".contains(c);
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(plain) {
                a.to_string()
            } else {
                format!("\"{a}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Output with the real clock's readings replaced by `TODAY` at `APPLIED_AT`: the times of
/// ledger lines and applies, and an applied entry's date in the retention check. Only those
/// places: a manifest's own date that happens to be today's stays as it is. Not
/// `common::normalize`: the README shows real-looking values, not placeholders.
impl Walk {
    /// The ledger's times set to `TODAY` at `APPLIED_AT`, so what is computed from them (an
    /// opt-out's lateness) agrees with the times the README shows.
    fn stop_the_clock(&self) {
        let path = self.root.path().join("examples/.dnc/ledger.jsonl");
        let text = std::fs::read_to_string(&path).expect("the walk's ledger");
        let time = regex::Regex::new(r#""time":"[^"]+""#).unwrap();
        let fixed = format!("\"time\":\"{TODAY}T{APPLIED_AT}Z\"");
        std::fs::write(&path, time.replace_all(&text, fixed.as_str()).as_bytes()).unwrap();
    }
}

fn at_fixed_clock(text: &str) -> String {
    let real = chrono::Utc::now().date_naive();
    let fake = chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let retained = |day: chrono::NaiveDate| {
        let until = day.checked_add_months(chrono::Months::new(12 * RETENTION_YEARS));
        format!("on the list since {day}, honored until {}", until.unwrap())
    };
    let replacements = [
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z".to_string(),
            format!("{TODAY}T{APPLIED_AT}Z"),
        ),
        (
            r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d UTC  applied".to_string(),
            format!("{TODAY} {} UTC  applied", &APPLIED_AT[..5]),
        ),
        (regex::escape(&retained(real)), retained(fake)),
        // The day a write-only reason was last applied, per the ledger.
        (
            regex::escape(&format!("last applied on {real}")),
            format!("last applied on {TODAY}"),
        ),
        (
            regex::escape(&format!("(latest {real})")),
            format!("(latest {TODAY})"),
        ),
    ];
    let mut text = text.to_string();
    for (pattern, with) in replacements {
        let pattern = regex::Regex::new(&pattern).unwrap();
        text = pattern
            .replace_all(&text, regex::NoExpand(&with))
            .into_owned();
    }
    text
}

/// The first `head` and last `tail` lines of a console text (after its command line), with
/// `…` for the lines between.
fn elide(text: &str, head: usize, tail: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= 1 + head + tail + 1 {
        return text.to_string();
    }
    let mut kept = lines[..=head].to_vec();
    kept.push("…");
    kept.extend_from_slice(&lines[lines.len() - tail..]);
    kept.join("\n") + "\n"
}

/// The first `head` lines of the markdown (from its heading: not the console's command line
/// nor the target line on stderr), then `…`.
fn markdown_excerpt(console: &str, head: usize) -> String {
    let lines: Vec<&str> = console
        .lines()
        .skip_while(|l| !l.starts_with('#'))
        .take(head)
        .collect();
    lines.join("\n") + "\n…\n"
}

fn read_all(mut file: File) -> String {
    use std::io::{Read, Seek};
    file.rewind().expect("rewind");
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 output");
    text
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_name() == ".dnc" {
            continue;
        }
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}
