//! Drift on the record: each drift check (`dnc plan --record-drift BRANCH`) appends one
//! `drift` line to the ledger branch, chained like every line: clean, or which entries the
//! dialer lacks that the manifests say must be there (and since when), which differ, which
//! tombstoned ones are still there, and how many unmanaged extras each scope holds.
//!
//! From those lines and the operations, [`gaps`] finds each time an applied entry vanished
//! from the dialer (the last time it was known present, the first check that found it
//! missing, when it came back), and [`classify`] tells a create that put a vanished entry
//! back (a restore) or repeated one that had already taken effect (a retry, the same plan
//! applied twice) from a new opt-out, so none is counted or timed twice.

use crate::entry::Key;
use crate::ledger::{Outcome, Record};
use crate::plan::{Change, ChangeKind, Plan};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use crate::drift_check::{DriftEvent, DriftRecord, Entry, Missing, Restore};

/// One time an applied entry was missing from the dialer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    #[serde(flatten)]
    pub entry: Entry,
    pub last_present: Option<String>,
    pub missing_since: String,
    /// When it was back: the apply that restored it, or the check that found it again.
    pub restored_at: Option<String>,
    /// `apply` or `found` (back without an apply); none while it is still missing.
    pub restored_by: Option<&'static str>,
    /// The drift checks that found it missing.
    pub checks: usize,
    /// The last check that found it missing.
    pub last_missing: String,
}

/// Whether an operation settled with the change made (or already there).
fn effective(finish: Option<&Record>) -> Option<&Record> {
    finish.filter(|f| matches!(f.outcome, Some(Outcome::Done | Outcome::Converged)))
}

/// What the operations say of one entry's presence, as of some time.
#[derive(Default)]
struct Presence {
    /// The last effective create or update, when no removal followed it.
    applied_at: Option<String>,
}

/// The record of the check that made `plan` at `time`, given the ledger's operations and
/// earlier checks.
pub fn check(
    plan: &Plan,
    time: &str,
    ops: &[(Record, Option<Record>)],
    earlier: &[DriftRecord],
) -> DriftRecord {
    let present = presence(ops);
    let previous = earlier.last();
    let before: HashMap<Key, &Missing> = previous
        .map(|c| c.missing.iter().map(|m| (m.entry.key(), m)).collect())
        .unwrap_or_default();
    let mut record = DriftRecord {
        time: time.to_string(),
        run: None,
        event: DriftEvent::Drift,
        plan_hash: plan.hash.clone(),
        clean: true,
        missing: Vec::new(),
        changed: Vec::new(),
        not_removed: Vec::new(),
        unmanaged: BTreeMap::new(),
        last_clean: earlier
            .iter()
            .rev()
            .find(|c| c.clean)
            .map(|c| c.time.clone()),
        commit: None,
        actor: None,
        prev: None,
    };
    for scope in &plan.scopes {
        if !scope.unmanaged.is_empty() {
            record
                .unmanaged
                .insert(scope.campaign_id.to_string(), scope.unmanaged.len() as u64);
        }
        for change in &scope.changes {
            let key = change.key();
            match change {
                Change::Create { .. } => {
                    let applied_at = present.get(key).and_then(|p| p.applied_at.clone());
                    // Still missing since the last check: the gap began then.
                    let earlier_gap = before
                        .get(key)
                        .filter(|m| m.applied_at == applied_at)
                        .map(|m| (m.last_present.clone(), m.missing_since.clone()));
                    let (last_present, missing_since) = earlier_gap.unwrap_or_else(|| {
                        let checked = previous.map(|c| c.time.clone());
                        let last = applied_at
                            .clone()
                            .max(checked.filter(|_| applied_at.is_some()));
                        (last, time.to_string())
                    });
                    record.missing.push(Missing {
                        entry: Entry::of(key),
                        applied_at,
                        last_present,
                        missing_since,
                    });
                }
                Change::Update { .. } => record.changed.push(Entry::of(key)),
                Change::Remove { .. } => record.not_removed.push(Entry::of(key)),
                // Not known to differ (the API does not show it), and extras in a pruning
                // scope are counted with the unmanaged.
                Change::Reassert { .. } | Change::Prune { .. } => {}
            }
        }
    }
    record.clean =
        record.missing.is_empty() && record.changed.is_empty() && record.not_removed.is_empty();
    record
}

/// Each entry's last effective create or update not followed by a removal.
fn presence(ops: &[(Record, Option<Record>)]) -> HashMap<Key, Presence> {
    let mut present: HashMap<Key, Presence> = HashMap::new();
    for (start, finish) in ops {
        let Some(f) = effective(finish.as_ref()) else {
            continue;
        };
        let p = present.entry(start.key()).or_default();
        p.applied_at = match start.change {
            ChangeKind::Create | ChangeKind::Update | ChangeKind::Reassert => Some(f.time.clone()),
            ChangeKind::Remove | ChangeKind::Prune => None,
        };
    }
    present
}

/// What a create was, counted against the entry's earlier operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// A new opt-out (or one that failed or never finished).
    Create,
    /// It put back an entry that had taken effect and vanished from the dialer.
    Restore(Restore),
    /// It repeated a create that had already taken effect (a retry, or the same plan
    /// applied twice), with no gap seen.
    Repeat,
}

/// Every gap the drift checks found, oldest first, and the class of each operation (`None`
/// for all but creates), in `ops` order.
pub fn classify(
    ops: &[(Record, Option<Record>)],
    checks: &[DriftRecord],
) -> (Vec<Gap>, Vec<Option<Class>>) {
    enum At<'a> {
        Op(usize),
        Check(&'a DriftRecord),
    }
    let time = |i: usize| {
        let (s, f) = &ops[i];
        f.as_ref().unwrap_or(s).time.as_str()
    };
    let mut events: Vec<(&str, At)> = (0..ops.len()).map(|i| (time(i), At::Op(i))).collect();
    events.extend(checks.iter().map(|c| (c.time.as_str(), At::Check(c))));
    // Stable: ledger order where times are equal.
    events.sort_by(|a, b| a.0.cmp(b.0));
    let mut applied: HashMap<Key, bool> = HashMap::new();
    let mut open: BTreeMap<Key, Gap> = BTreeMap::new();
    let mut gaps = Vec::new();
    let mut classes: Vec<Option<Class>> = vec![None; ops.len()];
    for (_, at) in events {
        match at {
            At::Op(i) => {
                let (start, finish) = &ops[i];
                let key = start.key();
                let done = effective(finish.as_ref());
                if start.change == ChangeKind::Create {
                    classes[i] = Some(match done {
                        None => Class::Create,
                        Some(_) if !applied.get(&key).copied().unwrap_or(false) => Class::Create,
                        Some(_) => match open.get(&key) {
                            Some(g) => Class::Restore(Restore {
                                last_present: g.last_present.clone(),
                                missing_since: Some(g.missing_since.clone()),
                            }),
                            None => start.restore.clone().map_or(Class::Repeat, Class::Restore),
                        },
                    });
                }
                let Some(f) = done else { continue };
                let now_applied = !matches!(start.change, ChangeKind::Remove | ChangeKind::Prune);
                applied.insert(key.clone(), now_applied);
                if let Some(mut gap) = open.remove(&key) {
                    if now_applied {
                        gap.restored_at = Some(f.time.clone());
                        gap.restored_by = Some("apply");
                    }
                    gaps.push(gap);
                }
            }
            At::Check(check) => {
                let missing: HashMap<Key, &Missing> = check
                    .missing
                    .iter()
                    .filter(|m| m.applied_at.is_some())
                    .map(|m| (m.entry.key(), m))
                    .collect();
                // An open gap the check no longer finds was closed out of band.
                let found: Vec<Key> = open
                    .keys()
                    .filter(|k| !missing.contains_key(*k))
                    .cloned()
                    .collect();
                for key in found {
                    let mut gap = open.remove(&key).expect("listed above");
                    gap.restored_at = Some(check.time.clone());
                    gap.restored_by = Some("found");
                    gaps.push(gap);
                }
                for (key, m) in missing {
                    let gap = open.entry(key).or_insert_with(|| Gap {
                        entry: m.entry.clone(),
                        last_present: m.last_present.clone(),
                        missing_since: m.missing_since.clone(),
                        restored_at: None,
                        restored_by: None,
                        checks: 0,
                        last_missing: check.time.clone(),
                    });
                    gap.checks += 1;
                    gap.last_missing = check.time.clone();
                }
            }
        }
    }
    gaps.extend(open.into_values());
    gaps.sort_by(|a, b| a.missing_since.cmp(&b.missing_since));
    (gaps, classes)
}

/// The restore gap of each create in `plan` whose entry had taken effect: recorded on the
/// create's ledger lines by apply.
pub fn restores(
    plan: &Plan,
    ops: &[(Record, Option<Record>)],
    checks: &[DriftRecord],
) -> HashMap<Key, Restore> {
    let present = presence(ops);
    let (gaps, _) = classify(ops, checks);
    let open: HashMap<Key, &Gap> = gaps
        .iter()
        .filter(|g| g.restored_at.is_none())
        .map(|g| (g.entry.key(), g))
        .collect();
    plan.changes()
        .filter(|c| matches!(c, Change::Create { .. }))
        .filter_map(|c| {
            let key = c.key();
            let applied_at = present.get(key)?.applied_at.clone()?;
            let gap = open.get(key);
            Some((
                key.clone(),
                Restore {
                    last_present: gap
                        .and_then(|g| g.last_present.clone())
                        .or(Some(applied_at)),
                    missing_since: gap.map(|g| g.missing_since.clone()),
                },
            ))
        })
        .collect()
}

/// How long between two ledger times, as people read it: `4d 3h`, `2h 10m`, `45m`.
pub fn duration(from: &str, to: &str) -> Option<String> {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let minutes = (parse(to)? - parse(from)?).num_minutes().max(0);
    let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    Some(match (d, h) {
        (0, 0) => format!("{m}m"),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A create or remove of `number` that finished (`done`) or not at `time`.
    fn op(change: &str, number: &str, time: &str, done: bool) -> (Record, Option<Record>) {
        let start: Record = serde_json::from_value(serde_json::json!({
            "time": time, "event": "start", "plan_hash": time, "op": 0, "change": change,
            "campaign_id": 0, "phone_code": 1, "phone_number": number,
        }))
        .unwrap();
        let mut finish = start.clone();
        finish.event = crate::ledger::Event::Finish;
        finish.outcome = Some(Outcome::Done);
        (start, done.then_some(finish))
    }

    fn checked(time: &str, missing: &[(&str, &str)]) -> DriftRecord {
        let mut c: DriftRecord = serde_json::from_value(serde_json::json!({
            "time": time, "event": "drift", "plan_hash": time, "clean": missing.is_empty(),
        }))
        .unwrap();
        c.missing = missing
            .iter()
            .map(|(number, since)| Missing {
                entry: Entry {
                    campaign_id: 0,
                    phone_code: 1,
                    phone_number: number.to_string(),
                },
                applied_at: Some("2026-03-01T00:00:00Z".into()),
                last_present: Some("2026-03-01T00:00:00Z".into()),
                missing_since: since.to_string(),
            })
            .collect();
        c
    }

    #[test]
    fn restores_repeats_and_gaps() {
        let ops = [
            op("create", "2025550143", "2026-03-01T00:00:00Z", true),
            op("create", "2025550178", "2026-03-01T00:00:00Z", false),
            op("create", "2025550178", "2026-03-02T00:00:00Z", true),
            op("create", "2025550143", "2026-03-06T00:00:00Z", true),
            op("create", "2025550178", "2026-03-07T00:00:00Z", true),
            op("remove", "2025550178", "2026-03-08T00:00:00Z", true),
            op("create", "2025550178", "2026-03-09T00:00:00Z", true),
        ];
        let checks = [
            checked(
                "2026-03-03T00:00:00Z",
                &[("2025550143", "2026-03-03T00:00:00Z")],
            ),
            checked(
                "2026-03-04T00:00:00Z",
                &[("2025550143", "2026-03-03T00:00:00Z")],
            ),
            checked("2026-03-10T00:00:00Z", &[]),
        ];
        let (gaps, classes) = classify(&ops, &checks);
        let restored = Class::Restore(Restore {
            last_present: Some("2026-03-01T00:00:00Z".into()),
            missing_since: Some("2026-03-03T00:00:00Z".into()),
        });
        use Class::{Create, Repeat};
        assert_eq!(
            classes,
            [
                Some(Create),
                Some(Create),
                Some(Create),
                Some(restored),
                Some(Repeat),
                None,
                // Removed in between: entered again, a new opt-out.
                Some(Create),
            ]
        );
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        let g = &gaps[0];
        assert_eq!(g.restored_at.as_deref(), Some("2026-03-06T00:00:00Z"));
        assert_eq!((g.restored_by, g.checks), (Some("apply"), 2));
        // A gap the next check no longer finds was closed out of band.
        let (found, _) = classify(&ops[..1], &checks);
        assert_eq!(found[0].restored_by, Some("found"));
        assert_eq!(
            found[0].restored_at.as_deref(),
            Some("2026-03-10T00:00:00Z")
        );
    }

    #[test]
    fn durations() {
        let d = |a, b| duration(a, b).unwrap();
        assert_eq!(d("2026-03-02T10:00:00Z", "2026-03-06T13:30:00Z"), "4d 3h");
        assert_eq!(d("2026-03-02T10:00:00Z", "2026-03-02T12:10:00Z"), "2h 10m");
        assert_eq!(d("2026-03-02T10:00:00Z", "2026-03-02T10:45:00Z"), "45m");
        assert_eq!(duration("garbage", "2026-03-02T10:45:00Z"), None);
    }
}
