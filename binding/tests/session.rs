//! The binding layer against a running local hub: the semantics every front end inherits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use captivate::{ConnectionState, ErrorKind, Event, Routed};
use captivate_binding::logs::{self, Level, Record};
use captivate_binding::{Filter, Session, runtime};
use captivate_sim::{Sim, SimConfig};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);
const KEY: &str = "binding-key-7Hq2";

fn sim() -> Sim {
    runtime::handle()
        .block_on(Sim::start(SimConfig { api_key: KEY.into(), ..SimConfig::default() }))
        .expect("the hub starts")
}

fn options(sim: &Sim) -> serde_json::Value {
    json!({"apiKey": KEY, "url": sim.base_url(), "requestTimeoutMs": 3000, "reconnect": {"initialDelayMs": 50}})
}

fn block<T, E: std::fmt::Debug>(f: impl std::future::Future<Output = Result<T, E>>) -> T {
    match runtime::block_on(f, Some(WAIT)) {
        Ok(v) => v,
        Err(runtime::Blocked::Failed(e)) => panic!("failed: {e:?}"),
        Err(runtime::Blocked::TimedOut(_)) => panic!("timed out"),
        Err(runtime::Blocked::InsideRuntime) => panic!("inside the runtime"),
    }
}

/// The next routed event that `filter` lets through and `want` accepts.
fn next_matching(feed: &mut captivate::RoutedStream, filter: &Filter, want: impl Fn(&Routed) -> bool) -> Routed {
    loop {
        let r = block(async { feed.next_timeout(WAIT).await.ok_or("no event") });
        if filter.matches(&r) && want(&r) {
            return r;
        }
    }
}

#[test]
fn every_operation_with_loose_arguments_and_checked_values() {
    let sim = sim();
    let s = block(Session::connect_json(&options(&sim)));
    let mut feed = s.all_events();
    let conv = block(s.start_conversation(&json!({"userId": "u1", "start": "user-first", "metadata": {"a": 1}})));
    let id = conv.id().to_owned();
    let msg_id = block(s.send_message(&id, Some("hello".into()), None));
    assert_eq!(msg_id.len(), 36);
    let conv_filter = Filter::Conversation(id.clone());
    next_matching(&mut feed, &conv_filter, |r| r.event.text().as_deref() == Some("You said: hello"));
    block(s.set_metadata(&id, &json!({"plan": "gold"}), Some("bot")));
    block(s.set_private_metadata(&id, &json!({"crm": 7})));
    block(s.set_time_to_live(&id, 7));
    let meta = block(s.get_metadata(&id));
    assert_eq!(meta["plan"], "gold");
    assert_eq!(meta["private"]["crm"], 7);
    block(s.send_action(&id, "noop", None, None));
    let list = block(s.list_conversations(&json!({"userId": "u1"})));
    assert!(list.conversations.iter().any(|c| c.conversation_id == id));
    let transcript = block(s.get_transcript(&id));
    assert!(!transcript.entries.is_empty());
    let reply = block(s.request(
        "metadata_request",
        Some(&json!({"conversation_id": id})),
        Some("conversation_metadata"),
        Some(&id),
    ));
    assert_eq!(reply.expect("a reply").event_type, "conversation_metadata");

    // Value checks, once for every front end.
    let kind = |r: Result<(), captivate::Error>| r.unwrap_err().kind();
    assert_eq!(kind(block_err(s.set_time_to_live(&id, 5))), ErrorKind::InvalidArgument);
    assert_eq!(kind(block_err(s.set_time_to_live(&id, -1))), ErrorKind::InvalidArgument);
    assert_eq!(kind(block_err(s.set_metadata(&id, &json!({}), Some("everyone")))), ErrorKind::InvalidArgument);
    assert_eq!(kind(block_err(s.set_metadata(&id, &json!([1]), None))), ErrorKind::InvalidArgument);
    assert_eq!(kind(block_err(s.send_message(&id, None, None).map(|_| ()))), ErrorKind::InvalidArgument);
    assert_eq!(
        kind(block_err(s.send_message(&id, None, Some(&json!([{"type": "x"}]))).map(|_| ()))),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(block_err(s.start_conversation(&json!({"start": "sideways"})).map(|_| ()))),
        ErrorKind::InvalidArgument
    );
    assert_eq!(kind(block_err(s.list_conversations(&json!({"page": "two"})).map(|_| ()))), ErrorKind::InvalidArgument);
    assert_eq!(kind(block_err(s.send_message("", Some("x".into()), None).map(|_| ()))), ErrorKind::InvalidArgument);

    block(s.delete_conversation(&id, false));
    block(async {
        s.close().await;
        Ok::<(), ()>(())
    });
}

fn block_err<T>(f: captivate::Pending<T>) -> Result<(), captivate::Error> {
    match runtime::block_on(f, Some(WAIT)) {
        Ok(_) => Ok(()),
        Err(runtime::Blocked::Failed(e)) => Err(e),
        Err(_) => panic!("no outcome"),
    }
}

#[test]
fn close_ends_the_feed_calls_fail_at_once_and_reconnect_waits_for_the_connection() {
    let sim = sim();
    let s = block(Session::connect_json(&options(&sim)));
    let conv = block(s.start_conversation(&json!({"user_id": "u2", "start": "user-first"})));
    let id = conv.id().to_owned();
    let mut feed = s.all_events();
    block(async {
        s.close().await;
        Ok::<(), ()>(())
    });
    assert_eq!(s.state(), ConnectionState::Closed);
    // The feed ends after its `closed` state change.
    let mut last = None;
    while let Some(r) = block(async { Ok::<_, ()>(feed.next_timeout(WAIT).await) }) {
        last = Some(r);
    }
    assert!(matches!(last.map(|r| r.event), Some(Event::State(c)) if c.current == ConnectionState::Closed));
    // A call after close fails with `closed`, blocking or not, without waiting.
    let e = block_err(s.send_message(&id, Some("late".into()), None).map(|_| ())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed);
    // A feed opened after close ends at once.
    let mut after = s.all_events();
    assert!(block(async { Ok::<_, ()>(after.next_timeout(WAIT).await) }).is_none());
    // Reconnect waits until connected.
    block(s.reconnect());
    assert!(s.state().is_connected());
    let mut feed = s.all_events();
    block(s.send_message(&id, Some("back".into()), None));
    next_matching(&mut feed, &Filter::Conversation(id.clone()), |r| {
        r.event.text().as_deref() == Some("You said: back")
    });
    // Reconnect to a hub that is gone fails with the reason, in bounded time.
    drop(sim);
    block(async {
        s.close().await;
        Ok::<(), ()>(())
    });
    let e = runtime::block_on(s.reconnect(), Some(WAIT * 2)).expect_err("fails");
    assert!(matches!(e, runtime::Blocked::Failed(_)), "{e:?}");
}

#[test]
fn filters_give_each_listener_its_events_once() {
    let sim = sim();
    let s = block(Session::connect_json(&options(&sim)));
    let mut feed = s.all_events();
    let a = block(s.start_conversation(&json!({"user_id": "fa", "start": "user-first"})));
    let (all, client, conv) = (Filter::All, Filter::Client, Filter::Conversation(a.id().to_owned()));
    sim.push(json!({"action": "receiveMessage", "event": {"event_type": "mystery_event", "event_payload": {}, "event_id": "x1"}}));
    let r = next_matching(&mut feed, &all, |r| r.event.hub().is_some_and(|h| h.event_type == "mystery_event"));
    assert!(client.matches(&r) && conv.matches(&r), "one open conversation: both hear an event naming none");
    let b = block(s.start_conversation(&json!({"user_id": "fb", "start": "user-first"})));
    block(s.send_message(b.id(), Some("to b".into()), None));
    let r = next_matching(&mut feed, &all, |r| r.event.text().as_deref() == Some("You said: to b"));
    assert!(!client.matches(&r) && !conv.matches(&r) && Filter::Conversation(b.id().to_owned()).matches(&r));
    block(async {
        s.close().await;
        Ok::<(), ()>(())
    });
}

/// Keys with `+`, `/`, `%` and `&`: the connect URL carries them percent-encoded, a file's
/// link carries them encoded segment by segment, and frames quote them as they are.
const ODD_KEY: &str = "bk-odd+Vb7Qn/Jd4%e2Px&Kt6Wm";
const ODD_OTHER: &str = "bk-two+Fs3Lg/Rc%2Fq&Nh8Yd";

/// The parts of the odd keys between their special characters: none may show.
const ODD_PARTS: [&str; 7] = ["Vb7Qn", "Jd4", "e2Px", "Kt6Wm", "Fs3Lg", "Rc%2Fq", "Nh8Yd"];

#[test]
fn logs_reach_the_host_at_every_level_without_the_key() {
    let records: Arc<Mutex<Vec<Record>>> = Arc::default();
    let sink = records.clone();
    assert!(logs::set_sink(Level::Trace, Some(Arc::new(move |r| sink.lock().unwrap().push(r)))));
    for transport in ["socket", "http"] {
        let sim = runtime::handle()
            .block_on(Sim::start(SimConfig {
                api_key: ODD_KEY.into(),
                extra_api_keys: vec![ODD_OTHER.into()],
                ..SimConfig::default()
            }))
            .expect("the hub starts");
        let mut opts = options(&sim);
        opts["apiKey"] = json!(ODD_KEY);
        opts["transport"] = json!(transport);
        let s = block(Session::connect_json(&opts));
        let conv = block(s.start_conversation(&json!({"user_id": "lg", "start": "user-first"})));
        block(s.send_message(conv.id(), Some(format!("the key is {ODD_KEY}")), None));
        // A file filed under the key, sent in a message: the frames carry its file key and its
        // link (the key percent-encoded); a new link; a listing across both keys.
        let file = block(s.upload_file(Some(conv.id()), b"notes".to_vec().into(), &json!({"fileName": "n.txt"})));
        let file_key = file.storage.as_ref().expect("stored").file_key.clone();
        assert!(file_key.starts_with(ODD_KEY), "filed under the key: {file_key}");
        block(s.send_message(conv.id(), Some("attached".into()), Some(&json!([file.to_json()]))));
        assert!(block(s.presigned_url(&file_key, Some(60))).contains("Vb7Qn"), "the link names the key's folder");
        let mut other_opts = opts.clone();
        other_opts["apiKey"] = json!(ODD_OTHER);
        let other = block(Session::connect_json(&other_opts));
        block(other.start_conversation(&json!({"user_id": "lg", "start": "user-first"})));
        let found: Vec<_> = block(Session::list_across(&[s.clone(), other.clone()], &json!({"user_id": "lg"})))
            .entries
            .into_iter()
            .map(|e| ([&s, &other][e.session].clone(), e.conversation))
            .collect();
        assert_eq!(found.len(), 2);
        block(s.get_transcript(conv.id()));

        let mut feed = s.all_events();
        sim.drop_connections();
        // Sent before the client has seen the drop, a message is possibly lost (at-most-once):
        // wait for the connection to come back first.
        // (The feed replays the backlog, the first connection included: the loss comes first.)
        let change = |r: &Routed, from: bool, to: bool| {
            matches!(&r.event, Event::State(c) if matches!(c.previous, ConnectionState::Connected { .. }) == from
                && matches!(c.current, ConnectionState::Connected { .. }) == to)
        };
        next_matching(&mut feed, &Filter::All, |r| change(r, true, false));
        next_matching(&mut feed, &Filter::All, |r| change(r, false, true));
        block(s.send_message(conv.id(), Some("after the drop".into()), None));
        let mut wrong = opts.clone();
        wrong["apiKey"] = json!(format!("{ODD_KEY}-wrong"));
        assert!(runtime::block_on(Session::connect_json(&wrong), Some(WAIT)).is_err());
        block(async {
            s.close().await;
            other.close().await;
            Ok::<(), ()>(())
        });
    }
    logs::set_sink(Level::Off, None);
    let records = records.lock().unwrap();
    assert!(records.iter().any(|r| r.target.starts_with("captivate") && r.message.contains("connection lost")));
    assert!(records.iter().any(|r| r.target.starts_with("tungstenite")), "records of the log crate arrive too");
    assert!(records.iter().any(|r| r.level == Level::Trace));
    assert!(
        records.iter().any(|r| r.target.starts_with("tungstenite") && r.message.contains("[redacted]")),
        "the frames that quoted a key were logged, without it"
    );
    for r in records.iter() {
        for part in ODD_PARTS {
            assert!(!r.message.contains(part) && !r.target.contains(part), "the key leaked ({part}): {r:?}");
        }
    }
}

#[test]
fn uploads_and_listings_across_keys() {
    let sim = runtime::handle()
        .block_on(Sim::start(SimConfig {
            api_key: KEY.into(),
            extra_api_keys: vec!["other-key".into()],
            ..SimConfig::default()
        }))
        .expect("the hub starts");
    let a = block(Session::connect_json(&options(&sim)));
    let mut other = options(&sim);
    other["apiKey"] = json!("other-key");
    let b = block(Session::connect_json(&other));
    let ca = block(a.start_conversation(&json!({"user_id": "x", "start": "user-first", "metadata": {"side": "a"}})));
    let cb = block(b.start_conversation(&json!({"user_id": "x", "start": "user-first"})));
    let file = block(a.upload_file(Some(ca.id()), b"notes".to_vec().into(), &json!({"fileName": "n.txt"})));
    assert_eq!(file.to_json()["textContent"]["text"], "notes");
    let key = file.storage.as_ref().expect("stored").file_key.clone();
    assert!(block(a.presigned_url(&key, Some(60))).starts_with("http://"));
    assert!(
        runtime::block_on(
            a.upload_file(None, Vec::new().into(), &json!({"file_name": "x", "ttl_days": 5})),
            Some(WAIT)
        )
        .is_err()
    );
    let listed = block(Session::list_across(&[a.clone(), b.clone()], &json!({"user_id": "x"})));
    for e in &listed.entries {
        assert_eq!(e.summary.conversation_id, e.conversation.id(), "each with what the hub said of it");
        let side = e.summary.metadata.get("side").cloned();
        assert_eq!(side, (e.conversation.id() == ca.id()).then(|| json!("a")), "its own metadata");
    }
    let found: Vec<_> = listed.entries.into_iter().map(|e| ([&a, &b][e.session].clone(), e.conversation)).collect();
    assert_eq!(found.len(), 2);
    for (s, c) in &found {
        let want = if c.id() == ca.id() { &a } else { &b };
        assert!(Arc::ptr_eq(s, want), "{} on the session of its key", c.id());
    }
    assert!(found.iter().any(|(_, c)| c.id() == cb.id()));
    block(async {
        a.close().await;
        b.close().await;
        Ok::<(), ()>(())
    });
}

/// Several files at once, one policy for every front end: a bad one uploads nothing; a failure
/// among several fails the call only once every upload has run to its end.
#[test]
fn several_uploads_one_policy() {
    let sim = sim();
    let s = block(Session::connect_json(&options(&sim)));
    let conv = block(s.start_conversation(&json!({"user_id": "u", "start": "user-first"})));
    let file = |name: Option<&str>, text: &str| captivate::HostFile {
        bytes: text.as_bytes().to_vec(),
        name: name.map(str::to_owned),
        content_type: None,
    };
    let files = block(s.upload_files(
        Some(conv.id()),
        vec![
            (file(Some("own.txt"), "a"), json!({})),
            (file(None, "b"), json!({"fileName": "given.txt", "ttlDays": 30})),
            (file(None, "c"), json!(null)),
        ],
    ));
    let names: Vec<_> = files.iter().map(|f| f.filename.clone().unwrap()).collect();
    assert_eq!(names[..2], ["own.txt", "given.txt"], "in the files' order, named by the file or its options");
    assert!(names[2].starts_with("attachment_"), "{}", names[2]);
    assert_eq!(files[1].text_content.as_ref().unwrap()["text"], "b");
    assert_eq!(sim.files().len(), 3);
    assert_eq!(sim.files().iter().find(|f| f.filename == "given.txt").unwrap().ttl_days, Some(30));

    // A bad one among several: refused naming it, nothing uploaded.
    let bad = runtime::block_on(
        s.upload_files(None, vec![(file(Some("x.txt"), "x"), json!({})), (file(None, "y"), json!({"ttlDays": 5}))]),
        Some(WAIT),
    );
    let Err(runtime::Blocked::Failed(e)) = bad else { panic!("a bad upload among several must fail: {bad:?}") };
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("file 2 of 2") && e.to_string().contains("ttlDays"), "{e}");
    let unknown = runtime::block_on(s.upload_file(None, file(None, "z"), &json!({"fileNmae": "z"})), Some(WAIT));
    assert!(format!("{unknown:?}").contains("not an upload option"), "{unknown:?}");
    assert_eq!(sim.files().len(), 3, "nothing uploaded");

    // The service fails one request of three: the call fails once all three have run.
    sim.set_faults(captivate_sim::Faults {
        http_status: Some(500),
        http_status_count: Some(1),
        http_paths: vec!["/api/file-to-text".into()],
        ..captivate_sim::Faults::default()
    });
    let failed = runtime::block_on(
        s.upload_files(None, (0..3).map(|i| (file(Some(&format!("f{i}.txt")), "f"), json!({}))).collect()),
        Some(WAIT),
    );
    let Err(runtime::Blocked::Failed(e)) = failed else { panic!("one upload failed: {failed:?}") };
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert_eq!(sim.files().len(), 5, "the two others ran to their end and stay stored");
    block(async {
        s.close().await;
        Ok::<(), ()>(())
    });
}
