//! Waiting for something a child process does, never longer than a deadline.

use std::time::{Duration, Instant};

/// Polls `ready` until it holds; fails the test with `what` when `limit` passes first.
#[track_caller]
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "{what} (waited {limit:?})");
        std::thread::sleep(Duration::from_millis(10));
    }
}
