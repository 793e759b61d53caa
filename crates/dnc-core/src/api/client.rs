//! The HTTP client: form-encoded POSTs, a shared rate limit, and the retry, redaction and
//! size policy of `crate::http`. An auth failure stops every later call of the same client.

use super::error::{ApiError, Endpoint, ErrorKind, is_auth_refusal};
use super::wire::{
    DeleteRequest, Envelope, Form, InsertRequest, SearchPage, SearchQuery, Shape, UpdateRequest,
};
use crate::http::{self, Attempt, BodyError, Redactor, Retrier, RetryPolicy};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Largest answer read; a 1000-entry search page is about 250 KB.
const MAX_BODY: usize = 8 * 1024 * 1024;
/// How much of a bad answer an error quotes.
const SNIPPET_CHARS: usize = 200;

#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The API root, e.g. `https://api.convoso.com/v1/`.
    pub base_url: url::Url,
    pub token: SecretString,
    /// Per request, connection included.
    pub timeout: Duration,
    /// Retries: the budget shared by every call of this client, and the backoff.
    pub retry: RetryPolicy,
    /// Requests per second, shared by all clones of the client.
    pub max_rps: Option<NonZeroU32>,
}

/// A handle to the API; cheap to clone, clones share connections, the rate limit and the
/// retry budget.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: url::Url,
    /// Each endpoint's URL, joined once rather than parsed again for every request.
    urls: HashMap<Endpoint, url::Url>,
    token: SecretString,
    redactor: Redactor,
    retrier: Arc<Retrier>,
    limiter: Option<DefaultDirectRateLimiter>,
    /// How the API first refused the token: later calls fail without a request.
    refused: OnceLock<String>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &http::redact_url(self.inner.base_url.as_str()))
            .field("token", &http::REDACTED)
            .field("retrier", &self.inner.retrier)
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
                http::redact_url(base_url.as_str())
            )));
        }
        // `…/v1` would lose its last segment when joined with `dnc/insert`.
        if !base_url.path().ends_with('/') {
            let path = format!("{}/", base_url.path());
            base_url.set_path(&path);
        }
        let https_only = base_url.scheme() == "https";
        let http =
            http::client(cfg.timeout, https_only).map_err(|e| ApiError::Config(e.to_string()))?;
        let urls = [
            Endpoint::Insert,
            Endpoint::Update,
            Endpoint::Search,
            Endpoint::Delete,
        ]
        .into_iter()
        .map(|e| {
            let url = base_url
                .join(e.path())
                .expect("a fixed relative path joins any base");
            (e, url)
        })
        .collect();
        let limiter = cfg
            .max_rps
            .map(|rps| RateLimiter::direct(Quota::per_second(rps)));
        // The URL's password travels as basic auth: a server may echo it too.
        let password = base_url.password().unwrap_or_default();
        let password = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
        let redactor = Redactor::new(cfg.token.expose_secret()).also(&password);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                urls,
                redactor,
                token: cfg.token,
                retrier: Retrier::new("Convoso API", cfg.retry),
                limiter,
                refused: OnceLock::new(),
            }),
        })
    }

    pub fn base_url(&self) -> &url::Url {
        &self.inner.base_url
    }

    /// Whether the API refused the token, or the retry budget ran out: either way the
    /// calls still to come would fail too.
    pub fn is_down(&self) -> bool {
        self.inner.refused.get().is_some() || self.inner.retrier.gave_up().is_some()
    }

    /// Hides the token, in any encoding, in text that may have come from the server.
    pub fn redact(&self, text: &str) -> String {
        self.inner.redactor.redact(text)
    }

    /// Adds an entry; the value is its new id, `None` when a success answer carries none
    /// (the caller confirms such an insert by search).
    pub async fn insert(&self, req: &InsertRequest) -> Result<Reply<Option<u64>>, ApiError> {
        let (env, _, attempts) = self.call(Endpoint::Insert, req.form()).await?;
        Ok(Reply {
            value: env.id,
            attempts,
        })
    }

    /// Changes an entry's reason or purpose; the value is its id, `None` when a success
    /// answer carries none.
    pub async fn update(&self, req: &UpdateRequest) -> Result<Reply<Option<u64>>, ApiError> {
        let (env, _, attempts) = self.call(Endpoint::Update, req.form()).await?;
        Ok(Reply {
            value: env.id,
            attempts,
        })
    }

    /// Reads one page.
    pub async fn search(&self, q: &SearchQuery) -> Result<SearchPage, ApiError> {
        let (env, _, attempts) = self.call(Endpoint::Search, q.form()).await?;
        page_of(env, attempts)
    }

    /// Reads one page, and how its answer is shaped (for `dnc probe`: reading the shape
    /// decodes the answer a second time, as a document, which a full read cannot afford).
    pub async fn search_shaped(&self, q: &SearchQuery) -> Result<(SearchPage, Shape), ApiError> {
        let (env, bytes, attempts) = self.call(Endpoint::Search, q.form()).await?;
        Ok((page_of(env, attempts)?, Shape::of(&bytes)))
    }

    /// Removes an entry; the value says whether the answer said `success: true` (an answer
    /// without it and without an error code is not proof: the caller confirms by search).
    pub async fn delete(&self, req: &DeleteRequest) -> Result<Reply<bool>, ApiError> {
        let (env, _, attempts) = self.call(Endpoint::Delete, req.form()).await?;
        Ok(Reply {
            value: env.success == Some(true),
            attempts,
        })
    }

    /// Sends `form` to `endpoint`, retrying transient failures; returns the answer, its
    /// bytes and the number of requests sent.
    async fn call(
        &self,
        endpoint: Endpoint,
        form: Form,
    ) -> Result<(Envelope, Vec<u8>, u32), ApiError> {
        if let Some(answer) = self.inner.refused.get() {
            return Err(ApiError::Unauthorized {
                endpoint,
                answer: answer.clone(),
                attempts: 0,
            });
        }
        let (result, sent) = self
            .inner
            .retrier
            .run(|| self.attempt(endpoint, &form))
            .await;
        result
            .map(|(env, bytes)| (env, bytes, sent))
            .map_err(|mut e| {
                if let ApiError::Unauthorized { answer, .. } = &e {
                    let _ = self.inner.refused.set(answer.clone());
                }
                e.set_attempts(sent);
                e
            })
    }

    /// One request and its answer, read as far as the endpoint's success or error shape.
    async fn attempt(
        &self,
        endpoint: Endpoint,
        form: &Form,
    ) -> Result<(Envelope, Vec<u8>), Attempt<ApiError>> {
        let inner = &self.inner;
        if let Some(limiter) = &inner.limiter {
            limiter.until_ready().await;
        }
        let url = inner.urls[&endpoint].clone();
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
        if let Some(location) = http::redirect_location(&resp) {
            return Err(failed(ApiError::Redirected {
                endpoint,
                status,
                location: self.redact(&location),
                attempts: 0,
            }));
        }
        let retry_after = http::retry_after_header(resp.headers());
        let bytes = match http::read_capped(resp, MAX_BODY).await {
            Ok(bytes) => bytes,
            Err(BodyError::Transport(e)) => return Err(self.transport(endpoint, &e)),
            Err(BodyError::TooLarge { start, .. }) => {
                return Err(failed(decode_error(
                    endpoint,
                    "answer larger than 8 MiB",
                    &self.snippet(&start),
                    0,
                )));
            }
        };
        if status == 401 || status == 403 {
            return Err(failed(ApiError::Unauthorized {
                endpoint,
                answer: format!("HTTP {status}"),
                attempts: 0,
            }));
        }
        // Decoded once, straight into the typed answer; a document that is not JSON at all is
        // garbled, one whose values do not fit is a decode error (below).
        let decoded = serde_json::from_slice::<Envelope>(&bytes);
        let is_json = match &decoded {
            Ok(_) => true,
            Err(e) if e.is_data() => {
                serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
            }
            Err(_) => false,
        };
        if !is_json {
            let error = ApiError::Garbled {
                endpoint,
                status,
                first_line: self.redact(&http::first_line(&bytes, SNIPPET_CHARS)),
                attempts: 0,
            };
            return Err(Attempt {
                cause: format!("sent an answer that is not JSON (HTTP {status})"),
                ..failed(error)
            });
        };
        if !(200..300).contains(&status) {
            return Err(Attempt {
                retry_after,
                cause: format!("answered HTTP {status}"),
                ..failed(ApiError::Status {
                    endpoint,
                    status,
                    snippet: self.snippet(&bytes),
                    attempts: 0,
                })
            });
        }
        let env = decoded.map_err(|e| {
            failed(decode_error(
                endpoint,
                &self.redact(&without_position(&e)),
                &self.snippet(&bytes),
                0,
            ))
        })?;
        let code = env.code();
        if env.success == Some(false) || code.is_some() && env.success != Some(true) {
            let text = self.snippet(env.error_text().unwrap_or_default().as_bytes());
            if is_auth_refusal(code, &text) {
                let code = code.map(|c| format!("code {c} ")).unwrap_or_default();
                return Err(failed(ApiError::Unauthorized {
                    endpoint,
                    answer: format!("HTTP {status} with {code}\"{text}\""),
                    attempts: 0,
                }));
            }
            let Some(code) = code else {
                return Err(failed(decode_error(
                    endpoint,
                    "failure without a code",
                    &self.snippet(&bytes),
                    0,
                )));
            };
            return Err(failed(ApiError::Rejected {
                endpoint,
                code,
                kind: ErrorKind::of(endpoint, code),
                text,
                attempts: 0,
            }));
        }
        Ok((env, bytes))
    }

    fn transport(&self, endpoint: Endpoint, e: &reqwest::Error) -> Attempt<ApiError> {
        let error = if e.is_timeout() {
            ApiError::Timeout {
                endpoint,
                attempts: 0,
            }
        } else {
            ApiError::Transport {
                endpoint,
                message: self.redact(&http::error_chain(e)),
                attempts: 0,
            }
        };
        Attempt {
            cause: http::transport_cause(e),
            ..failed(error)
        }
    }

    /// The start of an answer, printable, without the token.
    fn snippet(&self, bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        let short: String = text
            .chars()
            .take(SNIPPET_CHARS)
            .map(|c| if crate::escape::hidden(c) { ' ' } else { c })
            .collect();
        self.redact(&short)
    }
}

/// serde_json's message without the ` at line L column C` it adds when reading bytes: the
/// snippet shows the answer, and the message reads the same as before decoding was direct.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&position).unwrap_or(&text).to_string()
}

/// The search page an answer holds.
fn page_of(env: Envelope, attempts: u32) -> Result<SearchPage, ApiError> {
    env.page()
        .map(SearchPage::from)
        .ok_or_else(|| decode_error(Endpoint::Search, "no `data` in the answer", "", attempts))
}

/// An attempt failed with `error`, retried when the error is transient.
fn failed(error: ApiError) -> Attempt<ApiError> {
    Attempt {
        transient: error.is_transient(),
        retry_after: None,
        cause: error.to_string(),
        error,
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
