//! The local hub started in-process through the binding layer, as every front end starts it: a
//! custom script, a conversation that follows it (hand-over included) across a dropped link,
//! inspection of what the hub received, controls, reset, and a clean stop.

use std::time::Duration;

use captivate::Event;
use captivate_binding::hub::Hub;
use captivate_binding::{Session, runtime};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

fn block<T, E: std::fmt::Debug>(f: impl std::future::Future<Output = Result<T, E>>) -> T {
    match runtime::block_on(f, Some(WAIT)) {
        Ok(v) => v,
        Err(e) => panic!("{e:?}"),
    }
}

/// The text of the next bot or agent message of the feed.
fn next_text(feed: &mut captivate::RoutedStream) -> (String, String) {
    loop {
        let r = block(async { feed.next_timeout(WAIT).await.ok_or("no event") });
        if let Event::Hub(inbound) = &r.event
            && let Some(text) = r.event.text()
        {
            return (inbound.event_type.to_string(), text);
        }
    }
}

#[test]
fn a_script_a_conversation_a_dropped_link_inspection_and_stop() {
    let script = json!({
        "greeting": [{"bot": "Welcome to Acme."}],
        "rules": [
            {"when": {"contains": "refund"}, "then": [{"bot": "Refunds take 3 days."}, {"set": {"topic": "refund"}}]},
            {"when": {"contains": "person"}, "then": [{"handover": {"agent": "Ada"}}, {"agent": "Ada here, about your {state.topic}.", "after_ms": 0}]},
            {"when": {"live": true}, "then": [{"agent": "{agent} got: {text}", "after_ms": 0}]},
            {"then": [{"bot": "Pardon?"}]}
        ]
    });
    let mut hub = Hub::start(&json!({"apiKey": "acme-test-key", "script": script, "agentDelayMs": 10})).unwrap();
    let url = hub.url().unwrap();
    assert!(url.starts_with("ws://127.0.0.1:") && !url.contains("acme-test-key"), "{url}");
    assert_eq!(hub.api_key().unwrap(), "acme-test-key");

    let mut options = hub.client_options().unwrap();
    options["reconnect"] = json!({"initial_delay_ms": 20});
    let s = block(Session::connect_json(&options));
    let mut feed = s.all_events();
    let conv = block(s.start_conversation(&json!({"user_id": "u1", "start": "user-first"})));
    let id = conv.id().to_owned();
    block(s.send_message(&id, Some("I want a refund".into()), None));
    assert_eq!(next_text(&mut feed).1, "Welcome to Acme.");
    assert_eq!(next_text(&mut feed).1, "Refunds take 3 days.");

    // The link drops; the client comes back by itself and the script goes on.
    let accepted = hub.connections_accepted().unwrap();
    hub.drop_connections().unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while hub.connections_accepted().unwrap() == accepted {
        assert!(std::time::Instant::now() < deadline, "the client never came back");
        std::thread::yield_now();
    }
    block(s.send_message(&id, Some("a person please".into()), None));
    let (kind, text) = next_text(&mut feed);
    assert_eq!((kind.as_str(), text.as_str()), ("livechat_message", "Ada here, about your refund."));
    block(s.send_message(&id, Some("thanks".into()), None));
    assert_eq!(next_text(&mut feed).1, "Ada got: thanks");
    hub.bot_says(&id, &json!(["From the test.", {"type": "cards", "cards": []}]), true).unwrap();
    assert_eq!(next_text(&mut feed).1, "From the test.");
    assert!(hub.bot_says("nope", &json!("x"), true).is_err());

    // What the hub received, narrowed to the conversation's user messages.
    let sent: Vec<String> = hub
        .received(Some(&id), Some("user_message"))
        .unwrap()
        .iter()
        .map(|f| f["event"]["event_payload"]["content"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, ["I want a refund", "a person please", "thanks"]);
    let convs = hub.conversations().unwrap();
    assert_eq!(convs[0]["live"], true);
    assert_eq!(convs[0]["agent"], "Ada");
    assert_eq!(convs[0]["state"]["topic"], "refund");

    // Faults are checked by name; a reset forgets everything.
    assert!(hub.set_faults(&json!({"reply_delay": 5})).unwrap_err().message.contains("is not one of the faults"));
    hub.set_faults(&json!({"replyDelayMs": 5})).unwrap();
    assert_eq!(hub.faults().unwrap()["reply_delay_ms"], 5);
    hub.reset().unwrap();
    assert_eq!(hub.conversations().unwrap(), json!([]));
    assert_eq!(hub.faults().unwrap()["reply_delay_ms"], 0);
    assert!(hub.received(None, None).unwrap().is_empty());

    block(async {
        s.close().await;
        Ok::<(), ()>(())
    });
    let port = hub.port().unwrap();
    hub.stop();
    assert!(hub.url().is_err(), "stopped");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "nothing listens any more");
    hub.stop();
}

#[test]
fn hubs_start_side_by_side_with_tls() {
    let a = Hub::start(&json!(null)).unwrap();
    let b = Hub::start(&json!({"tls": true})).unwrap();
    assert_ne!(a.port().unwrap(), b.port().unwrap());
    assert!(b.url().unwrap().starts_with("wss://localhost:"));
    let options = b.client_options().unwrap();
    assert!(options["ca_pem"].as_str().unwrap().contains("BEGIN CERTIFICATE"));
    let s = block(Session::connect_json(&options));
    assert!(s.state().is_connected(), "connected over TLS, trusting the hub's certificate");
    assert!(
        Hub::start(&json!({"script": {"rules": [{"then": [{"bot": 1}]}]}})).unwrap_err().message.contains("rules[0]")
    );
}

#[test]
fn the_fault_proxy_in_front_of_the_hub() {
    let hub = Hub::start(&json!({"proxy": true, "agentDelayMs": 5})).unwrap();
    let direct = hub.url().unwrap();
    let through = hub.proxy_url().unwrap();
    assert_ne!(direct, through);
    let mut options = hub.client_options().unwrap();
    assert_eq!(options["url"], through.as_str(), "clients connect through the proxy");
    options["reconnect"] = json!({"initial_delay_ms": 20});
    let s = block(Session::connect_json(&options));
    let mut feed = s.all_events();
    let conv = block(s.start_conversation(&json!({"user_id": "p", "start": "user-first"})));
    let id = conv.id().to_owned();
    block(s.send_message(&id, Some("one".into()), None));
    while next_text(&mut feed).1 != "You said: one" {}

    // Cut inside a frame: the client comes back through the proxy and goes on.
    let accepted = hub.proxy_stats().unwrap()["accepted"].as_u64().unwrap();
    assert_eq!(hub.proxy_truncate().unwrap(), 1);
    hub.bot_says(&id, &json!("this frame is cut"), true).unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while hub.proxy_stats().unwrap()["accepted"].as_u64().unwrap() == accepted {
        assert!(std::time::Instant::now() < deadline, "the client never came back");
        std::thread::yield_now();
    }
    block(s.send_message(&id, Some("two".into()), None));
    while next_text(&mut feed).1 != "You said: two" {}
    assert_eq!(hub.proxy_stats().unwrap()["truncated"], 1);

    // Faults by name and type; a reset; a restart of the proxy alone.
    assert!(hub.set_proxy_faults(&json!({"latency": 5})).is_err());
    assert!(hub.set_proxy_faults(&json!({"latencyMs": "5"})).is_err());
    hub.set_proxy_faults(&json!({"latencyMs": 30})).unwrap();
    assert_eq!(hub.proxy_faults().unwrap()["latency_ms"], 30);
    let asked = std::time::Instant::now();
    block(s.send_message(&id, Some("three".into()), None));
    while next_text(&mut feed).1 != "You said: three" {}
    assert!(asked.elapsed() >= Duration::from_millis(60), "30 ms each way");
    hub.set_proxy_faults(&json!(null)).unwrap();
    assert_eq!(hub.proxy_reset().unwrap(), 1);
    hub.proxy_restart(Duration::from_millis(100)).unwrap();
    block(s.send_message(&id, Some("four".into()), None));
    while next_text(&mut feed).1 != "You said: four" {}
    assert!(hub.proxy_stats().unwrap()["resets"].as_u64().unwrap() >= 1);

    let plain = Hub::start(&json!(null)).unwrap();
    assert!(plain.proxy_stats().unwrap_err().message.contains("no fault proxy"));
}
