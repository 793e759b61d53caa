//! `dnc history` on a repository with thousands of commits: how long one number's timeline
//! takes when the files holding it change in every commit (the worst case) and when they
//! rarely do. Run with `cargo bench --bench history` (COMMITS=N to change the size).

use dnc::history::{LedgerSource, timeline};
use dnc::manifest;
use dnc::phone;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const CONFIG: &str = "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n  - scope: 111\n";

fn number(i: usize) -> String {
    format!("(202) 555-{:04}", 1000 + i % 9000)
}

fn area(i: usize) -> usize {
    201 + (i / 9000) % 700
}

/// Writes a fast-import stream: commit `i` appends one entry to lists/global.yaml, every
/// tenth commit appends 100 rows to lists/bulk/state.csv (included from global.yaml, starting
/// with `csv_rows` rows); the watched number
/// `+1 303-555-0143` enters the YAML at commit 100, changes reason at 60 % of the history,
/// enters the CSV (campaign 111) at 25 %; lists/other.yaml changes in every commit too.
fn stream(out: &mut impl std::io::Write, commits: usize, csv_rows: usize) {
    let mut yaml = String::from(
        "defaults:\n  scope: global\n  reason: DNC\ninclude:\n  - csv: bulk/state.csv\nentries:\n",
    );
    let mut csv = String::from("number,scope,reason\n");
    for i in 0..csv_rows {
        let _ = writeln!(csv, "+1 {}-{},111,State DNC", area(i), &number(i)[6..]);
    }
    let mut other = String::from("defaults:\n  scope: 111\n  reason: DNC\nentries:\n");
    for c in 0..commits {
        let _ = writeln!(
            yaml,
            "  - number: \"+1 {} {}\"",
            area(c + 50_000),
            &number(c)[6..]
        );
        if c == 100 {
            yaml.push_str("  - number: \"(303) 555-0143\"\n    reason: Customer Request\n");
        }
        if c == commits * 3 / 5 {
            yaml = yaml.replace(
                "\"(303) 555-0143\"\n    reason: Customer Request",
                "\"(303) 555-0143\"\n    reason: Litigator",
            );
        }
        let csv_changes = c % 10 == 0 || c == commits / 4;
        for k in (0..100).filter(|_| c % 10 == 0) {
            let i = csv_rows + c * 10 + k;
            let _ = writeln!(csv, "+1 {}-{},111,State DNC", area(i), &number(i)[6..]);
        }
        if c == commits / 4 {
            csv.push_str("303.555.0143,111,Litigator\n");
        }
        let _ = writeln!(other, "  - number: {}", 4_045_550_000u64 + c as u64);
        let mut files = vec![("lists/global.yaml", &yaml), ("lists/other.yaml", &other)];
        if csv_changes {
            files.push(("lists/bulk/state.csv", &csv));
        }
        let config = CONFIG.to_string();
        if c == 0 {
            files.push(("dnc.yaml", &config));
        }
        let msg = format!("change {c}");
        let mut block = format!(
            "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{msg}\n",
            1_767_225_600 + c * 3600,
            msg.len()
        );
        for (path, text) in files {
            let _ = write!(
                block,
                "M 100644 inline {path}\ndata {}\n{text}\n",
                text.len()
            );
        }
        out.write_all(block.as_bytes())
            .expect("feeding git fast-import");
    }
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(args)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

fn main() {
    let commits: usize = std::env::var("COMMITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let started = Instant::now();
    let mut fi = Command::new("git")
        .current_dir(d)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    let mut stdin = std::io::BufWriter::new(fi.stdin.take().unwrap());
    stream(&mut stdin, commits, 20_000);
    drop(stdin);
    assert!(fi.wait().unwrap().success());
    git(d, &["checkout", "-q", "main"]);
    println!(
        "built {commits} commits (global.yaml grows to {commits} entries, state.csv to {} rows, changed every 10th commit) in {:.1?}",
        20_000 + commits * 10,
        started.elapsed()
    );

    if let Ok(keep) = std::env::var("KEEP") {
        git(d, &["clone", "-q", ".", &keep]);
        println!("kept a clone in {keep}");
    }
    let (config, _) = manifest::load_config(&d.join("dnc.yaml"));
    let config = config.expect("valid config");
    let ledger = dnc::ledger::Place::of(&config.root, None);
    // git's own pickaxe search alone, the floor of any timeline.
    let regex = "3035550143"
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join("[^0-9]{0,3}");
    let started = Instant::now();
    git(
        d,
        &[
            "log",
            "--no-merges",
            "--no-renames",
            "--format=",
            "--name-only",
            &format!("-G{regex}"),
            "--",
            ":(glob)**/*.yaml",
            ":(glob)**/*.csv",
        ],
    );
    println!("git log -G alone: {:.2?}", started.elapsed());
    for (label, raw) in [
        (
            "watched number (in files changed by every commit)",
            "303-555-0143",
        ),
        ("a number no file ever held", "303-555-0199"),
    ] {
        let (phone, _) = phone::normalize(Some(1), raw).unwrap();
        let started = Instant::now();
        let t = timeline(&config, &phone, LedgerSource::File(&ledger)).expect("timeline");
        println!(
            "{label}: {} events in {:.2?}",
            t.events.len(),
            started.elapsed()
        );
    }
}
