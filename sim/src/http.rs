//! Plain HTTP on the hub's port: reading a request's body, writing an answer, and the routes
//! (the channel API of [`crate::channel`], the file service of [`crate::files`], large
//! messages, and the control endpoints). The crate documentation lists every endpoint.
//!
//! One request per connection: every answer says `Connection: close`. A body comes with a
//! `Content-Length` or chunked (`Transfer-Encoding: chunked`); `Expect: 100-continue` is
//! honoured. A body over [`MAX_BODY`] is read and thrown away, then answered with 413.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Faults, Head, Io, Shared, channel, files};

/// The largest request body the hub takes (20 MiB).
pub(crate) const MAX_BODY: usize = 20 << 20;

/// How much of a body over the limit the hub reads (and throws away) so that the client can
/// read the 413 that follows; past this it just closes.
const MAX_DRAIN: usize = 256 << 20;

/// An HTTP answer.
pub(crate) struct Reply {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    /// An answer with a JSON body.
    pub(crate) fn json(status: u16, v: Value) -> Reply {
        Reply { status, content_type: "application/json".into(), body: v.to_string().into_bytes() }
    }

    /// An answer with `{"error": message}`.
    pub(crate) fn error(status: u16, message: impl Into<String>) -> Reply {
        Reply::json(status, json!({"error": message.into()}))
    }

    /// An answer with these bytes.
    pub(crate) fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply { status, content_type: content_type.into(), body }
    }

    /// Writes the answer and closes.
    pub(crate) async fn write(self, io: &mut Box<dyn Io>) {
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        let _ = io.write_all(head.as_bytes()).await;
        let _ = io.write_all(&self.body).await;
        let _ = io.shutdown().await;
    }
}

/// What a route does with a request.
pub(crate) enum Answer {
    /// Answers it.
    Reply(Reply),
    /// Never answers it: the request is held until the client gives up or the hub stops (the
    /// `never_answer` fault on a request whose answer is its reply).
    Hold,
}

impl From<Reply> for Answer {
    fn from(r: Reply) -> Answer {
        Answer::Reply(r)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// Answers with a JSON body and closes.
pub(crate) async fn json_reply(io: &mut Box<dyn Io>, status: u16, v: Value) {
    Reply::json(status, v).write(io).await;
}

/// The buffered reading side of a request body.
struct BodyReader<'a> {
    io: &'a mut Box<dyn Io>,
    buf: Vec<u8>,
    pos: usize,
}

impl BodyReader<'_> {
    /// Makes sure `n` unread bytes are buffered; false if the peer left first.
    async fn fill(&mut self, n: usize) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        while self.buf.len() - self.pos < n {
            match self.io.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
            }
        }
        true
    }

    /// Takes `n` bytes (buffered by `fill`).
    fn take(&mut self, n: usize) -> &[u8] {
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        s
    }

    /// Forgets what was taken, so that a long body does not pile up twice.
    fn compact(&mut self) {
        self.buf.drain(..self.pos);
        self.pos = 0;
    }

    /// Reads one line, without its CRLF; `None` if the peer left or the line is over 8 KiB.
    async fn line(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.buf[self.pos..].windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.pos..self.pos + i]).into_owned();
                self.pos += i + 2;
                return Some(line);
            }
            if self.buf.len() - self.pos > 8 * 1024 || !self.fill(self.buf.len() - self.pos + 1).await {
                return None;
            }
        }
    }

    /// Reads and throws away `n` bytes (reading no further); false if the peer left first.
    async fn skip(&mut self, mut n: usize) -> bool {
        let buffered = (self.buf.len() - self.pos).min(n);
        self.pos += buffered;
        n -= buffered;
        self.compact();
        let mut chunk = [0u8; 16 * 1024];
        while n > 0 {
            let k = n.min(chunk.len());
            match self.io.read(&mut chunk[..k]).await {
                Ok(0) | Err(_) => return false,
                Ok(k) => n -= k,
            }
        }
        true
    }
}

fn too_large() -> Reply {
    let error = format!("the request body is over the limit of {MAX_BODY} bytes");
    Reply::json(413, json!({"success": false, "error": error}))
}

/// Reads a request's body (`Content-Length` or chunked), after the bytes of it already read.
/// The error is the answer to give: 413 over [`MAX_BODY`], 400 for a body that is not HTTP.
pub(crate) async fn read_body(io: &mut Box<dyn Io>, head: &Head, already: Vec<u8>) -> Result<Vec<u8>, Reply> {
    let chunked = head.header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let len = match head.header("content-length") {
        _ if chunked => None,
        None => Some(0),
        Some(l) => Some(l.trim().parse::<usize>().map_err(|_| Reply::error(400, "a malformed Content-Length"))?),
    };
    let expects_continue = head.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    if len.is_some_and(|l| l > MAX_BODY) && expects_continue {
        // The client waits for a go-ahead that does not come: no need to read anything.
        return Err(too_large());
    }
    if expects_continue && already.is_empty() && len != Some(0) {
        let _ = io.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
    }
    let mut r = BodyReader { io, buf: already, pos: 0 };
    match len {
        Some(len) if len > MAX_BODY => {
            if len <= MAX_DRAIN {
                r.skip(len).await;
            }
            Err(too_large())
        }
        Some(len) => {
            if !r.fill(len).await {
                return Err(Reply::error(400, "the body is shorter than its Content-Length"));
            }
            r.buf.truncate(len);
            Ok(r.buf)
        }
        None => read_chunked(&mut r).await,
    }
}

async fn read_chunked(r: &mut BodyReader<'_>) -> Result<Vec<u8>, Reply> {
    let bad = || Reply::error(400, "a malformed chunked body");
    let mut body = Vec::new();
    let mut total = 0usize;
    loop {
        let line = r.line().await.ok_or_else(bad)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| bad())?;
        if size == 0 {
            // Trailer fields, up to the empty line.
            while !r.line().await.ok_or_else(bad)?.is_empty() {}
            return if total > MAX_BODY { Err(too_large()) } else { Ok(body) };
        }
        total = total.saturating_add(size);
        if total > MAX_DRAIN {
            return Err(too_large());
        }
        if total > MAX_BODY {
            // Read on and throw away, so that the client sees the 413.
            if !r.skip(size).await {
                return Err(bad());
            }
        } else {
            if !r.fill(size).await {
                return Err(bad());
            }
            body.extend_from_slice(r.take(size));
        }
        if !r.fill(2).await || r.take(2) != b"\r\n" {
            return Err(bad());
        }
        r.compact();
    }
}

pub(crate) async fn serve(shared: &Arc<Shared>, mut io: Box<dyn Io>, head: Head, rest: Vec<u8>) {
    let body = match read_body(&mut io, &head, rest).await {
        Ok(b) => b,
        Err(reply) => return reply.write(&mut io).await,
    };
    let path = head.path.split('?').next().unwrap_or("/").to_owned();
    let faulty = shared.faults().http_applies(&path);
    let answer = match faulty.then(|| shared.take_http_status(&path)).flatten() {
        Some(status) => Reply::json(
            status,
            json!({"success": false, "error": format!("the hub answers {status} (the http_status fault)")}),
        )
        .into(),
        None => route(shared, &head, &path, &body).await,
    };
    if !path.starts_with("/control/") {
        let status = match &answer {
            Answer::Reply(r) => json!(r.status),
            Answer::Hold => Value::Null,
        };
        shared.log_request(json!({"method": head.method, "path": head.path, "status": status}));
    }
    match answer {
        Answer::Reply(reply) => {
            let delay = if faulty { shared.faults().http_delay } else { Duration::ZERO };
            if !delay.is_zero() {
                let mut stopping = shared.stopping.subscribe();
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = stopping.wait_for(|s| *s) => return,
                }
            }
            reply.write(&mut io).await;
        }
        Answer::Hold => hold(shared, &mut io).await,
    }
}

/// Keeps a request unanswered until the client closes the connection or the hub stops.
async fn hold(shared: &Shared, io: &mut Box<dyn Io>) {
    let mut stopping = shared.stopping.subscribe();
    let mut scratch = [0u8; 1024];
    loop {
        tokio::select! {
            r = io.read(&mut scratch) => if matches!(r, Ok(0) | Err(_)) { return },
            _ = stopping.wait_for(|s| *s) => return,
        }
    }
}

async fn route(shared: &Arc<Shared>, head: &Head, path: &str, body: &[u8]) -> Answer {
    let ok = || Reply::json(200, json!({"ok": true})).into();
    match (head.method.as_str(), path) {
        ("POST", "/api/custom-channel/sockets/message") => channel::send(shared, head, body),
        ("GET", "/api/transcript") => channel::transcript(shared, head).into(),
        ("POST", "/api/file-to-text") => files::file_to_text(shared, head, body).into(),
        ("POST", "/api/presigned-url") => files::presigned_url(shared, body).into(),
        ("GET", p) if p.starts_with("/files/") => files::get(shared, head, &p["/files/".len()..]).into(),
        ("GET", p) if p.starts_with("/messages/") => {
            if !channel::key_ok(shared, head) {
                return Reply::error(401, "invalid api key").into();
            }
            let id = &p["/messages/".len()..];
            let found = shared.state.lock().unwrap().big.get(id).cloned();
            match found {
                Some(v) => Reply::json(200, v).into(),
                None => Reply::error(404, "no such message").into(),
            }
        }
        ("POST", "/control/faults") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(json!({}));
            shared.set_faults(Faults::from_json(&v));
            Reply::json(200, shared.faults().to_json()).into()
        }
        ("GET", "/control/faults") => Reply::json(200, shared.faults().to_json()).into(),
        ("POST", "/control/drop") => {
            shared.drop_connections();
            ok()
        }
        ("POST", "/control/close") => {
            let code = head.query("code").and_then(|c| c.parse().ok()).unwrap_or(1001);
            shared.close_connections(code, &head.query("reason").unwrap_or_default());
            ok()
        }
        ("POST", "/control/restart") => {
            let ms = head.query("down_ms").and_then(|c| c.parse().ok()).unwrap_or(500);
            let _ = shared.restarts.send(Duration::from_millis(ms));
            ok()
        }
        ("POST", "/control/push") => match serde_json::from_slice::<Value>(body) {
            Ok(v) => {
                shared.push(v);
                ok()
            }
            Err(e) => Reply::error(400, e.to_string()).into(),
        },
        ("POST", "/control/renew-socket-ids") => {
            Reply::json(200, json!({"ok": true, "socket_ids": shared.renew_socket_ids()})).into()
        }
        ("POST", "/control/push_text") => {
            shared.push_text(&String::from_utf8_lossy(body));
            ok()
        }
        ("POST", "/control/say") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(json!({}));
            let conv = v["conversation_id"].as_str().unwrap_or_default();
            let text = v["text"].as_str().unwrap_or_default();
            if crate::flow::say(shared, conv, text, v["send"].as_bool().unwrap_or(true)) {
                ok()
            } else {
                Reply::error(404, "no such conversation").into()
            }
        }
        ("POST", "/control/script") => {
            let script = if body.iter().all(u8::is_ascii_whitespace) {
                Ok(shared.config.script.clone())
            } else {
                std::str::from_utf8(body).map_err(|e| e.to_string()).and_then(crate::Script::from_json_text)
            };
            match script {
                Ok(script) => {
                    shared.set_script(script);
                    ok()
                }
                Err(e) => Reply::error(400, e).into(),
            }
        }
        ("GET", "/control/script") => Reply::json(200, shared.script().to_json()).into(),
        ("POST", "/control/bot") | ("POST", "/control/agent") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(json!({}));
            let conv = v["conversation_id"].as_str().unwrap_or_default();
            let content = match crate::script::content_items(v.get("content").unwrap_or(&Value::Null)) {
                Ok(c) => c,
                Err(e) => return Reply::error(400, e).into(),
            };
            let send = v["send"].as_bool().unwrap_or(true);
            if crate::flow::speak(shared, conv, path == "/control/agent", content, send) {
                ok()
            } else {
                Reply::error(404, "no such conversation").into()
            }
        }
        ("POST", "/control/update") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(json!({}));
            let conv = v["conversation_id"].as_str().unwrap_or_default();
            match v.get("update") {
                Some(u @ Value::Object(_)) if u.get("type").is_some_and(Value::is_string) => {
                    if crate::flow::update(shared, conv, u.clone()) {
                        ok()
                    } else {
                        Reply::error(404, "no such conversation").into()
                    }
                }
                _ => Reply::error(400, "update must be an object with a \"type\"").into(),
            }
        }
        ("POST", "/control/reset") => {
            shared.reset();
            ok()
        }
        ("GET", "/control/conversations") => Reply::json(200, shared.conversations_json()).into(),
        ("GET", "/control/requests") => Reply::json(200, Value::Array(shared.requests())).into(),
        ("POST", "/control/expire-file") => files::expire_control(shared, body).into(),
        ("GET", "/control/files") => Reply::json(200, files::list_json(shared)).into(),
        ("GET", "/control/received") => {
            let frames = shared
                .received_matching(head.query("conversation_id").as_deref(), head.query("event_type").as_deref());
            Reply::json(200, Value::Array(frames)).into()
        }
        ("GET", "/control/stats") => Reply::json(
            200,
            json!({"connections_accepted": shared.connections_accepted(), "live_connections": shared.live_connections()}),
        )
        .into(),
        _ => Reply::error(404, "not found").into(),
    }
}
