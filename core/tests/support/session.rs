//! A real [`Client`] connected to a [`RawServer`], with what the user sees recorded.

use std::time::Duration;

use captivate::{Client, Config, Event, EventStream, StateChange};

use super::raw_ws::{RawConn, RawServer, WAIT, socket_connected};

/// The client's configuration for raw-server tests: quick reconnects, and no pings of its own
/// (a ping interval of an hour), so that everything the client writes is an answer to the test.
pub fn config(server: &RawServer) -> Config {
    let mut c = Config::new("conformance-key").url(server.url());
    c.timings.ping_interval = Duration::from_secs(3600);
    c.timings.reconnect.initial_delay = Duration::from_millis(50);
    c.timings.reconnect.max_delay = Duration::from_millis(200);
    c.timings.catch_up = false;
    c
}

/// A connected client, its server side, and the client-level events seen so far.
pub struct Session {
    /// The server.
    pub server: RawServer,
    /// The client under test.
    pub client: Client,
    /// The client-level event stream.
    pub events: EventStream,
    /// The server's end of the current connection.
    pub conn: RawConn,
    /// Every event taken from `events` so far, in order.
    pub seen: Vec<Event>,
}

impl Session {
    /// Starts a server and a client with the default test configuration, and connects.
    pub async fn start() -> Session {
        Session::start_with(|_| {}).await
    }

    /// As [`Session::start`], with the configuration adjusted by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Session {
        let mut server = RawServer::start().await;
        let mut c = config(&server);
        adjust(&mut c);
        let client = Client::connect_lazy(c).expect("a valid configuration");
        let events = client.events();
        let mut conn = server.next_conn().await;
        assert!(conn.request.contains("apiKey=conformance-key"), "the upgrade request carries the key");
        conn.send(&socket_connected("s1")).await;
        let mut s = Session { server, client, events, conn, seen: Vec::new() };
        s.wait_state("connected").await;
        s
    }

    /// The next event satisfying `f` (earlier ones are kept in `seen`). Panics after [`WAIT`].
    pub async fn wait_for(&mut self, what: &str, f: impl Fn(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.events.next_timeout(left).await {
                Some(e) => {
                    self.seen.push(e.clone());
                    if f(&e) {
                        return e;
                    }
                }
                None => panic!("no {what} within {WAIT:?}; events seen: {:#?}", self.seen),
            }
        }
    }

    /// The next change to the state named `name` (`connected`, `disconnected`, ...).
    pub async fn wait_state(&mut self, name: &str) -> StateChange {
        match self
            .wait_for(&format!("`{name}` state"), |e| matches!(e, Event::State(s) if s.current.name() == name))
            .await
        {
            Event::State(s) => s,
            _ => unreachable!("filtered above"),
        }
    }

    /// The next hub event of type `event_type`.
    pub async fn wait_hub(&mut self, event_type: &str) -> Event {
        self.wait_for(&format!("`{event_type}` event"), |e| e.hub().is_some_and(|h| h.event_type == event_type)).await
    }

    /// The client connects again: the server accepts the new connection, says
    /// `socket_connected`, and the user sees `connected`. Returns the old connection.
    pub async fn expect_reconnect(&mut self) -> RawConn {
        let conn = self.server.next_conn().await;
        let old = std::mem::replace(&mut self.conn, conn);
        self.conn.send(&socket_connected("s2")).await;
        self.wait_state("connected").await;
        old
    }

    /// Hub events of type `event_type` seen so far.
    pub fn hub_events_seen(&self, event_type: &str) -> usize {
        self.seen.iter().filter(|e| e.hub().is_some_and(|h| h.event_type == event_type)).count()
    }
}

/// A hub frame (as JSON text) of an event type the library does not know, naming no
/// conversation: it reaches the client's own listeners as [`captivate::HubEvent::Unknown`].
pub fn probe(event_type: &str, n: u64) -> String {
    format!(
        r#"{{"action":"receiveMessage","event":{{"event_type":"{event_type}","event_payload":{{"n":{n}}},"event_id":"{event_type}-{n}"}}}}"#
    )
}

/// The resident set size of this process, in bytes (from `/proc/self/status`).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kb * 1024
}
