//! Growth benchmark (not a test): doubles hostile input sizes and prints the time ratio per
//! doubling, which must stay near 2 (linear), target at most 2.2:
//!   line    one-line flow sequence of entries, 1, 2, 4, 8 MB;
//!   errors  a CSV file of 10k, 20k, 40k, 80k invalid rows, validated and rendered for a
//!           person (first problems per file) and as JSON (all of them);
//! then one figure for 1,000,000 copies of one row (a million duplicates).
//! Each size is timed as the best of three in-process runs of `dnc::manifest::load` plus
//! rendering. Run: `cargo bench --bench input_scale`.

use std::path::Path;
use std::time::{Duration, Instant};

const CONFIG: &str =
    "version: 1\nmanifests: ['*.yaml']\nphone_code: 1\nscopes: [{scope: global}]\n";

fn main() {
    println!(
        "nproc = {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    series("line MB", &[1, 2, 4, 8], one_line);
    series("errors k", &[10, 20, 40, 80], errors);
    let dir = csv_case(&"2025550143\n".repeat(1_000_000));
    let t = best(dir.path(), "human");
    println!("1,000,000 duplicate rows: {:.2}s (human)", t.as_secs_f64());
}

/// Times each size and prints the ratio to the size before.
fn series(what: &str, sizes: &[usize], make: fn(usize) -> tempfile::TempDir) {
    let mut previous: Option<f64> = None;
    for &size in sizes {
        let dir = make(size);
        let human = best(dir.path(), "human").as_secs_f64();
        let json = best(dir.path(), "json").as_secs_f64();
        let ratio = previous.map_or(String::from("-"), |p| format!("{:.2}x", human / p));
        println!("{what} {size:>3}: human {human:.3}s json {json:.3}s ratio {ratio}");
        previous = Some(human);
    }
}

fn best(dir: &Path, format: &str) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let loaded = dnc::manifest::load(dir, false);
            let out = match format {
                "human" => dnc::manifest::render_human(&loaded.diagnostics, false),
                _ => dnc::manifest::render_json(&loaded.diagnostics),
            };
            std::hint::black_box(out);
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn one_line(mb: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dnc.yaml"), CONFIG).unwrap();
    let mut text = String::from("entries: [");
    let mut i = 0u32;
    while text.len() < mb << 20 {
        let (area, line) = (202 + i / 10_000 % 700, i % 10_000);
        text.push_str(&format!(
            "{{number: \"{area}-555-{line:04}\", scope: global, reason: DNC}}, "
        ));
        i += 1;
    }
    text.push_str("]\n");
    std::fs::write(dir.path().join("m.yaml"), text).unwrap();
    dir
}

fn errors(thousands: usize) -> tempfile::TempDir {
    csv_case(&"12\n".repeat(thousands * 1000))
}

fn csv_case(rows: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dnc.yaml"), CONFIG).unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "include: [{csv: rows.csv, scope: global, reason: DNC}]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("rows.csv"), format!("number\n{rows}")).unwrap();
    dir
}
