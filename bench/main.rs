//! Benchmarks, each against a baseline measured in the same run (this machine is shared and
//! noisy, so only ratios mean anything):
//!
//! 1. decoding hub frames into typed events vs parsing the same text into `serde_json::Value`;
//! 2. message round trips through the local hub (send a user message, wait for the bot's echo)
//!    with the client vs a bare tokio-tungstenite socket doing the same exchange by hand;
//! 3. the same with 100 conversations sharing one socket.
//!
//! Prints a Markdown table; `make bench` writes it to `bench/RESULTS.md`.

use std::time::{Duration, Instant};

use captivate::{Client, Config, StartMode, StartOptions};
use captivate_sim::{Sim, SimConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const FRAMES: &[&str] = &[
    include_str!("../core/tests/fixtures/receive/bot_message_text_and_buttons.json"),
    include_str!("../core/tests/fixtures/receive/livechat_message_text_and_files.json"),
    include_str!("../core/tests/fixtures/receive/conversation_transcript_example.json"),
    include_str!("../core/tests/fixtures/receive/user_conversations.json"),
    include_str!("../core/tests/fixtures/receive/general_error_nested_in_update.json"),
];

fn best_of<F: FnMut() -> Duration>(runs: usize, mut f: F) -> Duration {
    (0..runs).map(|_| f()).min().unwrap_or_default()
}

fn decode_bench() -> (Duration, Duration, usize) {
    let n = 20_000;
    let baseline = best_of(5, || {
        let t = Instant::now();
        for i in 0..n {
            let v: Value = serde_json::from_str(FRAMES[i % FRAMES.len()]).unwrap();
            std::hint::black_box(v);
        }
        t.elapsed()
    });
    let ours = best_of(5, || {
        let t = Instant::now();
        for i in 0..n {
            let e = captivate::protocol::decode(FRAMES[i % FRAMES.len()]).unwrap();
            std::hint::black_box(e);
        }
        t.elapsed()
    });
    (baseline, ours, n)
}

async fn bare_round_trips(sim: &Sim, n: usize) -> Duration {
    let (mut ws, _) = tokio_tungstenite::connect_async(sim.url()).await.unwrap();
    let next = |v: &Message| serde_json::from_str::<Value>(v.to_text().unwrap_or("{}")).unwrap_or(Value::Null);
    // socket_connected
    ws.next().await.unwrap().unwrap();
    let start = json!({"action": "sendMessage", "event": {"event_type": "conversation_start", "event_payload": {"userId": "bare"}}});
    ws.send(Message::Text(start.to_string().into())).await.unwrap();
    let conv = loop {
        let m = next(&ws.next().await.unwrap().unwrap());
        if m["event"]["event_type"] == "conversation_start_success" {
            break m["event"]["event_payload"]["conversation_id"].as_str().unwrap().to_owned();
        }
    };
    let send = |i: usize| {
        json!({"action": "sendMessage", "event": {"event_type": "user_message", "event_payload": {
            "type": "message_create", "client_msg_id": format!("m{i}"), "conversation_id": conv,
            "content": {"type": "text", "text": format!("n{i}")}}}})
        .to_string()
    };
    // The first message is answered by the greeting as well.
    ws.send(Message::Text(send(0).into())).await.unwrap();
    loop {
        let m = next(&ws.next().await.unwrap().unwrap());
        if m["event"]["event_payload"]["content"][0]["text"] == "You said: n0" {
            break;
        }
    }
    let t = Instant::now();
    for i in 1..=n {
        ws.send(Message::Text(send(i).into())).await.unwrap();
        let want = format!("You said: n{i}");
        loop {
            let m = next(&ws.next().await.unwrap().unwrap());
            if m["event"]["event_payload"]["content"][0]["text"] == want.as_str() {
                break;
            }
        }
    }
    t.elapsed()
}

async fn client_round_trips(sim: &Sim, conversations: usize, n: usize) -> Duration {
    let client = Client::connect(Config::new(sim.api_key()).url(sim.base_url())).await.unwrap();
    let mut convs = Vec::new();
    for i in 0..conversations {
        let c = client
            .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new(format!("b{i}")) })
            .await
            .unwrap();
        let mut ev = c.events();
        c.send_message("warm up").await.unwrap();
        while ev.next().await.and_then(|e| e.text()).as_deref() != Some("You said: warm up") {}
        convs.push((c, ev));
    }
    let per = n / conversations;
    let t = Instant::now();
    let tasks: Vec<_> = convs
        .into_iter()
        .map(|(c, mut ev)| {
            tokio::spawn(async move {
                for i in 0..per {
                    c.send_message(format!("n{i}")).await.unwrap();
                    let want = format!("You said: n{i}");
                    while ev.next().await.and_then(|e| e.text()).as_deref() != Some(want.as_str()) {}
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = t.elapsed();
    client.close().await;
    elapsed
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (base, ours, n) = decode_bench();
    let rt_n = 2_000;
    let (bare, single, many) = rt.block_on(async {
        let sim = Sim::start(SimConfig::default()).await.unwrap();
        let bare = bare_round_trips(&sim, rt_n).await;
        let single = client_round_trips(&sim, 1, rt_n).await;
        let many = client_round_trips(&sim, 100, rt_n).await;
        (bare, single, many)
    });
    let per = |d: Duration, n: usize| d.as_secs_f64() * 1e6 / n as f64;
    println!("| benchmark | baseline | captivate | ratio (captivate / baseline) |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| decode a hub frame ({n} frames) | serde_json::Value: {:.2} µs/frame | typed event: {:.2} µs/frame | {:.2} |",
        per(base, n),
        per(ours, n),
        ours.as_secs_f64() / base.as_secs_f64()
    );
    println!(
        "| message round trip via the local hub ({rt_n}, one conversation) | bare WebSocket: {:.1} µs | client: {:.1} µs | {:.2} |",
        per(bare, rt_n),
        per(single, rt_n),
        single.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "| {rt_n} round trips, 100 conversations on one socket | sequential bare: {:.1} µs/msg | client: {:.1} µs/msg | {:.2} |",
        per(bare, rt_n),
        per(many, rt_n),
        many.as_secs_f64() / bare.as_secs_f64()
    );
}
