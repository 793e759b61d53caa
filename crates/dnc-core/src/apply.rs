//! The executor: runs a plan's changes concurrently, converges idempotently, and writes every
//! operation's start and finish to the ledger.

use crate::api::{
    ApiError, Client, DeleteRequest, ErrorKind, InsertRequest, Reply, SearchQuery, UpdateRequest,
    contract_text,
};
use crate::entry::Key;
use crate::ledger::{self, Event, Ledger, Outcome, Record};
use crate::ledger_git::{LedgerBranch, LedgerGitError, Pushed};
use crate::plan::{Change, Plan, render};
use crate::progress;
use futures::StreamExt;
use miette::Result;
use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;

pub mod gates;

/// Who applies and from which commit, for the ledger.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    pub commit: Option<String>,
    pub actor: Option<String>,
    /// The pull request whose reviews confirmed the removals' approvals.
    pub reviewed: Option<crate::plan::approval::Reviewed>,
    /// The creates that put back an entry which vanished from the dialer, with their gap.
    pub restores: std::collections::HashMap<Key, crate::drift::Restore>,
}

impl Provenance {
    /// The commit and actor the CI names (GitHub's `GITHUB_SHA` and `GITHUB_ACTOR`, passed
    /// in), else the repository at `root`'s: its `HEAD`, and its user's email or name.
    pub fn of(root: &Path, ci_commit: Option<String>, ci_actor: Option<String>) -> Provenance {
        let repo = crate::git::Git::at(root);
        let git = |args: &[&str]| repo.value(args);
        Provenance {
            reviewed: None,
            restores: Default::default(),
            commit: ci_commit.or_else(|| git(&["rev-parse", "HEAD"])),
            actor: ci_actor
                .or_else(|| git(&["config", "user.email"]))
                .or_else(|| git(&["config", "user.name"])),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub concurrency: usize,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub done: u64,
    pub converged: u64,
    pub failed: u64,
    /// Operations never sent because the API refused the token or stayed unreachable.
    pub not_sent: u64,
    /// The first failures, for the closing report.
    pub failures: Vec<String>,
}

/// What one operation ended as.
struct Finished {
    outcome: Outcome,
    id: Option<u64>,
    error: Option<(Option<i64>, String)>,
    attempts: u32,
}

impl Finished {
    fn ok(outcome: Outcome, id: u64, attempts: u32) -> Finished {
        Finished {
            outcome,
            id: Some(id),
            error: None,
            attempts,
        }
    }

    /// Failed although the answer did not say so (or said something search contradicts).
    fn doubt(code: Option<i64>, text: String, attempts: u32) -> Finished {
        Finished {
            outcome: Outcome::Failed,
            id: None,
            error: Some((code, text)),
            attempts,
        }
    }

    fn failed(e: &ApiError) -> Finished {
        let code = match e {
            ApiError::Rejected { code, .. } => Some(*code),
            _ => None,
        };
        Finished {
            outcome: Outcome::Failed,
            id: None,
            error: Some((code, e.to_string())),
            attempts: e.attempts(),
        }
    }
}

/// Applies every change of `plan`. A failed operation does not stop the others, except that
/// once the API refused the token or the retry budget is spent nothing further is sent; a
/// ledger that cannot be written stops everything (no change goes unrecorded).
pub async fn execute(
    client: &Client,
    plan: &Plan,
    ledger: &mut Ledger,
    who: &Provenance,
    opts: Options,
) -> Result<Summary> {
    let changes: Vec<&Change> = plan.changes().collect();
    progress::tell(progress::Event::Applying {
        total: changes.len() as u64,
    });
    let ledger = Mutex::new(ledger);
    let record = |op: usize, change: &Change, event: Event, fin: Option<&Finished>| {
        let r = record_for(plan, op, change, event, fin, who);
        ledger
            .lock()
            .expect("no panics while holding the ledger")
            .append(r)
    };
    let mut results = futures::stream::iter(changes.iter().enumerate())
        .map(|(op, change)| {
            let record = &record;
            async move {
                if client.is_down() {
                    return Ok::<_, miette::Report>((op, None));
                }
                record(op, change, Event::Start, None)?;
                let fin = run(client, change).await;
                record(op, change, Event::Finish, Some(&fin))?;
                Ok((op, Some(fin)))
            }
        })
        .buffer_unordered(opts.concurrency.max(1));
    let mut summary = Summary::default();
    while let Some(result) = results.next().await {
        let (op, fin) = result?;
        let Some(fin) = fin else {
            summary.not_sent += 1;
            continue;
        };
        match fin.outcome {
            Outcome::Done => summary.done += 1,
            Outcome::Converged => summary.converged += 1,
            Outcome::Failed => {
                summary.failed += 1;
                if summary.failures.len() < 20 {
                    let (_, text) = fin.error.unwrap_or_default();
                    summary
                        .failures
                        .push(format!("{}: {text}", render::one_line(changes[op])));
                }
            }
        }
        progress::tell(progress::Event::Applied {
            failed: summary.failed,
        });
    }
    progress::tell(progress::Event::ApplyDone);
    drop(results);
    ledger
        .into_inner()
        .expect("no panics while holding the ledger")
        .sync()?;
    Ok(summary)
}

async fn run(client: &Client, change: &Change) -> Finished {
    match change {
        Change::Create {
            key,
            reason,
            purpose,
            ..
        } => create(client, key, reason, purpose).await,
        Change::Update {
            key,
            id,
            reason,
            purpose,
            ..
        } => {
            let req = UpdateRequest {
                id: *id,
                reason: reason
                    .changed()
                    .then(|| reason.new.clone().unwrap_or_default()),
                purpose: purpose
                    .changed()
                    .then(|| purpose.new.clone().unwrap_or_default()),
            };
            update(client, key, &req).await
        }
        // Both values are sent: the remote ones are not known, so neither may be left as is.
        Change::Reassert {
            key,
            id,
            reason,
            purpose,
            ..
        } => {
            let req = UpdateRequest {
                id: *id,
                reason: Some(reason.clone()),
                purpose: Some(purpose.clone().unwrap_or_default()),
            };
            update(client, key, &req).await
        }
        Change::Remove { key, .. } | Change::Prune { key, .. } => remove(client, key).await,
    }
}

async fn update(client: &Client, key: &Key, req: &UpdateRequest) -> Finished {
    let id = req.id;
    match client.update(req).await {
        Ok(Reply {
            value: Some(_),
            attempts,
        }) => Finished::ok(Outcome::Done, id, attempts),
        // A success answer without the id: done once search still shows the entry.
        Ok(r) => match find(client, key).await {
            Ok(Some(found)) if found.id == id => Finished::ok(Outcome::Done, id, r.attempts + 1),
            Ok(_) => Finished::doubt(
                None,
                format!(
                    "dnc/update answered success without an id, and a search finds no entry \
                     with id {id}"
                ),
                r.attempts + 1,
            ),
            Err(e) => Finished::failed(&e),
        },
        Err(e) => Finished::failed(&e),
    }
}

async fn create(client: &Client, key: &Key, reason: &str, purpose: &Option<String>) -> Finished {
    let req = InsertRequest {
        phone_code: key.phone.code,
        phone_number: key.phone.national.to_string(),
        campaign_id: key.scope,
        reason: Some(reason.to_string()),
        purpose: purpose.clone(),
    };
    match client.insert(&req).await {
        Ok(Reply {
            value: Some(id),
            attempts,
        }) => Finished::ok(Outcome::Done, id, attempts),
        // A success answer without an id (one SDK's shape, or an insert that never took
        // effect): the entry a search finds is the proof, and its id is the one recorded.
        Ok(r) => match find(client, key).await {
            Ok(Some(found)) => Finished::ok(Outcome::Done, found.id, r.attempts + 1),
            Ok(None) => Finished::doubt(
                None,
                "dnc/insert answered success without an id, and an exact search finds no \
                 entry: the insert did not take effect"
                    .into(),
                r.attempts + 1,
            ),
            Err(e) => Finished::failed(&e),
        },
        // Already there (a retried request, or a re-run): converged once it really matches.
        Err(e) if e.kind() == Some(ErrorKind::AlreadyExists) => match find(client, key).await {
            Ok(Some(found))
                if found.reason.as_deref() == Some(reason)
                    && found.purpose.as_deref() == purpose.as_deref() =>
            {
                Finished::ok(Outcome::Converged, found.id, e.attempts())
            }
            Ok(Some(found)) => {
                let req = UpdateRequest {
                    id: found.id,
                    reason: Some(reason.to_string()),
                    purpose: Some(purpose.clone().unwrap_or_default()),
                };
                match client.update(&req).await {
                    Ok(r) => Finished::ok(Outcome::Done, found.id, e.attempts() + r.attempts),
                    Err(e) => Finished::failed(&e),
                }
            }
            // The tables disagree on what such codes mean: search has the last word.
            Ok(None) => disputed(&e, "a search found no entry"),
            Err(e) => Finished::failed(&e),
        },
        Err(e) => Finished::failed(&e),
    }
}

/// Re-checks the entry right before deleting it: a number already gone is converged.
async fn remove(client: &Client, key: &Key) -> Finished {
    let found = match find(client, key).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Finished {
                outcome: Outcome::Converged,
                id: None,
                error: None,
                attempts: 1,
            };
        }
        Err(e) => return Finished::failed(&e),
    };
    let req = DeleteRequest {
        phone_code: key.phone.code,
        phone_number: found.phone_number.to_string(),
        campaign_id: key.scope,
        lead_status: None,
    };
    match client.delete(&req).await {
        Ok(Reply {
            value: true,
            attempts,
        }) => Finished::ok(Outcome::Done, found.id, attempts),
        // An answer without `success: true`: done once search agrees the entry is gone.
        Ok(r) => match find(client, key).await {
            Ok(None) => Finished::ok(Outcome::Done, found.id, r.attempts + 1),
            Ok(Some(_)) => Finished::doubt(
                None,
                "dnc/delete answered without `success`, and a search still finds the entry".into(),
                r.attempts + 1,
            ),
            Err(e) => Finished::failed(&e),
        },
        // "Not found" codes differ between the vendor's tables: believe it only once search agrees.
        Err(e) if e.kind() == Some(ErrorKind::NotFound) => match find(client, key).await {
            Ok(None) => Finished::ok(Outcome::Converged, found.id, e.attempts()),
            Ok(Some(_)) => disputed(&e, "a search still finds the entry"),
            Err(e) => Finished::failed(&e),
        },
        Err(e) => Finished::failed(&e),
    }
}

/// A refusal whose code search contradicts: failed, quoting the server's code and text
/// beside dnc's reading and the contract's.
fn disputed(e: &ApiError, search: &str) -> Finished {
    let ApiError::Rejected {
        endpoint,
        code,
        kind,
        text,
        attempts,
    } = e
    else {
        return Finished::failed(e);
    };
    let contract = contract_text(*endpoint, *code)
        .map(|t| format!("; the contract reads {code} as \"{t}\""))
        .unwrap_or_default();
    Finished::doubt(
        Some(*code),
        format!("{endpoint} answered {code} \"{text}\" (read as {kind}{contract}; {search})"),
        attempts + 1,
    )
}

/// The remote entry with exactly this key, if any.
async fn find(client: &Client, key: &Key) -> Result<Option<crate::api::RemoteRecord>, ApiError> {
    let q = SearchQuery {
        phone_number: Some(key.phone.national.to_string()),
        phone_code: Some(key.phone.code),
        campaign_id: Some(key.scope),
        limit: 1000,
        ..SearchQuery::default()
    };
    let page = client.search(&q).await?;
    Ok(page
        .entries
        .into_iter()
        .find(|r| crate::state::key_of(r).0 == *key))
}

fn record_for(
    plan: &Plan,
    op: usize,
    change: &Change,
    event: Event,
    fin: Option<&Finished>,
    who: &Provenance,
) -> Record {
    let key = change.key();
    let (reason, purpose, removal_reason, source) = match change {
        Change::Create {
            reason,
            purpose,
            source,
            ..
        }
        | Change::Reassert {
            reason,
            purpose,
            source,
            ..
        } => (Some(reason.clone()), purpose.clone(), None, Some(source)),
        Change::Update {
            reason,
            purpose,
            source,
            ..
        } => (reason.new.clone(), purpose.new.clone(), None, Some(source)),
        Change::Remove {
            removal_reason,
            source,
            ..
        } => (None, None, Some(removal_reason.clone()), Some(source)),
        Change::Prune { .. } => (None, None, Some("prune: in no manifest".into()), None),
    };
    let deadline = match change {
        Change::Create { deadline, .. } => deadline.as_ref(),
        _ => None,
    };
    let request = match change {
        Change::Create { request, .. }
        | Change::Update { request, .. }
        | Change::Reassert { request, .. }
        | Change::Remove { request, .. } => Some(request),
        Change::Prune { .. } => None,
    };
    let approval = match change {
        Change::Remove {
            approval: Some(a), ..
        } => Some(ledger::RecordedApproval {
            by: a.by.clone(),
            ticket: a.ticket.clone(),
            pull_request: who
                .reviewed
                .as_ref()
                .filter(|r| r.approved_by(&a.by))
                .map(|r| r.pull_request),
        }),
        _ => None,
    };
    Record {
        time: ledger::now(),
        // Stamped by the ledger as it writes the line.
        run: None,
        event,
        plan_hash: plan.hash.clone(),
        op: op as u64,
        change: change.kind(),
        campaign_id: key.scope.0,
        phone_code: key.phone.code,
        phone_number: key.phone.national.to_string(),
        reason,
        purpose,
        removal_reason,
        source: source.map(ToString::to_string),
        commit: who.commit.clone(),
        actor: who.actor.clone(),
        outcome: fin.map(|f| f.outcome),
        id: fin.and_then(|f| f.id),
        error_code: fin.and_then(|f| f.error.as_ref().and_then(|(c, _)| *c)),
        error: fin.and_then(|f| f.error.as_ref().map(|(_, t)| t.clone())),
        attempts: fin.map(|f| f.attempts),
        requested_at: deadline.map(|d| d.requested_at),
        due: deadline.map(|d| d.due),
        ticket: request.and_then(|r| r.ticket.clone()),
        request_source: request.and_then(|r| r.request_source.clone()),
        approval,
        restore: match change {
            Change::Create { .. } => who.restores.get(key).cloned(),
            _ => None,
        },
        prev: None,
    }
}

/// `dnc apply --format json`: the outcome of every operation (this run's ledger finish lines,
/// in plan order) and the summary.
#[derive(Serialize)]
pub struct Report<'a> {
    format_version: u32,
    plan_hash: &'a str,
    ledger: &'a Path,
    done: u64,
    converged: u64,
    failed: u64,
    operations: Vec<Record>,
}

impl<'a> Report<'a> {
    pub fn new(
        plan: &'a Plan,
        summary: &Summary,
        ledger: &'a Path,
        operations: Vec<Record>,
    ) -> Report<'a> {
        Report {
            format_version: 1,
            plan_hash: &plan.hash,
            ledger,
            done: summary.done,
            converged: summary.converged,
            failed: summary.failed,
            operations,
        }
    }
}

/// Appends this run's ledger lines (`lines`) to the ledger branch and pushes it, in a commit
/// naming the applied commit, the plan and how many operations began; `pin` is the chain root
/// dnc.yaml pins.
pub fn record_on_branch(
    branch: &LedgerBranch,
    lines: &[ledger::Line],
    plan: &Plan,
    who: &Provenance,
    pin: Option<&str>,
) -> std::result::Result<Pushed, LedgerGitError> {
    let subject = format!(
        "dnc apply {}: plan {}, {} operations",
        who.commit
            .as_deref()
            .map_or("(no commit)", ledger::short_hash),
        render::short_hash(plan),
        lines
            .iter()
            .filter(|l| matches!(l, ledger::Line::Operation(r) if r.event == Event::Start))
            .count()
    );
    branch.push(lines, &subject, pin)
}
