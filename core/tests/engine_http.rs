//! The engine with the HTTP transport, on a fake clock: requests posted one at a time in call
//! order, each acknowledged by its answer, replies still taken from the socket.

use std::time::{Duration, Instant};

use captivate::engine::{Action, Completion, Engine, Expect, Output, PostOutcome, ReplyMatch, Submit};
use captivate::{Delivery, ErrorKind, Timings, Transport};

type Done = Vec<(u64, Result<Completion, captivate::Error>)>;

/// What the engine asked for: posts, other actions, completions.
type Drained = (Vec<(u64, String)>, Vec<Action>, Done);

struct H {
    e: Engine,
    now: Instant,
}

impl H {
    fn new(delivery: Delivery) -> H {
        let now = Instant::now();
        let t = Timings { transport: Transport::Http, delivery, jitter_seed: Some(3), ..Timings::default() };
        H { e: Engine::new(t, now), now }
    }

    fn connect(&mut self) {
        self.e.connect(self.now);
        let g = self.e.generation();
        self.e.transport_opened(g, self.now);
        self.frame(r#"{"event":{"event_type":"socket_connected","event_payload":{"socket_id":"s1"}}}"#);
        self.drain();
    }

    fn frame(&mut self, text: &str) {
        let g = self.e.generation();
        self.e.frame_received(g, text, self.now);
    }

    fn submit(&mut self, id: u64, frame: &str, expect: Expect) {
        let s = Submit { id, operation: "op".into(), frame: frame.into(), expect, timeout: Duration::from_secs(10) };
        self.e.submit(s, self.now).expect("accepted");
    }

    /// (posts, other actions, completions)
    fn drain(&mut self) -> Drained {
        let (mut posts, mut other, mut done) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(a) = self.e.poll_action() {
            match a {
                Action::Post { post, frame, .. } => posts.push((post, frame)),
                a => other.push(a),
            }
        }
        while let Some(o) = self.e.poll_output() {
            if let Output::Complete { id, result } = o {
                done.push((id, result.map_err(|e| *e)));
            }
        }
        (posts, other, done)
    }
}

fn delivered(id: &str) -> Expect {
    Expect::Delivered { client_msg_id: id.into() }
}

#[test]
fn one_post_at_a_time_in_order_each_acknowledged_by_its_answer() {
    let mut h = H::new(Delivery::AtMostOnce);
    h.connect();
    h.submit(1, "m1", delivered("u1"));
    h.submit(2, "m2", delivered("u2"));
    h.submit(3, "w3", Expect::Written);
    let (posts, other, done) = h.drain();
    assert_eq!(posts.iter().map(|p| p.1.as_str()).collect::<Vec<_>>(), ["m1"], "one in flight");
    assert!(other.iter().all(|a| !matches!(a, Action::Send(_) | Action::Ping(_))), "nothing on the socket: {other:?}");
    assert!(done.is_empty());
    let mut order = Vec::new();
    let mut post = posts[0].0;
    for _ in 0..3 {
        h.e.post_result(post, PostOutcome::Accepted, h.now);
        let (posts, _, done) = h.drain();
        order.extend(done.into_iter().map(|(id, r)| (id, r.is_ok())));
        if let Some(p) = posts.first() {
            post = p.0;
        }
    }
    assert_eq!(order, [(1, true), (2, true), (3, true)]);
    assert_eq!(h.e.in_flight(), (0, 0, 0));
}

#[test]
fn a_reply_from_the_socket_completes_a_request_whatever_its_answer_says_later() {
    let mut h = H::new(Delivery::AtMostOnce);
    h.connect();
    let matcher = ReplyMatch {
        event_type: "conversation_metadata".into(),
        conversation_id: Some("c1".into()),
        ..ReplyMatch::default()
    };
    h.submit(1, "req", Expect::Reply(matcher.clone()));
    let (posts, _, _) = h.drain();
    h.frame(
        r#"{"event":{"event_type":"conversation_metadata","event_payload":{"conversation_id":"c1","content":{}}}}"#,
    );
    let (_, _, done) = h.drain();
    assert!(matches!(&done[..], [(1, Ok(Completion::Reply(_)))]), "{done:?}");
    h.e.post_result(posts[0].0, PostOutcome::Accepted, h.now);
    assert!(h.drain().2.is_empty(), "completed once");
    // A refused post fails a request still waiting for its reply.
    h.submit(2, "req2", Expect::Reply(matcher.clone()));
    let (posts, _, _) = h.drain();
    h.e.post_result(posts[0].0, PostOutcome::Rejected { status: 500, message: "boom".into() }, h.now);
    let (_, _, done) = h.drain();
    assert!(matches!(&done[..], [(2, Err(e))] if e.kind() == ErrorKind::Http && e.to_string().contains("500")));
    assert_eq!(h.e.in_flight(), (0, 0, 0), "no reply left waiting");
    // A request the hub refuses (404 Invalid conversation_id) fails as the hub's error, as the
    // general_error it also sends on the socket would: the same outcome whichever comes first.
    h.submit(3, "req3", Expect::Reply(matcher.clone()));
    let (posts, _, _) = h.drain();
    h.e.post_result(
        posts[0].0,
        PostOutcome::Rejected { status: 404, message: "Invalid conversation_id".into() },
        h.now,
    );
    let (_, _, done) = h.drain();
    assert!(
        matches!(&done[..], [(3, Err(e))] if e.kind() == ErrorKind::Hub && e.to_string().contains("Invalid conversation_id")),
        "{done:?}"
    );
    // A refused key stays an HTTP error.
    h.submit(4, "req4", Expect::Reply(matcher));
    let (posts, _, _) = h.drain();
    h.e.post_result(posts[0].0, PostOutcome::Rejected { status: 401, message: "invalid api key".into() }, h.now);
    let (_, _, done) = h.drain();
    assert!(matches!(&done[..], [(4, Err(e))] if e.kind() == ErrorKind::Http), "{done:?}");
}

#[test]
fn a_post_that_never_left_is_tried_once_more_and_a_lost_answer_follows_the_delivery_policy() {
    for (delivery, retried) in [(Delivery::AtMostOnce, false), (Delivery::AtLeastOnce, true)] {
        let mut h = H::new(delivery);
        h.connect();
        h.submit(1, "m1", delivered("u1"));
        let (posts, _, _) = h.drain();
        h.e.post_result(posts[0].0, PostOutcome::NotSent("refused".into()), h.now);
        let (again, _, done) = h.drain();
        assert!(done.is_empty() && again.len() == 1 && again[0].1 == "m1", "not sent: posted again");
        h.e.post_result(again[0].0, PostOutcome::Failed("reset".into()), h.now);
        let (third, _, done) = h.drain();
        if retried {
            assert!(done.is_empty() && third.len() == 1, "at-least-once posts once more");
            h.e.post_result(third[0].0, PostOutcome::Failed("reset".into()), h.now);
            let (_, _, done) = h.drain();
            assert!(matches!(&done[..], [(1, Err(e))] if e.kind() == ErrorKind::PossiblyNotDelivered));
        } else {
            assert!(third.is_empty());
            assert!(matches!(&done[..], [(1, Err(e))] if e.kind() == ErrorKind::PossiblyNotDelivered), "{done:?}");
        }
    }
}

#[test]
fn offline_requests_are_posted_in_order_after_connecting_and_fail_at_close() {
    let mut h = H::new(Delivery::AtMostOnce);
    h.submit(1, "a", Expect::Written);
    h.submit(2, "b", Expect::Written);
    h.submit(3, "c", Expect::Written);
    h.e.cancel(2);
    assert!(h.drain().0.is_empty(), "nothing posted before connecting");
    h.e.connect(h.now);
    let g = h.e.generation();
    h.e.transport_opened(g, h.now);
    assert!(h.drain().0.is_empty(), "nor before socket_connected");
    h.frame(r#"{"event":{"event_type":"socket_connected","event_payload":{"socket_id":"s1"}}}"#);
    let mut seen = Vec::new();
    loop {
        let (posts, _, _) = h.drain();
        let Some((post, frame)) = posts.into_iter().next() else { break };
        seen.push(frame);
        h.e.post_result(post, PostOutcome::Accepted, h.now);
    }
    assert_eq!(seen, ["a", "c"], "in order; the cancelled one never posted");
    assert_eq!(h.e.in_flight(), (0, 0, 0));
    // At close, the one in flight and those waiting fail once with `closed`.
    h.submit(4, "d", Expect::Written);
    h.submit(5, "e", Expect::Written);
    h.e.close(h.now);
    let (_, _, done) = h.drain();
    let mut closed: Vec<u64> =
        done.iter().filter(|(_, r)| matches!(r, Err(e) if e.kind() == ErrorKind::Closed)).map(|(id, _)| *id).collect();
    closed.sort();
    assert_eq!(closed, [4, 5]);
    assert_eq!(done.len(), 2);
}
