//! The edges of a connection: a cut in the middle of what the driver was handed, a second
//! `socket_connected`, and the bounds and deadlines of the HTTP transport's line of posts.

use super::*;
use crate::config::Transport;

fn http() -> Timings {
    Timings { transport: Transport::Http, ..timings() }
}

/// The posts asked for, with the socket id each names.
fn posts(actions: &[Action]) -> Vec<(u64, String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Post { post, frame, socket_id } => Some((*post, frame.clone(), socket_id.clone())),
            _ => None,
        })
        .collect()
}

fn with_timeout(id: RequestId, frame: &str, expect: Expect, timeout: Duration) -> Submit {
    Submit { id, operation: "op".into(), frame: frame.into(), expect, timeout }
}

fn delivered(client_msg_id: &str) -> Expect {
    Expect::Delivered { client_msg_id: client_msg_id.into() }
}

/// Drops the connection and connects again, to socket `socket`.
fn cut_and_reconnect(h: &mut H, socket: &str) {
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    h.e.connect(h.now);
    h.open_and_greet(socket);
}

#[test]
fn a_cut_inside_a_batch_leaves_the_rest_queued_and_nothing_reported_written() {
    let mut h = H::new(timings());
    h.connect();
    h.take_outputs();
    let w = h.submit("w", Expect::Written);
    let m = h.submit("m", delivered("c-m"));
    let r = h.submit("r", reply("metadata_update_success", "c1"));
    // The link drops before the driver carried any of it out.
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    let cut = h.take_actions();
    assert!(sends(&cut).is_empty(), "nothing goes to the cut connection: {cut:?}");
    assert!(h.completions().is_empty(), "nothing reported written, nor failed");
    h.e.connect(h.now);
    h.open_and_greet("s2");
    let again = h.take_actions();
    assert_eq!(sends(&again), ["w", "m", "r"], "written on the next connection, in order, once each");
    assert!(h.completions().is_empty(), "written only once flushed");
    h.e.flushed(h.e.generation(), h.now);
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Ok(Completion::Written))] if *i == w), "{c:?}");
    // The other two complete as ever: the proof, the reply.
    let ping = again.iter().find_map(|a| if let Action::Ping(n) = a { Some(*n) } else { None }).expect("a proof ping");
    h.e.pong_received(h.e.generation(), Some(ping), h.now);
    h.frame(hub("metadata_update_success", json!({"conversation_id": "c1"}), None));
    let c = h.completions();
    assert!(c.iter().any(|(i, r)| *i == m && r == &Ok(Completion::Delivered)), "{c:?}");
    assert!(c.iter().any(|(i, res)| *i == r && matches!(res, Ok(Completion::Reply(_)))), "{c:?}");
}

#[test]
fn a_send_completes_as_written_only_once_flushed_to_its_own_connection() {
    let mut h = H::new(timings());
    h.connect();
    h.take_outputs();
    let w = h.submit("w", Expect::Written);
    assert_eq!(sends(&h.take_actions()), ["w"]);
    assert!(h.completions().is_empty(), "handed to the driver, not written yet");
    h.e.flushed(h.e.generation() + 1, h.now);
    h.e.flushed(h.e.generation() - 1, h.now);
    assert!(h.completions().is_empty(), "a flush of another connection says nothing about it");
    assert!(h.e.awaits_flush());
    h.e.flushed(h.e.generation(), h.now);
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Ok(Completion::Written))] if *i == w), "{c:?}");
    assert!(!h.e.awaits_flush());
    // A flush that never ends (the hub reads nothing) fails the call at its timeout.
    let w2 = h.submit("w2", Expect::Written);
    h.take_actions();
    h.advance(Duration::from_secs(10));
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Err(Error::Timeout { .. }))] if *i == w2), "{c:?}");
}

#[test]
fn a_frame_handed_out_but_not_flushed_at_a_cut_follows_the_delivery_policy() {
    let frame =
        r#"{"action":"sendMessage","event":{"event_type":"user_message","event_payload":{"client_msg_id":"g1"}}}"#;
    for delivery in [Delivery::AtMostOnce, Delivery::AtLeastOnce] {
        let mut h = H::new(Timings { delivery, ..timings() });
        h.connect();
        h.take_outputs();
        let w = h.submit(frame, Expect::Written);
        assert_eq!(sends(&h.take_actions()).len(), 1, "handed to the driver");
        let g = h.e.generation();
        h.e.transport_failed(g, TransportError::Other("write failed".into()), h.now);
        let c = h.completions();
        if delivery == Delivery::AtMostOnce {
            assert!(
                matches!(&c[..], [(i, Err(Error::PossiblyNotDelivered { client_msg_id }))] if *i == w && client_msg_id == "g1"),
                "{c:?}"
            );
            h.e.connect(h.now);
            h.open_and_greet("s2");
            assert!(sends(&h.take_actions()).is_empty(), "never written twice");
        } else {
            assert!(c.is_empty(), "{c:?}");
            h.e.connect(h.now);
            h.open_and_greet("s2");
            assert_eq!(sends(&h.take_actions()), [frame], "written again");
            h.e.flushed(h.e.generation(), h.now);
            let c = h.completions();
            assert!(matches!(&c[..], [(i, Ok(Completion::Written))] if *i == w), "{c:?}");
        }
    }
}

#[test]
fn a_cut_before_a_resend_went_out_keeps_it_for_the_next_connection() {
    let mut h = H::new(Timings { delivery: Delivery::AtLeastOnce, ..timings() });
    h.connect();
    let m = h.submit("m", delivered("c-m"));
    assert_eq!(sends(&h.take_actions()), ["m"]);
    cut_and_reconnect(&mut h, "s2");
    // The resend is asked for, and the link drops again before the driver took it.
    cut_and_reconnect(&mut h, "s3");
    let a = h.take_actions();
    assert_eq!(sends(&a), ["m"], "resent on the connection that carries it, once");
    let ping = a.iter().find_map(|a| if let Action::Ping(n) = a { Some(*n) } else { None }).expect("a proof ping");
    h.e.pong_received(h.e.generation(), Some(ping), h.now);
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Ok(Completion::Delivered))] if *i == m), "{c:?}");
}

#[test]
fn a_post_cut_before_it_went_out_goes_later_with_the_new_socket_id() {
    let mut h = H::new(http());
    h.connect();
    h.take_outputs();
    let m = h.submit("m", delivered("c-m"));
    // The link drops before the driver took the post.
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    let cut = h.take_actions();
    assert!(posts(&cut).is_empty(), "no post without its socket: {cut:?}");
    h.e.connect(h.now);
    h.open_and_greet("s2");
    let p = posts(&h.take_actions());
    assert_eq!(p.iter().map(|(_, f, s)| (f.as_str(), s.as_str())).collect::<Vec<_>>(), [("m", "s2")]);
    h.e.post_result(p[0].0, PostOutcome::Accepted, h.now);
    let c = h.completions();
    assert!(matches!(&c[..], [(i, Ok(Completion::Delivered))] if *i == m), "{c:?}");
}

#[test]
fn a_second_socket_connected_gives_later_posts_the_new_socket_id() {
    let mut h = H::new(http());
    h.connect();
    h.take_outputs();
    h.submit("a", Expect::Written);
    let first = posts(&h.take_actions());
    assert_eq!(first[0].2, "s1");
    h.submit("b", Expect::Written);
    h.socket_connected("s2");
    assert_eq!(h.e.state(), &ConnectionState::Connected { socket_id: "s2".into() });
    let states: Vec<_> = h.take_outputs().into_iter().filter(|o| matches!(o, Output::State(_))).collect();
    assert_eq!(states.len(), 1, "the new id is announced as a state change: {states:?}");
    h.e.post_result(first[0].0, PostOutcome::Accepted, h.now);
    let next = posts(&h.take_actions());
    assert_eq!(next.iter().map(|(_, f, s)| (f.as_str(), s.as_str())).collect::<Vec<_>>(), [("b", "s2")]);
    h.e.post_result(next[0].0, PostOutcome::Accepted, h.now);
    // A post asked for, not carried out yet, when the id changes goes with the new one.
    h.submit("c", Expect::Written);
    h.socket_connected("s3");
    let p = posts(&h.take_actions());
    assert_eq!(p.iter().map(|(_, f, s)| (f.as_str(), s.as_str())).collect::<Vec<_>>(), [("c", "s3")]);
    // The same id again, or none at all, changes nothing: no state change, the id kept.
    h.take_outputs();
    h.socket_connected("s3");
    h.socket_connected("");
    assert_eq!(h.e.state(), &ConnectionState::Connected { socket_id: "s3".into() });
    let states: Vec<_> = h.take_outputs().into_iter().filter(|o| matches!(o, Output::State(_))).collect();
    assert!(states.is_empty(), "{states:?}");
}

#[test]
fn posts_waiting_in_line_count_against_the_queue_bounds() {
    let mut h = H::new(Timings { max_queued_events: 5, ..http() });
    h.connect();
    let results: Vec<_> = (0..20)
        .map(|i| h.e.submit(with_timeout(i + 1, &format!("m{i}"), delivered("c"), Duration::from_secs(2)), h.now))
        .collect();
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 6, "one in flight and five in line");
    assert!(results[6..].iter().all(|r| matches!(r, Err(Error::QueueFull(_)))), "{results:?}");
    let mut h = H::new(Timings { max_queued_bytes: 10, ..http() });
    h.connect();
    h.submit("in flight", delivered("c"));
    h.submit("12345", delivered("c"));
    h.submit("12345", delivered("c"));
    let r = h.e.submit(with_timeout(99, "1", delivered("c"), Duration::from_secs(2)), h.now);
    assert!(matches!(r, Err(Error::QueueFull(_))), "{r:?}");
}

#[test]
fn messages_waiting_for_a_resend_count_against_the_queue_bounds() {
    let mut h = H::new(Timings { max_queued_events: 3, delivery: Delivery::AtLeastOnce, ..timings() });
    h.connect();
    for i in 0..3 {
        h.submit(&format!("m{i}"), delivered("c"));
    }
    h.take_actions();
    let g = h.e.generation();
    h.e.transport_closed(g, None, "", h.now);
    let r = h.e.submit(with_timeout(99, "late", delivered("c"), Duration::from_secs(2)), h.now);
    assert!(matches!(r, Err(Error::QueueFull(_))), "three wait for their resend: {r:?}");
}

#[test]
fn every_post_learns_its_fate_within_its_timeout_however_long_the_line() {
    let mut h = H::new(http());
    h.connect();
    h.take_outputs();
    let t = Duration::from_secs(2);
    for i in 1..=4 {
        h.e.submit(with_timeout(i, &format!("m{i}"), delivered("c"), t), h.now).unwrap();
    }
    h.e.submit(with_timeout(5, "r", reply("metadata_update_success", "c1"), t), h.now).unwrap();
    let first = posts(&h.take_actions());
    assert_eq!(first.len(), 1, "one post at a time");
    h.advance(Duration::from_secs(1));
    // Joined the line a second later: its deadline is a second later.
    h.e.submit(with_timeout(6, "m6", delivered("c"), t), h.now).unwrap();
    h.advance(Duration::from_secs(1));
    let c = h.completions();
    let mut failed: Vec<_> =
        c.iter().filter(|(_, r)| matches!(r, Err(Error::Timeout { .. }))).map(|(i, _)| *i).collect();
    failed.sort();
    assert_eq!(failed, [1, 2, 3, 4, 5], "each at its own deadline, the one in flight too: {c:?}");
    assert!(posts(&h.take_actions()).is_empty(), "nothing posted past its deadline");
    // The post in flight ends late: nothing is completed twice, and the line goes on.
    h.e.post_result(first[0].0, PostOutcome::TimedOut, h.now);
    assert!(h.completions().is_empty());
    let p = posts(&h.take_actions());
    assert_eq!(p.iter().map(|(_, f, _)| f.as_str()).collect::<Vec<_>>(), ["m6"]);
    h.e.post_result(p[0].0, PostOutcome::Accepted, h.now);
    let c = h.completions();
    assert!(matches!(&c[..], [(6, Ok(Completion::Delivered))]), "{c:?}");
    assert_eq!(h.e.in_flight(), (0, 0, 0), "nothing left behind");
    assert_eq!(h.e.poll_timeout().map(|d| d > h.now), Some(true), "no deadline in the past");
}

#[test]
fn a_post_refused_for_a_stale_socket_waits_for_the_next_socket_id() {
    let mut h = H::new(http());
    h.connect();
    h.take_outputs();
    h.submit("m", delivered("c"));
    let first = posts(&h.take_actions());
    assert_eq!(first[0].2, "s1");
    // The hub's HTTP side saw the socket go before this client did.
    h.e.post_result(
        first[0].0,
        PostOutcome::Rejected { status: 404, message: "no open socket has this socket_id".into() },
        h.now,
    );
    let completions: Vec<_> = h.take_outputs().into_iter().filter(|o| matches!(o, Output::Complete { .. })).collect();
    assert!(completions.is_empty(), "the call does not fail: {completions:?}");
    assert!(posts(&h.take_actions()).is_empty(), "nothing is posted again under the refused id");
    // The next socket id takes it.
    h.socket_connected("s2");
    let again = posts(&h.take_actions());
    assert_eq!(again.iter().map(|(_, f, s)| (f.as_str(), s.as_str())).collect::<Vec<_>>(), [("m", "s2")]);
}
