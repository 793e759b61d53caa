//! Small hostile servers on 127.0.0.1: redirects, totals that do not shrink when a read is
//! split, the same page again, entries of another campaign, a slow drip, credentials in the
//! API URL. Each ends in exit 1, a message naming the cause, and a bounded request count.

use crate::common::{Config, Project, Run, TOKEN, normalize, run, seed};
use dnc::api::{ApiError, Client, ClientConfig, SearchQuery};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One request as a hostile server sees it: path and form fields (query and body merged).
struct Request {
    path: String,
    form: HashMap<String, String>,
}

impl Request {
    fn field(&self, name: &str) -> Option<&str> {
        self.form.get(name).map(String::as_str)
    }

    fn offset(&self) -> u64 {
        self.field("offset")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0)
    }
}

/// What the server answers.
enum Reply {
    Json(String),
    Redirect(u16, String),
    /// A body promised and sent a byte at a time, every 50 ms, for at most 5 s.
    Drip,
}

/// A server answering every request with what `respond` says, one thread per connection.
struct Hostile {
    url: url::Url,
    requests: Arc<AtomicU64>,
}

impl Hostile {
    fn start(respond: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url =
            url::Url::parse(&format!("http://{}/v1/", listener.local_addr().unwrap())).unwrap();
        let requests = Arc::new(AtomicU64::new(0));
        let (count, respond) = (requests.clone(), Arc::new(respond));
        std::thread::spawn(move || {
            for sock in listener.incoming().flatten() {
                let (count, respond) = (count.clone(), respond.clone());
                std::thread::spawn(move || serve(sock, &count, &*respond));
            }
        });
        Hostile { url, requests }
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(sock: TcpStream, count: &AtomicU64, respond: &dyn Fn(&Request) -> Reply) {
    let mut reader = BufReader::new(sock.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    count.fetch_add(1, Ordering::SeqCst);
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let form = url::form_urlencoded::parse(query.as_bytes())
        .chain(url::form_urlencoded::parse(&body))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let request = Request {
        path: path.to_string(),
        form,
    };
    let mut sock = sock;
    let head = |status: &str, extra: &str, len: usize| {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n{extra}connection: close\r\n\r\n"
        )
    };
    match respond(&request) {
        Reply::Json(body) => {
            let _ = sock.write_all(format!("{}{body}", head("200 OK", "", body.len())).as_bytes());
        }
        Reply::Redirect(status, location) => {
            let text = format!("{status} Redirect");
            let extra = format!("location: {location}\r\n");
            let _ = sock.write_all(head(&text, &extra, 0).as_bytes());
        }
        Reply::Drip => {
            let _ = sock.write_all(head("200 OK", "", 1000).as_bytes());
            for _ in 0..100 {
                if sock.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// A search page of `count` entries of `campaign` from id `first_id`, counting `total`,
/// inserted today.
fn page(total: u64, first_id: u64, count: u64, campaign: i64) -> Reply {
    page_of(None, total, first_id, count, campaign)
}

/// [`page`] with entries inserted on `day` (`YYYY-MM-DD`) when given.
fn page_of(day: Option<&str>, total: u64, first_id: u64, count: u64, campaign: i64) -> Reply {
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let today = format!(
        "{} 10:00:00",
        day.map_or(today.as_str(), |d| &d[..10.min(d.len())])
    );
    let entries: Vec<String> = (first_id..first_id + count)
        .map(|id| {
            format!(
                r#"{{"id":"{id}","phone_number":"202555{:04}","campaign_id":"{campaign}","insert_date":"{today}","phone_code":"1"}}"#,
                id % 10_000
            )
        })
        .collect();
    Reply::Json(format!(
        r#"{{"data":{{"offset":0,"limit":1000,"total":{total},"entries":[{}]}}}}"#,
        entries.join(",")
    ))
}

const LIST: &str =
    "entries:\n  - number: \"202-555-0101\"\n    scope: global\n    reason: Customer Request\n";

/// `dnc ARGS` in `project` against `server`, with a 1000 offset cap (as the tests' sandboxes).
fn against(project: &Project, server: &Hostile, args: &[&str]) -> Run {
    run(project
        .command(args)
        .env("DNC_API_URL", server.url.as_str())
        .env("DNC_AUTH_TOKEN", TOKEN)
        .env("DNC_API_MAX_OFFSET", "1000")
        .env("DNC_RETRY_BUDGET", "1"))
}

fn global() -> Project {
    Project::new(
        &Config::new().scope("global", &[("prune", "true")]),
        &[("lists/global.yaml", LIST)],
    )
}

#[test]
fn a_redirect_is_an_error_naming_the_location_and_nothing_follows_it() {
    let elsewhere = Hostile::start(|_| page(0, 1, 0, 0));
    let project = global();
    for status in [301, 302, 307, 308] {
        let location = format!(
            "http://user:pw@127.0.0.1:{}/v1/dnc/search?auth_token={TOKEN}",
            elsewhere.url.port().unwrap()
        );
        let server = Hostile::start(move |_| Reply::Redirect(status, location.clone()));
        for args in [&["plan"][..], &["apply", "--yes"]] {
            let out = against(&project, &server, args).fails(1);
            let err = &out.stderr;
            assert_eq!(server.requests(), 1, "{status} {args:?}: {err}");
            assert!(!err.contains(TOKEN) && !err.contains("pw@"), "{err}");
            if status == 307 && args == ["plan"] {
                insta::assert_snapshot!(normalize(err), @r"
                    dnc::api::redirected

                      × dnc/search: the API answered HTTP 307, a redirect to http://
                      │ [REDACTED]@127.0.0.1:[port]/v1/dnc/search?[REDACTED]; dnc follows no
                      │ redirect and sent nothing there
                      help: a redirect would carry the auth token to wherever it points: set
                            DNC_API_URL (or --api-url) to the API's own https URL, after checking
                            where the redirect goes and why
                ");
            }
            assert!(err.contains(&format!("HTTP {status}")), "{err}");
            assert!(err.contains("dnc::api::redirected"), "{err}");
            server.requests.store(0, Ordering::SeqCst);
        }
    }
    assert_eq!(elsewhere.requests(), 0, "a redirect was followed");
    assert!(!project.path(".dnc/ledger.jsonl").exists());
}

#[tokio::test]
async fn a_github_redirect_is_an_error() {
    let elsewhere = Hostile::start(|_| Reply::Json("[]".into()));
    let target = format!("{}repos/acme/x/issues/7/comments", elsewhere.url);
    let server = Hostile::start(move |_| Reply::Redirect(308, target.clone()));
    let vars: HashMap<&str, String> = [
        ("GITHUB_ACTIONS", "true".to_string()),
        ("GITHUB_API_URL", server.url.to_string()),
        ("GITHUB_REPOSITORY", "acme/dnc-lists".to_string()),
        ("GITHUB_TOKEN", "ghs_secret".to_string()),
        ("DNC_RETRY_BASE_DELAY_MS", "1".to_string()),
    ]
    .into();
    let ctx = dnc::github::GithubContext::from_lookup(|n| vars.get(n).cloned())
        .unwrap()
        .unwrap();
    let err = dnc::github::upsert_sticky_comment(
        &ctx,
        7,
        "<!-- dnc-plan: dnc.yaml -->",
        "plan",
        dnc::github::WhenMissing::Create,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            dnc::github::GithubError::Redirected { status: 308, .. }
        ),
        "{err:?}"
    );
    assert_eq!((server.requests(), elsewhere.requests()), (1, 0));
}

#[test]
fn a_total_that_does_not_shrink_when_split_stops_the_read() {
    // Every search counts 2001 (past the 2000 one filter can page through), whatever its
    // filters, and lists entries of the day asked for: splitting it would never end.
    let server = Hostile::start(|r| page_of(r.field("insert_date"), 2001, 1 + r.offset(), 1000, 0));
    let out = against(&global(), &server, &["plan"]).fails(1);
    let requests = server.requests();
    // The first page, the last one the API pages to (for the dates), and one per day.
    assert_eq!(requests, 4, "{}", out.stderr);
    let tomorrow = (chrono::Utc::now() + chrono::Days::new(1)).format("%Y-%m-%d");
    let shown = normalize(&out.stdout).replace(&tomorrow.to_string(), "[tomorrow]");
    insta::assert_snapshot!(shown, @r"
        Target: Convoso API at [sandbox]/
        Plan [short-hash]
        INCOMPLETE: global could not be read completely, so this plan may miss changes there. dnc exits 1 and apply refuses it.

        global: INCOMPLETE READ, nothing could be read: narrower filters count 4002 entries, more than the 2001 of the filter they split ([campaign_id=0 insert_date=[tomorrow]] alone counts 2001): the API does not apply them, so splitting the read would never end; nothing is planned here
    ");
}

#[test]
fn the_same_page_again_stops_the_read() {
    // Counts 1500 entries and answers every offset with the first page.
    let server = Hostile::start(|_| page(1500, 1, 1000, 0));
    let out = against(&global(), &server, &["plan"]).fails(1);
    assert_eq!(
        server.requests(),
        2,
        "the scope was read again: {}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("repeats entries already read: the API does not page"),
        "{}",
        out.stdout
    );
}

#[test]
fn entries_of_another_campaign_make_the_read_incomplete() {
    let project = Project::new(
        &Config::new().scope("111", &[("prune", "true")]),
        &[(
            "lists/sales.yaml",
            "entries:\n  - number: \"202-555-0101\"\n    scope: 111\n    reason: DNC\n",
        )],
    );
    let server = Hostile::start(|r| {
        assert_eq!(r.field("campaign_id"), Some("111"), "{}", r.path);
        page(1, 7, 1, 222)
    });
    let out = against(&project, &server, &["plan"]).fails(1);
    assert_eq!(server.requests(), 1);
    insta::assert_snapshot!(normalize(&out.stdout), @r"
        Target: Convoso API at [sandbox]/
        Plan [short-hash]
        INCOMPLETE: campaign 111 could not be read completely, so this plan may miss changes there. dnc exits 1 and apply refuses it.

        campaign 111: INCOMPLETE READ, nothing could be read: search [campaign_id=111] failed: the API answered [campaign_id=111] with an entry of campaign_id 222: it does not apply the filter, so nothing it lists can be trusted to be in this scope; nothing is planned here
    ");
}

#[tokio::test]
async fn a_slow_drip_holds_a_call_for_at_most_the_budget_and_one_timeout() {
    let server = Hostile::start(|_| Reply::Drip);
    let (timeout, budget) = (Duration::from_millis(400), Duration::from_millis(600));
    let client = Client::new(ClientConfig {
        base_url: server.url.clone(),
        token: TOKEN.to_string().into(),
        timeout,
        retry: dnc::http::RetryPolicy {
            budget,
            base_delay: Duration::from_millis(1),
            ..dnc::http::RetryPolicy::default()
        },
        max_rps: None,
    })
    .unwrap();
    let started = Instant::now();
    let err = client.search(&SearchQuery::default()).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, ApiError::Timeout { .. }), "{err:?}");
    // The budget counts from the sending of the first request: after 400 ms one retry fits,
    // after 800 ms none does. Counted from the first failure it would be three requests.
    assert_eq!(err.attempts(), 2);
    assert!(
        took < budget + timeout + Duration::from_millis(200),
        "{took:?}"
    );
}

#[test]
fn credentials_in_the_api_url_are_never_shown() {
    let sandbox = crate::common::Sandbox::start_seeded([seed("2025550199", 0).reason("old")], &[]);
    let project = global();
    let port = sandbox.url.port().unwrap();
    let url = format!("http://robot:hunter2@127.0.0.1:{port}/v1/?auth_token=leaked1");
    let with = |args: &[&str]| {
        run(project
            .command(args)
            .env("DNC_API_URL", &url)
            .env("DNC_AUTH_TOKEN", TOKEN))
    };
    let plan = with(&["plan"]).ok();
    let json = with(&["plan", "--format", "json", "--out", "p.json"]).ok();
    let import = with(&["import", "--out", "imported"]).ok();
    let header =
        std::fs::read_to_string(project.path("imported/imported-global.yaml")).unwrap_or_default();
    let bad = run(project
        .command(&["plan"])
        .env(
            "DNC_API_URL",
            "http://robot:hunter2@127.0.0.1:99999/v1/?auth_token=leaked1",
        )
        .env("DNC_AUTH_TOKEN", TOKEN))
    .fails(1);
    let saved = std::fs::read_to_string(project.path("p.json")).unwrap();
    for text in [
        &plan.stdout,
        &plan.stderr,
        &json.stdout,
        &json.stderr,
        &import.stdout,
        &import.stderr,
        &header,
        &bad.stderr,
        &saved,
    ] {
        assert!(
            !text.contains("hunter2") && !text.contains("leaked1") && !text.contains("robot"),
            "{text}"
        );
    }
    assert!(
        plan.stdout
            .contains("Target: Convoso API at http://[REDACTED]@127.0.0.1"),
        "{}",
        plan.stdout
    );
    insta::assert_snapshot!(normalize(&bad.stderr), @r#"
        dnc::target::bad_url

          × --api-url "http://[REDACTED]@127.0.0.1:[port]/v1/?[REDACTED]" is not a URL:
          │ invalid port number
          ╰─▶ invalid port number
          help: give the API's base URL, e.g. https://api.convoso.com/v1/
    "#);
}

#[test]
fn a_remote_number_with_a_non_ascii_digit_is_shown_escaped() {
    let server = Hostile::start(|_| {
        Reply::Json(
            r#"{"data":{"offset":0,"limit":1000,"total":1,"entries":[{"id":"9","phone_number":"202555০143","campaign_id":"0","insert_date":"2026-03-03","phone_code":"1"}]}}"#
                .into(),
        )
    });
    let out = against(&global(), &server, &["plan"]).ok();
    assert!(
        out.stdout
            .contains("+1 202555\\u{9e6}143  id 9  reason: (none)  (malformed remote entry"),
        "{}",
        out.stdout
    );
}

/// A plan records the API it was read from; applying it against another is refused before
/// anything is sent, even where both hold the same entries.
#[test]
fn a_plan_saved_against_one_target_is_refused_against_another() {
    let (a, b) = (
        crate::common::Sandbox::start(&[]),
        crate::common::Sandbox::start(&[]),
    );
    let project = global();
    project.dnc_ok(&a, &["plan", "--out", "p.json"]);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.path("p.json")).unwrap()).unwrap();
    assert_eq!(saved["target"], a.url.as_str());
    let before = b.requests();
    let out = project.dnc_fail(&b, 1, &["apply", "p.json", "--yes"]);
    assert_eq!(
        b.requests(),
        before,
        "apply sent requests to the other target"
    );
    let shown = out
        .stderr
        .replace(a.url.as_str(), "[a]/")
        .replace(b.url.as_str(), "[b]/");
    insta::assert_snapshot!(shown, @r"
        dnc::plan::other_target

          × p.json was planned against [a]/, not against
          │ [b]/: its changes were read from other lists than
          │ these; nothing was applied
          help: apply it with the target it was planned against, or make the plan
                against this one with `dnc plan --out FILE` and review that
    ");
    let sandboxed = run(&mut project.command(&["apply", "p.json", "--yes", "--sandbox"])).fails(1);
    let refusal = sandboxed.stderr.replace("\n  │ ", " ");
    assert!(
        refusal.contains("dnc::plan::other_target")
            && refusal.contains("not against embedded sandbox"),
        "{refusal}"
    );
    project.dnc_ok(&a, &["apply", "p.json", "--yes"]);
}

/// The lookup of every campaign holding a removed number checks the answer is about that
/// number: an answer listing other numbers leaves the removal's effect unknown, never
/// "still blocked in campaign 111" on the strength of someone else's entry.
#[test]
fn a_lookup_answering_other_numbers_leaves_the_effect_unknown() {
    let server = Hostile::start(|r| {
        let entry = |id: u64, number: &str, campaign: i64| {
            format!(
                r#"{{"id":"{id}","phone_number":"{number}","campaign_id":"{campaign}","insert_date":"2020-03-03","phone_code":"1"}}"#
            )
        };
        let entries = match r.field("phone_number") {
            Some(_) => vec![entry(5, "2025550199", 0), entry(6, "2025550100", 111)],
            None => vec![entry(5, "2025550199", 0)],
        };
        Reply::Json(format!(
            r#"{{"data":{{"offset":0,"limit":1000,"total":{},"entries":[{}]}}}}"#,
            entries.len(),
            entries.join(",")
        ))
    });
    let list = format!(
        "{LIST}removals:\n  - number: \"202-555-0199\"\n    scope: global\n    removal_reason: Consent given\n"
    );
    let project = Project::new(
        &Config::new().scope("global", &[]).safety(10),
        &[("lists/global.yaml", &list)],
    );
    let out = against(&project, &server, &["plan"]).ok();
    assert!(
        out.stdout
            .contains("effect unknown: other entries for this number were not looked up"),
        "{}",
        out.stdout
    );
}
