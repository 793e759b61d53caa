//! `dnc sandbox` over raw HTTP: request styles, exact answer shapes, every error code an
//! input can trigger, search filters, pagination edges, persistence and concurrency.

use crate::common::{STYLES, Sandbox, Seed, Style, code_of, seed, send};
use dnc::sandbox::SeedEntry;
use serde_json::json;

/// The `n`-th test number, 202-555-nnnn.
fn number(n: u32) -> String {
    format!("202555{n:04}")
}

/// The params naming one entry.
fn key<'a>(number: &'a str, campaign: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("phone_number", number),
        ("phone_code", "1"),
        ("campaign_id", campaign),
    ]
}

const INSERT_OK: &[(&str, &str)] = &[
    ("phone_number", "(202) 555-0143"),
    ("phone_code", "1"),
    ("campaign_id", "0"),
];

async fn insert_id(s: &Sandbox, style: Style, params: &[(&str, &str)]) -> i64 {
    let (status, body) = s.raw("insert", style, params).await;
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_i64().expect("integer id");
    assert_eq!(body, json!({"success": true, "id": id}));
    id
}

#[tokio::test]
async fn every_endpoint_answers_every_request_style() {
    let s = Sandbox::start(&[]);
    for (i, style) in STYLES.into_iter().enumerate() {
        let number = format!("20255501{i:02}");
        let key = [
            ("phone_number", number.as_str()),
            ("phone_code", "1"),
            ("campaign_id", "111"),
        ];
        let mut insert = key.to_vec();
        insert.extend([("reason", "Customer Request"), ("purpose", "TELEMKT")]);
        let id = insert_id(&s, style, &insert).await;
        let id_s = id.to_string();

        let (status, body) = s.raw("search", style, &[("phone_number", &number)]).await;
        assert_eq!(status, 200);
        let date = body["data"]["entries"][0]["insert_date"].clone();
        assert_eq!(date.as_str().map(str::len), Some(19), "{body}");
        assert_eq!(
            body,
            json!({"data": {"offset": 0, "limit": 100, "total": 1, "entries": [{
                "id": id_s, "phone_number": number, "campaign_id": "111", "insert_date": date,
                "phone_code": "1", "campaign_uid": "111", "campaign_name": "Sales Campaign"}]}}),
            "{style:?}"
        );

        let (_, body) = s
            .raw("update", style, &[("id", &id_s), ("reason", "DNC")])
            .await;
        assert_eq!(body, json!({"success": true, "id": id}), "{style:?}");
        // The contract's entries show neither; the filters find what was stored.
        for filter in [("reason", "DNC"), ("purpose", "TELEMKT")] {
            let (_, body) = s.raw("search", style, &[("id", &id_s), filter]).await;
            assert_eq!(body["data"]["total"], 1, "{filter:?} {style:?}");
        }

        let (_, body) = s.raw("delete", style, &key).await;
        assert_eq!(body, json!({"success": true}), "{style:?}");
        let (_, body) = s.raw("search", style, &[("id", &id_s)]).await;
        assert_eq!(body["data"]["total"], 0, "{style:?}");
    }
}

#[tokio::test]
async fn body_params_override_query_params() {
    let s = Sandbox::start(&[]);
    let mut url = s.endpoint("insert");
    url.query_pairs_mut()
        .append_pair("auth_token", "wrong")
        .append_pair("phone_code", "1")
        .append_pair("campaign_id", "0");
    let (status, body) = send(
        url,
        Style::FormBody,
        &[
            ("auth_token", crate::common::TOKEN),
            ("phone_number", "2025550143"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
}

#[tokio::test]
async fn insert_error_codes() {
    let s = Sandbox::start(&["--reasons", "DNC,Customer Request", "--purposes", "TELEMKT"]);
    insert_id(&s, Style::FormBody, INSERT_OK).await;
    let long = "x".repeat(256);
    let cases: Vec<(Vec<(&str, &str)>, i64)> = vec![
        (
            vec![
                ("phone_number", "12345"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
            ],
            6006,
        ),
        (
            vec![
                ("phone_number", "hello"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
            ],
            6006,
        ),
        (
            vec![
                ("phone_number", "2025550143"),
                ("phone_code", "999"),
                ("campaign_id", "0"),
            ],
            6006,
        ),
        (
            vec![
                ("phone_number", "2025550143"),
                ("phone_code", "x"),
                ("campaign_id", "0"),
            ],
            6006,
        ),
        (
            vec![("phone_number", "2025550143"), ("campaign_id", "0")],
            6006,
        ),
        (vec![("phone_code", "1"), ("campaign_id", "0")], 6006),
        (
            vec![
                ("phone_number", "+44 20 7946 0018"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
            ],
            6006,
        ),
        (
            vec![
                ("phone_number", "2025550144"),
                ("phone_code", "1"),
                ("campaign_id", "5"),
            ],
            6026,
        ),
        (
            vec![
                ("phone_number", "2025550144"),
                ("phone_code", "1"),
                ("campaign_id", "zero"),
            ],
            6026,
        ),
        (
            vec![("phone_number", "2025550144"), ("phone_code", "1")],
            6026,
        ),
        // The same key in another notation is the same entry.
        (
            vec![
                ("phone_number", "+1 202-555-0143"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
            ],
            6008,
        ),
        (
            vec![
                ("phone_number", "2025550144"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
                ("reason", "Other"),
            ],
            6057,
        ),
        (
            vec![
                ("phone_number", "2025550144"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
                ("reason", &long),
            ],
            6057,
        ),
        (
            vec![
                ("phone_number", "2025550144"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
                ("reason", "-NOTBLANK-"),
            ],
            6057,
        ),
        (
            vec![
                ("phone_number", "2025550144"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
                ("purpose", "SURVEY"),
            ],
            6058,
        ),
    ];
    for (params, want) in cases {
        let (status, body) = s.raw("insert", Style::FormBody, &params).await;
        assert_eq!(code_of(status, &body), want, "{params:?}");
    }
    // Allowed values, and the unassigned-but-well-formed 555 range, are accepted.
    insert_id(
        &s,
        Style::FormBody,
        &[
            ("phone_number", "555-123-4567"),
            ("phone_code", "1"),
            ("campaign_id", "-1"),
            ("reason", "DNC"),
            ("purpose", "TELEMKT"),
        ],
    )
    .await;
}

#[tokio::test]
async fn update_error_codes_and_clearing() {
    let s = Sandbox::start(&["--profile", "sdk", "--purposes", "TELEMKT,VERIFY"]);
    let id = insert_id(
        &s,
        Style::FormBody,
        &[
            ("phone_number", "2025550143"),
            ("phone_code", "1"),
            ("campaign_id", "0"),
            ("reason", "Customer Request"),
            ("purpose", "TELEMKT"),
        ],
    )
    .await;
    insert_id(&s, Style::FormBody, &key("2025550144", "0")).await;
    let id_s = id.to_string();
    let id = id_s.as_str();
    let cases: Vec<(Vec<(&str, &str)>, i64)> = vec![
        (vec![("id", "999999")], 6056),
        (vec![("id", "abc")], 6056),
        (vec![], 6056),
        (vec![("id", id), ("phone_number", "12")], 6004),
        (vec![("id", id), ("phone_code", "999")], 6004),
        (vec![("id", id), ("campaign_id", "42")], 6026),
        (vec![("id", id), ("phone_number", "202-555-0144")], 6008),
        (vec![("id", id), ("reason", "bad\u{7}bell")], 6057),
        (vec![("id", id), ("purpose", "SURVEY")], 6058),
    ];
    for (params, want) in cases {
        let (status, body) = s.raw("update", Style::FormBody, &params).await;
        assert_eq!(code_of(status, &body), want, "{params:?}");
    }
    async fn read(
        s: &Sandbox,
        id: &str,
    ) -> (serde_json::Value, serde_json::Value, serde_json::Value) {
        let (_, body) = s.raw("search", Style::FormBody, &[("id", id)]).await;
        let e = &body["data"]["entries"][0];
        (
            e["reason"].clone(),
            e["purpose"].clone(),
            e["campaign_id"].clone(),
        )
    }
    // Nothing changed by the refused updates.
    assert_eq!(
        read(&s, id).await,
        (json!("Customer Request"), json!("TELEMKT"), json!(0))
    );
    // Absent leaves alone, empty clears, -BLANK- clears.
    s.raw("update", Style::FormBody, &[("id", id), ("reason", "")])
        .await;
    assert_eq!(read(&s, id).await, (json!(""), json!("TELEMKT"), json!(0)));
    s.raw(
        "update",
        Style::FormBody,
        &[("id", id), ("purpose", "-BLANK-")],
    )
    .await;
    assert_eq!(read(&s, id).await, (json!(""), json!(""), json!(0)));
    // The key can move to another campaign.
    let (_, body) = s
        .raw(
            "update",
            Style::GetQuery,
            &[("id", id), ("campaign_id", "111")],
        )
        .await;
    assert_eq!(body["success"], true);
    assert_eq!(read(&s, id).await.2, json!(111));
}

#[tokio::test]
async fn delete_error_codes() {
    let s = Sandbox::start(&[]);
    let key = [
        ("phone_number", "2025550143"),
        ("phone_code", "1"),
        ("campaign_id", "111"),
    ];
    insert_id(&s, Style::FormBody, &key).await;
    let cases: Vec<(Vec<(&str, &str)>, i64)> = vec![
        (
            vec![
                ("phone_number", "12"),
                ("phone_code", "1"),
                ("campaign_id", "111"),
            ],
            6000,
        ),
        (vec![("phone_code", "1"), ("campaign_id", "111")], 6000),
        (
            vec![
                ("phone_number", "2025550143"),
                ("phone_code", "1"),
                ("campaign_id", "0"),
            ],
            6001,
        ),
        (
            vec![
                ("phone_number", "2025550199"),
                ("phone_code", "1"),
                ("campaign_id", "111"),
            ],
            6001,
        ),
        (
            vec![
                ("phone_number", "2025550143"),
                ("phone_code", "1"),
                ("campaign_id", "77"),
            ],
            6002,
        ),
        (
            vec![("phone_number", "2025550143"), ("phone_code", "1")],
            6002,
        ),
        (
            vec![
                ("phone_number", "2025550143"),
                ("phone_code", "999"),
                ("campaign_id", "111"),
            ],
            6003,
        ),
        (
            vec![("phone_number", "2025550143"), ("campaign_id", "111")],
            6003,
        ),
        (
            vec![
                ("phone_number", "2025550143"),
                ("phone_code", "1"),
                ("campaign_id", "111"),
                ("update_lead_status", "maybe"),
            ],
            6005,
        ),
        (
            vec![
                ("phone_number", "2025550143"),
                ("phone_code", "1"),
                ("campaign_id", "111"),
                ("update_lead_status", "true"),
                ("lead_status", "not a status!"),
            ],
            6005,
        ),
    ];
    for (params, want) in cases {
        let (status, body) = s.raw("delete", Style::FormBody, &params).await;
        assert_eq!(code_of(status, &body), want, "{params:?}");
    }
    let mut with_status = key.to_vec();
    with_status.extend([("update_lead_status", "true"), ("lead_status", "NEW")]);
    let (_, body) = s.raw("delete", Style::PostQuery, &with_status).await;
    assert_eq!(body, json!({"success": true}));
    let (status, body) = s.raw("delete", Style::PostQuery, &key).await;
    assert_eq!(code_of(status, &body), 6001);
}

#[tokio::test]
async fn search_error_codes() {
    let s = Sandbox::start(&["--reasons", "DNC", "--purposes", "TELEMKT"]);
    let cases: Vec<(Vec<(&str, &str)>, i64)> = vec![
        (vec![("phone_number", "12"), ("phone_code", "1")], 6006),
        (vec![("phone_number", "202-555-abcd")], 6006),
        (vec![("phone_code", "999")], 6006),
        (vec![("phone_code", "one")], 6008),
        (vec![("id", "x")], 6008),
        (vec![("limit", "1001")], 6008),
        (vec![("limit", "0")], 6008),
        (vec![("limit", "-5")], 6008),
        (vec![("limit", "ten")], 6008),
        (vec![("insert_date", "2026-02-30")], 6008),
        (vec![("insert_date", "yesterday")], 6008),
        (vec![("campaign_id", "5")], 6026),
        (vec![("campaign_id", "all")], 6026),
        (vec![("reason", "-BLANKK-")], 6057),
        (vec![("reason", "Other")], 6057),
        (vec![("purpose", "-NOT-")], 6058),
        (vec![("purpose", "SURVEY")], 6058),
        (vec![("offset", "100001")], 7231),
        (vec![("offset", "-1")], 7231),
    ];
    for (params, want) in cases {
        let (status, body) = s.raw("search", Style::GetQuery, &params).await;
        assert_eq!(code_of(status, &body), want, "{params:?}");
    }
}

#[tokio::test]
async fn protocol_errors_are_json() {
    let s = Sandbox::start(&[]);
    let http = reqwest::Client::new();
    // No token, a wrong token, and the right token in the wrong parameter.
    for params in [
        vec![],
        vec![("auth_token", "nope")],
        vec![("token", crate::common::TOKEN)],
    ] {
        let (status, body) = send(s.endpoint("search"), Style::FormBody, &params).await;
        assert_eq!(status, 401, "{params:?}");
        assert_eq!(body["success"], false);
    }
    let (status, body) = crate::common::decode(
        http.get(s.url.join("dnc/nothing").unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &body["success"]), (404, &json!(false)));
    let (status, _) =
        crate::common::decode(http.put(s.endpoint("insert")).send().await.unwrap()).await;
    assert_eq!(status, 405);
    let huge = format!(
        "auth_token={}&reason={}",
        crate::common::TOKEN,
        "x".repeat(70_000)
    );
    let (status, _) = crate::common::decode(
        http.post(s.endpoint("insert"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413);
    for (ct, body) in [
        (
            "application/x-www-form-urlencoded",
            b"auth_token=x&phone_number=%FF%FE".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"auth_token=\xff\xfe".to_vec(),
        ),
        (
            "application/json",
            b"{\"auth_token\": {\"nested\": 1}}".to_vec(),
        ),
        ("application/json", b"[1, 2".to_vec()),
    ] {
        let (status, body) = crate::common::decode(
            http.post(s.endpoint("search"))
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 400, "{body}");
    }
    // A flat JSON body is read like a form.
    let (status, body) = crate::common::decode(
        http.post(s.endpoint("search"))
            .json(&json!({"auth_token": crate::common::TOKEN, "limit": 5}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &body["data"]["limit"]), (200, &json!(5)));
    // Still serving after all that.
    let (_, body) = s.raw("search", Style::GetQuery, &[]).await;
    assert_eq!(body["data"]["total"], 0);
}

fn seeded_filters() -> Vec<Seed> {
    let on = |n: u32, campaign: i64, date: &str| seed(&number(n), campaign).at(date);
    vec![
        on(1, 0, "2026-03-03 10:30:00").reason("DNC"),
        on(2, 0, "2026-03-03 14:30:00").purpose("TELEMKT"),
        on(3, 0, "2026-03-04 00:00:00")
            .reason("DNC")
            .purpose("VERIFY"),
        on(4, 111, "2026-03-03 10:30:00"),
        on(5, 111, "2026-03-02 23:59:59").reason("Customer Request"),
        on(6, -1, "2026-03-03 10:30:00").purpose("TELEMKT"),
        seed("2079460007", 0).code(44).at("2026-03-03 10:30:00"),
        on(1, 111, "2026-03-05 08:00:00"),
        // A campaign nobody registered (seeded from elsewhere): listed without a name.
        on(8, 444, "2026-03-05 08:00:00"),
    ]
}

type Params<'a> = &'a [(&'a str, &'a str)];

/// The phone numbers a search returns, in order, after checking `total`.
async fn numbers(s: &Sandbox, params: &[(&str, &str)]) -> Vec<String> {
    let (status, body) = s.raw("search", Style::FormBody, params).await;
    assert_eq!(status, 200, "{params:?}: {body}");
    let entries = body["data"]["entries"].as_array().unwrap();
    assert_eq!(body["data"]["total"], entries.len(), "{params:?}");
    let ids: Vec<i64> = entries
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "id order: {ids:?}");
    entries
        .iter()
        .map(|e| e["phone_number"].as_str().unwrap()[6..].to_string())
        .collect()
}

#[tokio::test]
async fn search_filters() {
    let s = Sandbox::start_seeded(seeded_filters(), &[]);
    let cases: &[(Params, &[&str])] = &[
        (
            &[],
            &[
                "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0001", "0008",
            ],
        ),
        (&[("campaign_id", "0")], &["0001", "0002", "0003", "0007"]),
        (&[("campaign_id", "-1")], &["0006"]),
        (&[("campaign_id", "111")], &["0004", "0005", "0001"]),
        (&[("phone_code", "44")], &["0007"]),
        (
            &[("campaign_id", "0"), ("phone_code", "1")],
            &["0001", "0002", "0003"],
        ),
        (&[("phone_number", "2025550001")], &["0001", "0001"]),
        (
            &[("phone_number", "(202) 555-0001"), ("phone_code", "1")],
            &["0001", "0001"],
        ),
        (&[("phone_number", "+1 202 555 0001")], &["0001", "0001"]),
        (
            &[("insert_date", "2026-03-03")],
            &["0001", "0002", "0004", "0006", "0007"],
        ),
        (
            &[("insert_date", "2026-03-03 10:30:00")],
            &["0001", "0004", "0006", "0007"],
        ),
        (&[("insert_date", "2026-03-02 23:59:59")], &["0005"]),
        (
            &[
                ("insert_date", "2026-03-03"),
                ("campaign_id", "0"),
                ("phone_code", "1"),
            ],
            &["0001", "0002"],
        ),
        (
            &[("reason", "-BLANK-")],
            &["0002", "0004", "0006", "0007", "0001", "0008"],
        ),
        (&[("reason", "-NOTBLANK-")], &["0001", "0003", "0005"]),
        (&[("reason", "Customer Request")], &["0005"]),
        (
            &[("purpose", "-NOTBLANK-"), ("reason", "-BLANK-")],
            &["0002", "0006"],
        ),
        (&[("purpose", "VERIFY")], &["0003"]),
        (&[("id", "3")], &["0003"]),
        (&[("id", "3"), ("campaign_id", "111")], &[]),
        (&[("insert_date", "2027-01-01")], &[]),
    ];
    for (params, want) in cases {
        assert_eq!(numbers(&s, params).await, *want, "{params:?}");
    }
    let (_, body) = s.raw("search", Style::FormBody, &[("limit", "1000")]).await;
    let names: Vec<&str> = body["data"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["campaign_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Global DNC",
            "Global DNC",
            "Global DNC",
            "Sales Campaign",
            "Sales Campaign",
            "Purpose DNC",
            "Global DNC",
            "Sales Campaign",
            ""
        ]
    );
    assert_eq!(
        body["data"]["entries"][0]["insert_date"],
        "2026-03-03 10:30:00"
    );
}

#[tokio::test]
async fn pagination_edges() {
    let rows = (0..2500).map(|n| seed(&number(n), 0).at("2026-03-03 10:30:00"));
    let s = Sandbox::start_seeded(rows, &[]);
    let page = |offset: &'static str, limit: &'static str| {
        let s = &s;
        async move {
            let (status, body) = s
                .raw(
                    "search",
                    Style::FormBody,
                    &[("offset", offset), ("limit", limit)],
                )
                .await;
            assert_eq!(status, 200);
            let d = &body["data"];
            let ids: Vec<u64> = d["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().parse().unwrap())
                .collect();
            (
                d["offset"].clone(),
                d["limit"].clone(),
                d["total"].clone(),
                ids,
            )
        }
    };
    let (o, l, t, first) = page("0", "1000").await;
    assert_eq!((o, l, t), (json!(0), json!(1000), json!(2500)));
    assert_eq!(first, (1..=1000).collect::<Vec<_>>());
    let (_, _, _, second) = page("1000", "1000").await;
    assert_eq!(second, (1001..=2000).collect::<Vec<_>>());
    let (_, _, t, last) = page("2000", "1000").await;
    assert_eq!(t, json!(2500));
    assert_eq!(last, (2001..=2500).collect::<Vec<_>>());
    let (_, _, _, one) = page("2499", "1").await;
    assert_eq!(one, vec![2500]);
    let (_, _, t, past) = page("2500", "100").await;
    assert_eq!((t, past), (json!(2500), vec![]));
    let (o, _, t, far) = page("100000", "1000").await;
    assert_eq!((o, t, far), (json!(100000), json!(2500), vec![]));
    let (status, body) = s
        .raw("search", Style::FormBody, &[("offset", "100001")])
        .await;
    assert_eq!(code_of(status, &body), 7231);
    let (status, body) = s.raw("search", Style::FormBody, &[("limit", "1001")]).await;
    assert_eq!(code_of(status, &body), 6008);
    // The default page is 100.
    let (_, l, _, ids) = page("5", "").await;
    assert_eq!((l, ids.len(), ids[0]), (json!(100), 100, 6));
}

/// `--max-offset` lowers the offset cap, so tests page past it with a few thousand entries.
#[tokio::test]
async fn the_offset_cap_is_configurable() {
    let s = Sandbox::start(&["--max-offset", "1000"]);
    let (status, body) = s
        .raw("search", Style::FormBody, &[("offset", "1000")])
        .await;
    assert_eq!(
        (status, &body["data"]["offset"]),
        (200, &json!(1000)),
        "{body}"
    );
    let (status, body) = s
        .raw("search", Style::FormBody, &[("offset", "1001")])
        .await;
    assert_eq!(code_of(status, &body), 7231);
}

#[tokio::test]
async fn entries_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let s = Sandbox::start_at(&db, &[]);
    let first = insert_id(&s, Style::FormBody, INSERT_OK).await;
    let second = insert_id(&s, Style::FormBody, &key("2025550144", "0")).await;
    s.raw("delete", Style::FormBody, &key("2025550144", "0"))
        .await;
    drop(s);
    let s = Sandbox::start_at(&db, &[]);
    let (_, body) = s.raw("search", Style::FormBody, &[]).await;
    assert_eq!(body["data"]["total"], 1);
    assert_eq!(body["data"]["entries"][0]["id"], first.to_string());
    let (status, body) = s.raw("insert", Style::FormBody, INSERT_OK).await;
    assert_eq!(code_of(status, &body), 6008);
    // Rows loaded into the file of a running sandbox are served too.
    let late = seed(&number(9), 111).at("2026-03-03 10:30:00");
    dnc::sandbox::seed(&s.db, [SeedEntry::from(late)]).unwrap();
    let (_, body) = s
        .raw("search", Style::FormBody, &[("campaign_id", "111")])
        .await;
    assert_eq!(body["data"]["entries"][0]["phone_number"], "2025550009");
    // Ids are never reused, even for a deleted entry.
    let third = insert_id(&s, Style::FormBody, &key("2025550145", "0")).await;
    assert!(third > second, "{third} > {second}");
}

#[tokio::test]
async fn concurrent_inserts_of_one_key_have_one_winner() {
    let s = std::sync::Arc::new(Sandbox::start(&[]));
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let s = s.clone();
            // Several notations of the same number.
            let number = ["2025550143", "(202) 555-0143", "+1 202 555 0143"][i % 3];
            tokio::spawn(async move {
                s.raw(
                    "insert",
                    STYLES[i % STYLES.len()],
                    &[
                        ("phone_number", number),
                        ("phone_code", "1"),
                        ("campaign_id", "0"),
                    ],
                )
                .await
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        if body["success"] == true {
            wins += 1;
        } else {
            assert_eq!(code_of(status, &body), 6008);
        }
    }
    assert_eq!(wins, 1);
    let (_, body) = s.raw("search", Style::FormBody, &[]).await;
    assert_eq!(body["data"]["total"], 1);
}

#[tokio::test]
async fn sigterm_stops_the_sandbox_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let s = Sandbox::start_at(&db, &[]);
    let id = insert_id(&s, Style::FormBody, INSERT_OK).await;
    assert!(s.terminate().success());
    // Cleanly: exit 0, and what it accepted is in its database.
    let s = Sandbox::start_at(&db, &[]);
    let (_, body) = s.raw("search", Style::FormBody, &[]).await;
    assert_eq!(body["data"]["entries"][0]["id"], id.to_string(), "{body}");
}

#[test]
fn bad_sandbox_arguments_are_refused() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dnc"))
            .args(["sandbox", "--token", "T"])
            .args(args)
            .env_clear()
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    let shown = [
        run(&["--campaign", "0=Everything"]),
        run(&["--campaign", "111"]),
        run(&["--fault-5xx", "1.5"]),
    ];
    insta::assert_snapshot!(shown.join("\n"), @"
    error: invalid value '0=Everything' for '--campaign <ID=NAME>': campaign 0 is built in; name campaigns with positive ids

    For more information, try '--help'.

    error: invalid value '111' for '--campaign <ID=NAME>': `111` is not ID=NAME

    For more information, try '--help'.

    error: invalid value '1.5' for '--fault-5xx <RATE>': `1.5` is not a rate between 0 and 1

    For more information, try '--help'.
    ");
}
