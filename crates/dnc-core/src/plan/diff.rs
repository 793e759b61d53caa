//! The diff between the desired set and the remote state, scope by scope.

use super::{
    Change, Duplicate, Edit, Effect, FORMAT_VERSION, Honor, KnownCounts, Plan, RemoteSnapshot,
    ScopePlan,
};
use super::{hash, safety};
use crate::entry::{CampaignId, Key};
use crate::manifest::{Config, Desired, DesiredEntry, ScopeConfig, Tombstone};
use crate::phone::Phone;
use crate::state::{RemoteEntry, RemoteState, ScopeState};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

/// foldhash, not SipHash: a plan looks up millions of keys, and a key is no secret.
type FastSet<K> = hashbrown::HashSet<K, foldhash::fast::RandomState>;
type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

/// Computes the plan on the day `today`. Removal effects start as unknown; fill them with
/// [`Plan::set_effects`].
pub fn diff(config: &Config, desired: &Desired, remote: &RemoteState, today: NaiveDate) -> Plan {
    let honor = Honor {
        deadlines: &config.deadlines,
        today,
    };
    // The hashes read both sides once more: on the other core, while the scopes are diffed.
    let (scopes, (manifests_hash, remote_hash)) = rayon::join(
        || diff_scopes(config, desired, remote, &honor),
        || rayon::join(|| hash::desired(desired), || hash::remote(remote)),
    );
    let mut safety = safety::measure(config, &scopes);
    safety.early_removals = safety::early_removals(&scopes, remote, &honor);
    let mut plan = Plan {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        hash: String::new(),
        manifests_hash,
        remote_hash,
        scopes,
        safety,
    };
    plan.hash = hash::plan_hash(&plan);
    plan
}

fn diff_scopes(
    config: &Config,
    desired: &Desired,
    remote: &RemoteState,
    honor: &Honor,
) -> Vec<ScopePlan> {
    // One pass sorts the desired set by scope (in config order), into lists counted first:
    // grown by doubling, they would hold up to twice the references.
    let slot = |key: &Key| config.scopes.iter().position(|s| s.id == key.scope);
    let mut counts = vec![0; config.scopes.len()];
    desired
        .entries
        .iter()
        .filter_map(|e| slot(&e.key))
        .for_each(|i| counts[i] += 1);
    let mut by_scope: Vec<Wanted> = counts
        .into_iter()
        .map(|n| Wanted {
            entries: Vec::with_capacity(n),
            tombstones: Vec::new(),
        })
        .collect();
    for e in &desired.entries {
        if let Some(i) = slot(&e.key) {
            by_scope[i].entries.push(e);
        }
    }
    for t in &desired.tombstones {
        if let Some(i) = slot(&t.key) {
            by_scope[i].tombstones.push(t);
        }
    }
    let empty = ScopeState::default();
    config
        .scopes
        .iter()
        .zip(&by_scope)
        .map(|(sc, wanted)| {
            let state = remote.scope(sc.id).unwrap_or(&empty);
            diff_scope(sc, state, wanted, desired, honor)
        })
        .collect()
}

/// What the manifests say about one scope.
#[derive(Default)]
struct Wanted<'d> {
    entries: Vec<&'d DesiredEntry>,
    tombstones: Vec<&'d Tombstone>,
}

/// The remote entries of one scope by key: the first entry of each key by index, and the
/// rare keys held more than once with all their entries, in read order.
struct ByKey<'s> {
    entries: &'s [RemoteEntry],
    first: FastMap<&'s Key, usize>,
    repeated: FastMap<&'s Key, Vec<usize>>,
}

impl<'s> ByKey<'s> {
    fn new(entries: &'s [RemoteEntry]) -> Self {
        let mut first: FastMap<&Key, usize> =
            FastMap::with_capacity_and_hasher(entries.len(), Default::default());
        let mut repeated: FastMap<&Key, Vec<usize>> = FastMap::default();
        for (i, e) in entries.iter().enumerate() {
            // One hash and probe per entry: a million of them.
            match first.entry(&e.key) {
                hashbrown::hash_map::Entry::Occupied(at) => {
                    let at = *at.get();
                    repeated.entry(&e.key).or_insert_with(|| vec![at]).push(i);
                }
                hashbrown::hash_map::Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
        ByKey {
            entries,
            first,
            repeated,
        }
    }

    /// The first entry of `key`, each of its entries marked in `named`.
    fn mark(&self, key: &Key, named: &mut [bool]) -> Option<&'s RemoteEntry> {
        let &at = self.first.get(key)?;
        named[at] = true;
        if !self.repeated.is_empty()
            && let Some(all) = self.repeated.get(key)
        {
            all.iter().for_each(|&i| named[i] = true);
        }
        Some(&self.entries[at])
    }

    /// Every entry of `key`, in read order; `None` when the scope does not hold it.
    fn all(&self, key: &Key) -> Option<Vec<&'s RemoteEntry>> {
        let &at = self.first.get(key)?;
        Some(match self.repeated.get(key) {
            Some(all) => all.iter().map(|&i| &self.entries[i]).collect(),
            None => vec![&self.entries[at]],
        })
    }

    fn duplicates(&self) -> Vec<Duplicate> {
        let mut duplicates: Vec<Duplicate> = self
            .repeated
            .iter()
            .map(|(k, all)| Duplicate {
                key: (*k).clone(),
                ids: all.iter().map(|&i| self.entries[i].id).collect(),
            })
            .collect();
        duplicates.sort_by(|a, b| a.key.cmp(&b.key));
        duplicates
    }
}

fn diff_scope(
    sc: &ScopeConfig,
    state: &ScopeState,
    wanted: &Wanted,
    desired: &Desired,
    honor: &Honor,
) -> ScopePlan {
    let by_key = ByKey::new(&state.entries);
    // Remote entries some manifest names, by index.
    let mut named = vec![false; state.entries.len()];
    let complete = state.incomplete.is_none();
    let mut plan = ScopePlan {
        campaign_id: sc.id,
        name: sc.name.clone(),
        prune: sc.prune,
        remote_total: state.entries.len() as u64,
        incomplete: state.incomplete.clone(),
        changes: Vec::new(),
        unchanged: 0,
        already_absent: 0,
        unmanaged: Vec::new(),
        duplicates: Vec::new(),
        known: KnownCounts::default(),
    };
    // Nothing read: every desired entry would show as a create, which says nothing.
    if !complete && state.entries.is_empty() {
        return plan;
    }
    for &entry in &wanted.entries {
        match by_key.mark(&entry.key, &mut named) {
            None => plan.changes.push(Change::Create {
                key: entry.key.clone(),
                reason: entry.reason.to_string(),
                purpose: entry.purpose.as_deref().map(str::to_string),
                source: entry.source.clone(),
                deadline: entry.requested_at.map(|r| honor.deadline(r)),
                request: entry.request(),
            }),
            Some(remote) => {
                plan.known.add(remote.known);
                match update_for(entry, remote) {
                    Some(change) => plan.changes.push(change),
                    None => plan.unchanged += 1,
                }
            }
        }
    }
    for &tomb in &wanted.tombstones {
        by_key.mark(&tomb.key, &mut named);
        match by_key.all(&tomb.key) {
            // A partial read plans no removals: the entry's absence proves nothing either way.
            Some(remotes) if complete => {
                plan.changes.extend(remotes.iter().map(|r| Change::Remove {
                    id: r.id,
                    key: tomb.key.clone(),
                    removal_reason: tomb.removal_reason.to_string(),
                    source: tomb.source.clone(),
                    effect: not_looked_up(),
                    approval: tomb.approval.clone(),
                    request: tomb.request.clone(),
                }))
            }
            Some(_) => {}
            None => plan.already_absent += 1,
        }
    }
    // An entry the API lists under another campaign is managed if any manifest names its key.
    let elsewhere: Option<FastSet<&Key>> =
        state.entries.iter().any(|e| e.key.scope != sc.id).then(|| {
            let entries = desired.entries.iter().map(|e| &e.key);
            entries
                .chain(desired.tombstones.iter().map(|t| &t.key))
                .collect()
        });
    for (e, &named) in state.entries.iter().zip(&named) {
        let managed = match &elsewhere {
            Some(keys) if e.key.scope != sc.id => keys.contains(&e.key),
            _ => named,
        };
        if managed {
            continue;
        }
        if sc.prune && complete && !e.malformed {
            plan.changes.push(Change::Prune {
                id: e.id,
                key: e.key.clone(),
                reason: owned(&e.reason),
                effect: not_looked_up(),
            });
        } else {
            plan.unmanaged.push(snapshot(e));
        }
    }
    plan.duplicates = by_key.duplicates();
    plan.unmanaged
        .sort_by(|a, b| a.key.cmp(&b.key).then(a.id.cmp(&b.id)));
    plan.changes
        .sort_by(|a, b| a.kind().cmp(&b.kind()).then_with(|| a.key().cmp(b.key())));
    plan
}

/// An update when the reason or purpose differs; compared before anything is copied, since
/// nearly every entry matches. A value neither the API nor the ledger shows is re-asserted:
/// never assumed equal, and once applied the ledger knows it.
fn update_for(entry: &DesiredEntry, remote: &RemoteEntry) -> Option<Change> {
    if !remote.known.is_known() {
        return Some(Change::Reassert {
            id: remote.id,
            key: entry.key.clone(),
            reason: entry.reason.to_string(),
            purpose: owned(&entry.purpose),
            source: entry.source.clone(),
            known: remote.known,
            request: entry.request(),
        });
    }
    let same = remote.reason.as_deref() == Some(&*entry.reason)
        && remote.purpose.as_deref() == entry.purpose.as_deref();
    (!same).then(|| Change::Update {
        id: remote.id,
        key: entry.key.clone(),
        reason: Edit {
            old: owned(&remote.reason),
            new: Some(entry.reason.to_string()),
        },
        purpose: Edit {
            old: owned(&remote.purpose),
            new: owned(&entry.purpose),
        },
        source: entry.source.clone(),
        known: remote.known,
        request: entry.request(),
    })
}

fn owned<T: std::ops::Deref<Target = str>>(text: &Option<T>) -> Option<String> {
    text.as_deref().map(str::to_string)
}

fn snapshot(e: &RemoteEntry) -> RemoteSnapshot {
    RemoteSnapshot {
        id: e.id,
        key: e.key.clone(),
        reason: owned(&e.reason),
        purpose: owned(&e.purpose),
        malformed: e.malformed,
    }
}

fn not_looked_up() -> Effect {
    Effect::Unknown {
        why: "other entries for this number were not looked up".into(),
    }
}

impl Plan {
    /// Fills in what each removal does to dialability, given every scope that currently holds
    /// each removed number (managed or not). Numbers missing from `holders` stay unknown.
    pub fn set_effects(&mut self, holders: &HashMap<Phone, Vec<CampaignId>>) {
        let removed: HashSet<Key> = self
            .changes()
            .filter(|c| c.is_removal())
            .map(|c| c.key().clone())
            .collect();
        for change in self.scopes.iter_mut().flat_map(|s| s.changes.iter_mut()) {
            let (Change::Remove { key, effect, .. } | Change::Prune { key, effect, .. }) = change
            else {
                continue;
            };
            if let Some(scopes) = holders.get(&key.phone) {
                let mut remaining: Vec<CampaignId> = scopes
                    .iter()
                    .copied()
                    .filter(|s| {
                        !removed.contains(&Key {
                            scope: *s,
                            phone: key.phone.clone(),
                        })
                    })
                    .collect();
                remaining.sort();
                remaining.dedup();
                *effect = effect_of(key.scope, remaining);
            }
        }
        self.hash = hash::plan_hash(self);
    }

    /// Phones whose removal effect must be looked up.
    pub fn removed_phones(&self) -> Vec<Phone> {
        let set: HashSet<&Phone> = self
            .changes()
            .filter(|c| c.is_removal())
            .map(|c| &c.key().phone)
            .collect();
        let mut phones: Vec<Phone> = set.into_iter().cloned().collect();
        phones.sort();
        phones
    }
}

fn effect_of(scope: CampaignId, remaining: Vec<CampaignId>) -> Effect {
    if remaining.contains(&CampaignId::GLOBAL) {
        Effect::StillBlockedGlobally
    } else if scope.is_global() {
        Effect::DialableExcept {
            campaigns: remaining,
        }
    } else {
        Effect::DialableIn { campaign_id: scope }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Deadlines, Safety as Limits, ScopeSafety, Source};
    use crate::plan::ScopeLimits;

    fn today() -> NaiveDate {
        chrono::Utc::now().date_naive()
    }

    fn key(scope: i64, national: &str) -> Key {
        Key {
            scope: CampaignId(scope),
            phone: Phone {
                code: 1,
                national: national.into(),
            },
        }
    }

    fn src(line: u32) -> Source {
        Source {
            file: "lists/a.yaml".into(),
            line,
            column: 5,
        }
    }

    fn want(scope: i64, n: &str, reason: &str) -> DesiredEntry {
        DesiredEntry {
            key: key(scope, n),
            reason: reason.into(),
            purpose: None,
            source: src(1),
            requested_at: None,
            request: Default::default(),
        }
    }

    fn remote(id: u64, scope: i64, n: &str, reason: &str) -> RemoteEntry {
        RemoteEntry {
            id,
            key: key(scope, n),
            reason: Some(reason.into()),
            purpose: None,
            insert_day: NaiveDate::from_ymd_opt(2026, 1, 1),
            malformed: false,
            known: crate::known::Known::default(),
        }
    }

    fn config(prune: bool) -> Config {
        Config {
            root: ".".into(),
            manifests: vec!["lists/*.yaml".into()],
            scopes: vec![
                ScopeConfig {
                    id: CampaignId(0),
                    name: None,
                    prune,
                    safety: ScopeSafety::default(),
                },
                ScopeConfig {
                    id: CampaignId(111),
                    name: Some("Sales".into()),
                    prune: false,
                    safety: ScopeSafety::default(),
                },
            ],
            safety: Limits {
                max_removals: 1,
                max_removal_percent: 50.0,
            },
            reasons: None,
            purposes: None,
            strict: false,
            phone_code: Some(1),
            deadlines: Deadlines::default(),
            require: Vec::new(),
            approvals: Default::default(),
            ledger_root: None,
            organization: None,
            account: None,
        }
    }

    fn state(global: Vec<RemoteEntry>, sales: Vec<RemoteEntry>) -> RemoteState {
        RemoteState {
            scopes: vec![
                (
                    CampaignId(0),
                    ScopeState {
                        entries: global,
                        incomplete: None,
                        requests: 0,
                    },
                ),
                (
                    CampaignId(111),
                    ScopeState {
                        entries: sales,
                        incomplete: None,
                        requests: 0,
                    },
                ),
            ],
        }
    }

    fn kinds(s: &ScopePlan) -> Vec<(super::super::ChangeKind, String)> {
        s.changes
            .iter()
            .map(|c| (c.kind(), c.key().phone.national.to_string()))
            .collect()
    }

    #[test]
    fn creates_updates_removes_and_reports_drift() {
        use super::super::ChangeKind::*;
        let desired = Desired {
            entries: vec![
                want(0, "2025550101", "Customer Request"),
                want(0, "2025550102", "New reason"),
                want(0, "2025550103", "Same"),
            ],
            tombstones: vec![
                Tombstone {
                    key: key(0, "2025550104"),
                    removal_reason: "consent".into(),
                    source: src(9),
                    requested_at: None,
                    approval: None,
                    request: Default::default(),
                },
                Tombstone {
                    key: key(0, "2025550105"),
                    removal_reason: "gone".into(),
                    source: src(10),
                    requested_at: None,
                    approval: None,
                    request: Default::default(),
                },
            ],
        };
        let remote = state(
            vec![
                remote(2, 0, "2025550102", "Old reason"),
                remote(3, 0, "2025550103", "Same"),
                remote(4, 0, "2025550104", "x"),
                remote(6, 0, "2025550106", "drift"),
            ],
            vec![remote(7, 111, "2025550107", "campaign drift")],
        );
        let plan = diff(&config(false), &desired, &remote, today());
        let global = &plan.scopes[0];
        assert_eq!(
            kinds(global),
            vec![
                (Create, "2025550101".into()),
                (Update, "2025550102".into()),
                (Remove, "2025550104".into())
            ]
        );
        assert_eq!(global.unchanged, 1);
        assert_eq!(global.already_absent, 1);
        assert_eq!(
            global.unmanaged.iter().map(|u| u.id).collect::<Vec<_>>(),
            vec![6]
        );
        assert_eq!(
            plan.scopes[1].unmanaged.len(),
            1,
            "campaign drift is reported, not removed"
        );
        assert!(plan.scopes[1].changes.is_empty());
        assert_eq!(plan.safety.removals, 1);
        assert!(
            plan.safety.breaches.is_empty(),
            "{:?}",
            plan.safety.breaches
        );
    }

    /// A remote entry the API lists under another campaign than the one searched is left
    /// alone when some manifest names its key, and reported as drift when none does.
    #[test]
    fn an_entry_listed_under_another_campaign_is_managed_if_named() {
        let desired = Desired {
            entries: vec![want(111, "2025550107", "DNC")],
            tombstones: vec![],
        };
        let remote = state(
            vec![
                remote(1, 111, "2025550107", "DNC"),
                remote(2, 111, "2025550108", "DNC"),
            ],
            vec![],
        );
        let plan = diff(&config(false), &desired, &remote, today());
        assert!(plan.scopes[0].changes.is_empty());
        assert_eq!(
            plan.scopes[0]
                .unmanaged
                .iter()
                .map(|u| u.id)
                .collect::<Vec<_>>(),
            [2]
        );
    }

    #[test]
    fn prune_only_where_enabled_and_limits_breach() {
        let remote = state(
            vec![
                remote(1, 0, "2025550101", "a"),
                remote(2, 0, "2025550102", "b"),
            ],
            vec![remote(3, 111, "2025550103", "c")],
        );
        let plan = diff(&config(true), &Desired::default(), &remote, today());
        assert_eq!(
            plan.scopes[0]
                .changes
                .iter()
                .filter(|c| c.is_removal())
                .count(),
            2
        );
        assert!(plan.scopes[1].changes.is_empty());
        assert_eq!(plan.safety.breaches.len(), 2, "{:?}", plan.safety.breaches);
        assert!(plan.safety.breaches[0].contains("2 removals in this plan (limit 1)"));
    }

    #[test]
    fn a_scope_sets_its_own_limits() {
        let remote = state(
            vec![
                remote(1, 0, "2025550101", "a"),
                remote(2, 0, "2025550102", "b"),
                remote(3, 0, "2025550103", "c"),
            ],
            vec![],
        );
        let mut config = config(true);
        config.safety.max_removals = 10;
        // Three of three is 100 %: over the config's 50 %, within the scope's own 100 %,
        // but over the scope's own count of 2.
        config.scopes[0].safety = ScopeSafety {
            max_removals: Some(2),
            max_removal_percent: Some(100.0),
        };
        let plan = diff(&config, &Desired::default(), &remote, today());
        assert_eq!(plan.safety.removals, 3);
        assert_eq!(
            plan.safety.breaches,
            ["3 removals in global (limit 2 for this scope)"]
        );
        assert_eq!(
            plan.safety.scopes,
            [ScopeLimits {
                campaign_id: CampaignId(0),
                max_removals: Some(2),
                max_removal_percent: 100.0,
            }]
        );
        config.scopes[0].safety.max_removals = None;
        let plan = diff(&config, &Desired::default(), &remote, today());
        assert!(
            plan.safety.breaches.is_empty(),
            "{:?}",
            plan.safety.breaches
        );
        config.scopes[0].safety = ScopeSafety::default();
        let plan = diff(&config, &Desired::default(), &remote, today());
        assert_eq!(plan.safety.breaches.len(), 1, "{:?}", plan.safety.breaches);
        assert!(plan.safety.scopes.is_empty());
    }

    #[test]
    fn incomplete_scope_plans_no_removals_or_prunes() {
        let mut remote = state(
            vec![
                remote(4, 0, "2025550104", "x"),
                remote(5, 0, "2025550105", "y"),
            ],
            vec![],
        );
        remote.scopes[0].1.incomplete = Some("offset cap".into());
        let desired = Desired {
            entries: vec![],
            tombstones: vec![Tombstone {
                key: key(0, "2025550104"),
                removal_reason: "r".into(),
                source: src(1),
                requested_at: None,
                approval: None,
                request: Default::default(),
            }],
        };
        let plan = diff(&config(true), &desired, &remote, today());
        assert!(plan.scopes[0].changes.is_empty());
        assert_eq!(plan.scopes[0].incomplete.as_deref(), Some("offset cap"));
        assert_eq!(plan.scopes[0].unmanaged.len(), 1);
    }

    #[test]
    fn a_malformed_remote_entry_is_never_pruned() {
        let mut bad = remote(6, 0, "12345", "legacy");
        bad.malformed = true;
        let remote = state(vec![bad, remote(5, 0, "2025550105", "y")], vec![]);
        let plan = diff(&config(true), &Desired::default(), &remote, today());
        assert_eq!(
            kinds(&plan.scopes[0]),
            [(super::super::ChangeKind::Prune, "2025550105".to_string())]
        );
        assert!(plan.scopes[0].unmanaged[0].malformed);
    }

    #[test]
    fn a_change_that_differs_only_in_detail_is_listed_once_as_changed() {
        let remote = state(vec![remote(5, 0, "2025550105", "y")], vec![]);
        let saved = diff(&config(true), &Desired::default(), &remote, today());
        let mut fresh = saved.clone();
        if let Change::Prune { effect, .. } = &mut fresh.scopes[0].changes[0] {
            *effect = Effect::StillBlockedGlobally;
        }
        assert_eq!(
            super::super::saved::staleness(&saved, &fresh),
            ["changed since the plan: prune +1 202-555-0105 from global (id 5)"]
        );
    }

    #[test]
    fn duplicates_and_effects() {
        let desired = Desired {
            entries: vec![],
            tombstones: vec![
                Tombstone {
                    key: key(0, "2025550104"),
                    removal_reason: "r".into(),
                    source: src(1),
                    requested_at: None,
                    approval: None,
                    request: Default::default(),
                },
                Tombstone {
                    key: key(111, "2025550105"),
                    removal_reason: "r".into(),
                    source: src(2),
                    requested_at: None,
                    approval: None,
                    request: Default::default(),
                },
            ],
        };
        let remote = state(
            vec![
                remote(4, 0, "2025550104", "x"),
                remote(5, 0, "2025550105", "x"),
                remote(8, 0, "2025550105", "x"),
            ],
            vec![remote(9, 111, "2025550105", "y")],
        );
        let mut plan = diff(&config(false), &desired, &remote, today());
        assert_eq!(
            plan.scopes[0].duplicates,
            vec![Duplicate {
                key: key(0, "2025550105"),
                ids: vec![5, 8]
            }]
        );
        let before = plan.hash.clone();
        let holders = HashMap::from([
            (
                key(0, "2025550104").phone,
                vec![CampaignId(0), CampaignId(222)],
            ),
            (
                key(0, "2025550105").phone,
                vec![CampaignId(0), CampaignId(111)],
            ),
        ]);
        plan.set_effects(&holders);
        let effects: Vec<&Effect> = plan
            .changes()
            .map(|c| match c {
                Change::Remove { effect, .. } => effect,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            effects,
            vec![
                &Effect::DialableExcept {
                    campaigns: vec![CampaignId(222)]
                },
                &Effect::StillBlockedGlobally
            ]
        );
        assert_ne!(plan.hash, before, "effects are part of the plan hash");
    }

    #[test]
    fn hash_is_stable_and_sensitive() {
        let remote = state(vec![remote(1, 0, "2025550101", "a")], vec![]);
        let d1 = Desired {
            entries: vec![want(0, "2025550101", "a")],
            tombstones: vec![],
        };
        let d2 = Desired {
            entries: vec![want(0, "2025550101", "b")],
            tombstones: vec![],
        };
        assert_eq!(
            diff(&config(false), &d1, &remote, today()).hash,
            diff(&config(false), &d1, &remote, today()).hash
        );
        assert_ne!(
            diff(&config(false), &d1, &remote, today()).hash,
            diff(&config(false), &d2, &remote, today()).hash
        );
    }
}
