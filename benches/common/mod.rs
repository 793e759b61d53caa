//! Shared by the scale benchmarks: the real `dnc` binary run as separate processes (a sandbox
//! server and the command under test), valid phone numbers, and result tables.

use dnc::phone::{self, Assignment};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The launcher the integration tests use: one way to start `dnc sandbox`.
#[path = "../../tests/it/common/sandbox.rs"]
mod sandbox;

pub use sandbox::{Sandbox, TOKEN};

pub const DNC: &str = env!("CARGO_BIN_EXE_dnc");

impl Sandbox {
    /// Serves `db` with the given campaigns (`ID=NAME`) registered besides 0 and -1, with
    /// `DNC_BENCH_LATENCY_MS` of emulated network latency per request (loopback has none) and
    /// `DNC_BENCH_PROFILE`'s search shape (default: the contract's).
    pub fn with_campaigns(db: &Path, campaigns: &[&str]) -> Sandbox {
        let mut args = Vec::new();
        for c in campaigns {
            args.extend(["--campaign", *c]);
        }
        let latency = std::env::var("DNC_BENCH_LATENCY_MS");
        if let Ok(ms) = &latency {
            args.extend(["--latency-ms", ms.as_str()]);
        }
        let profile = std::env::var("DNC_BENCH_PROFILE");
        if let Ok(profile) = &profile {
            args.extend(["--profile", profile.as_str()]);
        }
        Sandbox::launch(db, &args)
    }

    /// A `dnc` command aimed at this sandbox, with GitHub and CI variables removed.
    pub fn dnc(&self) -> Command {
        let mut cmd = Command::new(DNC);
        cmd.env("DNC_API_URL", self.url.as_str())
            .env("DNC_AUTH_TOKEN", TOKEN)
            .env("NO_COLOR", "1");
        for var in ["CI", "GITHUB_ACTIONS", "DNC_COMMENT", "DNC_MASK_NUMBERS"] {
            cmd.env_remove(var);
        }
        cmd
    }
}

/// How a measured child process ended.
pub struct Measured {
    pub wall: Duration,
    /// User plus system CPU time of that process: less sensitive than wall time to other
    /// work on a shared machine.
    pub cpu: Duration,
    /// Peak resident set size of that process alone.
    pub max_rss_kib: u64,
    pub success: bool,
}

/// Runs `cmd` to completion and measures its wall time and its own peak memory (wait4 on its
/// pid, so other children such as the sandbox are not counted).
pub fn measure(cmd: &mut Command) -> Measured {
    let started = Instant::now();
    let child = cmd.spawn().expect("spawn the measured command");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain zeroed C struct, filled by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `child` is never waited on again (dropping a Child
    // does not wait), so the pid is reaped exactly once.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(
        reaped,
        pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    drop(child);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Measured {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    }
}

/// Deterministic valid US numbers: every area code × exchange whose whole block of 10,000
/// lines libphonenumber's rules call assigned, so no generated number draws a warning.
pub struct Numbers {
    blocks: Vec<u32>,
}

const AREA_CODES: [u32; 12] = [201, 202, 206, 212, 213, 312, 404, 415, 503, 617, 713, 917];

impl Numbers {
    pub fn new() -> Numbers {
        let assigned = |n: u64| {
            matches!(
                phone::normalize(Some(1), &n.to_string()),
                Ok((_, Assignment::Assigned))
            )
        };
        let blocks = AREA_CODES
            .iter()
            .flat_map(|&npa| (200..1000).map(move |nxx| npa * 1000 + nxx))
            .filter(|&b| {
                let first = u64::from(b) * 10_000;
                // 555 holds mostly fictional, unassigned lines.
                b % 1000 != 555 && assigned(first) && assigned(first + 9_999)
            })
            .collect();
        Numbers { blocks }
    }

    /// How many distinct numbers `get` can produce.
    pub fn capacity(&self) -> u64 {
        self.blocks.len() as u64 * 10_000
    }

    /// The `i`-th number as 10 national digits; consecutive `i` land in different exchanges.
    pub fn get(&self, i: u64) -> String {
        assert!(i < self.capacity(), "number {i} is beyond the generator");
        let n = self.blocks.len() as u64;
        let block = u64::from(self.blocks[(i % n) as usize]);
        format!("{}", block * 10_000 + i / n)
    }

    /// The blocks, as `NPANXX` integers (for load generators).
    pub fn blocks(&self) -> &[u32] {
        &self.blocks
    }
}

/// The `i`-th number in one of the notations people write.
pub fn written(national: &str, i: u64) -> String {
    let (a, b, c) = (&national[..3], &national[3..6], &national[6..]);
    match i % 4 {
        0 => national.to_string(),
        1 => format!("({a}) {b}-{c}"),
        2 => format!("{a}-{b}-{c}"),
        _ => format!("+1 {a} {b} {c}"),
    }
}

/// A temporary working directory, removed when dropped.
pub fn workdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("dnc-bench-{name}-"))
        .tempdir()
        .expect("tempdir")
}

/// Writes `text` to `dir/name`, creating parent directories.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dirs");
    }
    std::fs::write(&path, text).expect("write file");
    path
}

/// Prints an aligned table: a header row and rows of cells.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(header.to_vec());
    println!(
        "|{}|",
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 {
                format!(":{}", "-".repeat(w + 1))
            } else {
                format!("{}:", "-".repeat(w + 1))
            })
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// The number of CPUs this process may use, for the report.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// The machine's 1, 5 and 15 minute load averages, for the report: a shared machine's
/// figures mean little without them.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
