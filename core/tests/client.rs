//! The client against the local hub over real loopback sockets: every operation end to end,
//! and the hub's faults (drops, restarts, stalls, silence, malformed frames, duplicates).

use std::time::Duration;

use captivate::{
    Client, Config, ConnectionState, ContentItem, Conversation, DeleteMode, Delivery, Error, ErrorKind, Event,
    EventStream, FileRef, HubEvent, ListOptions, MetadataTarget, OutgoingMessage, StartMode, StartOptions, StateChange,
    TlsRoots, UpdateKind,
};
use captivate_sim::{Faults, Sim, SimConfig};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

/// The transport requests go over in this suite; `client_http.rs` runs the same suite again
/// with `Transport::Http` (its own `TRANSPORT` at its crate root).
#[allow(dead_code)]
const TRANSPORT: captivate::Transport = captivate::Transport::Socket;

async fn sim() -> Sim {
    Sim::start(SimConfig { agent_delay: Duration::from_millis(20), ..SimConfig::default() }).await.expect("sim starts")
}

fn config(sim: &Sim) -> Config {
    let mut c = Config::new(sim.api_key()).url(sim.base_url());
    c.timings.request_timeout = Duration::from_secs(3);
    c.timings.reconnect.initial_delay = Duration::from_millis(50);
    c.timings.reconnect.max_delay = Duration::from_millis(500);
    c.timings.transport = crate::TRANSPORT;
    c
}

async fn client(sim: &Sim) -> Client {
    Client::connect(config(sim)).await.expect("connects")
}

async fn user_first(client: &Client, user: &str) -> Conversation {
    client
        .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new(user) })
        .await
        .expect("starts")
}

/// The next event satisfying `f`, skipping others.
async fn wait_for(events: &mut EventStream, what: &str, f: impl Fn(&Event) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match events.next_timeout(left).await {
            Some(e) if f(&e) => return e,
            Some(_) => {}
            None => panic!("no {what} within {WAIT:?}"),
        }
    }
}

fn text_is(e: &Event, want: &str) -> bool {
    e.text().as_deref() == Some(want)
}

fn state_is(e: &Event, name: &str) -> bool {
    matches!(e, Event::State(s) if s.current.name() == name)
}

#[tokio::test]
async fn a_whole_conversation_end_to_end() {
    let sim = sim().await;
    let client = client(&sim).await;
    assert!(client.is_connected());
    assert!(client.socket_id().is_some_and(|s| !s.is_empty()));

    let conv = client
        .start_conversation(StartOptions {
            user_basic_info: Some(json!({"firstName": "Ada"})),
            metadata: Some(json!({"channel": "test"})),
            private_metadata: Some(json!({"tier": "gold"})),
            ..StartOptions::new("ada")
        })
        .await
        .unwrap();
    assert!(conv.id().starts_with("ada"));
    let mut events = conv.events();

    // Bot-first: the greeting with its buttons arrives without the user saying anything.
    let greeting =
        wait_for(&mut events, "greeting", |e| matches!(e.hub().map(|i| &i.body), Some(HubEvent::BotMessage(_)))).await;
    let HubEvent::BotMessage(m) = &greeting.hub().unwrap().body else { unreachable!() };
    let buttons = m.content.iter().find_map(|c| match c {
        ContentItem::Buttons(b) => Some(b.clone()),
        _ => None,
    });
    let labels: Vec<String> = buttons.expect("buttons").options.into_iter().map(|o| o.label).collect();
    assert_eq!(labels, ["Leave Contact Details", "Chat to Agent"]);
    assert_eq!(greeting.conversation_id(), Some(conv.id()));

    // Echo.
    let msg_id = conv.send_message("hello").await.unwrap();
    assert!(uuid_like(&msg_id), "{msg_id}");
    wait_for(&mut events, "echo", |e| text_is(e, "You said: hello")).await;

    // Files, cards, an outgoing action.
    conv.send_message(OutgoingMessage::files(vec![FileRef::new("https://x/a.pdf", "application/pdf", "a.pdf")]))
        .await
        .unwrap();
    wait_for(&mut events, "files ack", |e| text_is(e, "Thanks, I received 1 file(s).")).await;
    conv.send_message("cards").await.unwrap();
    wait_for(&mut events, "cards", |e| {
        matches!(e.hub().map(|i| &i.body), Some(HubEvent::BotMessage(m)) if matches!(m.content.first(), Some(ContentItem::Cards { .. })))
    })
    .await;
    conv.send_message("contact").await.unwrap();
    let action =
        wait_for(&mut events, "action", |e| matches!(e.hub().map(|i| &i.body), Some(HubEvent::Action(_)))).await;
    let HubEvent::Action(a) = &action.hub().unwrap().body else { unreachable!() };
    assert_eq!(a[0].id, "redirectToContactUs");

    // Hand-over to a live agent by action, agent echo, goodbye.
    conv.send_action("escalateToHuman", json!({"reason": "test"}), None).await.unwrap();
    wait_for(&mut events, "agent connected", |e| {
        matches!(e.hub().map(|i| &i.body), Some(HubEvent::ConversationUpdate(u)) if u.kind == UpdateKind::AgentConnected)
    })
    .await;
    wait_for(&mut events, "agent hello", |e| matches!(e.hub().map(|i| &i.body), Some(HubEvent::LivechatMessage(_))))
        .await;
    conv.send_message("where is my order").await.unwrap();
    wait_for(&mut events, "agent echo", |e| text_is(e, "Sam here: I got \"where is my order\".")).await;
    conv.send_message("bye").await.unwrap();
    wait_for(&mut events, "agent gone", |e| {
        matches!(e.hub().map(|i| &i.body), Some(HubEvent::ConversationUpdate(u)) if u.kind == UpdateKind::AgentDisconnected)
    })
    .await;

    // Large message: fetched over HTTP and delivered as an ordinary bot message.
    conv.send_message("big").await.unwrap();
    let big = wait_for(
        &mut events,
        "large message",
        |e| matches!(e.hub().map(|i| &i.body), Some(HubEvent::BotMessage(m)) if m.fetched_from_link),
    )
    .await;
    assert!(big.text().unwrap().len() >= 200 * 1024);

    // Metadata, private metadata, time to live.
    conv.set_metadata(json!({"plan": "gold"}), Some(MetadataTarget::BotLive)).await.unwrap();
    conv.set_private_metadata(json!({"crm": 7})).await.unwrap();
    conv.set_time_to_live(30).await.unwrap();
    assert_eq!(conv.set_time_to_live(5).await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    let md = conv.get_metadata().await.unwrap();
    assert_eq!(md["plan"], "gold");
    assert_eq!(md["channel"], "test");
    assert_eq!(md["private"], json!({"crm": 7}));
    assert_eq!(md["timeToLive"], 30);

    // Edit, transcript.
    conv.edit_message(&msg_id, "hello, edited").await.unwrap();
    let t = conv.get_transcript().await.unwrap();
    assert!(t.entries.iter().any(|e| e.text().as_deref() == Some("hello, edited")), "{t:?}");
    assert!(t.entries.iter().any(|e| e.text().as_deref() == Some("You said: hello")));

    // Listing with filter and search.
    let second = user_first(&client, "ada").await;
    second.set_metadata(json!({"channel": "other", "title": "weekly meeting"}), None).await.unwrap();
    let all = client.list_conversations(ListOptions::new("ada")).await.unwrap();
    assert_eq!(all.conversations.len(), 2);
    let filtered = client
        .list_conversations(ListOptions { filter: Some(json!({"channel": "other"})), ..ListOptions::new("ada") })
        .await
        .unwrap();
    assert_eq!(filtered.conversations.iter().map(|c| c.conversation_id.as_str()).collect::<Vec<_>>(), [second.id()]);
    let searched = client
        .list_conversations(ListOptions { search: Some(json!({"title": "meet"})), ..ListOptions::new("ada") })
        .await
        .unwrap();
    assert_eq!(searched.conversations.len(), 1);
    let paged = client
        .list_conversations(ListOptions { page: Some(2), limit: Some(1), ..ListOptions::new("ada") })
        .await
        .unwrap();
    assert_eq!(paged.conversations.len(), 1);
    let p = paged.pagination.unwrap();
    assert_eq!((p.page, p.total, p.has_prev_page), (2, 2, true));

    // Delete one; the hub then refuses it with its 400.
    conv.delete(DeleteMode::Hard).await.unwrap();
    match conv.get_metadata().await {
        Err(Error::Hub { code, description, .. }) => {
            assert_eq!(code.and_then(|c| c.as_number()), Some(400));
            assert_eq!(description, "Invalid conversation_id");
        }
        other => panic!("expected the hub's 400, got {other:?}"),
    }
    // Delete all of the user's conversations.
    client.delete_user_conversations("ada", DeleteMode::Soft).await.unwrap();
    let none = client.list_conversations(ListOptions::new("ada")).await.unwrap();
    assert!(none.conversations.is_empty());

    // What the hub received is exactly the frames of the protocol.
    let received = sim.received();
    let types: Vec<&str> = received.iter().filter_map(|f| f["event"]["event_type"].as_str()).collect();
    for t in [
        "conversation_start",
        "user_message",
        "action",
        "metadata",
        "metadata_request",
        "edit_message",
        "get_user_conversations_v2",
        "delete_conversation",
        "delete_user_conversations",
    ] {
        assert!(types.contains(&t), "the hub never saw {t}");
    }
    // Over the socket the transcript is a request; over HTTP it is read from the REST service.
    let transcript_requested = types.contains(&"conversation_transcript_request");
    assert_eq!(transcript_requested, crate::TRANSPORT == captivate::Transport::Socket);
    client.close().await;
    assert_eq!(client.state(), ConnectionState::Closed);
    assert!(matches!(conv.send_message("after close").await, Err(Error::Closed)));
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn attach_to_an_existing_conversation_and_raw_escape_hatch() {
    let sim = sim().await;
    let a = client(&sim).await;
    let conv = user_first(&a, "bob").await;
    let b = client(&sim).await;
    let same = b.conversation(conv.id()).unwrap();
    let mut events = same.events();
    same.send_message("from b").await.unwrap();
    wait_for(&mut events, "echo on the attached handle", |e| text_is(e, "You said: from b")).await;
    assert!(b.conversation("  ").is_err());

    let mut raw = b.raw_events();
    b.send_raw("metadata_request", json!({"conversation_id": conv.id()})).await.unwrap();
    wait_for(&mut raw, "raw reply", |e| e.kind_name() == "conversation_metadata").await;
    let reply = b
        .request_raw(
            "metadata_request",
            json!({"conversation_id": conv.id()}),
            "conversation_metadata",
            Some(conv.id()),
        )
        .await
        .unwrap();
    assert_eq!(reply.event_type, "conversation_metadata");
}

#[tokio::test]
async fn a_wrong_api_key_is_rejected_at_once_and_never_shown() {
    let sim = sim().await;
    let mut c = config(&sim);
    c.api_key = captivate::ApiKey::new("sk-very-secret-wrong-key");
    let err = Client::connect(c.clone()).await.unwrap_err();
    assert_eq!(err, Error::Rejected { status: 401 });
    assert!(!format!("{err} {err:?} {c:?}").contains("sk-very-secret"));
    assert_eq!(sim.connections_accepted(), 0);
}

/// Reconnecting a client whose attempts fail (no hub, reconnecting disabled) reports why the
/// new attempt failed, whether the first attempt had already failed or not when it was asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_reports_the_new_attempts_failure() {
    for i in 0..200u64 {
        let mut c = Config::new("some-key").url("ws://127.0.0.1:1/dev");
        c.timings.reconnect.enabled = false;
        c.timings.transport = crate::TRANSPORT;
        let client = Client::connect_lazy(c).expect("made");
        // Asked at moments spread over the first attempt's life (it takes tens of µs): the pause
        // is the test's input, not a wait for something.
        std::thread::sleep(Duration::from_micros(i % 100));
        client.reconnect().expect("asked");
        let e = client.wait_connected(WAIT).await.expect_err("nothing listens on port 1");
        assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
        assert_eq!(client.state(), ConnectionState::Failed);
    }
}

#[tokio::test]
async fn reconnect_after_a_drop_delivers_queued_messages_once_and_in_order() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "carol").await;
    let mut events = conv.events();
    let mut client_events = client.events();
    sim.set_faults(Faults { stall: true, ..Faults::default() });
    sim.drop_connections();
    wait_for(&mut client_events, "disconnected", |e| state_is(e, "disconnected")).await;
    // Sent while disconnected (the stalled hub holds `socket_connected` back): queued, then
    // written in order once `socket_connected` arrives. Calls are submitted when made.
    let sends = futures_util::future::join_all((0..20).map(|i| conv.send_message(format!("queued {i}"))));
    assert!(!client.is_connected(), "the link is down when the sends are made: {:?}", client.state());
    sim.set_faults(Faults::default());
    let (results, back) = tokio::join!(sends, wait_for(&mut client_events, "connected", |e| state_is(e, "connected")));
    let Event::State(back) = back else { unreachable!("a state change") };
    assert_eq!(back.queued, 20, "every send waited for the connection: {back:?}");
    for r in results {
        r.expect("queued message delivered");
    }
    wait_for(&mut events, "discontinuity", |e| matches!(e, Event::Discontinuity { .. })).await;
    let texts: Vec<String> = sim
        .received()
        .iter()
        .filter(|f| f["event"]["event_type"] == "user_message")
        .filter_map(|f| f["event"]["event_payload"]["content"]["text"].as_str().map(str::to_owned))
        .collect();
    let queued: Vec<&String> = texts.iter().filter(|t| t.starts_with("queued")).collect();
    let want: Vec<String> = (0..20).map(|i| format!("queued {i}")).collect();
    assert_eq!(queued, want.iter().collect::<Vec<_>>(), "each once, in order");
    // The listener registered before the drop still hears the conversation.
    conv.send_message("after").await.unwrap();
    wait_for(&mut events, "echo after reconnect", |e| text_is(e, "You said: after")).await;
}

#[tokio::test]
async fn the_hub_restarts_and_the_client_comes_back() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "dave").await;
    let mut events = conv.events();
    let first_socket = client.socket_id();
    sim.restart(Duration::from_millis(400)).await;
    wait_for(&mut events, "reconnected", |e| state_is(e, "connected")).await;
    assert_ne!(client.socket_id(), first_socket, "a new socket after the restart");
    conv.send_message("still there?").await.unwrap();
    wait_for(&mut events, "echo", |e| text_is(e, "You said: still there?")).await;
    assert_eq!(sim.connections_accepted(), 2);
}

#[tokio::test]
async fn tls_with_the_hubs_certificate_and_without() {
    let sim = Sim::start(SimConfig { tls: true, ..SimConfig::default() }).await.unwrap();
    assert!(sim.base_url().starts_with("wss://"));
    let mut c = config(&sim);
    c.tls.roots = TlsRoots::None;
    c.tls.extra_ca_pem = sim.ca_pem();
    let client = Client::connect(c.clone()).await.expect("TLS connection");
    let conv = user_first(&client, "erin").await;
    let mut events = conv.events();
    conv.send_message("over tls").await.unwrap();
    wait_for(&mut events, "echo", |e| text_is(e, "You said: over tls")).await;
    conv.send_message("big").await.unwrap();
    wait_for(
        &mut events,
        "large message over https",
        |e| matches!(e.hub().map(|i| &i.body), Some(HubEvent::BotMessage(m)) if m.fetched_from_link),
    )
    .await;

    let mut untrusted = config(&sim);
    untrusted.tls.roots = TlsRoots::Webpki;
    let err = Client::connect(untrusted).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert!(err.to_string().contains("TLS"), "{err}");
}

#[tokio::test]
async fn timeouts_and_late_replies() {
    let sim = sim().await;
    let mut c = config(&sim);
    c.timings.request_timeout = Duration::from_millis(400);
    c.timings.metadata_timeout = Duration::from_millis(400);
    let client = Client::connect(c).await.unwrap();
    let conv = user_first(&client, "fay").await;
    let mut events = conv.events();
    sim.set_faults(Faults { never_answer: vec!["metadata_request".into()], ..Faults::default() });
    let started = std::time::Instant::now();
    let err = conv.get_metadata().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() >= Duration::from_millis(400));
    // A reply that comes after the caller gave up reaches the conversation as an event.
    sim.set_faults(Faults { reply_delay: Duration::from_millis(800), ..Faults::default() });
    assert_eq!(conv.set_metadata(json!({"late": true}), None).await.unwrap_err().kind(), ErrorKind::Timeout);
    wait_for(&mut events, "the late reply", |e| e.kind_name() == "metadata_update_success").await;
    sim.set_faults(Faults::default());
    assert!(conv.get_metadata().await.is_ok());
}

#[tokio::test]
async fn the_error_of_a_cancelled_request_reaches_the_conversations_listeners() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "ivo").await;
    let mut events = conv.events();
    // A request the hub never answers, given up by its caller once the hub has it.
    sim.set_faults(Faults { never_answer: vec!["metadata".into()], ..Faults::default() });
    let given_up = conv.set_metadata(json!({"k": 1}), None);
    until("the hub has the request", || sim.received().iter().any(|f| f["event"]["event_type"] == "metadata")).await;
    drop(given_up);
    sim.set_faults(Faults::default());
    // Calls reach the client's task in call order: once this one is done, the request is given up.
    conv.send_message("after").await.unwrap();
    sim.push(json!({"action": "receiveMessage", "event": {
        "event_type": "general_error",
        "event_payload": {"conversation_id": conv.id(), "error_code": 500, "error_desc": "the metadata was refused"},
        "event_id": "refused-1",
    }}));
    let e = wait_for(&mut events, "the hub's error", |e| e.kind_name() == "general_error").await;
    assert!(
        matches!(&e.hub().unwrap().body, HubEvent::Error(err) if err.description == "the metadata was refused"),
        "{e:?}"
    );
    assert!(client.is_connected());
}

#[tokio::test]
async fn malformed_frames_and_unknown_events_do_not_break_the_connection() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "gus").await;
    let mut client_events = client.events();
    sim.set_faults(Faults { malformed_before_replies: true, unknown_event_before_replies: true, ..Faults::default() });
    assert!(conv.get_metadata().await.is_ok());
    let bad = wait_for(&mut client_events, "malformed", |e| matches!(e, Event::Malformed(_))).await;
    let Event::Malformed(m) = bad else { unreachable!() };
    assert_eq!(m.text, "{not json");
    let unknown = wait_for(&mut client_events, "unknown", |e| e.kind_name() == "mystery_event").await;
    assert!(matches!(&unknown.hub().unwrap().body, HubEvent::Unknown { payload } if payload["x"] == 1));
    assert_eq!(unknown.hub().unwrap().raw["event"]["event_type"], "mystery_event");
    sim.push_text("[not an envelope]");
    wait_for(&mut client_events, "malformed push", |e| matches!(e, Event::Malformed(_))).await;
    assert!(client.is_connected());
}

#[tokio::test]
async fn replies_without_conversation_id_and_duplicates() {
    let sim = sim().await;
    let client = client(&sim).await;
    let a = user_first(&client, "hal").await;
    let b = user_first(&client, "hal").await;
    sim.set_faults(Faults { omit_conversation_id: true, duplicate_events: true, ..Faults::default() });
    a.set_metadata(json!({"k": "a"}), None).await.unwrap();
    b.set_metadata(json!({"k": "b"}), None).await.unwrap();
    // A start confirmed without its id fails at once, naming why, instead of timing out.
    let err = client
        .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("hal") })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    sim.set_faults(Faults { duplicate_events: true, ..Faults::default() });
    let mut events = a.events();
    a.send_message("once").await.unwrap();
    wait_for(&mut events, "echo", |e| text_is(e, "You said: once")).await;
    // The hub sends each duplicate right after its original: one comes, if at all, before the
    // echo of a later message.
    a.send_message("later").await.unwrap();
    let e = wait_for(&mut events, "the later echo", |e| text_is(e, "You said: once") || text_is(e, "You said: later"))
        .await;
    assert!(text_is(&e, "You said: later"), "a duplicate event was delivered twice: {e:?}");
}

#[tokio::test]
async fn a_thousand_conversations_each_hear_only_their_own() {
    let sim = sim().await;
    let mut c = config(&sim);
    // Over HTTP the thousand sends wait in one line of posts, and a send's timeout counts from
    // when it joined the line: long enough for the whole line.
    c.timings.request_timeout = Duration::from_secs(30);
    let client = Client::connect(c).await.expect("connects");
    let starts: Vec<_> = (0..1000)
        .map(|i| {
            let c = client.clone();
            tokio::spawn(async move {
                c.start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new(format!("u{i}")) })
                    .await
                    .map(|conv| (i, conv))
            })
        })
        .collect();
    let mut convs = Vec::new();
    for s in starts {
        convs.push(s.await.unwrap().expect("start"));
    }
    for (i, conv) in &convs {
        assert!(conv.id().starts_with(&format!("u{i}_")), "start {i} got {}", conv.id());
    }
    let mut streams: Vec<_> = convs.iter().map(|(_, c)| c.events()).collect();
    let sends: Vec<_> = convs
        .iter()
        .map(|(i, c)| {
            let c = c.clone();
            let i = *i;
            tokio::spawn(async move { c.send_message(format!("n{i}")).await })
        })
        .collect();
    for s in sends {
        s.await.unwrap().unwrap();
    }
    for ((i, conv), events) in convs.iter().zip(streams.iter_mut()) {
        let want = format!("You said: n{i}");
        loop {
            let e = events.next_timeout(WAIT).await.expect("an event");
            assert_eq!(e.conversation_id(), Some(conv.id()), "conversation {i} heard another's event");
            if text_is(&e, &want) {
                break;
            }
        }
    }
}

#[tokio::test]
async fn a_silent_hub_is_detected_and_left() {
    let sim = sim().await;
    let mut c = config(&sim);
    c.timings.ping_interval = Duration::from_millis(200);
    c.timings.liveness_grace = Duration::from_millis(200);
    let client = Client::connect(c).await.unwrap();
    let mut events = client.events();
    sim.set_faults(Faults { stall: true, ..Faults::default() });
    let e = wait_for(&mut events, "dead link", |e| state_is(e, "disconnected")).await;
    let Event::State(s) = e else { unreachable!() };
    assert!(s.reason.unwrap().contains("nothing received"));
    sim.set_faults(Faults::default());
    wait_for(&mut events, "back", |e| state_is(e, "connected")).await;
}

#[tokio::test]
async fn no_socket_connected_times_out_the_connect() {
    let sim = sim().await;
    sim.set_faults(Faults { no_socket_connected: true, ..Faults::default() });
    let mut c = config(&sim);
    c.timings.connect_timeout = Duration::from_millis(300);
    let err = Client::connect(c).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

#[tokio::test]
async fn at_least_once_resends_with_the_same_client_msg_id() {
    let sim = sim().await;
    let mut c = config(&sim);
    c.timings.delivery = Delivery::AtLeastOnce;
    let client = Client::connect(c).await.unwrap();
    let conv = user_first(&client, "ivy").await;
    // The hub drops the connection right after it reads the next frame (the message).
    sim.set_faults(Faults { drop_after_frames: Some(1), stall: false, ..Faults::default() });
    let sent = conv.send_message("resend me").await;
    sim.set_faults(Faults::default());
    let ids: Vec<String> = sim
        .received()
        .iter()
        .filter(|f| f["event"]["event_payload"]["content"]["text"] == "resend me")
        .map(|f| f["event"]["event_payload"]["client_msg_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!ids.is_empty() && ids.len() <= 2, "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "a resend keeps the client_msg_id: {ids:?}");
    if let Ok(id) = sent {
        assert_eq!(id, ids[0]);
    }
}

#[tokio::test]
async fn socket_per_conversation_gives_each_its_own_socket() {
    let sim = sim().await;
    let mut c = config(&sim);
    c.socket_per_conversation = true;
    let client = Client::connect(c).await.unwrap();
    let a = user_first(&client, "jo").await;
    let b = user_first(&client, "jo").await;
    assert_eq!(sim.live_connections(), 3);
    let (mut ea, mut eb) = (a.events(), b.events());
    a.send_message("to a").await.unwrap();
    b.send_message("to b").await.unwrap();
    wait_for(&mut ea, "a", |e| text_is(e, "You said: to a")).await;
    wait_for(&mut eb, "b", |e| text_is(e, "You said: to b")).await;
    // A handle by id, asked for on a thread outside the runtime, gets its socket too.
    let other = client.clone();
    let c = std::thread::spawn(move || other.conversation("conv-elsewhere")).join().unwrap().unwrap();
    until("a socket for the handle by id", || sim.live_connections() == 4).await;
    drop(c);
    client.close().await;
    until("every socket closed", || sim.live_connections() == 0).await;
}

/// Waits (at most `WAIT`) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "not within {WAIT:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn dropping_every_handle_closes_the_socket() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "kim").await;
    drop(client);
    // A round trip after the drop: a close it started would come first and fail it.
    conv.get_metadata().await.expect("the conversation handle keeps the client working");
    assert_eq!(sim.live_connections(), 1, "the conversation handle keeps it open");
    drop(conv);
    until("the socket closed", || sim.live_connections() == 0).await;
}

#[tokio::test]
async fn invalid_arguments_are_refused_before_anything_is_sent() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "lee").await;
    let before = sim.received().len();
    assert_eq!(conv.send_message(OutgoingMessage::default()).await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(conv.set_metadata(json!([1]), None).await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(conv.send_action("", json!({}), None).await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(conv.edit_message("", "x").await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    let no_url = OutgoingMessage { text: None, files: vec![FileRef { url: " ".into(), ..FileRef::default() }] };
    assert_eq!(conv.send_message(no_url.clone()).await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(conv.edit_message("m-1", no_url).await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(client.list_conversations(ListOptions::new("")).await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    let err = client
        .start_conversation(StartOptions { metadata: Some(json!("no")), ..StartOptions::new("x") })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let huge = "x".repeat(2 << 20);
    assert_eq!(conv.send_message(huge).await.unwrap_err().kind(), ErrorKind::FrameTooLarge);
    assert_eq!(sim.received().len(), before);
    assert!(Client::connect(Config::new("k").url("http://nope")).await.is_err());
    assert!(Client::connect(Config::new("k").url("ws://h/dev?apiKey=k")).await.is_err());
    assert!(Client::connect(Config::new("").url("ws://h/dev")).await.is_err());
}

fn user_texts(sim: &Sim, prefix: &str) -> Vec<String> {
    sim.received()
        .iter()
        .filter(|f| f["event"]["event_type"] == "user_message")
        .filter_map(|f| f["event"]["event_payload"]["content"]["text"].as_str().map(str::to_owned))
        .filter(|t| t.starts_with(prefix))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_reach_the_hub_in_call_order_however_they_are_awaited() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "ordered").await;
    // Made in order, spawned on a multi-thread runtime in reverse order: each request was
    // submitted when its method was called, so the hub reads them in call order.
    let pending: Vec<_> = (0..50).map(|i| conv.send_message(format!("order {i}"))).collect();
    let tasks: Vec<_> = pending.into_iter().rev().map(tokio::spawn).collect();
    for t in tasks {
        t.await.expect("task").expect("delivered");
    }
    let want: Vec<String> = (0..50).map(|i| format!("order {i}")).collect();
    assert_eq!(user_texts(&sim, "order "), want);

    // Dropping a call's future before it is sent (offline, queued) cancels it: never sent.
    let mut client_events = client.events();
    sim.set_faults(Faults { stall: true, ..Faults::default() });
    sim.drop_connections();
    wait_for(&mut client_events, "disconnected", |e| state_is(e, "disconnected")).await;
    drop(conv.send_message("cancelled while queued"));
    let kept = conv.send_message("kept while queued");
    sim.set_faults(Faults::default());
    kept.await.expect("the kept message is delivered after the reconnect");
    assert_eq!(user_texts(&sim, "kept while"), ["kept while queued"]);
    assert!(user_texts(&sim, "cancelled while").is_empty(), "a dropped call is never sent");
}

#[tokio::test]
async fn close_ends_every_stream_and_reconnect_listens_anew() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "closer").await;
    let mut client_events = client.events();
    let mut conv_events = conv.events();
    let mut raw = client.raw_events();
    let reader = tokio::spawn(async move {
        let mut last = None;
        while let Some(e) = conv_events.next().await {
            last = Some(e);
        }
        last
    });
    client.close().await;
    assert_eq!(client.state(), ConnectionState::Closed, "closed as soon as close() returns");
    let last = tokio::time::timeout(WAIT, reader).await.expect("the conversation stream ends").expect("task");
    assert!(last.as_ref().is_some_and(|e| state_is(e, "closed")), "closed is the last event: {last:?}");
    let mut last = None;
    while let Some(e) = tokio::time::timeout(WAIT, client_events.next()).await.expect("the client stream ends") {
        last = Some(e);
    }
    assert!(last.as_ref().is_some_and(|e| state_is(e, "closed")), "closed is the last event: {last:?}");
    assert!(tokio::time::timeout(WAIT, raw.next()).await.expect("the raw stream ends").is_none());
    assert_eq!(conv.send_message("after close").await.unwrap_err().kind(), ErrorKind::Closed);

    // A stream opened while closed gets what was kept for it and ends at once.
    let mut after_close = conv.events();
    while tokio::time::timeout(WAIT, after_close.next()).await.expect("a stream opened after close ends").is_some() {}

    // Connecting again: new streams hear the conversation.
    client.reconnect().unwrap();
    let mut conv_events = conv.events();
    client.wait_connected(WAIT).await.unwrap();
    conv.send_message("back").await.unwrap();
    wait_for(&mut conv_events, "echo after reconnect", |e| text_is(e, "You said: back")).await;

    // Closing while disconnected: closed at once too.
    let mut client_events = client.events();
    sim.set_faults(Faults { stall: true, ..Faults::default() });
    sim.drop_connections();
    wait_for(&mut client_events, "the drop", |e| state_is(e, "disconnected")).await;
    client.close().await;
    assert_eq!(client.state(), ConnectionState::Closed);
}

#[tokio::test]
async fn messages_missed_during_a_drop_are_recovered_once_in_order() {
    let sim = sim().await;
    let client = client(&sim).await;
    let conv = user_first(&client, "catcher").await;
    let mut events = conv.events();
    conv.send_message("before").await.unwrap();
    wait_for(&mut events, "echo before the drop", |e| text_is(e, "You said: before")).await;
    // The flow speaks while the link is dead: only the transcript has these.
    for i in 1..=3 {
        assert!(sim.say(conv.id(), &format!("missed {i}"), false));
    }
    sim.drop_connections();
    wait_for(&mut events, "discontinuity", |e| matches!(e, Event::Discontinuity { .. })).await;
    conv.send_message("after").await.unwrap();
    let mut seen = Vec::new();
    loop {
        let e = wait_for(&mut events, "a bot message", |e| {
            matches!(e.hub().map(|i| &i.body), Some(HubEvent::BotMessage(_)))
        })
        .await;
        let Some(HubEvent::BotMessage(m)) = e.hub().map(|i| &i.body) else { unreachable!() };
        let text = m.text().unwrap_or_default();
        seen.push((text.clone(), m.recovered));
        if text == "You said: after" {
            break;
        }
    }
    let want = [("missed 1", true), ("missed 2", true), ("missed 3", true), ("You said: after", false)];
    assert_eq!(seen, want.map(|(t, r)| (t.to_owned(), r)), "recovered once each, in order, before newer ones");
}

#[tokio::test]
async fn thirty_drops_in_a_row_leave_one_socket_and_working_listeners() {
    let sim = sim().await;
    let mut config = config(&sim);
    config.timings.reconnect.max_delay = Duration::from_millis(100);
    let client = Client::connect(config).await.unwrap();
    let conv = user_first(&client, "soak").await;
    let mut events = conv.events();
    let mut client_events = client.events();
    for i in 0..30 {
        sim.drop_connections();
        wait_for(&mut client_events, "the drop", |e| state_is(e, "disconnected")).await;
        wait_for(&mut client_events, "connected again", |e| state_is(e, "connected")).await;
        let text = format!("cycle {i}");
        conv.send_message(text.as_str()).await.unwrap();
        wait_for(&mut events, "the echo", |e| text_is(e, &format!("You said: {text}"))).await;
        assert_eq!(conv.get_metadata().await.unwrap()["private"], serde_json::Value::Null);
    }
    until("old sockets closed", || sim.live_connections() == 1).await;
    assert_eq!(sim.connections_accepted(), 31);
}

/// One stream of every event, each once, in order, with its route: an event naming no
/// conversation while exactly one is open goes to the client and to that conversation, and
/// appears once; state changes appear once; the stream ends at close, and one opened after
/// close ends at once.
#[tokio::test]
async fn all_events_carries_each_event_once_in_order_with_its_route() {
    let sim = sim().await;
    let client = client(&sim).await;
    let mut all = client.all_events();
    let conv = user_first(&client, "all-events").await;
    conv.send_message("one").await.unwrap();
    conv.send_message("two").await.unwrap();
    sim.push(serde_json::json!({"action": "receiveMessage", "event": {"event_type": "mystery_event", "event_payload": {"x": 1}, "event_id": "m-1"}}));
    conv.send_message("three").await.unwrap();
    let mut seen = Vec::new();
    let echo = |r: &captivate::Routed| r.event.text().is_some_and(|t| t.starts_with("You said"));
    while seen.iter().filter(|r| echo(r)).count() < 3 {
        let r = tokio::time::timeout(WAIT, all.next()).await.expect("events").expect("open");
        seen.push(r);
    }
    let texts: Vec<String> = seen.iter().filter(|r| echo(r)).filter_map(|r| r.event.text()).collect();
    assert_eq!(texts, ["You said: one", "You said: two", "You said: three"]);
    for r in seen.iter().filter(|r| r.event.text().is_some()) {
        assert_eq!(r.conversation_id.as_deref(), Some(conv.id()));
        assert!(!r.to_client);
    }
    let mystery: Vec<&captivate::Routed> =
        seen.iter().filter(|r| r.event.hub().is_some_and(|h| h.event_type == "mystery_event")).collect();
    assert_eq!(mystery.len(), 1, "delivered once: {seen:#?}");
    assert_eq!(mystery[0].conversation_id.as_deref(), Some(conv.id()));
    assert!(mystery[0].to_client);

    client.close().await;
    let mut states = Vec::new();
    while let Some(r) = tokio::time::timeout(WAIT, all.next()).await.expect("the stream ends") {
        if let Event::State(s) = &r.event {
            states.push(s.current.name());
            assert!(r.to_client && r.conversation_id.is_none());
        }
    }
    assert_eq!(states, ["closing", "closed"], "each state change once");
    let mut after = client.all_events();
    assert!(tokio::time::timeout(WAIT, after.next()).await.expect("ends at once").is_none());
}

#[tokio::test]
async fn a_link_given_up_for_dead_is_reset_so_nothing_unsent_arrives_late() {
    use futures_util::SinkExt;
    use tokio::io::AsyncReadExt;
    use tokio_tungstenite::tungstenite::Message;

    // A hub that says hello and then neither reads nor answers: the client's pings go unanswered.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (given_up_tx, given_up_rx) = tokio::sync::oneshot::channel::<()>();
    let hub = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        drop(listener);
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let hello = r#"{"action":"receiveMessage","event":{"event_type":"socket_connected","event_payload":{"socket_id":"s1"},"event_id":"e1"}}"#;
        ws.send(Message::Text(hello.into())).await.unwrap();
        given_up_rx.await.unwrap();
        // Read what the client sent until the connection ends: a reset, not an orderly close.
        let mut tcp = ws.into_inner();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match tokio::time::timeout(WAIT, tcp.read(&mut buf)).await.expect("the connection ends") {
                Ok(0) => return Ok(()),
                Ok(_) => continue,
                Err(e) => return Err(e.kind()),
            }
        }
    });

    let mut c = Config::new("key").url(&url);
    c.timings.ping_interval = Duration::from_millis(100);
    c.timings.liveness_grace = Duration::from_millis(100);
    c.timings.reconnect.initial_delay = Duration::from_secs(30);
    let client = Client::connect(c).await.unwrap();
    let mut events = client.events();
    let e = wait_for(&mut events, "dead link", |e| state_is(e, "disconnected")).await;
    let Event::State(s) = e else { unreachable!() };
    assert!(s.reason.as_deref().unwrap_or("").contains("the link is dead"), "{s:?}");
    given_up_tx.send(()).unwrap();
    let end = hub.await.unwrap();
    assert_eq!(end, Err(std::io::ErrorKind::ConnectionReset), "the dead link ended with a reset, not a close");
    client.close().await;
}

/// `network_up` tells the client the network is back: waiting to reconnect (here a backoff of
/// half a minute or more), it tries at once.
#[tokio::test]
async fn network_up_reconnects_at_once_instead_of_after_the_backoff() {
    let sim = sim().await;
    let mut c = config(&sim);
    c.timings.reconnect.initial_delay = Duration::from_secs(60);
    c.timings.reconnect.max_delay = Duration::from_secs(60);
    let client = Client::connect(c).await.unwrap();
    let mut events = client.events();
    client.network_up();
    assert!(client.is_connected(), "connected: nothing to do");
    sim.drop_connections();
    let down = wait_for(&mut events, "disconnected", |e| state_is(e, "disconnected")).await;
    let Event::State(StateChange { current: ConnectionState::Disconnected { retry_in, .. }, .. }) = down else {
        unreachable!("a state change to disconnected")
    };
    assert!(retry_in >= Duration::from_secs(30), "the next attempt is far off: {retry_in:?}");
    let asked = tokio::time::Instant::now();
    client.network_up();
    wait_for(&mut events, "connected", |e| state_is(e, "connected")).await;
    assert!(asked.elapsed() < retry_in, "connected again after {:?}, before the backoff's end", asked.elapsed());
    assert_eq!(sim.connections_accepted(), 2);
    client.close().await;
}

/// A request the hub never answered does not hold up the next ones of its kind once the hub
/// answers again.
#[tokio::test]
async fn after_an_unanswered_request_the_next_ones_are_answered() {
    let sim = sim().await;
    let mut c = config(&sim);
    c.timings.request_timeout = Duration::from_millis(300);
    c.timings.metadata_timeout = Duration::from_millis(300);
    let client = Client::connect(c).await.unwrap();
    let conv = user_first(&client, "gus").await;
    sim.set_faults(Faults { never_answer: vec!["metadata_request".into()], ..Faults::default() });
    assert_eq!(conv.get_metadata().await.unwrap_err().kind(), ErrorKind::Timeout);
    assert_eq!(conv.get_metadata().await.unwrap_err().kind(), ErrorKind::Timeout);
    sim.set_faults(Faults::default());
    for i in 0..3 {
        conv.get_metadata().await.unwrap_or_else(|e| panic!("get_metadata {i} after the fault: {e}"));
    }
    conv.set_metadata(json!({"k": 1}), None).await.unwrap();
    assert_eq!(conv.get_metadata().await.unwrap()["k"], 1);
}
