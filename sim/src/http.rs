//! Plain HTTP on the hub's port: large messages, files, and the control endpoints.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Faults, Head, Io, Shared};

async fn respond(io: &mut Box<dyn Io>, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = io.write_all(head.as_bytes()).await;
    let _ = io.write_all(body).await;
    let _ = io.shutdown().await;
}

/// Answers with a JSON body and closes.
pub(crate) async fn json_reply(io: &mut Box<dyn Io>, status: &str, v: Value) {
    respond(io, status, "application/json", v.to_string().as_bytes()).await;
}

/// Reads the rest of a request's body (as long as its `Content-Length` says, up to 8 MiB), after
/// the bytes of it already read.
pub(crate) async fn read_body(io: &mut Box<dyn Io>, head: &Head, mut body: Vec<u8>) -> Vec<u8> {
    let len: usize = head.header("content-length").and_then(|l| l.trim().parse().ok()).unwrap_or(0);
    let mut chunk = [0u8; 8192];
    while body.len() < len.min(8 << 20) {
        match io.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body
}

pub(crate) async fn serve(shared: &Arc<Shared>, mut io: Box<dyn Io>, head: Head, body: Vec<u8>) {
    let body = read_body(&mut io, &head, body).await;
    let path = head.path.split('?').next().unwrap_or("/").to_owned();
    let reply = route(shared, &head, &path, &body, &mut io).await;
    if let Some((status, v)) = reply {
        json_reply(&mut io, status, v).await;
    }
}

async fn route(
    sim: &Arc<Shared>,
    head: &Head,
    path: &str,
    body: &[u8],
    io: &mut Box<dyn Io>,
) -> Option<(&'static str, Value)> {
    let shared = sim;
    let ok = || Some(("200 OK", json!({"ok": true})));
    match (head.method.as_str(), path) {
        ("GET", p) if p.starts_with("/messages/") => {
            if head.header("x-api-key") != Some(shared.config.api_key.as_str()) {
                return Some(("401 Unauthorized", json!({"error": "invalid api key"})));
            }
            let id = &p["/messages/".len()..];
            let found = shared.state.lock().unwrap().big.get(id).cloned();
            match found {
                Some(v) => Some(("200 OK", v)),
                None => Some(("404 Not Found", json!({"error": "no such message"}))),
            }
        }
        ("GET", p) if p.starts_with("/files/") => {
            respond(io, "200 OK", "application/pdf", b"%PDF-1.4\n% captivate-sim sample file\n").await;
            None
        }
        ("POST", "/control/faults") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(json!({}));
            sim.set_faults(Faults::from_json(&v));
            Some(("200 OK", sim.faults().to_json()))
        }
        ("GET", "/control/faults") => Some(("200 OK", sim.faults().to_json())),
        ("POST", "/control/drop") => {
            sim.drop_connections();
            ok()
        }
        ("POST", "/control/close") => {
            let code = head.query("code").and_then(|c| c.parse().ok()).unwrap_or(1001);
            sim.close_connections(code, &head.query("reason").unwrap_or_default());
            ok()
        }
        ("POST", "/control/restart") => {
            let ms = head.query("down_ms").and_then(|c| c.parse().ok()).unwrap_or(500);
            let _ = shared.restarts.send(Duration::from_millis(ms));
            ok()
        }
        ("POST", "/control/push") => match serde_json::from_slice::<Value>(body) {
            Ok(v) => {
                sim.push(v);
                ok()
            }
            Err(e) => Some(("400 Bad Request", json!({"error": e.to_string()}))),
        },
        ("POST", "/control/push_text") => {
            sim.push_text(&String::from_utf8_lossy(body));
            ok()
        }
        ("POST", "/control/say") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(json!({}));
            let conv = v["conversation_id"].as_str().unwrap_or_default();
            let text = v["text"].as_str().unwrap_or_default();
            if crate::flow::say(shared, conv, text, v["send"].as_bool().unwrap_or(true)) {
                ok()
            } else {
                Some(("404 Not Found", json!({"error": "no such conversation"})))
            }
        }
        ("GET", "/control/received") => Some(("200 OK", Value::Array(sim.received()))),
        ("GET", "/control/stats") => Some((
            "200 OK",
            json!({"connections_accepted": sim.connections_accepted(), "live_connections": sim.live_connections()}),
        )),
        _ => Some(("404 Not Found", json!({"error": "not found"}))),
    }
}
