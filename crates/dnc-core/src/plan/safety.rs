//! Safety: the removal limits a plan is measured against, and the removals still inside the
//! retention period.

use super::Honor;
use super::{Change, ChangeKind, EarlyRemoval, Safety, ScopeLimits, ScopePlan};
use crate::entry::CampaignId;
use crate::manifest::{Config, ScopeSafety};
use crate::state::RemoteState;
use std::collections::HashMap;

/// The limits that hold in scope `id`: its own where it sets them, else the config's.
fn scope_limits(config: &Config, id: CampaignId) -> ScopeLimits {
    let own = config.scopes.iter().find(|s| s.id == id).map(|s| &s.safety);
    ScopeLimits {
        campaign_id: id,
        max_removals: own.and_then(|l| l.max_removals),
        max_removal_percent: own
            .and_then(|l| l.max_removal_percent)
            .unwrap_or(config.safety.max_removal_percent),
    }
}

/// The removals and prunes of entries still inside the retention period.
pub(super) fn early_removals(
    scopes: &[ScopePlan],
    remote: &RemoteState,
    honor: &Honor,
) -> Vec<EarlyRemoval> {
    let mut out = Vec::new();
    for s in scopes {
        let Some(state) = remote.scope(s.campaign_id) else {
            continue;
        };
        let removed: HashMap<u64, ChangeKind> = s
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Remove { id, .. } | Change::Prune { id, .. } => Some((*id, c.kind())),
                _ => None,
            })
            .collect();
        for e in &state.entries {
            let Some(&change) = removed.get(&e.id) else {
                continue;
            };
            let listed_since = e.insert_day;
            let retained_until = listed_since.and_then(|r| honor.deadlines.retained_until(r));
            if retained_until.is_some_and(|end| honor.today >= end) {
                continue;
            }
            out.push(EarlyRemoval {
                id: e.id,
                key: e.key.clone(),
                change,
                listed_since,
                retained_until,
            });
        }
    }
    out
}

/// The plan's removals against the config's and each scope's limits.
pub(super) fn measure(config: &Config, scopes: &[ScopePlan]) -> Safety {
    let limits = &config.safety;
    let mut breaches = Vec::new();
    let mut removals = 0u64;
    for s in scopes {
        let n = s.changes.iter().filter(|c| c.is_removal()).count() as u64;
        removals += n;
        if n == 0 {
            continue;
        }
        let own = scope_limits(config, s.campaign_id);
        if let Some(max) = own.max_removals
            && n > max
        {
            breaches.push(format!(
                "{n} removals in {} (limit {max} for this scope)",
                s.campaign_id
            ));
        }
        let percent = 100.0 * n as f64 / s.remote_total.max(1) as f64;
        if percent > own.max_removal_percent {
            breaches.push(format!(
                "{n} removals in {} are {percent:.1}% of its {} entries (limit {}%)",
                s.campaign_id, s.remote_total, own.max_removal_percent
            ));
        }
    }
    if removals > limits.max_removals {
        breaches.insert(
            0,
            format!(
                "{removals} removals in this plan (limit {})",
                limits.max_removals
            ),
        );
    }
    Safety {
        max_removals: limits.max_removals,
        max_removal_percent: limits.max_removal_percent,
        removals,
        breaches,
        scopes: config
            .scopes
            .iter()
            .filter(|s| s.safety != ScopeSafety::default())
            .map(|s| scope_limits(config, s.id))
            .collect(),
        early_removals: Vec::new(),
    }
}
