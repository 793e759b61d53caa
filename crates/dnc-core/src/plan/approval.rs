//! Removals approved in review: which of a plan's removals the pull request's reviews
//! confirm, and so whether the safety limits and the retention check are met without the
//! apply flags.

use super::{Change, Plan};
use crate::manifest::model::ApprovalPolicy;
use std::collections::HashMap;

/// A pull request and the logins whose latest review approves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviewed {
    pub pull_request: u64,
    pub approvers: Vec<String>,
}

impl Reviewed {
    pub fn approved_by(&self, login: &str) -> bool {
        // GitHub logins are case-insensitive.
        self.approvers.iter().any(|a| a.eq_ignore_ascii_case(login))
    }
}

/// How a plan's removals stand with their approvals.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Judged {
    /// Every removal carries an approval the reviews confirm (a prune never can).
    pub all_removals: bool,
    /// Every removal inside the retention period does.
    pub early_removals: bool,
    /// Removals whose approver did not approve the pull request: `number in scope (by login)`.
    pub unconfirmed: Vec<String>,
}

/// Judges `plan`'s approvals under `policy` against the pull request's reviews (`None`
/// outside GitHub Actions, or without a pull request: nothing is confirmed then).
pub fn judge(plan: &Plan, policy: ApprovalPolicy, reviewed: Option<&Reviewed>) -> Judged {
    let (Some(reviewed), false) = (reviewed, policy == ApprovalPolicy::Ignored) else {
        return Judged::default();
    };
    let mut confirmed: HashMap<u64, bool> = HashMap::new();
    let mut judged = Judged::default();
    let mut removals = 0;
    for change in plan.changes().filter(|c| c.is_removal()) {
        removals += 1;
        let Change::Remove {
            id,
            key,
            approval: Some(a),
            ..
        } = change
        else {
            continue;
        };
        let ok = reviewed.approved_by(&a.by);
        confirmed.insert(*id, ok);
        if !ok {
            judged.unconfirmed.push(format!(
                "{} in {} (approval by {})",
                key.phone.display(),
                key.scope,
                a.by
            ));
        }
    }
    let yes = confirmed.values().filter(|ok| **ok).count();
    judged.all_removals = removals > 0 && yes == removals;
    judged.early_removals = plan
        .safety
        .early_removals
        .iter()
        .all(|e| confirmed.get(&e.id) == Some(&true));
    judged
}
