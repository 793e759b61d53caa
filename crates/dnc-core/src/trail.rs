//! The approval trail: a ledger line per apply run saying who decided, beside the operation
//! lines that say what was done. A run that applies writes a `run` line before its first
//! operation (the pull request that merged the applied commit, its author, approvers and
//! merger; the overrides given and who gave them); a run a safety gate refuses writes a
//! `refused` line (the gate, the counts, who ran it). Both are chained on the ledger branch
//! like every other line, so `dnc verify` covers them.

use serde::{Deserialize, Serialize};

/// A run's own ledger line, told apart from operation lines by its `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub time: String,
    /// The apply run that wrote the line (stamped by the ledger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    pub kind: RunKind,
    pub plan_hash: String,
    /// The applied commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Who ran the apply (and so authorized its overrides).
    pub by: Identity,
    /// The pull request that merged the commit; absent outside GitHub Actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<Trail>,
    /// `--allow-removals` / `--allow-early-removals` as given.
    #[serde(default, skip_serializing_if = "Overrides::is_empty")]
    pub overrides: Overrides,
    /// Why a `refused` run sent nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    /// On the ledger branch, the hash of the line before this one (see `chain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// An apply that went ahead: written before its first operation.
    Run,
    /// An apply a safety gate refused: nothing was sent.
    Refused,
}

/// A person as the run knew them, and where that name came from (`GITHUB_TRIGGERING_ACTOR`,
/// `GITHUB_ACTOR`, `git user.email`, `git user.name`, `USER`), or `unknown`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub from: String,
}

impl Identity {
    /// Who runs this apply: the login that triggered the GitHub Actions run (a re-run's,
    /// else the workflow's actor); outside Actions, the local git identity, else `USER`.
    /// `env` looks a variable up (the binary passes the environment's), `git` a config key.
    pub fn of_runner(
        env: impl Fn(&str) -> Option<String>,
        git: impl Fn(&str) -> Option<String>,
    ) -> Identity {
        let env = |k: &str| env(k).filter(|v| !v.is_empty());
        let candidates: [(&str, &dyn Fn() -> Option<String>); 5] = [
            ("GITHUB_TRIGGERING_ACTOR", &|| {
                env("GITHUB_TRIGGERING_ACTOR")
            }),
            ("GITHUB_ACTOR", &|| env("GITHUB_ACTOR")),
            ("git user.email", &|| git("user.email")),
            ("git user.name", &|| git("user.name")),
            ("USER", &|| env("USER")),
        ];
        candidates
            .iter()
            .find_map(|(from, get)| {
                Some(Identity {
                    name: get()?,
                    from: (*from).to_string(),
                })
            })
            .unwrap_or_else(|| Identity {
                name: "unknown".into(),
                from: "unknown".into(),
            })
    }
}

/// What GitHub said about the pull request behind the applied commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Trail {
    PullRequest(PullRequest),
    /// The commit reached the branch without a pull request (a direct push).
    NoPullRequest,
    /// GitHub could not be asked or did not answer; the apply went ahead (see
    /// docs/auditors.md, The approval trail) and the report flags the run.
    Unknown {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub author: String,
    /// Logins whose latest review approves the pull request's merged head.
    pub approvers: Vec<String>,
    /// Logins whose latest review approves an earlier commit only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_approvers: Vec<String>,
    /// `None` while the pull request is not merged (an apply on a pull_request event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_by: Option<String>,
}

impl PullRequest {
    /// The author merged it, or nobody but the author approved it.
    pub fn self_merged(&self) -> bool {
        let same = |a: &str| a.eq_ignore_ascii_case(&self.author);
        self.merged_by.as_deref().is_some_and(same)
            || (!self.approvers.is_empty() && self.approvers.iter().all(|a| same(a)))
    }

    /// No review approves the merged head (the author's own does not count).
    pub fn unapproved(&self) -> bool {
        !self
            .approvers
            .iter()
            .any(|a| !a.eq_ignore_ascii_case(&self.author))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_removals: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_early_removals: Option<u64>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        self.allow_removals.is_none() && self.allow_early_removals.is_none()
    }
}

/// The gate that refused an apply, its message, and the plan's counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub gate: Gate,
    pub message: String,
    pub removals: u64,
    pub early_removals: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// Over the removal limits (`--allow-removals`).
    Removals,
    /// Inside the retention period (`--allow-early-removals`).
    EarlyRemovals,
    /// Tombstone approvals the pull request's reviews do not confirm.
    Approvals,
}

impl Gate {
    pub fn text(self) -> &'static str {
        match self {
            Gate::Removals => "removal limits",
            Gate::EarlyRemovals => "retention period",
            Gate::Approvals => "approvals",
        }
    }
}

impl Trail {
    /// One line for people: `PR #7 by alice, approved by bob, merged by carol`.
    pub fn text(&self) -> String {
        match self {
            Trail::PullRequest(p) => {
                let mut approvers = if p.approvers.is_empty() {
                    "no approving review".to_string()
                } else {
                    format!("approved by {}", p.approvers.join(", "))
                };
                if !p.stale_approvers.is_empty() {
                    let stale = p.stale_approvers.join(", ");
                    approvers.push_str(&format!(" (an earlier commit approved by {stale})"));
                }
                let merged = match &p.merged_by {
                    Some(m) => format!("merged by {m}"),
                    None => "not merged".to_string(),
                };
                format!("PR #{} by {}, {approvers}, {merged}", p.number, p.author)
            }
            Trail::NoPullRequest => "no pull request (pushed directly)".to_string(),
            Trail::Unknown { reason } => format!("unknown: {reason}"),
        }
    }
}

impl Overrides {
    /// `--allow-removals 3, --allow-early-removals 1`, empty when none was given.
    pub fn text(&self) -> String {
        let flags = [
            ("--allow-removals", self.allow_removals),
            ("--allow-early-removals", self.allow_early_removals),
        ];
        flags
            .iter()
            .filter_map(|(flag, v)| Some(format!("{flag} {}", (*v)?)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The flags a person reads beside a run: self-merge, no approving review, trail unknown.
pub fn flags(record: &RunRecord) -> Vec<&'static str> {
    match &record.trail {
        Some(Trail::PullRequest(p)) => {
            let mut out = Vec::new();
            if p.self_merged() {
                out.push("self-merge");
            }
            if p.unapproved() {
                out.push("no approving review");
            }
            out
        }
        Some(Trail::NoPullRequest) => vec!["no pull request"],
        Some(Trail::Unknown { .. }) => vec!["trail unknown"],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pr(author: &str, approvers: &[&str], merged_by: Option<&str>) -> PullRequest {
        PullRequest {
            number: 7,
            author: author.into(),
            approvers: approvers.iter().map(|a| a.to_string()).collect(),
            stale_approvers: Vec::new(),
            merged_by: merged_by.map(str::to_string),
        }
    }

    #[test]
    fn self_merges_and_missing_approvals() {
        let ok = pr("alice", &["bob"], Some("carol"));
        assert!(!ok.self_merged() && !ok.unapproved());
        assert!(pr("alice", &["bob"], Some("Alice")).self_merged());
        let own = pr("alice", &["alice"], Some("carol"));
        assert!(own.self_merged() && own.unapproved());
        let none = pr("alice", &[], Some("carol"));
        assert!(!none.self_merged() && none.unapproved());
    }

    #[test]
    fn the_line_is_typed_json() {
        let r = RunRecord {
            time: "2026-12-01T10:00:00.000Z".into(),
            run: None,
            kind: RunKind::Refused,
            plan_hash: "p".into(),
            commit: None,
            by: Identity {
                name: "dave".into(),
                from: "USER".into(),
            },
            trail: Some(Trail::PullRequest(pr("alice", &["bob"], Some("carol")))),
            overrides: Overrides {
                allow_removals: Some(3),
                allow_early_removals: None,
            },
            refused: Some(Refusal {
                gate: Gate::EarlyRemovals,
                message: "m".into(),
                removals: 3,
                early_removals: 1,
            }),
            prev: None,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"time":"2026-12-01T10:00:00.000Z","kind":"refused","plan_hash":"p","by":{"name":"dave","from":"USER"},"trail":{"state":"pull_request","number":7,"author":"alice","approvers":["bob"],"merged_by":"carol"},"overrides":{"allow_removals":3},"refused":{"gate":"early_removals","message":"m","removals":3,"early_removals":1}}"#
        );
        assert_eq!(serde_json::from_str::<RunRecord>(&text).unwrap(), r);
    }
}
