//! Never green when the read failed: every fault the API or the network can produce, for
//! each command that talks to the API, ends in the documented exit code, a message naming
//! the cause, and a bounded number of requests. Backoff is in milliseconds here
//! (`common::command` sets DNC_RETRY_BASE_DELAY_MS), so no test waits on real retry delays.

use crate::common::{Config, Project, Run, Sandbox, TOKEN, client_for, normalize, run, seed};

/// Global, pruned.
fn config() -> Config {
    Config::new().scope("global", &[("prune", "true")])
}

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
    config: Config,
}

fn fault(name: &'static str, sandbox_args: &'static [&'static str]) -> Fault {
    Fault {
        name,
        sandbox_args,
        refused: false,
        token: TOKEN,
        config: config(),
    }
}

/// The upper bound of requests one command may send against a fault: one search with its
/// eight retries; a failed request is not read again.
const MAX_REQUESTS: u64 = 9;

/// `dnc ARGS` against `f`, and how many requests the sandbox received.
fn against(f: &Fault, project: &Project, args: &[&str]) -> (Run, u64) {
    let sandbox = Sandbox::start(f.sandbox_args);
    let url = if f.refused {
        "http://127.0.0.1:9/v1/".to_string()
    } else {
        sandbox.url.to_string()
    };
    let out = run(project
        .command(args)
        .env("DNC_API_URL", &url)
        .env("DNC_AUTH_TOKEN", f.token)
        .env("DNC_RETRY_BUDGET", BUDGET));
    (out, sandbox.requests())
}

/// Runs plan, apply and import against `f`: exit 1, a reviewed message, few requests, no
/// ledger line.
fn check(f: &Fault) {
    let project = Project::new(&f.config, &[("lists/global.yaml", LIST)]);
    for (command, args) in [
        ("plan", &["plan"][..]),
        ("apply", &["apply", "--yes"]),
        ("import", &["import", "--out", "imported"]),
    ] {
        let (out, requests) = against(f, &project, args);
        let what = format!("{} × {command}", f.name);
        assert_eq!(out.code, 1, "{what}: {}", out.stderr);
        let err = out.stderr;
        assert!(
            requests <= MAX_REQUESTS,
            "{what}: {requests} requests: {err}"
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(!format!("{}{err}", out.stdout).contains(TOKEN));
        insta::assert_snapshot!(format!("fault_{}_{command}", f.name), normalize(&err));
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
        config: Config::new().scope("global", &[]).scope("999", &[("name", "Gone")]),
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
    let config = Config::new().scope("global", &[]).safety(10);
    let list = format!(
        "{LIST}removals:\n  - number: \"202-555-0199\"\n    scope: global\n    removal_reason: Consent given\n"
    );
    let project = Project::new(&config, &[("lists/global.yaml", &list)]);
    let sandbox = Sandbox::start_seeded(
        [seed("2025550199", 0).reason("old")],
        &["--variant", variant],
    );
    project.dnc_fail(&sandbox, 2, &["plan", "--detailed-exitcode"]);
    project.dnc_ok(&sandbox, &["apply", "--yes"]);
    project.dnc_ok(&sandbox, &["plan", "--detailed-exitcode"]);
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
        "dnc/insert refused the request: 6008 \"Phone already in DNC\" (dnc reads it as: already exists)"
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
        &Config::new()
            .scope("global", &[])
            .scope("purpose-type", &[]),
        &[("lists/global.yaml", LIST)],
    );
    let sandbox = Sandbox::start(&["--fault-5xx", "1"]);
    let out = run(project
        .targeting(&sandbox, &["plan"])
        .env("DNC_RETRY_BUDGET", "0.004"))
    .fails(1);
    let err = out.stderr;
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
    let project = Project::new(&config(), &[("lists/global.yaml", LIST)]);
    let sandbox = Sandbox::start(&["--fault-5xx", "1"]);
    let outputs = project.path("outputs.txt");
    let step = |format: &str| {
        run(project
            .targeting(&sandbox, &["plan", "--format", format])
            .env("DNC_RETRY_BUDGET", "0")
            .envs(project.github_step()))
    };
    let human = step("human").fails(1);
    let second = human.stdout.lines().nth(1).unwrap_or_default().to_string();
    assert!(second.starts_with("Plan "), "{}", human.stdout);
    let third = human.stdout.lines().nth(2).unwrap_or_default().to_string();
    assert!(
        third.starts_with("INCOMPLETE: global could not be read"),
        "{third}"
    );
    let json = step("json").fails(1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["complete"], false);
    let markdown = step("markdown").fails(1);
    assert!(
        markdown
            .stdout
            .contains("> [!CAUTION]\n> **Do not merge on this plan.** INCOMPLETE"),
        "{}",
        markdown.stdout
    );
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(written.contains("complete=false\n"), "{written}");
    assert!(written.contains("exitcode=1\n"), "{written}");
    assert!(!written.contains("exitcode=0"), "{written}");
}

#[test]
fn a_usage_error_never_exits_with_the_changes_code() {
    let project = Project::new(&config(), &[("lists/global.yaml", LIST)]);
    let out = run(&mut project.command(&["plan", "--detailed-exitcod"])).fails(1);
    insta::assert_snapshot!(out.stderr, @"
    error: unexpected argument '--detailed-exitcod' found

      tip: a similar argument exists: '--detailed-exitcode'

    Usage: dnc plan --detailed-exitcode [CONFIG]

    For more information, try '--help'.
    ");
    run(&mut project.command(&["--help"])).ok();
}

#[test]
fn a_usage_error_in_a_workflow_writes_exitcode_1() {
    let project = Project::new(&config(), &[("lists/global.yaml", LIST)]);
    let outputs = project.path("outputs.txt");
    run(project
        .command(&["plan", "--detailed-exitcod"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/dnc-lists")
        .env("GITHUB_OUTPUT", &outputs))
    .fails(1);
    let written = std::fs::read_to_string(&outputs).unwrap_or_default();
    assert_eq!(written, "exitcode=1\n");
}

#[test]
fn the_token_is_redacted_in_every_encoding() {
    let token = "tok+/=&%\"SECRET";
    let form: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    // A hostile proxy echoes the request body back, as form text, in an error page.
    let echo = format!("<html>502 from proxy: auth_token={form}&phone_code=1</html>");
    let server = canned_server("502 Bad Gateway", echo);
    let project = Project::new(&config(), &[("lists/global.yaml", LIST)]);
    let out = run(project
        .command(&["plan", "--format", "json", "--out", "p.json"])
        .env("DNC_API_URL", server.as_str())
        .env("DNC_AUTH_TOKEN", token)
        .env("DNC_RETRY_BUDGET", "0"))
    .fails(1);
    let all = format!("{}{}", out.stdout, out.stderr);
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
    let client = client_for(sandbox.url.clone(), "wrong-token", 3);
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
