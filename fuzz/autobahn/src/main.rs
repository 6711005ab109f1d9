//! Runs the Autobahn test suite's client cases against the core's WebSocket client.
//!
//! `captivate-autobahn [ws://127.0.0.1:9001]`: asks the fuzzing server how many cases it has,
//! connects a `captivate::Client` to each case (reconnecting disabled) and waits until the
//! server ends the connection, then asks the server to write its report.
//!
//! Each case runs through the library's own connection path: its handshake, its read-ahead
//! under the codec, the codec's rebuild after a large frame, its pongs and its closing
//! handshake. The cases expect the client to echo every message; a Captivate client sends only
//! Captivate envelopes, so the core is built with its test-only `autobahn-echo` feature, which
//! writes every data message back as it arrived (on the driver's own write path), before the
//! engine reads it (and reports it as a malformed hub frame, which is what it is).

use std::time::Duration;

use captivate::{Client, Config, Event};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

const AGENT: &str = "captivate";
/// The longest a case may take before the client gives up on it.
const CASE_LIMIT: Duration = Duration::from_secs(20);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let base = std::env::args().nth(1).unwrap_or_else(|| "ws://127.0.0.1:9001".to_owned());
    let count = case_count(&base).await;
    eprintln!("{count} cases");
    for case in 1..=count {
        run_case(&base, case).await;
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{base}/updateReports?agent={AGENT}"))
        .await
        .expect("the fuzzing server answers");
    while let Some(Ok(m)) = ws.next().await {
        if m.is_close() {
            break;
        }
    }
    eprintln!("report written");
}

/// The number of cases, from the server's `getCaseCount` (a control connection that does not
/// use the library under test).
async fn case_count(base: &str) -> u32 {
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{base}/getCaseCount")).await.expect("the fuzzing server answers");
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            return t.as_str().trim().parse().expect("a case count");
        }
    }
    panic!("no case count from the fuzzing server");
}

/// One case: the library's client connects, and the case ends when the connection does.
async fn run_case(base: &str, case: u32) {
    let mut config = Config::new("autobahn").url(format!("{base}/runCase?case={case}&agent={AGENT}"));
    config.timings.reconnect.enabled = false;
    // The server never says `socket_connected`: let the server, not the client, end each case.
    config.timings.connect_timeout = CASE_LIMIT;
    config.timings.ping_interval = Duration::from_secs(3600);
    // Room for the largest messages of section 9 (16 MiB).
    config.max_frame_size = 32 << 20;
    let client = Client::connect_lazy(config).expect("a valid configuration");
    let mut events = client.events();
    let deadline = tokio::time::Instant::now() + CASE_LIMIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match events.next_timeout(left).await {
            Some(Event::State(s)) if s.current.is_terminal() => break,
            Some(_) => {}
            None => {
                eprintln!("case {case}: still open after {CASE_LIMIT:?}");
                break;
            }
        }
    }
    client.close().await;
}
