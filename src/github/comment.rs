//! The sticky pull-request comment: one per config, found by its hidden marker and edited in
//! place, over the few REST calls it needs (through the shared HTTP policy).

use super::{
    API_VERSION, COMMENT_MAX_CHARS, GithubContext, GithubError, GithubSaid, MAX_PAGES,
    MESSAGE_MAX_CHARS, PAGE_MAX_BYTES,
};
use crate::http::{self, Attempt, BodyError, Redactor, Retrier};
use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The hidden HTML marker that identifies the sticky comment of one config, its path
/// written as [`crate::escape::html_comment`] makes it safe.
pub fn comment_marker(config_path: &str) -> String {
    let path = config_path.strip_prefix("./").unwrap_or(config_path);
    format!("<!-- dnc-plan: {} -->", crate::escape::html_comment(path))
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

/// The few REST calls the sticky comment (and the review check) needs, with retries on 5xx
/// and rate limits.
pub(super) struct Api<'a> {
    client: reqwest::Client,
    ctx: &'a GithubContext,
    token: &'a SecretString,
    redactor: Redactor,
    retrier: Arc<Retrier>,
}

pub(super) struct Reply {
    pub next: Option<Url>,
    pub body: Vec<u8>,
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
    /// A 3xx: never followed, the token would go along.
    Redirected {
        status: StatusCode,
        location: String,
    },
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
            Self::Malformed(_) | Self::Redirected { .. } => false,
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
            Self::Redirected { status, .. } => format!("redirected (HTTP {})", status.as_u16()),
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
            Self::Redirected { status, location } => GithubError::Redirected {
                action,
                status: status.as_u16(),
                location,
            },
        }
    }
}

impl<'a> Api<'a> {
    pub(super) fn new(
        ctx: &'a GithubContext,
        token: &'a SecretString,
    ) -> Result<Self, GithubError> {
        let client = http::client(Duration::from_secs(60), ctx.api_url.scheme() == "https")
            .map_err(|source| GithubError::Network {
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
    pub(super) fn url(&self, tail: &[&str]) -> Url {
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

    pub(super) async fn send(
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
        if let Some(location) = http::redirect_location(&response) {
            return Err(Failure::Redirected {
                status,
                location: self.redactor.redact(&location),
            });
        }
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

pub(super) fn parse<T: serde::de::DeserializeOwned>(
    action: &str,
    body: &[u8],
) -> Result<T, GithubError> {
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
        .map(|c| if crate::escape::hidden(c) { ' ' } else { c })
        .take(MESSAGE_MAX_CHARS)
        .collect()
}
