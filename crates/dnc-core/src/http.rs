//! The HTTP policy shared by the Convoso API client and the GitHub client: timeouts, a cap on
//! response size, retries within one total budget (honouring `Retry-After` in both forms,
//! each wave announced on stderr), and redaction of a secret in every encoding it can travel in.

use backon::{BackoffBuilder, ExponentialBuilder};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The longest `Retry-After` honoured; a server asking for more gets this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Default total time a command may spend waiting between retries.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(30);
/// Default first backoff delay; each wave doubles it.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_secs(1);
/// Most retries of one request by default.
const MAX_RETRIES: usize = 8;
/// Environment variables that set the budget (seconds) and the first delay (milliseconds).
pub const BUDGET_ENV: &str = "DNC_RETRY_BUDGET";
pub const BASE_DELAY_ENV: &str = "DNC_RETRY_BASE_DELAY_MS";
pub const REDACTED: &str = "[REDACTED]";

/// How long to wait between retries, and for how long in total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long the API may keep failing (from the sending of the first request that failed
    /// since the last success) before retrying stops, for every request of one client.
    pub budget: Duration,
    /// The first backoff delay (jittered, doubling, capped at 16 times this).
    pub base_delay: Duration,
    /// Most retries of one request, whatever the budget.
    pub max_retries: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            budget: DEFAULT_BUDGET,
            base_delay: DEFAULT_BASE_DELAY,
            max_retries: MAX_RETRIES,
        }
    }
}

impl RetryPolicy {
    /// The defaults, overridden by `DNC_RETRY_BUDGET` (seconds) and `DNC_RETRY_BASE_DELAY_MS`
    /// as `get` finds them (the binary passes the environment's). An error names the variable
    /// and what is wrong with its value.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<RetryPolicy, (&'static str, String)> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let mut policy = RetryPolicy::default();
        if let Some(raw) = var(BUDGET_ENV) {
            policy.budget = parse_seconds(&raw).map_err(|e| (BUDGET_ENV, e))?;
        }
        if let Some(raw) = var(BASE_DELAY_ENV) {
            let ms: u64 = raw.trim().parse().map_err(|_| {
                (
                    BASE_DELAY_ENV,
                    format!("`{raw}` is not a number of milliseconds"),
                )
            })?;
            policy.base_delay = Duration::from_millis(ms.max(1));
        }
        Ok(policy)
    }

    /// The policy of one command's clients: [`RetryPolicy::from_lookup`] with the budget of
    /// `--retry-budget` when given (the flag wins over the variable).
    pub fn for_command(
        budget: Option<Duration>,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<RetryPolicy, (&'static str, String)> {
        let mut policy = RetryPolicy::from_lookup(get)?;
        if let Some(budget) = budget {
            policy.budget = budget;
        }
        Ok(policy)
    }

    /// The defaults with at most `n` retries per request.
    pub fn at_most(n: usize) -> RetryPolicy {
        RetryPolicy {
            max_retries: n,
            ..RetryPolicy::default()
        }
    }

    /// How many retries the budget allows one request, counting un-jittered delays.
    pub fn max_retries(&self) -> usize {
        let mut spent = Duration::ZERO;
        self.delays(false)
            .take_while(|d| {
                spent += *d;
                spent <= self.budget
            })
            .count()
    }

    fn delays(&self, jitter: bool) -> impl Iterator<Item = Duration> {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.base_delay * 16)
            .with_max_times(self.max_retries);
        if jitter {
            builder.with_jitter().build()
        } else {
            builder.build()
        }
    }
}

/// `30`, `2.5` or `0` seconds; more than a Duration holds (`1e20`) is refused, not a panic.
pub fn parse_seconds(raw: &str) -> Result<Duration, String> {
    let secs = raw
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| format!("`{raw}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("`{raw}` is more seconds than dnc can count"))
}

/// One failed attempt, as the retry loop sees it.
pub struct Attempt<E> {
    pub error: E,
    /// Worth sending again (throttling, server trouble, lost connections).
    pub transient: bool,
    /// The wait the server asked for.
    pub retry_after: Option<Duration>,
    /// A few words for the announcement: `HTTP 503`, `connection refused`.
    pub cause: String,
}

/// Retries for every request of one client, within one budget: how long the API may keep
/// failing, counted from the first failure since the last success. Each wave of a failing
/// streak is announced once.
#[derive(Debug)]
pub struct Retrier {
    policy: RetryPolicy,
    /// Who is retried, for the announcements: `Convoso API`, `GitHub`.
    service: &'static str,
    streak: Mutex<Streak>,
    /// Set when the budget ran out: later requests are sent once, never retried.
    gave_up: Mutex<Option<String>>,
}

/// The current run of failures, ended by any success.
#[derive(Debug, Default)]
struct Streak {
    since: Option<Instant>,
    /// The highest wave announced in this streak.
    announced: u32,
    last_note: Option<Instant>,
}

/// Between two announcements of a first retry: a flaky API is not a wall of text.
const NOTE_GAP: Duration = Duration::from_secs(1);

impl Retrier {
    pub fn new(service: &'static str, policy: RetryPolicy) -> Arc<Retrier> {
        Arc::new(Retrier {
            policy,
            service,
            streak: Mutex::new(Streak::default()),
            gave_up: Mutex::new(None),
        })
    }

    /// Why retrying stopped for good, once the budget is spent.
    pub fn gave_up(&self) -> Option<String> {
        self.gave_up
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Runs `op` until it succeeds, fails for good, or the budget is spent; returns the result
    /// and the number of requests sent.
    pub async fn run<T, E, F, Fut>(&self, mut op: F) -> (Result<T, E>, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Attempt<E>>>,
    {
        let mut delays = self.policy.delays(true);
        let mut sent = 0;
        loop {
            sent += 1;
            let started = Instant::now();
            let failed = match op().await {
                Ok(value) => {
                    *self.streak() = Streak::default();
                    return (Ok(value), sent);
                }
                Err(failed) => failed,
            };
            let delay = match delays.next() {
                Some(d) if failed.transient && self.gave_up().is_none() => failed
                    .retry_after
                    .map_or(d, |after| after.min(MAX_RETRY_AFTER)),
                _ => return (Err(failed.error), sent),
            };
            if !self.wait_fits(sent, started, delay, &failed.cause) {
                self.give_up(&failed.cause);
                return (Err(failed.error), sent);
            }
            tokio::time::sleep(delay).await;
        }
    }

    fn streak(&self) -> std::sync::MutexGuard<'_, Streak> {
        self.streak.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether waiting `delay` before retry number `wave` stays within the budget; if so,
    /// announces the wave when it is new to this streak. The streak counts from when its
    /// first failed request was sent, not from when it failed: a request that hangs until
    /// its timeout spends the budget too, so an API that stays down holds a command for at
    /// most the budget plus the timeout of the last request.
    fn wait_fits(&self, wave: u32, started: Instant, delay: Duration, cause: &str) -> bool {
        let now = Instant::now();
        let mut streak = self.streak();
        let since = streak.since.map_or(started, |s| s.min(started));
        streak.since = Some(since);
        if now.duration_since(since) + delay > self.policy.budget {
            return false;
        }
        let quiet = streak
            .last_note
            .is_some_and(|t| now.duration_since(t) < NOTE_GAP);
        if wave > streak.announced && (wave > 1 || !quiet) {
            streak.announced = wave;
            streak.last_note = Some(now);
            crate::progress::note(&format!(
                "{} {cause}; retry {wave} of {} in {}",
                self.service,
                self.policy.max_retries(),
                seconds(delay)
            ));
        }
        true
    }

    fn give_up(&self, cause: &str) {
        let mut gave_up = self.gave_up.lock().unwrap_or_else(|p| p.into_inner());
        if gave_up.is_none() {
            crate::progress::note(&format!(
                "{} {cause}; the retry budget of {} is spent, giving up",
                self.service,
                seconds(self.policy.budget)
            ));
            *gave_up = Some(cause.to_string());
        }
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 || s == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// A `Retry-After` value: delay seconds or an HTTP date (RFC 9110), capped at
/// `MAX_RETRY_AFTER`; a date already past means retry now.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
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

/// The `Retry-After` of a response, if it has a usable one.
pub fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, SystemTime::now()))
}

/// A reqwest client with our user agent and timeouts (`timeout` per request, connection
/// included). It follows no redirect: a 307 or 308 would send the body, token included, to
/// wherever the `Location` points, and a 301 or 302 would turn a search into a bare `GET`
/// whose empty answer reads as an empty list. Callers turn a 3xx into an error with
/// [`redirect_location`]. `https_only` keeps a client made for an https URL off plain http.
/// It trusts Mozilla's root certificates built into the binary, not the system's store, so it
/// works the same in a slim container that has no CA bundle.
pub fn client(timeout: Duration, https_only: bool) -> reqwest::Result<reqwest::Client> {
    let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| reqwest::Certificate::from_der(der))
        .collect::<reqwest::Result<Vec<_>>>()?;
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("dnc/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .https_only(https_only)
        .tls_certs_only(roots)
        .build()
}

/// Where a 3xx answer points, for the error that reports it (userinfo and query redacted,
/// printable, short); `None` for any other status.
pub fn redirect_location(resp: &reqwest::Response) -> Option<String> {
    if !resp.status().is_redirection() {
        return None;
    }
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    Some(match location {
        Some(l) => first_line(redact_url(&l).as_bytes(), 200),
        None => "(no Location header)".to_string(),
    })
}

/// A URL as people may see it: userinfo (`user:pass@`) and the query string, where tokens
/// travel, replaced by `[REDACTED]`, the fragment dropped. Works on text that does not parse
/// as a URL too (a mistyped `--api-url` is still shown without its secrets).
pub fn redact_url(raw: &str) -> String {
    let before = raw.split('#').next().unwrap_or(raw);
    let (before, query) = match before.split_once('?') {
        Some((before, _)) => (before, true),
        None => (before, false),
    };
    let (scheme, rest) = match before.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), before),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("{REDACTED}@{host}"),
        None => authority.to_string(),
    };
    let mut out = format!("{scheme}{authority}{path}");
    if query {
        out.push('?');
        out.push_str(REDACTED);
    }
    out
}

/// Why a body could not be read whole.
pub enum BodyError {
    TooLarge { limit: usize, start: Vec<u8> },
    Transport(reqwest::Error),
}

/// Reads a response body, refusing one larger than `limit` bytes.
pub async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    // Sized once from the announced length (a search page is a quarter megabyte), never
    // beyond the cap: the length is the server's word, the cap is checked on what arrives.
    let announced = resp.content_length().unwrap_or(0).min(limit as u64);
    let mut bytes = Vec::with_capacity(announced as usize);
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if bytes.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge {
                limit,
                start: bytes,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// reqwest's message with its causes ("error sending request: connection refused").
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// A few words for a transport failure: `connection refused`, `timed out`.
pub fn transport_cause(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let chain = error_chain(e).to_lowercase();
    for known in [
        "connection refused",
        "connection reset",
        "dns error",
        "certificate",
    ] {
        if chain.contains(known) {
            return format!("unreachable ({known})");
        }
    }
    "unreachable (connection failed)".into()
}

/// Hides a secret in text, in every form it can take on the wire: as is, percent- or
/// form-encoded (`+` for space, upper- or lower-case hex), and JSON-escaped.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    forms: Vec<String>,
}

impl Redactor {
    pub fn new(secret: &str) -> Redactor {
        Redactor::default().also(secret)
    }

    /// This redactor, hiding `secret` too (a URL's password, which travels as basic auth).
    pub fn also(mut self, secret: &str) -> Redactor {
        if secret.is_empty() {
            return self;
        }
        let percent = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let json = serde_json::to_string(secret).expect("a string serializes");
        let json = json[1..json.len() - 1].to_string();
        let lower = |s: &str| lower_hex(s);
        self.forms.extend([
            secret.to_string(),
            lower(&percent),
            lower(&form),
            percent,
            form,
            json,
        ]);
        self.forms
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.forms.dedup();
        self
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        out
    }
}

/// `%2B` → `%2b`: some encoders write lower-case hex.
fn lower_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 3).unwrap_or(&rest[i..]);
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[i + escape.len()..];
    }
    out.push_str(rest);
    out
}

/// The first non-empty line of a body, printable and short: what a person needs to tell a
/// proxy's error page from an API answer.
pub fn first_line(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    line.chars()
        .map(|c| if crate::escape::hidden(c) { ' ' } else { c })
        .take(max_chars)
        .collect()
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

    #[test]
    fn redaction_covers_every_encoding() {
        let secret = "tok+/=&%\"SECRET x";
        let r = Redactor::new(secret);
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let percent = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
        let json = serde_json::to_string(secret).unwrap();
        for text in [
            format!("raw {secret} end"),
            format!("auth_token={form}&x=1"),
            format!("auth_token={}&x=1", lower_hex(&percent)),
            format!("auth_token={percent}"),
            format!("{{\"auth_token\":{json}}}"),
        ] {
            let out = r.redact(&text);
            assert!(out.contains(REDACTED), "{out}");
            assert!(!out.contains("SECRET"), "{out}");
        }
        assert_eq!(Redactor::new("").redact("a b"), "a b");
        let both = Redactor::new("tok").also("pass word");
        assert_eq!(
            both.redact("tok pass%20word pass+word"),
            "[REDACTED] [REDACTED] [REDACTED]"
        );
    }

    #[test]
    fn the_budget_bounds_the_retries() {
        let policy = |budget_ms, base_ms| RetryPolicy {
            budget: Duration::from_millis(budget_ms),
            base_delay: Duration::from_millis(base_ms),
            ..RetryPolicy::default()
        };
        // 1 + 2 + 4 + 8 + 16 = 31 s fits 31 s; the sixth wave would not.
        assert_eq!(policy(31_000, 1000).max_retries(), 5);
        assert_eq!(RetryPolicy::default().max_retries(), 4);
        assert_eq!(policy(0, 1000).max_retries(), 0);
        assert_eq!(policy(60_000, 1).max_retries(), MAX_RETRIES);
    }

    #[tokio::test]
    async fn a_client_for_https_never_sends_plain_http() {
        let client = client(Duration::from_secs(1), true).unwrap();
        // Refused before any connection is tried (port 9 has no listener anyway).
        let err = client
            .get("http://127.0.0.1:9/v1/")
            .send()
            .await
            .unwrap_err();
        assert!(
            error_chain(&err).contains("scheme"),
            "{}",
            error_chain(&err)
        );
    }

    #[test]
    fn urls_are_shown_without_userinfo_or_query() {
        for (raw, shown) in [
            (
                "https://user:pa@ss@api.example.com/v1/?auth_token=x#frag",
                "https://[REDACTED]@api.example.com/v1/?[REDACTED]",
            ),
            ("https://api.example.com/v1/", "https://api.example.com/v1/"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("not a url?token=1", "not a url?[REDACTED]"),
            ("user:secret@host/x", "[REDACTED]@host/x"),
        ] {
            assert_eq!(redact_url(raw), shown, "{raw}");
        }
    }

    #[test]
    fn seconds_parse() {
        assert_eq!(parse_seconds("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("1e20").is_err());
        assert!(parse_seconds("NaN").is_err());
    }
}
