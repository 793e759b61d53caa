//! Issue 4: plan 1,000,000 manifest entries against a sandbox holding about 1,000,000.
//!
//! `cargo bench --bench plan_scale` generates a config with CSV includes and YAML manifests
//! across four scopes, seeds the sandbox database so the plan holds known creates, updates,
//! removals and drift, runs `dnc plan --format json --out plan.json --timings` as its own
//! process against a `dnc sandbox` process, checks every count in the plan, and prints wall
//! time, the phases `dnc plan --timings` reports, and the `dnc` process's peak memory.
//! Issue 15: before and after the plan, the same remote state is read alone (no manifests,
//! no diff: `dnc::state::read` in a child process of this bench, its entry count checked), and
//! the plan's wall time is compared with that floor.
//! `DNC_BENCH_ENTRIES` scales the run down (default 1000000) for a quick check;
//! `DNC_BENCH_PERF=FILE` runs the plan under `perf record -g -o FILE` (figures then include
//! perf's overhead).
//! Issue 15, item 3: `DNC_BENCH_KEEP_PLAN=FILE` keeps the JSON plan `dnc plan` printed;
//! `DNC_BENCH_EXPECT_PLAN=FILE` fails the run unless the plan is byte for byte that file (a
//! plan kept by an earlier build, the same day: deadlines count business days from today).
//! Issue 23: `DNC_BENCH_PROFILE=sdk` serves the SDK's search shape (reasons echoed) instead
//! of the contract's; `plan_scale --generate DIR` only writes the data set (config, manifests,
//! ledger, `sandbox.db`) for paired runs of two builds by hand.

// Each bench uses part of the shared module.
#[allow(dead_code)]
mod common;

use common::{Numbers, Sandbox, written};
use dnc::api::{Client, ClientConfig};
use dnc::entry::CampaignId;
use dnc::sandbox::SeedEntry;
use dnc::state::ReadOptions;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The managed scopes and their share of the entries, in config order.
const SCOPES: [(i64, &str, f64); 4] = [
    (0, "global", 0.50),
    (111, "111", 0.30),
    (222, "222", 0.15),
    (-1, "purpose-type", 0.05),
];
/// Reasons manifests give, in rotation; remote entries to update carry `STALE` instead.
const REASONS: [&str; 4] = [
    "DNC",
    "Customer Request",
    "State DNC import",
    "ConsentRevoked",
];
const STALE: &str = "Litigator";
/// Entries per scope written in YAML rather than CSV (the hand-kept part of a list).
const YAML_PER_SCOPE: u64 = 5_000;
const CSV_ROWS_PER_FILE: u64 = 100_000;
const TOMBSTONES: u64 = 600;
/// Tombstones below this index are present remotely (removals); the rest already absent.
const TOMBSTONES_PRESENT: u64 = 500;
const DRIFT: u64 = 1_500;
/// Days over which the remote list grew.
const DAYS: u64 = 720;
const TARGET_WALL: Duration = Duration::from_secs(15);
const TARGET_RSS_KIB: u64 = 1024 * 1024;
/// Issue 15: the plan within this multiple of the read alone, the diff phase within
/// `TARGET_DIFF_SECS`, and peak memory within `TARGET_RSS_15_KIB`.
const TARGET_READ_RATIO: f64 = 1.5;
const TARGET_DIFF_SECS: f64 = 0.5;
const TARGET_RSS_15_KIB: u64 = 256 * 1024;
/// The child mode reading the state alone: `--read-only URL EXPECTED_ENTRIES`.
const READ_ONLY: &str = "--read-only";

/// What the generated data is, and so what the plan must say.
struct Layout {
    entries: u64,
    numbers: Numbers,
}

#[derive(Default, Debug, PartialEq, Eq, Clone)]
struct Expected {
    create: u64,
    update: u64,
    remove: u64,
    unchanged: u64,
    already_absent: u64,
    unmanaged: u64,
    remote_total: u64,
}

impl Layout {
    fn scope_of(&self, i: u64) -> usize {
        let mut end = 0.0;
        for (s, (_, _, share)) in SCOPES.iter().enumerate() {
            end += share;
            if (i as f64) < end * self.entries as f64 {
                return s;
            }
        }
        SCOPES.len() - 1
    }

    fn is_create(i: u64) -> bool {
        i % 500 == 7
    }

    fn is_update(i: u64) -> bool {
        i % 333 == 5 && !Self::is_create(i)
    }

    fn reason(i: u64) -> &'static str {
        REASONS[(i % REASONS.len() as u64) as usize]
    }

    /// Purpose-type entries carry a purpose; the others none.
    fn purpose(scope: usize) -> Option<&'static str> {
        (SCOPES[scope].0 == -1).then_some("TELEMKT")
    }

    fn tombstone_number(&self, t: u64) -> u64 {
        self.entries + t
    }

    fn drift_number(&self, d: u64) -> u64 {
        self.entries + TOMBSTONES + d
    }

    fn expected(&self) -> Vec<Expected> {
        let mut e = vec![Expected::default(); SCOPES.len()];
        for i in 0..self.entries {
            let s = &mut e[self.scope_of(i)];
            if Self::is_create(i) {
                s.create += 1;
                continue;
            }
            s.remote_total += 1;
            if Self::is_update(i) {
                s.update += 1;
            } else {
                s.unchanged += 1;
            }
        }
        for t in 0..TOMBSTONES {
            let s = &mut e[(t % SCOPES.len() as u64) as usize];
            if t < TOMBSTONES_PRESENT {
                s.remove += 1;
                s.remote_total += 1;
            } else {
                s.already_absent += 1;
            }
        }
        for d in 0..DRIFT {
            let s = &mut e[(d % SCOPES.len() as u64) as usize];
            s.unmanaged += 1;
            s.remote_total += 1;
        }
        e
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == READ_ONLY) {
        read_only(&args[i + 1], args[i + 2].parse().expect("expected entries"));
        return;
    }
    let entries: u64 = std::env::var("DNC_BENCH_ENTRIES")
        .ok()
        .map(|v| v.parse().expect("DNC_BENCH_ENTRIES is a number"))
        .unwrap_or(1_000_000);
    let layout = Layout {
        entries,
        numbers: Numbers::new(),
    };
    assert!(layout.numbers.capacity() > entries + TOMBSTONES + DRIFT);
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        generate(&layout, Path::new(&args[i + 1]));
        return;
    }
    let dir = common::workdir("plan");
    println!(
        "plan_scale: {entries} manifest entries, {} CPUs available",
        common::cpus()
    );

    let started = Instant::now();
    let config = write_manifests(&layout, dir.path());
    let ledger = write_ledger(&layout, dir.path());
    let generated = started.elapsed();
    let started = Instant::now();
    let db = dir.path().join("sandbox.db");
    let seeded = dnc::sandbox::seed(&db, seed_entries(&layout)).expect("seed the sandbox");
    let expected = layout.expected();
    let remote: u64 = expected.iter().map(|e| e.remote_total).sum();
    assert_eq!(seeded, remote, "seeded rows");
    println!(
        "setup: manifests and a ledger of {} lines ({:.1} MiB) written in {}, {seeded} remote entries seeded in {}",
        ledger.0,
        ledger.1 as f64 / (1024.0 * 1024.0),
        common::secs(generated),
        common::secs(started.elapsed())
    );

    let sandbox = Sandbox::with_campaigns(&db, &["111=Sales", "222=Renewals"]);
    let read_before = measure_read_only(&sandbox, remote);
    let stdout = dir.path().join("plan.stdout.json");
    let stderr = dir.path().join("plan.stderr");
    let saved = dir.path().join("plan.json");
    let mut plan_cmd = dnc_maybe_under_perf(&sandbox);
    let run = common::measure(
        plan_cmd
            .arg("plan")
            .arg(&config)
            .args(["--format", "json", "--timings", "--out"])
            .arg(&saved)
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file")),
    );
    let read_after = measure_read_only(&sandbox, remote);
    drop(sandbox);
    let errors = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert!(run.success, "dnc plan failed:\n{errors}");
    assert!(
        !errors.contains("warning"),
        "dnc plan warned about the generated manifests:\n{errors}"
    );
    let plan: Value = serde_json::from_reader(File::open(&stdout).expect("plan output"))
        .expect("the plan is JSON");
    check(&plan, &expected);
    keep_or_compare_plan(&stdout);
    let saved_plan: Value = serde_json::from_reader(File::open(&saved).expect("saved plan"))
        .expect("the saved plan is JSON");
    assert_eq!(saved_plan["plan"]["hash"], plan["hash"], "saved plan hash");

    report(
        &layout,
        &expected,
        &run,
        &timings(&errors),
        [&read_before, &read_after],
    );
}

/// Writes the data set into `dir` and says how to serve it.
fn generate(layout: &Layout, dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the directory");
    let config = write_manifests(layout, dir);
    write_ledger(layout, dir);
    let db = dir.join("sandbox.db");
    let seeded = dnc::sandbox::seed(&db, seed_entries(layout)).expect("seed the sandbox");
    println!(
        "{seeded} remote entries in {}; serve them with `dnc sandbox --db {} --token {} \\
         --campaign 111=Sales --campaign 222=Renewals` and plan {}",
        db.display(),
        db.display(),
        common::TOKEN,
        config.display()
    );
}

/// `DNC_BENCH_KEEP_PLAN` copies the printed plan; `DNC_BENCH_EXPECT_PLAN` asserts it is
/// byte for byte the one an earlier build printed.
fn keep_or_compare_plan(printed: &Path) {
    if let Some(keep) = std::env::var_os("DNC_BENCH_KEEP_PLAN") {
        std::fs::copy(printed, &keep).expect("keep the plan");
        println!("plan kept in {}", Path::new(&keep).display());
    }
    let Some(expect) = std::env::var_os("DNC_BENCH_EXPECT_PLAN") else {
        return;
    };
    let want = std::fs::read_to_string(&expect).expect("DNC_BENCH_EXPECT_PLAN is readable");
    let got = std::fs::read_to_string(printed).expect("the printed plan");
    if let Some((line, (w, g))) = want
        .lines()
        .zip(got.lines())
        .enumerate()
        .find(|(_, (w, g))| w != g)
    {
        panic!(
            "the plan differs from {} at line {}:\n  expected: {w}\n  got:      {g}",
            Path::new(&expect).display(),
            line + 1
        );
    }
    assert_eq!(
        want.len(),
        got.len(),
        "the plan differs from {} in length",
        Path::new(&expect).display()
    );
    println!(
        "plan identical to {} ({} bytes)",
        Path::new(&expect).display(),
        got.len()
    );
}

/// `sandbox.dnc()`, or with `DNC_BENCH_PERF=FILE` the same under `perf record -g`.
fn dnc_maybe_under_perf(sandbox: &Sandbox) -> Command {
    let dnc = sandbox.dnc();
    let Some(out) = std::env::var_os("DNC_BENCH_PERF") else {
        return dnc;
    };
    let mut perf = Command::new("perf");
    perf.args(["record", "-g", "-o"])
        .arg(out)
        .arg("--")
        .arg(common::DNC);
    for (k, v) in dnc.get_envs() {
        match v {
            Some(v) => perf.env(k, v),
            None => perf.env_remove(k),
        };
    }
    perf
}

/// Runs this bench as a child reading the sandbox's state alone, measured like the plan.
fn measure_read_only(sandbox: &Sandbox, remote: u64) -> common::Measured {
    let run = common::measure(
        Command::new(std::env::current_exe().expect("this bench"))
            .args([READ_ONLY, sandbox.url.as_str(), &remote.to_string()])
            .stderr(Stdio::null()),
    );
    assert!(
        run.success,
        "the read-only run failed (its count is checked)"
    );
    run
}

/// The child: reads every managed scope as `dnc plan` does (same concurrency, no manifests,
/// so no numbers looked up one by one) and checks the entry count.
fn read_only(url: &str, expected: u64) {
    let client = Client::new(ClientConfig {
        base_url: url::Url::parse(url).expect("a URL"),
        token: common::TOKEN.to_string().into(),
        timeout: Duration::from_secs(30),
        retry: dnc::http::RetryPolicy::at_most(0),
        max_rps: None,
    })
    .expect("client");
    let scopes: Vec<CampaignId> = SCOPES.iter().map(|&(id, _, _)| CampaignId(id)).collect();
    let state = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(dnc::state::read(&client, &scopes, &ReadOptions::default()))
        .expect("read the state");
    for (scope, st) in &state.scopes {
        assert!(st.incomplete.is_none(), "{scope} read incompletely");
    }
    let read: usize = state.scopes.iter().map(|(_, st)| st.entries.len()).sum();
    assert_eq!(read as u64, expected, "entries read");
}

/// The config, one bulk manifest per scope including its CSV files, one hand-kept YAML
/// manifest per scope, and one YAML manifest of tombstones.
fn write_manifests(layout: &Layout, dir: &Path) -> std::path::PathBuf {
    let config = common::write(
        dir,
        "dnc.yaml",
        &format!(
            "version: 1
manifests: [\"lists/*.yaml\"]
phone_code: 1
scopes:
  - scope: global
  - scope: 111
    name: Sales
  - scope: 222
    name: Renewals
  - scope: purpose-type
reasons: [{}, {STALE}]
purposes: [TELEMKT, COLLECT]
safety:
  max_removals: {TOMBSTONES}
  max_removal_percent: 50
strict: true
",
            REASONS.join(", ")
        ),
    );
    let mut per_scope: Vec<Vec<u64>> = vec![Vec::new(); SCOPES.len()];
    for i in 0..layout.entries {
        per_scope[layout.scope_of(i)].push(i);
    }
    for (s, items) in per_scope.iter().enumerate() {
        let (_, name, _) = SCOPES[s];
        let yaml_from = items.len().saturating_sub(YAML_PER_SCOPE as usize);
        let (bulk, hand) = items.split_at(yaml_from);
        let mut includes = String::new();
        for (k, chunk) in bulk.chunks(CSV_ROWS_PER_FILE as usize).enumerate() {
            let file = format!("bulk/{name}-{k}.csv");
            let mut csv = String::from("number,reason,requested_at,source\n");
            for &i in chunk {
                let number = written(&layout.numbers.get(i), i);
                let day = 1 + i % 28;
                writeln!(
                    csv,
                    "{number},{},2026-02-{day:02},state registry",
                    Layout::reason(i)
                )
                .unwrap();
            }
            common::write(dir, &format!("lists/{file}"), &csv);
            writeln!(includes, "  - csv: {file}").unwrap();
        }
        let purpose = Layout::purpose(s).map_or(String::new(), |p| format!("  purpose: {p}\n"));
        if !includes.is_empty() {
            common::write(
                dir,
                &format!("lists/{name}-bulk.yaml"),
                &format!("defaults:\n  scope: {name}\n{purpose}include:\n{includes}"),
            );
        }
        let mut yaml = format!("defaults:\n  scope: {name}\n{purpose}entries:\n");
        for &i in hand {
            let number = written(&layout.numbers.get(i), i);
            writeln!(
                yaml,
                "  - number: \"{number}\"\n    reason: {}\n    ticket: COMP-{i}",
                Layout::reason(i)
            )
            .unwrap();
        }
        common::write(dir, &format!("lists/{name}-hand.yaml"), &yaml);
    }
    let mut removals = String::from("removals:\n");
    for t in 0..TOMBSTONES {
        let (_, name, _) = SCOPES[(t % SCOPES.len() as u64) as usize];
        let number = layout.numbers.get(layout.tombstone_number(t));
        writeln!(
            removals,
            "  - number: \"{number}\"\n    scope: {name}\n    removal_reason: Consent re-obtained, COMP-R{t}"
        )
        .unwrap();
    }
    common::write(dir, "lists/removals.yaml", &removals);
    config
}

/// The ledger an earlier apply left: one finished create per managed remote entry, with the
/// reason and purpose it carries remotely. The sandbox serves the contract's search shape
/// (no reasons), so the plan knows them from here. Returns its lines and bytes.
fn write_ledger(layout: &Layout, dir: &Path) -> (u64, u64) {
    use std::io::Write as _;
    let path = dir.join(".dnc/ledger.jsonl");
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir .dnc");
    let mut out = std::io::BufWriter::new(File::create(&path).expect("ledger file"));
    let mut lines = 0;
    for i in (0..layout.entries).filter(|&i| !Layout::is_create(i)) {
        let scope = layout.scope_of(i);
        let reason = if Layout::is_update(i) {
            STALE
        } else {
            Layout::reason(i)
        };
        let purpose =
            Layout::purpose(scope).map_or(String::new(), |p| format!(",\"purpose\":\"{p}\""));
        writeln!(
            out,
            "{{\"time\":\"2026-01-05T10:00:00.000Z\",\"event\":\"finish\",\"plan_hash\":\"bench\",\"op\":{i},\"change\":\"create\",\"campaign_id\":{},\"phone_code\":1,\"phone_number\":\"{}\",\"reason\":\"{reason}\"{purpose},\"outcome\":\"done\"}}",
            SCOPES[scope].0,
            layout.numbers.get(i)
        )
        .expect("write the ledger");
        lines += 1;
    }
    drop(out);
    (
        lines,
        std::fs::metadata(&path).expect("ledger written").len(),
    )
}

/// Every remote entry, in the order the list grew, with insert dates spread over `DAYS`.
fn seed_entries(layout: &Layout) -> impl Iterator<Item = SeedEntry> + '_ {
    enum Item {
        Desired(u64),
        Tombstone(u64),
        Drift(u64),
    }
    let mut items: Vec<Item> = (0..layout.entries)
        .filter(|&i| !Layout::is_create(i))
        .map(Item::Desired)
        .chain((0..TOMBSTONES_PRESENT).map(Item::Tombstone))
        .chain((0..DRIFT).map(Item::Drift))
        .collect();
    items.shuffle(&mut rand::rngs::StdRng::seed_from_u64(4));
    let total = items.len() as u64;
    let start = chrono::NaiveDate::from_ymd_opt(2024, 12, 1).expect("a date");
    items.into_iter().enumerate().map(move |(k, item)| {
        let (scope, number, reason) = match item {
            Item::Desired(i) => {
                let reason = if Layout::is_update(i) {
                    STALE
                } else {
                    Layout::reason(i)
                };
                (layout.scope_of(i), i, reason)
            }
            Item::Tombstone(t) => (
                (t % SCOPES.len() as u64) as usize,
                layout.tombstone_number(t),
                "DNC",
            ),
            Item::Drift(d) => (
                (d % SCOPES.len() as u64) as usize,
                layout.drift_number(d),
                "DNC",
            ),
        };
        let k = k as u64;
        let day = start + chrono::Days::new(k * DAYS / total);
        let second = (k * 86_400 * DAYS / total) % 86_400;
        SeedEntry {
            phone_code: 1,
            phone_number: layout.numbers.get(number),
            campaign_id: SCOPES[scope].0,
            reason: Some(reason.to_string()),
            purpose: Layout::purpose(scope).map(str::to_string),
            insert_date: format!(
                "{day} {:02}:{:02}:{:02}",
                second / 3600,
                second / 60 % 60,
                second % 60
            ),
        }
    })
}

/// Asserts the plan says exactly what was seeded: a benchmark of a wrong answer is worthless.
fn check(plan: &Value, expected: &[Expected]) {
    let scopes = plan["scopes"].as_array().expect("scopes");
    assert_eq!(scopes.len(), SCOPES.len(), "scopes in the plan");
    for ((scope, want), (id, name, _)) in scopes.iter().zip(expected).zip(SCOPES) {
        assert_eq!(scope["campaign_id"], id, "scope order");
        assert!(
            scope["incomplete"].is_null(),
            "{name} read incompletely: {}",
            scope["incomplete"]
        );
        let changes = scope["changes"].as_array().expect("changes");
        let count = |action: &str| changes.iter().filter(|c| c["action"] == action).count() as u64;
        let got = Expected {
            create: count("create"),
            update: count("update"),
            remove: count("remove"),
            unchanged: scope["unchanged"].as_u64().expect("unchanged"),
            already_absent: scope["already_absent"].as_u64().expect("already_absent"),
            unmanaged: scope["unmanaged"].as_array().expect("unmanaged").len() as u64,
            remote_total: scope["remote_total"].as_u64().expect("remote_total"),
        };
        assert_eq!(&got, want, "scope {name}");
        assert_eq!(count("prune"), 0, "scope {name} prunes");
        assert_eq!(scope["duplicates"].as_array().map(Vec::len), Some(0));
    }
    assert_eq!(
        plan["safety"]["removals"].as_u64(),
        Some(expected.iter().map(|e| e.remove).sum())
    );
    assert_eq!(
        plan["safety"]["breaches"].as_array().map(Vec::len),
        Some(0),
        "safety breaches: {}",
        plan["safety"]["breaches"]
    );
}

/// `timing: NAME SECONDS` lines from `dnc plan --timings`, in order.
fn timings(stderr: &str) -> Vec<(String, f64)> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("timing: "))
        .filter_map(|l| {
            let (name, secs) = l.rsplit_once(' ')?;
            Some((name.to_string(), secs.strip_suffix('s')?.parse().ok()?))
        })
        .collect()
}

fn report(
    layout: &Layout,
    expected: &[Expected],
    run: &common::Measured,
    phases: &[(String, f64)],
    reads: [&common::Measured; 2],
) {
    println!("\nThe plan's counts match the seeded data:");
    let rows: Vec<Vec<String>> = expected
        .iter()
        .zip(SCOPES)
        .map(|(e, (_, name, _))| {
            vec![
                name.to_string(),
                e.remote_total.to_string(),
                e.create.to_string(),
                e.update.to_string(),
                e.remove.to_string(),
                e.already_absent.to_string(),
                e.unmanaged.to_string(),
                e.unchanged.to_string(),
            ]
        })
        .collect();
    common::table(
        &[
            "scope",
            "remote",
            "create",
            "update",
            "remove",
            "absent",
            "drift",
            "unchanged",
        ],
        &rows,
    );
    println!("\n`dnc plan` on {} manifest entries:", layout.entries);
    let mut rows: Vec<Vec<String>> = phases
        .iter()
        .map(|(name, secs)| {
            vec![
                format!("phase: {name}"),
                format!("{secs:.2} s"),
                format!("{:.0} %", 100.0 * secs / run.wall.as_secs_f64()),
            ]
        })
        .collect();
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" }.to_string();
    rows.push(vec![
        "wall time, end to end".into(),
        common::secs(run.wall),
        format!(
            "target < {} s: {}",
            TARGET_WALL.as_secs(),
            verdict(run.wall < TARGET_WALL)
        ),
    ]);
    rows.push(vec![
        "CPU time of the dnc process".into(),
        common::secs(run.cpu),
        String::new(),
    ]);
    rows.push(vec![
        "peak RSS of the dnc process".into(),
        format!("{:.0} MiB", run.max_rss_kib as f64 / 1024.0),
        format!(
            "target < 1024 MiB: {}",
            verdict(run.max_rss_kib < TARGET_RSS_KIB)
        ),
    ]);
    for (when, read) in ["before", "after"].iter().zip(reads) {
        rows.push(vec![
            format!("read alone ({when} the plan): wall / CPU / peak RSS"),
            format!("{:.2} s", read.wall.as_secs_f64()),
            format!(
                "{:.2} s CPU, {:.0} MiB",
                read.cpu.as_secs_f64(),
                read.max_rss_kib as f64 / 1024.0
            ),
        ]);
    }
    let read_wall = (reads[0].wall + reads[1].wall).as_secs_f64() / 2.0;
    let ratio = run.wall.as_secs_f64() / read_wall;
    rows.push(vec![
        "plan wall / read alone (mean)".into(),
        format!("{ratio:.2}x"),
        format!(
            "target <= {TARGET_READ_RATIO}x: {}",
            verdict(ratio <= TARGET_READ_RATIO)
        ),
    ]);
    if let Some((_, diff)) = phases.iter().find(|(name, _)| name == "diff") {
        rows.push(vec![
            "diff phase".into(),
            format!("{diff:.2} s"),
            format!(
                "target <= {TARGET_DIFF_SECS} s: {}",
                verdict(*diff <= TARGET_DIFF_SECS)
            ),
        ]);
    }
    rows.push(vec![
        "peak RSS of the plan (issue 15)".into(),
        format!("{:.0} MiB", run.max_rss_kib as f64 / 1024.0),
        format!(
            "target <= 256 MiB: {}",
            verdict(run.max_rss_kib <= TARGET_RSS_15_KIB)
        ),
    ]);
    common::table(&["measure", "value", "share / target"], &rows);
    println!("load average at the end: {}", common::loadavg());
    let counts: BTreeMap<&str, u64> = [
        ("create", expected.iter().map(|e| e.create).sum()),
        ("update", expected.iter().map(|e| e.update).sum()),
        ("remove", expected.iter().map(|e| e.remove).sum()),
        ("drift", expected.iter().map(|e| e.unmanaged).sum()),
    ]
    .into();
    println!("\nchanges planned: {counts:?}");
}
