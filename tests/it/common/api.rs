//! Talking to the sandbox over HTTP from the test process: `dnc::api` clients and raw
//! requests in each style clients use in the wild.

use super::sandbox::{Sandbox, TOKEN};
use dnc::api::{Client, ClientConfig};
use dnc::http::RetryPolicy;
use std::time::Duration;

impl Sandbox {
    /// The variables aiming `dnc` at this sandbox (and its offset cap).
    pub fn target(&self) -> [(&'static str, String); 3] {
        [
            ("DNC_API_URL", self.url.to_string()),
            ("DNC_AUTH_TOKEN", TOKEN.to_string()),
            ("DNC_API_MAX_OFFSET", self.max_offset.to_string()),
        ]
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

/// A small hostile API on a thread: `routes` maps a path (`/v1/dnc/ENDPOINT`) to the JSON
/// body it always answers with HTTP 200; any other path gets `{}`. Returns its base URL.
pub fn scripted_server(routes: Vec<(&'static str, &'static str)>) -> url::Url {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let mut reader = BufReader::new(sock);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let path = first.split_whitespace().nth(1).unwrap_or_default();
            let answer = routes
                .iter()
                .find(|(p, _)| *p == path)
                .map_or("{}", |(_, a)| *a);
            let resp = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = reader.get_mut().write_all(resp.as_bytes());
        }
    });
    url::Url::parse(&format!("http://{addr}/v1/")).unwrap()
}
