//! Keys written twice across the manifests: found once every file is merged, from one hash
//! per item in reading order, so merging a million entries never probes a table of them.
//! Sorting the hashes (8 bytes an item, in cache) finds the few that repeat; only items with
//! such a hash have their keys compared, first place in reading order first.

use super::diagnostics::{Diagnostic, Location, Severity};
use super::{Desired, Source};
use crate::entry::Key;
use std::ops::Range;

/// What `find` found: the errors, and the later places (by index, ascending) per kind, entries
/// then tombstones, to take out of the desired set.
pub(super) struct Found {
    pub diags: Vec<Diagnostic>,
    pub later: [Vec<usize>; 2],
}

/// The duplicates among `desired`, whose items came in the order `order` gives: one word per
/// item, its key's hash with the low bit set for a tombstone. `heads` are the spans to label,
/// per kind and index.
pub(super) fn find(order: &[u64], desired: &Desired, heads: &[Vec<Range<usize>>; 2]) -> Found {
    let mut found = Found {
        diags: Vec::new(),
        later: [Vec::new(), Vec::new()],
    };
    let repeated = repeated(order);
    if repeated.is_empty() {
        return found;
    }
    let mut first: hashbrown::HashMap<&Key, (usize, usize), foldhash::fast::RandomState> =
        Default::default();
    let mut counts = [0usize; 2];
    for &word in order {
        let kind = (word & 1) as usize;
        let index = counts[kind];
        counts[kind] += 1;
        if !repeated.contains(&(word | 1)) {
            continue;
        }
        let Some((key, _)) = placed(desired, kind, index) else {
            continue;
        };
        let Some(&(prev_kind, prev_index)) = first.get(key) else {
            first.insert(key, (kind, index));
            continue;
        };
        let (Some((_, source)), Some((_, prev))) = (
            placed(desired, kind, index),
            placed(desired, prev_kind, prev_index),
        ) else {
            continue;
        };
        let (Some(head), Some(prev_head)) =
            (heads[kind].get(index), heads[prev_kind].get(prev_index))
        else {
            continue;
        };
        found.diags.push(duplicate(
            key,
            (kind == 1, source, head),
            (prev_kind == 1, prev, prev_head),
        ));
        found.later[kind].push(index);
    }
    found
}

/// Takes the items `later` names (ascending indexes per kind) out of `desired`.
pub(super) fn remove(desired: &mut Desired, later: &[Vec<usize>; 2]) {
    fn keep_others<T>(items: &mut Vec<T>, drop: &[usize]) {
        if drop.is_empty() {
            return;
        }
        let mut drop = drop.iter().peekable();
        let mut index = 0;
        items.retain(|_| {
            let gone = drop.next_if_eq(&&index).is_some();
            index += 1;
            !gone
        });
    }
    keep_others(&mut desired.entries, &later[0]);
    keep_others(&mut desired.tombstones, &later[1]);
}

/// The hashes (kind bit set) more than one item has.
fn repeated(order: &[u64]) -> hashbrown::HashSet<u64, foldhash::fast::RandomState> {
    let mut sorted: Vec<u64> = order.iter().map(|w| w | 1).collect();
    sorted.sort_unstable();
    sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect()
}

/// The key and source of the `index`th entry (`kind` 0) or tombstone (1).
fn placed(desired: &Desired, kind: usize, index: usize) -> Option<(&Key, &Source)> {
    if kind == 1 {
        let t = desired.tombstones.get(index)?;
        Some((&t.key, &t.source))
    } else {
        let e = desired.entries.get(index)?;
        Some((&e.key, &e.source))
    }
}

fn location(source: &Source, head: &Range<usize>) -> Location {
    Location {
        file: source.file.clone(),
        line: source.line,
        column: source.column,
        offset: head.start,
        length: head.len(),
    }
}

/// The error for a key written again: both places labelled. Each place is
/// `(tombstone, source, head)`.
fn duplicate(
    key: &Key,
    (tombstone, source, head): (bool, &Source, &Range<usize>),
    (prev_tombstone, prev, prev_head): (bool, &Source, &Range<usize>),
) -> Diagnostic {
    let what = format!("{} +{} {}", key.scope, key.phone.code, key.phone.national);
    let (code, message) = match (prev_tombstone, tombstone) {
        (false, false) => ("dnc::entry::duplicate", format!("{what} is listed twice")),
        (true, true) => (
            "dnc::entry::duplicate",
            format!("{what} has two tombstones"),
        ),
        _ => (
            "dnc::entry::conflict",
            format!("{what} is both listed and removed"),
        ),
    };
    let first = if prev_tombstone {
        "first removed here"
    } else {
        "first listed here"
    };
    Diagnostic {
        severity: Severity::Error,
        code,
        message,
        at: Some(location(source, head)),
        label: "again here".into(),
        labels: Vec::new(),
        help: None,
    }
    .with_label(location(prev, prev_head), first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::CampaignId;
    use crate::manifest::DesiredEntry;
    use crate::phone::Phone;
    use std::sync::Arc;

    fn entry(national: &str, line: u32) -> DesiredEntry {
        DesiredEntry {
            key: Key {
                scope: CampaignId::GLOBAL,
                phone: Phone {
                    code: 1,
                    national: national.into(),
                },
            },
            reason: Arc::from("DNC"),
            purpose: None,
            source: Source {
                file: Arc::from("a.yaml"),
                line,
                column: 3,
            },
            requested_at: None,
            request: Default::default(),
        }
    }

    /// Keys whose hashes collide are told apart by the keys themselves; a key written three
    /// times is reported twice, each time against its first place, and only that one is kept.
    #[test]
    fn equal_hashes_compare_keys_and_the_first_place_wins() {
        let numbers = ["2025550143", "2025550144", "2025550143", "2025550143"];
        let desired = Desired {
            entries: (1..).zip(numbers).map(|(l, n)| entry(n, l)).collect(),
            tombstones: Vec::new(),
        };
        let heads = [(0..4).map(|i| i * 10..i * 10 + 5).collect(), Vec::new()];
        // Every item gets the same hash: only the key comparison separates them.
        let order = vec![42 << 1; 4];
        let found = find(&order, &desired, &heads);
        assert_eq!(found.later, [vec![2, 3], vec![]]);
        let lines: Vec<(u32, u32)> = found
            .diags
            .iter()
            .map(|d| (d.at.as_ref().unwrap().line, d.labels[0].at.line))
            .collect();
        assert_eq!(lines, [(3, 1), (4, 1)]);
        assert_eq!(
            found.diags[0].message,
            "global +1 2025550143 is listed twice"
        );
        let mut kept = desired.clone();
        remove(&mut kept, &found.later);
        let lines: Vec<u32> = kept.entries.iter().map(|e| e.source.line).collect();
        assert_eq!(lines, [1, 2]);
    }
}
