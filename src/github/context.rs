//! The GitHub Actions job's context: where the API is, which repository, the token, the
//! step files, and the pull request the event is about.

use super::{DEFAULT_API_URL, DEFAULT_COMMENT_AUTHOR, EVENT_MAX_BYTES, GithubError};
use crate::http::RetryPolicy;
use secrecy::SecretString;
use serde::Deserialize;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use url::Url;

/// Where and as whom to talk to GitHub, read from the Actions environment.
#[derive(Debug)]
pub struct GithubContext {
    pub(super) api_url: Url,
    pub(super) repository: String,
    pub(super) token: Option<SecretString>,
    /// Whose comments may be the sticky one: anybody can write the marker into a comment.
    pub(super) comment_author: String,
    event_path: Option<PathBuf>,
    /// The commit the job runs for (`GITHUB_SHA`).
    sha: Option<String>,
    step_summary: Option<PathBuf>,
    output: Option<PathBuf>,
    /// Retry budget and first delay (`DNC_RETRY_BUDGET`, `DNC_RETRY_BASE_DELAY_MS`).
    pub(super) retry: RetryPolicy,
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
            sha: var("GITHUB_SHA"),
            step_summary: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: var("GITHUB_OUTPUT").map(PathBuf::from),
            retry,
        }))
    }

    /// The same context with the command's `--retry-budget`, which wins over
    /// `DNC_RETRY_BUDGET` for its GitHub calls too.
    pub fn with_retry_budget(mut self, retry_budget: Option<std::time::Duration>) -> Self {
        if let Some(budget) = retry_budget {
            self.retry.budget = budget;
        }
        self
    }

    /// `owner/name` of the repository the job runs for.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The commit the job runs for (`GITHUB_SHA`).
    pub fn sha(&self) -> Option<&str> {
        self.sha.as_deref()
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
