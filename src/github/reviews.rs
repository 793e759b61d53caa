//! Who approved the pull request a job runs for: removals approved in review apply on merge
//! only when their tombstone's approver is one of them.

use super::comment::{Api, parse};
use super::{GithubContext, GithubError, MAX_PAGES};
pub use crate::plan::approval::Reviewed;
use reqwest::Method;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Review {
    user: Option<Login>,
    state: String,
    /// The commit the review was made on.
    commit_id: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Login {
    pub login: String,
}

/// A reviewer's latest review that approves or withdraws an approval.
pub(super) struct Latest {
    pub approved: bool,
    pub commit: Option<String>,
}

#[derive(Deserialize)]
struct Pull {
    number: u64,
    merge_commit_sha: Option<String>,
    merged_at: Option<String>,
}

/// The pull request the job runs for (the event's, or the one that merged `GITHUB_SHA`) and
/// its approvers; `None` when the job belongs to no pull request.
pub async fn reviewed_pull_request(ctx: &GithubContext) -> Result<Option<Reviewed>, GithubError> {
    let token = ctx.token.as_ref().ok_or(GithubError::MissingToken)?;
    let api = Api::new(ctx, token)?;
    let number = match (ctx.pull_request_number()?, ctx.sha()) {
        (Some(n), _) => Some(n),
        (None, Some(sha)) => merged_by(&api, ctx, sha).await?,
        (None, None) => None,
    };
    let Some(pull_request) = number else {
        return Ok(None);
    };
    let approvers = approvers(&api, ctx, pull_request).await?;
    Ok(Some(Reviewed {
        pull_request,
        approvers,
    }))
}

/// The pull request that merged `sha`: the push event after a merge names only the commit.
pub(super) async fn merged_by(
    api: &Api<'_>,
    ctx: &GithubContext,
    sha: &str,
) -> Result<Option<u64>, GithubError> {
    let action = format!(
        "find the pull request of commit {sha} in {}",
        ctx.repository()
    );
    let url = api.url(&["commits", sha, "pulls"]);
    let reply = api.send(&action, Method::GET, url, None).await?;
    let pulls: Vec<Pull> = parse(&action, &reply.body)?;
    let merged = pulls
        .iter()
        .find(|p| p.merge_commit_sha.as_deref() == Some(sha))
        .or_else(|| pulls.iter().find(|p| p.merged_at.is_some()));
    Ok(merged.map(|p| p.number))
}

/// The logins whose latest approving-or-not review approves `pr` (a comment changes nothing;
/// a later request for changes or a dismissal withdraws an approval).
async fn approvers(
    api: &Api<'_>,
    ctx: &GithubContext,
    pr: u64,
) -> Result<Vec<String>, GithubError> {
    Ok(latest_reviews(api, ctx, pr)
        .await?
        .into_iter()
        .filter_map(|(login, latest)| latest.approved.then_some(login))
        .collect())
}

/// Each reviewer's latest review of `pr` that approves or withdraws, by login.
pub(super) async fn latest_reviews(
    api: &Api<'_>,
    ctx: &GithubContext,
    pr: u64,
) -> Result<BTreeMap<String, Latest>, GithubError> {
    let action = format!(
        "list the reviews of pull request #{pr} in {}",
        ctx.repository()
    );
    let mut url = api.url(&["pulls", &pr.to_string(), "reviews"]);
    url.query_pairs_mut().append_pair("per_page", "100");
    let origin = url.origin();
    let mut latest: BTreeMap<String, Latest> = BTreeMap::new();
    for _ in 0..MAX_PAGES {
        let reply = api.send(&action, Method::GET, url, None).await?;
        let reviews: Vec<Review> = parse(&action, &reply.body)?;
        for review in reviews {
            let Some(user) = review.user else { continue };
            let approved = match review.state.as_str() {
                "APPROVED" => true,
                "CHANGES_REQUESTED" | "DISMISSED" => false,
                _ => continue,
            };
            let commit = review.commit_id;
            latest.insert(user.login, Latest { approved, commit });
        }
        match reply.next {
            Some(next) if next.origin() == origin => url = next,
            Some(_) => {
                return Err(GithubError::InvalidResponse {
                    action,
                    reason: "the next-page link points to another server".into(),
                });
            }
            None => return Ok(latest),
        }
    }
    Err(GithubError::InvalidResponse {
        action,
        reason: format!("more than {MAX_PAGES} pages of reviews"),
    })
}
