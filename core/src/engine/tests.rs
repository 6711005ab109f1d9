//! Unit tests of the engine: no sockets, no tokio, a fake clock.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::config::{Delivery, Timings};

mod edges;

pub(super) struct H {
    pub(super) e: Engine,
    pub(super) now: Instant,
    actions: Vec<Action>,
    outputs: Vec<Output>,
    next_id: RequestId,
}

pub(super) fn timings() -> Timings {
    Timings { jitter_seed: Some(7), ..Timings::default() }
}

impl H {
    pub(super) fn new(t: Timings) -> H {
        let now = Instant::now();
        H { e: Engine::new(t, now), now, actions: Vec::new(), outputs: Vec::new(), next_id: 1 }
    }

    fn drain(&mut self) {
        while let Some(a) = self.e.poll_action() {
            self.actions.push(a);
        }
        while let Some(o) = self.e.poll_output() {
            self.outputs.push(o);
        }
    }

    pub(super) fn take_actions(&mut self) -> Vec<Action> {
        self.drain();
        std::mem::take(&mut self.actions)
    }

    pub(super) fn take_outputs(&mut self) -> Vec<Output> {
        self.drain();
        std::mem::take(&mut self.outputs)
    }

    pub(super) fn advance(&mut self, d: Duration) {
        self.now += d;
        self.e.handle_timeout(self.now);
    }

    /// Runs the timers until the next deadline, if any; returns how long that was.
    fn run_to_next_timer(&mut self) -> Option<Duration> {
        let next = self.e.poll_timeout()?;
        let d = next.saturating_duration_since(self.now);
        self.now = self.now.max(next);
        self.e.handle_timeout(self.now);
        Some(d)
    }

    pub(super) fn frame(&mut self, v: serde_json::Value) {
        let g = self.e.generation();
        self.e.frame_received(g, &v.to_string(), self.now);
    }

    fn socket_connected(&mut self, id: &str) {
        self.frame(hub("socket_connected", json!({"socket_id": id}), None));
    }

    /// Initialized → Connected.
    pub(super) fn connect(&mut self) {
        self.e.connect(self.now);
        self.open_and_greet("s1");
    }

    fn open_and_greet(&mut self, socket: &str) {
        let g = self.e.generation();
        self.e.transport_opened(g, self.now);
        self.socket_connected(socket);
    }

    fn submit(&mut self, frame: &str, expect: Expect) -> RequestId {
        self.submit_as("op", frame, expect)
    }

    /// Submits a request of operation `operation` (10 s timeout).
    pub(super) fn submit_as(&mut self, operation: &'static str, frame: &str, expect: Expect) -> RequestId {
        let id = self.next_id;
        self.next_id += 1;
        let s =
            Submit { id, operation: operation.into(), frame: frame.into(), expect, timeout: Duration::from_secs(10) };
        self.e.submit(s, self.now).expect("submit accepted");
        id
    }

    fn states(&mut self) -> Vec<String> {
        self.take_outputs()
            .into_iter()
            .filter_map(|o| match o {
                Output::State(c) => Some(c.current.name().to_owned()),
                _ => None,
            })
            .collect()
    }

    pub(super) fn completions(&mut self) -> Vec<(RequestId, Result<Completion, Error>)> {
        self.take_outputs()
            .into_iter()
            .filter_map(|o| match o {
                Output::Complete { id, result } => Some((id, result.map_err(|e| *e))),
                _ => None,
            })
            .collect()
    }
}

pub(super) fn hub(event_type: &str, payload: serde_json::Value, event_id: Option<&str>) -> serde_json::Value {
    json!({"action": "receiveMessage", "event": {"event_type": event_type, "event_payload": payload, "event_id": event_id}})
}

pub(super) fn sends(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn reply(event_type: &str, conversation_id: &str) -> Expect {
    Expect::Reply(ReplyMatch {
        event_type: event_type.into(),
        conversation_id: Some(conversation_id.into()),
        ..Default::default()
    })
}

fn start(user: &str) -> Expect {
    Expect::Reply(ReplyMatch {
        event_type: "conversation_start_success".into(),
        user_id: Some(user.into()),
        start: true,
        ..Default::default()
    })
}

#[test]
fn connected_only_after_socket_connected_with_one_event_per_change() {
    let mut h = H::new(timings());
    h.e.connect(h.now);
    assert!(matches!(h.take_actions()[..], [Action::Open { generation: 1 }]));
    let g = h.e.generation();
    h.e.transport_opened(g, h.now);
    assert_eq!(h.e.state().name(), "connecting", "an open socket is not connected yet");
    h.socket_connected("abc");
    let outs = h.take_outputs();
    let changes: Vec<_> = outs
        .iter()
        .filter_map(|o| match o {
            Output::State(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].previous, ConnectionState::Initialized);
    assert_eq!(changes[0].current, ConnectionState::Connecting { attempt: 1 });
    assert_eq!(changes[1].current, ConnectionState::Connected { socket_id: "abc".into() });
    for c in &changes {
        assert_ne!(c.previous, c.current);
    }
}

#[test]
fn no_socket_connected_within_the_open_timeout_retries() {
    let mut h = H::new(timings());
    h.e.connect(h.now);
    let g = h.e.generation();
    h.e.transport_opened(g, h.now);
    h.take_outputs();
    h.advance(Duration::from_millis(9_999));
    assert_eq!(h.e.state().name(), "connecting");
    h.advance(Duration::from_millis(1));
    assert!(h.take_actions().contains(&Action::Abort));
    assert_eq!(h.e.state().name(), "disconnected");
    assert_eq!(h.e.last_error().map(Error::kind), Some(crate::ErrorKind::Timeout));
}

#[test]
fn a_rejected_key_fails_at_once_without_retrying() {
    let mut h = H::new(timings());
    h.e.connect(h.now);
    let g = h.e.generation();
    let id = h.submit("{}", Expect::Written);
    h.e.transport_failed(g, TransportError::Rejected { status: 401 }, h.now);
    assert_eq!(h.e.state(), &ConnectionState::Failed);
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Err(Error::Rejected { status: 401 }))] if *i == id), "{c:?}");
    h.take_actions();
    assert_eq!(h.e.poll_timeout(), None, "nothing scheduled after a rejection");
    h.advance(Duration::from_secs(3600));
    assert!(h.take_actions().is_empty(), "no retry storm");
    assert!(matches!(
        h.e.submit(
            Submit {
                id: 99,
                operation: "x".into(),
                frame: "{}".into(),
                expect: Expect::Written,
                timeout: Duration::from_secs(1)
            },
            h.now
        ),
        Err(Error::Rejected { .. })
    ));
}

#[test]
fn backoff_delays_stay_in_bounds_and_never_loop_fast() {
    let mut h = H::new(timings());
    h.connect();
    h.take_outputs();
    let mut attempts_at = Vec::new();
    for n in 0..40u32 {
        let g = h.e.generation();
        h.e.transport_failed(g, TransportError::Other("boom".into()), h.now);
        let retry_in = match h.e.state().clone() {
            ConnectionState::Disconnected { attempt, retry_in } => {
                assert_eq!(attempt, n + 1);
                retry_in
            }
            ConnectionState::Suspended { retry_in } => retry_in,
            s => panic!("unexpected state {s:?}"),
        };
        if matches!(h.e.state(), ConnectionState::Disconnected { .. }) {
            let d = Duration::from_secs(1).saturating_mul(1u32 << n.min(10)).min(Duration::from_secs(30));
            assert!(retry_in >= d / 2 && retry_in <= d, "attempt {n}: {retry_in:?} not in [{:?}, {d:?}]", d / 2);
        }
        h.take_actions();
        // The next timer may be the move to Suspended, which keeps the scheduled retry.
        let mut waited = h.run_to_next_timer().expect("a retry is scheduled");
        if h.e.state().name() == "suspended" {
            waited += h.run_to_next_timer().expect("a retry is scheduled");
        }
        assert_eq!(waited, retry_in);
        assert!(matches!(h.take_actions()[..], [Action::Open { .. }]));
        attempts_at.push(h.now);
    }
    for w in attempts_at.windows(3) {
        assert!(w[2] - w[0] > Duration::from_millis(500), "more than 2 attempts within 500 ms");
    }
    assert_eq!(h.e.state().name(), "connecting");
}

#[test]
fn jitter_differs_between_clients() {
    let p = crate::config::ReconnectPolicy::default();
    let mut a = Backoff::new(&p, Some(1));
    let mut b = Backoff::new(&p, Some(2));
    let da: Vec<_> = (0..10).map(|n| a.delay(n)).collect();
    let db: Vec<_> = (0..10).map(|n| b.delay(n)).collect();
    assert_ne!(da, db, "two clients must not retry in lockstep");
    let mut c = Backoff::new(&p, None);
    for n in 0..10_000u32 {
        let d = c.delay(n % 12);
        let cap = c.ceiling(n % 12);
        assert!(d >= cap / 2 && d <= cap);
    }
}

#[test]
fn suspended_after_long_outage_fails_queued_and_retries_slowly() {
    let mut h = H::new(timings());
    h.connect();
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    let id = h.submit("queued", Expect::Written);
    h.take_outputs();
    let start = h.now;
    while h.now < start + Duration::from_secs(130) {
        h.take_actions();
        h.run_to_next_timer();
        if h.e.state().name() == "connecting" {
            let g = h.e.generation();
            h.e.transport_failed(g, TransportError::Other("down".into()), h.now);
        }
        if h.e.state().name() == "suspended" {
            break;
        }
    }
    assert_eq!(h.e.state().name(), "suspended");
    let c = h.completions();
    assert!(c.iter().any(|(i, r)| *i == id && matches!(r, Err(Error::ConnectionLost))), "{c:?}");
    // While suspended, sends fail fast.
    let s = Submit {
        id: 500,
        operation: "x".into(),
        frame: "{}".into(),
        expect: Expect::Written,
        timeout: Duration::from_secs(1),
    };
    assert!(matches!(h.e.submit(s, h.now), Err(Error::ConnectionLost)));
    // Retries continue, no faster than every 30 s.
    h.take_actions();
    let waited = h.run_to_next_timer().unwrap();
    assert!(waited <= Duration::from_secs(30));
    assert_eq!(h.e.state().name(), "connecting");
}

#[test]
fn offline_sends_are_flushed_in_order_ahead_of_newer_ones() {
    let mut h = H::new(timings());
    h.connect();
    let g = h.e.generation();
    h.e.transport_closed(g, Some(1001), "going away", h.now);
    for i in 0..500 {
        h.submit(&format!("m{i}"), Expect::Written);
    }
    h.take_actions();
    h.run_to_next_timer();
    assert!(sends(&h.take_actions()).is_empty(), "nothing is written before socket_connected");
    let g = h.e.generation();
    h.e.transport_opened(g, h.now);
    assert!(sends(&h.take_actions()).is_empty());
    h.socket_connected("s2");
    h.submit("newer", Expect::Written);
    let sent = sends(&h.take_actions());
    let mut want: Vec<String> = (0..500).map(|i| format!("m{i}")).collect();
    want.push("newer".into());
    assert_eq!(sent, want);
}

#[test]
fn queue_overflow_fails_the_call_at_once() {
    let mut h = H::new(Timings { max_queued_events: 3, ..timings() });
    for i in 0..3 {
        h.submit(&format!("{i}"), Expect::Written);
    }
    let s = Submit {
        id: 100,
        operation: "x".into(),
        frame: "4".into(),
        expect: Expect::Written,
        timeout: Duration::from_secs(1),
    };
    assert!(matches!(h.e.submit(s, h.now), Err(Error::QueueFull(_))));
    let mut h = H::new(Timings { max_queued_bytes: 10, ..timings() });
    h.submit("12345678", Expect::Written);
    let s = Submit {
        id: 100,
        operation: "x".into(),
        frame: "abc".into(),
        expect: Expect::Written,
        timeout: Duration::from_secs(1),
    };
    assert!(matches!(h.e.submit(s, h.now), Err(Error::QueueFull(_))));
}

#[test]
fn queueing_off_fails_fast_when_offline() {
    let mut h = H::new(Timings { queue_while_offline: false, ..timings() });
    let s = Submit {
        id: 1,
        operation: "x".into(),
        frame: "{}".into(),
        expect: Expect::Written,
        timeout: Duration::from_secs(1),
    };
    assert!(matches!(h.e.submit(s, h.now), Err(Error::ConnectionLost)));
}

#[test]
fn request_timeout_counts_from_the_write_and_late_replies_are_unsolicited() {
    let mut h = H::new(timings());
    let id = h.submit("req", reply("conversation_metadata", "c1"));
    h.advance(Duration::from_secs(60));
    assert!(h.completions().is_empty(), "no timeout while still queued");
    h.connect();
    h.e.attach("c1");
    h.take_outputs();
    h.advance(Duration::from_millis(9_900));
    assert!(h.completions().is_empty());
    h.advance(Duration::from_millis(100));
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Err(Error::Timeout { millis: 10_000, .. }))] if *i == id), "{c:?}");
    h.frame(hub("conversation_metadata", json!({"conversation_id": "c1", "content": {}}), Some("late")));
    let outs = h.take_outputs();
    assert!(outs.iter().all(|o| !matches!(o, Output::Complete { .. })), "a late reply completes nothing");
    assert!(outs.iter().any(|o| matches!(o, Output::Deliver { event: Event::Hub(i), route: Route::Conversation(c) } if i.event_type == "conversation_metadata" && &**c == "c1")));
}

/// The hub dropped a request without a word: the reply its ghost takes was the newer
/// request's own, which completes with it at its deadline rather than timing out, and the
/// next request is answered as usual (no request after another times out in turn).
#[test]
fn a_reply_a_ghost_took_answers_a_newer_request_that_gets_no_other() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    let dropped = h.submit("1", reply("conversation_metadata", "c"));
    h.advance(Duration::from_secs(10));
    assert!(matches!(&h.completions()[..], [(i, Err(Error::Timeout { .. }))] if *i == dropped));
    let newer = h.submit("2", reply("conversation_metadata", "c"));
    h.frame(hub("conversation_metadata", json!({"conversation_id": "c", "content": {"v": 1}}), Some("a")));
    assert!(h.completions().is_empty(), "the ghost takes it first");
    h.advance(Duration::from_millis(9_999));
    assert!(h.completions().is_empty(), "its own reply may still come");
    h.advance(Duration::from_millis(1));
    let c = h.completions();
    assert!(
        matches!(&c[..], [(i, Ok(Completion::Reply(r)))] if *i == newer && r.raw["event"]["event_payload"]["content"]["v"] == 1),
        "the reply the ghost took, at the deadline: {c:?}"
    );
    let next = h.submit("3", reply("conversation_metadata", "c"));
    h.frame(hub("conversation_metadata", json!({"conversation_id": "c", "content": {"v": 2}}), Some("b")));
    assert!(matches!(&h.completions()[..], [(i, Ok(_))] if *i == next), "answered at once: no ghost is left");
}

#[test]
fn a_late_reply_never_reaches_a_newer_request() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    // Timed out, then a new request of the same kind: the first reply is the old one's.
    let old = h.submit("1", reply("conversation_metadata", "c"));
    h.advance(Duration::from_secs(10));
    assert!(matches!(&h.completions()[..], [(i, Err(Error::Timeout { .. }))] if *i == old));
    let new = h.submit("2", reply("conversation_metadata", "c"));
    h.frame(hub("conversation_metadata", json!({"conversation_id": "c", "content": {"v": 1}}), Some("a")));
    assert!(h.completions().is_empty(), "the late reply went to the newer request");
    h.frame(hub("conversation_metadata", json!({"conversation_id": "c", "content": {"v": 2}}), Some("b")));
    let c = h.completions();
    assert!(
        matches!(&c[..], [(i, Ok(Completion::Reply(r)))] if *i == new && r.raw["event"]["event_payload"]["content"]["v"] == 2)
    );
    // Cancelled after the write: the same.
    let gone = h.submit("3", reply("conversation_transcript", "c"));
    h.e.cancel(gone);
    let next = h.submit("4", reply("conversation_transcript", "c"));
    h.frame(hub("conversation_transcript", json!({"conversation_id": "c", "transcript": []}), Some("c1")));
    assert!(h.completions().is_empty());
    h.frame(hub("conversation_transcript", json!({"conversation_id": "c", "transcript": []}), Some("c2")));
    assert!(matches!(&h.completions()[..], [(i, Ok(_))] if *i == next));
    // A ghost whose reply never comes fades after one more period.
    let _ = h.submit("5", reply("message_edited_success", "c"));
    h.advance(Duration::from_secs(20));
    let later = h.submit("6", reply("message_edited_success", "c"));
    h.frame(hub("message_edited_success", json!({"conversation_id": "c"}), Some("m")));
    assert!(h.completions().iter().any(|(i, r)| *i == later && r.is_ok()));
}

#[test]
fn a_request_cancelled_before_its_write_is_never_sent() {
    let mut h = H::new(timings());
    let a = h.submit("a", Expect::Written);
    let b = h.submit("b", Expect::Written);
    h.e.cancel(a);
    h.connect();
    assert_eq!(sends(&h.take_actions()), vec!["b".to_owned()]);
    h.e.flushed(h.e.generation(), h.now);
    let c = h.completions();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].0, b);
}

#[test]
fn events_ready_together_come_before_the_completions_they_caused() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    let waiting = h.submit("1", reply("conversation_metadata", "c"));
    h.take_outputs();
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    let kinds: Vec<_> = h
        .take_outputs()
        .into_iter()
        .map(|o| match o {
            Output::State(c) => c.current.name().to_owned(),
            Output::Deliver { .. } => "event".into(),
            Output::Frame(_) => "frame".into(),
            Output::Complete { id, .. } => format!("complete {id}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec!["disconnected".to_owned(), format!("complete {waiting}")],
        "the caller learns of the lost connection after the state change is out"
    );
}

#[test]
fn every_call_completes_exactly_once() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    let ok = h.submit("1", reply("conversation_metadata", "c"));
    let err = h.submit("2", reply("conversation_transcript", "c"));
    let lost = h.submit("3", reply("metadata_update_success", "c"));
    // Written: the driver carried them out.
    h.take_actions();
    h.frame(hub("conversation_metadata", json!({"conversation_id": "c", "content": {"a": 1}}), Some("e1")));
    h.frame(hub(
        "general_error",
        json!({"conversation_id": "c", "error_code": 400, "error_desc": "Invalid conversation_id"}),
        Some("e2"),
    ));
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    h.advance(Duration::from_secs(100));
    let c = h.completions();
    assert_eq!(c.len(), 3, "{c:?}");
    assert!(matches!(&c[0], (i, Ok(Completion::Reply(r))) if *i == ok && r.event_type == "conversation_metadata"));
    assert!(
        matches!(&c[1], (i, Err(Error::Hub { description, .. })) if *i == err && description == "Invalid conversation_id")
    );
    assert!(matches!(&c[2], (i, Err(Error::ConnectionLost)) if *i == lost));
}

#[test]
fn a_reply_without_conversation_id_answers_the_oldest_request_of_its_type() {
    let mut h = H::new(timings());
    h.connect();
    let a = h.submit("1", reply("metadata_update_success", "c1"));
    let b = h.submit("2", reply("metadata_update_success", "c2"));
    h.frame(hub("metadata_update_success", json!({}), Some("x1")));
    h.frame(hub("metadata_update_success", json!({"conversation_id": "c2"}), Some("x2")));
    let ids: Vec<_> = h.completions().into_iter().map(|(i, r)| (i, r.is_ok())).collect();
    assert_eq!(ids, vec![(a, true), (b, true)]);
}

#[test]
fn fifty_concurrent_starts_each_get_their_own_conversation() {
    // Replies come back in a scrambled but causal order: the engine keeps one start in flight,
    // so whatever the hub's delay, each success answers the start that was written.
    let mut h = H::new(timings());
    h.connect();
    h.take_actions();
    let mut want = std::collections::HashMap::new();
    for i in 0..50 {
        let user = format!("user{}", i % 7);
        let id = h.submit(&format!("start-{i}"), start(&user));
        want.insert(id, user);
    }
    let mut got = std::collections::HashMap::new();
    for round in 0..50 {
        let written = sends(&h.take_actions());
        assert_eq!(written.len(), 1, "exactly one start in flight (round {round})");
        let i: usize = written[0].trim_start_matches("start-").parse().unwrap();
        let user = format!("user{}", i % 7);
        h.advance(Duration::from_millis((i as u64 * 37) % 200));
        h.frame(hub(
            "conversation_start_success",
            json!({"conversation_id": format!("{user}_{i}")}),
            Some(&format!("ev{i}")),
        ));
        for (id, r) in h.completions() {
            match r {
                Ok(Completion::Reply(inb)) => {
                    got.insert(id, inb.conversation_id.unwrap());
                }
                other => panic!("start {id} failed: {other:?}"),
            }
        }
    }
    assert_eq!(got.len(), 50);
    for (id, conv) in &got {
        assert!(conv.starts_with(&format!("{}_", want[id])), "start {id} got {conv}");
    }
    assert_eq!(h.e.conversation_count(), 50);
}

#[test]
fn a_late_start_success_is_not_given_to_the_next_caller() {
    let mut h = H::new(timings());
    h.connect();
    let first = h.submit("s1", start("alice"));
    h.advance(Duration::from_secs(10));
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Err(Error::Timeout { .. }))] if *i == first));
    let second = h.submit("s2", start("bob"));
    h.frame(hub("conversation_start_success", json!({"conversation_id": "alice_1"}), Some("a")));
    assert!(h.completions().is_empty(), "alice's late conversation is not bob's");
    h.frame(hub("conversation_start_success", json!({"conversation_id": "bob-2"}), Some("b")));
    let c = h.completions();
    assert!(
        matches!(&c[..], [(i, Ok(Completion::Reply(r)))] if *i == second && r.conversation_id.as_deref() == Some("bob-2"))
    );
}

#[test]
fn duplicate_event_ids_are_dropped() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    h.take_outputs();
    let m =
        hub("bot_message", json!({"conversation_id": "c", "content": [{"type": "text", "text": "hi"}]}), Some("dup"));
    h.frame(m.clone());
    h.frame(m);
    let delivered = h.take_outputs().into_iter().filter(|o| matches!(o, Output::Deliver { .. })).count();
    assert_eq!(delivered, 1);
}

#[test]
fn routing_follows_the_design() {
    let mut h = H::new(timings());
    h.connect();
    h.take_outputs();
    let routes = |h: &mut H| -> Vec<Route> {
        h.take_outputs()
            .into_iter()
            .filter_map(|o| match o {
                Output::Deliver { route, .. } => Some(route),
                _ => None,
            })
            .collect()
    };
    h.frame(hub("bot_message", json!({"content": []}), Some("1")));
    assert_eq!(routes(&mut h), vec![Route::Client], "no conversation open");
    h.e.attach("a");
    h.frame(hub("bot_message", json!({"content": []}), Some("2")));
    assert_eq!(routes(&mut h), vec![Route::Both("a".into())], "exactly one open: it hears id-less events");
    h.e.attach("b");
    h.frame(hub("bot_message", json!({"content": []}), Some("3")));
    h.frame(hub("bot_message", json!({"conversation_id": "b", "content": []}), Some("4")));
    h.frame(hub("bot_message", json!({"conversation_id": "zzz", "content": []}), Some("5")));
    h.frame(hub("livechat_message", json!({"conversation_id": "", "content": []}), Some("6")));
    assert_eq!(routes(&mut h), vec![Route::Client, Route::Conversation("b".into()), Route::Client, Route::Client]);
}

#[test]
fn a_discontinuity_per_conversation_after_a_reconnect() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("a");
    h.e.attach("b");
    let g = h.e.generation();
    h.e.transport_closed(g, Some(1006), "", h.now);
    h.take_actions();
    h.run_to_next_timer();
    h.open_and_greet("s2");
    let d: Vec<String> = h
        .take_outputs()
        .into_iter()
        .filter_map(|o| match o {
            Output::Deliver { event: Event::Discontinuity { conversation_id }, .. } => Some(conversation_id),
            _ => None,
        })
        .collect();
    assert_eq!(d, vec!["a".to_owned(), "b".to_owned()]);
}

#[test]
fn liveness_pings_and_declares_a_silent_link_dead() {
    let mut h = H::new(timings());
    h.connect();
    h.take_actions();
    h.advance(Duration::from_secs(25));
    assert!(matches!(h.take_actions()[..], [Action::Ping(_)]));
    // Inbound traffic of any kind keeps it alive.
    let g = h.e.generation();
    h.e.activity(g, h.now);
    h.advance(Duration::from_secs(34));
    assert_eq!(h.e.state().name(), "connected");
    h.take_actions();
    h.advance(Duration::from_secs(1));
    assert!(h.take_actions().contains(&Action::Abort));
    assert_eq!(h.e.state().name(), "disconnected");
}

#[test]
fn a_write_after_a_long_sleep_goes_to_a_new_connection() {
    let mut h = H::new(timings());
    h.connect();
    h.take_actions();
    // The machine slept: no timer ran, and the first thing that happens is a send.
    h.now += Duration::from_secs(600);
    h.submit("after-sleep", Expect::Written);
    let actions = h.take_actions();
    assert!(actions.contains(&Action::Abort));
    assert!(sends(&actions).is_empty(), "nothing is written into the dead socket");
}

#[test]
fn at_most_once_reports_possibly_not_delivered() {
    let mut h = H::new(timings());
    h.connect();
    h.take_actions();
    let id = h.submit("msg", Expect::Delivered { client_msg_id: "u1".into() });
    let a = h.take_actions();
    assert!(a.iter().any(|x| matches!(x, Action::Ping(_))), "a proof of delivery is asked for at once");
    let g = h.e.generation();
    h.e.transport_failed(g, TransportError::Other("reset".into()), h.now);
    let c = h.completions();
    assert!(
        matches!(&c[..], [(i, Err(Error::PossiblyNotDelivered { client_msg_id }))] if *i == id && client_msg_id == "u1")
    );
    h.take_actions();
    h.run_to_next_timer();
    h.open_and_greet("s2");
    assert!(sends(&h.take_actions()).is_empty(), "never resent");
}

#[test]
fn at_least_once_resends_once_with_the_same_frame() {
    let mut h = H::new(Timings { delivery: Delivery::AtLeastOnce, ..timings() });
    h.connect();
    h.take_actions();
    let id = h.submit("msg-u1", Expect::Delivered { client_msg_id: "u1".into() });
    h.take_actions();
    let g = h.e.generation();
    h.e.transport_failed(g, TransportError::Other("reset".into()), h.now);
    assert!(h.completions().is_empty());
    h.run_to_next_timer();
    h.open_and_greet("s2");
    assert_eq!(sends(&h.take_actions()), vec!["msg-u1".to_owned()]);
    // Lost again before any proof: no second resend.
    let g = h.e.generation();
    h.e.transport_failed(g, TransportError::Other("reset".into()), h.now);
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Err(Error::PossiblyNotDelivered { .. }))] if *i == id));
    // A delivered message completes on the pong of a ping written after it, not before.
    h.run_to_next_timer();
    h.open_and_greet("s3");
    h.take_actions();
    let id2 = h.submit("m2", Expect::Delivered { client_msg_id: "u2".into() });
    let id3 = h.submit("m3", Expect::Delivered { client_msg_id: "u3".into() });
    let pings: Vec<u64> = h
        .take_actions()
        .iter()
        .filter_map(|a| match a {
            Action::Ping(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(pings.len(), 1, "one proof ping in flight");
    let g = h.e.generation();
    h.e.frame_received(g, &hub("bot_message", json!({"content": []}), Some("q")).to_string(), h.now);
    h.e.activity(g, h.now);
    assert!(h.completions().is_empty(), "inbound traffic is not a proof of delivery");
    h.e.pong_received(g, Some(pings[0] - 1), h.now);
    assert!(h.completions().is_empty(), "the pong of an older ping proves nothing");
    h.e.pong_received(g, Some(pings[0]), h.now);
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Ok(Completion::Delivered))] if *i == id2), "{c:?}");
    let next: Vec<u64> = h
        .take_actions()
        .iter()
        .filter_map(|a| match a {
            Action::Ping(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(next, vec![pings[0] + 1], "the next proof ping goes out when the first is answered");
    h.e.pong_received(g, Some(next[0]), h.now);
    assert!(matches!(&h.completions()[..], [(i, Ok(Completion::Delivered))] if *i == id3));
}

#[test]
fn close_from_every_state() {
    // Initialized.
    let mut h = H::new(timings());
    h.e.close(h.now);
    assert_eq!(h.e.state(), &ConnectionState::Closed);
    // Connecting, with a queued send.
    let mut h = H::new(timings());
    h.e.connect(h.now);
    let id = h.submit("q", Expect::Written);
    h.e.close(h.now);
    assert_eq!(h.e.state(), &ConnectionState::Closed);
    assert!(h.completions().iter().any(|(i, r)| *i == id && matches!(r, Err(Error::Closed))));
    // Connected: graceful close handshake.
    let mut h = H::new(timings());
    h.connect();
    h.take_actions();
    h.e.close(h.now);
    assert_eq!(h.e.state(), &ConnectionState::Closing);
    assert_eq!(h.take_actions(), vec![Action::Close]);
    let g = h.e.generation();
    h.e.transport_closed(g, Some(1000), "", h.now);
    assert_eq!(h.e.state(), &ConnectionState::Closed);
    // Connected, peer never answers the close: forced after the close timeout.
    let mut h = H::new(timings());
    h.connect();
    h.e.close(h.now);
    h.advance(Duration::from_secs(2));
    assert_eq!(h.e.state(), &ConnectionState::Closed);
    // Disconnected: no retry after close.
    let mut h = H::new(timings());
    h.connect();
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    h.e.close(h.now);
    assert_eq!(h.e.state(), &ConnectionState::Closed);
    h.take_actions();
    h.advance(Duration::from_secs(100));
    assert!(!h.take_actions().iter().any(|a| matches!(a, Action::Open { .. })));
    // And connect() brings it back.
    h.e.connect(h.now);
    assert_eq!(h.e.state().name(), "connecting");
    // Sends after close fail at once.
    let mut h = H::new(timings());
    h.e.close(h.now);
    let s = Submit {
        id: 1,
        operation: "x".into(),
        frame: "{}".into(),
        expect: Expect::Written,
        timeout: Duration::from_secs(1),
    };
    assert!(matches!(h.e.submit(s, h.now), Err(Error::Closed)));
    let _ = h.states();
}

#[test]
fn stale_transport_events_are_ignored() {
    let mut h = H::new(timings());
    h.connect();
    let old = h.e.generation();
    h.e.transport_closed(old, None, "", h.now);
    h.run_to_next_timer();
    h.open_and_greet("s2");
    h.take_outputs();
    h.e.transport_closed(old, None, "", h.now);
    h.e.frame_received(old, &hub("bot_message", json!({"content": []}), Some("z")).to_string(), h.now);
    assert_eq!(h.e.state().name(), "connected");
    assert!(h.take_outputs().is_empty());
}

#[test]
fn malformed_frames_are_reported_and_the_connection_survives() {
    let mut h = H::new(timings());
    h.connect();
    h.take_outputs();
    let g = h.e.generation();
    h.e.frame_received(g, "{not json", h.now);
    h.e.frame_received(g, "[1,2]", h.now);
    h.e.frame_received(g, r#"{"event": {"no_type": 1}}"#, h.now);
    let outs = h.take_outputs();
    assert_eq!(
        outs.iter()
            .filter(|o| matches!(o, Output::Deliver { event: Event::Malformed(_), route: Route::Client }))
            .count(),
        3
    );
    assert_eq!(h.e.state().name(), "connected");
}

#[test]
fn large_messages_are_fetched_then_delivered_as_bot_messages() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    h.take_actions();
    h.frame(hub(
        "general_error",
        json!({"conversation_id": "c", "error_code": 413, "error_desc": "too large", "message_link": "https://x/m/1"}),
        Some("big"),
    ));
    let actions = h.take_actions();
    let Some(Action::FetchLargeMessage { fetch, url, announcement }) =
        actions.into_iter().find(|a| matches!(a, Action::FetchLargeMessage { .. }))
    else {
        panic!("no fetch")
    };
    assert_eq!(url, "https://x/m/1");
    h.take_outputs();
    h.e.large_message_fetched(fetch, *announcement, Ok(json!([{"type": "text", "text": "huge"}])));
    let outs = h.take_outputs();
    assert!(matches!(&outs[..], [Output::Deliver { event: Event::Hub(i), route: Route::Conversation(c) }]
        if &**c == "c" && i.event_type == "bot_message" && i.text().as_deref() == Some("huge")));
}

#[test]
fn reconnect_disabled_goes_to_failed_and_max_attempts_is_honoured() {
    let mut t = timings();
    t.reconnect.enabled = false;
    let mut h = H::new(t);
    h.connect();
    h.take_outputs();
    let waiting = h.submit("{}", reply("conversation_metadata", "c1"));
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    assert_eq!(h.e.state(), &ConnectionState::Failed);
    // The call that was waiting lost its connection; a later call learns it failed for good.
    let done = h.completions();
    assert!(matches!(done.as_slice(), [(id, Err(Error::ConnectionLost))] if *id == waiting), "{done:?}");
    let later = Submit {
        id: 99,
        operation: "op".into(),
        frame: "{}".into(),
        expect: Expect::Written,
        timeout: Duration::from_secs(1),
    };
    let err = h.e.submit(later, h.now).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Failed, "{err}");
    assert!(err.to_string().contains("reconnecting is disabled"), "{err}");

    let mut t = timings();
    t.reconnect.max_attempts = Some(2);
    let mut h = H::new(t);
    h.connect();
    for _ in 0..2 {
        let g = h.e.generation();
        h.e.transport_failed(g, TransportError::Other("x".into()), h.now);
        assert_eq!(h.e.state().name(), "disconnected");
        h.run_to_next_timer();
    }
    let g = h.e.generation();
    h.e.transport_failed(g, TransportError::Other("x".into()), h.now);
    assert_eq!(h.e.state(), &ConnectionState::Failed);
}

#[test]
fn the_attempt_counter_resets_after_a_stable_connection() {
    let mut h = H::new(timings());
    h.connect();
    for _ in 0..5 {
        let g = h.e.generation();
        h.e.transport_failed(g, TransportError::Other("x".into()), h.now);
        h.run_to_next_timer();
    }
    h.open_and_greet("s");
    h.advance(Duration::from_secs(31));
    let g = h.e.generation();
    h.e.transport_closed(g, Some(1001), "", h.now);
    assert!(
        matches!(h.e.state(), ConnectionState::Disconnected { attempt: 1, retry_in } if *retry_in <= Duration::from_secs(1))
    );
}

/// Drops the connection and reconnects; returns the actions of the reconnect.
pub(super) fn reconnect(h: &mut H) -> Vec<Action> {
    let g = h.e.generation();
    h.e.transport_closed(g, Some(1006), "", h.now);
    h.take_actions();
    h.run_to_next_timer();
    h.take_outputs();
    h.open_and_greet("s2");
    h.take_actions()
}

/// The hub events delivered, as (event_id, recovered).
pub(super) fn delivered(h: &mut H) -> Vec<(String, bool)> {
    h.take_outputs()
        .into_iter()
        .filter_map(|o| match o {
            Output::Deliver { event: Event::Hub(i), .. } => {
                let recovered =
                    matches!(&i.body, HubEvent::BotMessage(m) | HubEvent::LivechatMessage(m) if m.recovered);
                Some((i.event_id.clone().unwrap_or_default(), recovered))
            }
            _ => None,
        })
        .collect()
}

pub(super) fn bot(conv: &str, id: &str) -> serde_json::Value {
    hub("bot_message", json!({"conversation_id": conv, "content": [{"type": "text", "text": id}]}), Some(id))
}

pub(super) fn transcript(conv: &str, entries: &[(&str, &str)]) -> serde_json::Value {
    let t: Vec<_> = entries
        .iter()
        .map(|(from, id)| json!({"from": from, "messages": [{"type": "text", "text": id}], "event_id": id}))
        .collect();
    hub("conversation_transcript", json!({"conversation_id": conv, "transcript": t}), None)
}

#[test]
fn after_a_reconnect_missed_messages_come_from_the_transcript_once_and_before_newer_ones() {
    // Read as far back as needed (the catch-up's own path), and read whole (the usual path,
    // taken when raw frames are asked for): the same events either way.
    for raw_frames in [false, true] {
        missed_messages_come_once_and_before_newer_ones(raw_frames);
    }
}

fn missed_messages_come_once_and_before_newer_ones(raw_frames: bool) {
    let mut h = H::new(timings());
    h.e.set_raw_frames(raw_frames);
    h.connect();
    h.e.attach("c");
    h.frame(bot("c", "e1"));
    assert_eq!(delivered(&mut h), [("e1".to_owned(), false)]);

    let actions = reconnect(&mut h);
    let sent = sends(&actions);
    assert!(sent[0].contains("conversation_transcript_request") && sent[0].contains("\"c\""), "{sent:?}");
    // A live message arriving while the transcript is awaited waits for the missed ones.
    h.frame(bot("c", "e5"));
    assert!(delivered(&mut h).is_empty(), "held back until the catch-up is done");
    h.frame(transcript(
        "c",
        &[("user", "u0"), ("bot", "e1"), ("bot", "e2"), ("livechat", "e3"), ("user", "u4"), ("bot", "e5")],
    ));
    assert_eq!(
        delivered(&mut h),
        [("e2".to_owned(), true), ("e3".to_owned(), true), ("e5".to_owned(), false)],
        "missed ones in order, then the live one; nothing twice"
    );
    // The hub repeating a recovered message live: dropped as a duplicate.
    h.frame(bot("c", "e2"));
    h.frame(bot("c", "e6"));
    assert_eq!(delivered(&mut h), [("e6".to_owned(), false)]);

    // A long history, in both shapes of entry (one wrapping others), the last message
    // delivered far back and given twice: what follows its last mention, once.
    reconnect(&mut h);
    let mut entries: Vec<serde_json::Value> = (0..500)
        .map(|i| json!({"from": if i % 2 == 0 { "user" } else { "bot" }, "messages": [{"type": "text", "text": "old"}], "event_id": format!("old{i}")}))
        .collect();
    entries.insert(100, json!({"from": "bot", "messages": [{"type": "text", "text": "e6"}], "event_id": "e6"}));
    entries.push(json!({"event_id": "w", "messages": [
        {"from": "bot", "messages": [{"type": "text", "text": "e6"}], "event_id": "e6"},
        {"from": "agent", "messages": [{"type": "text", "text": "e7"}], "event_id": "e7"},
    ]}));
    entries.push(json!({"from": "user", "messages": [{"type": "text", "text": "u"}], "event_id": "u8"}));
    entries.push(json!({"from": "bot", "messages": {"idChat": "c", "messages": [{"type": "text", "text": "e9"}], "actions": []}, "event_id": "e9"}));
    h.frame(hub("conversation_transcript", json!({"conversation_id": "c", "transcript": entries}), Some("t2")));
    assert_eq!(delivered(&mut h), [("e7".to_owned(), true), ("e9".to_owned(), true)], "raw frames: {raw_frames}");
}

/// Connected, with conversation `c` open and its bot message `e1` delivered.
pub(super) fn heard_e1(t: Timings) -> H {
    let mut h = H::new(t);
    h.connect();
    h.e.attach("c");
    h.frame(bot("c", "e1"));
    delivered(&mut h);
    h
}

#[test]
fn catch_up_recovers_nothing_without_a_place_to_start_and_never_blocks() {
    // The last message delivered is not in the transcript (ids differ): nothing recovered.
    let mut h = heard_e1(timings());
    reconnect(&mut h);
    h.frame(transcript("c", &[("bot", "x1"), ("bot", "x2")]));
    assert!(delivered(&mut h).is_empty());

    // An attached conversation that delivered nothing yet: no transcript request at all.
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("quiet");
    assert!(sends(&reconnect(&mut h)).is_empty());

    // The transcript never comes: the held events go out when the request times out.
    let mut h = heard_e1(timings());
    reconnect(&mut h);
    h.frame(bot("c", "e2"));
    assert!(delivered(&mut h).is_empty());
    h.advance(Duration::from_secs(11));
    assert_eq!(delivered(&mut h), [("e2".to_owned(), false)]);
    assert_eq!(h.e.in_flight().0, 1, "only the ghost of the timed-out request is left");

    // Switched off: no request.
    let mut h = heard_e1(Timings { catch_up: false, ..timings() });
    assert!(sends(&reconnect(&mut h)).is_empty());
}

#[test]
fn a_thousand_drop_and_reconnect_cycles_leave_nothing_behind() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    h.frame(bot("c", "first"));
    let mut n = 0;
    for cycle in 0..1000 {
        // A request answered, a message proven delivered, a live message; then a drop.
        let ask = h.submit("{}", reply("conversation_metadata", "c"));
        h.frame(hub(
            "conversation_metadata",
            json!({"conversation_id": "c", "content": {}}),
            Some(&format!("m{cycle}")),
        ));
        let msg = h.submit("{}", Expect::Delivered { client_msg_id: format!("u{cycle}") });
        let g = h.e.generation();
        let ping = h.take_actions().iter().rev().find_map(|a| match a {
            Action::Ping(k) => Some(*k),
            _ => None,
        });
        h.e.pong_received(g, ping, h.now);
        n += 1;
        h.frame(bot("c", &format!("b{n}")));
        let done: Vec<RequestId> = h.completions().into_iter().filter(|(_, r)| r.is_ok()).map(|(id, _)| id).collect();
        assert_eq!(done, [ask, msg], "cycle {cycle}");

        let actions = reconnect(&mut h);
        assert!(sends(&actions).iter().any(|s| s.contains("conversation_transcript_request")));
        n += 1;
        let last = format!("b{}", n - 1);
        let missed = format!("b{n}");
        h.frame(transcript("c", &[("bot", last.as_str()), ("bot", missed.as_str())]));
        let got = delivered(&mut h);
        assert_eq!(got, [(missed.clone(), true)], "cycle {cycle}");
        assert_eq!(h.e.in_flight(), (0, 0, 0), "cycle {cycle}: nothing pending or queued");
        assert_eq!(h.e.state().name(), "connected");
        h.advance(Duration::from_secs(31)); // stable: the attempt counter resets
        h.take_actions();
        h.take_outputs();
    }
    assert_eq!(h.e.conversation_count(), 1);
}

#[test]
fn events_after_a_large_message_wait_for_it_to_be_fetched() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    h.take_actions();
    let big = |n: &str| {
        hub(
            "general_error",
            json!({"conversation_id": "c", "error_code": 413, "error_desc": "too large", "message_link": format!("https://x/m/{n}")}),
            Some(n),
        )
    };
    let mut fetches = Vec::new();
    for frame in [big("big1"), bot("c", "e2"), big("big2"), bot("c", "e3")] {
        h.frame(frame);
        for a in h.take_actions() {
            if let Action::FetchLargeMessage { fetch, announcement, .. } = a {
                fetches.push((fetch, *announcement));
            }
        }
    }
    assert!(delivered(&mut h).is_empty(), "everything waits for the first large message");
    let (f2, a2) = fetches.pop().unwrap();
    let (f1, a1) = fetches.pop().unwrap();
    h.e.large_message_fetched(f2, a2, Ok(json!([{"type": "text", "text": "two"}])));
    assert!(delivered(&mut h).is_empty(), "the second is ready, the first is not");
    // The first one fails: its 413 announcement is delivered in its place.
    h.e.large_message_fetched(f1, a1, Err("gone".into()));
    assert_eq!(
        delivered(&mut h),
        [("big1".to_owned(), false), ("e2".to_owned(), false), ("big2".to_owned(), false), ("e3".to_owned(), false)]
    );
    h.frame(bot("c", "e4"));
    assert_eq!(delivered(&mut h), [("e4".to_owned(), false)], "nothing held any more");
}

#[test]
fn a_reconnect_with_many_conversations_catches_up_eight_at_a_time() {
    let mut h = H::new(timings());
    h.connect();
    let ids: Vec<String> = (0..20).map(|i| format!("c{i:02}")).collect();
    for (i, id) in ids.iter().enumerate() {
        h.e.attach(id);
        h.frame(bot(id, &format!("m{i}")));
    }
    delivered(&mut h);
    let requests = |actions: &[Action]| sends(actions).iter().filter(|s| s.contains("transcript_request")).count();
    assert_eq!(requests(&reconnect(&mut h)), 8, "eight in flight at first");
    // A live message for a conversation still waiting for its turn is held too.
    h.frame(bot("c19", "live19"));
    assert!(delivered(&mut h).is_empty());
    for (i, id) in ids.iter().enumerate().take(12) {
        h.frame(transcript(id, &[("bot", &format!("m{i}"))]));
        assert_eq!(requests(&h.take_actions()), 1, "each answer lets the next one go");
    }
    for (i, id) in ids.iter().enumerate().skip(12) {
        h.frame(transcript(id, &[("bot", &format!("m{i}")), ("bot", &format!("missed{i}"))]));
    }
    let got = delivered(&mut h);
    assert_eq!(got.len(), 9, "{got:?}");
    assert_eq!(&got[7..], [("missed19".to_owned(), true), ("live19".to_owned(), false)]);
    assert_eq!(h.e.in_flight(), (0, 0, 0));

    // A drop while catch-ups wait: the waiting ones give up, their held events go out.
    reconnect(&mut h);
    h.frame(bot("c19", "live-again"));
    let g = h.e.generation();
    h.e.transport_closed(g, Some(1006), "", h.now);
    assert!(delivered(&mut h).iter().any(|(id, _)| id == "live-again"));
    assert_eq!(h.e.in_flight(), (0, 0, 0));
}

#[test]
fn deadlines_of_any_timeouts_expire_in_time_order_and_cancels_find_their_request() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    h.take_outputs();
    // Replies and messages with more distinct timeouts than the engine keeps queues for,
    // written in an order that is not their deadlines' order, their ids out of order too.
    let ids: [RequestId; 12] = [5, 3, 9, 1, 12, 7, 2, 11, 4, 10, 6, 8];
    let mut due = std::collections::BTreeMap::new();
    for (k, &id) in ids.iter().enumerate() {
        let timeout = Duration::from_millis(1000 + 137 * ((k * 7) % 12) as u64);
        let expect = if k % 3 == 0 {
            reply("conversation_metadata", "c")
        } else {
            Expect::Delivered { client_msg_id: format!("m{id}") }
        };
        let s = Submit { id, operation: "op".into(), frame: format!("f{id}"), expect, timeout };
        h.e.submit(s, h.now).expect("submit accepted");
        due.insert(id, h.now + timeout);
        h.advance(Duration::from_millis(10));
    }
    // The same timeout many times, most of them cancelled: the ones left still time out.
    for id in 100..1100 {
        let s = Submit {
            id,
            operation: "op".into(),
            frame: format!("f{id}"),
            expect: Expect::Delivered { client_msg_id: format!("m{id}") },
            timeout: Duration::from_millis(1500),
        };
        h.e.submit(s, h.now).expect("submit accepted");
        due.insert(id, h.now + Duration::from_millis(1500));
    }
    for id in (100..1100).filter(|id| id % 10 != 0).chain([9, 2]) {
        h.e.cancel(id);
        due.remove(&id);
    }
    let mut ended = Vec::new();
    while ended.len() < due.len() {
        assert!(h.run_to_next_timer().is_some(), "a deadline is missing");
        for (id, r) in h.completions() {
            assert!(matches!(r, Err(Error::Timeout { .. })), "{id}: {r:?}");
            assert_eq!(due.get(&id), Some(&h.now), "{id} ends at its own deadline, once");
            ended.push(id);
        }
    }
    let mut sorted = ended.clone();
    sorted.sort_by_key(|id| (due[id], ended.iter().position(|e| e == id)));
    assert_eq!(ended, sorted, "in deadline order");
    ended.sort_unstable();
    ended.dedup();
    assert_eq!(ended.len(), due.len(), "each exactly once");
    // The replies' ghosts are left, for one more period, and then nothing.
    h.advance(Duration::from_secs(3));
    assert!(h.completions().is_empty());
    assert_eq!(h.e.in_flight(), (0, 0, 0));
}

/// The announcement of a large message in conversation `c`, under event id `id`.
fn large(id: &str) -> serde_json::Value {
    hub(
        "general_error",
        json!({"conversation_id": "c", "error_code": 413, "error_desc": "too large", "message_link": format!("https://x/m/{id}")}),
        Some(id),
    )
}

/// The fetches the actions ask for, with their announcements.
fn fetches(actions: Vec<Action>) -> Vec<(u64, Inbound)> {
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::FetchLargeMessage { fetch, announcement, .. } => Some((fetch, *announcement)),
            _ => None,
        })
        .collect()
}

fn ids(got: &[(String, bool)]) -> Vec<&str> {
    got.iter().map(|(id, _)| id.as_str()).collect()
}

/// Asserts that `got` delivered exactly `want`, live, in order; a failure shows where they differ.
fn assert_live(got: &[(String, bool)], want: &[String], what: &str) {
    let at = got.iter().zip(want).position(|((g, recovered), w)| g != w || *recovered);
    assert!(
        at.is_none() && got.len() == want.len(),
        "{what}: {} delivered, {} expected; first difference at {at:?}: {:?} for {:?}",
        got.len(),
        want.len(),
        at.map(|i| &got[i]),
        at.map(|i| &want[i])
    );
}

#[test]
fn events_held_during_a_catch_up_past_max_held_go_out_oldest_first() {
    let mut h = heard_e1(timings());
    assert!(sends(&reconnect(&mut h)).iter().any(|s| s.contains("conversation_transcript_request")));
    let live: Vec<String> = (0..MAX_HELD + 5).map(|i| format!("live{i}")).collect();
    for id in &live[..MAX_HELD] {
        h.frame(bot("c", id));
    }
    assert!(delivered(&mut h).is_empty(), "up to MAX_HELD events wait for the catch-up");
    for id in &live[MAX_HELD..] {
        h.frame(bot("c", id));
    }
    let early = delivered(&mut h);
    assert_eq!(ids(&early), ["live0", "live1", "live2", "live3", "live4"], "the oldest beyond the limit, in order");
    assert!(early.iter().all(|(_, recovered)| !recovered));
    // The transcript: the missed message, then the live ones (those already out included).
    let mut entries = vec![("bot", "e1"), ("bot", "missed")];
    entries.extend(live.iter().map(|id| ("bot", id.as_str())));
    h.frame(transcript("c", &entries));
    let rest = delivered(&mut h);
    assert_eq!(rest[0], ("missed".to_owned(), true), "the missed message first, recovered");
    assert_live(&rest[1..], &live[5..], "then the held ones, once (those already out are not recovered)");
    h.frame(bot("c", "after"));
    assert_eq!(ids(&delivered(&mut h)), ["after"], "nothing held any more");
}

#[test]
fn a_large_message_at_the_head_of_the_held_queue_keeps_its_place_through_a_catch_up() {
    let mut h = heard_e1(timings());
    reconnect(&mut h);
    h.frame(large("big"));
    let mut f = fetches(h.take_actions());
    assert_eq!(f.len(), 1, "the large message is fetched at once");
    let (fetch, announcement) = f.pop().unwrap();
    h.frame(bot("c", "e3"));
    h.frame(transcript("c", &[("bot", "e1"), ("bot", "e2"), ("bot", "e3")]));
    assert_eq!(
        delivered(&mut h),
        [("e2".to_owned(), true)],
        "the missed message goes out; the live ones wait behind the large message"
    );
    h.e.large_message_fetched(fetch, announcement, Ok(json!([{"type": "text", "text": "huge"}])));
    assert_eq!(ids(&delivered(&mut h)), ["big", "e3"], "the large message in its place, then the rest");
    h.frame(bot("c", "e4"));
    assert_eq!(ids(&delivered(&mut h)), ["e4"], "nothing held any more");
}

#[test]
fn a_large_message_at_the_head_holds_back_even_past_max_held_until_it_is_fetched() {
    let mut h = heard_e1(timings());
    reconnect(&mut h);
    h.frame(large("big"));
    let (fetch, announcement) = fetches(h.take_actions()).pop().expect("a fetch");
    let live: Vec<String> = (0..MAX_HELD + 3).map(|i| format!("live{i}")).collect();
    for id in &live {
        h.frame(bot("c", id));
    }
    assert!(delivered(&mut h).is_empty(), "nothing overtakes the large message, whatever the count");
    // Fetched while the catch-up still waits: the events past the limit go out behind it.
    h.e.large_message_fetched(fetch, announcement, Ok(json!([{"type": "text", "text": "huge"}])));
    assert_eq!(ids(&delivered(&mut h)), ["big", "live0", "live1", "live2"], "down to MAX_HELD held");
    let mut entries = vec![("bot", "e1")];
    entries.extend(live.iter().map(|id| ("bot", id.as_str())));
    h.frame(transcript("c", &entries));
    assert_live(&delivered(&mut h), &live[3..], "the rest once the catch-up is done");
}

#[test]
fn network_up_retries_at_once_when_waiting_to_reconnect_and_does_nothing_otherwise() {
    let mut t = timings();
    t.reconnect.initial_delay = Duration::from_secs(30);
    t.reconnect.max_delay = Duration::from_secs(60);
    let mut h = H::new(t);
    h.connect();
    h.take_actions();
    // Connected: nothing to retry.
    h.e.network_up(h.now);
    assert!(h.e.state().is_connected());
    assert!(!h.take_actions().iter().any(|a| matches!(a, Action::Open { .. })));

    let g = h.e.generation();
    h.e.transport_closed(g, Some(1006), "", h.now);
    assert!(
        matches!(h.e.state(), ConnectionState::Disconnected { retry_in, .. } if *retry_in >= Duration::from_secs(15))
    );
    h.take_actions();
    h.advance(Duration::from_millis(10));
    h.e.network_up(h.now);
    assert!(matches!(h.e.state(), ConnectionState::Connecting { .. }), "{:?}", h.e.state());
    let opens = |actions: &[Action]| actions.iter().filter(|a| matches!(a, Action::Open { .. })).count();
    assert_eq!(opens(&h.take_actions()), 1, "the attempt starts now, not after the backoff");
    // Already connecting: no second attempt.
    h.e.network_up(h.now);
    assert_eq!(opens(&h.take_actions()), 0);
    h.open_and_greet("s2");
    assert!(h.e.state().is_connected());

    // Suspended: retried at once too.
    let mut t = timings();
    t.reconnect.initial_delay = Duration::from_secs(30);
    t.reconnect.max_delay = Duration::from_secs(60);
    t.reconnect.suspend_after = Duration::from_secs(1);
    t.reconnect.suspended_retry = Duration::from_secs(600);
    let mut h = H::new(t);
    h.connect();
    let g = h.e.generation();
    h.e.transport_closed(g, Some(1006), "", h.now);
    while !matches!(h.e.state(), ConnectionState::Suspended { .. }) {
        h.run_to_next_timer().expect("a timer runs until suspended");
        if matches!(h.e.state(), ConnectionState::Connecting { .. }) {
            let g = h.e.generation();
            h.e.transport_failed(g, TransportError::Other("refused".into()), h.now);
        }
    }
    h.take_actions();
    h.e.network_up(h.now);
    assert!(matches!(h.e.state(), ConnectionState::Connecting { .. }), "{:?}", h.e.state());
    assert_eq!(opens(&h.take_actions()), 1);
}
