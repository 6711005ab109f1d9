//! The proxy's HTTP control endpoints, under `/proxy/` on its own port.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpStream;

use super::{End, ProxyFaults, Shared};
use crate::Io;
use crate::http::{json_reply, read_body};

/// Answers one control request whose first bytes are `first`.
pub(super) async fn serve(shared: &Arc<Shared>, client: TcpStream, first: Vec<u8>) {
    let mut io: Box<dyn Io> = Box::new(client);
    let Some((head, rest)) = crate::read_head(&mut io, first).await else { return };
    let body = match read_body(&mut io, &head, rest).await {
        Ok(b) => b,
        Err(reply) => return reply.write(&mut io).await,
    };
    let path = head.path.split('?').next().unwrap_or("/");
    let (status, reply) = match (head.method.as_str(), path) {
        ("POST", "/proxy/faults") => {
            let v: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
            shared.faults.send_replace(ProxyFaults::from_json(&v));
            (200, shared.faults.borrow().to_json())
        }
        ("GET", "/proxy/faults") => (200, shared.faults.borrow().to_json()),
        ("POST", "/proxy/reset") => (200, json!({"reset": shared.end_all(End::Reset)})),
        ("POST", "/proxy/truncate") => (200, json!({"armed": shared.truncate_next_frame()})),
        ("POST", "/proxy/restart") => {
            let ms = head.query("ms").and_then(|v| v.parse().ok()).unwrap_or(500);
            // Answered first: the restart closes the port this request came in on.
            let shared = shared.clone();
            tokio::spawn(async move { shared.restart(Duration::from_millis(ms)).await });
            (200, json!({"ok": true}))
        }
        ("GET", "/proxy/stats") => (200, shared.stats().to_json()),
        _ => (404, json!({"error": "not found"})),
    };
    json_reply(&mut io, status, reply).await;
}
