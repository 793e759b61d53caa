//! `dnc verify`: whether the ledger branch is evidence someone who distrusts the team can
//! rely on. Each finding names the check, where it is (`file:line`, the commit) and what it
//! means:
//!
//! - the chain is whole: every line links to the line before it (`prev`), one root, one
//!   head, the head the tip commit names (`chain`);
//! - the branch was only ever appended to: no commit in its history changed or removed a
//!   line, and every line was added by a commit dnc wrote, naming its plan and applied commit
//!   in its trailers (`history`);
//! - the chain's root is the one dnc.yaml pins (`root`);
//! - every applied commit exists and is reachable from the manifests' branch (`commit`);
//! - every number the manifests' branch added, up to the newest applied commit, has a ledger
//!   operation (`manifests`);
//! - every create, update, reassert and remove line's reason (removal reason) and
//!   requested_at are what the manifests said at its applied commit (`manifests`, see
//!   `at_commit`);
//! - every line is a ledger record, an operation's, a run's (`run`, `refused`: see `trail`)
//!   or a drift check's (`drift`), each chained and checked against its commit like the
//!   others (`line`; a check names its plan like an apply, and applies no commit); a torn last line (a write cut short) is the only
//!   damage tolerated, and it is reported as a note.
//!
//! JSON shape (`format_version` 1): `{"format_version", "verified", "ledger": {"rev", "tip",
//! "lines", "root", "head", "pinned"}, "manifests": {"rev", "commit"}, "notes": [..],
//! "findings": [{"check", "at", "message"}]}`.

mod at_commit;

use crate::chain;
use crate::history::git::{GitError, Repo};
use crate::ledger::{self, Record};
use crate::manifest::{Config, Desired};
use crate::phone;
use crate::plan::ChangeKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Verification {
    pub format_version: u32,
    /// No finding.
    pub verified: bool,
    pub ledger: LedgerState,
    pub manifests: Manifests,
    /// What was tolerated or could not be checked.
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub struct LedgerState {
    pub rev: String,
    /// The branch's tip commit; `None` when the branch does not exist.
    pub tip: Option<String>,
    pub lines: usize,
    /// The hash of the chain's first line, as found by walking it from the head.
    pub root: Option<String>,
    pub head: Option<String>,
    /// The root dnc.yaml pins.
    pub pinned: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Manifests {
    pub rev: String,
    pub commit: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The check that failed: `chain`, `history`, `root`, `commit`, `manifests`, `line`.
    pub check: &'static str,
    /// Where: `2026-03.jsonl:4`, `commit 1a2b3c4d5e6f`, or both.
    pub at: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum VerifyError {
    #[error(transparent)]
    #[diagnostic(
        code(dnc::verify::git),
        help(
            "check that git is installed and that the config is in a clone with its history (not shallow)"
        )
    )]
    Git(#[from] GitError),
    #[error("{} is not in a git repository: there is no ledger branch to verify", .0.display())]
    #[diagnostic(
        code(dnc::verify::no_repository),
        help("run dnc verify in a clone of the manifests' repository")
    )]
    NoRepository(PathBuf),
}

/// What to verify: the ledger branch (or ref) and the manifests' branch.
pub struct Options<'a> {
    pub ledger_rev: &'a str,
    pub manifests_rev: &'a str,
}

/// One line of the ledger as the tip holds it: what it parsed as, if anything.
struct Line {
    file: String,
    number: usize,
    hash: String,
    line: Option<ledger::Line>,
}

/// A line a commit of the branch added.
struct Added {
    commit: String,
    file: String,
    number: usize,
    text: String,
}

/// `desired` is what the manifests hold now (their tombstones need a removal on the ledger).
pub fn verify(
    config: &Config,
    desired: &Desired,
    opts: &Options,
) -> Result<Verification, VerifyError> {
    let git = Git::at(&config.root)?;
    let mut v = Verification {
        format_version: FORMAT_VERSION,
        verified: false,
        ledger: LedgerState {
            rev: opts.ledger_rev.to_string(),
            tip: git.commit(opts.ledger_rev)?,
            lines: 0,
            root: None,
            head: None,
            pinned: config.ledger_root.clone(),
        },
        manifests: Manifests {
            rev: opts.manifests_rev.to_string(),
            commit: git.commit(opts.manifests_rev)?,
        },
        notes: Vec::new(),
        findings: Vec::new(),
    };
    let Some(tip) = v.ledger.tip.clone() else {
        let why = match &config.ledger_root {
            Some(root) => format!(
                "the ledger branch does not exist, but dnc.yaml pins the chain root {}: it was deleted; restore it from a copy",
                short(root)
            ),
            None => "the ledger branch does not exist: nothing was recorded, or it was deleted"
                .to_string(),
        };
        v.findings.push(finding("root", opts.ledger_rev, why));
        return Ok(v);
    };
    let lines = read_lines(&git, &tip, &mut v)?;
    v.ledger.lines = lines.len();
    let messages = git.messages(&tip)?;
    let head = messages
        .first()
        .and_then(|(_, _, m)| chain::trailer(m, chain::HEAD_TRAILER).map(str::to_string));
    let order = check_chain(&lines, head.as_deref(), &tip, &mut v);
    check_root(config.ledger_root.as_deref(), &mut v);
    check_history(&git, &tip, &lines, order.as_deref(), &messages, &mut v)?;
    if let Some(manifests) = v.manifests.commit.clone() {
        let reachable: Vec<String> = git
            .run(&["rev-list", "--topo-order", &manifests])?
            .lines()
            .map(str::to_string)
            .collect();
        check_applied_commits(&git, &lines, &reachable, &mut v)?;
        check_never_applied(&git, config, &lines, &reachable, &mut v)?;
        at_commit::check(&git, config, &lines, &reachable, &mut v.findings)?;
        check_tombstones(desired, &lines, &mut v);
    } else {
        v.findings.push(finding(
            "commit",
            opts.manifests_rev,
            "the manifests' branch does not exist here: applied commits cannot be checked"
                .to_string(),
        ));
    }
    v.findings.sort();
    v.findings.dedup();
    v.verified = v.findings.is_empty();
    Ok(v)
}

fn finding(check: &'static str, at: &str, message: String) -> Finding {
    Finding {
        check,
        at: at.to_string(),
        message,
    }
}

fn short(hash: &str) -> &str {
    &hash[..12.min(hash.len())]
}

/// Every line of every month file at the tip; a torn last line is noted, any other line
/// that is not a record is a finding.
fn read_lines(git: &Git, tip: &str, v: &mut Verification) -> Result<Vec<Line>, VerifyError> {
    let mut lines = Vec::new();
    let files = git.run(&["ls-tree", "-r", "--name-only", tip])?;
    for file in files.lines().filter(|f| f.ends_with(".jsonl")) {
        let blob = git.run(&["cat-file", "blob", &format!("{tip}:{file}")])?;
        let count = blob.lines().count();
        for (i, text) in blob.lines().enumerate() {
            let at = format!("{file}:{}", i + 1);
            let line = match ledger::Line::parse(text) {
                Ok(line) => Some(line),
                Err(_) if i + 1 == count && !blob.ends_with('\n') => {
                    v.notes.push(format!(
                        "{at}: a torn last line (a write cut short), not read"
                    ));
                    continue;
                }
                Err(e) => {
                    v.findings.push(finding(
                        "line",
                        &at,
                        format!("not a ledger record ({e}): forged or corrupted"),
                    ));
                    None
                }
            };
            lines.push(Line {
                file: file.to_string(),
                number: i + 1,
                hash: chain::hash(text),
                line,
            });
        }
    }
    Ok(lines)
}

impl Line {
    fn at(&self) -> String {
        format!("{}:{}", self.file, self.number)
    }

    fn prev(&self) -> Option<&str> {
        self.line.as_ref()?.prev()
    }

    fn parsed(&self) -> bool {
        self.line.is_some()
    }

    /// An operation's line.
    fn record(&self) -> Option<&Record> {
        match &self.line {
            Some(ledger::Line::Operation(r)) => Some(r),
            _ => None,
        }
    }

    /// The plan and applied commit the line names, as its commit's trailers must.
    fn written(&self) -> Option<(&str, Option<&str>)> {
        let line = self.line.as_ref()?;
        Some((line.plan_hash(), line.commit()))
    }
}

/// One root, links that all resolve, no fork, and every line on the way from the head.
/// Returns the chain's lines oldest first (indices into `lines`) when it runs whole from the
/// head to the genesis value.
fn check_chain(
    lines: &[Line],
    head: Option<&str>,
    tip: &str,
    v: &mut Verification,
) -> Option<Vec<usize>> {
    let by_hash: HashMap<&str, usize> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.hash.as_str(), i))
        .collect();
    let mut linked: HashMap<&str, &Line> = HashMap::new();
    let mut flagged: HashSet<&str> = HashSet::new();
    for line in lines.iter().filter(|l| l.parsed()) {
        let Some(prev) = line.prev() else {
            v.findings.push(finding(
                "chain",
                &line.at(),
                "the line carries no `prev`: it is outside the chain (added by hand, or before dnc chained its ledger)".into(),
            ));
            flagged.insert(&line.hash);
            continue;
        };
        if prev != chain::GENESIS && !by_hash.contains_key(prev) {
            v.findings.push(finding(
                "chain",
                &line.at(),
                format!(
                    "its `prev` {} names no line on the branch: the line before it was changed or removed",
                    short(prev)
                ),
            ));
            flagged.insert(&line.hash);
        }
        if let Some(first) = linked.insert(prev, line) {
            v.findings.push(finding(
                "chain",
                &line.at(),
                format!(
                    "links to the same line as {}: a line was inserted or the chain forks",
                    first.at()
                ),
            ));
            flagged.insert(&line.hash);
        }
    }
    let roots: Vec<&Line> = lines
        .iter()
        .filter(|l| l.prev() == Some(chain::GENESIS))
        .collect();
    for extra in roots.iter().skip(1) {
        v.findings.push(finding(
            "chain",
            &extra.at(),
            format!(
                "a second first line (its `prev` is the genesis value; the first is {}): a chain was started again",
                roots[0].at()
            ),
        ));
    }
    v.ledger.root = roots.first().map(|l| l.hash.clone());
    let Some(head) = head else {
        v.findings.push(finding(
            "chain",
            &format!("commit {}", short(tip)),
            format!(
                "the tip commit names no chain head (`{}:` trailer): it was not written by dnc",
                chain::HEAD_TRAILER
            ),
        ));
        return None;
    };
    v.ledger.head = Some(head.to_string());
    let mut on_chain: HashSet<&str> = HashSet::new();
    let mut order = Vec::new();
    let mut at = head;
    while at != chain::GENESIS {
        let Some(&i) = by_hash.get(at) else {
            if at == head {
                v.findings.push(finding(
                    "chain",
                    &format!("commit {}", short(tip)),
                    format!(
                        "the tip commit names the chain head {}, which is no line on the branch: the last lines were removed or changed",
                        short(head)
                    ),
                ));
            }
            // A broken link is already a finding; the lines before it are not also blamed.
            return None;
        };
        if !on_chain.insert(at) {
            return None;
        }
        order.push(i);
        at = lines[i].prev().unwrap_or(chain::GENESIS);
    }
    order.reverse();
    for line in lines.iter().filter(|l| l.parsed()) {
        if !on_chain.contains(line.hash.as_str()) && !flagged.contains(line.hash.as_str()) {
            v.findings.push(finding(
                "chain",
                &line.at(),
                "the line is not on the chain that ends at the head the tip commit names: added outside dnc".into(),
            ));
        }
    }
    Some(order)
}

fn check_root(pinned: Option<&str>, v: &mut Verification) {
    let Some(root) = v.ledger.root.clone() else {
        return;
    };
    match pinned {
        Some(pin) if pin == root => {}
        Some(pin) => v.findings.push(finding(
            "root",
            "dnc.yaml",
            format!(
                "dnc.yaml pins the chain root {}, the branch's chain starts at {}: the ledger branch was replaced",
                short(pin),
                short(&root)
            ),
        )),
        None => v.findings.push(finding(
            "root",
            "dnc.yaml",
            format!(
                "dnc.yaml pins no chain root: a replaced branch would go unnoticed; add `ledger: {{root: {root}}}` in a reviewed change"
            ),
        )),
    }
}

/// The branch was only ever appended to, by dnc. When every commit names a head on the chain
/// at increasing places, each commit's lines are the chain's segment up to its head, and no
/// commit changed a line before it (that line's hash, and so every later link, would differ):
/// the commit messages prove it, without reading diffs. Otherwise each commit's diff is read
/// for the lines it changed or removed.
fn check_history(
    git: &Git,
    tip: &str,
    lines: &[Line],
    order: Option<&[usize]>,
    messages: &[(String, usize, String)],
    v: &mut Verification,
) -> Result<(), VerifyError> {
    for (commit, parents, _) in messages {
        if *parents > 1 {
            v.findings.push(finding(
                "history",
                &format!("commit {}", short(commit)),
                "a merge on the ledger branch: dnc only appends commits".into(),
            ));
        }
    }
    if let Some(order) = order
        && let Some(segments) = segments(order, lines, messages)
    {
        for (k, range) in segments {
            let (commit, _, message) = &messages[k];
            for line in order[range].iter().map(|&i| &lines[i]) {
                let at = format!("{}, commit {}", line.at(), short(commit));
                check_written_by_dnc(&at, line.written(), message, v);
            }
        }
        return Ok(());
    }
    let added = git.added_lines(tip, v)?;
    let by_commit: HashMap<&str, &str> = messages
        .iter()
        .map(|(c, _, m)| (c.as_str(), m.as_str()))
        .collect();
    let mut heads: HashMap<&str, bool> = HashMap::new();
    for a in &added {
        let Some(message) = by_commit.get(a.commit.as_str()) else {
            continue;
        };
        let at = format!("{}:{}, commit {}", a.file, a.number, short(&a.commit));
        let line = ledger::Line::parse(&a.text).ok();
        let written = line.as_ref().map(|l| (l.plan_hash(), l.commit()));
        check_written_by_dnc(&at, written, message, v);
        let head = chain::trailer(message, chain::HEAD_TRAILER);
        *heads.entry(a.commit.as_str()).or_default() |= head == Some(&chain::hash(&a.text));
    }
    for (commit, named) in heads {
        if !named {
            v.findings.push(finding(
                "history",
                &format!("commit {}", short(commit)),
                format!(
                    "the commit's `{}:` trailer names none of the lines it added: not written by dnc",
                    chain::HEAD_TRAILER
                ),
            ));
        }
    }
    Ok(())
}

/// Each commit's lines as places in `order`, oldest commit first; `None` unless every commit
/// names a head further along the chain than the one before, the last the chain's end.
fn segments(
    order: &[usize],
    lines: &[Line],
    messages: &[(String, usize, String)],
) -> Option<Vec<(usize, std::ops::Range<usize>)>> {
    let place: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(p, &i)| (lines[i].hash.as_str(), p))
        .collect();
    let mut start = 0;
    let mut out = Vec::with_capacity(messages.len());
    for (k, (_, _, message)) in messages.iter().enumerate().rev() {
        let end = place.get(chain::trailer(message, chain::HEAD_TRAILER)?)? + 1;
        if end <= start {
            return None;
        }
        out.push((k, start..end));
        start = end;
    }
    (start == order.len()).then_some(out)
}

/// A line dnc wrote names a plan and an applied commit that its commit's trailers name too.
fn check_written_by_dnc(
    at: &str,
    written: Option<(&str, Option<&str>)>,
    message: &str,
    v: &mut Verification,
) {
    let Some((plan_hash, commit)) = written else {
        return;
    };
    let trailers = |name: &str| -> BTreeSet<&str> {
        message
            .lines()
            .filter_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
            .collect()
    };
    if !trailers("Plan").contains(plan_hash) {
        v.findings.push(finding(
            "history",
            at,
            format!(
                "the line's plan {} is not among the plans its commit records: not written by dnc apply",
                short(plan_hash)
            ),
        ));
    }
    if let Some(c) = commit
        && !trailers("Applied-commit").contains(c)
    {
        v.findings.push(finding(
            "history",
            at,
            format!(
                "the line's applied commit {} is not among the commits its ledger commit records: not written by dnc apply",
                short(c)
            ),
        ));
    }
}

/// Every applied commit exists and is on the manifests' branch.
fn check_applied_commits(
    git: &Git,
    lines: &[Line],
    reachable: &[String],
    v: &mut Verification,
) -> Result<(), VerifyError> {
    let reachable: HashSet<&str> = reachable.iter().map(String::as_str).collect();
    let mut first: BTreeMap<&str, (&Line, usize)> = BTreeMap::new();
    for line in lines {
        if let Some(c) = line.written().and_then(|(_, c)| c)
            && !reachable.contains(c)
        {
            first.entry(c).or_insert((line, 0)).1 += 1;
        }
    }
    for (commit, (line, count)) in first {
        let exists = git.commit(&format!("{commit}^{{commit}}"))?.is_some();
        let why = if exists {
            "is not on the manifests' branch: it was rewritten (force-pushed) or applied from another branch"
        } else {
            "exists nowhere in this repository: the line is forged, or its commit was rewritten and is gone"
        };
        v.findings.push(finding(
            "commit",
            &line.at(),
            format!(
                "applied commit {} (on {count} ledger line(s)) {why}",
                short(commit)
            ),
        ));
    }
    Ok(())
}

/// Every number the manifests' branch added since the first applied commit has some ledger
/// operation (numbers added before the ledger began were adopted from the dialer).
fn check_never_applied(
    git: &Git,
    config: &Config,
    lines: &[Line],
    reachable: &[String],
    v: &mut Verification,
) -> Result<(), VerifyError> {
    let applied: HashSet<&str> = lines
        .iter()
        .filter_map(|l| l.record()?.commit.as_deref())
        .collect();
    // Newest first (topological order): the first applied commit met is the newest.
    let order: Vec<&str> = reachable
        .iter()
        .map(String::as_str)
        .filter(|c| applied.contains(c))
        .collect();
    let (Some(tip), Some(oldest)) = (reachable.first(), order.last().copied()) else {
        return Ok(());
    };
    let range = match git.commit(&format!("{oldest}^"))? {
        Some(_) => format!("{oldest}^..{tip}"),
        None => tip.to_string(),
    };
    let in_ledger: HashSet<String> = lines
        .iter()
        .filter_map(|l| l.record())
        .map(|r| r.phone_number.clone())
        .collect();
    let prefix = git.0.prefix.clone();
    let specs: Vec<String> = ["yaml", "yml", "csv"]
        .iter()
        .map(|ext| format!(":(glob){prefix}**/*.{ext}"))
        .collect();
    let log = git.0.added_lines(&range, &specs)?;
    let mut seen: HashSet<String> = HashSet::new();
    for (commit, file, number, text) in diff_lines(&log).added {
        for digits in digit_runs(&text) {
            // Most runs are numbers the ledger has: found without parsing them.
            if (0..=3.min(digits.len())).any(|skip| in_ledger.contains(&digits[skip..])) {
                continue;
            }
            let Ok((p, _)) = phone::normalize(config.phone_code, &digits) else {
                continue;
            };
            let national = p.national.to_string();
            if in_ledger.contains(&national) || !seen.insert(national) {
                continue;
            }
            v.findings.push(finding(
                "manifests",
                &format!(
                    "{}:{number}, commit {}",
                    file.strip_prefix(&prefix).unwrap_or(&file),
                    short(&commit)
                ),
                format!(
                    "{} was added on the manifests' branch and has no ledger operation: never applied (or not yet), or its lines were dropped",
                    p.display(),
                ),
            ));
        }
    }
    Ok(())
}

/// Every tombstone whose entry the ledger created has a removal after that creation.
fn check_tombstones(desired: &Desired, lines: &[Line], v: &mut Verification) {
    let mut last: HashMap<crate::entry::Key, ChangeKind> = HashMap::new();
    for r in lines.iter().filter_map(|l| l.record()) {
        last.insert(r.key(), r.change);
    }
    for t in &desired.tombstones {
        if matches!(
            last.get(&t.key),
            Some(ChangeKind::Create | ChangeKind::Update)
        ) {
            v.findings.push(finding(
                "manifests",
                &t.source.to_string(),
                format!(
                    "{} in scope {} is tombstoned, but the ledger has no removal after its creation: never applied (or not yet), or its lines were dropped",
                    t.key.phone.display(),
                    t.key.scope
                ),
            ));
        }
    }
}

/// The runs of digits in a line that may spell a phone number (separators allowed between
/// digits), at least seven digits long; a run touching a letter is part of a word or a hash.
fn digit_runs(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut digits = String::new();
    let mut in_word = false;
    for c in line.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !" -.()+".contains(c) || c.is_alphanumeric() {
            let word = c.is_alphanumeric();
            if digits.len() >= 7 && !in_word && !word {
                out.push(std::mem::take(&mut digits));
            }
            digits.clear();
            in_word = word;
        } else if digits.is_empty() {
            in_word = false;
        }
    }
    out
}

/// The lines a `git log -p --unified=0` added and removed, with their commit, file and
/// line number (in the new file for added lines, the old one for removed lines).
#[derive(Default)]
struct DiffLines {
    added: Vec<(String, String, usize, String)>,
    removed: Vec<(String, String, usize)>,
}

fn diff_lines(log: &str) -> DiffLines {
    let mut out = DiffLines::default();
    for chunk in log.split('\x1e').filter(|c| !c.is_empty()) {
        let mut lines = chunk.lines();
        let head = lines.next().unwrap_or_default();
        let commit = head
            .split('\x1f')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let (mut file, mut old, mut new, mut in_hunk) = (String::new(), 0, 0, false);
        for line in lines {
            if line.starts_with("diff --git ") {
                in_hunk = false;
            } else if !in_hunk {
                if let Some(f) = line.strip_prefix("--- a/").or(line.strip_prefix("+++ b/")) {
                    file = f.to_string();
                } else if let Some(h) = line.strip_prefix("@@ ") {
                    (old, new) = hunk_start(h);
                    in_hunk = true;
                }
            } else if let Some(h) = line.strip_prefix("@@ ") {
                (old, new) = hunk_start(h);
            } else if let Some(text) = line.strip_prefix('+') {
                out.added
                    .push((commit.clone(), file.clone(), new, text.to_string()));
                new += 1;
            } else if line.starts_with('-') {
                out.removed.push((commit.clone(), file.clone(), old));
                old += 1;
            }
        }
    }
    out
}

/// `-a,b +c,d @@` → (a, c).
fn hunk_start(header: &str) -> (usize, usize) {
    let mut parts = header.split_whitespace();
    let num = |p: Option<&str>| {
        p.and_then(|p| p[1..].split(',').next()?.parse().ok())
            .unwrap_or(0)
    };
    (num(parts.next()), num(parts.next()))
}

/// git in the config's repository, with the calls only verify makes.
struct Git(Repo);

impl Git {
    fn at(root: &Path) -> Result<Git, VerifyError> {
        Repo::discover(root)?
            .map(Git)
            .ok_or_else(|| VerifyError::NoRepository(root.to_path_buf()))
    }

    fn run(&self, args: &[&str]) -> Result<String, VerifyError> {
        Ok(self.0.run(args)?)
    }

    /// The commit `rev` names; `None` when it names none.
    fn commit(&self, rev: &str) -> Result<Option<String>, VerifyError> {
        let spec = format!("{rev}^{{commit}}");
        Ok(self
            .0
            .run(&[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ])
            .ok()
            .map(|c| c.trim().to_string()))
    }

    /// Every commit of the branch, newest first: hash, number of parents, message.
    fn messages(&self, tip: &str) -> Result<Vec<(String, usize, String)>, VerifyError> {
        let log = self.run(&["log", "--format=%x1e%H%x1f%P%x1f%B", tip])?;
        Ok(log
            .split('\x1e')
            .filter_map(|c| {
                let mut f = c.splitn(3, '\x1f');
                let hash = f.next()?.trim().to_string();
                let parents = f.next()?.split_whitespace().count();
                Some((hash, parents, f.next()?.to_string()))
            })
            .collect())
    }

    /// The lines each commit of the branch added; a line any commit removed is a finding.
    fn added_lines(&self, tip: &str, v: &mut Verification) -> Result<Vec<Added>, VerifyError> {
        let log = self.run(&[
            "log",
            "--reverse",
            "-p",
            "--unified=0",
            "--no-renames",
            "--no-color",
            "--no-ext-diff",
            "--format=%x1e%H",
            tip,
            "--",
            ".",
            ":(exclude)README.md",
        ])?;
        let diff = diff_lines(&log);
        let mut removed: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (commit, file, line) in diff.removed {
            removed.entry((commit, file)).or_default().push(line);
        }
        for ((commit, file), numbers) in removed {
            let lines = match numbers.as_slice() {
                [one] => format!("{file}:{one}"),
                [first, .., last] => format!("{file}:{first}-{last}"),
                [] => file,
            };
            v.findings.push(finding(
                "history",
                &format!("{lines}, commit {}", short(&commit)),
                format!(
                    "the commit changed or removed {} line(s) that were already on the branch: the ledger may only be appended to",
                    numbers.len()
                ),
            ));
        }
        Ok(diff
            .added
            .into_iter()
            .map(|(commit, file, number, text)| Added {
                commit,
                file,
                number,
                text,
            })
            .collect())
    }
}

/// The verification as people read it.
pub fn human(v: &Verification) -> String {
    let mut out = String::new();
    let tip = v
        .ledger
        .tip
        .as_deref()
        .map_or("does not exist".to_string(), |t| format!("at {}", short(t)));
    out.push_str(&format!(
        "Ledger: {} {tip}, {} lines, chain root {}, head {}\n",
        v.ledger.rev,
        v.ledger.lines,
        v.ledger.root.as_deref().map_or("-", short),
        v.ledger.head.as_deref().map_or("-", short),
    ));
    out.push_str(&format!(
        "Pinned root (dnc.yaml): {}\n",
        v.ledger.pinned.as_deref().map_or("none", short)
    ));
    out.push_str(&format!(
        "Manifests: {} at {}\n",
        v.manifests.rev,
        v.manifests
            .commit
            .as_deref()
            .map_or("(no such commit)", short)
    ));
    for note in &v.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    if v.verified {
        out.push_str("\nVerified: the chain is whole, only ever appended to, pinned, and matches the manifests' branch.\n");
        return out;
    }
    out.push_str(&format!(
        "\nNOT VERIFIED: {} finding(s)\n",
        v.findings.len()
    ));
    for f in &v.findings {
        out.push_str(&format!("  [{}] {}: {}\n", f.check, f.at, f.message));
    }
    out
}

pub fn json(v: &Verification) -> String {
    serde_json::to_string_pretty(v).expect("a verification always serializes") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_name_their_lines() {
        let log = "\x1eabc\n\ndiff --git a/2026-03.jsonl b/2026-03.jsonl\n--- a/2026-03.jsonl\n+++ b/2026-03.jsonl\n@@ -2 +2 @@\n-old\n+new\n@@ -5,0 +6,2 @@\n+x\n+y\n";
        let d = diff_lines(log);
        assert_eq!(d.removed, [("abc".into(), "2026-03.jsonl".into(), 2)]);
        let added: Vec<(usize, &str)> = d.added.iter().map(|a| (a.2, a.3.as_str())).collect();
        assert_eq!(added, [(2, "new"), (6, "x"), (7, "y")]);
        assert_eq!(digit_runs("  - number: \"(202) 555-0143\""), ["2025550143"]);
        assert_eq!(digit_runs("+2025550144,1,global,DNC"), ["2025550144"]);
        assert!(digit_runs("ledger: {root: 0a7057924587b}").is_empty());
    }
}
