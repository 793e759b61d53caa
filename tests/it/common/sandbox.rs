//! The sandbox launcher: the real `dnc sandbox` binary on 127.0.0.1:0, from an empty
//! environment. The benches include this file too (`benches/common/mod.rs`), so there is one
//! launcher.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tempfile::TempDir;

pub const TOKEN: &str = "tok-3f9a-secret-value";

/// The SDK's search shape (reasons and purposes echoed), for tests whose point is what the
/// API shows; the default is the contract's, which shows neither.
pub const SDK: &[&str] = &["--profile", "sdk"];

/// A running `dnc sandbox` process, killed when dropped.
pub struct Sandbox {
    child: Child,
    pub url: url::Url,
    pub db: PathBuf,
    /// The highest search offset it accepts (`--max-offset`): `dnc` runs against it are
    /// told the same cap.
    pub max_offset: u64,
    _dir: Option<TempDir>,
}

impl Sandbox {
    /// A sandbox on a fresh database, with campaigns 111 and 222 (the scopes of
    /// `Config::pruning`) registered, plus `extra` args.
    pub fn start(extra: &[&str]) -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Sandbox::start_at(&dir.path().join("x.db"), extra);
        s._dir = Some(dir);
        s
    }

    /// A sandbox whose database holds `entries` before it starts.
    pub fn start_seeded(
        entries: impl IntoIterator<Item = impl Into<dnc::sandbox::SeedEntry>>,
        extra: &[&str],
    ) -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("x.db");
        dnc::sandbox::seed(&db, entries.into_iter().map(Into::into)).expect("seed");
        let mut s = Sandbox::start_at(&db, extra);
        s._dir = Some(dir);
        s
    }

    /// A sandbox on the database `db` (which outlives it, for restart tests), with
    /// campaigns 111 and 222 registered.
    pub fn start_at(db: &Path, extra: &[&str]) -> Sandbox {
        let mut args = vec![
            "--campaign",
            "111=Sales Campaign",
            "--campaign",
            "222=Renewals",
        ];
        args.extend_from_slice(extra);
        Sandbox::launch(db, &args)
    }

    /// `dnc sandbox --db DB ARGS` with the test token and nothing else registered.
    pub fn launch(db: &Path, args: &[&str]) -> Sandbox {
        let max_offset = args
            .windows(2)
            .find(|w| w[0] == "--max-offset")
            .map_or(dnc::state::MAX_OFFSET, |w| {
                w[1].parse().expect("a --max-offset number")
            });
        let mut child = Command::new(env!("CARGO_BIN_EXE_dnc"))
            .args(["sandbox", "--listen", "127.0.0.1:0", "--token", TOKEN])
            .arg("--db")
            .arg(db)
            .args(args)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn dnc sandbox");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the sandbox's first line");
        let url = line
            .trim()
            .strip_prefix("dnc sandbox listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("unexpected first line from dnc sandbox: {line:?}")
            });
        Sandbox {
            url: url::Url::parse(url).expect("a URL"),
            child,
            db: db.to_path_buf(),
            max_offset,
            _dir: None,
        }
    }

    /// Asks the process to stop with SIGTERM and returns how it exited.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        self.child.wait().expect("wait for dnc sandbox")
    }

    /// How many API requests the sandbox has received (its `/_sandbox/stats`).
    pub fn requests(&self) -> u64 {
        use std::io::{Read, Write};
        let host = self.url.host_str().expect("a host");
        let port = self.url.port().expect("a port");
        let mut sock = std::net::TcpStream::connect((host, port)).expect("connect");
        write!(
            sock,
            "GET /_sandbox/stats HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        sock.read_to_string(&mut answer).expect("read");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let stats: serde_json::Value = serde_json::from_str(body).expect("stats JSON");
        stats["requests"].as_u64().expect("a count")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
