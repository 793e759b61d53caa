//! The shared harness: runs the real `dnc sandbox` binary on 127.0.0.1:0 and builds clients
//! and raw requests for it.

use dnc::api::{Client, ClientConfig};
use dnc::http::RetryPolicy;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

pub const TOKEN: &str = "tok-3f9a-secret-value";

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
    /// `project::config`) registered, plus `extra` args.
    pub fn start(extra: &[&str]) -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Sandbox::start_at(&dir.path().join("x.db"), extra);
        s._dir = Some(dir);
        s
    }

    /// A sandbox whose database holds `entries` before it starts.
    pub fn start_seeded(
        entries: impl IntoIterator<Item = dnc::sandbox::SeedEntry>,
        extra: &[&str],
    ) -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("x.db");
        dnc::sandbox::seed(&db, entries).expect("seed");
        let mut s = Sandbox::start_at(&db, extra);
        s._dir = Some(dir);
        s
    }

    /// A sandbox on the database `db` (which outlives it, for restart tests).
    pub fn start_at(db: &Path, extra: &[&str]) -> Sandbox {
        let max_offset = extra
            .windows(2)
            .find(|w| w[0] == "--max-offset")
            .map_or(dnc::state::MAX_OFFSET, |w| {
                w[1].parse().expect("a --max-offset number")
            });
        let mut child = Command::new(env!("CARGO_BIN_EXE_dnc"))
            .args(["sandbox", "--listen", "127.0.0.1:0", "--token", TOKEN])
            .args([
                "--campaign",
                "111=Sales Campaign",
                "--campaign",
                "222=Renewals",
            ])
            .arg("--db")
            .arg(db)
            .args(extra)
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

    /// A client with no retries.
    pub fn client(&self) -> Client {
        self.client_with(0)
    }

    pub fn client_with(&self, max_retries: usize) -> Client {
        client_for(self.url.clone(), TOKEN, max_retries)
    }

    /// The URL of `endpoint` (`insert`, `update`, `search`, `delete`).
    pub fn endpoint(&self, endpoint: &str) -> url::Url {
        self.url.join(&format!("dnc/{endpoint}")).expect("joins")
    }

    /// Sends `params` (the token is added) in `style` and returns status and JSON body,
    /// asserting the answer is declared as JSON.
    pub async fn raw(
        &self,
        endpoint: &str,
        style: Style,
        params: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let mut all = vec![("auth_token", TOKEN)];
        all.extend_from_slice(params);
        send(self.endpoint(endpoint), style, &all).await
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client retrying at most `max_retries` times, with millisecond backoff (a server's
/// `Retry-After` is still honoured).
pub fn client_for(base_url: url::Url, token: &str, max_retries: usize) -> Client {
    Client::new(ClientConfig {
        base_url,
        token: token.to_string().into(),
        timeout: Duration::from_secs(20),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(1),
            budget: Duration::from_secs(60),
            ..RetryPolicy::at_most(max_retries)
        },
        max_rps: None,
    })
    .expect("client")
}

/// The four request styles clients use in the wild.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// POST with an `application/x-www-form-urlencoded` body.
    FormBody,
    /// GET with everything in the query string.
    GetQuery,
    /// GET with the query string and a `Content-Type: application/json` header, no body.
    GetQueryJsonHeader,
    /// POST with everything in the query string and an empty body.
    PostQuery,
}

pub const STYLES: [Style; 4] = [
    Style::FormBody,
    Style::GetQuery,
    Style::GetQueryJsonHeader,
    Style::PostQuery,
];

pub async fn send(
    url: url::Url,
    style: Style,
    params: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let http = reqwest::Client::new();
    let mut with_query = url.clone();
    with_query.query_pairs_mut().extend_pairs(params);
    let req = match style {
        Style::FormBody => http.post(url).form(params),
        Style::GetQuery => http.get(with_query),
        Style::GetQueryJsonHeader => http
            .get(with_query)
            .header("Content-Type", "application/json"),
        Style::PostQuery => http.post(with_query),
    };
    let resp = req.send().await.expect("request");
    decode(resp).await
}

/// Status and JSON body, asserting `Content-Type: application/json`.
pub async fn decode(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(ct.as_deref(), Some("application/json"), "status {status}");
    let body = resp.bytes().await.expect("body");
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, json)
}

/// A business error's code, asserting the documented shape.
pub fn code_of(status: u16, body: &serde_json::Value) -> i64 {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert!(
        body["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{body}");
    body["code"].as_i64().expect("integer code")
}
