//! The approval trail: applies on merge inside GitHub Actions (against a GitHub look-alike on
//! loopback) record the pull request behind each applied commit, its author, approvers and
//! merger; overrides with who gave them; a refused apply as a `refused` line. The ledger,
//! history and report show them, the report flags self-merges and merges without an approving
//! review, and `dnc verify` covers the new lines like every other.

use crate::common::{self, Run, Sandbox, command, normalize, run};
use crate::github::{FakeGithub, Pull, REPO, TOKEN};
use crate::verify::{ONE_MORE, OPT_OUTS, REMOVALS};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The manifests' repository (origin), the team's clone, and the applies' outputs.
struct Trail {
    root: tempfile::TempDir,
    team: PathBuf,
    refused: Run,
    _sandbox: Sandbox,
    _github: FakeGithub,
}

fn git(dir: &Path, args: &[&str]) -> String {
    common::git(dir, args, "Alice Compliance", "2026-03-02T15:00:00+00:00")
}

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["push", "-q", "origin", "main"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

fn dnc_in(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = command(dir, args);
    cmd.env("HOME", dir).env("GIT_CONFIG_NOSYSTEM", "1");
    run(&mut cmd)
}

/// `dnc apply --yes --ledger-branch dnc-ledger` as the apply workflow runs it on the push of
/// `sha`, triggered by `actor`.
async fn apply_on_push(
    team: &Path,
    sandbox: &Sandbox,
    github: &FakeGithub,
    sha: &str,
    actor: &str,
    extra: &[&str],
) -> Run {
    let mut args = vec!["apply", "--yes", "--ledger-branch", "dnc-ledger"];
    args.extend(extra);
    let mut cmd = command(team, &args);
    cmd.env("HOME", team)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("DNC_TODAY", "2026-03-04")
        .envs(sandbox.target())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_API_URL", &github.api_url)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_SHA", sha)
        .env("GITHUB_ACTOR", "merge-bot")
        .env("GITHUB_TRIGGERING_ACTOR", actor);
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

/// Pull request `number` by `author`, merged by them as `sha`, with `reviews` of its head.
fn merged(
    github: &FakeGithub,
    sha: &str,
    number: u64,
    author: &'static str,
    reviews: &[(&str, &'static str)],
) {
    let mut store = github.store.lock().unwrap();
    store.merges.push((sha.to_string(), number));
    store.pulls.push(Pull {
        number,
        author,
        merged_by: Some(author),
        head: number.to_string().repeat(40),
    });
    for (login, state) in reviews {
        store.reviews.push((number, (*login).into(), state));
    }
}

/// Three merges: #7 by alice approved by bob merged by carol; #8 (which pins the ledger) by
/// dave merged by dave, approved only on an earlier commit; a direct push of an early removal,
/// refused without the flags, then applied with them by erin.
async fn trail() -> Trail {
    let root = tempfile::tempdir().unwrap();
    let team = crate::common::origin_and_clone(root.path(), "team");
    let sandbox = Sandbox::start(&[]);
    let github = FakeGithub::start().await;

    std::fs::write(team.join("dnc.yaml"), &*common::Config::standard()).unwrap();
    std::fs::create_dir_all(team.join("lists")).unwrap();
    std::fs::write(team.join("lists/opt-outs.yaml"), OPT_OUTS).unwrap();
    let first = commit(&team, "Two opt-outs (COMP-1201)");
    merged(
        &github,
        &first,
        7,
        "alice",
        &[("bob", "COMMENTED"), ("bob", "APPROVED")],
    );
    github.store.lock().unwrap().pulls[0].merged_by = Some("carol");
    let out = apply_on_push(&team, &sandbox, &github, &first, "carol", &[])
        .await
        .ok();
    let pin = crate::common::pin_line(&out.stdout);
    assert!(
        out.stdout
            .contains("Approval trail: PR #7 by alice, approved by bob, merged by carol"),
        "{}",
        out.stdout
    );

    std::fs::write(
        team.join("dnc.yaml"),
        format!("{}{pin}\n", &*common::Config::standard()),
    )
    .unwrap();
    std::fs::write(
        team.join("lists/opt-outs.yaml"),
        format!("{OPT_OUTS}{ONE_MORE}"),
    )
    .unwrap();
    let second = commit(&team, "Pin the ledger; one more opt-out");
    merged(&github, &second, 8, "dave", &[("bob", "APPROVED")]);
    // Bob approved an earlier commit of it only.
    github
        .store
        .lock()
        .unwrap()
        .reviewed_commits
        .insert((8, "bob".into()), "e".repeat(40));
    apply_on_push(&team, &sandbox, &github, &second, "dave", &[])
        .await
        .ok();

    let kept = OPT_OUTS.replace(
        "  - number: \"+1 202-555-0178\"\n    requested_at: 2026-03-02\n",
        "",
    );
    std::fs::write(
        team.join("lists/opt-outs.yaml"),
        format!("{kept}{ONE_MORE}"),
    )
    .unwrap();
    std::fs::write(team.join("lists/removals.yaml"), REMOVALS).unwrap();
    let third = commit(&team, "Consent re-obtained (COMP-1301)");
    let refused = apply_on_push(&team, &sandbox, &github, &third, "erin", &[])
        .await
        .fails(1);
    assert!(
        refused.stderr.contains("dnc::apply::removals"),
        "{}",
        refused.stderr
    );
    let flags = ["--allow-removals", "1", "--allow-early-removals", "1"];
    apply_on_push(&team, &sandbox, &github, &third, "erin", &flags)
        .await
        .ok();
    git(&team, &["fetch", "-q", "origin"]);
    Trail {
        root,
        team,
        refused,
        _sandbox: sandbox,
        _github: github,
    }
}

/// The run lines of the ledger branch.
fn run_lines(team: &Path) -> Vec<Value> {
    crate::common::ledger_branch_lines(team)
        .into_iter()
        .filter(|l| l.get("kind").is_some())
        .collect()
}

/// Run times change from run to run.
fn shown(text: &str) -> String {
    let time = regex::Regex::new(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}\.\d{3}Z| \d{2}:\d{2} UTC)")
        .unwrap();
    normalize(&time.replace_all(text, "[time]"))
}

#[tokio::test(flavor = "multi_thread")]
async fn applies_on_merge_record_who_decided_and_the_views_show_it() {
    let t = trail().await;
    // The refused attempt failed, said so, and was recorded on the branch.
    insta::assert_snapshot!(
        "refused_apply",
        shown(
            &t.refused
                .stderr
                .lines()
                .filter(|l| !l.starts_with("warning") && !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        )
    );
    let runs = run_lines(&t.team);
    let kinds: Vec<&str> = runs.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["run", "run", "refused", "run"]);
    assert_eq!(
        runs[0]["trail"],
        serde_json::json!({
            "state": "pull_request", "number": 7, "author": "alice",
            "approvers": ["bob"], "merged_by": "carol"
        })
    );
    assert_eq!(
        runs[1]["trail"]["stale_approvers"],
        serde_json::json!(["bob"])
    );
    assert_eq!(runs[2]["refused"]["gate"], "removals");
    assert_eq!(runs[2]["refused"]["removals"], 1, "typed: {}", runs[2]);
    assert_eq!(runs[2]["refused"]["early_removals"], 1);
    assert_eq!(
        runs[3]["trail"],
        serde_json::json!({ "state": "no_pull_request" })
    );
    assert_eq!(
        runs[3]["overrides"],
        serde_json::json!({ "allow_removals": 1, "allow_early_removals": 1 })
    );
    assert_eq!(
        runs[3]["by"],
        serde_json::json!({ "name": "erin", "from": "GITHUB_TRIGGERING_ACTOR" })
    );

    let ledger = dnc_in(&t.team, &["ledger", "--ledger-branch", "origin/dnc-ledger"]).ok();
    let runs_table = ledger
        .stdout
        .split("\nApply runs")
        .nth(1)
        .unwrap_or_default();
    insta::assert_snapshot!("ledger_runs", shown(&format!("Apply runs{runs_table}")));

    let history = dnc_in(
        &t.team,
        &[
            "history",
            "202-555-0178",
            "--ledger-branch",
            "origin/dnc-ledger",
        ],
    )
    .ok();
    let applied: Vec<&str> = history
        .stdout
        .lines()
        .filter(|l| l.contains("  applied  "))
        .collect();
    insta::assert_snapshot!("history_trail", shown(&applied.join("\n")));

    let report = |format: &str| {
        let args = [
            "report",
            "--since",
            "2026-01-01",
            "--until",
            "2030-12-31",
            "--ledger-branch",
            "origin/dnc-ledger",
            "--format",
            format,
        ];
        dnc_in(&t.team, &args).ok().stdout
    };
    let json: Value = serde_json::from_str(&report("json")).unwrap();
    let trail = json["approval_trail"].as_array().unwrap();
    let flags: Vec<&Value> = trail.iter().map(|r| &r["flags"]).collect();
    assert_eq!(
        flags,
        [
            &serde_json::json!([]),
            &serde_json::json!(["self-merge", "no approving review"]),
            &serde_json::json!(["no pull request"]),
            &serde_json::json!(["no pull request"]),
        ]
    );
    assert_eq!(trail[0]["operations"], 2);
    assert_eq!(trail[2]["outcome"], "refused");
    let html = report("html");
    let section = html
        .split("<h2>Approval trail")
        .nth(1)
        .and_then(|s| s.split("<h2>").next())
        .unwrap();
    let rows = section.replace("<tr", "\n<tr").replace("<p>", "\n<p>");
    insta::assert_snapshot!("report_trail", shown(&format!("<h2>Approval trail{rows}")));

    // The chain covers the new lines: the untampered branch verifies clean.
    let verified = dnc_in(&t.team, &["verify"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
    let json = dnc_in(&t.team, &["verify", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["findings"], serde_json::json!([]), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_approval_is_caught_by_the_chain() {
    let t = trail().await;
    let mallory = t.root.path().join("mallory");
    let origin = t.root.path().join("origin.git");
    git(
        t.root.path(),
        &["clone", "-q", origin.to_str().unwrap(), "mallory"],
    );
    git(&mallory, &["checkout", "-q", "dnc-ledger"]);
    let files = git(&mallory, &["ls-tree", "--name-only", "HEAD"]);
    let file = files.lines().find(|f| f.ends_with(".jsonl")).unwrap();
    let text = std::fs::read_to_string(mallory.join(file)).unwrap();
    // The self-merge made to look reviewed: bob's stale approval moved to the merged head.
    let forged = text.replacen(
        r#""approvers":[],"stale_approvers":["bob"]"#,
        r#""approvers":["bob"]"#,
        1,
    );
    assert_ne!(forged, text);
    std::fs::write(mallory.join(file), forged).unwrap();
    git(&mallory, &["commit", "-q", "-am", "fix"]);
    git(&mallory, &["push", "-q", "origin", "dnc-ledger"]);
    git(&t.team, &["fetch", "-q", "origin"]);
    let out = dnc_in(&t.team, &["verify"]).fails(1);
    let json = dnc_in(&t.team, &["verify", "--format", "json"]).fails(1);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let checks: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"chain"), "{}", out.stdout);
}

/// GitHub not answering is no reason to hold an opt-out back: the run is recorded with the
/// trail unknown and why, and a warning says so; nothing invents an approver.
#[test]
fn an_unknown_trail_is_recorded_with_its_reason() {
    let sandbox = Sandbox::start(&[]);
    let project = common::Project::new(
        &common::Config::standard(),
        &[(
            "lists/a.yaml",
            "entries:\n  - number: \"202-555-0143\"\n    scope: global\n    reason: Customer Request\n",
        )],
    );
    let out = run(project
        .targeting(&sandbox, &["apply", "--yes"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"))
    .ok();
    assert!(
        out.stderr
            .contains("warning: who approved this change is unknown (no GitHub token"),
        "{}",
        out.stderr
    );
    let ledger = std::fs::read_to_string(project.path(".dnc/ledger.jsonl")).unwrap();
    let first: Value = serde_json::from_str(ledger.lines().next().unwrap()).unwrap();
    assert_eq!(first["kind"], "run");
    assert_eq!(first["trail"]["state"], "unknown");
    assert!(
        first["trail"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("no GitHub token"),
        "{first}"
    );
    assert_eq!(
        first["by"],
        serde_json::json!({ "name": "unknown", "from": "unknown" })
    );
}

/// Outside GitHub Actions the override is authorized by the local git identity.
#[test]
fn a_local_override_names_the_git_identity() {
    let sandbox = Sandbox::start_seeded(
        [common::seed("2025550104", 0)
            .reason("Customer Request")
            .at("2026-11-02 09:00:00")],
        &[],
    );
    let project = common::Project::new(
        &common::Config::new().scope("global", &[]),
        &[(
            "lists/global.yaml",
            "removals:\n  - number: \"202-555-0104\"\n    scope: global\n    removal_reason: Entered by mistake\n",
        )],
    );
    git(project.dir.path(), &["init", "-q"]);
    git(
        project.dir.path(),
        &["config", "user.email", "dana@example.com"],
    );
    let flags = [
        "apply",
        "--yes",
        "--allow-removals",
        "1",
        "--allow-early-removals",
        "1",
    ];
    let out = project.dnc(&sandbox, &flags);
    let out = out.ok();
    assert!(out.stdout.contains("Applied: 1 done"), "{}", out.stdout);
    let ledger = std::fs::read_to_string(project.path(".dnc/ledger.jsonl")).unwrap();
    let first: Value = serde_json::from_str(ledger.lines().next().unwrap()).unwrap();
    assert_eq!(first["kind"], "run");
    assert_eq!(
        first["by"],
        serde_json::json!({ "name": "dana@example.com", "from": "git user.email" })
    );
    assert_eq!(first["overrides"]["allow_early_removals"], 1);
    assert!(first.get("trail").is_none(), "outside Actions: {first}");
}

/// A refusal the ledger branch will not take (dnc.yaml pins a chain the remote does not
/// have) stays in the local ledger, the apply says how to record it later, and still fails.
#[test]
fn a_refusal_the_ledger_branch_refuses_is_kept_locally() {
    let root = tempfile::tempdir().unwrap();
    let team = crate::common::origin_and_clone(root.path(), "team");
    let pinned = format!("ledger: {{root: {}}}\n", "a".repeat(64));
    std::fs::write(
        team.join("dnc.yaml"),
        &*common::Config::pruning(false, 1).with(&pinned),
    )
    .unwrap();
    let tombstones: String = (1..=3)
        .map(|i| format!("  - number: \"202-555-010{i}\"\n    scope: global\n    removal_reason: Consent given\n"))
        .collect();
    std::fs::create_dir_all(team.join("lists")).unwrap();
    std::fs::write(
        team.join("lists/out.yaml"),
        format!("removals:\n{tombstones}"),
    )
    .unwrap();
    commit(&team, "Three removals");
    let sandbox = Sandbox::start_seeded(
        (1..=3).map(|i| common::seed(&format!("202555010{i}"), 0).reason("DNC")),
        &[],
    );
    let mut cmd = command(&team, &["apply", "--yes", "--ledger-branch", "dnc-ledger"]);
    cmd.env("HOME", &team)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(sandbox.target());
    let out = run(&mut cmd).fails(1);
    let said: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("refusal") || l.starts_with("dnc::"))
        .collect();
    insta::assert_snapshot!(shown(&said.join("\n")), @"
    The refusal is recorded in the ledger ./.dnc/ledger.jsonl.
    warning: the refusal was not recorded on dnc-ledger: dnc-ledger does not exist, but dnc.yaml pins the ledger root [hash]: the ledger was deleted; restore the branch from a copy (a clone, a fork) and run `dnc verify`; record it later with `dnc ledger --ledger ./.dnc/ledger.jsonl --push-to dnc-ledger --remote origin`
    dnc::apply::removals
    ");
    let ledger = std::fs::read_to_string(team.join(".dnc/ledger.jsonl")).unwrap();
    let line: Value = serde_json::from_str(ledger.trim()).unwrap();
    assert_eq!(line["kind"], "refused");
    assert_eq!(line["refused"]["gate"], "removals");
}
