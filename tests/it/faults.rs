//! Never green when the read failed: every fault the API or the network can produce, for
//! each command that talks to the API, ends in the documented exit code, a message naming
//! the cause, and a bounded number of requests. Backoff is in milliseconds here
//! (`run::command` sets DNC_RETRY_BASE_DELAY_MS), so no test waits on real retry delays.

use crate::harness::{Sandbox, TOKEN};
use crate::project::{Project, seed, stderr, stdout};
use std::process::Output;

const CONFIG: &str = "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n    prune: true\n";
const LIST: &str =
    "entries:\n  - number: \"202-555-0101\"\n    scope: global\n    reason: Customer Request\n";
/// A budget all eight millisecond waves of one request fit in, whatever the jitter: the
/// announcements are the same on every run.
const BUDGET: &str = "5";

/// What a sandbox (or no server at all) does wrong.
struct Fault {
    name: &'static str,
    sandbox_args: &'static [&'static str],
    /// Serve nothing: the URL points at a closed port.
    refused: bool,
    token: &'static str,
    config: &'static str,
}

const UNKNOWN_SCOPE_CONFIG: &str = "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n  - scope: 999\n    name: Gone\n";

fn fault(name: &'static str, sandbox_args: &'static [&'static str]) -> Fault {
    Fault {
        name,
        sandbox_args,
        refused: false,
        token: TOKEN,
        config: CONFIG,
    }
}

/// The upper bound of requests one command may send against a fault: one search with its
/// eight retries; a failed request is not read again.
const MAX_REQUESTS: u64 = 9;

struct Run {
    out: Output,
    requests: u64,
}

fn run(f: &Fault, project: &Project, args: &[&str]) -> Run {
    let sandbox = Sandbox::start(f.sandbox_args);
    let url = if f.refused {
        "http://127.0.0.1:9/v1/".to_string()
    } else {
        sandbox.url.to_string()
    };
    let out = project
        .command(args)
        .env("DNC_API_URL", &url)
        .env("DNC_AUTH_TOKEN", f.token)
        .env("DNC_RETRY_BUDGET", BUDGET)
        .output()
        .expect("run dnc");
    Run {
        requests: sandbox.requests(),
        out,
    }
}

/// The sandbox's port and retry delays change from run to run; the rest must not.
fn stable(text: &str) -> String {
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let delay = regex::Regex::new(r"in \d+ ms").unwrap();
    let text = port.replace_all(text, "127.0.0.1:[port]");
    delay.replace_all(&text, "in [delay]").into_owned()
}

/// Runs plan, apply and import against `f`: exit 1, a reviewed message, few requests, no
/// ledger line.
fn check(f: &Fault) {
    let project = Project::new(f.config, &[("lists/global.yaml", LIST)]);
    for (command, args) in [
        ("plan", &["plan"][..]),
        ("apply", &["apply", "--yes"]),
        ("import", &["import", "--out", "imported"]),
    ] {
        let Run { out, requests } = run(f, &project, args);
        let what = format!("{} × {command}", f.name);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            requests <= MAX_REQUESTS,
            "{what}: {requests} requests: {err}"
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(!format!("{}{err}", stdout(&out)).contains(TOKEN));
        insta::assert_snapshot!(format!("fault_{}_{command}", f.name), stable(&err));
    }
    assert!(
        !project.path(".dnc/ledger.jsonl").exists(),
        "{}: apply recorded operations it should never have sent",
        f.name
    );
}

macro_rules! fault_matrix {
    ($($test:ident: $fault:expr;)*) => {
        $(
            #[test]
            fn $test() {
                check(&$fault);
            }
        )*
    };
}

fault_matrix! {
    a_wrong_token_is_fatal_at_once: Fault {
        token: "wrong-token",
        ..fault("wrong_token", &[])
    };
    forbidden_is_fatal_at_once: fault("forbidden", &["--variant", "forbidden"]);
    connection_refused_is_retried_then_an_error: Fault {
        refused: true,
        ..fault("connection_refused", &[])
    };
    an_unknown_campaign_is_a_config_error: Fault {
        config: UNKNOWN_SCOPE_CONFIG,
        ..fault("unknown_campaign", &[])
    };
    server_errors_are_retried_then_an_error: fault("all_5xx", &["--fault-5xx", "1", "--seed", "3"]);
    a_429_storm_is_retried_then_an_error: fault("429_storm", &["--fault-429", "1", "--retry-after", "0"]);
    an_html_502_page_is_retried_then_an_error: fault("html_502", &["--variant", "html-502"]);
    truncated_json_is_retried_then_an_error: fault("truncated_json", &["--variant", "truncated-json"]);
}

/// Plans, applies (a create and a removal) and plans again against a sandbox answering in
/// `variant`, then checks a refusal's text arrives.
fn decodes(variant: &str) {
    let config = "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\nsafety:\n  max_removals: 10\n  max_removal_percent: 100\n";
    let list = format!(
        "{LIST}removals:\n  - number: \"202-555-0199\"\n    scope: global\n    removal_reason: Consent given\n"
    );
    let project = Project::new(config, &[("lists/global.yaml", &list)]);
    let sandbox = Sandbox::start_seeded(
        [seed("2025550199", 0, Some("old"), None)],
        &["--variant", variant],
    );
    let plan = project.dnc(&sandbox, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    let apply = project.dnc(&sandbox, &["apply", "--yes"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let again = project.dnc(&sandbox, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    let duplicate = dnc::api::InsertRequest {
        phone_code: 1,
        phone_number: "2025550101".into(),
        campaign_id: dnc::entry::CampaignId::GLOBAL,
        reason: Some("again".into()),
        purpose: None,
    };
    let refused = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sandbox.client().insert(&duplicate))
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "dnc/insert refused the request: code 6008 (AlreadyExists): Phone already in DNC"
    );
}

macro_rules! variants {
    ($($test:ident: $variant:literal;)*) => {
        $(
            #[test]
            fn $test() {
                decodes($variant);
            }
        )*
    };
}

variants! {
    search_pages_without_the_data_wrapper_decode: "no-data-wrapper";
    answers_without_success_decode: "no-success";
    error_text_in_message_decodes: "message-text";
    error_text_in_error_decodes: "error-text";
}

#[test]
fn a_spent_budget_gives_up_and_sends_nothing_more() {
    let project = Project::new(
        "version: 1\nmanifests: [\"lists/*.yaml\"]\nphone_code: 1\nscopes:\n  - scope: global\n  - scope: purpose-type\n",
        &[("lists/global.yaml", LIST)],
    );
    let sandbox = Sandbox::start(&["--fault-5xx", "1"]);
    let out = project
        .command(&["plan"])
        .env("DNC_API_URL", sandbox.url.as_str())
        .env("DNC_AUTH_TOKEN", TOKEN)
        .env("DNC_RETRY_BUDGET", "0.004")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("the retry budget of 4 ms is spent, giving up"),
        "{err}"
    );
    // A few millisecond waves fit in 4 ms; once the budget is spent nothing is retried, and
    // a failed scope is not read again.
    let requests = sandbox.requests();
    assert!(requests <= MAX_REQUESTS, "{requests}: {err}");
}

#[test]
fn an_incomplete_plan_is_flagged_in_every_format_and_in_github() {
    let project = Project::new(CONFIG, &[("lists/global.yaml", LIST)]);
    let sandbox = Sandbox::start(&["--fault-5xx", "1"]);
    let (summary, outputs) = (project.path("summary.md"), project.path("outputs.txt"));
    let run = |format: &str| {
        project
            .command(&["plan", "--format", format])
            .env("DNC_API_URL", sandbox.url.as_str())
            .env("DNC_AUTH_TOKEN", TOKEN)
            .env("DNC_RETRY_BUDGET", "0")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_REPOSITORY", "acme/dnc-lists")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &outputs)
            .output()
            .unwrap()
    };
    let human = run("human");
    assert_eq!(human.status.code(), Some(1));
    let second = stdout(&human)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(second.starts_with("Plan "), "{}", stdout(&human));
    let third = stdout(&human)
        .lines()
        .nth(2)
        .unwrap_or_default()
        .to_string();
    assert!(
        third.starts_with("INCOMPLETE: global could not be read"),
        "{third}"
    );
    let json = run("json");
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["complete"], false);
    let markdown = run("markdown");
    assert_eq!(markdown.status.code(), Some(1));
    assert!(
        stdout(&markdown).contains("> [!CAUTION]\n> **Do not merge on this plan.** INCOMPLETE"),
        "{}",
        stdout(&markdown)
    );
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(written.contains("complete=false\n"), "{written}");
    assert!(written.contains("exitcode=1\n"), "{written}");
    assert!(!written.contains("exitcode=0"), "{written}");
}

#[test]
fn a_usage_error_never_exits_with_the_changes_code() {
    let project = Project::new(CONFIG, &[("lists/global.yaml", LIST)]);
    let out = project
        .command(&["plan", "--detailed-exitcod"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("usage_error", stderr(&out));
    let help = project.command(&["--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
}

#[test]
fn a_usage_error_in_a_workflow_writes_exitcode_1() {
    let project = Project::new(CONFIG, &[("lists/global.yaml", LIST)]);
    let outputs = project.path("outputs.txt");
    let out = project
        .command(&["plan", "--detailed-exitcod"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/dnc-lists")
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let written = std::fs::read_to_string(&outputs).unwrap_or_default();
    assert_eq!(written, "exitcode=1\n");
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let project = Project::new(CONFIG, &[("lists/global.yaml", LIST)]);
    // The reader is gone before dnc writes a byte, as after `| head -c 10` on a long plan.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = project
        .command(&["schema", "manifest"])
        .stdout(writer)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err, "");
}

#[test]
fn the_token_is_redacted_in_every_encoding() {
    let token = "tok+/=&%\"SECRET";
    let form: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    // A hostile proxy echoes the request body back, as form text, in an error page.
    let echo = format!("<html>502 from proxy: auth_token={form}&phone_code=1</html>");
    let server = canned_server("502 Bad Gateway", echo);
    let project = Project::new(CONFIG, &[("lists/global.yaml", LIST)]);
    let out = project
        .command(&["plan", "--format", "json", "--out", "p.json"])
        .env("DNC_API_URL", server.as_str())
        .env("DNC_AUTH_TOKEN", token)
        .env("DNC_RETRY_BUDGET", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("[REDACTED]"), "{all}");
    assert!(!all.contains("SECRET"), "{all}");
    let saved = std::fs::read_to_string(project.path("p.json")).unwrap();
    assert!(!saved.contains("SECRET"), "{saved}");
}

/// Serves one canned answer per connection on a thread, whatever the request.
fn canned_server(status: &'static str, body: String) -> url::Url {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut sock in listener.incoming().flatten() {
            let mut buf = vec![0; 64 * 1024];
            let _ = sock.read(&mut buf);
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes());
        }
    });
    url::Url::parse(&format!("http://{addr}/v1/")).unwrap()
}

#[tokio::test]
async fn after_a_refused_token_nothing_more_is_sent() {
    let sandbox = Sandbox::start(&[]);
    let client = crate::harness::client_for(sandbox.url.clone(), "wrong-token", 3);
    let query = dnc::api::SearchQuery::default();
    let first = client.search(&query).await.unwrap_err();
    assert!(
        matches!(first, dnc::api::ApiError::Unauthorized { .. }),
        "{first:?}"
    );
    assert_eq!(first.attempts(), 1, "a refused token is not retried");
    assert!(client.is_down());
    let second = client.search(&query).await.unwrap_err();
    assert_eq!(second.attempts(), 0);
    assert_eq!(sandbox.requests(), 1, "nothing was sent after the refusal");
}
