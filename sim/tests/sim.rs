//! The hub on its own: the binary's contract, the HTTP side, and the protocol it speaks,
//! exercised with a bare WebSocket client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use captivate_sim::{Faults, Sim, SimConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn http(port: u16, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn open(sim: &Sim) -> Ws {
    let addr = format!("127.0.0.1:{}", sim.port());
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async(sim.url(), tcp).await.unwrap();
    ws
}

async fn recv(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a frame").unwrap().unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

async fn recv_type(ws: &mut Ws, event_type: &str) -> Value {
    loop {
        let v = recv(ws).await;
        if v["event"]["event_type"] == event_type {
            return v;
        }
    }
}

async fn emit(ws: &mut Ws, event_type: &str, payload: Value) {
    let f = json!({"action": "sendMessage", "event": {"event_type": event_type, "event_payload": payload}});
    ws.send(Message::Text(f.to_string().into())).await.unwrap();
}

#[tokio::test]
async fn socket_connected_then_the_scripted_flow() {
    let sim = Sim::start(SimConfig { agent_delay: Duration::from_millis(10), ..SimConfig::default() }).await.unwrap();
    let mut ws = open(&sim).await;
    let hello = recv(&mut ws).await;
    assert_eq!(hello["action"], "receiveMessage");
    assert_eq!(hello["event"]["event_type"], "socket_connected");
    assert!(hello["event"]["event_payload"]["socket_id"].as_str().is_some_and(|s| !s.is_empty()));

    emit(&mut ws, "conversation_start", json!({"userId": "zed", "metadata": {"a": 1}})).await;
    let ok = recv_type(&mut ws, "conversation_start_success").await;
    let id = ok["event"]["event_payload"]["conversation_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("zed_"));
    let msg = |text: &str| json!({"type": "message_create", "client_msg_id": "m1", "conversation_id": id, "content": {"type": "text", "text": text}});
    emit(&mut ws, "user_message", msg("")).await;
    let greeting = recv_type(&mut ws, "bot_message").await;
    assert_eq!(greeting["event"]["event_payload"]["content"][2]["buttons"]["options"][1]["value"], "Chat to Agent");
    emit(&mut ws, "user_message", msg("Chat to Agent")).await;
    let update = recv_type(&mut ws, "conversation_update").await;
    assert_eq!(update["event"]["event_payload"]["type"], "livechatAgentConnected");
    let live = recv_type(&mut ws, "livechat_message").await;
    assert_eq!(live["event"]["event_payload"]["conversation_id"], id.as_str());

    emit(&mut ws, "metadata_request", json!({"conversation_id": "nope"})).await;
    let err = recv_type(&mut ws, "general_error").await;
    assert_eq!(err["event"]["event_payload"]["error_code"], 400);
    assert_eq!(err["event"]["event_payload"]["error_desc"], "Invalid conversation_id");

    // Seed names: list with get_conversations, delete all via the user id as conversation id.
    emit(&mut ws, "get_conversations", json!({"userId": "zed"})).await;
    let list = recv_type(&mut ws, "user_conversations").await;
    assert_eq!(list["event"]["event_payload"]["conversations"][0]["conversation_id"], id.as_str());
    emit(&mut ws, "delete_conversation", json!({"conversation_id": "zed"})).await;
    let del = recv_type(&mut ws, "delete_conversation_success").await;
    assert_eq!(del["event"]["event_payload"]["userId"], "zed");
    emit(&mut ws, "get_user_conversations", json!({"userId": "zed"})).await;
    let list = recv_type(&mut ws, "user_conversations").await;
    assert_eq!(list["event"]["event_payload"]["conversations"], json!([]));
    assert!(sim.received().len() >= 7);
}

#[tokio::test]
async fn large_messages_are_served_with_the_key_only() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut ws = open(&sim).await;
    emit(&mut ws, "conversation_start", json!({"userId": "big"})).await;
    let ok = recv_type(&mut ws, "conversation_start_success").await;
    let id = ok["event"]["event_payload"]["conversation_id"].as_str().unwrap().to_owned();
    emit(
        &mut ws,
        "user_message",
        json!({"conversation_id": id, "client_msg_id": "x", "content": {"type": "text", "text": "big"}}),
    )
    .await;
    let e = recv_type(&mut ws, "general_error").await;
    let link = e["event"]["event_payload"]["message_link"].as_str().unwrap().to_owned();
    assert_eq!(e["event"]["event_payload"]["error_code"], 413);
    let path = link.trim_start_matches(&sim.http_url()).to_owned();
    let port = sim.port();
    let key = sim.api_key().to_owned();
    let (with_key, without, unknown) = tokio::task::spawn_blocking(move || {
        (
            http(port, "GET", &path, &format!("x-api-key: {key}\r\n"), ""),
            http(port, "GET", &path, "", ""),
            http(port, "GET", "/messages/none", &format!("x-api-key: {key}\r\n"), ""),
        )
    })
    .await
    .unwrap();
    assert_eq!(with_key.0, 200);
    let body: Value = serde_json::from_str(&with_key.1).unwrap();
    assert!(body["botMessage"]["content"][0]["text"].as_str().unwrap().len() > 200 * 1024);
    assert_eq!(without.0, 401);
    assert_eq!(unknown.0, 404);
}

#[tokio::test]
async fn a_wrong_key_is_refused_at_the_handshake() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let url = sim.url().replace("test-key", "wrong");
    let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status().as_u16(), 401),
        other => panic!("{other}"),
    }
    assert_eq!(sim.connections_accepted(), 0);
}

#[tokio::test]
async fn restart_keeps_the_port_and_the_conversations() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut ws = open(&sim).await;
    emit(&mut ws, "conversation_start", json!({"userId": "r"})).await;
    let id =
        recv_type(&mut ws, "conversation_start_success").await["event"]["event_payload"]["conversation_id"].clone();
    sim.restart(Duration::from_millis(100)).await;
    assert!(matches!(tokio::time::timeout(Duration::from_secs(2), ws.next()).await, Ok(None | Some(Err(_)))));
    let mut ws = open(&sim).await;
    emit(&mut ws, "metadata_request", json!({"conversation_id": id})).await;
    recv_type(&mut ws, "conversation_metadata").await;
    assert_eq!(sim.connections_accepted(), 2);
}

#[tokio::test]
async fn control_endpoints_over_http() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let port = sim.port();
    let (status, body) = tokio::task::spawn_blocking(move || {
        http(port, "POST", "/control/faults", "", r#"{"reply_delay_ms": 250, "never_answer": ["metadata"]}"#)
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sim.faults(),
        Faults { reply_delay: Duration::from_millis(250), never_answer: vec!["metadata".into()], ..Faults::default() }
    );
    let mut ws = open(&sim).await;
    recv_type(&mut ws, "socket_connected").await;
    tokio::task::spawn_blocking(move || http(port, "POST", "/control/push_text", "", "{garbage")).await.unwrap();
    let m = tokio::time::timeout(Duration::from_secs(2), ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(m.to_text().unwrap(), "{garbage");
    let (_, stats) = tokio::task::spawn_blocking(move || http(port, "GET", "/control/stats", "", "")).await.unwrap();
    let stats: Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["live_connections"], 1);
    tokio::task::spawn_blocking(move || http(port, "POST", "/control/drop", "", "")).await.unwrap();
    assert!(matches!(tokio::time::timeout(Duration::from_secs(2), ws.next()).await, Ok(None | Some(Err(_)))));
}

#[test]
fn the_binary_prints_the_url_first() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_captivate-sim"))
        .args(["--port", "0", "--api-key", "k1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let line = line.trim();
    assert!(line.starts_with("ws://127.0.0.1:") && line.ends_with("/dev?apiKey=k1"), "{line}");
    let bad = Command::new(env!("CARGO_BIN_EXE_captivate-sim")).arg("--bogus").stderr(Stdio::null()).status().unwrap();
    assert_eq!(bad.code(), Some(2));
}

#[tokio::test]
async fn a_ping_is_answered_with_a_pong_unless_the_hub_stalls() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut ws = open(&sim).await;
    recv_type(&mut ws, "socket_connected").await;
    ws.send(Message::Ping(b"p1".to_vec().into())).await.unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a pong").unwrap().unwrap();
    assert_eq!(pong, Message::Pong(b"p1".to_vec().into()));
    sim.set_faults(Faults { stall: true, ..Faults::default() });
    ws.send(Message::Ping(b"p2".to_vec().into())).await.unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(300), ws.next()).await.is_err(), "no pong while stalled");
    sim.set_faults(Faults::default());
    let pong = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("the pong").unwrap().unwrap();
    assert_eq!(pong, Message::Pong(b"p2".to_vec().into()));
}

#[tokio::test]
async fn delayed_replies_keep_their_order_and_a_close_waits_behind_them() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut ws = open(&sim).await;
    recv_type(&mut ws, "socket_connected").await;
    emit(&mut ws, "conversation_start", json!({"userId": "slow"})).await;
    let id = recv_type(&mut ws, "conversation_start_success").await["event"]["event_payload"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    emit(
        &mut ws,
        "user_message",
        json!({"conversation_id": id, "client_msg_id": "g", "content": {"type": "text", "text": ""}}),
    )
    .await;
    recv_type(&mut ws, "bot_message").await;
    sim.set_faults(Faults { reply_delay: Duration::from_millis(100), ..Faults::default() });
    for i in 0..5 {
        let content = json!({"type": "text", "text": format!("n{i}")});
        emit(
            &mut ws,
            "user_message",
            json!({"conversation_id": id, "client_msg_id": format!("m{i}"), "content": content}),
        )
        .await;
    }
    // Wait until the hub has read all five before closing, so that their replies are queued.
    while sim.received().iter().filter(|f| f["event"]["event_type"] == "user_message").count() < 6 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sim.close_connections(4000, "bye");
    let mut texts = Vec::new();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a frame").unwrap().unwrap() {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                texts.push(v["event"]["event_payload"]["content"][0]["text"].as_str().unwrap().to_owned());
            }
            Message::Close(c) => break c.unwrap(),
            _ => {}
        }
    };
    assert_eq!(texts, (0..5).map(|i| format!("You said: n{i}")).collect::<Vec<_>>());
    assert_eq!(u16::from(close.code), 4000);
}

#[tokio::test]
async fn the_transcript_keeps_user_and_bot_entries_and_edits() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut ws = open(&sim).await;
    emit(&mut ws, "conversation_start", json!({"userId": "t"})).await;
    let id = recv_type(&mut ws, "conversation_start_success").await["event"]["event_payload"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let content = json!({"type": "text", "text": "hi \"there\""});
    emit(&mut ws, "user_message", json!({"conversation_id": id, "client_msg_id": "u1", "content": content})).await;
    recv_type(&mut ws, "bot_message").await; // the greeting
    let echo = recv_type(&mut ws, "bot_message").await;
    assert_eq!(echo["event"]["event_payload"]["content"], json!([{"type": "text", "text": "You said: hi \"there\""}]));
    assert_eq!(echo["event"]["event_payload"]["conversation_id"], id.as_str());
    let edited = json!({"type": "text", "text": "hello"});
    emit(&mut ws, "edit_message", json!({"conversation_id": id, "message_id": "u1", "content": edited})).await;
    recv_type(&mut ws, "message_edited_success").await;
    emit(&mut ws, "conversation_transcript_request", json!({"conversation_id": id})).await;
    let t = recv_type(&mut ws, "conversation_transcript").await["event"]["event_payload"]["transcript"].clone();
    let t = t.as_array().unwrap();
    assert_eq!(t.len(), 3, "{t:?}");
    assert_eq!(
        t[0],
        json!({"from": "user", "messages": [edited], "content": edited, "message_id": "u1", "edited": true})
    );
    assert_eq!(t[1]["from"], "bot");
    assert_eq!(
        t[2],
        json!({"from": "bot", "messages": echo["event"]["event_payload"]["content"], "event_id": echo["event"]["event_id"]})
    );
}
