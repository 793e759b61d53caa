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
    let entries = sorted(&desired.entries);
    let mut tombstones: Vec<&Tombstone> = desired.tombstones.iter().collect();
    tombstones
        .sort_unstable_by(|a, b| (&a.key, &a.removal_reason).cmp(&(&b.key, &b.removal_reason)));
    hex_digest(|h| {
        h.text("entries").num(entries.len() as i64);
        for e in entries {
            h.key(&e.key).text(&e.reason).opt(e.purpose.as_deref());
        }
        h.text("tombstones").num(tombstones.len() as i64);
        for t in tombstones {
            h.key(&t.key).text(&t.removal_reason);
        }
    })
}

/// A key as `(scope, phone code, packed national number)`.
type PackedKey = (i64, u16, u64);

/// Desired entries in `(key, reason, purpose)` order. Keys compare as integers where every
/// number packs into one (a million entries are sorted on every plan), else as text.
fn sorted(entries: &[DesiredEntry]) -> Vec<&DesiredEntry> {
    let by_text = |a: &DesiredEntry, b: &DesiredEntry| {
        (&a.key, &a.reason, &a.purpose).cmp(&(&b.key, &b.reason, &b.purpose))
    };
    let packed: Option<Vec<(PackedKey, &DesiredEntry)>> = entries
        .iter()
        .map(|e| {
            Some((
                (
                    e.key.scope.0,
                    e.key.phone.code,
                    packed(&e.key.phone.national)?,
                ),
                e,
            ))
        })
        .collect();
    let Some(mut packed) = packed else {
        let mut entries: Vec<&DesiredEntry> = entries.iter().collect();
        entries.sort_unstable_by(|a, b| by_text(a, b));
        return entries;
    };
    packed.sort_unstable_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| by_text(a, b)));
    packed.into_iter().map(|(_, e)| e).collect()
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
