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
    let mut entries: Vec<&DesiredEntry> = desired.entries.iter().collect();
    entries.sort_unstable_by(|a, b| {
        (&a.key, &a.reason, &a.purpose).cmp(&(&b.key, &b.reason, &b.purpose))
    });
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
