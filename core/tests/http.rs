//! The hub's HTTP services against the local hub: the HTTP transport, file uploads and
//! presigned links, the REST transcript and its link refresh, the API key's trusted hosts for
//! large messages, and conversations listed across several keys.

mod support;

use std::time::Duration;

use captivate::{
    Client, Config, ErrorKind, FileRef, ListOptions, Manager, OutgoingMessage, StartMode, StartOptions, Transport,
    Upload,
};
use captivate_sim::{Faults, Sim, SimConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(10);

async fn sim() -> Sim {
    Sim::start(SimConfig { agent_delay: Duration::from_millis(20), ..SimConfig::default() }).await.expect("hub")
}

fn config(sim: &Sim, transport: Transport) -> Config {
    let mut c = Config::new(sim.api_key()).url(sim.base_url());
    c.timings.request_timeout = Duration::from_secs(3);
    c.timings.reconnect.initial_delay = Duration::from_millis(50);
    c.timings.transport = transport;
    c
}

async fn echo(events: &mut captivate::EventStream, want: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match events.next_timeout(left).await {
            Some(e) if e.text().as_deref() == Some(want) => return,
            Some(_) => {}
            None => panic!("no {want:?}"),
        }
    }
}

fn received_via_http(sim: &Sim, event_type: &str) -> Vec<Value> {
    sim.received().into_iter().filter(|f| f["via"] == "http" && f["event"]["event_type"] == event_type).collect()
}

#[tokio::test]
async fn the_http_transport_carries_every_request_in_order() {
    let sim = sim().await;
    let client = Client::connect(config(&sim, Transport::Http)).await.unwrap();
    let conv = client
        .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("h1") })
        .await
        .unwrap();
    let mut events = conv.events();
    let sends: Vec<_> = (0..20).map(|i| conv.send_message(format!("n{i}"))).collect();
    let mut ids = Vec::new();
    for s in sends {
        ids.push(s.await.expect("acknowledged by the hub's answer"));
    }
    for i in 0..20 {
        echo(&mut events, &format!("You said: n{i}")).await;
    }
    let posted = received_via_http(&sim, "user_message");
    let posted_ids: Vec<&str> =
        posted.iter().filter_map(|f| f["event"]["event_payload"]["client_msg_id"].as_str()).collect();
    assert_eq!(posted_ids, ids.iter().map(String::as_str).collect::<Vec<_>>(), "posted in call order, once each");
    let socket = client.socket_id().unwrap();
    assert!(posted.iter().all(|f| f["event"]["socket_id"] == socket.as_str()), "with the socket's id");
    assert!(received_via_http(&sim, "conversation_start").len() == 1);
    conv.set_metadata(json!({"plan": "gold"}), None).await.unwrap();
    assert_eq!(conv.get_metadata().await.unwrap()["plan"], "gold");
    let t = conv.get_transcript().await.expect("the REST transcript");
    assert!(t.entries.iter().any(|e| e.text().as_deref() == Some("n3")));
    assert!(received_via_http(&sim, "conversation_transcript_request").is_empty(), "the transcript came over REST");
    client.close().await;
}

#[tokio::test]
async fn http_errors_and_timeouts_reach_the_call() {
    let sim = sim().await;
    let client = Client::connect(config(&sim, Transport::Http)).await.unwrap();
    let conv = client
        .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("h2") })
        .await
        .unwrap();
    sim.set_faults(Faults { http_status: Some(503), http_status_count: Some(1), ..Faults::default() });
    let e = conv.send_message("refused").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert!(e.to_string().contains("503"), "{e}");
    conv.send_message("after").await.expect("the next one goes through");
    sim.set_faults(Faults { http_delay: Duration::from_secs(5), ..Faults::default() });
    // The reply arrives on the socket before the delayed answer: a request with a reply
    // completes with it; a send, acknowledged only by the answer, times out.
    conv.set_metadata(json!({"a": 1}), None).await.expect("completed by its reply");
    let e = conv.send_message("slow").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    sim.set_faults(Faults::default());
    client.close().await;
}

#[tokio::test]
async fn a_slow_hub_bounds_the_line_of_posts_and_each_send_learns_its_fate_within_its_timeout() {
    let sim = sim().await;
    let timeout = Duration::from_secs(2);
    let mut c = config(&sim, Transport::Http);
    c.timings.request_timeout = timeout;
    c.timings.max_queued_events = 5;
    let client = Client::connect(c).await.unwrap();
    let conv = client
        .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("slow") })
        .await
        .unwrap();
    sim.set_faults(Faults { http_delay: Duration::from_secs(8), ..Faults::default() });
    let sent = tokio::time::Instant::now();
    let sends: Vec<_> = (0..20)
        .map(|i| {
            let send = conv.send_message(format!("s{i}"));
            tokio::spawn(async move { (send.await, sent.elapsed()) })
        })
        .collect();
    let mut outcomes = Vec::new();
    for s in sends {
        outcomes.push(s.await.unwrap());
    }
    let refused = outcomes.iter().filter(|(r, _)| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::QueueFull)).count();
    assert_eq!(refused, 14, "one post in flight, five in line, the rest refused: {outcomes:?}");
    for (r, took) in &outcomes {
        let e = r.as_ref().expect_err("the hub answers after the timeout");
        assert!(matches!(e.kind(), ErrorKind::QueueFull | ErrorKind::Timeout), "{e}");
        assert!(*took <= timeout + Duration::from_millis(1500), "{e} after {took:?}");
    }
    sim.set_faults(Faults::default());
    conv.send_message("after").await.expect("the line goes on once the hub answers in time");
    client.close().await;
}

/// The requests `sim` received of this type, on either transport.
fn received_of(sim: &Sim, event_type: &str) -> Vec<Value> {
    sim.received().into_iter().filter(|f| f["event"]["event_type"] == event_type).collect()
}

#[tokio::test]
async fn a_request_the_link_drops_before_it_went_out_goes_after_the_reconnect() {
    for transport in [Transport::Http, Transport::Socket] {
        let sim = sim().await;
        let client = Client::connect(config(&sim, transport)).await.unwrap();
        let first_socket = client.socket_id().expect("connected");
        // The first start waits for a reply the hub never sends; the second waits for its turn.
        sim.set_faults(Faults { never_answer: vec!["conversation_start".into()], ..Faults::default() });
        let first = client.start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("u1") });
        let second = client.start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("u2") });
        support::wait::until("the first start sent", WAIT, || received_of(&sim, "conversation_start").len() == 1).await;
        sim.set_faults(Faults::default());
        // Its answer and the end of the link come together: the client reads both in one go, so
        // the second start, due once the first is answered, is asked for just before the cut.
        sim.push(json!({"action": "receiveMessage", "event": {"event_type": "conversation_start_success",
            "event_payload": {"conversation_id": "u1-cut"}, "event_id": "e-cut"}}));
        sim.close_connections(1001, "going away");
        assert_eq!(first.await.expect("answered").id(), "u1-cut");
        let second = second.await.expect("sent after the reconnect, not lost with the link");
        assert!(second.id().starts_with("u2"));
        let sent = received_of(&sim, "conversation_start");
        assert_eq!(sent.len(), 2, "each start sent once ({transport:?}): {sent:?}");
        if transport == Transport::Http {
            let socket = sent[1]["event"]["socket_id"].as_str().unwrap_or_default().to_owned();
            assert!(!socket.is_empty() && socket != first_socket, "the new connection's socket id, not {socket:?}");
            assert_eq!(client.socket_id().as_deref(), Some(socket.as_str()));
        }
        client.close().await;
    }
}

#[tokio::test]
async fn a_second_socket_connected_gives_later_posts_the_new_socket_id() {
    let sim = sim().await;
    let client = Client::connect(config(&sim, Transport::Http)).await.unwrap();
    let conv = client
        .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("renamed") })
        .await
        .unwrap();
    let mut events = client.events();
    let old = client.socket_id().expect("connected");
    let renewed = sim.renew_socket_ids();
    assert_eq!(renewed.len(), 1, "one connection");
    let new = renewed[0].clone();
    assert_ne!(old, new);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match events.next_timeout(left).await {
            Some(captivate::Event::State(c))
                if c.current == captivate::ConnectionState::Connected { socket_id: new.clone() } =>
            {
                break;
            }
            Some(_) => {}
            None => panic!("the new socket id was never adopted"),
        }
    }
    assert_eq!(client.socket_id().as_deref(), Some(new.as_str()));
    let mut echoes = conv.events();
    conv.send_message("after the rename").await.expect("posted with the new id");
    echo(&mut echoes, "You said: after the rename").await;
    let posted = received_via_http(&sim, "user_message");
    assert_eq!(posted.last().unwrap()["event"]["socket_id"], new.as_str());
    assert_eq!(sim.connections_accepted(), 1, "the same connection throughout");
    client.close().await;
}

/// A plain HTTP/1.1 GET (the hub's links are on loopback, without TLS).
async fn get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let mut s = tokio::net::TcpStream::connect(authority).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let status: u16 = String::from_utf8_lossy(&buf[9..12]).parse().expect("a status");
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let body = buf[head_end..].to_vec();
    assert!(!head.contains("transfer-encoding: chunked"), "a plain body is expected");
    (status, body)
}

#[tokio::test]
async fn upload_send_and_refresh_links_in_the_transcript() {
    for transport in [Transport::Socket, Transport::Http] {
        let sim = sim().await;
        let client = Client::connect(config(&sim, transport)).await.unwrap();
        let conv = client
            .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("up") })
            .await
            .unwrap();
        conv.set_time_to_live(7).await.unwrap();
        let file = conv.upload_file(Upload::new(b"hello notes\n".to_vec(), "notes.txt")).await.expect("uploaded");
        assert!(file.url.is_empty(), "a stored upload has no plain url");
        let storage = file.storage.clone().expect("stored");
        assert!(storage.file_key.contains(conv.id()), "filed under the conversation: {}", storage.file_key);
        assert_eq!(file.text_content.as_ref().unwrap()["text"], "hello notes\n");
        let stored = sim.files();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].ttl_days, Some(7), "the conversation's time-to-live");
        let (status, bytes) = get(storage.presigned_url.as_deref().unwrap()).await;
        assert_eq!((status, bytes.as_slice()), (200, b"hello notes\n".as_slice()));
        // Several at once, one not stored.
        let many = client
            .upload_files(vec![
                Upload::new(b"a".to_vec(), "a.txt"),
                Upload::new(vec![0u8, 159, 146, 150], "b.bin").without_storage("https://example.com/b.bin"),
            ])
            .await
            .unwrap();
        assert_eq!(many.len(), 2);
        assert!(many[0].storage.is_some() && many[1].storage.is_none() && many[1].url == "https://example.com/b.bin");
        assert_eq!(
            client
                .upload_file(Upload { storage: false, ..Upload::new(b"x".to_vec(), "x.txt") })
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument,
            "a file that is not stored needs a url"
        );

        conv.send_message(OutgoingMessage { text: Some("see attached".into()), files: vec![file.clone()] })
            .await
            .expect("a message with an uploaded file");
        let sent = sim.received().into_iter().rev().find(|f| f["event"]["event_type"] == "user_message").unwrap();
        let content = &sent["event"]["event_payload"]["content"];
        assert_eq!(content["text"], "see attached");
        assert!(content.get("type").is_none(), "text with files carries no type, as the official client sends it");
        assert_eq!(content["files"][0]["storage"]["fileKey"], storage.file_key.as_str());
        assert!(content["files"][0].get("url").is_none());

        // The link expires: reading the transcript renews it and pushes it back.
        assert_eq!(sim.expire_files(Some(&storage.file_key)), 1);
        assert_eq!(get(storage.presigned_url.as_deref().unwrap()).await.0, 403);
        let t = conv.get_transcript().await.unwrap();
        let renewed: Vec<&FileRef> = t.entries.iter().flat_map(|e| &e.files).filter(|f| f.storage.is_some()).collect();
        assert_eq!(renewed.len(), 1);
        let s = renewed[0].storage.as_ref().unwrap();
        assert_ne!(s.presigned_url, storage.presigned_url, "a new link");
        assert!(s.expires_in.unwrap() > now() + 3600);
        assert_eq!(get(s.presigned_url.as_deref().unwrap()).await.0, 200);
        let edit =
            sim.received().into_iter().rev().find(|f| f["event"]["event_type"] == "edit_message").expect("pushed back");
        assert_eq!(
            edit["event"]["event_payload"]["content"]["files"][0]["storage"]["presignedUrl"],
            s.presigned_url.as_deref().unwrap()
        );
        assert_eq!(edit["event"]["event_payload"]["content"]["text"], "see attached", "the edit keeps the text");
        let entry = t.entries.iter().find(|e| e.files.iter().any(|f| f.storage.is_some())).unwrap();
        assert_eq!(entry.text().as_deref(), Some("see attached"), "the entry's text is read with its files");
        let again = conv.get_transcript().await.unwrap();
        let entry = again.entries.iter().find(|e| e.files.iter().any(|f| f.storage.is_some())).unwrap();
        assert_eq!(entry.text().as_deref(), Some("see attached"), "the hub still has the text after the edit");
        client.close().await;
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A server on `host` that answers every request with a large message's content and reports
/// the request heads it got.
async fn link_server() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let _ = tx.send(String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase());
                let body = json!({"botMessage": {"content": [{"type": "text", "text": "the large one"}]}}).to_string();
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn the_key_goes_only_to_trusted_hosts() {
    let sim = sim().await;
    let (port, mut heads) = link_server().await;
    for (trusted, expect_key) in [(vec![], false), (vec!["localhost".to_owned()], true)] {
        let mut c = config(&sim, Transport::Socket);
        c.trusted_hosts = trusted;
        let client = Client::connect(c).await.unwrap();
        let conv = client
            .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("big") })
            .await
            .unwrap();
        let mut events = conv.events();
        sim.push(json!({"action": "receiveMessage", "event": {"event_type": "general_error", "event_id": format!("big-{expect_key}"),
            "event_payload": {"conversation_id": conv.id(), "error_code": 413, "error_desc": "too large",
            "message_link": format!("http://localhost:{port}/m/1")}}}));
        echo(&mut events, "the large one").await;
        let head = tokio::time::timeout(WAIT, heads.recv()).await.unwrap().unwrap();
        assert_eq!(head.contains("x-api-key"), expect_key, "{head}");
        assert!(!head.contains(&sim.api_key().to_ascii_lowercase()) || expect_key);
        client.close().await;
    }
}

#[tokio::test]
async fn conversations_listed_across_keys_come_back_on_their_own_client() {
    let sim =
        Sim::start(SimConfig { extra_api_keys: vec!["second-key".into()], ..SimConfig::default() }).await.unwrap();
    let base = config(&sim, Transport::Socket);
    let mut manager = Manager::connect(base, [sim.api_key().to_owned(), "second-key".to_owned()]).await.unwrap();
    let one = manager.client(sim.api_key()).unwrap().clone();
    let two = manager.client("second-key").unwrap().clone();
    let start =
        |c: &Client| c.start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("multi") });
    let a = start(&one).await.unwrap();
    let b = start(&two).await.unwrap();
    let list = manager.list_conversations(ListOptions::new("multi")).await.unwrap();
    assert_eq!(list.conversations.len(), 2);
    for c in &list.conversations {
        let want = if c.id() == a.id() { sim.api_key() } else { "second-key" };
        assert_eq!(c.client().config().api_key.expose(), want, "{} on the client of its key", c.id());
    }
    assert!(list.conversations.iter().any(|c| c.id() == b.id()));
    // Each conversation works through its own client.
    let conv_b = list.conversations.iter().find(|c| c.id() == b.id()).unwrap();
    let mut events = conv_b.events();
    conv_b.send_message("through its key").await.unwrap();
    echo(&mut events, "You said: through its key").await;
    manager.close_all().await;
}
