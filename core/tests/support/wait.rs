//! Waiting for a condition, without a fixed sleep.

use std::time::Duration;

/// Waits (at most `within`) until `done` holds; panics naming `what` otherwise.
pub async fn until(what: &str, within: Duration, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
