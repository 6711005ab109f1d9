//! After a large frame, once the connection is quiet, the client lets go of the buffers its
//! WebSocket codec grew for it (they would otherwise stay, at the size of the largest frame,
//! for as long as the connection lasts), and loses nothing of the stream in doing so: frames
//! cut anywhere, fragmented messages with control frames between fragments, frames arriving
//! together; and over TLS, against the local hub. One test in its own process, which reads the
//! library's TRACE records.

mod support;

use std::time::Duration;

use captivate::{Client, Config, Event, TlsRoots};
use captivate_sim::{Sim, SimConfig};
use support::logs::Captured;
use support::raw_ws::{WAIT, frame, op, text};
use support::session::Session;

/// How many times the client has let go of its codec's buffers so far.
fn let_go(logs: &Captured) -> usize {
    logs.text().matches("codec buffers let go").count()
}

/// Waits until the client has let go of its buffers `n` times in all.
async fn wait_let_go(logs: &Captured, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while let_go(logs) < n {
        assert!(tokio::time::Instant::now() < deadline, "the buffers were let go {} times, not {n}", let_go(logs));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A frame of an event the library does not know, `pad` bytes long or more.
fn probe(n: u64, pad: usize) -> String {
    format!(
        r#"{{"action":"receiveMessage","event":{{"event_type":"large_probe","event_payload":{{"n":{n},"pad":"{}"}},"event_id":"large-{n}"}}}}"#,
        "x".repeat(pad)
    )
}

/// The `n` of the next probe the client delivers, and its pad's length.
async fn next_probe(s: &mut Session) -> (u64, usize) {
    let e = s.wait_for("a probe", |e| e.hub().is_some_and(|h| h.event_type == "large_probe")).await;
    let p = e.hub().unwrap().payload();
    (p["n"].as_u64().unwrap(), p["pad"].as_str().unwrap().len())
}

#[tokio::test]
async fn buffers_grown_for_a_large_frame_are_let_go_and_nothing_is_lost() {
    let logs = Captured::install();
    let mut s = Session::start().await;

    // Small frames leave the codec's buffers as they were.
    s.conn.send(&text(&probe(1, 10))).await;
    assert_eq!(next_probe(&mut s).await, (1, 10));
    assert!(s.conn.quiet_for(Duration::from_millis(100)).await);
    assert_eq!(let_go(&logs), 0, "nothing to let go after small frames");

    // A large frame: read whole, and its buffers let go once the connection is quiet.
    s.conn.send(&text(&probe(2, 300_000))).await;
    assert_eq!(next_probe(&mut s).await, (2, 300_000));
    wait_let_go(&logs, 1).await;

    // A large frame cut in the middle of its payload, with a pause there: the client is dry
    // mid-frame, and must not start anew then.
    let big = text(&probe(3, 200_000));
    let (a, b) = big.split_at(100_000);
    s.conn.send(a).await;
    // No round trip can mark that the client read this far (nothing can be put inside a
    // frame): the pause lets it run dry mid-frame, to show that nothing is let go then.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(let_go(&logs), 1, "nothing is let go in the middle of a frame");
    s.conn.send(b).await;
    assert_eq!(next_probe(&mut s).await, (3, 200_000));
    wait_let_go(&logs, 2).await;

    // A fragmented message with a ping between its fragments, paused between fragments (the
    // client is dry between frames, but inside a message), then two frames that arrive
    // together with the first half of a third.
    let json = probe(4, 50_000);
    let (a, rest) = json.split_at(json.len() / 2);
    let (b, c) = rest.split_at(rest.len() / 2);
    s.conn.send(&frame(false, 0, op::TEXT, None, a.as_bytes())).await;
    s.conn.send(&frame(true, 0, op::PING, None, b"between")).await;
    let pong = s.conn.expect_frame().await;
    assert_eq!((pong.opcode, pong.payload.as_slice()), (op::PONG, &b"between"[..]), "{}", pong.describe());
    assert!(pong.masked);
    // A second ping, sent once the first was answered: the client was dry between the two,
    // inside the message, and its answer comes after that quiet moment.
    s.conn.send(&frame(true, 0, op::PING, None, b"quiet")).await;
    let pong = s.conn.expect_frame().await;
    assert_eq!((pong.opcode, pong.payload.as_slice()), (op::PONG, &b"quiet"[..]), "{}", pong.describe());
    assert_eq!(let_go(&logs), 2, "nothing is let go inside a fragmented message");
    s.conn.send(&frame(false, 0, op::CONT, None, b.as_bytes())).await;
    s.conn.send(&frame(true, 0, op::CONT, None, c.as_bytes())).await;
    let mut together = text(&probe(5, 20_000));
    together.extend(text(&probe(6, 3)));
    let seventh = text(&probe(7, 30_000));
    let (first, second) = seventh.split_at(7);
    together.extend_from_slice(first);
    s.conn.send(&together).await;
    // The frames before the cut are delivered while the rest of the seventh is still away.
    for expected in [(4, 50_000), (5, 20_000), (6, 3)] {
        assert_eq!(next_probe(&mut s).await, expected);
    }
    s.conn.send(second).await;
    assert_eq!(next_probe(&mut s).await, (7, 30_000));
    wait_let_go(&logs, 3).await;

    // Still the same connection, nothing malformed, and the client still answers.
    s.conn.send(&frame(true, 0, op::PING, None, b"after")).await;
    let pong = s.conn.expect_frame().await;
    assert_eq!((pong.opcode, pong.payload.as_slice()), (op::PONG, &b"after"[..]), "{}", pong.describe());
    assert_eq!(s.server.accepted(), 1);
    assert!(s.client.is_connected());
    assert!(!s.seen.iter().any(|e| matches!(e, Event::Malformed(_))), "nothing malformed");

    // Over TLS (the local hub with its own certificate): the codec is made anew over the TLS
    // stream, which keeps its session, and the connection goes on.
    let before = let_go(&logs);
    let sim = Sim::start(SimConfig { tls: true, ..SimConfig::default() }).await.expect("the hub starts");
    let mut c = Config::new(sim.api_key()).url(sim.base_url());
    c.tls.roots = TlsRoots::None;
    c.tls.extra_ca_pem = sim.ca_pem();
    let client = Client::connect(c).await.expect("a TLS connection");
    let mut events = client.events();
    let mut next_tls_probe = async || loop {
        match events.next_timeout(WAIT).await {
            Some(e) if e.hub().is_some_and(|h| h.event_type == "large_probe") => {
                let p = e.hub().unwrap().payload();
                break (p["n"].as_u64().unwrap(), p["pad"].as_str().unwrap().len());
            }
            Some(_) => {}
            None => panic!("no probe over TLS within {WAIT:?}"),
        }
    };
    sim.push_text(&probe(8, 300_000));
    assert_eq!(next_tls_probe().await, (8, 300_000));
    wait_let_go(&logs, before + 1).await;
    sim.push_text(&probe(9, 10));
    assert_eq!(next_tls_probe().await, (9, 10), "the stream goes on over the same TLS session");
    assert_eq!(sim.connections_accepted(), 1);
    assert!(client.is_connected());
}
