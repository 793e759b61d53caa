//! GitHub Actions integration: the step summary, step outputs, and one sticky pull-request
//! comment per config, edited in place on every push instead of posted anew.
//!
//! It lives in the binary (not in the Action's shell steps) so tests cover it end to end.

use miette::Diagnostic;
use std::fmt;
use std::io;
use std::path::PathBuf;
use thiserror::Error;

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

mod comment;
mod context;
mod reviews;
mod step_files;
mod trail;

pub use comment::{CommentOutcome, WhenMissing, comment_marker, upsert_sticky_comment};
pub use context::GithubContext;
pub use reviews::{Reviewed, reviewed_pull_request};
pub use step_files::{SummaryWrite, append_step_summary, write_outputs};
pub use trail::merge_trail;

/// A plan's results, as `dnc plan` publishes them inside GitHub Actions.
#[derive(Clone, Copy, Debug)]
pub struct PlanPublication<'a> {
    pub config_path: &'a str,
    /// The comment's body.
    pub markdown: &'a str,
    /// The step summary's: the whole plan, where the comment may summarize it.
    pub step_summary: &'a str,
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
        Some(path) => Some(append_step_summary(path, plan.step_summary)?),
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
    #[diagnostic(
        code(dnc::github::invalid_env),
        help(
            "GitHub Actions sets it in every job; outside Actions, GITHUB_ACTIONS must not be `true`"
        )
    )]
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
    #[diagnostic(
        code(dnc::github::event_read),
        help(
            "GitHub Actions writes it and names it in GITHUB_EVENT_PATH; outside Actions, unset GITHUB_EVENT_PATH"
        )
    )]
    EventRead {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("the GitHub event file {} is not a valid event: {reason}", path.display())]
    #[diagnostic(
        code(dnc::github::event_parse),
        help(
            "GitHub Actions writes it and names it in GITHUB_EVENT_PATH; outside Actions, unset GITHUB_EVENT_PATH"
        )
    )]
    EventParse { path: PathBuf, reason: String },

    #[error("cannot write {}", path.display())]
    #[diagnostic(
        code(dnc::github::write),
        help(
            "check that GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name writable files and the runner's disk has room"
        )
    )]
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
    #[diagnostic(
        code(dnc::github::status),
        help("GitHub is having trouble: re-run the job later")
    )]
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

    #[error(
        "GitHub answered HTTP {status}, a redirect to {location}, when asked to {action}; dnc follows no redirect"
    )]
    #[diagnostic(
        code(dnc::github::redirected),
        help(
            "a redirect would carry the GitHub token along: set GITHUB_API_URL to the REST API's own URL"
        )
    )]
    Redirected {
        action: String,
        status: u16,
        location: String,
    },

    #[error("GitHub's answer when asked to {action} makes no sense: {reason}")]
    #[diagnostic(
        code(dnc::github::invalid_response),
        help("check GITHUB_API_URL: it must be GitHub's REST API")
    )]
    InvalidResponse { action: String, reason: String },
}
