//! The channel's HTTP API: requests sent over HTTP whose replies go out on a WebSocket
//! (`POST /api/custom-channel/sockets/message`), and the transcript over REST
//! (`GET /api/transcript`).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::http::{Answer, Reply};
use crate::transcript::Entry;
use crate::{Head, Shared, flow};

/// Whether the request carries the hub's API key in `x-api-key`.
pub(crate) fn key_ok(shared: &Shared, head: &Head) -> bool {
    head.header("x-api-key").is_some_and(|k| shared.config.accepts(k))
}

/// `POST /api/custom-channel/sockets/message`: the envelope of a socket emit, with
/// `event.socket_id` naming the socket whose connection gets the replies. Handled exactly as if
/// it had come in on that socket; logged with `"via": "http"`.
pub(crate) fn send(shared: &Arc<Shared>, head: &Head, body: &[u8]) -> Answer {
    if !key_ok(shared, head) {
        return Reply::error(401, "invalid api key").into();
    }
    let mut frame = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => o,
        Ok(_) => return Reply::error(400, "the body is not a JSON object").into(),
        Err(e) => return Reply::error(400, format!("the body is not JSON: {e}")).into(),
    };
    let Some(event) = frame.get("event").and_then(Value::as_object) else {
        return Reply::error(400, "the body has no event object").into();
    };
    let Some(event_type) = event.get("event_type").and_then(Value::as_str).map(str::to_owned) else {
        return Reply::error(400, "the event has no event_type").into();
    };
    let Some(socket_id) = event.get("socket_id").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
        return Reply::error(400, "the event has no socket_id (the one socket_connected gave)").into();
    };
    let Some(conn) = shared.state.lock().unwrap().sockets.get(socket_id).copied() else {
        return Reply::error(404, "no open socket has this socket_id").into();
    };
    let conversation_id = event.get("event_payload").and_then(|p| p.get("conversation_id")).cloned();
    let ignored = shared.faults().never_answer.contains(&event_type);
    flow::handle(shared, conn, Value::Object(frame.clone()));
    frame.insert("via".into(), json!("http"));
    shared.log_received(frame_text(&frame));
    if event_type != "metadata_request" {
        return Reply::json(200, json!({"status": "success"})).into();
    }
    if ignored {
        // Its answer is its reply, and that reply never comes.
        return Answer::Hold;
    }
    let id = conversation_id.as_ref().and_then(Value::as_str).unwrap_or_default();
    let st = shared.state.lock().unwrap();
    match st.convs.iter().find(|c| c.id == id) {
        Some(c) => Reply::json(200, json!({"status": "success", "metadata": c.metadata})).into(),
        None => Reply::error(404, "Invalid conversation_id").into(),
    }
}

fn frame_text(frame: &Map<String, Value>) -> Box<str> {
    serde_json::to_string(frame).unwrap_or_default().into()
}

/// `GET /api/transcript?conversation_id=ID`: `{"conversation_id", "transcript": [entry...]}`.
pub(crate) fn transcript(shared: &Shared, head: &Head) -> Reply {
    if !key_ok(shared, head) {
        return Reply::error(401, "invalid api key");
    }
    let Some(id) = head.query("conversation_id").filter(|s| !s.is_empty()) else {
        return Reply::error(400, "conversation_id is required");
    };
    let st = shared.state.lock().unwrap();
    match st.convs.iter().find(|c| c.id == id) {
        Some(c) => {
            let entries: Vec<Value> = c.transcript.iter().map(Entry::to_json).collect();
            Reply::json(200, json!({"conversation_id": id, "transcript": entries}))
        }
        None => Reply::error(404, "Invalid conversation_id"),
    }
}
