//! The API client against the real sandbox: typed calls, per-endpoint error kinds, retries
//! through injected faults, hostile answers, and a token that never shows.

use crate::common::{SDK, Sandbox, TOKEN, client_for};
use dnc::api::{
    ApiError, Client, ClientConfig, DeleteRequest, Endpoint, ErrorKind, InsertRequest, SearchQuery,
    TextFilter, UpdateRequest,
};
use dnc::entry::CampaignId;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn insert(number: &str, campaign: i64) -> InsertRequest {
    InsertRequest {
        phone_code: 1,
        phone_number: number.to_string(),
        campaign_id: CampaignId(campaign),
        reason: Some("Customer Request".to_string()),
        purpose: None,
    }
}

#[tokio::test]
async fn calls_round_trip() {
    let s = Sandbox::start(SDK);
    let c = s.client();
    let a = c.insert(&insert("2025550143", 0)).await.unwrap();
    assert_eq!(a.attempts, 1);
    let a_id = a
        .value
        .expect("the contract's insert answer carries the id");
    let b = c.insert(&insert("2025550144", 111)).await.unwrap();
    let b_id = b.value.expect("an id");
    assert!(b_id > a_id);

    let page = c
        .search(&SearchQuery {
            campaign_id: Some(CampaignId(111)),
            limit: 10,
            ..SearchQuery::default()
        })
        .await
        .unwrap();
    assert_eq!((page.offset, page.limit, page.total), (0, 10, 1));
    let e = &page.entries[0];
    assert_eq!(e.id, b_id);
    assert_eq!((e.phone_code, e.phone_number.as_str()), (1, "2025550144"));
    assert_eq!(e.campaign_id, CampaignId(111));
    assert_eq!(e.campaign_name.as_deref(), Some("Sales Campaign"));
    assert_eq!(e.reason.as_deref(), Some("Customer Request"));
    assert_eq!(e.purpose, None);
    assert_eq!(e.insert_date.len(), 19);

    let updated = c
        .update(&UpdateRequest {
            id: a_id,
            reason: Some(String::new()),
            purpose: Some("TELEMKT".to_string()),
        })
        .await
        .unwrap();
    assert_eq!(updated.value, Some(a_id));
    let blank = c
        .search(&SearchQuery {
            reason: Some(TextFilter::Blank),
            purpose: Some(TextFilter::Exact("TELEMKT".to_string())),
            ..SearchQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(blank.limit, 100, "limit 0 asks for the default page");
    assert_eq!(blank.entries.len(), 1);
    assert_eq!(blank.entries[0].id, a_id);
    assert_eq!(blank.entries[0].reason, None);

    let del = DeleteRequest {
        phone_code: 1,
        phone_number: "2025550144".to_string(),
        campaign_id: CampaignId(111),
        lead_status: Some("NEW".to_string()),
    };
    assert_eq!(c.delete(&del).await.unwrap().attempts, 1);
    let gone = c.delete(&del).await.unwrap_err();
    assert_eq!(gone.kind(), Some(ErrorKind::NotFound));
}

#[tokio::test]
async fn codes_map_per_endpoint() {
    let s = Sandbox::start(&["--reasons", "Customer Request"]);
    let c = s.client();
    c.insert(&insert("2025550143", 0)).await.unwrap();
    let rejected = |e: ApiError| match e {
        ApiError::Rejected {
            endpoint,
            code,
            kind,
            attempts,
            ..
        } => (endpoint, code, kind, attempts),
        other => panic!("not a rejection: {other:?}"),
    };
    let dup = c.insert(&insert("(202) 555-0143", 0)).await.unwrap_err();
    assert_eq!(
        rejected(dup),
        (Endpoint::Insert, 6008, ErrorKind::AlreadyExists, 1)
    );
    let bad = c.insert(&insert("12", 0)).await.unwrap_err();
    assert_eq!(rejected(bad).2, ErrorKind::InvalidPhone);
    let camp = c.insert(&insert("2025550145", 9)).await.unwrap_err();
    assert_eq!(rejected(camp).2, ErrorKind::InvalidCampaign);
    let mut r = insert("2025550145", 0);
    r.reason = Some("Other".to_string());
    assert_eq!(
        c.insert(&r).await.unwrap_err().kind(),
        Some(ErrorKind::InvalidReason)
    );

    let missing = c
        .update(&UpdateRequest {
            id: 424242,
            reason: None,
            purpose: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        rejected(missing),
        (Endpoint::Update, 6056, ErrorKind::NotFound, 1)
    );

    let offset = c
        .search(&SearchQuery {
            offset: 100_001,
            ..SearchQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(rejected(offset).2, ErrorKind::InvalidOffset);
    let limit = c
        .search(&SearchQuery {
            limit: 1001,
            ..SearchQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        rejected(limit),
        (Endpoint::Search, 6008, ErrorKind::InvalidParameter, 1)
    );

    let del = c
        .delete(&DeleteRequest {
            phone_code: 1,
            phone_number: "2025550143".to_string(),
            campaign_id: CampaignId(31337),
            lead_status: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        rejected(del),
        (Endpoint::Delete, 6002, ErrorKind::InvalidCampaign, 1)
    );
}

#[tokio::test]
async fn retries_through_server_errors_and_throttling() {
    let s = Sandbox::start(&[
        "--fault-5xx",
        "0.3",
        "--fault-429",
        "0.2",
        "--retry-after",
        "0",
        "--seed",
        "7",
    ]);
    let c = s.client_with(30);
    let mut attempts = Vec::new();
    for n in 0..20 {
        let r = c
            .insert(&insert(&format!("20255501{n:02}"), 0))
            .await
            .unwrap();
        attempts.push(r.attempts);
    }
    assert!(attempts.iter().any(|&a| a > 1), "{attempts:?}");
    assert!(attempts.iter().sum::<u32>() > 25, "{attempts:?}");
    // Every insert happened exactly once, despite the retries.
    let page = c
        .search(&SearchQuery {
            limit: 1000,
            ..SearchQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 20);
}

#[tokio::test]
async fn gives_up_after_max_retries() {
    let s = Sandbox::start(&["--fault-5xx", "1"]);
    let err = s
        .client_with(2)
        .search(&SearchQuery::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Status {
                status: 500..=599,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.kind(), None);
}

#[tokio::test]
async fn a_bad_token_is_not_retried_and_not_shown() {
    let s = Sandbox::start(&[]);
    let wrong = "wrong-token-7c1e";
    let c = client_for(s.url.clone(), wrong, 5);
    let err = c.insert(&insert("2025550143", 0)).await.unwrap_err();
    assert!(
        matches!(&err, ApiError::Unauthorized { answer, .. } if answer == "HTTP 401"),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 1);
    for text in [format!("{err}"), format!("{err:?}"), format!("{c:?}")] {
        assert!(!text.contains(wrong), "{text}");
    }
    let cfg = ClientConfig {
        base_url: s.url.clone(),
        token: TOKEN.to_string().into(),
        timeout: Duration::from_secs(1),
        retry: dnc::http::RetryPolicy::at_most(0),
        max_rps: None,
    };
    assert!(!format!("{cfg:?}").contains(TOKEN));
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = url::Url::parse(&format!("http://{addr}/v1")).unwrap();
    let err = client_for(url, TOKEN, 2)
        .search(&SearchQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    assert_eq!(err.attempts(), 3);
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

/// Serves one canned HTTP answer per connection, whatever the request.
async fn hostile_server(status: &'static str, body: String) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0; 64 * 1024];
            let _ = sock.read(&mut buf).await;
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
    });
    url::Url::parse(&format!("http://{addr}/v1/")).unwrap()
}

#[tokio::test]
async fn hostile_answers_become_decode_errors_without_the_token() {
    let c = client_for(
        hostile_server("200 OK", format!("<html>{TOKEN}</html>")).await,
        TOKEN,
        3,
    );
    let err = c.insert(&insert("2025550143", 0)).await.unwrap_err();
    assert!(matches!(err, ApiError::Garbled { .. }), "{err:?}");
    assert_eq!(err.attempts(), 4, "a body that is not JSON is retried");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
    let cases = [
        ("200 OK", format!("{{\"success\":true,\"id\":\"{TOKEN}\"}}")),
        (
            "200 OK",
            "{\"data\":{\"offset\":0,\"limit\":1,\"total\":-3,\"entries\":[]}}".to_string(),
        ),
        (
            "200 OK",
            "{\"success\":false,\"text\":\"no code\"}".to_string(),
        ),
    ];
    for (status, body) in cases {
        let c = client_for(hostile_server(status, body.clone()).await, TOKEN, 3);
        let err = c.insert(&insert("2025550143", 0)).await.unwrap_err();
        assert!(matches!(err, ApiError::Decode { .. }), "{body}: {err:?}");
        assert_eq!(err.attempts(), 1, "decode errors are not retried");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
    }
    // Success without an id is no decode error: the caller confirms it by search.
    let c = client_for(
        hostile_server("200 OK", "{\"success\":true}".to_string()).await,
        TOKEN,
        3,
    );
    let sparse = c.insert(&insert("2025550143", 0)).await.unwrap();
    assert_eq!((sparse.value, sparse.attempts), (None, 1));
    let echo = format!("{{\"success\":false,\"code\":\"6007\",\"text\":\"dup {TOKEN}\"}}");
    let c = client_for(hostile_server("200 OK", echo).await, TOKEN, 0);
    let err = c.insert(&insert("2025550143", 0)).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::AlreadyExists));
    assert!(!format!("{err} {err:?}").contains(TOKEN));
    // A refused token is final; so is any other 4xx.
    for (status, want) in [("403 Forbidden", 403), ("404 Not Found", 404)] {
        let c = client_for(hostile_server(status, "{}".to_string()).await, TOKEN, 3);
        let err = c.search(&SearchQuery::default()).await.unwrap_err();
        let got = match &err {
            ApiError::Unauthorized { answer, .. } => answer.clone(),
            ApiError::Status { status, .. } => format!("HTTP {status}"),
            other => panic!("{other:?}"),
        };
        assert_eq!(got, format!("HTTP {want}"));
        assert_eq!(matches!(err, ApiError::Unauthorized { .. }), want == 403);
        assert_eq!(err.attempts(), 1);
    }
}

#[tokio::test]
async fn clones_insert_concurrently_each_entry_getting_its_own_id() {
    let s = Sandbox::start(&[]);
    let c: Client = s.client();
    let tasks: Vec<_> = (0..10)
        .map(|n| {
            let c = c.clone();
            tokio::spawn(async move { c.insert(&insert(&format!("20255502{n:02}"), 0)).await })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().value.expect("an id"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10);
}

#[tokio::test]
async fn timeouts_are_retried_then_reported() {
    let s = Sandbox::start(&["--latency-ms", "3000"]);
    let c = Client::new(ClientConfig {
        base_url: s.url.clone(),
        token: TOKEN.to_string().into(),
        timeout: Duration::from_millis(200),
        retry: dnc::http::RetryPolicy {
            base_delay: Duration::from_millis(1),
            ..dnc::http::RetryPolicy::at_most(1)
        },
        max_rps: None,
    })
    .unwrap();
    let err = c.search(&SearchQuery::default()).await.unwrap_err();
    assert!(matches!(err, ApiError::Timeout { .. }), "{err:?}");
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn error_messages() {
    let s = Sandbox::start(&[]);
    let c = s.client();
    c.insert(&insert("2025550143", 0)).await.unwrap();
    let dup = c.insert(&insert("2025550143", 0)).await.unwrap_err();
    let gone = c
        .delete(&DeleteRequest {
            phone_code: 1,
            phone_number: "2025550199".to_string(),
            campaign_id: CampaignId::GLOBAL,
            lead_status: None,
        })
        .await
        .unwrap_err();
    let unauthorized = client_for(s.url.clone(), "nope", 0)
        .search(&SearchQuery::default())
        .await
        .unwrap_err();
    let shown: Vec<String> = [dup, gone, unauthorized]
        .iter()
        .map(|e| e.to_string())
        .collect();
    insta::assert_snapshot!(shown.join("\n"), @r#"
    dnc/insert refused the request: 6008 "Phone already in DNC" (dnc reads it as: already exists)
    dnc/delete refused the request: 6001 "Phone not found in DNC" (dnc reads it as: not found)
    dnc/search: the API refused the auth token (HTTP 401); nothing further was sent
    "#);
}
