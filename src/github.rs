//! GitHub Actions integration: the step summary, step outputs, and one sticky pull-request
//! comment per config, edited in place on every push instead of posted anew.
//!
//! It lives in the binary (not in the Action's shell steps) so tests cover it end to end.

use crate::http::{self, Attempt, BodyError, Redactor, Retrier, RetryPolicy};
use miette::Diagnostic;
use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::fmt::{self, Write as _};
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use url::Url;

/// GitHub refuses comment bodies longer than this many characters.
pub const COMMENT_MAX_CHARS: usize = 65_535;
/// GitHub keeps at most this many bytes of one step's summary.
pub const STEP_SUMMARY_MAX_BYTES: u64 = 1024 * 1024;

const DEFAULT_API_URL: &str = "https://api.github.com";
const API_VERSION: &str = "2022-11-28";
/// Event payloads are a few hundred KiB at most; anything far larger is not an event.
const EVENT_MAX_BYTES: u64 = 32 * 1024 * 1024;
/// One page of 100 comments of at most 65,535 characters each, with room for metadata.
const PAGE_MAX_BYTES: usize = 32 * 1024 * 1024;
/// 100 comments a page: a pull request with more than 50,000 comments is not one we serve.
const MAX_PAGES: usize = 500;
const MESSAGE_MAX_CHARS: usize = 300;
/// The login of the job's `GITHUB_TOKEN`.
const DEFAULT_COMMENT_AUTHOR: &str = "github-actions[bot]";

/// Where and as whom to talk to GitHub, read from the Actions environment.
#[derive(Debug)]
pub struct GithubContext {
    api_url: Url,
    repository: String,
    token: Option<SecretString>,
    /// Whose comments may be the sticky one: anybody can write the marker into a comment.
    comment_author: String,
    event_path: Option<PathBuf>,
    step_summary: Option<PathBuf>,
    output: Option<PathBuf>,
    /// Retry budget and first delay (`DNC_RETRY_BUDGET`, `DNC_RETRY_BASE_DELAY_MS`).
    retry: RetryPolicy,
}

impl GithubContext {
    /// The context of the current GitHub Actions job, or `None` outside Actions
    /// (`GITHUB_ACTIONS` is not `true`).
    pub fn from_env() -> Result<Option<Self>, GithubError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`GithubContext::from_env`], reading variables through `get` (tests pass a map).
    ///
    /// The token comes from `DNC_GITHUB_TOKEN`, else `GITHUB_TOKEN`; it is optional here
    /// because only the pull-request comment needs it. The sticky comment is the token's own:
    /// `DNC_COMMENT_AUTHOR` names the token's login, `github-actions[bot]` by default.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, GithubError> {
        let var = |name: &str| get(name).filter(|value| !value.is_empty());
        if var("GITHUB_ACTIONS").as_deref() != Some("true") {
            return Ok(None);
        }
        let api_url = parse_api_url(&var("GITHUB_API_URL").unwrap_or(DEFAULT_API_URL.into()))?;
        let repository = var("GITHUB_REPOSITORY").ok_or(GithubError::MissingEnv {
            name: "GITHUB_REPOSITORY",
        })?;
        check_repository(&repository)?;
        let retry = RetryPolicy::from_lookup(&get)
            .map_err(|(name, reason)| GithubError::InvalidEnv { name, reason })?;
        Ok(Some(Self {
            api_url,
            repository,
            token: var("DNC_GITHUB_TOKEN")
                .or_else(|| var("GITHUB_TOKEN"))
                .map(SecretString::from),
            comment_author: var("DNC_COMMENT_AUTHOR").unwrap_or(DEFAULT_COMMENT_AUTHOR.into()),
            event_path: var("GITHUB_EVENT_PATH").map(PathBuf::from),
            step_summary: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: var("GITHUB_OUTPUT").map(PathBuf::from),
            retry,
        }))
    }

    /// `owner/name` of the repository the job runs for.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The step summary file (`GITHUB_STEP_SUMMARY`), when the runner provides one.
    pub fn step_summary(&self) -> Option<&Path> {
        self.step_summary.as_deref()
    }

    /// The step outputs file (`GITHUB_OUTPUT`), when the runner provides one.
    pub fn output(&self) -> Option<&Path> {
        self.output.as_deref()
    }

    /// The pull request this job runs for: `pull_request.number` (pull_request and
    /// pull_request_target events), or `issue.number` when the issue is a pull request
    /// (issue_comment events). `None` for push, schedule and other events.
    pub fn pull_request_number(&self) -> Result<Option<u64>, GithubError> {
        let Some(path) = &self.event_path else {
            return Ok(None);
        };
        let bytes =
            read_capped(path, EVENT_MAX_BYTES).map_err(|source| GithubError::EventRead {
                path: path.clone(),
                source,
            })?;
        let event: Event =
            serde_json::from_slice(&bytes).map_err(|error| GithubError::EventParse {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        Ok(match (event.pull_request, event.issue) {
            (Some(pull_request), _) => Some(pull_request.number),
            (None, Some(issue)) if issue.pull_request.is_some() => Some(issue.number),
            _ => None,
        })
    }
}

#[derive(Deserialize)]
struct Event {
    pull_request: Option<Numbered>,
    issue: Option<Issue>,
}

#[derive(Deserialize)]
struct Numbered {
    number: u64,
}

#[derive(Deserialize)]
struct Issue {
    number: u64,
    pull_request: Option<serde::de::IgnoredAny>,
}

/// The token travels in a header: only TLS, or plain HTTP to this machine (tests, proxies).
fn parse_api_url(raw: &str) -> Result<Url, GithubError> {
    let invalid = |reason: &str| GithubError::InvalidEnv {
        name: "GITHUB_API_URL",
        reason: reason.to_owned(),
    };
    let url = Url::parse(raw).map_err(|error| invalid(&error.to_string()))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(invalid("must be an https URL (or http on loopback)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    Ok(url)
}

/// `owner/name` with GitHub's name characters only, so it cannot reshape the request path.
fn check_repository(repository: &str) -> Result<(), GithubError> {
    let valid_part = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repository.split_once('/') {
        Some((owner, name)) if valid_part(owner) && valid_part(name) => Ok(()),
        _ => Err(GithubError::InvalidEnv {
            name: "GITHUB_REPOSITORY",
            reason: "must be `owner/name`".into(),
        }),
    }
}

fn read_capped(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

/// The hidden HTML marker that identifies the sticky comment of one config.
///
/// Characters that could end the HTML comment or hide in it (`--`, `>`, control and
/// non-ASCII characters) are percent-encoded, so every path gives a well-formed marker.
pub fn comment_marker(config_path: &str) -> String {
    let path = config_path.strip_prefix("./").unwrap_or(config_path);
    let mut marker = String::from("<!-- dnc-plan: ");
    let mut previous_dash = false;
    for c in path.chars() {
        let dash = c == '-';
        if c.is_ascii_alphanumeric()
            || matches!(c, '.' | '_' | '/' | ' ')
            || (dash && !previous_dash)
        {
            marker.push(c);
            previous_dash = dash;
        } else {
            let mut utf8 = [0; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                let _ = write!(marker, "%{byte:02X}");
            }
            previous_dash = false;
        }
    }
    marker.push_str(" -->");
    marker
}

/// What [`append_step_summary`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryWrite {
    Whole,
    /// Cut at a line boundary to stay under the 1 MiB limit, with a notice saying so.
    Truncated {
        omitted_bytes: usize,
    },
}

/// Append `markdown` to the step summary file, keeping the file under GitHub's 1 MiB
/// per-step limit (what is already there counts).
pub fn append_step_summary(path: &Path, markdown: &str) -> Result<SummaryWrite, GithubError> {
    let write_error = |source| GithubError::Write {
        path: path.to_owned(),
        source,
    };
    let existing = match fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => 0,
        Err(error) => return Err(write_error(error)),
    };
    let budget = usize::try_from(STEP_SUMMARY_MAX_BYTES.saturating_sub(existing)).unwrap_or(0);
    let (text, outcome) =
        fit_summary(markdown, budget).ok_or_else(|| GithubError::SummaryFull {
            path: path.to_owned(),
        })?;
    append(path, text.as_bytes()).map_err(write_error)?;
    Ok(outcome)
}

/// `markdown` with a final newline if it fits `budget` bytes, else its longest prefix of
/// whole lines followed by a truncation notice (closing an open code fence first).
fn fit_summary(markdown: &str, budget: usize) -> Option<(String, SummaryWrite)> {
    let mut whole = markdown.to_owned();
    if !whole.ends_with('\n') {
        whole.push('\n');
    }
    if whole.len() <= budget {
        return Some((whole, SummaryWrite::Whole));
    }
    let notice = format!(
        "\n> [!WARNING]\n> The plan was cut here: it is {} bytes and GitHub keeps at most \
         {STEP_SUMMARY_MAX_BYTES} bytes of a step summary. The job log and the saved plan \
         file have all of it.\n",
        markdown.len()
    );
    const FENCE: &str = "```\n";
    let room = budget.checked_sub(notice.len() + FENCE.len())?;
    let kept = &whole[..whole[..room].rfind('\n').map_or(0, |end| end + 1)];
    let open_fence = kept
        .lines()
        .filter(|line| line.trim_start().starts_with("```"))
        .count()
        % 2
        == 1;
    let mut text = kept.to_owned();
    if open_fence {
        text.push_str(FENCE);
    }
    text.push_str(&notice);
    let omitted_bytes = markdown.len().saturating_sub(kept.len());
    Some((text, SummaryWrite::Truncated { omitted_bytes }))
}

/// Append step outputs in the `GITHUB_OUTPUT` format, in one write: `name=value`, or the
/// heredoc form with a random delimiter when the value spans lines.
pub fn write_outputs(path: &Path, outputs: &[(&str, &str)]) -> Result<(), GithubError> {
    let mut text = String::new();
    for &(name, value) in outputs {
        let valid_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !valid_name {
            return Err(GithubError::InvalidOutputName { name: name.into() });
        }
        if value.contains(['\n', '\r']) {
            let delimiter = heredoc_delimiter(value);
            let _ = write!(text, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
        } else {
            let _ = writeln!(text, "{name}={value}");
        }
    }
    append(path, text.as_bytes()).map_err(|source| GithubError::Write {
        path: path.to_owned(),
        source,
    })
}

fn heredoc_delimiter(value: &str) -> String {
    loop {
        let delimiter = format!("ghadelimiter_{:032x}", rand::random::<u128>());
        if !value.contains(&delimiter) {
            return delimiter;
        }
    }
}

fn append(path: &Path, bytes: &[u8]) -> io::Result<()> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(bytes)
}

/// What [`upsert_sticky_comment`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentOutcome {
    Created {
        id: u64,
        url: String,
    },
    Updated {
        id: u64,
        url: String,
    },
    /// The comment already had this body: nothing was sent.
    Unchanged {
        id: u64,
    },
    /// No comment existed and [`WhenMissing::Skip`] asked not to create one.
    Skipped,
}

/// What to do when the pull request has no comment with the marker yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenMissing {
    Create,
    /// Used when the plan has no changes: no new comment just to say so.
    Skip,
}

/// Create or edit in place the one comment on pull request `pr` whose body starts with
/// `marker`. The marker is put first in the body when `body` does not start with it.
pub async fn upsert_sticky_comment(
    ctx: &GithubContext,
    pr: u64,
    marker: &str,
    body: &str,
    when_missing: WhenMissing,
) -> Result<CommentOutcome, GithubError> {
    let token = ctx.token.as_ref().ok_or(GithubError::MissingToken)?;
    let body = if body.starts_with(marker) {
        body.to_owned()
    } else {
        format!("{marker}\n{body}")
    };
    let chars = body.chars().count();
    if chars > COMMENT_MAX_CHARS {
        return Err(GithubError::CommentTooLong { chars });
    }
    let api = Api::new(ctx, token)?;
    Ok(match api.find_comment(pr, marker).await? {
        Some(found) if same_text(found.body.as_deref().unwrap_or(""), &body) => {
            CommentOutcome::Unchanged { id: found.id }
        }
        Some(found) => {
            let updated = api.update_comment(found.id, &body).await?;
            CommentOutcome::Updated {
                id: updated.id,
                url: updated.html_url,
            }
        }
        None if when_missing == WhenMissing::Skip => CommentOutcome::Skipped,
        None => {
            let created = api.create_comment_once(pr, marker, &body).await?;
            CommentOutcome::Created {
                id: created.id,
                url: created.html_url,
            }
        }
    })
}

/// GitHub may hand bodies back with CRLF line ends.
fn same_text(a: &str, b: &str) -> bool {
    a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
}

/// A plan's results, as `dnc plan` publishes them inside GitHub Actions.
#[derive(Clone, Copy, Debug)]
pub struct PlanPublication<'a> {
    pub config_path: &'a str,
    pub markdown: &'a str,
    pub has_changes: bool,
    /// Every scope was read completely.
    pub complete: bool,
    pub plan_hash: &'a str,
    /// Post or edit the sticky comment (`--comment`).
    pub comment: bool,
}

/// What [`publish_plan`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub summary: Option<SummaryWrite>,
    /// `None` when no comment was asked for or the event is not about a pull request.
    pub comment: Option<CommentOutcome>,
}

/// Publish a plan: the step summary and step outputs when the runner provides their files,
/// then the sticky comment when asked for and the event belongs to a pull request. A plan
/// without changes edits an existing comment but creates none.
pub async fn publish_plan(
    ctx: &GithubContext,
    plan: &PlanPublication<'_>,
) -> Result<Published, GithubError> {
    let summary = match ctx.step_summary() {
        Some(path) => Some(append_step_summary(path, plan.markdown)?),
        None => None,
    };
    if let Some(path) = ctx.output() {
        let flag = |b: bool| if b { "true" } else { "false" };
        write_outputs(
            path,
            &[
                ("has_changes", flag(plan.has_changes)),
                ("plan_hash", plan.plan_hash),
                ("complete", flag(plan.complete)),
            ],
        )?;
    }
    let comment = match (plan.comment, ctx.pull_request_number()?) {
        (true, Some(pr)) => {
            // An incomplete plan is posted even without changes: its CAUTION must be seen.
            let when_missing = if plan.has_changes || !plan.complete {
                WhenMissing::Create
            } else {
                WhenMissing::Skip
            };
            let marker = comment_marker(plan.config_path);
            Some(upsert_sticky_comment(ctx, pr, &marker, plan.markdown, when_missing).await?)
        }
        _ => None,
    };
    Ok(Published { summary, comment })
}

#[derive(Deserialize)]
struct Comment {
    id: u64,
    body: Option<String>,
    html_url: String,
    user: Option<User>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

/// The few REST calls the sticky comment needs, with retries on 5xx and rate limits.
struct Api<'a> {
    client: reqwest::Client,
    ctx: &'a GithubContext,
    token: &'a SecretString,
    redactor: Redactor,
    retrier: Arc<Retrier>,
}

struct Reply {
    next: Option<Url>,
    body: Vec<u8>,
}

/// One failed attempt, before it is known whether it will be retried.
enum Failure {
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
        message: String,
    },
    Network(reqwest::Error),
    Malformed(String),
}

impl Failure {
    /// Whether sending the same request again is safe and may succeed. A request that is
    /// not idempotent is retried only when GitHub surely did not act on it.
    fn retryable(&self, idempotent: bool) -> bool {
        match self {
            Self::Status {
                status,
                retry_after,
                ..
            } => {
                (idempotent && status.is_server_error())
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    // GitHub's secondary rate limit answers 403 with Retry-After.
                    || (*status == StatusCode::FORBIDDEN && retry_after.is_some())
            }
            Self::Network(error) => error.is_connect() || (idempotent && error.is_timeout()),
            Self::Malformed(_) => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A few words for the retry announcement.
    fn cause(&self) -> String {
        match self {
            Self::Status { status, .. } => format!("answered HTTP {}", status.as_u16()),
            Self::Network(error) => http::transport_cause(error),
            Self::Malformed(reason) => reason.clone(),
        }
    }

    fn into_error(self, action: String) -> GithubError {
        match self {
            Self::Status {
                status, message, ..
            } => {
                let message = GithubSaid(message);
                match status {
                    StatusCode::UNAUTHORIZED => GithubError::Unauthorized { action, message },
                    StatusCode::FORBIDDEN => GithubError::Forbidden { action, message },
                    StatusCode::NOT_FOUND => GithubError::NotFound { action, message },
                    StatusCode::UNPROCESSABLE_ENTITY => {
                        GithubError::Unprocessable { action, message }
                    }
                    StatusCode::TOO_MANY_REQUESTS => GithubError::RateLimited { action, message },
                    _ => GithubError::Status {
                        action,
                        status: status.as_u16(),
                        message,
                    },
                }
            }
            Self::Network(source) => GithubError::Network { action, source },
            Self::Malformed(reason) => GithubError::InvalidResponse { action, reason },
        }
    }
}

impl<'a> Api<'a> {
    fn new(ctx: &'a GithubContext, token: &'a SecretString) -> Result<Self, GithubError> {
        let client =
            http::client(Duration::from_secs(60)).map_err(|source| GithubError::Network {
                action: "set up the HTTP client".into(),
                source,
            })?;
        Ok(Self {
            client,
            ctx,
            token,
            redactor: Redactor::new(token.expose_secret()),
            retrier: Retrier::new("GitHub", ctx.retry),
        })
    }

    /// `{api}/repos/{owner}/{name}/{tail...}`, keeping a GitHub Enterprise path prefix.
    fn url(&self, tail: &[&str]) -> Url {
        let mut url = self.ctx.api_url.clone();
        let (owner, name) = self
            .ctx
            .repository
            .split_once('/')
            .unwrap_or((&self.ctx.repository, ""));
        url.path_segments_mut()
            .expect("http(s) URLs always have a path")
            .pop_if_empty()
            .extend(["repos", owner, name])
            .extend(tail);
        url
    }

    async fn find_comment(&self, pr: u64, marker: &str) -> Result<Option<Comment>, GithubError> {
        let action = format!(
            "list the comments of pull request #{pr} in {}",
            self.ctx.repository
        );
        let mut url = self.url(&["issues", &pr.to_string(), "comments"]);
        url.query_pairs_mut().append_pair("per_page", "100");
        for _ in 0..MAX_PAGES {
            let reply = self.send(&action, Method::GET, url, None).await?;
            let comments: Vec<Comment> = parse(&action, &reply.body)?;
            // Only our own: editing a comment someone else wrote the marker into would put the
            // plan under their name, and let them change what reviewers read as the plan.
            let found = comments.into_iter().find(|comment| {
                comment
                    .user
                    .as_ref()
                    .is_some_and(|u| u.login == self.ctx.comment_author)
                    && comment
                        .body
                        .as_deref()
                        .is_some_and(|body| body.trim_start().starts_with(marker))
            });
            if found.is_some() {
                return Ok(found);
            }
            match reply.next {
                Some(next) if next.origin() == self.ctx.api_url.origin() => url = next,
                Some(_) => {
                    return Err(GithubError::InvalidResponse {
                        action,
                        reason: "the next-page link points to another server".into(),
                    });
                }
                None => return Ok(None),
            }
        }
        Err(GithubError::InvalidResponse {
            action,
            reason: format!("more than {MAX_PAGES} pages of comments"),
        })
    }

    /// Create the comment; when the answer is lost (5xx, timeout) GitHub may have created it
    /// anyway, so look for it again before the one retry, never posting it twice.
    async fn create_comment_once(
        &self,
        pr: u64,
        marker: &str,
        body: &str,
    ) -> Result<Comment, GithubError> {
        match self.create_comment(pr, body).await {
            Err(error) if error.outcome_unknown() => match self.find_comment(pr, marker).await? {
                Some(found) => Ok(found),
                None => self.create_comment(pr, body).await,
            },
            other => other,
        }
    }

    async fn create_comment(&self, pr: u64, body: &str) -> Result<Comment, GithubError> {
        let action = format!(
            "create the plan comment on pull request #{pr} in {}",
            self.ctx.repository
        );
        let url = self.url(&["issues", &pr.to_string(), "comments"]);
        let payload = serde_json::json!({ "body": body });
        let reply = self
            .send(&action, Method::POST, url, Some(&payload))
            .await?;
        parse(&action, &reply.body)
    }

    async fn update_comment(&self, id: u64, body: &str) -> Result<Comment, GithubError> {
        let action = format!("edit the plan comment {id} in {}", self.ctx.repository);
        let url = self.url(&["issues", "comments", &id.to_string()]);
        let payload = serde_json::json!({ "body": body });
        let reply = self
            .send(&action, Method::PATCH, url, Some(&payload))
            .await?;
        parse(&action, &reply.body)
    }

    async fn send(
        &self,
        action: &str,
        method: Method,
        url: Url,
        payload: Option<&serde_json::Value>,
    ) -> Result<Reply, GithubError> {
        let idempotent = method != Method::POST;
        let (result, _) = self
            .retrier
            .run(|| {
                let (method, url) = (method.clone(), url.clone());
                async move {
                    self.send_once(method, url, payload)
                        .await
                        .map_err(|failure| Attempt {
                            transient: failure.retryable(idempotent),
                            retry_after: failure.retry_after(),
                            cause: failure.cause(),
                            error: failure,
                        })
                }
            })
            .await;
        result.map_err(|failure| failure.into_error(action.to_owned()))
    }

    async fn send_once(
        &self,
        method: Method,
        url: Url,
        payload: Option<&serde_json::Value>,
    ) -> Result<Reply, Failure> {
        let mut request = self
            .client
            .request(method, url)
            .bearer_auth(self.token.expose_secret())
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION);
        if let Some(payload) = payload {
            request = request.json(payload);
        }
        let response = request.send().await.map_err(Failure::Network)?;
        let status = response.status();
        let retry_after = http::retry_after_header(response.headers());
        let next = response
            .headers()
            .get(header::LINK)
            .and_then(|value| value.to_str().ok())
            .and_then(next_link);
        let body = match http::read_capped(response, PAGE_MAX_BYTES).await {
            Ok(body) => body,
            Err(BodyError::Transport(error)) => return Err(Failure::Network(error)),
            Err(BodyError::TooLarge { limit, .. }) => {
                return Err(Failure::Malformed(format!(
                    "the response is larger than {limit} bytes"
                )));
            }
        };
        if !status.is_success() {
            return Err(Failure::Status {
                status,
                retry_after,
                message: github_message(&body, &self.redactor),
            });
        }
        Ok(Reply { next, body })
    }
}

fn parse<T: serde::de::DeserializeOwned>(action: &str, body: &[u8]) -> Result<T, GithubError> {
    serde_json::from_slice(body).map_err(|error| GithubError::InvalidResponse {
        action: action.to_owned(),
        reason: format!("unexpected JSON: {error}"),
    })
}

/// The `rel="next"` target of an RFC 8288 `Link` header.
fn next_link(header: &str) -> Option<Url> {
    header.split(',').find_map(|link| {
        let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
        let is_next = params.split(';').any(|param| {
            param.trim().strip_prefix("rel=").is_some_and(|rel| {
                rel.trim_matches('"')
                    .split_whitespace()
                    .any(|r| r == "next")
            })
        });
        is_next.then(|| Url::parse(target).ok()).flatten()
    })
}

/// GitHub's `message` from an error body: one short line, printable, never the token
/// (a hostile or broken server could echo it back).
fn github_message(body: &[u8], redactor: &Redactor) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: Option<String>,
    }
    let message = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|error| error.message)
        .unwrap_or_default();
    redactor
        .redact(&message)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_MAX_CHARS)
        .collect()
}

/// GitHub's own explanation of a refusal, shown after our sentence when it sent one.
#[derive(Clone, Debug)]
pub struct GithubSaid(pub String);

impl fmt::Display for GithubSaid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "; GitHub says: \"{}\"", self.0)
        }
    }
}

impl GithubError {
    /// A request that failed this way may still have been carried out by GitHub.
    fn outcome_unknown(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status >= 500,
            Self::Network { source, .. } => !source.is_connect(),
            _ => false,
        }
    }
}

/// Everything that can go wrong talking to GitHub. No variant ever holds the token.
#[derive(Debug, Error, Diagnostic)]
pub enum GithubError {
    #[error("{name} is not set")]
    #[diagnostic(
        code(dnc::github::missing_env),
        help(
            "GitHub Actions sets it in every job; outside Actions, GITHUB_ACTIONS must not be `true`"
        )
    )]
    MissingEnv { name: &'static str },

    #[error("{name} is not usable: {reason}")]
    #[diagnostic(code(dnc::github::invalid_env))]
    InvalidEnv { name: &'static str, reason: String },

    #[error("no GitHub token to post the plan comment with")]
    #[diagnostic(
        code(dnc::github::missing_token),
        help(
            "pass `github-token` to the dnc action, or set GITHUB_TOKEN (or DNC_GITHUB_TOKEN) in the step's env"
        )
    )]
    MissingToken,

    #[error("cannot read the GitHub event file {}", path.display())]
    #[diagnostic(code(dnc::github::event_read))]
    EventRead {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("the GitHub event file {} is not a valid event: {reason}", path.display())]
    #[diagnostic(code(dnc::github::event_parse))]
    EventParse { path: PathBuf, reason: String },

    #[error("cannot write {}", path.display())]
    #[diagnostic(code(dnc::github::write))]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("the step summary {} is already at GitHub's 1 MiB limit: the plan was not added", path.display())]
    #[diagnostic(
        code(dnc::github::summary_full),
        help("an earlier command in this step filled the summary; run dnc in its own step")
    )]
    SummaryFull { path: PathBuf },

    #[error("`{name}` is not a valid step output name")]
    #[diagnostic(
        code(dnc::github::output_name),
        help("output names are letters, digits, `_` and `-`, starting with a letter or `_`")
    )]
    InvalidOutputName { name: String },

    #[error("the plan comment is {chars} characters long; GitHub allows at most 65,535")]
    #[diagnostic(
        code(dnc::github::comment_too_long),
        help("the full plan is in the step summary and the saved plan file")
    )]
    CommentTooLong { chars: usize },

    #[error("GitHub rejected the token when asked to {action} (401 Unauthorized){message}")]
    #[diagnostic(
        code(dnc::github::unauthorized),
        help("check the `github-token` input: the token may be expired, revoked or mistyped")
    )]
    Unauthorized { action: String, message: GithubSaid },

    #[error("GitHub refused to {action} (403 Forbidden){message}")]
    #[diagnostic(
        code(dnc::github::forbidden),
        help(
            "the job needs `permissions: pull-requests: write`; on pull requests from forks \
             GitHub hands out a read-only token, so run without `comment` there"
        )
    )]
    Forbidden { action: String, message: GithubSaid },

    #[error("GitHub could not find what it was asked to {action} (404 Not Found){message}")]
    #[diagnostic(
        code(dnc::github::not_found),
        help(
            "check GITHUB_REPOSITORY and the pull request number, and that the token can see the repository"
        )
    )]
    NotFound { action: String, message: GithubSaid },

    #[error("GitHub rejected the request to {action} (422 Unprocessable Entity){message}")]
    #[diagnostic(code(dnc::github::unprocessable))]
    Unprocessable { action: String, message: GithubSaid },

    #[error("GitHub kept rate-limiting the request to {action} (429 Too Many Requests){message}")]
    #[diagnostic(
        code(dnc::github::rate_limited),
        help("wait a few minutes and re-run the job")
    )]
    RateLimited { action: String, message: GithubSaid },

    #[error("GitHub answered HTTP {status} when asked to {action}{message}")]
    #[diagnostic(code(dnc::github::status))]
    Status {
        action: String,
        status: u16,
        message: GithubSaid,
    },

    #[error("could not reach GitHub to {action}")]
    #[diagnostic(
        code(dnc::github::network),
        help("check GITHUB_API_URL and the runner's network")
    )]
    Network {
        action: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("GitHub's answer when asked to {action} makes no sense: {reason}")]
    #[diagnostic(code(dnc::github::invalid_response))]
    InvalidResponse { action: String, reason: String },
}
