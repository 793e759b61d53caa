//! Wire benchmark: reads a large DNC list through the sandbox page by page, and inserts
//! through it concurrently. Everything goes over loopback HTTP through the real client.
//!
//! `cargo bench --bench wire` (release). Sizes: DNC_BENCH_ROWS (default 1,000,000),
//! DNC_BENCH_INSERTS (default 100,000), DNC_BENCH_CONCURRENCY (default 32).

use dnc::api::{Client, ClientConfig, InsertRequest, SearchQuery};
use dnc::entry::CampaignId;
use dnc::sandbox::{Faults, Sandbox, SandboxConfig, SeedEntry};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const TOKEN: &str = "bench-token";
const DAYS: u32 = 28;
const CODES: [u16; 2] = [1, 44];

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn start(db: std::path::PathBuf) -> (Sandbox, Client) {
    let cfg = SandboxConfig {
        db,
        token: TOKEN.to_string().into(),
        campaigns: vec![],
        reasons: None,
        purposes: None,
        faults: Faults::default(),
        max_offset: dnc::state::MAX_OFFSET,
        profile: dnc::sandbox::Profile::default(),
    };
    let sandbox = Sandbox::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sandbox");
    let client = Client::new(ClientConfig {
        base_url: sandbox.base_url(),
        token: TOKEN.to_string().into(),
        timeout: Duration::from_secs(60),
        retry: dnc::http::RetryPolicy::at_most(0),
        max_rps: None,
    })
    .expect("client");
    (sandbox, client)
}

/// Reads every entry of one filter, page by page; returns how many.
async fn read_split(client: Client, mut q: SearchQuery) -> u64 {
    q.limit = 1000;
    let mut seen = 0;
    loop {
        let page = client.search(&q).await.expect("search");
        seen += page.entries.len() as u64;
        if page.entries.is_empty() || q.offset + page.limit >= page.total {
            return seen;
        }
        q.offset += page.limit;
    }
}

async fn read_all(client: &Client, rows: usize, concurrency: usize) {
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for code in CODES {
        for day in 1..=DAYS {
            let q = SearchQuery {
                campaign_id: Some(CampaignId::GLOBAL),
                phone_code: Some(code),
                insert_date: Some(format!("2026-03-{day:02}")),
                ..SearchQuery::default()
            };
            let (client, permits) = (client.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                read_split(client, q).await
            });
        }
    }
    let total: u64 = tasks.join_all().await.into_iter().sum();
    assert_eq!(total, rows as u64, "every entry read exactly once");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "read {total} entries in {} splits, {concurrency} at a time: {secs:.2} s ({:.0} entries/s)",
        CODES.len() as u32 * DAYS,
        total as f64 / secs
    );

    // The deepest paging the API allows, through one filter.
    let started = Instant::now();
    let mut q = SearchQuery {
        campaign_id: Some(CampaignId::GLOBAL),
        limit: 1000,
        ..SearchQuery::default()
    };
    let mut pages = 0;
    while q.offset <= 100_000 {
        client.search(&q).await.expect("search");
        q.offset += 1000;
        pages += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "one filter, offsets 0..=100000: {pages} pages in {secs:.2} s ({:.1} ms/page)",
        secs * 1000.0 / f64::from(pages)
    );
}

/// Where a page's time goes: the server and HTTP alone, then with the client's decoding.
async fn page_anatomy(client: &Client, base: &url::Url) {
    const PAGES: u32 = 200;
    let q = [
        ("auth_token", TOKEN),
        ("campaign_id", "0"),
        ("phone_code", "1"),
        ("insert_date", "2026-03-05"),
        ("offset", "5000"),
        ("limit", "1000"),
    ];
    let http = reqwest::Client::new();
    let url = base.join("dnc/search").unwrap();
    let started = Instant::now();
    for _ in 0..PAGES {
        let body = http.post(url.clone()).form(&q).send().await.unwrap();
        body.bytes().await.unwrap();
    }
    let raw = started.elapsed().as_secs_f64() * 1000.0 / f64::from(PAGES);
    let query = SearchQuery {
        campaign_id: Some(CampaignId::GLOBAL),
        phone_code: Some(1),
        insert_date: Some("2026-03-05".to_string()),
        offset: 5000,
        limit: 1000,
        ..SearchQuery::default()
    };
    let started = Instant::now();
    for _ in 0..PAGES {
        client.search(&query).await.unwrap();
    }
    let typed = started.elapsed().as_secs_f64() * 1000.0 / f64::from(PAGES);
    println!(
        "one 1000-entry page, sequential: {raw:.1} ms as bytes, {typed:.1} ms decoded by the client"
    );
}

async fn insert_many(client: &Client, n: usize, concurrency: usize) {
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let (client, permits) = (client.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let req = InsertRequest {
                phone_code: 1,
                phone_number: format!("{:010}", 3_000_000_000 + i),
                campaign_id: CampaignId::GLOBAL,
                reason: Some("Bench".to_string()),
                purpose: None,
            };
            client.insert(&req).await
        });
    }
    let results = tasks.join_all().await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        println!("first failure: {e}");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} inserts, {concurrency} in flight: {secs:.2} s ({:.0}/s), {ok} created",
        n as f64 / secs
    );
}

#[tokio::main]
async fn main() {
    let rows = env_or("DNC_BENCH_ROWS", 1_000_000);
    let inserts = env_or("DNC_BENCH_INSERTS", 100_000);
    let concurrency = env_or("DNC_BENCH_CONCURRENCY", 32);
    println!(
        "nproc {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let dir = tempfile::tempdir().unwrap();

    let db = dir.path().join("read.db");
    let started = Instant::now();
    let seeded = dnc::sandbox::seed(
        &db,
        (0..rows).map(|i| SeedEntry {
            phone_code: CODES[i % CODES.len()],
            phone_number: format!("{:010}", 2_000_000_000 + i),
            campaign_id: 0,
            reason: (i % 3 == 0).then(|| "DNC".to_string()),
            purpose: None,
            insert_date: format!("2026-03-{:02} 10:00:00", 1 + (i / 2) as u32 % DAYS),
        }),
    )
    .expect("seed");
    println!(
        "seeded {seeded} rows in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let (sandbox, client) = start(db).await;
    page_anatomy(&client, &sandbox.base_url()).await;
    read_all(&client, rows, 8).await;
    sandbox.shutdown().await;

    let (sandbox, client) = start(dir.path().join("write.db")).await;
    insert_many(&client, inserts, concurrency).await;
    sandbox.shutdown().await;
}
