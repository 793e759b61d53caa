//! Which manifest commit asked for each number: one pass over the added lines of the
//! manifests' history (`git log -p`), matching the phone numbers written on them, so a report
//! over thousands of commits reads git once rather than once per number.

use crate::history::git::Repo;
use crate::phone::Phone;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub struct Asked {
    /// By national number: the commits that added a line naming it, oldest first.
    commits: HashMap<String, Vec<CommitRef>>,
}

pub struct CommitRef {
    pub hash: String,
    pub author: String,
    time: Option<DateTime<Utc>>,
}

impl Asked {
    /// The latest commit at or before `time` that added the number.
    pub fn before(&self, phone: &Phone, time: &str) -> Option<&CommitRef> {
        let at = instant(time);
        self.commits
            .get(phone.national.as_str())?
            .iter()
            .rev()
            .find(|c| at.is_none() || c.time <= at)
    }
}

fn instant(time: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The commits that asked for the `wanted` numbers; notes say why none could be looked up.
pub fn find(root: &std::path::Path, wanted: &[Phone], notes: &mut Vec<String>) -> Asked {
    let mut asked = Asked {
        commits: HashMap::new(),
    };
    let repo = match Repo::discover(root) {
        Ok(Some(repo)) if repo.has_commits() => repo,
        _ => {
            notes.push(format!(
                "{} is not in a git repository with commits: no manifest commits",
                root.display()
            ));
            return asked;
        }
    };
    if repo.is_shallow() {
        notes.push(
            "this is a shallow clone: commits before its depth are missing (git fetch --unshallow)"
                .to_string(),
        );
    }
    let nationals: std::collections::HashSet<&str> =
        wanted.iter().map(|p| p.national.as_str()).collect();
    let specs: Vec<String> = ["yaml", "yml", "csv"]
        .iter()
        .map(|ext| format!(":(glob){}**/*.{ext}", repo.prefix))
        .collect();
    let log = match repo.added_lines("HEAD", &specs) {
        Ok(log) => log,
        Err(e) => {
            notes.push(format!("reading the manifests' history failed: {e}"));
            return asked;
        }
    };
    for commit in log.split('\x1e').filter(|c| !c.is_empty()) {
        let mut lines = commit.lines();
        let mut head = lines.next().unwrap_or_default().split('\x1f');
        let (Some(hash), Some(author), Some(time)) = (head.next(), head.next(), head.next()) else {
            continue;
        };
        let mut named: Vec<&str> = Vec::new();
        for line in lines.filter(|l| l.starts_with('+') && !l.starts_with("+++")) {
            for digits in numbers_in(line) {
                if let Some(n) = national_in(&digits, &nationals)
                    && !named.contains(&n)
                {
                    named.push(n);
                }
            }
        }
        for n in named {
            asked
                .commits
                .entry(n.to_string())
                .or_default()
                .push(CommitRef {
                    hash: hash.to_string(),
                    author: author.to_string(),
                    time: instant(time),
                });
        }
    }
    asked
}

/// The digits of each phone-like run in a line: digits with spaces, dashes, dots,
/// parentheses or a `+` between them, at least seven digits long.
fn numbers_in(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut digits = String::new();
    for c in line.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !" -.()+".contains(c) {
            if digits.len() >= 7 {
                out.push(std::mem::take(&mut digits));
            }
            digits.clear();
        }
    }
    out
}

/// The wanted national number these digits spell, with or without a country code before.
fn national_in<'w>(
    digits: &str,
    nationals: &std::collections::HashSet<&'w str>,
) -> Option<&'w str> {
    (0..=3.min(digits.len())).find_map(|skip| nationals.get(&digits[skip..]).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_any_notation() {
        // Dates are runs of digits too; they match no wanted number.
        assert_eq!(
            numbers_in("+  - number: \"(202) 555-0143\"  # 2026-03-01"),
            ["2025550143", "20260301"]
        );
        assert_eq!(
            numbers_in("+2025550144,1,global,DNC,,T-1,2026-03-01,web"),
            ["2025550144", "20260301"]
        );
        let wanted = std::collections::HashSet::from(["2025550143"]);
        assert_eq!(national_in("12025550143", &wanted), Some("2025550143"));
        assert_eq!(national_in("2025550143", &wanted), Some("2025550143"));
        assert_eq!(national_in("2025550144", &wanted), None);
    }
}
