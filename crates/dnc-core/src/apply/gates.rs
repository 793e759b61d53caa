//! The gates a plan passes before apply sends anything: the removal limits, removals inside
//! the retention period, and approvals the pull request's reviews must confirm. Plain policy
//! over the plan, the config's approval policy, the counts the operator allowed and the
//! reviews; the command prints what they refuse.

use crate::manifest::model::ApprovalPolicy;
use crate::plan::approval::{self, Judged, Reviewed};
use crate::plan::{Plan, Safety};
use crate::trail::Gate;

/// The exact counts the operator allowed (`--allow-removals`, `--allow-early-removals`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allowed {
    pub removals: Option<u64>,
    pub early_removals: Option<u64>,
}

/// Why a plan may not be applied: each names what the operator can do.
#[derive(Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum GateError {
    #[error(
        "--allow-removals {allowed} does not match this plan's {removals} removals; nothing was applied"
    )]
    #[diagnostic(
        code(dnc::apply::removals),
        help("pass the plan's exact number of removals: --allow-removals {removals}")
    )]
    RemovalsMismatch { allowed: u64, removals: u64 },
    #[error("the plan breaches the safety limits; nothing was applied:\n  - {}", breaches.join("\n  - "))]
    #[diagnostic(
        code(dnc::apply::removals),
        help("if these removals are intended, run again with --allow-removals {removals}")
    )]
    OverLimits {
        breaches: Vec<String>,
        removals: u64,
    },
    #[error(
        "--allow-early-removals {allowed} does not match this plan's {early} removals inside the retention period; nothing was applied"
    )]
    #[diagnostic(
        code(dnc::apply::early_removals),
        help("pass the plan's exact number of early removals: --allow-early-removals {early}")
    )]
    EarlyRemovalsMismatch { allowed: u64, early: u64 },
    #[error(
        "the plan removes {early} entries whose request is younger than the retention period (listed above); nothing was applied"
    )]
    #[diagnostic(
        code(dnc::apply::early_removals),
        help(
            "record why each may be dialed again (the tombstone's removal_reason), then run again with --allow-early-removals {early}"
        )
    )]
    EarlyRemovals { early: u64 },
    #[error(
        "these removals' approvers did not approve pull request #{pull_request} (approved by {approvers}); nothing was applied:\n  - {removals}"
    )]
    #[diagnostic(
        code(dnc::apply::not_approved),
        help(
            "the approval's `by` must be the login of someone who approved the pull request: fix the tombstone in a new pull request, or apply locally with --allow-removals / --allow-early-removals"
        )
    )]
    NotApproved {
        pull_request: u64,
        removals: String,
        approvers: String,
    },
}

impl GateError {
    /// The gate that refused, as the ledger's `refused` line names it.
    pub fn gate(&self) -> Gate {
        match self {
            GateError::RemovalsMismatch { .. } | GateError::OverLimits { .. } => Gate::Removals,
            GateError::EarlyRemovalsMismatch { .. } | GateError::EarlyRemovals { .. } => {
                Gate::EarlyRemovals
            }
            GateError::NotApproved { .. } => Gate::Approvals,
        }
    }
}

/// Passes `plan` through every gate, approvals first; on success, how its removals stand
/// with their approvals (the command says when every one is confirmed).
pub fn check(
    plan: &Plan,
    policy: ApprovalPolicy,
    allowed: Allowed,
    reviewed: Option<&Reviewed>,
) -> Result<Judged, GateError> {
    let judged = approval::judge(plan, policy, reviewed);
    approvals(&plan.safety, policy, allowed, reviewed, &judged)?;
    limits(&plan.safety, allowed.removals, judged.all_removals)?;
    retention(&plan.safety, allowed.early_removals, judged.early_removals)?;
    Ok(judged)
}

/// An approval that counts must come from a reviewer who approved the pull request: one that
/// does not is refused where it is needed (over the limits, inside the retention period, or
/// always under `approvals: required`).
fn approvals(
    safety: &Safety,
    policy: ApprovalPolicy,
    allowed: Allowed,
    reviewed: Option<&Reviewed>,
    judged: &Judged,
) -> Result<(), GateError> {
    let Some(reviewed) = reviewed else {
        return Ok(());
    };
    if judged.unconfirmed.is_empty() {
        return Ok(());
    }
    let needed = policy == ApprovalPolicy::Required
        || (!safety.breaches.is_empty() && allowed.removals != Some(safety.removals))
        || (!safety.early_removals.is_empty()
            && allowed.early_removals != Some(safety.early_removals.len() as u64));
    if !needed {
        return Ok(());
    }
    Err(GateError::NotApproved {
        pull_request: reviewed.pull_request,
        removals: judged.unconfirmed.join("\n  - "),
        approvers: if reviewed.approvers.is_empty() {
            "nobody".to_string()
        } else {
            reviewed.approvers.join(", ")
        },
    })
}

/// Over the limits, only the exact count the operator names, or approvals the pull
/// request's reviews confirm for every removal, are accepted.
fn limits(safety: &Safety, allowed: Option<u64>, approved: bool) -> Result<(), GateError> {
    if safety.breaches.is_empty() || approved {
        return Ok(());
    }
    match allowed {
        Some(n) if n == safety.removals => Ok(()),
        Some(n) => Err(GateError::RemovalsMismatch {
            allowed: n,
            removals: safety.removals,
        }),
        None => Err(GateError::OverLimits {
            breaches: safety.breaches.clone(),
            removals: safety.removals,
        }),
    }
}

/// Removing an entry still inside the retention period needs its exact count, like the
/// removal limits, or confirmed approvals.
fn retention(safety: &Safety, allowed: Option<u64>, approved: bool) -> Result<(), GateError> {
    let early = safety.early_removals.len() as u64;
    match allowed {
        _ if early == 0 || approved => Ok(()),
        Some(n) if n == early => Ok(()),
        Some(n) => Err(GateError::EarlyRemovalsMismatch { allowed: n, early }),
        None => Err(GateError::EarlyRemovals { early }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::ChangeKind;
    use crate::entry::{CampaignId, Key};
    use crate::manifest::{Approval, Request, Source};
    use crate::phone::Phone;
    use crate::plan::{Change, EarlyRemoval, Effect, ScopePlan};
    use ApprovalPolicy::{Accepted, Ignored, Required};

    fn key(national: &str) -> Key {
        Key {
            scope: CampaignId::GLOBAL,
            phone: Phone {
                code: 1,
                national: national.into(),
            },
        }
    }

    /// A plan removing `approvers.len()` numbers, each approved by the login given (or not
    /// at all), the first `early` of them inside the retention period, with `breaches`.
    fn plan(approvers: &[Option<&str>], early: usize, breaches: &[&str]) -> Plan {
        let changes: Vec<Change> = approvers
            .iter()
            .enumerate()
            .map(|(i, by)| Change::Remove {
                id: i as u64,
                key: key(&format!("20255501{i:02}")),
                removal_reason: "consent given".into(),
                source: Source {
                    file: "removals.yaml".into(),
                    line: i as u32 + 1,
                    column: 3,
                },
                effect: Effect::StillBlockedGlobally,
                approval: by.map(|by| Approval {
                    by: by.into(),
                    ticket: None,
                }),
                request: Request::default(),
            })
            .collect();
        let early_removals = changes
            .iter()
            .take(early)
            .enumerate()
            .map(|(i, c)| EarlyRemoval {
                id: i as u64,
                key: c.key().clone(),
                change: ChangeKind::Remove,
                listed_since: None,
                retained_until: None,
            })
            .collect();
        Plan {
            format_version: crate::plan::FORMAT_VERSION,
            tool_version: "test".into(),
            hash: "h".into(),
            manifests_hash: "m".into(),
            remote_hash: "r".into(),
            scopes: vec![ScopePlan {
                campaign_id: CampaignId::GLOBAL,
                name: None,
                prune: false,
                remote_total: 100,
                incomplete: None,
                changes,
                unchanged: 0,
                already_absent: 0,
                unmanaged: Vec::new(),
                duplicates: Vec::new(),
                known: Default::default(),
            }],
            safety: Safety {
                max_removals: 1,
                max_removal_percent: 100.0,
                removals: approvers.len() as u64,
                breaches: breaches.iter().map(|b| b.to_string()).collect(),
                scopes: Vec::new(),
                early_removals,
            },
        }
    }

    fn allowed(removals: Option<u64>, early_removals: Option<u64>) -> Allowed {
        Allowed {
            removals,
            early_removals,
        }
    }

    fn reviewed(approvers: &[&str]) -> Reviewed {
        Reviewed {
            pull_request: 7,
            approvers: approvers.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn each_refusal_names_its_gate_for_the_ledger() {
        let over = plan(&[None, None], 1, &["over"]);
        let refused = |allowed| check(&over, Ignored, allowed, None).unwrap_err().gate();
        assert_eq!(refused(Allowed::default()), Gate::Removals);
        assert_eq!(refused(allowed(Some(2), None)), Gate::EarlyRemovals);
        let unapproved = plan(&[Some("mallory")], 0, &[]);
        let error = check(
            &unapproved,
            Required,
            Allowed::default(),
            Some(&reviewed(&[])),
        );
        assert_eq!(error.unwrap_err().gate(), Gate::Approvals);
    }

    #[test]
    fn within_the_limits_nothing_needs_allowing() {
        let p = plan(&[None], 0, &[]);
        assert_eq!(
            check(&p, Ignored, Allowed::default(), None),
            Ok(Judged::default())
        );
    }

    #[test]
    fn over_the_limits_only_the_exact_count_passes() {
        let p = plan(&[None, None], 0, &["2 removals, over the limit of 1"]);
        assert_eq!(
            check(&p, Ignored, Allowed::default(), None),
            Err(GateError::OverLimits {
                breaches: vec!["2 removals, over the limit of 1".into()],
                removals: 2
            })
        );
        assert_eq!(
            check(&p, Ignored, allowed(Some(1), None), None),
            Err(GateError::RemovalsMismatch {
                allowed: 1,
                removals: 2
            })
        );
        assert!(check(&p, Ignored, allowed(Some(2), None), None).is_ok());
    }

    #[test]
    fn early_removals_need_their_exact_count() {
        let p = plan(&[None, None], 1, &[]);
        assert_eq!(
            check(&p, Ignored, Allowed::default(), None),
            Err(GateError::EarlyRemovals { early: 1 })
        );
        assert_eq!(
            check(&p, Ignored, allowed(None, Some(2)), None),
            Err(GateError::EarlyRemovalsMismatch {
                allowed: 2,
                early: 1
            })
        );
        assert!(check(&p, Ignored, allowed(None, Some(1)), None).is_ok());
    }

    #[test]
    fn approvals_confirmed_in_review_stand_in_for_the_flags() {
        let p = plan(&[Some("alice"), Some("bob")], 1, &["over"]);
        // Logins compare case-insensitively, as GitHub's do.
        let judged = check(
            &p,
            Accepted,
            Allowed::default(),
            Some(&reviewed(&["Alice", "BOB"])),
        );
        assert_eq!(
            judged,
            Ok(Judged {
                all_removals: true,
                early_removals: true,
                unconfirmed: Vec::new()
            })
        );
        // Under `ignored` the same reviews count for nothing.
        assert!(matches!(
            check(
                &p,
                Ignored,
                Allowed::default(),
                Some(&reviewed(&["alice", "bob"]))
            ),
            Err(GateError::OverLimits { .. })
        ));
        // Without a pull request nothing is confirmed.
        assert!(matches!(
            check(&p, Accepted, Allowed::default(), None),
            Err(GateError::OverLimits { .. })
        ));
    }

    #[test]
    fn an_approver_who_did_not_approve_is_refused_where_the_approval_is_needed() {
        let p = plan(&[Some("alice"), Some("mallory")], 0, &["over"]);
        let only_alice = reviewed(&["alice"]);
        assert_eq!(
            check(&p, Accepted, Allowed::default(), Some(&only_alice)),
            Err(GateError::NotApproved {
                pull_request: 7,
                removals: "+1 202-555-0101 in global (approval by mallory)".into(),
                approvers: "alice".into()
            })
        );
        // The exact count lifts the limits, so the approval is not needed.
        assert!(check(&p, Accepted, allowed(Some(2), None), Some(&only_alice)).is_ok());
        // Under `required` it always is, and with no approver at all it names nobody.
        let within = plan(&[Some("mallory")], 0, &[]);
        assert_eq!(
            check(&within, Required, Allowed::default(), Some(&reviewed(&[]))),
            Err(GateError::NotApproved {
                pull_request: 7,
                removals: "+1 202-555-0100 in global (approval by mallory)".into(),
                approvers: "nobody".into()
            })
        );
    }
}
