//! The ledger branch's hash chain: each line carries in `prev` the SHA-256 (hex) of the exact
//! text of the line appended before it, the first line the fixed [`GENESIS`]. Each commit on
//! the branch names the chain's first line (its root) and last line (its head) in trailers,
//! and the root is pinned in dnc.yaml (`ledger: {root: …}`), a reviewed file on the
//! manifests' branch: a line edited, dropped or inserted breaks a link, and a branch replaced
//! wholesale has another root.
//!
//! The chain is the push order, across month files: lines are linked when they are appended
//! to the branch, not when a runner writes its local ledger (a runner's file is a journal of
//! one run; the branch is the ledger of record).

use sha2::{Digest, Sha256};

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The commit trailer naming the hash of the chain's last line after the commit.
pub const HEAD_TRAILER: &str = "Dnc-Ledger-Head";
/// The commit trailer naming the hash of the chain's first line.
pub const ROOT_TRAILER: &str = "Dnc-Ledger-Root";

/// The hash a line is known by: SHA-256 of its text, without the newline.
pub fn hash(line: &str) -> String {
    hex::encode(Sha256::digest(line.as_bytes()))
}

/// Whether `text` is a hash as the chain writes it (64 lowercase hex digits).
pub fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The value of trailer `name` in a commit message (the last one, as git reads trailers).
pub fn trailer<'m>(message: &'m str, name: &str) -> Option<&'m str> {
    message
        .lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
        .next_back()
}

/// A line's content without its link: the same operation pushed twice (from two copies of a
/// runner's ledger) is the same line whatever chain it was linked into. Keys are sorted, so
/// the text does not depend on field order.
pub fn identity(line: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(line).ok()?;
    value.as_object_mut()?.remove("prev");
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_trailers_identity() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_hash(GENESIS) && !is_hash("ABC") && !is_hash(&"f".repeat(63)));
        let msg = "subject\n\nApplied-commit: c1\nDnc-Ledger-Root: r\nDnc-Ledger-Head: h1\n";
        assert_eq!(trailer(msg, HEAD_TRAILER), Some("h1"));
        assert_eq!(trailer(msg, ROOT_TRAILER), Some("r"));
        assert_eq!(trailer("subject", HEAD_TRAILER), None);
        assert_eq!(
            identity(r#"{"op":1,"prev":"x","a":2}"#),
            identity(r#"{"a":2,"op":1}"#)
        );
        assert_ne!(identity(r#"{"op":1}"#), identity(r#"{"op":2}"#));
        assert_eq!(identity("{torn"), None);
    }
}
