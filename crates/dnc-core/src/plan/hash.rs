//! Plan hashes: of the manifests, of the remote state, and of the plan itself (what a saved
//! plan is checked against before it is applied).

use super::Plan;
use crate::entry::Key;
use crate::manifest::{Desired, DesiredEntry, Tombstone};
use crate::state::{RemoteEntry, RemoteState};
use sha2::{Digest, Sha256};

fn hex_digest(update: impl FnOnce(&mut Sha256)) -> String {
    let mut h = Sha256::new();
    update(&mut h);
    hex::encode(h.finalize())
}

/// Feeds values to a hash unambiguously (each text with its length), without formatting
/// a string per entry: a million entries are hashed on every plan.
trait Feed {
    fn num(&mut self, n: i64) -> &mut Self;
    fn text(&mut self, t: &str) -> &mut Self;
    fn opt(&mut self, t: Option<&str>) -> &mut Self;
    fn key(&mut self, k: &Key) -> &mut Self;
}

impl Feed for Sha256 {
    fn num(&mut self, n: i64) -> &mut Self {
        self.update(n.to_le_bytes());
        self
    }

    fn text(&mut self, t: &str) -> &mut Self {
        self.num(t.len() as i64).update(t.as_bytes());
        self
    }

    fn opt(&mut self, t: Option<&str>) -> &mut Self {
        match t {
            None => self.num(-1),
            Some(t) => self.text(t),
        }
    }

    fn key(&mut self, k: &Key) -> &mut Self {
        self.num(k.scope.0)
            .num(k.phone.code.into())
            .text(&k.phone.national)
    }
}

/// The hash of the desired set, independent of file order.
pub(super) fn desired(desired: &Desired) -> String {
    let mut tombstones: Vec<&Tombstone> = desired.tombstones.iter().collect();
    tombstones
        .sort_unstable_by(|a, b| (&a.key, &a.removal_reason).cmp(&(&b.key, &b.removal_reason)));
    hex_digest(|h| {
        h.text("entries").num(desired.entries.len() as i64);
        in_order(&desired.entries, |e| {
            h.key(&e.key).text(&e.reason).opt(e.purpose.as_deref());
        });
        h.text("tombstones").num(tombstones.len() as i64);
        for t in tombstones {
            h.key(&t.key).text(&t.removal_reason);
        }
    })
}

fn by_text(a: &DesiredEntry, b: &DesiredEntry) -> std::cmp::Ordering {
    (&a.key, &a.reason, &a.purpose).cmp(&(&b.key, &b.reason, &b.purpose))
}

/// Calls `each` with the desired entries in `(key, reason, purpose)` order. A million
/// entries are sorted on every plan: where every number packs into an integer, each entry
/// is one `u128` (see [`sort_key`]), 16 bytes, rather than a tuple and a reference.
fn in_order<'e>(entries: &'e [DesiredEntry], mut each: impl FnMut(&'e DesiredEntry)) {
    let Some(mut keys) = sort_keys(entries) else {
        let mut entries: Vec<&DesiredEntry> = entries.iter().collect();
        entries.sort_unstable_by(|a, b| by_text(a, b));
        return entries.into_iter().for_each(each);
    };
    keys.sort_unstable();
    let entry = |k: u128| &entries[(k as u32) as usize];
    // Equal keys (not in a loaded set, which refuses them) sort by index: order them as text.
    for same in keys.chunk_by_mut(|a, b| a >> 32 == b >> 32) {
        if same.len() > 1 {
            same.sort_unstable_by(|a, b| by_text(entry(*a), entry(*b)));
        }
    }
    keys.into_iter().for_each(|k| each(entry(k)));
}

/// Each entry as `scope rank (16 bits) | phone code (16) | packed number (64) | index (32)`,
/// where the scope's rank is its place among the set's scopes in ascending order, so the
/// integers sort as `(key, index)`; `None` when a number does not pack, or there are too
/// many entries or scopes to fit.
fn sort_keys(entries: &[DesiredEntry]) -> Option<Vec<u128>> {
    u32::try_from(entries.len()).ok()?;
    let scopes: std::collections::BTreeSet<i64> = entries.iter().map(|e| e.key.scope.0).collect();
    let scopes: Vec<i64> = scopes.into_iter().collect();
    u16::try_from(scopes.len()).ok()?;
    let rank = |scope: i64| scopes.binary_search(&scope).unwrap_or_default() as u128;
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let number = packed(&e.key.phone.national)?;
            Some(
                rank(e.key.scope.0) << 112
                    | u128::from(e.key.phone.code) << 96
                    | u128::from(number) << 32
                    | i as u128,
            )
        })
        .collect()
}

/// 1 to 16 ASCII digits as one integer that sorts like the text: each digit `d` is the
/// nibble `d + 1`, from the top, so a shorter number (zero nibbles after it) sorts first.
fn packed(national: &str) -> Option<u64> {
    if national.is_empty() || national.len() > 16 {
        return None;
    }
    national.bytes().enumerate().try_fold(0, |acc, (i, b)| {
        b.is_ascii_digit()
            .then(|| acc | u64::from(b - b'0' + 1) << (60 - 4 * i))
    })
}

/// The hash of the remote state as read.
pub(super) fn remote(remote: &RemoteState) -> String {
    hex_digest(|h| {
        for (scope, state) in &remote.scopes {
            h.num(scope.0)
                .opt(state.incomplete.as_deref())
                .num(state.entries.len() as i64);
            let mut entries: Vec<&RemoteEntry> = state.entries.iter().collect();
            entries.sort_unstable_by_key(|e| e.id);
            for e in entries {
                h.num(e.id as i64)
                    .key(&e.key)
                    .opt(e.reason.as_deref())
                    .opt(e.purpose.as_deref());
            }
        }
    })
}

/// The hash of a plan's content: what `Plan::hash` holds when nobody edited the plan.
pub fn plan_hash(plan: &Plan) -> String {
    let changes = serde_json::to_vec(&plan.scopes).expect("plan values always serialize");
    hex_digest(|h| {
        h.update(plan.manifests_hash.as_bytes());
        h.update(plan.remote_hash.as_bytes());
        h.update(&changes);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(scope: i64, code: u16, national: &str, reason: &str) -> DesiredEntry {
        DesiredEntry::example(scope, code, national, reason)
    }

    type Shown = (i64, u16, String, String);

    fn shown(e: &DesiredEntry) -> Shown {
        let k = &e.key;
        (
            k.scope.0,
            k.phone.code,
            k.phone.national.to_string(),
            e.reason.to_string(),
        )
    }

    fn ordered(entries: &[DesiredEntry]) -> Vec<Shown> {
        let mut out = Vec::new();
        in_order(entries, |e| out.push(shown(e)));
        out
    }

    /// The entries sorted as text, the order the hash has always used.
    fn by_text_sort(entries: &[DesiredEntry]) -> Vec<Shown> {
        let mut sorted = entries.to_vec();
        sorted.sort_by(by_text);
        sorted.iter().map(shown).collect()
    }

    /// The packed order is the text order of `(key, reason, purpose)`: negative and large
    /// scopes, phone codes, prefixes, and equal keys (ordered by reason, not by index).
    #[test]
    fn entries_hash_in_key_order_packed_or_not() {
        let mut entries = vec![
            entry(111, 1, "2025550143", "DNC"),
            entry(-1, 1, "2025550143", "DNC"),
            entry(0, 44, "2025550143", "DNC"),
            entry(0, 1, "202555014", "DNC"),
            entry(0, 1, "2025550143", "Z"),
            entry(0, 1, "2025550143", "A"),
            entry(i64::MAX, 1, "1", "DNC"),
            entry(i64::MIN, 1, "1", "DNC"),
            entry(0, 7, "9999999999999999", "DNC"),
        ];
        assert!(sort_keys(&entries).is_some());
        assert_eq!(ordered(&entries), by_text_sort(&entries));
        // A number that does not pack sorts every entry as text, in the same order.
        entries.push(entry(0, 1, "12345678901234567", "DNC"));
        assert!(sort_keys(&entries).is_none());
        assert_eq!(ordered(&entries), by_text_sort(&entries));
    }

    /// Packed numbers sort exactly as their text, prefixes and lengths included.
    #[test]
    fn packed_numbers_sort_like_text() {
        let mut texts = vec![
            "2",
            "12",
            "123",
            "13",
            "1",
            "0",
            "00",
            "09",
            "9999999999999999",
            "2025550143",
            "202555014",
            "20255501430",
            "1000000000000000",
        ];
        let mut by_packed = texts.clone();
        by_packed.sort_by_key(|t| packed(t).unwrap());
        texts.sort();
        assert_eq!(by_packed, texts);
        for refused in ["", "12345678901234567", "12a", "+1"] {
            assert_eq!(packed(refused), None, "{refused}");
        }
    }
}
