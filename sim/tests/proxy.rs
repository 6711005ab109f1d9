//! The fault-injecting proxy between a bare WebSocket client and a real hub, over real sockets:
//! each fault is checked by what arrives (or does not) and by the proxy's counters, never by
//! how long anything took.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use captivate_sim::proxy::{Proxy, ProxyFaults, ProxyStats};
use captivate_sim::{Sim, SimConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

const WAIT: Duration = Duration::from_secs(10);

async fn hub_and_proxy() -> (Sim, Proxy) {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let proxy = Proxy::start(format!("127.0.0.1:{}", sim.port())).await.unwrap();
    (sim, proxy)
}

/// A WebSocket client connected to the hub through the proxy.
async fn open(sim: &Sim, proxy: &Proxy) -> Ws {
    let url = proxy.url_for(&sim.url());
    assert_eq!(url, format!("ws://127.0.0.1:{}/dev?apiKey={}", proxy.port(), sim.api_key()));
    let tcp = TcpStream::connect(proxy.addr()).await.unwrap();
    tokio_tungstenite::client_async(url, tcp).await.unwrap().0
}

async fn next(ws: &mut Ws) -> Option<Result<Message, tungstenite::Error>> {
    tokio::time::timeout(WAIT, ws.next()).await.expect("something from the socket")
}

async fn recv_type(ws: &mut Ws, event_type: &str) -> Value {
    loop {
        if let Message::Text(t) = next(ws).await.expect("a frame").expect("a frame") {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["event"]["event_type"] == event_type {
                return v;
            }
        }
    }
}

async fn emit(ws: &mut Ws, event_type: &str, payload: Value) {
    let f = json!({"action": "sendMessage", "event": {"event_type": event_type, "event_payload": payload}});
    ws.send(Message::Text(f.to_string().into())).await.unwrap();
}

/// Starts a conversation and has the greeting out of the way; its id.
async fn conversation(ws: &mut Ws) -> String {
    recv_type(ws, "socket_connected").await;
    emit(ws, "conversation_start", json!({"userId": "p"})).await;
    let ok = recv_type(ws, "conversation_start_success").await;
    let id = ok["event"]["event_payload"]["conversation_id"].as_str().unwrap().to_owned();
    say(ws, &id, "").await;
    recv_type(ws, "bot_message").await;
    id
}

async fn say(ws: &mut Ws, id: &str, text: &str) {
    let content = json!({"type": "text", "text": text});
    emit(ws, "user_message", json!({"conversation_id": id, "client_msg_id": text, "content": content})).await;
}

async fn echo_text(ws: &mut Ws) -> String {
    let m = recv_type(ws, "bot_message").await;
    m["event"]["event_payload"]["content"][0]["text"].as_str().unwrap().to_owned()
}

/// Waits until `f` holds (a test fails after `WAIT` if it never does).
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn forwards_a_conversation_and_counts_connections_and_bytes() {
    let (sim, proxy) = hub_and_proxy().await;
    let mut ws = open(&sim, &proxy).await;
    let id = conversation(&mut ws).await;
    say(&mut ws, &id, "hello").await;
    assert_eq!(echo_text(&mut ws).await, "You said: hello");
    let stats = proxy.stats();
    assert_eq!((stats.accepted, stats.live, stats.resets, stats.truncated), (1, 1, 0, 0));
    assert!(stats.bytes_up > 0 && stats.bytes_down > 0, "{stats:?}");
    assert_eq!(sim.connections_accepted(), 1);

    // A plain HTTP exchange through the proxy: the counters grow by exactly what went each way.
    let before = proxy.stats();
    let request = b"GET /control/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    let mut tcp = TcpStream::connect(proxy.addr()).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut response)).await.unwrap().unwrap();
    assert!(response.starts_with(b"HTTP/1.1 200 OK"), "{}", String::from_utf8_lossy(&response));
    drop(tcp);
    let after = proxy.stats();
    assert_eq!(after.accepted, before.accepted + 1);
    assert_eq!(after.bytes_up - before.bytes_up, request.len() as u64);
    assert_eq!(after.bytes_down - before.bytes_down, response.len() as u64);

    ws.close(None).await.unwrap();
    drop(ws);
    until("both connections are over", || proxy.stats().live == 0).await;
    until("the hub's side is over", || sim.live_connections() == 0).await;
}

#[tokio::test]
async fn with_latency_everything_arrives_in_order() {
    let (sim, proxy) = hub_and_proxy().await;
    let mut ws = open(&sim, &proxy).await;
    let id = conversation(&mut ws).await;
    proxy.set_faults(ProxyFaults { latency: Duration::from_millis(20), ..ProxyFaults::default() });
    assert_eq!(proxy.faults().latency, Duration::from_millis(20));
    for i in 0..20 {
        say(&mut ws, &id, &format!("n{i}")).await;
    }
    for i in 0..20 {
        assert_eq!(echo_text(&mut ws).await, format!("You said: n{i}"));
    }
    let sent: Vec<Value> = sim
        .received()
        .iter()
        .filter(|f| f["event"]["event_type"] == "user_message")
        .map(|f| f["event"]["event_payload"]["content"]["text"].clone())
        .collect();
    let want: Vec<Value> = std::iter::once(json!("")).chain((0..20).map(|i| json!(format!("n{i}")))).collect();
    assert_eq!(sent, want);
}

#[tokio::test]
async fn a_bandwidth_limit_still_delivers_every_byte_in_order() {
    let (sim, proxy) = hub_and_proxy().await;
    let mut ws = open(&sim, &proxy).await;
    let id = conversation(&mut ws).await;
    proxy.set_faults(ProxyFaults { bandwidth: 200_000, ..ProxyFaults::default() });
    let text: String = (0..10_000).map(|i| format!("{i:05} ")).collect::<String>().trim_end().to_owned();
    assert!(text.len() > 50_000);
    let before = proxy.stats();
    say(&mut ws, &id, &text).await;
    assert_eq!(echo_text(&mut ws).await, format!("You said: {text}"));
    let after = proxy.stats();
    assert!(after.bytes_up - before.bytes_up > text.len() as u64);
    assert!(after.bytes_down - before.bytes_down > text.len() as u64);
}

#[tokio::test]
async fn a_reset_gives_the_client_connection_reset_not_a_close() {
    let (sim, proxy) = hub_and_proxy().await;
    let mut ws = open(&sim, &proxy).await;
    recv_type(&mut ws, "socket_connected").await;
    assert_eq!(proxy.reset_all(), 1);
    let end = loop {
        match next(&mut ws).await {
            Some(Ok(Message::Text(_))) => continue,
            other => break other,
        }
    };
    match end {
        Some(Err(tungstenite::Error::Io(e))) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        other => panic!("expected a connection reset, got {other:?}"),
    }
    until("the reset connection is gone", || proxy.stats().live == 0).await;
    assert_eq!(proxy.stats().resets, 1);
    until("the hub saw its side close", || sim.live_connections() == 0).await;
}

#[tokio::test]
async fn truncation_cuts_the_next_frame_and_the_client_gets_an_error_not_a_frame() {
    let (sim, proxy) = hub_and_proxy().await;
    let mut ws = open(&sim, &proxy).await;
    recv_type(&mut ws, "socket_connected").await;
    assert_eq!(proxy.truncate_next_frame(), 1);
    emit(&mut ws, "conversation_start", json!({"userId": "cut"})).await;
    match next(&mut ws).await {
        Some(Err(tungstenite::Error::Protocol(_) | tungstenite::Error::Io(_))) => {}
        other => panic!("expected the stream to break inside the frame, got {other:?}"),
    }
    until("the cut connection is gone", || proxy.stats().live == 0).await;
    assert_eq!(proxy.stats().truncated, 1);
    // The hub did answer: the frame was cut on the way.
    assert!(sim.received().iter().any(|f| f["event"]["event_type"] == "conversation_start"));
}

/// A masked client text frame.
fn client_frame(text: &str) -> Vec<u8> {
    let mask = [0x12, 0x34, 0x56, 0x78];
    let mut f = vec![0x81];
    match text.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// Splits server frames: the payloads of the whole frames, and for a last frame that is not
/// whole, its declared payload length and the payload bytes that came.
fn server_frames(mut bytes: &[u8]) -> (Vec<Vec<u8>>, Option<(u64, usize)>) {
    let mut whole = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 2 {
            return (whole, Some((u64::MAX, 0)));
        }
        let (len, header) = match bytes[1] & 0x7f {
            126 if bytes.len() >= 4 => (u64::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 if bytes.len() >= 10 => (u64::from_be_bytes(bytes[2..10].try_into().unwrap()), 10),
            126 | 127 => return (whole, Some((u64::MAX, 0))),
            n => (u64::from(n), 2),
        };
        let body = &bytes[header..];
        if (body.len() as u64) < len {
            return (whole, Some((len, body.len())));
        }
        whole.push(body[..len as usize].to_vec());
        bytes = &body[len as usize..];
    }
    (whole, None)
}

#[tokio::test]
async fn the_cut_falls_inside_a_frame_on_the_wire() {
    let (sim, proxy) = hub_and_proxy().await;
    let mut tcp = TcpStream::connect(proxy.addr()).await.unwrap();
    let handshake = format!(
        "GET /dev?apiKey={} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        sim.api_key()
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    // Everything up to socket_connected goes through whole.
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = tokio::time::timeout(WAIT, tcp.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "closed before the handshake");
        seen.extend_from_slice(&buf[..n]);
        if let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let (frames, partial) = server_frames(&seen[at + 4..]);
            if frames.len() == 1 && partial.is_none() {
                break at + 4;
            }
        }
    };
    assert!(seen.starts_with(b"HTTP/1.1 101"));
    assert_eq!(proxy.truncate_next_frame(), 1);
    let start = json!({"action": "sendMessage", "event": {"event_type": "conversation_start", "event_payload": {"userId": "w"}}});
    tcp.write_all(&client_frame(&start.to_string())).await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(WAIT, tcp.read_to_end(&mut rest)).await.expect("the proxy closes");
    seen.extend_from_slice(&rest);
    let (frames, partial) = server_frames(&seen[head_end..]);
    assert_eq!(frames.len(), 1, "only socket_connected came whole");
    let (declared, got) = partial.expect("a partial frame at the end");
    assert!(got > 0 && (got as u64) < declared, "cut inside the payload: {got} of {declared}");
}

#[tokio::test]
async fn a_blackhole_delivers_nothing_and_keeps_the_sockets_open() {
    let (sim, proxy) = hub_and_proxy().await;
    let mut ws = open(&sim, &proxy).await;
    recv_type(&mut ws, "socket_connected").await;
    proxy.set_faults(ProxyFaults { blackhole: true, ..ProxyFaults::default() });
    emit(&mut ws, "conversation_start", json!({"userId": "bh"})).await;
    sim.push_text("pushed during the blackhole");
    assert!(tokio::time::timeout(Duration::from_millis(300), ws.next()).await.is_err(), "nothing comes");
    assert!(sim.received().iter().all(|f| f["event"]["event_type"] != "conversation_start"), "nothing goes");
    assert_eq!(proxy.stats().live, 1);
    assert_eq!(sim.live_connections(), 1);
    proxy.set_faults(ProxyFaults::default());
    // What was held back goes through once the blackhole ends.
    match next(&mut ws).await {
        Some(Ok(Message::Text(t))) => assert_eq!(t.as_str(), "pushed during the blackhole"),
        other => panic!("{other:?}"),
    }
    recv_type(&mut ws, "conversation_start_success").await;
}

#[tokio::test]
async fn a_restart_refuses_connections_then_accepts_again() {
    let (sim, proxy) = hub_and_proxy().await;
    let mut ws = open(&sim, &proxy).await;
    recv_type(&mut ws, "socket_connected").await;
    proxy.restart(Duration::from_secs(2)).await;
    let refused = TcpStream::connect(proxy.addr()).await.expect_err("refused while down");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(matches!(next(&mut ws).await, None | Some(Err(_))), "the open connection was closed");
    let deadline = tokio::time::Instant::now() + WAIT;
    while TcpStream::connect(proxy.addr()).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "never listening again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut ws = open(&sim, &proxy).await;
    recv_type(&mut ws, "socket_connected").await;
    // The probes sent nothing, so the proxy forwarded (and counted) only the two clients.
    assert_eq!(proxy.stats().accepted, 2);
    assert_eq!(sim.connections_accepted(), 2);
}

#[tokio::test]
async fn an_unreachable_upstream_closes_the_client_connection() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = Proxy::start(format!("ws://127.0.0.1:{port}/dev")).await.unwrap();
    assert_eq!(proxy.upstream(), format!("127.0.0.1:{port}"));
    assert!(tokio_tungstenite::connect_async(proxy.url_for("ws://127.0.0.1:1/dev")).await.is_err());
    until("the connection is over", || proxy.stats().live == 0).await;
    assert_eq!(proxy.stats().accepted, 1);
    assert!(Proxy::start("no port here").await.is_err());
}

/// A blocking HTTP request; the status and the body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

/// Starts the binary with `args`; the child and the first line it prints.
fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_captivate-sim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line.trim().to_owned())
}

#[test]
fn the_proxy_binary_prints_its_address_and_obeys_http_control() {
    let (mut hub, hub_url) = spawn(&["--port", "0"]);
    let (mut proxy, addr) = spawn(&["proxy", "--port", "0", "--upstream", &hub_url]);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    let (status, faults) = http(&addr, "POST", "/proxy/faults", r#"{"latency_ms": 5, "bandwidth_bps": 100000}"#);
    assert_eq!(status, 200, "{faults}");
    let faults: Value = serde_json::from_str(&faults).unwrap();
    assert_eq!(faults, json!({"latency_ms": 5, "bandwidth_bps": 100000, "blackhole": false}));
    assert_eq!(serde_json::from_str::<Value>(&http(&addr, "GET", "/proxy/faults", "").1).unwrap(), faults);

    // Any other path is the hub's, through the proxy.
    let (status, hub_stats) = http(&addr, "GET", "/control/stats", "");
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&hub_stats).unwrap()["live_connections"], 0);

    let stats: Value = serde_json::from_str(&http(&addr, "GET", "/proxy/stats", "").1).unwrap();
    assert_eq!(stats["accepted"], 1);
    assert!(stats["bytes_up"].as_u64().unwrap() > 0 && stats["bytes_down"].as_u64().unwrap() > 0, "{stats}");
    let mut fields: Vec<&String> = stats.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["accepted", "bytes_down", "bytes_up", "live", "resets", "truncated"]);
    assert_eq!(http(&addr, "POST", "/proxy/reset", "").1, r#"{"reset":0}"#);
    assert_eq!(http(&addr, "POST", "/proxy/truncate", "").1, r#"{"armed":0}"#);
    assert_eq!(http(&addr, "GET", "/proxy/nothing", "").0, 404);
    assert_eq!(http(&addr, "POST", "/proxy/restart?ms=100", "").0, 200);

    let bad = Command::new(env!("CARGO_BIN_EXE_captivate-sim")).arg("proxy").stderr(Stdio::null()).status().unwrap();
    assert_eq!(bad.code(), Some(2), "--upstream is required");
    for child in [&mut proxy, &mut hub] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[test]
fn faults_and_stats_read_and_write_their_json() {
    let f = ProxyFaults { latency: Duration::from_millis(7), bandwidth: 10, blackhole: true };
    assert_eq!(ProxyFaults::from_json(&f.to_json()), f);
    assert_eq!(ProxyFaults::from_json(&json!({})), ProxyFaults::default());
    let s = ProxyStats { accepted: 1, live: 2, bytes_up: 3, bytes_down: 4, resets: 5, truncated: 6 };
    assert_eq!(s.to_json()["bytes_down"], 4);
}

#[tokio::test]
async fn url_for_swaps_in_the_proxy_address_and_keeps_a_tls_name() {
    let proxy = Proxy::start("127.0.0.1:9").await.unwrap();
    let p = proxy.port();
    assert_eq!(proxy.url_for("wss://localhost:1234/dev?apiKey=k"), format!("wss://localhost:{p}/dev?apiKey=k"));
    assert_eq!(proxy.url_for("ws://hub.example:80"), format!("ws://127.0.0.1:{p}"));
    assert_eq!(proxy.url_for("http://127.0.0.1:5/messages/x"), format!("http://127.0.0.1:{p}/messages/x"));
    assert_eq!(proxy.http_url(), format!("http://127.0.0.1:{p}"));
}
