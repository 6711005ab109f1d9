//! The local Captivate hub: a WebSocket server on loopback that plays the Captivate Chat hub
//! for demos, tests and benchmarks, with reproducible faults.
//!
//! One port serves everything: WebSocket upgrades are the hub; plain HTTP requests are the
//! channel API (sends over HTTP, the transcript over REST), the file-to-text service and its
//! presigned files, the large-message links, and the control endpoints that tests in any
//! language use to inject faults (`/control/...`). A client configured like the official one
//! uses [`Sim::url`] as its WebSocket URL and [`Sim::http_url`] as both its HTTP base and its
//! file service base.
//!
//! # HTTP endpoints
//!
//! Every answer is JSON unless said otherwise, and closes its connection. Request bodies come
//! with a `Content-Length` or chunked, up to 20 MiB (413 over that).
//!
//! ## Channel API (header `x-api-key`: 401 `{"error"}` when wrong or missing)
//! - `POST /api/custom-channel/sockets/message`, body: the envelope of a socket emit,
//!   `{"action": "sendMessage", "event": {"event_type", "event_payload", "socket_id"}}`, where
//!   `socket_id` is the one a socket's `socket_connected` gave. The event is handled exactly as
//!   if it had come on that socket: its replies go out on that socket (and no other), and
//!   [`Sim::received`] logs the body with `"via": "http"` added. Answers 200
//!   `{"status": "success"}`; for `metadata_request`, 200 `{"status": "success", "metadata":
//!   {...}}` (and `conversation_metadata` goes out on the socket as usual), or 404
//!   `{"error": "Invalid conversation_id"}` for an unknown conversation. For other event types
//!   an unknown conversation is reported as over the socket: 200, then `general_error` on the
//!   socket. Errors: 400 `{"error"}` for a body that is not a JSON object, has no `event`
//!   object, no `event.event_type`, or no `event.socket_id`; 404 `{"error"}` for a socket id
//!   that names no open socket.
//! - `GET /api/transcript?conversation_id=ID`: 200 `{"conversation_id", "transcript":
//!   [entry...]}`, the entries the socket's `conversation_transcript` carries; 400 without
//!   `conversation_id`, 404 `{"error"}` for an unknown conversation. A user's entry has
//!   `message_id` (its `client_msg_id`, or an id the hub made up), `messages: [content]`,
//!   `content` (as sent) and, when the content has files, `files` (the file objects as sent,
//!   `storage` included); `edit_message` replaces the content, files included, and marks the
//!   entry `edited`.
//!
//! ## File service (no API key)
//! - `POST /api/file-to-text`, `multipart/form-data` with `file` (the bytes, with a file name
//!   and a content type), `includeMetadata` (`"true"` adds `metadata: {fileName, fileType,
//!   fileSize, textExtracted}`), `storage` (`"true"` keeps the file; `"false"` or absent keeps
//!   nothing), `path` (the key prefix, `<apiKey>/<conversationId>`; `uploads` when absent),
//!   `ttlDays` (1, 7, 30 or 90; recorded, echoed as `ttlDays`, not enforced). Answers 200
//!   `{success: true, text, fileSize, processingTime}`, plus with storage `fileKey`
//!   (`<path>/<uuid>-<file name>`), `presignedUrl` and `expiresIn` (unix seconds, now + 7200).
//!   `text` is the file's content (UTF-8, lossy) for a text type (`text/*`, JSON, XML, ...), a
//!   text file name (`.txt`, `.md`, `.csv`, `.json`, ...), or a generic or missing type
//!   (`application/octet-stream`) whose bytes are UTF-8 without NUL; for anything else (a PDF,
//!   an image, ...) `text` is `""` and `note` says that no text was extracted. Errors:
//!   `{success: false, error}` with 400 (not multipart, no boundary, a malformed body, no
//!   `file` field, a bad `storage` or `ttlDays`) or 413 (over 20 MiB).
//! - `POST /api/presigned-url`, JSON `{fileKey, expiresIn?}` (seconds, default 7200, at most
//!   seven days): 200 `{success: true, presignedUrl, expiresAt}` (unix seconds); 404 `{success:
//!   false, error}` for an unknown key, 400 for a bad body.
//! - `GET /files/<file key>?expires=<unix seconds>&sig=<token>` (a presigned URL): the bytes
//!   with their content type; 403 `{"error"}` once expired, with a signature the hub did not
//!   make, or without one for a stored file. Any other unsigned `/files/...` path serves a
//!   small sample PDF (the flow's `files` reply links to `/files/brochure.pdf`).
//!
//! ## Large messages
//! - `GET /messages/<id>` with `x-api-key`: `{"botMessage": {"content": [...]}}` (the link of
//!   a `general_error` 413); 401, 404.
//!
//! ## Control (no key; never affected by the HTTP faults)
//! - `POST /control/faults` with the JSON of [`Faults::from_json`] (answers the faults now in
//!   force); `GET /control/faults`.
//! - `POST /control/drop`, `/control/close?code=N&reason=R`, `/control/restart?down_ms=N`,
//!   `/control/push` (a JSON frame to every socket), `/control/push_text`, `/control/say`
//!   (`{conversation_id, text, send}`), `/control/renew-socket-ids` (see
//!   [`Sim::renew_socket_ids`]; answers `{"ok": true, "socket_ids": [...]}`).
//! - `POST /control/expire-file` with `{"fileKey": KEY}`, or no key for every stored file:
//!   see [`Sim::expire_files`]; answers `{"ok": true, "expired": N}`, 404 for an unknown key.
//! - `GET /control/files`: the stored files, `[{fileKey, filename, contentType, fileSize,
//!   ttlDays}]`; `GET /control/received`: [`Sim::received`], narrowed by the query's
//!   `conversation_id` and `event_type` when given; `GET /control/requests`:
//!   [`Sim::requests`]; `GET /control/conversations`: [`Sim::conversations`]; `GET
//!   /control/stats`.
//! - The bot's script ([`Script`]): `POST /control/script` with the script's JSON replaces it
//!   (400 `{"error"}` saying what is wrong; an empty body puts back the one the hub started
//!   with); `GET /control/script`.
//! - Speaking for the bot or the agent at any moment: `POST /control/bot` and
//!   `/control/agent` with `{conversation_id, content, send}` (`content` a string or a list of
//!   items; `send` false: only the transcript gets it); `POST /control/update` with
//!   `{conversation_id, update: {type, data}}` sends a `conversation_update`. 404 for an
//!   unknown conversation.
//! - `POST /control/reset`: see [`Sim::reset`].
//!
//! ## Faults on the HTTP side
//! [`Faults::http_status`] (with [`Faults::http_status_count`]) makes the HTTP services answer
//! an error status, without handling the request, for the next N requests; [`Faults::http_delay`]
//! holds their answers (the request is handled at once: a send's replies reach the socket
//! before its answer); [`Faults::http_paths`] narrows both to some paths. The socket faults
//! apply to the replies of HTTP sends as to any reply (delays, duplicates, a stall, ...).
//! `never_answer` drops the handling of an HTTP send as it does for a socket frame; the send
//! is still logged and answered 200, except a `metadata_request`, whose answer is its reply:
//! it is never answered (the request is held until the client gives up). `drop_after_frames`
//! counts socket frames only, and `transcript_as_messages` concerns the socket's
//! `conversation_transcript` only (the REST transcript always has `transcript`).
//!
//! The hub answers at once: with no reply delay set, a reply is written as soon as the frame
//! it answers has been handled, with no timer in between. A WebSocket ping is answered with a
//! pong at once too (unless the hub is told to stall), so a benchmark can measure the hub's own
//! cost as the difference between a round trip through the flow (a `user_message` and the bot's
//! echo) and a bare ping/pong on the same socket.
//!
//! Faults below the WebSocket layer (latency, a bandwidth limit, TCP resets, frames cut in the
//! middle, a link that goes silent, a server that goes away and comes back) come from the
//! [`proxy`]: a TCP proxy put between a client and the hub (or any server), driven from Rust
//! or over HTTP (`captivate-sim proxy --upstream HOST:PORT`).

/// `eprintln!` unless the hub is quiet ([`SimConfig::quiet`]).
macro_rules! note {
    ($shared:expr, $($arg:tt)*) => {
        if !$shared.config.quiet {
            eprintln!($($arg)*);
        }
    };
}

mod channel;
mod connection;
mod files;
mod flow;
mod frames;
mod http;
mod multipart;
pub mod proxy;
mod script;
mod transcript;

pub use files::StoredFile;
pub use script::{DEFAULT_SCRIPT_JSON, Script, content_items};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use connection::{Out, Outbox};

/// How to run the hub.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The API key clients must present (default `test-key`).
    pub api_key: String,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// Serve TLS with a generated self-signed certificate for `localhost` and `127.0.0.1`.
    pub tls: bool,
    /// How long the simulated live agent takes to answer (default 50 ms).
    pub agent_delay: Duration,
    /// More API keys the hub accepts (each client's conversations belong to its key, and a
    /// listing with `apiKeys` spans several).
    pub extra_api_keys: Vec<String>,
    /// What the bot and its live agent do (default: the hub's usual flow, [`Script::default`]).
    pub script: Script,
    /// Print nothing on standard error (connections, faults, frames ignored): for a hub inside
    /// a test process, whose output is the tests'.
    pub quiet: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            api_key: "test-key".into(),
            port: 0,
            tls: false,
            agent_delay: Duration::from_millis(50),
            extra_api_keys: Vec::new(),
            script: Script::default(),
            quiet: false,
        }
    }
}

impl SimConfig {
    /// Whether the hub accepts this API key.
    pub fn accepts(&self, key: &str) -> bool {
        !key.is_empty() && (key == self.api_key || self.extra_api_keys.iter().any(|k| k == key))
    }
}

/// Misbehaviour on demand. Every field off by default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Delay every reply and pushed event by this.
    pub reply_delay: Duration,
    /// Request event types to ignore silently (no reply, no processing).
    pub never_answer: Vec<String>,
    /// Replies and pushes carry no `conversation_id` in their payload.
    pub omit_conversation_id: bool,
    /// Stop reading and writing on every connection, keeping TCP open (a half-open link).
    pub stall: bool,
    /// Drop a connection abruptly after receiving this many text frames on it.
    pub drop_after_frames: Option<usize>,
    /// Send `{not json` before each reply.
    pub malformed_before_replies: bool,
    /// Send an event of the unknown type `mystery_event` before each reply.
    pub unknown_event_before_replies: bool,
    /// Send every hub event twice with the same `event_id`.
    pub duplicate_events: bool,
    /// Answer transcript requests with the `messages` key instead of `transcript`.
    pub transcript_as_messages: bool,
    /// Never send `socket_connected` after the handshake.
    pub no_socket_connected: bool,
    /// The HTTP services answer this status (200 to 599), with a JSON `error`, without doing
    /// anything else: for the next `http_status_count` requests, after which the fault clears
    /// itself, or for every request while it is set (count `None`).
    pub http_status: Option<u16>,
    /// How many requests `http_status` applies to (`None`: all, until cleared).
    pub http_status_count: Option<u32>,
    /// Hold every answer of the HTTP services this long. The request itself is handled at once
    /// (a send's replies go out on the socket meanwhile); only its answer waits.
    pub http_delay: Duration,
    /// Path prefixes the HTTP faults apply to (e.g. `/api/file-to-text`, `/files/`); empty:
    /// every path under `/api/`. Control endpoints are never affected.
    pub http_paths: Vec<String>,
}

impl Faults {
    /// Reads faults from the JSON of the control endpoint (`reply_delay_ms` and
    /// `http_delay_ms` for the delays; missing fields, and an `http_status` out of 200..=599,
    /// are off).
    pub fn from_json(v: &Value) -> Faults {
        let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        let strings = |k: &str| -> Vec<String> {
            v.get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        Faults {
            reply_delay: Duration::from_millis(v.get("reply_delay_ms").and_then(Value::as_u64).unwrap_or(0)),
            never_answer: strings("never_answer"),
            omit_conversation_id: b("omit_conversation_id"),
            stall: b("stall"),
            drop_after_frames: v.get("drop_after_frames").and_then(Value::as_u64).map(|n| n as usize),
            malformed_before_replies: b("malformed_before_replies"),
            unknown_event_before_replies: b("unknown_event_before_replies"),
            duplicate_events: b("duplicate_events"),
            transcript_as_messages: b("transcript_as_messages"),
            no_socket_connected: b("no_socket_connected"),
            http_status: v
                .get("http_status")
                .and_then(Value::as_u64)
                .filter(|s| (200..=599).contains(s))
                .map(|s| s as u16),
            http_status_count: v
                .get("http_status_count")
                .and_then(Value::as_u64)
                .map(|n| n.min(u32::MAX.into()) as u32),
            http_delay: Duration::from_millis(v.get("http_delay_ms").and_then(Value::as_u64).unwrap_or(0)),
            http_paths: strings("http_paths"),
        }
    }

    /// The JSON form read by [`Faults::from_json`].
    pub fn to_json(&self) -> Value {
        json!({
            "reply_delay_ms": self.reply_delay.as_millis() as u64,
            "never_answer": self.never_answer,
            "omit_conversation_id": self.omit_conversation_id,
            "stall": self.stall,
            "drop_after_frames": self.drop_after_frames,
            "malformed_before_replies": self.malformed_before_replies,
            "unknown_event_before_replies": self.unknown_event_before_replies,
            "duplicate_events": self.duplicate_events,
            "transcript_as_messages": self.transcript_as_messages,
            "no_socket_connected": self.no_socket_connected,
            "http_status": self.http_status,
            "http_status_count": self.http_status_count,
            "http_delay_ms": self.http_delay.as_millis() as u64,
            "http_paths": self.http_paths,
        })
    }

    /// Whether the HTTP faults apply to a request for `path` (without its query).
    pub(crate) fn http_applies(&self, path: &str) -> bool {
        if path.starts_with("/control/") {
            return false;
        }
        if self.http_paths.is_empty() {
            path.starts_with("/api/")
        } else {
            self.http_paths.iter().any(|p| path.starts_with(p.as_str()))
        }
    }
}

/// A conversation kept by the hub.
#[derive(Debug, Default)]
pub(crate) struct Conv {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) transcript: Vec<transcript::Entry>,
    pub(crate) greeted: bool,
    /// Whether a live agent has the conversation.
    pub(crate) agent: bool,
    /// The live agent's name (the last hand-over's).
    pub(crate) agent_name: String,
    /// What the script's `set` steps keep.
    pub(crate) state: Map<String, Value>,
    /// The connection that last named this conversation.
    pub(crate) conn: u64,
    /// The API key of the client that started it.
    pub(crate) api_key: String,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) convs: Vec<Conv>,
    pub(crate) big: HashMap<String, Value>,
    /// Every JSON frame received, as text (parsed only when asked for, so that the log costs a
    /// copy of the text per frame, not a copy of its parsed form).
    received: Vec<Box<str>>,
    /// Every HTTP request but the control endpoints': `{method, path, status}`.
    requests: Vec<Value>,
    conns: HashMap<u64, Arc<Outbox>>,
    /// The connection of each socket id given in `socket_connected`, while it is open.
    pub(crate) sockets: HashMap<String, u64>,
    /// The API key each open connection presented.
    pub(crate) keys: HashMap<u64, String>,
    /// The file service's files and presigned URLs.
    pub(crate) files: files::Store,
}

pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    /// The bot's script now in force.
    script: Mutex<Script>,
    pub(crate) port: u16,
    pub(crate) state: Mutex<State>,
    faults: watch::Sender<Faults>,
    accepted: AtomicUsize,
    next_conn: AtomicU64,
    tls: Option<tokio_rustls::TlsAcceptor>,
    ca_pem: Option<String>,
    listener_task: Mutex<Option<JoinHandle<()>>>,
    /// Restarts asked for over HTTP, carried out by a supervisor task.
    pub(crate) restarts: mpsc::UnboundedSender<Duration>,
    /// Becomes true when the hub stops (ends the HTTP requests it holds unanswered).
    pub(crate) stopping: watch::Sender<bool>,
}

/// A running hub. Stops when dropped.
pub struct Sim {
    shared: Arc<Shared>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(t) = self.shared.listener_task.lock().unwrap().take() {
            t.abort();
        }
        self.shared.stopping.send_replace(true);
        self.drop_connections();
    }
}

fn tls_acceptor() -> std::io::Result<(tokio_rustls::TlsAcceptor, String)> {
    let err = |e: String| std::io::Error::other(e);
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .map_err(|e| err(e.to_string()))?;
    let pem = cert.cert.pem();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .map_err(|e| err(e.to_string()))?;
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(config)), pem))
}

impl Sim {
    /// Starts the hub on 127.0.0.1.
    pub async fn start(config: SimConfig) -> std::io::Result<Sim> {
        Sim::start_on("127.0.0.1", config).await
    }

    /// Starts the hub on the given host address.
    pub async fn start_on(host: &str, config: SimConfig) -> std::io::Result<Sim> {
        let listener = TcpListener::bind((host, config.port)).await?;
        let port = listener.local_addr()?.port();
        let (tls, ca_pem) = if config.tls {
            let (a, pem) = tls_acceptor()?;
            (Some(a), Some(pem))
        } else {
            (None, None)
        };
        let (restarts, mut restart_rx) = mpsc::unbounded_channel::<Duration>();
        let shared = Arc::new(Shared {
            script: Mutex::new(config.script.clone()),
            config,
            port,
            state: Mutex::new(State::default()),
            faults: watch::channel(Faults::default()).0,
            accepted: AtomicUsize::new(0),
            next_conn: AtomicU64::new(1),
            tls,
            ca_pem,
            listener_task: Mutex::new(None),
            restarts,
            stopping: watch::channel(false).0,
        });
        let weak = Arc::downgrade(&shared);
        tokio::spawn(async move {
            while let Some(d) = restart_rx.recv().await {
                match weak.upgrade() {
                    Some(s) => s.restart(d).await,
                    None => return,
                }
            }
        });
        let task = tokio::spawn(accept_loop(shared.clone(), listener));
        *shared.listener_task.lock().unwrap() = Some(task);
        Ok(Sim { shared })
    }

    /// The URL a client uses: `ws://127.0.0.1:PORT/dev?apiKey=KEY` (`wss://localhost:...` with TLS).
    pub fn url(&self) -> String {
        format!("{}?apiKey={}", self.base_url(), self.shared.config.api_key)
    }

    /// The URL without the key.
    pub fn base_url(&self) -> String {
        if self.shared.config.tls {
            format!("wss://localhost:{}/dev", self.shared.port)
        } else {
            format!("ws://127.0.0.1:{}/dev", self.shared.port)
        }
    }

    /// The HTTP base of the same port: `http://127.0.0.1:PORT` (`https://localhost:PORT` with
    /// TLS). It is both the channel API's base and the file service's base, and serves large
    /// messages, presigned files and the control endpoints.
    pub fn http_url(&self) -> String {
        self.shared.http_url()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// The API key clients must present.
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// With TLS, the PEM of the self-signed certificate a client can trust.
    pub fn ca_pem(&self) -> Option<String> {
        self.shared.ca_pem.clone()
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// The fault settings.
    pub fn faults(&self) -> Faults {
        self.shared.faults()
    }

    /// Closes every connection abruptly (no close frame).
    pub fn drop_connections(&self) {
        self.shared.drop_connections();
    }

    /// Sends a close frame with `code` on every connection, then closes it.
    pub fn close_connections(&self, code: u16, reason: &str) {
        self.shared.close_connections(code, reason);
    }

    /// Closes all connections and stops listening for `down_for`, then listens again on the
    /// same port. Conversations survive.
    pub async fn restart(&self, down_for: Duration) {
        self.shared.restart(down_for).await
    }

    /// Gives every live connection a new socket id and tells it with a second
    /// `socket_connected`; the old id names no socket from then on (HTTP sends naming it get
    /// 404). Returns the new ids.
    pub fn renew_socket_ids(&self) -> Vec<String> {
        self.shared.renew_socket_ids()
    }

    /// Sends this exact frame to every live connection.
    pub fn push(&self, frame: Value) {
        self.shared.push_text(&frame.to_string());
    }

    /// Sends raw text to every live connection.
    pub fn push_text(&self, text: &str) {
        self.shared.push_text(text);
    }

    /// The flow says `text` in a conversation: a bot message recorded in its transcript and,
    /// when `send`, sent to its connection. With `send` false it is as if the message went to a
    /// connection that was already dead: only the transcript has it. False if there is no such
    /// conversation.
    pub fn say(&self, conversation_id: &str, text: &str, send: bool) -> bool {
        flow::say(&self.shared, conversation_id, text, send)
    }

    /// Replaces the bot's script (conversations keep their state and live agents).
    pub fn set_script(&self, script: Script) {
        self.shared.set_script(script);
    }

    /// The bot's script now in force.
    pub fn script(&self) -> Script {
        self.shared.script()
    }

    /// The bot says `content` (content items) in a conversation, at once: recorded in its
    /// transcript and, when `send`, sent to its connection. False if there is no such
    /// conversation.
    pub fn bot_says(&self, conversation_id: &str, content: Vec<Value>, send: bool) -> bool {
        flow::speak(&self.shared, conversation_id, false, content, send)
    }

    /// The live agent says `content` in a conversation, at once (as [`Sim::bot_says`]).
    pub fn agent_says(&self, conversation_id: &str, content: Vec<Value>, send: bool) -> bool {
        flow::speak(&self.shared, conversation_id, true, content, send)
    }

    /// Sends a `conversation_update` (`{"type", "data"}`) to a conversation. False if there is
    /// no such conversation.
    pub fn update(&self, conversation_id: &str, update: Value) -> bool {
        flow::update(&self.shared, conversation_id, update)
    }

    /// Forgets every conversation, frame and request received, large message and stored file;
    /// clears the faults and puts back the script the hub started with (between tests).
    /// Connections stay open.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// The conversations the hub keeps, as `GET /control/conversations` gives them.
    pub fn conversations(&self) -> Value {
        self.shared.conversations_json()
    }

    /// The frames of [`Sim::received`] about a conversation and of an event type (each when
    /// given), as `/control/received?conversation_id=&event_type=` gives them.
    pub fn received_matching(&self, conversation_id: Option<&str>, event_type: Option<&str>) -> Vec<Value> {
        self.shared.received_matching(conversation_id, event_type)
    }

    /// The stored files as `GET /control/files` gives them: `[{fileKey, filename,
    /// contentType, fileSize, ttlDays}]`.
    pub fn files_json(&self) -> Value {
        files::list_json(&self.shared)
    }

    /// Every HTTP request the hub served but the control endpoints', in arrival order:
    /// `{method, path, status}` (`status` null for a request held unanswered).
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests()
    }

    /// Every frame received from clients, in arrival order: those that came on a socket as
    /// they were, and the bodies of HTTP sends with `"via": "http"` added at the top level.
    pub fn received(&self) -> Vec<Value> {
        self.shared.received()
    }

    /// Makes the presigned URLs of the stored file `file_key` (of every stored file, when
    /// `None`) expire now: fetching them answers 403 from now on, and the file objects naming
    /// that key in transcripts get a `storage.expiresIn` in the past, so a client sees them as
    /// due for a refresh. New presigned URLs work as usual. Gives how many stored files it
    /// touched (0 for an unknown key).
    pub fn expire_files(&self, file_key: Option<&str>) -> usize {
        files::expire(&self.shared, file_key)
    }

    /// The files the file service keeps, sorted by key.
    pub fn files(&self) -> Vec<StoredFile> {
        files::list(&self.shared)
    }

    /// Successful WebSocket handshakes so far.
    pub fn connections_accepted(&self) -> usize {
        self.shared.connections_accepted()
    }

    /// Connections open now.
    pub fn live_connections(&self) -> usize {
        self.shared.live_connections()
    }

    /// Stops the hub.
    pub async fn shutdown(self) {
        drop(self);
        tokio::task::yield_now().await;
    }
}

impl Shared {
    pub(crate) fn script(&self) -> Script {
        self.script.lock().unwrap().clone()
    }

    pub(crate) fn set_script(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        self.faults.send_replace(faults);
    }

    pub(crate) fn drop_connections(&self) {
        self.to_all(|| Out::Drop);
    }

    pub(crate) fn close_connections(&self, code: u16, reason: &str) {
        self.to_all(|| Out::Close(code, reason.to_owned()));
    }

    pub(crate) fn renew_socket_ids(&self) -> Vec<String> {
        let renewed: Vec<(u64, String)> = {
            let mut st = self.state.lock().unwrap();
            let renewed: Vec<(u64, String)> = st.conns.keys().map(|&c| (c, frames::new_id())).collect();
            st.sockets.retain(|_, c| !renewed.iter().any(|(r, _)| r == c));
            for (c, id) in &renewed {
                st.sockets.insert(id.clone(), *c);
            }
            renewed
        };
        for (c, id) in &renewed {
            self.send_event(*c, "socket_connected", json!({"socket_id": id}), false);
        }
        renewed.into_iter().map(|(_, id)| id).collect()
    }

    pub(crate) fn push(&self, frame: Value) {
        self.push_text(&frame.to_string());
    }

    pub(crate) fn push_text(&self, text: &str) {
        let t = text.to_owned();
        self.to_all(|| Out::Text(t.clone()));
    }

    /// Logs a frame received (as JSON text), once it is handled.
    pub(crate) fn log_received(&self, text: Box<str>) {
        self.state.lock().unwrap().received.push(text);
    }

    /// The status the `http_status` fault gives a request for `path`, if it applies; counts
    /// the request against `http_status_count`.
    pub(crate) fn take_http_status(&self, path: &str) -> Option<u16> {
        let mut status = None;
        self.faults.send_if_modified(|f| {
            let Some(s) = f.http_status.filter(|_| f.http_applies(path)) else { return false };
            match &mut f.http_status_count {
                None => {
                    status = Some(s);
                    false
                }
                Some(n) => {
                    if *n > 0 {
                        status = Some(s);
                        *n -= 1;
                    }
                    if *n == 0 {
                        f.http_status = None;
                        f.http_status_count = None;
                    }
                    true
                }
            }
        });
        status
    }

    pub(crate) fn log_request(&self, request: Value) {
        self.state.lock().unwrap().requests.push(request);
    }

    pub(crate) fn requests(&self) -> Vec<Value> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Forgets every conversation, frame and request received, large message and stored file;
    /// clears the faults and puts back the script the hub started with. Connections stay.
    pub(crate) fn reset(&self) {
        {
            let mut st = self.state.lock().unwrap();
            st.convs.clear();
            st.big.clear();
            st.received.clear();
            st.requests.clear();
            st.files = files::Store::default();
        }
        self.set_faults(Faults::default());
        self.set_script(self.config.script.clone());
    }

    /// The conversations: `[{conversation_id, user_id, metadata, live, agent, state,
    /// transcript}]`, in the order they were started.
    pub(crate) fn conversations_json(&self) -> Value {
        let st = self.state.lock().unwrap();
        Value::Array(
            st.convs
                .iter()
                .map(|c| {
                    json!({
                        "conversation_id": c.id,
                        "user_id": c.user_id,
                        "metadata": c.metadata,
                        "live": c.agent,
                        "agent": if c.agent_name.is_empty() { Value::Null } else { json!(c.agent_name) },
                        "state": c.state,
                        "transcript": c.transcript.iter().map(transcript::Entry::to_json).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    }

    pub(crate) fn received_matching(&self, conversation_id: Option<&str>, event_type: Option<&str>) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|f| {
                let e = &f["event"];
                conversation_id.is_none_or(|c| e["event_payload"]["conversation_id"] == c)
                    && event_type.is_none_or(|t| e["event_type"] == t)
            })
            .collect()
    }

    pub(crate) fn received(&self) -> Vec<Value> {
        let frames = self.state.lock().unwrap().received.clone();
        frames.iter().filter_map(|t| serde_json::from_str(t).ok()).collect()
    }

    pub(crate) fn connections_accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub(crate) fn live_connections(&self) -> usize {
        self.state.lock().unwrap().conns.len()
    }

    pub(crate) fn http_url(&self) -> String {
        if self.config.tls {
            format!("https://localhost:{}", self.port)
        } else {
            format!("http://127.0.0.1:{}", self.port)
        }
    }

    fn to_all(&self, mut out: impl FnMut() -> Out) {
        let st = self.state.lock().unwrap();
        for c in st.conns.values() {
            c.send_all([out()]);
        }
    }

    async fn restart(self: &Arc<Self>, down_for: Duration) {
        if let Some(t) = self.listener_task.lock().unwrap().take() {
            t.abort();
        }
        self.to_all(|| Out::Drop);
        tokio::time::sleep(down_for).await;
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    note!(self, "sim: rebinding port {}: {e}", self.port);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => {
                    note!(self, "sim: could not listen again: {e}");
                    return;
                }
            }
        };
        let task = tokio::spawn(accept_loop(self.clone(), listener));
        *self.listener_task.lock().unwrap() = Some(task);
    }

    pub(crate) fn faults(&self) -> Faults {
        self.faults.borrow().clone()
    }

    /// Sends a hub event to a connection (honouring the faults), as a reply or a push.
    pub(crate) fn send_event(&self, conn: u64, event_type: &str, mut payload: Value, reply: bool) {
        if self.faults.borrow().omit_conversation_id
            && let Some(o) = payload.as_object_mut()
        {
            o.remove("conversation_id");
        }
        let texts = self.event_frames(event_type, &payload.to_string(), reply, &frames::new_id());
        deliver(&self.state.lock().unwrap(), conn, texts);
    }

    /// The frames that carry a hub event whose payload is the JSON text `payload`, honouring
    /// the faults: the event itself, preceded or followed by what the faults add.
    pub(crate) fn event_frames(&self, event_type: &str, payload: &str, reply: bool, event_id: &str) -> Vec<String> {
        let (malformed, unknown, duplicate) = {
            let f = self.faults.borrow();
            (reply && f.malformed_before_replies, reply && f.unknown_event_before_replies, f.duplicate_events)
        };
        let frame = frames::event_frame(event_type, payload, event_id);
        let mut texts = Vec::with_capacity(1);
        if malformed {
            texts.push("{not json".to_owned());
        }
        if unknown {
            texts.push(frames::event_frame("mystery_event", r#"{"x":1}"#, &frames::new_id()));
        }
        if duplicate {
            texts.push(frame.clone());
        }
        texts.push(frame);
        texts
    }

    /// The connection to push a conversation's events to: the one that last named it, else
    /// the newest live one.
    pub(crate) fn route(&self, st: &State, conv_conn: u64) -> Option<u64> {
        if st.conns.contains_key(&conv_conn) { Some(conv_conn) } else { st.conns.keys().max().copied() }
    }
}

/// Queues frames on a connection, if it is still there.
pub(crate) fn deliver(st: &State, conn: u64, texts: Vec<String>) {
    if let Some(c) = st.conns.get(&conn) {
        c.send_all(texts.into_iter().map(Out::Text));
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(handle_tcp(shared.clone(), tcp, peer));
    }
}

/// A plain or TLS stream.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A parsed HTTP request head.
pub(crate) struct Head {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn query(&self, key: &str) -> Option<String> {
        let q = self.path.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == key).then(|| percent_decode(v))
        })
    }
}

pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle_tcp(shared: Arc<Shared>, tcp: TcpStream, peer: SocketAddr) {
    let mut io: Box<dyn Io> = match &shared.tls {
        Some(acceptor) => match acceptor.accept(tcp).await {
            Ok(s) => Box::new(s),
            Err(e) => {
                note!(shared, "sim: TLS handshake with {peer} failed: {e}");
                return;
            }
        },
        None => Box::new(tcp),
    };
    let Some((head, rest)) = read_head(&mut io, Vec::new()).await else { return };
    let upgrade = head.header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    if upgrade {
        connection::websocket(shared, io, head, rest, peer).await;
    } else {
        http::serve(&shared, io, head, rest).await;
    }
}

/// Reads an HTTP request head from `io`, starting with the bytes already read into `buf`.
/// Gives the head and the bytes read past it; `None` if the peer left first, or sent something
/// that is not a request head (answered with 400).
pub(crate) async fn read_head(io: &mut Box<dyn Io>, mut buf: Vec<u8>) -> Option<(Head, Vec<u8>)> {
    let mut chunk = [0u8; 4096];
    loop {
        if !buf.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let head = Head {
                        method: req.method.unwrap_or("GET").to_owned(),
                        path: req.path.unwrap_or("/").to_owned(),
                        headers: req
                            .headers
                            .iter()
                            .map(|h| (h.name.to_owned(), String::from_utf8_lossy(h.value).into_owned()))
                            .collect(),
                    };
                    return Some((head, buf.split_off(len)));
                }
                Ok(httparse::Status::Partial) if buf.len() < 64 * 1024 => {}
                _ => {
                    let bad = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                    let _ = io.write_all(bad).await;
                    return None;
                }
            }
        }
        match io.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
