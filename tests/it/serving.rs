//! The sandbox's listener under abuse: idle and slow connections are closed after the
//! header read timeout, and connections over the cap get 503 instead of a stall.

use dnc::sandbox::{Faults, Limits, Sandbox, SandboxConfig};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Long enough that a test never waits on it by accident, short enough to bound a hang.
const GUARD: Duration = Duration::from_secs(20);

async fn start(dir: &std::path::Path, limits: Limits) -> Sandbox {
    let cfg = SandboxConfig {
        db: dir.join("sandbox.db"),
        token: "t".to_string().into(),
        campaigns: Vec::new(),
        reasons: None,
        purposes: None,
        faults: Faults::default(),
        max_offset: dnc::state::MAX_OFFSET,
        profile: dnc::sandbox::Profile::default(),
    };
    Sandbox::start_with(cfg, "127.0.0.1:0".parse().unwrap(), limits)
        .await
        .expect("sandbox starts")
}

/// Everything the server sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(GUARD, stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server never closed the connection");
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends one keep-alive request and reads the response head, leaving the connection open.
async fn request(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /v1/ HTTP/1.1\r\nhost: sandbox\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0; 4096];
    let n = tokio::time::timeout(GUARD, stream.read(&mut buf))
        .await
        .expect("a response")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn idle_and_slow_connections_are_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        header_read_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let sandbox = start(tmp.path(), limits).await;
    let mut idle = TcpStream::connect(sandbox.addr()).await.unwrap();
    read_to_close(&mut idle).await;
    let mut slow = TcpStream::connect(sandbox.addr()).await.unwrap();
    slow.write_all(b"GET /v1/ HTTP/1.1\r\nhost: sa")
        .await
        .unwrap();
    read_to_close(&mut slow).await;
    // After a response, a kept-alive connection that sends nothing more is closed too.
    let mut kept = TcpStream::connect(sandbox.addr()).await.unwrap();
    assert!(request(&mut kept).await.starts_with("HTTP/1.1 "));
    read_to_close(&mut kept).await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn connections_over_the_cap_get_503() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        header_read_timeout: Duration::from_secs(60),
        max_connections: 2,
    };
    let sandbox = start(tmp.path(), limits).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(sandbox.addr()).await.unwrap();
        let head = request(&mut c).await;
        assert!(!head.starts_with("HTTP/1.1 503"), "{head}");
        held.push(c);
    }
    let mut over = TcpStream::connect(sandbox.addr()).await.unwrap();
    let answer = read_to_close(&mut over).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Too many open connections"), "{answer}");
    // Closing one frees its place: a later connection is served again.
    drop(held.pop());
    let mut served = false;
    for _ in 0..200 {
        let mut c = TcpStream::connect(sandbox.addr()).await.unwrap();
        if !request(&mut c).await.starts_with("HTTP/1.1 503") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(served, "a freed place is never reused");
    drop(held);
    sandbox.shutdown().await;
}
