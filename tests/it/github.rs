//! GitHub integration: the sticky PR comment against a GitHub-API-shaped server on loopback,
//! the event file, the step summary and the step outputs.

use crate::common;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use dnc::github::{
    self, CommentOutcome, GithubContext, GithubError, PlanPublication, SummaryWrite, WhenMissing,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub(crate) const TOKEN: &str = "ghs_test0123456789abcdef";
pub(crate) const REPO: &str = "acme/dnc-lists";
const PR: u64 = 7;
/// Whom the token speaks for: `GITHUB_TOKEN` comments as this bot.
const BOT: &str = "github-actions[bot]";

#[derive(Clone, Debug)]
struct StoredComment {
    id: u64,
    issue: u64,
    body: String,
    author: String,
}

#[derive(Default)]
pub(crate) struct Store {
    base: String,
    comments: Vec<StoredComment>,
    next_id: u64,
    lists: usize,
    posts: usize,
    patches: usize,
    /// Answers for the next requests, before any other handling.
    fail_next: VecDeque<(StatusCode, &'static str)>,
    /// Point every next-page link at another server.
    foreign_next_link: bool,
    /// Refuse creates and edits with 403, as GitHub does for a read-only token.
    forbid_writes: bool,
    /// Creates to carry out and then answer with 502, as when a proxy loses the answer.
    lose_create_answers: usize,
    /// Reviews per pull request, in the order given: `(pull request, login, state)`.
    pub(crate) reviews: Vec<(u64, String, &'static str)>,
    /// The commit each review was made on, when not the pull request's head.
    pub(crate) reviewed_commits: HashMap<(u64, String), String>,
    /// Merge commits and the pull request each merged.
    pub(crate) merges: Vec<(String, u64)>,
    /// Pull requests: number, author, merger and head commit.
    pub(crate) pulls: Vec<Pull>,
}

#[derive(Clone)]
pub(crate) struct Pull {
    pub number: u64,
    pub author: &'static str,
    pub merged_by: Option<&'static str>,
    pub head: String,
}

type Shared = Arc<Mutex<Store>>;

/// A GitHub REST API look-alike for issue comments, under a GitHub Enterprise-style prefix.
pub(crate) struct FakeGithub {
    pub api_url: String,
    pub store: Shared,
}

impl FakeGithub {
    pub(crate) async fn start() -> Self {
        let store = Shared::default();
        let routes = Router::new()
            .route(
                "/repos/{owner}/{repo}/issues/{number}/comments",
                get(list_comments).post(create_comment),
            )
            .route(
                "/repos/{owner}/{repo}/issues/comments/{id}",
                patch(update_comment),
            )
            .route(
                "/repos/{owner}/{repo}/pulls/{number}/reviews",
                get(list_reviews),
            )
            .route(
                "/repos/{owner}/{repo}/commits/{sha}/pulls",
                get(pulls_of_commit),
            )
            .route("/repos/{owner}/{repo}/pulls/{number}", get(pull));
        let app = Router::new()
            .nest("/api/v3", routes)
            .with_state(store.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_url = format!("http://{}/api/v3", listener.local_addr().unwrap());
        store.lock().unwrap().base = api_url.clone();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { api_url, store }
    }

    fn seed(&self, issue: u64, body: &str) -> u64 {
        self.seed_by(issue, body, BOT)
    }

    fn seed_by(&self, issue: u64, body: &str, author: &str) -> u64 {
        let mut store = self.store.lock().unwrap();
        store.next_id += 1;
        let id = 1000 + store.next_id;
        store.comments.push(StoredComment {
            id,
            issue,
            body: body.to_owned(),
            author: author.to_owned(),
        });
        id
    }

    fn comments(&self) -> Vec<StoredComment> {
        self.store.lock().unwrap().comments.clone()
    }

    fn counts(&self) -> (usize, usize, usize) {
        let store = self.store.lock().unwrap();
        (store.lists, store.posts, store.patches)
    }

    fn fail_next(&self, status: StatusCode, message: &'static str) {
        self.store
            .lock()
            .unwrap()
            .fail_next
            .push_back((status, message));
    }

    fn context(&self, extra: &[(&str, &str)]) -> GithubContext {
        let mut vars: HashMap<String, String> = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_API_URL", self.api_url.as_str()),
            ("GITHUB_REPOSITORY", REPO),
            ("GITHUB_TOKEN", TOKEN),
            // Retry backoff in milliseconds, as `common::command` sets it for the binary.
            ("DNC_RETRY_BASE_DELAY_MS", "1"),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        vars.retain(|_, v| !v.is_empty());
        GithubContext::from_lookup(|name| vars.get(name).cloned())
            .unwrap()
            .unwrap()
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "message": message.into() }))).into_response()
}

/// Auth, the GitHub headers, the repository, and injected failures: what every route checks.
/// Returns the refusal to send, if any.
fn gate(
    store: &mut Store,
    headers: &HeaderMap,
    (owner, repo): (&str, &str),
    write: bool,
) -> Option<Response> {
    if let Some((status, message)) = store.fail_next.pop_front() {
        return Some(error(status, message));
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {TOKEN}") {
        // Echo the credential back, as a careless proxy might: dnc must redact it.
        return Some(error(
            StatusCode::UNAUTHORIZED,
            format!("Bad credentials ({auth})"),
        ));
    }
    let has = |name: &str, value: Option<&str>| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| value.is_none_or(|want| v == want))
    };
    if !has("accept", Some("application/vnd.github+json"))
        || !has("x-github-api-version", Some("2022-11-28"))
        || !has("user-agent", None)
    {
        return Some(error(StatusCode::BAD_REQUEST, "missing GitHub headers"));
    }
    if format!("{owner}/{repo}") != REPO {
        return Some(error(StatusCode::NOT_FOUND, "Not Found"));
    }
    (write && store.forbid_writes).then(|| {
        error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        )
    })
}

fn comment_json(store: &Store, comment: &StoredComment) -> Value {
    json!({
        "id": comment.id,
        "body": comment.body,
        "html_url": format!("https://github.com/{REPO}/pull/{}#issuecomment-{}", comment.issue, comment.id),
        "user": { "login": comment.author, "type": if comment.author.ends_with("[bot]") { "Bot" } else { "User" } },
        "url": format!("{}/repos/{REPO}/issues/comments/{}", store.base, comment.id),
    })
}

#[derive(Deserialize)]
struct Paging {
    per_page: Option<usize>,
    page: Option<usize>,
}

async fn list_comments(
    State(store): State<Shared>,
    UrlPath((owner, repo, number)): UrlPath<(String, String, u64)>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
) -> Response {
    let mut store = store.lock().unwrap();
    if let Some(response) = gate(&mut store, &headers, (&owner, &repo), false) {
        return response;
    }
    store.lists += 1;
    let per_page = paging.per_page.unwrap_or(30).min(100);
    let page = paging.page.unwrap_or(1).max(1);
    let on_issue: Vec<_> = store
        .comments
        .iter()
        .filter(|c| c.issue == number)
        .collect();
    let body: Vec<Value> = on_issue
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|c| comment_json(&store, c))
        .collect();
    let mut response = Json(body).into_response();
    if page * per_page < on_issue.len() {
        let base = if store.foreign_next_link {
            "http://127.0.0.2:9/api/v3".to_owned()
        } else {
            store.base.clone()
        };
        let link = format!(
            "<{base}/repos/{REPO}/issues/{number}/comments?per_page={per_page}&page={}>; rel=\"next\", \
             <{base}/repos/{REPO}/issues/{number}/comments?per_page={per_page}&page=99>; rel=\"last\"",
            page + 1
        );
        response
            .headers_mut()
            .insert(header::LINK, link.parse().unwrap());
    }
    response
}

#[derive(Deserialize)]
struct NewBody {
    body: String,
}

async fn create_comment(
    State(store): State<Shared>,
    UrlPath((owner, repo, number)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    Json(new): Json<NewBody>,
) -> Response {
    let mut store = store.lock().unwrap();
    if let Some(response) = gate(&mut store, &headers, (&owner, &repo), true) {
        return response;
    }
    if new.body.chars().count() > 65_535 {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Body is too long");
    }
    store.posts += 1;
    store.next_id += 1;
    let comment = StoredComment {
        id: 1000 + store.next_id,
        issue: number,
        body: new.body,
        author: BOT.to_owned(),
    };
    store.comments.push(comment.clone());
    if store.lose_create_answers > 0 {
        store.lose_create_answers -= 1;
        return error(StatusCode::BAD_GATEWAY, "Bad Gateway");
    }
    (StatusCode::CREATED, Json(comment_json(&store, &comment))).into_response()
}

async fn update_comment(
    State(store): State<Shared>,
    UrlPath((owner, repo, id)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    Json(new): Json<NewBody>,
) -> Response {
    let mut store = store.lock().unwrap();
    if let Some(response) = gate(&mut store, &headers, (&owner, &repo), true) {
        return response;
    }
    store.patches += 1;
    let Some(index) = store.comments.iter().position(|c| c.id == id) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    store.comments[index].body = new.body;
    let comment = store.comments[index].clone();
    Json(comment_json(&store, &comment)).into_response()
}

async fn list_reviews(
    State(store): State<Shared>,
    UrlPath((owner, repo, number)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
) -> Response {
    let mut store = store.lock().unwrap();
    if let Some(response) = gate(&mut store, &headers, (&owner, &repo), false) {
        return response;
    }
    let head = store
        .pulls
        .iter()
        .find(|p| p.number == number)
        .map(|p| p.head.clone());
    let reviews: Vec<Value> = store
        .reviews
        .iter()
        .filter(|(pr, _, _)| *pr == number)
        .enumerate()
        .map(|(i, (_, login, state))| {
            let commit = store
                .reviewed_commits
                .get(&(number, login.clone()))
                .cloned()
                .or(head.clone());
            json!({ "id": i + 1, "user": { "login": login }, "state": state, "commit_id": commit })
        })
        .collect();
    Json(reviews).into_response()
}

async fn pull(
    State(store): State<Shared>,
    UrlPath((owner, repo, number)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
) -> Response {
    let mut store = store.lock().unwrap();
    if let Some(response) = gate(&mut store, &headers, (&owner, &repo), false) {
        return response;
    }
    match store.pulls.iter().find(|p| p.number == number) {
        Some(p) => Json(json!({
            "number": p.number,
            "user": { "login": p.author },
            "merged_by": p.merged_by.map(|m| json!({ "login": m })),
            "head": { "sha": p.head },
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn pulls_of_commit(
    State(store): State<Shared>,
    UrlPath((owner, repo, sha)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut store = store.lock().unwrap();
    if let Some(response) = gate(&mut store, &headers, (&owner, &repo), false) {
        return response;
    }
    let pulls: Vec<Value> = store
        .merges
        .iter()
        .filter(|(merged, _)| *merged == sha)
        .map(|(merged, pr)| json!({ "number": pr, "merge_commit_sha": merged, "merged_at": "2026-12-01T10:00:00Z" }))
        .collect();
    Json(pulls).into_response()
}

fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, diagnostic)
        .unwrap();
    out
}

fn write_file(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn pr_event(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "event.json",
        &json!({ "action": "synchronize", "number": PR, "pull_request": { "number": PR } })
            .to_string(),
    )
}

const MARKER: &str = "<!-- dnc-plan: examples/dnc.yaml -->";

#[tokio::test]
async fn plan_comment_is_created_then_edited_in_place() {
    let server = FakeGithub::start().await;
    server.seed(PR, "LGTM, a human comment");
    server.seed(
        PR + 1,
        &format!("{MARKER}\nthe plan of another pull request"),
    );
    let dir = tempfile::tempdir().unwrap();
    let event = pr_event(dir.path());
    let ctx = server.context(&[("GITHUB_EVENT_PATH", event.to_str().unwrap())]);
    let mut plan = PlanPublication {
        config_path: "./examples/dnc.yaml",
        markdown: "## dnc plan\n\n1 to add",
        step_summary: "## dnc plan\n\n1 to add",
        has_changes: true,
        complete: true,
        plan_hash: "sha256:aaaa",
        comment: true,
    };

    let first = github::publish_plan(&ctx, &plan).await.unwrap();
    let Some(CommentOutcome::Created { id, url }) = first.comment else {
        panic!("expected a new comment, got {:?}", first.comment);
    };
    assert_eq!(
        url,
        format!("https://github.com/{REPO}/pull/{PR}#issuecomment-{id}")
    );

    plan.markdown = "## dnc plan\n\n2 to add";
    let second = github::publish_plan(&ctx, &plan).await.unwrap();
    assert_eq!(
        second.comment,
        Some(CommentOutcome::Updated {
            id,
            url: url.clone()
        })
    );

    let ours: Vec<_> = server
        .comments()
        .into_iter()
        .filter(|c| c.issue == PR && c.body.starts_with(MARKER))
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "exactly one plan comment on the PR: {ours:?}"
    );
    assert_eq!(ours[0].id, id);
    assert_eq!(ours[0].body, format!("{MARKER}\n## dnc plan\n\n2 to add"));
    let (_, posts, patches) = server.counts();
    assert_eq!((posts, patches), (1, 1));
    let others = server.comments();
    assert_eq!(others[0].body, "LGTM, a human comment");
    assert_eq!(
        others[1].body,
        format!("{MARKER}\nthe plan of another pull request")
    );
}

#[tokio::test]
async fn unchanged_body_sends_no_edit() {
    let server = FakeGithub::start().await;
    let id = server.seed(PR, &format!("{MARKER}\nsame plan"));
    let ctx = server.context(&[]);
    let outcome = github::upsert_sticky_comment(&ctx, PR, MARKER, "same plan", WhenMissing::Create)
        .await
        .unwrap();
    assert_eq!(outcome, CommentOutcome::Unchanged { id });
    assert_eq!(server.counts(), (1, 0, 0));
}

#[tokio::test]
async fn marker_comment_on_the_second_page_is_edited() {
    let server = FakeGithub::start().await;
    let mut target = 0;
    for n in 0..150 {
        let id = server.seed(PR, &format!("comment {n}"));
        if n == 120 {
            server
                .store
                .lock()
                .unwrap()
                .comments
                .last_mut()
                .unwrap()
                .body = format!("{MARKER}\nold plan");
            target = id;
        }
    }
    let ctx = server.context(&[]);
    let outcome = github::upsert_sticky_comment(&ctx, PR, MARKER, "new plan", WhenMissing::Create)
        .await
        .unwrap();
    assert!(
        matches!(outcome, CommentOutcome::Updated { id, .. } if id == target),
        "{outcome:?}"
    );
    assert_eq!(server.counts(), (2, 0, 1), "two pages listed, one edit");
    let comments = server.comments();
    assert_eq!(comments.len(), 150);
    assert_eq!(comments[120].body, format!("{MARKER}\nnew plan"));
}

#[tokio::test]
async fn other_configs_quoted_markers_and_others_comments_are_left_alone() {
    let server = FakeGithub::start().await;
    let other = format!("{}\nprod plan", github::comment_marker("prod/dnc.yaml"));
    server.seed(PR, &other);
    let quoted = format!("> {MARKER}\n> quoted by a reviewer");
    server.seed(PR, &quoted);
    // Anybody can type the marker: taking over this comment would put the plan under
    // mallory's name, and let mallory change what reviewers read as the plan.
    let planted = format!("{MARKER}\nfake plan: nothing to remove");
    server.seed_by(PR, &planted, "mallory");
    let ctx = server.context(&[]);
    let outcome = github::upsert_sticky_comment(&ctx, PR, MARKER, "plan", WhenMissing::Create)
        .await
        .unwrap();
    assert!(
        matches!(outcome, CommentOutcome::Created { .. }),
        "{outcome:?}"
    );
    let bodies: Vec<_> = server.comments().into_iter().map(|c| c.body).collect();
    assert_eq!(bodies, [other, quoted, planted, format!("{MARKER}\nplan")]);
}

/// A token other than `GITHUB_TOKEN` (a PAT, an app) comments as its own login.
#[tokio::test]
async fn the_comment_author_can_be_named() {
    let server = FakeGithub::start().await;
    let ours = server.seed_by(PR, &format!("{MARKER}\nold plan"), "dnc-bot");
    let ctx = server.context(&[("DNC_COMMENT_AUTHOR", "dnc-bot")]);
    let outcome = github::upsert_sticky_comment(&ctx, PR, MARKER, "new", WhenMissing::Create)
        .await
        .unwrap();
    assert!(
        matches!(outcome, CommentOutcome::Updated { id, .. } if id == ours),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_plan_without_changes_edits_but_never_creates() {
    let server = FakeGithub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let event = pr_event(dir.path());
    let ctx = server.context(&[("GITHUB_EVENT_PATH", event.to_str().unwrap())]);
    let plan = PlanPublication {
        config_path: "examples/dnc.yaml",
        markdown: "No changes.",
        step_summary: "No changes.",
        has_changes: false,
        complete: true,
        plan_hash: "sha256:bbbb",
        comment: true,
    };
    let published = github::publish_plan(&ctx, &plan).await.unwrap();
    assert_eq!(published.comment, Some(CommentOutcome::Skipped));
    assert!(server.comments().is_empty());

    let id = server.seed(PR, &format!("{MARKER}\n1 to add"));
    let published = github::publish_plan(&ctx, &plan).await.unwrap();
    assert!(
        matches!(published.comment, Some(CommentOutcome::Updated { id: got, .. }) if got == id)
    );
    assert_eq!(server.comments()[0].body, format!("{MARKER}\nNo changes."));
}

#[tokio::test]
async fn forbidden_is_a_clear_error() {
    let server = FakeGithub::start().await;
    // Reading works, writing is refused: a fork's read-only token.
    server.store.lock().unwrap().forbid_writes = true;
    let ctx = server.context(&[]);
    let err = github::upsert_sticky_comment(&ctx, PR, MARKER, "x", WhenMissing::Create)
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::Forbidden { .. }), "{err:?}");
    insta::assert_snapshot!(render(&err), @r#"
    dnc::github::forbidden

      × GitHub refused to create the plan comment on pull request #7 in acme/dnc-lists (403
      │ Forbidden); GitHub says: "Resource not accessible by integration"
      help: the job needs `permissions: pull-requests: write`; on pull requests from forks GitHub
            hands out a read-only token, so run without `comment` there
    "#);
    assert_eq!(server.counts(), (1, 0, 0));
    assert!(server.comments().is_empty());
}

#[tokio::test]
async fn a_rejected_token_is_reported_and_redacted() {
    let server = FakeGithub::start().await;
    let ctx = server.context(&[("GITHUB_TOKEN", "ghp_wrong_token_value")]);
    let err = github::upsert_sticky_comment(&ctx, PR, MARKER, "x", WhenMissing::Create)
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::Unauthorized { .. }), "{err:?}");
    let shown = format!("{} {err:?}", render(&err));
    assert!(!shown.contains("ghp_wrong_token_value"), "{shown}");
    insta::assert_snapshot!(render(&err), @r#"
    dnc::github::unauthorized

      × GitHub rejected the token when asked to list the comments of pull request #7 in acme/dnc-lists
      │ (401 Unauthorized); GitHub says: "Bad credentials (Bearer [REDACTED])"
      help: check the `github-token` input: the token may be expired, revoked or mistyped
    "#);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = FakeGithub::start().await;
    server.fail_next(StatusCode::BAD_GATEWAY, "Bad Gateway");
    server.fail_next(StatusCode::SERVICE_UNAVAILABLE, "Unavailable");
    let ctx = server.context(&[]);
    let outcome = github::upsert_sticky_comment(&ctx, PR, MARKER, "plan", WhenMissing::Create)
        .await
        .unwrap();
    assert!(
        matches!(outcome, CommentOutcome::Created { .. }),
        "{outcome:?}"
    );
    assert_eq!(server.comments().len(), 1);
}

#[tokio::test]
async fn a_lost_create_answer_never_posts_twice() {
    let server = FakeGithub::start().await;
    server.store.lock().unwrap().lose_create_answers = 1;
    let ctx = server.context(&[]);
    let outcome = github::upsert_sticky_comment(&ctx, PR, MARKER, "plan", WhenMissing::Create)
        .await
        .unwrap();
    let comments = server.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        matches!(outcome, CommentOutcome::Created { id, .. } if id == comments[0].id),
        "{outcome:?}"
    );
    assert_eq!(
        server.counts(),
        (2, 1, 0),
        "looked again instead of posting again"
    );
}

#[tokio::test]
async fn an_oversized_comment_is_refused_before_any_request() {
    let server = FakeGithub::start().await;
    let ctx = server.context(&[]);
    let body = "é".repeat(65_535);
    let err = github::upsert_sticky_comment(&ctx, PR, MARKER, &body, WhenMissing::Create)
        .await
        .unwrap_err();
    assert!(
        matches!(err, GithubError::CommentTooLong { chars } if chars == 65_535 + MARKER.len() + 1),
        "{err:?}"
    );
    assert_eq!(server.counts(), (0, 0, 0));
    insta::assert_snapshot!(render(&err), @"
    dnc::github::comment_too_long

      × the plan comment is 65572 characters long; GitHub allows at most 65,535
      help: the full plan is in the step summary and the saved plan file
    ");
}

#[tokio::test]
async fn a_next_link_to_another_server_is_not_followed() {
    let server = FakeGithub::start().await;
    for n in 0..101 {
        server.seed(PR, &format!("comment {n}"));
    }
    server.store.lock().unwrap().foreign_next_link = true;
    let ctx = server.context(&[]);
    let err = github::upsert_sticky_comment(&ctx, PR, MARKER, "plan", WhenMissing::Create)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GithubError::InvalidResponse { reason, .. } if reason.contains("another server")),
        "{err:?}"
    );
    assert_eq!(server.counts(), (1, 0, 0));
}

#[tokio::test]
async fn a_missing_token_is_a_clear_error() {
    let server = FakeGithub::start().await;
    let ctx = server.context(&[("GITHUB_TOKEN", "")]);
    let err = github::upsert_sticky_comment(&ctx, PR, MARKER, "plan", WhenMissing::Create)
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::MissingToken), "{err:?}");
}

fn context_from(vars: &[(&str, &str)]) -> Result<Option<GithubContext>, GithubError> {
    let vars: HashMap<_, _> = vars.iter().copied().collect();
    GithubContext::from_lookup(|name| vars.get(name).map(|v| v.to_string()))
}

#[test]
fn context_is_read_only_inside_actions_and_hides_the_token() {
    assert!(context_from(&[("GITHUB_TOKEN", TOKEN)]).unwrap().is_none());
    assert!(
        context_from(&[("GITHUB_ACTIONS", "false"), ("GITHUB_REPOSITORY", REPO)])
            .unwrap()
            .is_none()
    );
    let ctx = context_from(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", REPO),
        ("GITHUB_TOKEN", TOKEN),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(ctx.repository(), REPO);
    assert!(!format!("{ctx:?}").contains(TOKEN));

    let missing = context_from(&[("GITHUB_ACTIONS", "true")]).unwrap_err();
    assert!(matches!(
        missing,
        GithubError::MissingEnv {
            name: "GITHUB_REPOSITORY"
        }
    ));
    for repository in ["acme", "acme/../x", "acme/x/y", "acme/x?y", "/x"] {
        let err = context_from(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", repository),
        ])
        .unwrap_err();
        assert!(
            matches!(
                err,
                GithubError::InvalidEnv {
                    name: "GITHUB_REPOSITORY",
                    ..
                }
            ),
            "{repository}: {err:?}"
        );
    }
    for api_url in [
        "http://api.example.com",
        "https://user:pw@example.com",
        "not a url",
    ] {
        let err = context_from(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", REPO),
            ("GITHUB_API_URL", api_url),
        ])
        .unwrap_err();
        assert!(
            matches!(
                err,
                GithubError::InvalidEnv {
                    name: "GITHUB_API_URL",
                    ..
                }
            ),
            "{api_url}: {err:?}"
        );
    }
}

fn pr_number_of(event: &str) -> Result<Option<u64>, GithubError> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "event.json", event);
    context_from(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", REPO),
        ("GITHUB_EVENT_PATH", path.to_str().unwrap()),
    ])
    .unwrap()
    .unwrap()
    .pull_request_number()
}

#[test]
fn the_pull_request_number_comes_from_the_event() {
    let pull_request = json!({ "action": "opened", "number": 42, "pull_request": { "number": 42, "head": { "sha": "abc" } } });
    assert_eq!(pr_number_of(&pull_request.to_string()).unwrap(), Some(42));
    let push = json!({ "ref": "refs/heads/main", "after": "abc", "commits": [] });
    assert_eq!(pr_number_of(&push.to_string()).unwrap(), None);
    let schedule = json!({ "schedule": "17 6 * * *" });
    assert_eq!(pr_number_of(&schedule.to_string()).unwrap(), None);
    let pr_comment =
        json!({ "issue": { "number": 9, "pull_request": { "url": "x" } }, "comment": {} });
    assert_eq!(pr_number_of(&pr_comment.to_string()).unwrap(), Some(9));
    let issue_comment = json!({ "issue": { "number": 9 }, "comment": {} });
    assert_eq!(pr_number_of(&issue_comment.to_string()).unwrap(), None);
    for broken in ["{", r#"{"pull_request": {"number": "seven"}}"#, "[]"] {
        assert!(
            matches!(pr_number_of(broken), Err(GithubError::EventParse { .. })),
            "{broken}"
        );
    }
}

#[test]
fn step_summary_is_appended_and_kept_under_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "summary.md", "# earlier step\n");
    assert_eq!(
        github::append_step_summary(&path, "## plan A").unwrap(),
        SummaryWrite::Whole
    );
    github::append_step_summary(&path, "## plan B\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# earlier step\n## plan A\n## plan B\n"
    );

    // A plan over 1 MiB, cut inside a code fence.
    let line = "| + | (202) 555-0143 | global | Customer request |\n";
    let huge = format!("## plan\n\n```diff\n{}```\n", line.repeat(30_000));
    let outcome = github::append_step_summary(&path, &huge).unwrap();
    let SummaryWrite::Truncated { omitted_bytes } = outcome else {
        panic!("expected truncation, got {outcome:?}");
    };
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.len() as u64 <= github::STEP_SUMMARY_MAX_BYTES);
    assert!(written.len() > 1_000_000, "uses the room it has");
    assert!(omitted_bytes > 0 && omitted_bytes < huge.len());
    let tail = &written[written.len() - 400..];
    assert!(
        tail.contains("```\n\n> [!WARNING]\n> The plan was cut here"),
        "{tail}"
    );
    assert!(written.ends_with("have all of it.\n"));
    let before_notice = &written[..written.find("\n> [!WARNING]").unwrap()];
    assert!(
        before_notice.ends_with("Customer request |\n```\n"),
        "cut at a line end"
    );

    let err = github::append_step_summary(&path, &huge).unwrap_err();
    assert!(matches!(err, GithubError::SummaryFull { .. }), "{err:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        written,
        "nothing appended"
    );
}

/// Parse a `GITHUB_OUTPUT` file the way the runner does.
fn parse_outputs(text: &str) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<_> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.push((name.to_owned(), value.join("\n")));
        } else {
            let (name, value) = line.split_once('=').unwrap();
            outputs.push((name.to_owned(), value.to_owned()));
        }
    }
    outputs
}

#[test]
fn step_outputs_use_the_heredoc_form_for_multiline_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "output", "earlier=1\n");
    let tricky = "line one\nEOF\nhas_changes=false\nghadelimiter_\nlast";
    github::write_outputs(
        &path,
        &[
            ("has_changes", "true"),
            ("summary", tricky),
            ("plan_hash", "sha256:ab=cd"),
        ],
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("earlier=1\nhas_changes=true\nsummary<<ghadelimiter_"),
        "{text}"
    );
    assert_eq!(
        parse_outputs(&text),
        [
            ("earlier".into(), "1".into()),
            ("has_changes".into(), "true".into()),
            ("summary".into(), tricky.into()),
            ("plan_hash".into(), "sha256:ab=cd".into()),
        ]
    );

    for name in ["has changes", "x=y", "a\nb", "", "1st"] {
        let err = github::write_outputs(&path, &[("ok", "1"), (name, "v")]).unwrap_err();
        assert!(
            matches!(err, GithubError::InvalidOutputName { .. }),
            "{name:?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "nothing partial"
    );
}

#[test]
fn comment_markers_are_one_per_config_and_well_formed() {
    assert_eq!(github::comment_marker("./examples/dnc.yaml"), MARKER);
    assert_eq!(github::comment_marker("examples/dnc.yaml"), MARKER);
    assert_ne!(
        github::comment_marker("dnc.yaml"),
        github::comment_marker("prod/dnc.yaml")
    );
    assert_eq!(
        github::comment_marker("lists/dnc-prod.yaml"),
        "<!-- dnc-plan: lists/dnc-prod.yaml -->"
    );
    let hostile = github::comment_marker("a-->b--c\n<script>é.yaml");
    assert_eq!(
        hostile,
        "<!-- dnc-plan: a-%2D%3Eb-%2Dc%0A%3Cscript%3E%C3%A9.yaml -->"
    );
    assert_eq!(
        hostile.matches("--").count(),
        2,
        "only the comment's own delimiters"
    );
}

/// `dnc plan --retry-budget 0` inside Actions: the flag governs the GitHub calls too, so a
/// 502 from GitHub is not retried even though `DNC_RETRY_BUDGET` would allow it.
#[tokio::test]
async fn the_retry_budget_flag_governs_the_github_calls() {
    let server = FakeGithub::start().await;
    server.fail_next(StatusCode::BAD_GATEWAY, "Bad Gateway");
    let sandbox = common::Sandbox::start(&[]);
    let project = common::Project::new(
        &common::Config::pruning(false, 25),
        &[(
            "lists/global.yaml",
            "entries:\n  - number: \"202-555-0143\"\n    scope: global\n    reason: DNC\n",
        )],
    );
    let event = pr_event(project.dir.path());
    let mut cmd = project.targeting(&sandbox, &["plan", "--comment", "--retry-budget", "0"]);
    cmd.env("DNC_RETRY_BUDGET", "60")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_API_URL", &server.api_url)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_EVENT_PATH", &event);
    let out = tokio::task::spawn_blocking(move || common::run(&mut cmd).fails(1))
        .await
        .unwrap();
    let err = out.stderr;
    assert!(err.contains("502"), "{err}");
    assert!(server.comments().is_empty(), "{err}");
    // The failed attempt is not counted; a retry would have listed the comments once.
    assert_eq!(server.counts(), (0, 0, 0), "retried: {err}");
}

const MERGE_SHA: &str = "4f2c9e1d0b7a6c5e3f2a1b0c9d8e7f6a5b4c3d2e";

/// Removing a number listed a month ago (inside the retention period, and over the limits:
/// 100% of the scope) as `approval`, merged by pull request #7 whose reviews are `reviews`:
/// `dnc apply --yes` on the push of the merge commit, as the apply workflow runs it.
async fn apply_approved(
    approval: &str,
    reviews: &[(&str, &'static str)],
) -> (common::Run, common::Project, common::Sandbox) {
    let server = FakeGithub::start().await;
    {
        let mut store = server.store.lock().unwrap();
        store.merges.push((MERGE_SHA.into(), PR));
        for (login, state) in reviews {
            store.reviews.push((PR, (*login).into(), state));
        }
    }
    let sandbox = common::Sandbox::start_seeded(
        [common::seed("2025550104", 0)
            .reason("Customer Request")
            .at("2026-11-02 09:00:00")],
        &[],
    );
    let tombstone = format!(
        "removals:\n  - number: \"202-555-0104\"\n    scope: global\n    removal_reason: Entered by mistake\n{approval}"
    );
    let project = common::Project::new(
        &common::Config::new()
            .scope("global", &[])
            .with("removals:\n  approvals: accepted\n"),
        &[("lists/global.yaml", &tombstone)],
    );
    let event = write_file(
        project.dir.path(),
        "event.json",
        &json!({ "ref": "refs/heads/main", "after": MERGE_SHA }).to_string(),
    );
    let mut cmd = project.targeting(&sandbox, &["apply", "--yes"]);
    cmd.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_API_URL", &server.api_url)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_SHA", MERGE_SHA)
        .env("GITHUB_EVENT_PATH", &event);
    let out = tokio::task::spawn_blocking(move || common::run(&mut cmd))
        .await
        .unwrap();
    (out, project, sandbox)
}

const ALICE: &str = "    approval: {by: alice, ticket: COMP-1301}\n";

#[tokio::test]
async fn a_removal_approved_in_review_applies_on_merge() {
    let (out, project, sandbox) =
        apply_approved(ALICE, &[("bob", "COMMENTED"), ("alice", "APPROVED")]).await;
    let out = out.ok();
    assert!(
        out.stdout.contains("approved by: alice (COMP-1301)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Every removal is approved by a reviewer of pull request #7"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Applied: 1 done"), "{}", out.stdout);
    let ledger = std::fs::read_to_string(project.path(".dnc/ledger.jsonl")).unwrap();
    let finish: Value = serde_json::from_str(ledger.lines().last().unwrap()).unwrap();
    assert_eq!(
        finish["approval"],
        json!({ "by": "alice", "ticket": "COMP-1301", "pull_request": 7 })
    );
    let json = common::plan_json(&project, &sandbox, &[]);
    assert_eq!(common::counts(&json), [0, 0, 0, 0], "the number is gone");
}

#[tokio::test]
async fn a_removal_without_approval_still_needs_the_flags() {
    let (out, _project, _sandbox) = apply_approved("", &[("alice", "APPROVED")]).await;
    let out = out.fails(1);
    assert!(
        out.stderr.contains("dnc::apply::removals"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("Applied:"), "{}", out.stdout);
}

#[tokio::test]
async fn an_approver_who_did_not_approve_the_pull_request_is_refused() {
    // Alice reviewed but then asked for changes; mallory approved but is not the approver named.
    let (out, _project, _sandbox) = apply_approved(
        ALICE,
        &[
            ("alice", "APPROVED"),
            ("mallory", "APPROVED"),
            ("alice", "CHANGES_REQUESTED"),
        ],
    )
    .await;
    let out = out.fails(1);
    assert!(!out.stdout.contains("Applied:"), "{}", out.stdout);
    let err = out
        .stderr
        .lines()
        .skip_while(|l| !l.contains("dnc::apply"))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(err, @"
    dnc::apply::not_approved

      × these removals' approvers did not approve pull request #7 (approved by
      │ mallory); nothing was applied:
      │   - +1 202-555-0104 in global (approval by alice)
      help: the approval's `by` must be the login of someone who approved the pull
            request: fix the tombstone in a new pull request, or apply locally
            with --allow-removals / --allow-early-removals
    ");
}

/// A plan of thousands of changes: the comment summarizes it (and with --full is cut) below
/// GitHub's 65,535 characters, while the step summary lists every change.
#[tokio::test]
async fn a_plan_of_thousands_of_changes_fits_one_comment() {
    let server = FakeGithub::start().await;
    let sandbox = common::Sandbox::start(&[]);
    let area_codes = [
        201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224,
        225, 228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254,
    ];
    let mut manifest =
        String::from("defaults:\n  scope: global\n  reason: Customer Request\nentries:\n");
    for code in area_codes {
        for n in 100..200 {
            manifest.push_str(&format!("  - number: \"{code}-555-0{n}\"\n"));
        }
    }
    let project = common::Project::new(
        &common::Config::new().scope("global", &[]),
        &[("lists/big.yaml", &manifest)],
    );
    let event = pr_event(project.dir.path());
    for full in [false, true] {
        let mut args = vec!["plan", "--comment", "--format", "markdown"];
        if full {
            args.push("--full");
        }
        let mut cmd = project.targeting(&sandbox, &args);
        cmd.envs(project.github_step())
            .env("GITHUB_API_URL", &server.api_url)
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_EVENT_PATH", &event);
        tokio::task::spawn_blocking(move || common::run(&mut cmd).ok())
            .await
            .unwrap();
        let comments = server.comments();
        assert_eq!(comments.len(), 1);
        let body = &comments[0].body;
        assert!(body.chars().count() <= 65_535, "{}", body.chars().count());
        assert!(body.contains("**3000 to create, 0 to update, 0 to remove, 0 to prune**"));
        if full {
            assert!(body.contains("row(s) are not shown"), "{body}");
        } else {
            assert_eq!(body.matches("| ➕ create |").count(), 20);
            assert!(body.contains("| | … 2980 more to create |"), "{body}");
        }
    }
    let summary = std::fs::read_to_string(project.path("summary.md")).unwrap();
    // Each of the two runs appended the whole plan.
    assert_eq!(
        summary.matches("| ➕ create |").count(),
        6000,
        "the step summary lists every change"
    );
}
