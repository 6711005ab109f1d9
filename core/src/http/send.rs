//! Sends over HTTP: `POST {http base}/api/custom-channel/sockets/message` with the socket's id.

use reqwest::Method;

use super::{Http, KeyedError};
use crate::engine::PostOutcome;

/// The frame with `event.socket_id` set: the hub routes the replies to that socket.
pub(crate) fn with_socket_id(frame: &str, socket_id: &str) -> String {
    let id = serde_json::to_string(socket_id).unwrap_or_else(|_| "\"\"".into());
    // The library's own frames start their event object this way; anything else is edited as
    // JSON.
    const EVENT: &str = "\"event\":{";
    if let Some(at) = frame.find(EVENT)
        && frame.starts_with("{\"action\":")
    {
        let at = at + EVENT.len();
        let mut out = String::with_capacity(frame.len() + id.len() + 16);
        out.push_str(&frame[..at]);
        out.push_str("\"socket_id\":");
        out.push_str(&id);
        out.push(',');
        out.push_str(&frame[at..]);
        return out;
    }
    let mut v: serde_json::Value = serde_json::from_str(frame).unwrap_or_default();
    if let Some(e) = v.get_mut("event").and_then(serde_json::Value::as_object_mut) {
        e.insert("socket_id".into(), serde_json::Value::String(socket_id.to_owned()));
    }
    v.to_string()
}

/// POSTs one request; its 2xx answer is the hub's acknowledgement of it.
pub(crate) async fn post(http: &Http, frame: &str, socket_id: &str) -> PostOutcome {
    let url = format!("{}/api/custom-channel/sockets/message", http.config().http_base());
    let body = with_socket_id(frame, socket_id);
    let sent =
        http.keyed_send(Method::POST, &url, |r| r.header("content-type", "application/json").body(body.clone())).await;
    let resp = match sent {
        Ok(r) => r,
        // Refused before sending anything.
        Err(KeyedError::Untrusted(message) | KeyedError::Unusable(message)) => {
            return PostOutcome::Rejected { status: 0, message: http.redact(&message) };
        }
        Err(KeyedError::Send(e)) if e.is_timeout() => return PostOutcome::TimedOut,
        Err(KeyedError::Send(e)) => {
            let message = http.redact(&e.to_string());
            // Failed before the request was written: it never reached the hub.
            return if e.is_connect() { PostOutcome::NotSent(message) } else { PostOutcome::Failed(message) };
        }
    };
    let status = resp.status();
    if status.is_success() {
        return PostOutcome::Accepted;
    }
    let text = resp.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    let message = match &value {
        serde_json::Value::String(s) => s.clone(),
        v => super::error_text(v),
    };
    // The answer may quote the request, the key with it.
    PostOutcome::Rejected { status: status.as_u16(), message: http.redact(&message) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_id_goes_into_the_event() {
        let f = crate::protocol::outbound::metadata_request("c1");
        let v: serde_json::Value = serde_json::from_str(&with_socket_id(&f, "s\"1")).unwrap();
        assert_eq!(v["event"]["socket_id"], "s\"1");
        assert_eq!(v["event"]["event_type"], "metadata_request");
        let v: serde_json::Value =
            serde_json::from_str(&with_socket_id(r#"{"event": {"event_type": "x"}}"#, "s2")).unwrap();
        assert_eq!(v["event"]["socket_id"], "s2");
    }
}
