//! WebSocket conformance of the client side (RFC 6455) against a raw server on loopback that
//! writes hand-made frames: pings and pongs, close codes, fragmentation, the frame size limit,
//! UTF-8, reserved bits and opcodes, masking, broken fragmentation. Each case checks what the
//! user sees (events, states, reconnects counted by the server) and what the client writes
//! back on the wire (decoded by the server; every client frame must be masked).

mod support;

use std::time::Duration;

use captivate::{ConnectionState, Event};
use support::raw_ws::{End, Tail, WAIT, close_payload, frame, header, op, text};
use support::session::{Session, probe, rss_bytes};
use tokio::sync::{RwLock, RwLockReadGuard};

/// Taken for reading by every test, and for writing by the one that measures the process's
/// memory, so that no other test allocates while it measures.
static MEMORY: RwLock<()> = RwLock::const_new(());

async fn shared() -> RwLockReadGuard<'static, ()> {
    MEMORY.read().await
}

fn assert_all_masked(tail: &Tail) {
    for f in &tail.frames {
        assert!(f.masked, "the client wrote an unmasked frame: {}", f.describe());
    }
}

/// The server pings with `payload`; the client answers with a masked pong carrying it.
async fn ping_answered(payload: &[u8]) {
    let _g = shared().await;
    let mut s = Session::start().await;
    s.conn.send(&frame(true, 0, op::PING, None, payload)).await;
    let pong = s.conn.expect_frame().await;
    assert_eq!(pong.opcode, op::PONG, "a ping is answered with a pong, not {}", pong.describe());
    assert!(pong.fin && pong.masked && pong.rsv == 0, "{}", pong.describe());
    assert_eq!(pong.payload, payload, "the pong carries the ping's payload");
    assert_eq!(s.server.accepted(), 1);
    assert!(s.client.is_connected());
}

#[tokio::test]
async fn ping_with_an_empty_payload_is_answered() {
    ping_answered(b"").await;
}

#[tokio::test]
async fn ping_with_125_bytes_is_answered_with_the_same_payload() {
    let payload: Vec<u8> = (0..125u8).collect();
    ping_answered(&payload).await;
}

/// The server sends `bytes`, which break the protocol. The client must fail the connection: a
/// close frame with one of `codes`, or TCP closed without any close frame. Nothing of the bad
/// frame reaches the user, who sees `disconnected`; the client connects again.
async fn fails_the_connection(bytes: &[u8], codes: &[u16]) -> Session {
    let mut s = Session::start().await;
    s.conn.send(bytes).await;
    let tail = answer_until_closed(&mut s).await;
    let change = s.wait_state("disconnected").await;
    s.expect_reconnect().await;
    assert_eq!(s.server.accepted(), 2, "exactly one new connection");
    assert_eq!(s.hub_events_seen("conformance_probe"), 0, "the bad frame was not delivered");
    assert_all_masked(&tail);
    let data: Vec<String> = tail.frames.iter().filter(|f| f.opcode != op::CLOSE).map(|f| f.describe()).collect();
    assert!(data.is_empty(), "the client wrote {data:?} after a protocol error");
    // RFC 6455 7.1.7: the client says why before it drops the connection.
    let close = tail.close().unwrap_or_else(|| panic!("no close frame before TCP closed: {}", tail.describe()));
    let code = close.close_code();
    assert!(code.is_some_and(|c| codes.contains(&c)), "closed with {code:?}, expected one of {codes:?}");
    eprintln!("failed the connection: {} (user saw: {:?})", tail.describe(), change.reason);
    s
}

/// Reads what the client writes until it closes TCP, answering its close frame as a server
/// would (so that a client that waits for the closing handshake is not held up).
async fn answer_until_closed(s: &mut Session) -> Tail {
    let mut frames = Vec::new();
    loop {
        match s.conn.next_frame().await {
            Ok(f) => {
                if f.opcode == op::CLOSE && !frames.iter().any(|f: &support::raw_ws::ClientFrame| f.opcode == op::CLOSE)
                {
                    let _ = s.conn.try_send(&frame(true, 0, op::CLOSE, None, &f.payload)).await;
                }
                frames.push(f);
            }
            Err(end) => return Tail { frames, end },
        }
    }
}

#[tokio::test]
async fn ping_with_126_bytes_is_a_protocol_error() {
    let _g = shared().await;
    let bad = frame(true, 0, op::PING, None, &[7u8; 126]);
    fails_the_connection(&bad, &[1002]).await;
}

#[tokio::test]
async fn an_unsolicited_pong_is_ignored() {
    let _g = shared().await;
    let mut s = Session::start().await;
    s.conn.send(&frame(true, 0, op::PONG, None, b"unsolicited")).await;
    s.conn.send(&text(&probe("conformance_probe", 1))).await;
    s.wait_hub("conformance_probe").await;
    // The same connection still answers a ping.
    s.conn.send(&frame(true, 0, op::PING, None, b"still there?")).await;
    let pong = s.conn.expect_frame().await;
    assert_eq!((pong.opcode, pong.payload.as_slice()), (op::PONG, &b"still there?"[..]), "{}", pong.describe());
    assert_eq!(s.server.accepted(), 1, "no reconnect");
    assert!(s.client.is_connected());
    assert!(!s.seen.iter().any(|e| matches!(e, Event::Malformed(_))));
}

/// The server closes with a close frame of `payload`. The user sees `disconnected` (naming the
/// code when it is a valid one), and the client connects again. Returns what the client wrote
/// on the closed connection, for the checks of [`closing`].
async fn server_closes(payload: &[u8]) -> Tail {
    let _g = shared().await;
    let mut s = Session::start().await;
    s.conn.send(&frame(true, 0, op::CLOSE, None, payload)).await;
    let tail = s.conn.read_close_reply().await;
    let change = s.wait_state("disconnected").await;
    let code = (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
    if let Some(c) = code.filter(|c| VALID_CLOSE_CODES.contains(c)) {
        let reason = change.reason.clone().unwrap_or_default();
        assert!(reason.contains(&c.to_string()), "the reason names the code: {reason:?}");
    }
    s.expect_reconnect().await;
    assert_eq!(s.server.accepted(), 2, "exactly one new connection");
    assert_all_masked(&tail);
    tail
}

/// The valid close codes the server tries.
const VALID_CLOSE_CODES: [u16; 4] = [1000, 1001, 1008, 4000];

/// The invalid close codes the server tries (never to be sent on the wire, RFC 6455 7.4).
const INVALID_CLOSE_CODES: [u16; 7] = [0, 999, 1004, 1005, 1006, 1015, 5000];

/// A valid close from the hub is not the application's close: the client reconnects after
/// every code, 1000 included (the policy, pinned here).
#[tokio::test]
async fn after_a_valid_server_close_the_client_reconnects() {
    for code in VALID_CLOSE_CODES {
        server_closes(&close_payload(Some(code), "bye")).await;
    }
    server_closes(&close_payload(None, "")).await;
}

#[tokio::test]
async fn after_an_invalid_server_close_the_client_reconnects() {
    for code in INVALID_CLOSE_CODES {
        server_closes(&close_payload(Some(code), "")).await;
    }
    server_closes(&[0x03]).await;
}

#[tokio::test]
async fn the_clients_close_sends_1000_and_waits_for_the_servers_close() {
    let _g = shared().await;
    let mut s = Session::start_with(|c| c.timings.close_timeout = Duration::from_secs(60)).await;
    let client = s.client.clone();
    let closing = tokio::spawn(async move { client.close().await });
    let close = s.conn.expect_frame().await;
    assert_eq!(close.opcode, op::CLOSE, "{}", close.describe());
    assert!(close.masked, "{}", close.describe());
    assert_eq!(close.close_code(), Some(1000));
    // It waits for the server's close instead of dropping TCP.
    assert!(s.conn.quiet_for(Duration::from_millis(300)).await, "the client closed TCP before the server's close");
    assert!(!closing.is_finished(), "close() returned before the closing handshake");
    s.conn.send(&frame(true, 0, op::CLOSE, None, &close_payload(Some(1000), ""))).await;
    let tail = s.conn.read_to_end().await;
    assert!(tail.frames.is_empty(), "nothing after its close frame: {}", tail.describe());
    assert_eq!(tail.end, End::Eof, "TCP closed cleanly");
    tokio::time::timeout(WAIT, closing).await.expect("close() returns").expect("close() does not panic");
    assert_eq!(s.client.state(), ConnectionState::Closed);
    s.wait_state("closed").await;
    assert_eq!(s.server.accepted(), 1, "no reconnect after the application's close");
}

#[tokio::test]
async fn a_fragmented_text_with_a_ping_and_a_pong_between_fragments_is_delivered_whole() {
    let _g = shared().await;
    let mut s = Session::start().await;
    let json = probe("conformance_probe", 3);
    let (a, rest) = json.split_at(json.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    let mut bytes = frame(false, 0, op::TEXT, None, a.as_bytes());
    bytes.extend(frame(true, 0, op::PING, None, b"between"));
    bytes.extend(frame(false, 0, op::CONT, None, b.as_bytes()));
    bytes.extend(frame(true, 0, op::PONG, None, b"unsolicited"));
    bytes.extend(frame(true, 0, op::CONT, None, c.as_bytes()));
    s.conn.send_byte_by_byte(&bytes).await;
    let pong = s.conn.expect_frame().await;
    assert_eq!((pong.opcode, pong.payload.as_slice()), (op::PONG, &b"between"[..]), "{}", pong.describe());
    assert!(pong.masked);
    let e = s.wait_hub("conformance_probe").await;
    assert_eq!(e.hub().unwrap().raw.to_string(), serde_json::from_str::<serde_json::Value>(&json).unwrap().to_string());
    assert_eq!(s.server.accepted(), 1);
    assert!(!s.seen.iter().any(|e| matches!(e, Event::Malformed(_))));
}

#[tokio::test]
async fn a_message_in_1000_fragments_is_delivered_whole() {
    let _g = shared().await;
    let mut s = Session::start().await;
    let json = format!(
        r#"{{"action":"receiveMessage","event":{{"event_type":"conformance_probe","event_payload":{{"pad":"{}"}},"event_id":"big"}}}}"#,
        "x".repeat(3000)
    );
    let bytes = json.as_bytes();
    let n = 1000;
    let step = bytes.len().div_ceil(n);
    let chunks: Vec<&[u8]> = bytes.chunks(step).collect();
    // Pad with empty continuations so that there are exactly `n` fragments.
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for i in 0..n {
        let part = chunks.get(i).copied().unwrap_or(&[]);
        let opcode = if i == 0 { op::TEXT } else { op::CONT };
        frames.push(frame(i == n - 1, 0, opcode, None, part));
    }
    assert!(chunks.len() <= n);
    s.conn.send(&frames.concat()).await;
    let e = s.wait_hub("conformance_probe").await;
    let pad = e.hub().unwrap().payload()["pad"].as_str().map(str::len);
    assert_eq!(pad, Some(3000), "the whole message arrived");
    assert_eq!(s.server.accepted(), 1);
}

#[tokio::test]
async fn a_frame_over_the_limit_is_refused_at_its_header() {
    // Nothing else runs while this test measures the process's memory.
    let _g = MEMORY.write().await;
    let mut s = Session::start_with(|c| c.max_frame_size = 64 * 1024).await;
    let before = rss_bytes();
    s.conn.send(&header(true, 0, op::TEXT, false, 100 << 20)).await;
    // Keep sending the payload: a client that reads on instead of refusing takes it all.
    let chunk = vec![b'a'; 64 * 1024];
    let budget = 32usize << 20;
    let mut sent = 0;
    while sent < budget {
        match tokio::time::timeout(WAIT, s.conn.try_send(&chunk)).await {
            Ok(Ok(())) => sent += chunk.len(),
            Ok(Err(_)) => break,
            Err(_) => panic!("the client neither read the frame nor closed the connection within {WAIT:?}"),
        }
    }
    let change = s.wait_state("disconnected").await;
    s.expect_reconnect().await;
    let grown = rss_bytes().saturating_sub(before);
    eprintln!("sent {sent} bytes of the payload; RSS grew by {grown} bytes; the user saw: {:?}", change.reason);
    assert!(sent < budget, "the client read {sent} bytes of a frame over its limit");
    assert!(grown < 10 << 20, "RSS grew by {grown} bytes");
    assert_eq!(s.server.accepted(), 2);
}

/// RFC 6455 8.1: a text frame that is not UTF-8 fails the connection, with close code 1007;
/// then the reconnect policy applies. It is not delivered, not even as malformed.
#[tokio::test]
async fn invalid_utf8_in_a_text_frame_fails_the_connection_with_1007() {
    let _g = shared().await;
    let mut s = Session::start().await;
    s.conn.send(&frame(true, 0, op::TEXT, None, b"{\"a\":\"\xFF\xFE\"}")).await;
    let tail = answer_until_closed(&mut s).await;
    assert_all_masked(&tail);
    let close = tail.close().unwrap_or_else(|| panic!("no close frame before TCP closed: {}", tail.describe()));
    assert_eq!(close.close_code(), Some(1007), "{}", tail.describe());
    let change = s.wait_state("disconnected").await;
    assert!(change.reason.as_deref().is_some_and(|r| r.contains("UTF-8")), "the reason says why: {change:?}");
    s.expect_reconnect().await;
    assert_eq!(s.server.accepted(), 2);
    assert!(!s.seen.iter().any(|e| matches!(e, Event::Malformed(_))), "nothing delivered: {:#?}", s.seen);
}

#[tokio::test]
async fn valid_json_in_a_binary_frame_is_decoded_like_text() {
    let _g = shared().await;
    let mut s = Session::start().await;
    s.conn.send(&frame(true, 0, op::BINARY, None, probe("conformance_probe", 5).as_bytes())).await;
    let e = s.wait_hub("conformance_probe").await;
    assert_eq!(e.hub().unwrap().payload()["n"], 5);
    assert_eq!(s.server.accepted(), 1);
}

macro_rules! protocol_errors {
    ($($name:ident: $bytes:expr),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let _g = shared().await;
            let bytes: Vec<u8> = $bytes;
            fails_the_connection(&bytes, &[1002]).await;
        }
    )*};
}

fn probe_frame(rsv: u8, opcode: u8) -> Vec<u8> {
    frame(true, rsv, opcode, None, probe("conformance_probe", 1).as_bytes())
}

protocol_errors! {
    rsv1_set_is_a_protocol_error: probe_frame(0b100, op::TEXT),
    rsv2_set_is_a_protocol_error: probe_frame(0b010, op::TEXT),
    rsv3_set_is_a_protocol_error: probe_frame(0b001, op::TEXT),
    rsv_bits_on_a_ping_are_a_protocol_error: frame(true, 0b111, op::PING, None, b"p"),
    reserved_opcode_3_is_a_protocol_error: probe_frame(0, 0x3),
    reserved_opcode_4_is_a_protocol_error: probe_frame(0, 0x4),
    reserved_opcode_5_is_a_protocol_error: probe_frame(0, 0x5),
    reserved_opcode_6_is_a_protocol_error: probe_frame(0, 0x6),
    reserved_opcode_7_is_a_protocol_error: probe_frame(0, 0x7),
    reserved_opcode_b_is_a_protocol_error: frame(true, 0, 0xB, None, b""),
    reserved_opcode_c_is_a_protocol_error: frame(true, 0, 0xC, None, b""),
    reserved_opcode_d_is_a_protocol_error: frame(true, 0, 0xD, None, b""),
    reserved_opcode_e_is_a_protocol_error: frame(true, 0, 0xE, None, b""),
    reserved_opcode_f_is_a_protocol_error: frame(true, 0, 0xF, None, b""),
    a_masked_frame_from_the_server_is_a_protocol_error:
        frame(true, 0, op::TEXT, Some([1, 2, 3, 4]), probe("conformance_probe", 1).as_bytes()),
    a_fragmented_ping_is_a_protocol_error: frame(false, 0, op::PING, None, b"p"),
    a_continuation_without_a_start_is_a_protocol_error:
        frame(true, 0, op::CONT, None, probe("conformance_probe", 1).as_bytes()),
    a_new_text_frame_inside_a_fragmented_message_is_a_protocol_error: [
        frame(false, 0, op::TEXT, None, b"{\"action\":"),
        frame(true, 0, op::TEXT, None, probe("conformance_probe", 1).as_bytes()),
    ]
    .concat(),
}

/// The closing handshake begun by the hub, and what happens to a failed connection's socket.
/// These failed before the driver finished the handshakes (the close echo was queued by
/// tungstenite and never flushed; a failed socket stayed open until the next attempt).
mod closing {
    use super::*;

    /// RFC 6455 5.5.1: a close frame is answered with a close frame (echoing the code) before
    /// TCP is closed.
    async fn answered_with_a_close_frame(code: Option<u16>) {
        let tail = server_closes(&close_payload(code, "bye")).await;
        let Some(echo) = tail.close() else {
            panic!("the client did not answer the server's close frame: {}", tail.describe());
        };
        assert_eq!(tail.frames.len(), 1, "only the close frame: {}", tail.describe());
        let got = echo.close_code();
        match code {
            Some(c) => assert!(got == Some(c) || got == Some(1000), "the close answers {c} with {got:?}"),
            None => assert!(matches!(got, None | Some(1000)), "{}", echo.describe()),
        }
    }

    #[tokio::test]
    async fn server_close_1000_is_answered_with_a_close_frame() {
        answered_with_a_close_frame(Some(1000)).await;
    }

    #[tokio::test]
    async fn server_close_1001_is_answered_with_a_close_frame() {
        answered_with_a_close_frame(Some(1001)).await;
    }

    #[tokio::test]
    async fn server_close_1008_is_answered_with_a_close_frame() {
        answered_with_a_close_frame(Some(1008)).await;
    }

    #[tokio::test]
    async fn server_close_4000_is_answered_with_a_close_frame() {
        answered_with_a_close_frame(Some(4000)).await;
    }

    #[tokio::test]
    async fn server_close_without_a_code_is_answered_with_a_close_frame() {
        answered_with_a_close_frame(None).await;
    }

    /// An invalid close payload is answered with a close 1002 (as tungstenite queues it, or as
    /// the driver writes on a protocol error).
    async fn answered_with_1002(payload: &[u8]) {
        let tail = server_closes(payload).await;
        let code = tail.close().and_then(|c| c.close_code());
        assert_eq!(code, Some(1002), "an invalid close is answered with 1002; the client did: {}", tail.describe());
    }

    #[tokio::test]
    async fn server_close_with_a_one_byte_payload_is_answered_with_1002() {
        answered_with_1002(&[0x03]).await;
    }

    macro_rules! invalid_close_codes {
        ($($name:ident: $code:expr),* $(,)?) => {$(
            #[tokio::test]
            async fn $name() {
                answered_with_1002(&close_payload(Some($code), "")).await;
            }
        )*};
    }

    invalid_close_codes! {
        server_close_code_0_is_answered_with_1002: 0,
        server_close_code_999_is_answered_with_1002: 999,
        server_close_code_1004_is_answered_with_1002: 1004,
        server_close_code_1005_is_answered_with_1002: 1005,
        server_close_code_1006_is_answered_with_1002: 1006,
        server_close_code_1015_is_answered_with_1002: 1015,
        server_close_code_5000_is_answered_with_1002: 5000,
    }

    /// A binary frame that is not UTF-8 reaches the user as `Event::Malformed`, as a text
    /// frame that is not JSON does, and the connection survives.
    #[tokio::test]
    async fn invalid_utf8_in_a_binary_frame_is_reported_as_malformed() {
        let _g = shared().await;
        let mut s = Session::start().await;
        s.conn.send(&frame(true, 0, op::BINARY, None, b"\xFF\xFE not text")).await;
        // Events arrive in order: the probe sent after the bad frame comes after its report.
        s.conn.send(&text(&probe("conformance_probe", 1))).await;
        s.wait_hub("conformance_probe").await;
        let malformed = s.seen.iter().filter(|e| matches!(e, Event::Malformed(_))).count();
        assert_eq!(s.server.accepted(), 1, "the connection survives");
        assert_eq!(
            malformed, 1,
            "a binary frame that is not UTF-8 is reported as malformed; events seen: {:#?}",
            s.seen
        );
    }

    /// Failing the connection closes it (RFC 6455 7.1.7), whatever the wait before the next
    /// attempt.
    #[tokio::test]
    async fn a_failed_connection_is_closed_before_the_next_attempt_is_due() {
        let _g = shared().await;
        let mut s = Session::start_with(|c| {
            c.timings.reconnect.initial_delay = Duration::from_secs(3600);
            c.timings.reconnect.max_delay = Duration::from_secs(3600);
        })
        .await;
        s.conn.send(&frame(true, 0, 0x3, None, b"")).await;
        s.wait_state("disconnected").await;
        assert!(
            !s.conn.quiet_for(WAIT).await,
            "the client kept TCP open for {WAIT:?} after failing the connection (its next attempt is an hour away)"
        );
        let tail = s.conn.read_to_end().await;
        assert!(tail.frames.iter().all(|f| f.opcode == op::CLOSE), "{}", tail.describe());
    }
}
