//! The pull request behind an applied commit, for the ledger's approval trail: its number,
//! author, approvers at the merged head, and who merged it.

use super::comment::{Api, parse};
use super::reviews::{Login, latest_reviews, merged_by};
use super::{GithubContext, GithubError};
use crate::trail::{PullRequest, Trail};
use reqwest::Method;
use serde::Deserialize;

#[derive(Deserialize)]
struct Pull {
    user: Option<Login>,
    merged_by: Option<Login>,
    head: Head,
}

#[derive(Deserialize)]
struct Head {
    sha: String,
}

/// What GitHub says about the job's pull request (the event's, or the one that merged
/// `GITHUB_SHA`). Never an error: a question GitHub did not answer is recorded as
/// [`Trail::Unknown`] with the reason, so the ledger says the trail is missing and why.
pub async fn merge_trail(ctx: &GithubContext) -> Trail {
    match learn(ctx).await {
        Ok(trail) => trail,
        Err(e) => Trail::Unknown {
            reason: e.to_string(),
        },
    }
}

async fn learn(ctx: &GithubContext) -> Result<Trail, GithubError> {
    let token = ctx.token.as_ref().ok_or(GithubError::MissingToken)?;
    let api = Api::new(ctx, token)?;
    let number = match (ctx.pull_request_number()?, ctx.sha()) {
        (Some(n), _) => n,
        (None, Some(sha)) => match merged_by(&api, ctx, sha).await? {
            Some(n) => n,
            None => return Ok(Trail::NoPullRequest),
        },
        (None, None) => return Err(GithubError::MissingEnv { name: "GITHUB_SHA" }),
    };
    let action = format!("read pull request #{number} in {}", ctx.repository());
    let url = api.url(&["pulls", &number.to_string()]);
    let reply = api.send(&action, Method::GET, url, None).await?;
    let pull: Pull = parse(&action, &reply.body)?;
    let mut approvers = Vec::new();
    let mut stale_approvers = Vec::new();
    for (login, latest) in latest_reviews(&api, ctx, number).await? {
        match latest.commit {
            _ if !latest.approved => {}
            Some(c) if c == pull.head.sha => approvers.push(login),
            _ => stale_approvers.push(login),
        }
    }
    Ok(Trail::PullRequest(PullRequest {
        number,
        author: pull.user.map_or_else(|| "unknown".into(), |u| u.login),
        approvers,
        stale_approvers,
        merged_by: pull.merged_by.map(|u| u.login),
    }))
}
