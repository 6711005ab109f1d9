//! The canonical JSON of events (`Event::to_json`), which the C accessors, the Python and the
//! Node event objects all present: every receive fixture rendered through it, plus one of each
//! kind of event the library makes itself, kept in `tests/fixtures/canonical/`. The test fails
//! when the rendering changes, whatever the environment; only `make bless` writes the files
//! afresh (it runs the ignored `bless` test with `CAPTIVATE_BLESS=1`). The front ends' tests
//! read the same files and check that every kind and key maps to a typed field.

use std::path::PathBuf;
use std::time::Duration;

use captivate::{ConnectionState, DeliveryReport, Event, MalformedFrame, StateChange, protocol};
use serde_json::{Value, json};

fn dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The canonical form without `raw` (the fixture itself).
fn rendered(e: &Event) -> Value {
    let mut v = e.to_json();
    if let Some(o) = v.as_object_mut() {
        o.remove("raw");
    }
    v
}

fn library_events() -> Vec<(&'static str, Event)> {
    let state = |previous, current, reason: Option<&str>, queued| {
        Event::State(StateChange { previous, current, reason: reason.map(str::to_owned), queued })
    };
    vec![
        (
            "state_connected",
            state(
                ConnectionState::Connecting { attempt: 1 },
                ConnectionState::Connected { socket_id: "s1".into() },
                None,
                0,
            ),
        ),
        (
            "state_disconnected",
            state(
                ConnectionState::Connected { socket_id: "s1".into() },
                ConnectionState::Disconnected { attempt: 1, retry_in: Duration::from_millis(750) },
                Some("the hub closed the connection (code 1001)"),
                3,
            ),
        ),
        (
            "state_suspended",
            state(
                ConnectionState::Disconnected { attempt: 9, retry_in: Duration::from_secs(30) },
                ConnectionState::Suspended { retry_in: Duration::from_secs(30) },
                Some("no connection for 120 s"),
                0,
            ),
        ),
        (
            "state_closed",
            state(ConnectionState::Closing, ConnectionState::Closed, Some("closed by the application"), 0),
        ),
        ("discontinuity", Event::Discontinuity { conversation_id: "c1".into() }),
        (
            "malformed",
            Event::Malformed(MalformedFrame { error: "frame is not valid JSON: EOF".into(), text: "{not json".into() }),
        ),
        (
            "delivery",
            Event::Delivery(DeliveryReport {
                client_msg_id: "m-1".into(),
                conversation_id: Some("c1".into()),
                delivered: true,
            }),
        ),
        ("lagged", Event::Lagged { missed: 12 }),
    ]
}

/// Every fixture and library event, rendered, as the committed file's text.
fn render_all() -> String {
    let mut rendered_all = serde_json::Map::new();
    let mut names: Vec<_> = std::fs::read_dir(dir("receive"))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).expect("readable");
        let inbound = protocol::decode(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name").to_owned();
        rendered_all.insert(name, rendered(&Event::Hub(inbound)));
    }
    for (name, e) in library_events() {
        rendered_all.insert(name.to_owned(), rendered(&e));
    }
    serde_json::to_string_pretty(&Value::Object(rendered_all)).expect("JSON") + "\n"
}

#[test]
fn every_fixture_and_library_event_renders_as_committed() {
    let out = dir("canonical/events.json");
    let committed = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        committed == render_all(),
        "the canonical JSON of events changed; check the change, then run `make bless` and commit {}",
        out.display()
    );
}

/// Writes the committed file afresh: `make bless` runs it, with `CAPTIVATE_BLESS=1`. It is
/// ignored otherwise, and refuses to write without that variable: neither a variable left in
/// an environment nor a run of the ignored tests rewrites the file by itself.
#[test]
#[ignore = "writes the committed file; run by `make bless`"]
fn bless() {
    let asked = std::env::var("CAPTIVATE_BLESS").is_ok_and(|v| v == "1");
    assert!(asked, "run `make bless` to write the committed files afresh");
    std::fs::create_dir_all(dir("canonical")).expect("dir");
    std::fs::write(dir("canonical/events.json"), render_all()).expect("written");
}

#[test]
fn every_kind_of_event_is_covered() {
    let text = std::fs::read_to_string(dir("canonical/events.json")).expect("committed");
    let all: Value = serde_json::from_str(&text).expect("JSON");
    let kinds: std::collections::BTreeSet<&str> =
        all.as_object().expect("object").values().filter_map(|v| v["kind"].as_str()).collect();
    for k in [
        "bot_message",
        "livechat_message",
        "action",
        "conversation_update",
        "error",
        "metadata",
        "transcript",
        "message_edited",
        "conversation_deleted",
        "user_conversations",
        "conversation_started",
        "metadata_updated",
        "socket_connected",
        "state",
        "discontinuity",
        "malformed",
        "delivery",
        "lagged",
    ] {
        assert!(kinds.contains(k), "no canonical example of {k}: {kinds:?}");
    }
    let _ = json!(null);
}
