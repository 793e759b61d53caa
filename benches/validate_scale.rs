//! Scale benchmark (not a test): generates a manifest set of 1,000,000 entries (half YAML,
//! half CSV includes), then measures, each in a fresh process so peak memory is per phase:
//!   parse     the YAML event parser dnc builds on, plus the CSV reader, over every file;
//!   serde     serde-saphyr into a generic `serde_json::Value` per YAML file, plus CSV records;
//!   validate  `dnc::manifest::load` (schema pass, semantic pass, duplicate detection).
//! Five interleaved rounds; medians and the validate/parse ratios close the report.
//! Run: `cargo bench --bench validate_scale` (ENTRIES=n to change the size).
//! Profile one phase: `validate_scale --generate DIR`, then `validate_scale --phase validate DIR`.

// Uses only the load average of the shared module.
#[allow(dead_code)]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const YAML_FILES: usize = 10;
const CSV_FILES: usize = 5;
const AREAS: [u32; 20] = [
    202, 212, 213, 305, 312, 404, 415, 512, 617, 702, 713, 718, 206, 303, 480, 503, 602, 619, 704,
    919,
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        phase(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    let total = total_entries();
    // `--generate DIR` only writes the data set (for profiling a phase by hand).
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        generate(Path::new(&args[i + 1]), total);
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let bytes = generate(dir.path(), total);
    println!(
        "generated {total} entries ({} YAML files, {} CSV files, {:.1} MB) in {:.1}s; nproc = {}",
        YAML_FILES,
        CSV_FILES,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // CPU seconds are the steadier figure on a shared machine; wall seconds include waiting.
    println!(
        "{:<10} {:>10} {:>10} {:>14}",
        "phase", "wall s", "cpu s", "peak RSS MiB"
    );
    // Five rounds, phases interleaved, so a noisy neighbour hurts every phase alike.
    const PHASES: [&str; 3] = ["parse", "serde", "validate"];
    let mut figures: Vec<Vec<[f64; 3]>> = vec![Vec::new(); PHASES.len()];
    for _round in 0..5 {
        for (name, figures) in PHASES.iter().zip(&mut figures) {
            let out = Command::new(std::env::current_exe().unwrap())
                .args(["--phase", name, &dir.path().to_string_lossy()])
                .output()
                .expect("phase runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout);
            print!("{line}");
            let fields: Vec<f64> = line
                .split_whitespace()
                .skip(1)
                .take(3)
                .map(|f| f.parse().unwrap())
                .collect();
            figures.push([fields[0], fields[1], fields[2]]);
        }
    }
    let median = |phase: usize, i: usize| {
        let mut v: Vec<f64> = figures[phase].iter().map(|f| f[i]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("median:");
    for (p, name) in PHASES.iter().enumerate() {
        println!(
            "{name:<10} {:>10.2} {:>10.2} {:>14.0}",
            median(p, 0),
            median(p, 1),
            median(p, 2)
        );
    }
    let cpu_ratio = median(2, 1) / median(0, 1);
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "validate / parse: {:.2}x wall, {cpu_ratio:.2}x CPU (issue 15 target: CPU <= 1.5x: {})",
        median(2, 0) / median(0, 0),
        verdict(cpu_ratio <= 1.5)
    );
    println!(
        "validate peak RSS: {:.0} MiB (issue 15 target <= 200 MiB: {})",
        median(2, 2),
        verdict(median(2, 2) <= 200.0)
    );
    println!("load average at the end: {}", common::loadavg());
}

/// How many entries the generated data holds: (YAML entries, CSV rows).
fn expected_entries(total: usize) -> (usize, usize) {
    let yaml_total = total / 2;
    (
        yaml_total / YAML_FILES * YAML_FILES,
        (total - yaml_total) / CSV_FILES * CSV_FILES,
    )
}

/// The data set size the phases check their counts against (`ENTRIES`, default 1,000,000).
fn total_entries() -> usize {
    std::env::var("ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Exchanges libphonenumber treats as ordinary (no N11, 555, or special services).
static EXCHANGES: std::sync::LazyLock<Vec<u32>> = std::sync::LazyLock::new(|| {
    (200..1000)
        .filter(|e| e % 100 != 11 && ![555, 950, 958, 959, 976].contains(e))
        .collect()
});

fn number(i: usize) -> (u32, u32, u32) {
    let exchanges = &*EXCHANGES;
    let area = AREAS[i % AREAS.len()];
    let rest = i / AREAS.len();
    let exchange = exchanges[rest % exchanges.len()];
    let line = (rest / exchanges.len()) as u32 % 10_000;
    (area, exchange, line)
}

fn notation(i: usize) -> String {
    let (a, e, l) = number(i);
    match i % 4 {
        0 => format!("({a}) {e}-{l:04}"),
        1 => format!("+1 {a}-{e}-{l:04}"),
        2 => format!("{a}{e}{l:04}"),
        _ => format!("{a}.{e}.{l:04}"),
    }
}

/// Writes the config, YAML manifests and CSV includes; returns the bytes written.
fn generate(dir: &Path, total: usize) -> usize {
    let mut bytes = 0;
    let mut write = |path: &Path, text: String| {
        bytes += text.len();
        std::fs::write(path, text).unwrap();
    };
    std::fs::create_dir_all(dir.join("lists/bulk")).unwrap();
    write(
        &dir.join("dnc.yaml"),
        "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n  \
         - scope: 111\n    name: Sales\n  - scope: purpose-type\nreasons: [DNC, Customer Request, \
         State DNC import]\n"
            .into(),
    );
    let yaml_total = total / 2;
    let per_yaml = yaml_total / YAML_FILES;
    let scopes = ["global", "111", "purpose-type"];
    let mut i = 0;
    for f in 0..YAML_FILES {
        let mut s = format!(
            "# yaml-language-server: $schema=../schema/manifest.schema.json\ndefaults:\n  scope: {}\n  reason: DNC\nentries:\n",
            scopes[f % 3]
        );
        for _ in 0..per_yaml {
            s.push_str(&format!("  - number: \"{}\"\n", notation(i)));
            if i % 3 == 0 {
                s.push_str("    reason: Customer Request\n");
            }
            if i % 5 == 0 {
                s.push_str(&format!(
                    "    ticket: COMP-{i}\n    requested_at: 2026-03-01\n"
                ));
            }
            i += 1;
        }
        write(&dir.join(format!("lists/part-{f:02}.yaml")), s);
    }
    let per_csv = (total - yaml_total) / CSV_FILES;
    let mut include =
        String::from("defaults:\n  scope: global\n  reason: State DNC import\ninclude:\n");
    for f in 0..CSV_FILES {
        include.push_str(&format!("  - csv: bulk/state-{f}.csv\n"));
        let mut s = String::from("number,scope,reason,ticket\n");
        for _ in 0..per_csv {
            let scope = if i % 7 == 0 { "111" } else { "" };
            s.push_str(&format!("\"{}\",{scope},,ST-{i}\n", notation(i)));
            i += 1;
        }
        write(&dir.join(format!("lists/bulk/state-{f}.csv")), s);
    }
    write(&dir.join("lists/state.yaml"), include);
    bytes
}

fn files(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let pattern = dir.join("lists/**/*").to_string_lossy().into_owned() + "." + ext;
    let mut v: Vec<_> = glob::glob(&pattern)
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    v.sort();
    v
}

fn csv_rows(dir: &Path) -> usize {
    let mut rows = 0;
    for path in files(dir, "csv") {
        let text = std::fs::read_to_string(path).unwrap();
        let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        rows += r
            .records()
            .map(|r| r.unwrap().len())
            .filter(|&n| n > 0)
            .count();
    }
    rows
}

/// Runs one phase and checks its count against the generated data before printing a figure.
fn phase(name: &str, dir: &Path) {
    let (yaml_entries, csv_entries) = expected_entries(total_entries());
    let started = Instant::now();
    let detail = match name {
        "parse" => {
            let mut events = 0usize;
            for path in files(dir, "yaml") {
                let text = std::fs::read_to_string(path).unwrap();
                for e in serde_saphyr::granit_parser::Parser::new_from_str(&text) {
                    e.unwrap();
                    events += 1;
                }
            }
            let rows = csv_rows(dir);
            assert_eq!(rows, csv_entries, "CSV rows read");
            // At least a mapping start, a key and a value per entry.
            assert!(events > 3 * yaml_entries, "{events} YAML events");
            format!("{events} YAML events, {rows} CSV rows")
        }
        "serde" => {
            let mut nodes = 0usize;
            for path in files(dir, "yaml") {
                let text = std::fs::read_to_string(path).unwrap();
                let options = serde_saphyr::options! { budget: None };
                let v: serde_json::Value =
                    serde_saphyr::from_str_with_options(&text, options).unwrap();
                nodes += v
                    .get("entries")
                    .and_then(|e| e.as_array())
                    .map_or(0, Vec::len);
            }
            let rows = csv_rows(dir);
            assert_eq!((nodes, rows), (yaml_entries, csv_entries), "entries read");
            format!("{nodes} YAML entries, {rows} CSV rows")
        }
        _ => {
            let loaded = dnc::manifest::load(dir, false);
            assert!(
                !loaded.has_errors(),
                "{}",
                dnc::manifest::render_github(&loaded.diagnostics)
            );
            assert_eq!(
                loaded.desired.entries.len(),
                yaml_entries + csv_entries,
                "entries loaded"
            );
            format!(
                "{} entries, {} warnings",
                loaded.desired.entries.len(),
                loaded.diagnostics.warnings()
            )
        }
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name:<10} {secs:>10.2} {:>10.2} {:>14.0}   {detail}",
        cpu_seconds(),
        peak_mib()
    );
}

/// User plus system CPU time of this process, from /proc/self/stat (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size of this process (VmHWM).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
