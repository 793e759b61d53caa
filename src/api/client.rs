//! The HTTP client: form-encoded POSTs, a shared rate limit, and retries with jittered
//! exponential backoff on throttling, server errors, timeouts and lost connections.

use super::error::{ApiError, Endpoint, ErrorKind};
use super::wire::{
    DeleteRequest, Envelope, Form, InsertRequest, SearchPage, SearchQuery, UpdateRequest,
};
use backon::{ExponentialBuilder, Retryable};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

/// The longest `Retry-After` honoured; a server asking for more gets this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Largest answer read; a 1000-entry search page is about 250 KB.
const MAX_BODY: usize = 8 * 1024 * 1024;
/// How much of a bad answer an error quotes.
const SNIPPET_CHARS: usize = 200;
const REDACTED: &str = "[REDACTED]";

#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The API root, e.g. `https://api.convoso.com/v1/`.
    pub base_url: url::Url,
    pub token: SecretString,
    /// Per request, connection included.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// Requests per second, shared by all clones of the client.
    pub max_rps: Option<NonZeroU32>,
}

/// A handle to the API; cheap to clone, clones share connections and the rate limit.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: url::Url,
    token: SecretString,
    max_retries: usize,
    limiter: Option<DefaultDirectRateLimiter>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("token", &REDACTED)
            .field("max_retries", &self.inner.max_retries)
            .finish()
    }
}

/// A successful call's value and how many requests it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply<T> {
    pub value: T,
    pub attempts: u32,
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, ApiError> {
        let mut base_url = cfg.base_url;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(ApiError::Config(format!(
                "base URL `{}` is not an http(s) URL",
                base_url.as_str()
            )));
        }
        // `…/v1` would lose its last segment when joined with `dnc/insert`.
        if !base_url.path().ends_with('/') {
            let path = format!("{}/", base_url.path());
            base_url.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .user_agent(concat!("dnc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Config(e.to_string()))?;
        let limiter = cfg
            .max_rps
            .map(|rps| RateLimiter::direct(Quota::per_second(rps)));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                token: cfg.token,
                max_retries: cfg.max_retries,
                limiter,
            }),
        })
    }

    pub fn base_url(&self) -> &url::Url {
        &self.inner.base_url
    }

    /// Adds an entry; the value is its new id.
    pub async fn insert(&self, req: &InsertRequest) -> Result<Reply<u64>, ApiError> {
        let (env, attempts) = self.call(Endpoint::Insert, req.form()).await?;
        let value = require_id(Endpoint::Insert, &env, attempts)?;
        Ok(Reply { value, attempts })
    }

    /// Changes an entry's reason or purpose; the value is its id.
    pub async fn update(&self, req: &UpdateRequest) -> Result<Reply<u64>, ApiError> {
        let (env, attempts) = self.call(Endpoint::Update, req.form()).await?;
        let value = require_id(Endpoint::Update, &env, attempts)?;
        Ok(Reply { value, attempts })
    }

    /// Reads one page.
    pub async fn search(&self, q: &SearchQuery) -> Result<SearchPage, ApiError> {
        let (env, attempts) = self.call(Endpoint::Search, q.form()).await?;
        env.data
            .map(SearchPage::from)
            .ok_or_else(|| decode_error(Endpoint::Search, "no `data` in the answer", "", attempts))
    }

    pub async fn delete(&self, req: &DeleteRequest) -> Result<Reply<()>, ApiError> {
        let (env, attempts) = self.call(Endpoint::Delete, req.form()).await?;
        match env.success {
            Some(true) => Ok(Reply {
                value: (),
                attempts,
            }),
            _ => Err(decode_error(
                Endpoint::Delete,
                "no `success: true` in the answer",
                "",
                attempts,
            )),
        }
    }

    /// Sends `form` to `endpoint`, retrying transient failures; returns the answer and the
    /// number of requests sent.
    async fn call(&self, endpoint: Endpoint, form: Form) -> Result<(Envelope, u32), ApiError> {
        let attempts = AtomicU32::new(0);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(10))
            .with_max_times(self.inner.max_retries)
            .with_jitter();
        let result = (|| {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(endpoint, &form)
        })
        .retry(backoff)
        .when(|f: &Failed| f.error.is_transient())
        .adjust(|f: &Failed, next| next.map(|d| f.retry_after.unwrap_or(d)))
        .await;
        let n = attempts.load(Ordering::Relaxed);
        match result {
            Ok(env) => Ok((env, n)),
            Err(mut f) => {
                f.error.set_attempts(n);
                Err(f.error)
            }
        }
    }

    /// One request and its answer, read as far as the endpoint's success or error shape.
    async fn attempt(&self, endpoint: Endpoint, form: &Form) -> Result<Envelope, Failed> {
        let inner = &self.inner;
        if let Some(limiter) = &inner.limiter {
            limiter.until_ready().await;
        }
        let url = inner
            .base_url
            .join(endpoint.path())
            .expect("a fixed relative path joins any base");
        let mut body: Vec<(&str, &str)> = vec![("auth_token", inner.token.expose_secret())];
        body.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
        let resp = inner
            .http
            .post(url)
            .form(&body)
            .send()
            .await
            .map_err(|e| self.transport(endpoint, &e))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        let bytes = self.read_body(endpoint, resp).await?;
        if status == 401 || status == 403 {
            return Err(ApiError::Unauthorized {
                endpoint,
                status,
                attempts: 0,
            }
            .into());
        }
        if !(200..300).contains(&status) {
            return Err(Failed {
                error: ApiError::Status {
                    endpoint,
                    status,
                    snippet: self.snippet(&bytes),
                    attempts: 0,
                },
                retry_after,
            });
        }
        let env: Envelope = serde_json::from_slice(&bytes).map_err(|e| {
            decode_error(
                endpoint,
                &self.redact(&e.to_string()),
                &self.snippet(&bytes),
                0,
            )
        })?;
        if env.success == Some(false) || env.code.is_some() && env.success != Some(true) {
            let Some(code) = env.code else {
                return Err(decode_error(
                    endpoint,
                    "failure without a code",
                    &self.snippet(&bytes),
                    0,
                )
                .into());
            };
            let text = env.text.as_deref().unwrap_or_default();
            return Err(ApiError::Rejected {
                endpoint,
                code,
                kind: ErrorKind::of(endpoint, code),
                text: self.snippet(text.as_bytes()),
                attempts: 0,
            }
            .into());
        }
        Ok(env)
    }

    async fn read_body(
        &self,
        endpoint: Endpoint,
        mut resp: reqwest::Response,
    ) -> Result<Vec<u8>, Failed> {
        let mut bytes = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.transport(endpoint, &e))?
        {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(decode_error(
                    endpoint,
                    "answer larger than 8 MiB",
                    &self.snippet(&bytes),
                    0,
                )
                .into());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    fn transport(&self, endpoint: Endpoint, e: &reqwest::Error) -> Failed {
        let error = if e.is_timeout() {
            ApiError::Timeout {
                endpoint,
                attempts: 0,
            }
        } else {
            ApiError::Transport {
                endpoint,
                message: self.redact(&error_chain(e)),
                attempts: 0,
            }
        };
        error.into()
    }

    /// The start of an answer, printable, without the token.
    fn snippet(&self, bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        let short: String = text
            .chars()
            .take(SNIPPET_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        self.redact(&short)
    }

    fn redact(&self, text: &str) -> String {
        let token = self.inner.token.expose_secret();
        if token.is_empty() {
            text.to_string()
        } else {
            text.replace(token, REDACTED)
        }
    }
}

/// reqwest's message with its causes ("error sending request: connection refused").
fn error_chain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// A `Retry-After` value: delay seconds or an HTTP date (RFC 9110), capped at
/// `MAX_RETRY_AFTER`; a date already past means retry now.
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(now)
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// One attempt's failure, with the wait the server asked for.
struct Failed {
    error: ApiError,
    retry_after: Option<Duration>,
}

impl From<ApiError> for Failed {
    fn from(error: ApiError) -> Failed {
        Failed {
            error,
            retry_after: None,
        }
    }
}

fn decode_error(endpoint: Endpoint, message: &str, snippet: &str, attempts: u32) -> ApiError {
    ApiError::Decode {
        endpoint,
        message: message.to_string(),
        snippet: snippet.to_string(),
        attempts,
    }
}

fn require_id(endpoint: Endpoint, env: &Envelope, attempts: u32) -> Result<u64, ApiError> {
    match (env.success, env.id) {
        (Some(true), Some(id)) => Ok(id),
        _ => Err(decode_error(
            endpoint,
            "no `success: true` with an `id` in the answer",
            "",
            attempts,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Fri, 27 Nov 2026 12:00:00 GMT").unwrap();
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(retry_after(" 7 ", now), secs(7));
        assert_eq!(retry_after("Fri, 27 Nov 2026 12:00:30 GMT", now), secs(30));
        assert_eq!(retry_after("Friday, 27-Nov-26 12:00:30 GMT", now), secs(30));
        assert_eq!(retry_after("Fri, 27 Nov 2026 11:59:00 GMT", now), secs(0));
        assert_eq!(retry_after("3600", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after("Sat, 28 Nov 2026 12:00:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }
}
