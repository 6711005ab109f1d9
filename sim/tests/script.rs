//! The bot's script as data: a custom script given at start and over HTTP, every kind of step,
//! the controls that speak for the bot and the agent, inspection and reset; with a bare
//! WebSocket client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use captivate_sim::{Script, Sim, SimConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn open(sim: &Sim) -> Ws {
    let tcp = tokio::net::TcpStream::connect(format!("127.0.0.1:{}", sim.port())).await.unwrap();
    tokio_tungstenite::client_async(sim.url(), tcp).await.unwrap().0
}

/// The next hub event (its `event`), skipping `socket_connected`.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a frame").unwrap().unwrap();
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["event"]["event_type"] != "socket_connected" {
                return v["event"].clone();
            }
        }
    }
}

async fn emit(ws: &mut Ws, event_type: &str, payload: Value) {
    let f = json!({"action": "sendMessage", "event": {"event_type": event_type, "event_payload": payload}});
    ws.send(Message::Text(f.to_string().into())).await.unwrap();
}

async fn start(ws: &mut Ws, user: &str) -> String {
    emit(ws, "conversation_start", json!({"userId": user})).await;
    let ok = next(ws).await;
    assert_eq!(ok["event_type"], "conversation_start_success");
    ok["event_payload"]["conversation_id"].as_str().unwrap().to_owned()
}

async fn say(ws: &mut Ws, id: &str, text: &str) {
    emit(ws, "user_message", json!({"conversation_id": id, "content": {"type": "text", "text": text}})).await;
}

fn shop() -> Value {
    json!({
        "greeting": [{"bot": ["Welcome to the shop.", {"type": "buttons", "buttons": {"title": "Pick", "options": [{"label": "Track", "value": "track"}]}}]}],
        "rules": [
            {"when": {"button": "track"}, "then": [{"bot": "Your order number?"}, {"set": {"step": "order"}}]},
            {"when": {"state": {"step": "order"}, "regex": "^(?P<n>\\d+)$"}, "then": [
                {"bot": "Order {n} for {user_id} ships today."}, {"set": {"step": "done", "order": "{n}"}},
                {"metadata": {"last_order": "{n}"}}
            ]},
            {"when": {"contains": "human"}, "then": [
                {"handover": {"agent": "Ada"}},
                {"agent": ["Ada here.", {"type": "files", "files": [{"url": "{http}/files/a.pdf", "type": "application/pdf", "filename": "a.pdf"}]}], "after_ms": 0}
            ]},
            {"when": {"live": true, "exact": "thanks"}, "then": [{"agent": "Bye from {agent}", "after_ms": 0}, {"end_handover": {}}]},
            {"when": {"live": true}, "then": [{"agent": "{agent} noted: {text}", "after_ms": 0}]},
            {"when": {"exact": "slow"}, "then": [{"delay_ms": 150}, {"bot": "finally"}]},
            {"when": {"exact": "oops"}, "then": [{"error": {"code": 500, "desc": "Something broke for {text}"}}]},
            {"when": {"exact": "huge"}, "then": [{"large_message": "x", "repeat": 300000}]},
            {"when": {"exact": "update"}, "then": [{"update": {"type": "custom", "data": {"n": "{state.order}"}}}, {"action": {"type": "normal", "id": "go", "data": {}}}]},
            {"when": {"action": "ping"}, "then": [{"bot": "pong"}]},
            {"when": {"metadata": {"plan": "gold"}}, "then": [{"bot": "Gold plan noted."}]},
            {"then": [{"bot": "Sorry, I did not get \"{text}\"."}]}
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_script_drives_the_conversation() {
    let script = Script::from_json(&shop()).unwrap();
    let sim = Sim::start(SimConfig { script, ..SimConfig::default() }).await.unwrap();
    let mut ws = open(&sim).await;
    let id = start(&mut ws, "ann").await;

    say(&mut ws, &id, "hello").await;
    let greeting = next(&mut ws).await;
    assert_eq!(greeting["event_payload"]["content"][0]["text"], "Welcome to the shop.");
    assert_eq!(greeting["event_payload"]["content"][1]["type"], "buttons");
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "Sorry, I did not get \"hello\".");

    say(&mut ws, &id, "Track").await;
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "Your order number?");
    say(&mut ws, &id, "4711").await;
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "Order 4711 for ann ships today.");
    say(&mut ws, &id, "4712").await;
    assert_eq!(
        next(&mut ws).await["event_payload"]["content"][0]["text"],
        "Sorry, I did not get \"4712\".",
        "state moved on"
    );
    let conv = &sim.conversations()[0];
    assert_eq!(conv["state"], json!({"step": "done", "order": "4711"}));
    assert_eq!(conv["metadata"]["last_order"], "4711");

    say(&mut ws, &id, "update").await;
    let update = next(&mut ws).await;
    assert_eq!(
        (update["event_type"].as_str(), &update["event_payload"]["data"]),
        (Some("conversation_update"), &json!({"n": "4711"}))
    );
    assert_eq!(next(&mut ws).await["event_payload"]["id"], "go");

    emit(&mut ws, "action", json!({"conversation_id": id, "type": "normal", "id": "ping", "data": {}})).await;
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "pong");
    emit(&mut ws, "metadata", json!({"conversation_id": id, "metadata": {"plan": "gold"}})).await;
    assert_eq!(next(&mut ws).await["event_type"], "metadata_update_success");
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "Gold plan noted.");

    say(&mut ws, &id, "oops").await;
    let e = next(&mut ws).await;
    assert_eq!(
        (e["event_payload"]["error_code"].as_u64(), e["event_payload"]["error_desc"].as_str()),
        (Some(500), Some("Something broke for oops"))
    );
    say(&mut ws, &id, "huge").await;
    let e = next(&mut ws).await;
    assert_eq!(e["event_payload"]["error_code"], 413);
    let link = e["event_payload"]["message_link"].as_str().unwrap();
    assert!(link.starts_with(&sim.http_url()));

    let asked = Instant::now();
    say(&mut ws, &id, "slow").await;
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "finally");
    assert!(asked.elapsed() >= Duration::from_millis(150), "the delay is kept");

    say(&mut ws, &id, "a human please").await;
    let connected = next(&mut ws).await;
    assert_eq!(connected["event_payload"]["type"], "livechatAgentConnected");
    assert_eq!(connected["event_payload"]["data"]["agentInfo"]["name"], "Ada");
    let hello = next(&mut ws).await;
    assert_eq!(hello["event_type"], "livechat_message");
    assert_eq!(hello["event_payload"]["content"][1]["files"][0]["url"], format!("{}/files/a.pdf", sim.http_url()));
    say(&mut ws, &id, "where is it").await;
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "Ada noted: where is it");
    assert_eq!(sim.conversations()[0]["live"], true);
    say(&mut ws, &id, "Thanks").await;
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "Bye from Ada");
    assert_eq!(next(&mut ws).await["event_payload"]["type"], "livechatAgentDisconnected");
    assert_eq!(sim.conversations()[0]["live"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_over_http_controls_inspection_and_reset() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let port = sim.port();
    let (status, err) = http(port, "POST", "/control/script", r#"{"rules": [{"when": {"exactly": "x"}, "then": []}]}"#);
    assert_eq!(status, 400);
    assert!(err["error"].as_str().unwrap().contains("rules[0].when: unknown key \"exactly\""), "{err}");
    let (status, _) = http(port, "POST", "/control/script", r#"{"rules": [{"then": [{"bot": "Echo: {text}"}]}]}"#);
    assert_eq!(status, 200);
    assert_eq!(http(port, "GET", "/control/script", "").1["rules"][0]["then"][0]["bot"], "Echo: {text}");

    let mut ws = open(&sim).await;
    let id = start(&mut ws, "bo").await;
    say(&mut ws, &id, "hi").await;
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "Echo: hi", "no greeting in this script");

    // Speaking for the bot and the agent at any moment.
    let (status, _) = http(
        port,
        "POST",
        "/control/bot",
        &json!({"conversation_id": id, "content": ["one", {"type": "cards", "cards": []}]}).to_string(),
    );
    assert_eq!(status, 200);
    let bot = next(&mut ws).await;
    assert_eq!(
        bot["event_payload"]["content"],
        json!([{"type": "text", "text": "one"}, {"type": "cards", "cards": []}])
    );
    http(port, "POST", "/control/agent", &json!({"conversation_id": id, "content": "agent line"}).to_string());
    let agent = next(&mut ws).await;
    assert_eq!(
        (agent["event_type"].as_str(), &agent["event_payload"]["content"][0]["text"]),
        (Some("livechat_message"), &json!("agent line"))
    );
    http(
        port,
        "POST",
        "/control/update",
        &json!({"conversation_id": id, "update": {"type": "livechatAgentTyping", "data": {}}}).to_string(),
    );
    assert_eq!(next(&mut ws).await["event_payload"]["type"], "livechatAgentTyping");
    assert_eq!(http(port, "POST", "/control/bot", r#"{"conversation_id": "nope", "content": "x"}"#).0, 404);
    assert_eq!(http(port, "POST", "/control/bot", &json!({"conversation_id": id, "content": 5}).to_string()).0, 400);
    assert!(sim.bot_says(&id, vec![json!({"type": "text", "text": "from rust"})], true));
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "from rust");

    // What the hub received, narrowed.
    let (_, frames) = http(port, "GET", &format!("/control/received?conversation_id={id}&event_type=user_message"), "");
    assert_eq!(frames.as_array().unwrap().len(), 1);
    assert_eq!(frames[0]["event"]["event_payload"]["content"]["text"], "hi");
    let (_, convs) = http(port, "GET", "/control/conversations", "");
    assert_eq!(convs[0]["conversation_id"], id.as_str());
    assert!(convs[0]["transcript"].as_array().unwrap().len() >= 4, "{convs}");
    assert_eq!(http(port, "GET", "/api/transcript", "").0, 401);
    let requests = sim.requests();
    assert_eq!(requests.last().unwrap()["path"], "/api/transcript");
    assert_eq!(requests.last().unwrap()["status"], 401);

    // Reset: the first script again, nothing remembered.
    assert_eq!(http(port, "POST", "/control/reset", "").0, 200);
    assert_eq!(sim.conversations(), json!([]));
    assert!(sim.received().is_empty() && sim.requests().is_empty());
    assert_eq!(sim.script(), Script::default());
    assert_eq!(ws.send(Message::Ping(Vec::new().into())).await.ok(), Some(()), "connections stay");
    let id = start(&mut ws, "cy").await;
    say(&mut ws, &id, "hi").await;
    assert_eq!(next(&mut ws).await["event_payload"]["content"][0]["text"], "Hi. I'm the Captivate Bot.");
}
