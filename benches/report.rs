//! `dnc report` at scale: 2,000 manifest commits asking for 100,000 opt-outs, and a ledger of
//! 100,000 applied operations (200,000 lines), also on a chained ledger branch of one commit
//! per 5,000 operations. Times building the report (the ledger read, one pass over the
//! manifests' history, the rows), rendering it in each format, and `dnc verify` (manifests
//! loaded, chain, branch history, applied commits, additions). Run with
//! `cargo bench --bench report` (COMMITS=N, OPS=N to change the size).

use dnc::chain;
use dnc::history::LedgerSource;
use dnc::manifest;
use dnc::report::{self, Options, Period};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const CONFIG: &str =
    "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n";
const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn national(i: usize) -> String {
    format!("{}555{:04}", 201 + i / 10_000, i % 10_000)
}

/// Commit `c` appends `per` entries to the manifest of its month (one file per 100 commits).
fn stream(out: &mut dyn std::io::Write, commits: usize, per: usize) {
    let mut files: Vec<String> = Vec::new();
    for c in 0..commits {
        let f = c / 100;
        if files.len() <= f {
            files.push("defaults:\n  scope: global\n  reason: Customer Request\nentries:\n".into());
        }
        let day = chrono::DateTime::from_timestamp(START + c as i64 * 3600, 0).unwrap();
        for k in 0..per {
            let n = national(c * per + k);
            let _ = write!(
                files[f],
                "  - number: \"({}) {}-{}\"\n    requested_at: {}\n",
                &n[..3],
                &n[3..6],
                &n[6..],
                day.date_naive()
            );
        }
        let msg = format!("opt-outs batch {c}");
        let mut block = format!(
            "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{msg}\n",
            START + c as i64 * 3600,
            msg.len()
        );
        let path = format!("lists/opt-outs-{f:02}.yaml");
        let _ = write!(
            block,
            "M 100644 inline {path}\ndata {}\n{}\n",
            files[f].len(),
            files[f]
        );
        if c == 0 {
            let _ = write!(
                block,
                "M 100644 inline dnc.yaml\ndata {}\n{CONFIG}\n",
                CONFIG.len()
            );
        }
        out.write_all(block.as_bytes())
            .expect("feeding git fast-import");
    }
}

/// One create per number, applied a few hours to a few weeks after its commit (`commits`,
/// oldest first): the ledger's lines, in order.
fn ledger(ops: usize, per: usize, commits: &[String]) -> Vec<String> {
    let deadlines = manifest::Deadlines::default();
    let mut out = Vec::with_capacity(ops * 2);
    for i in 0..ops {
        let commit_time = START + (i / per) as i64 * 3600;
        let delay = 3600 * (2 + (i % 17) as i64 * 24);
        let at = chrono::DateTime::from_timestamp(commit_time + delay, 0).unwrap();
        let requested = chrono::DateTime::from_timestamp(commit_time, 0)
            .unwrap()
            .date_naive();
        let time = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let base = format!(
            "\"plan_hash\":\"p{}\",\"op\":{i},\"change\":\"create\",\"campaign_id\":0,\"phone_code\":1,\"phone_number\":\"{}\",\"reason\":\"Customer Request\",\"actor\":\"ci\",\"commit\":\"{}\",\"requested_at\":\"{requested}\",\"due\":\"{}\"",
            i / 1000,
            national(i),
            commits[i / per],
            deadlines.due(requested)
        );
        out.push(format!(
            "{{\"time\":\"{time}\",\"event\":\"start\",{base}}}"
        ));
        out.push(format!(
            "{{\"time\":\"{time}\",\"event\":\"finish\",{base},\"outcome\":\"done\",\"id\":{}}}",
            10_000 + i
        ));
    }
    out
}

/// The ledger branch as dnc apply writes it: one commit per `batch` lines, each line linked
/// to the one before, month files, and the trailers. Returns the chain's root.
fn ledger_branch(out: &mut dyn std::io::Write, lines: &[String], batch: usize) -> String {
    let mut months: std::collections::BTreeMap<String, String> = Default::default();
    let (mut head, mut root) = (chain::GENESIS.to_string(), None);
    for (n, chunk) in lines.chunks(batch).enumerate() {
        let mut touched = std::collections::BTreeSet::new();
        let (mut plans, mut applied) = (
            std::collections::BTreeSet::new(),
            std::collections::BTreeSet::new(),
        );
        for line in chunk {
            let record: dnc::ledger::Record = serde_json::from_str(line).unwrap();
            plans.insert(record.plan_hash.clone());
            applied.insert(record.commit.clone().unwrap());
            let linked = format!("{},\"prev\":\"{head}\"}}", &line[..line.len() - 1]);
            head = chain::hash(&linked);
            root.get_or_insert_with(|| head.clone());
            let month = format!("{}.jsonl", &record.time[..7]);
            let text = months.entry(month.clone()).or_default();
            text.push_str(&linked);
            text.push('\n');
            touched.insert(month);
        }
        let mut msg = format!("dnc apply {n}\n\n");
        for c in applied {
            let _ = writeln!(msg, "Applied-commit: {c}");
        }
        for p in plans {
            let _ = writeln!(msg, "Plan: {p}");
        }
        let _ = writeln!(msg, "{}: {}", chain::ROOT_TRAILER, root.as_ref().unwrap());
        let _ = writeln!(msg, "{}: {head}", chain::HEAD_TRAILER);
        let mut block = format!(
            "commit refs/heads/dnc-ledger\ncommitter dnc <dnc@example.com> {} +0000\ndata {}\n{msg}\n",
            START + n as i64,
            msg.len()
        );
        for month in touched {
            let text = &months[&month];
            let _ = write!(
                block,
                "M 100644 inline {month}\ndata {}\n{text}\n",
                text.len()
            );
        }
        out.write_all(block.as_bytes())
            .expect("feeding git fast-import");
    }
    root.unwrap_or_default()
}

fn fast_import(dir: &Path, feed: impl FnOnce(&mut dyn std::io::Write)) {
    let mut fi = Command::new("git")
        .current_dir(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    let mut stdin = std::io::BufWriter::new(fi.stdin.take().unwrap());
    feed(&mut stdin);
    drop(stdin);
    assert!(fi.wait().unwrap().success());
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
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (commits, ops) = (env("COMMITS", 2000), env("OPS", 100_000));
    let per = ops.div_ceil(commits);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let started = Instant::now();
    fast_import(d, |out| stream(out, commits, per));
    git(d, &["checkout", "-q", "main"]);
    let hashes = Command::new("git")
        .current_dir(d)
        .args(["rev-list", "--reverse", "main"])
        .output()
        .expect("git rev-list");
    let hashes: Vec<String> = String::from_utf8(hashes.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    std::fs::create_dir_all(d.join(".dnc")).unwrap();
    let ledger_path = d.join(".dnc/ledger.jsonl");
    let lines = ledger(ops, per, &hashes);
    std::fs::write(&ledger_path, lines.join("\n") + "\n").unwrap();
    let mut root = String::new();
    fast_import(d, |out| root = ledger_branch(out, &lines, 10_000));
    println!(
        "built {commits} commits ({} entries) and a ledger of {ops} operations in {:.1?}",
        commits * per,
        started.elapsed()
    );

    // git's own pass over the history alone, the floor of tracing operations to commits.
    let started = Instant::now();
    let out = Command::new("git")
        .current_dir(d)
        .args([
            "log",
            "--reverse",
            "--no-merges",
            "--no-renames",
            "-p",
            "--unified=0",
        ])
        .args(["--format=%H", "--", ":(glob)**/*.yaml"])
        .output()
        .expect("git log");
    println!(
        "git log -p alone: {:.1} MB in {:.2?}",
        out.stdout.len() as f64 / 1e6,
        started.elapsed()
    );

    let (config, _) = manifest::load_config(&d.join("dnc.yaml"));
    let mut config = config.expect("valid config");
    config.ledger_root = Some(root);
    let period = Period {
        since: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        until: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    let started = Instant::now();
    let built = report::build(
        &config,
        Options {
            period,
            unmask: false,
            ledger: LedgerSource::File(&dnc::ledger::Place::of(d, Some(&ledger_path))),
        },
    )
    .expect("report");
    let build_time = started.elapsed();
    let asked = built.rows.iter().filter(|r| r.asked_in.is_some()).count();
    println!(
        "report over {} operations ({asked} traced to their commit, {} late): built in {build_time:.2?}",
        built.rows.len(),
        built.time_to_honor.late
    );
    let timed = |name: &str, render: &dyn Fn() -> String| {
        let at = Instant::now();
        let text = render();
        println!(
            "  {name}: {:.1} MB in {:.2?}",
            text.len() as f64 / 1e6,
            at.elapsed()
        );
    };
    timed("html", &|| report::html::html(&built));
    timed("csv", &|| report::csv(&built).expect("csv"));
    timed("json", &|| report::json(&built));

    let at = Instant::now();
    let desired = manifest::load(&d.join("dnc.yaml"), false).desired;
    let verified = dnc::verify::verify(
        &config,
        &desired,
        &dnc::verify::Options {
            ledger_rev: "dnc-ledger",
            manifests_rev: "HEAD",
        },
    )
    .expect("verify");
    assert!(verified.verified, "{}", dnc::verify::human(&verified));
    println!(
        "verify over {} ledger lines (manifests loaded, chain, history, commits, additions): {:.2?}",
        verified.ledger.lines,
        at.elapsed()
    );
    println!("total: {:.2?} (target: under 10 s)", started.elapsed());
}
