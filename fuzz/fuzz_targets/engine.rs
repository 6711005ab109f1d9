//! Arbitrary bytes read as a sequence of operations on the protocol engine, on a fake clock:
//! transport opened, failed and closed (current and stale generations), frames received
//! (fixture frames with byte edits, arbitrary text, well-formed replies and hub errors for the
//! requests in flight), submits of every `Expect` kind, cancels, pongs, time passing, large
//! messages fetched, close and connect.
//!
//! Invariants, after every step: no panic; no request completes twice, nor one never
//! submitted; a due timer, once handled, is not due any more (else the driver would spin).
//! At the end the engine is closed, and every request that was submitted and not cancelled has
//! completed exactly once.

#![no_main]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use captivate::Timings;
use captivate::engine::{Action, Engine, Expect, Output, ReplyMatch, RequestId, Submit, TransportError};
use captivate::protocol::Inbound;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// The receive fixtures, read once.
static FIXTURES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/receive");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read_to_string(p).expect("a readable fixture")).collect()
});

const CONVERSATIONS: [&str; 3] = ["c1", "c2", "hart_acb3b13e-4818-40fa-b57e-d8a80feba5c1"];
const USERS: [&str; 2] = ["u1", "hart"];
const REPLY_TYPES: [&str; 5] = [
    "conversation_transcript",
    "conversation_metadata",
    "metadata_update_success",
    "message_edited_success",
    "user_conversations",
];

#[derive(Arbitrary, Debug)]
enum Op {
    Connect,
    NetworkUp,
    Close,
    Opened { stale: bool },
    Failed { stale: bool, rejected: bool },
    Closed { stale: bool, code: Option<u16> },
    Activity,
    Fixture { index: u8, edits: Vec<(u16, u8)> },
    Text(String),
    Reply { which: u8, omit_conversation: bool },
    HubError { which: u8 },
    Submit { kind: Kind, conversation: u8, user: u8, timeout_ms: u16 },
    Cancel { which: u8 },
    Pong { stale: bool, back: u8, foreign: bool },
    Advance { ms: u16 },
    NextTimer,
    Attach { conversation: u8 },
    Detach { conversation: u8 },
    RawFrames(bool),
    Fetched { which: u8, ok: bool },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    Written,
    Delivered,
    Reply,
    Start,
}

/// Builds a request: the one place that knows the shape of [`Submit`].
fn submit(id: RequestId, frame: &str, expect: Expect, timeout: Duration) -> Submit {
    Submit { id, operation: "fuzz".into(), frame: frame.into(), expect, timeout }
}

#[derive(Default)]
struct Request {
    completions: u32,
    cancelled: bool,
    matcher: Option<ReplyMatch>,
}

struct Run {
    engine: Engine,
    now: Instant,
    next_id: RequestId,
    requests: HashMap<RequestId, Request>,
    /// Requests in submission order, for picking one.
    order: Vec<RequestId>,
    last_ping: u64,
    /// The current transport's handshake succeeded (reported with `Opened`).
    opened: bool,
    fetches: Vec<(u64, Inbound)>,
    next_event: u64,
}

impl Run {
    fn new() -> Run {
        let now = Instant::now();
        let timings = Timings { jitter_seed: Some(5), ..Timings::default() };
        Run {
            engine: Engine::new(timings, now),
            now,
            next_id: 1,
            requests: HashMap::new(),
            order: Vec::new(),
            last_ping: 0,
            opened: false,
            fetches: Vec::new(),
            next_event: 0,
        }
    }

    /// Initialized to Connected: the transport opens and the hub says `socket_connected`.
    fn connect(&mut self) {
        self.apply(Op::Connect);
        self.apply(Op::Opened { stale: false });
        let hello = self.hub_frame("socket_connected", json!({"socket_id": "s1"}));
        self.apply(Op::Text(hello));
        assert!(self.engine.state().is_connected(), "{:?}", self.engine.state());
    }

    fn generation(&self, stale: bool) -> u64 {
        if stale { self.engine.generation().wrapping_sub(1) } else { self.engine.generation() }
    }

    fn pick(&self, which: u8) -> Option<RequestId> {
        (!self.order.is_empty()).then(|| self.order[usize::from(which) % self.order.len()])
    }

    fn hub_frame(&mut self, event_type: &str, payload: Value) -> String {
        self.next_event += 1;
        json!({"action": "receiveMessage", "event": {
            "event_type": event_type, "event_payload": payload, "event_id": format!("fz-{}", self.next_event)
        }})
        .to_string()
    }

    fn apply(&mut self, op: Op) {
        let now = self.now;
        match op {
            Op::Connect => self.engine.connect(now),
            Op::NetworkUp => self.engine.network_up(now),
            Op::Close => self.engine.close(now),
            Op::Opened { stale } => {
                self.opened |= !stale;
                self.engine.transport_opened(self.generation(stale), now)
            }
            Op::Failed { stale, rejected } => {
                // A refused key is an answer to the handshake: never after the transport opened.
                let error = if rejected && !self.opened {
                    TransportError::Rejected { status: 401 }
                } else {
                    TransportError::Other("gone".into())
                };
                self.engine.transport_failed(self.generation(stale), error, now)
            }
            Op::Closed { stale, code } => self.engine.transport_closed(self.generation(stale), code, "", now),
            Op::Activity => self.engine.activity(self.generation(false), now),
            Op::Fixture { index, edits } => {
                let mut bytes = FIXTURES[usize::from(index) % FIXTURES.len()].clone().into_bytes();
                for (at, b) in edits {
                    if !bytes.is_empty() {
                        let i = usize::from(at) % bytes.len();
                        bytes[i] = b;
                    }
                }
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.engine.frame_received(self.generation(false), &text, now);
            }
            Op::Text(text) => self.engine.frame_received(self.generation(false), &text, now),
            Op::Reply { which, omit_conversation } => {
                let Some(m) = self.pick(which).and_then(|id| self.requests[&id].matcher.clone()) else { return };
                let mut payload = serde_json::Map::new();
                let conversation = if m.start {
                    Some(format!("{}-{}", m.user_id.as_deref().unwrap_or("x"), self.next_event))
                } else {
                    m.conversation_id.clone()
                };
                if let Some(c) = conversation.filter(|_| !omit_conversation) {
                    payload.insert("conversation_id".into(), json!(c));
                }
                if let Some(u) = &m.user_id {
                    payload.insert("userId".into(), json!(u));
                }
                if let Some(id) = &m.message_id {
                    payload.insert("message_id".into(), json!(id));
                }
                let text = self.hub_frame(&m.event_type, Value::Object(payload));
                self.engine.frame_received(self.generation(false), &text, now);
            }
            Op::HubError { which } => {
                let Some(m) = self.pick(which).and_then(|id| self.requests[&id].matcher.clone()) else { return };
                let payload = json!({"conversation_id": m.conversation_id, "error_code": 400, "error_desc": "no"});
                let text = self.hub_frame("general_error", payload);
                self.engine.frame_received(self.generation(false), &text, now);
            }
            Op::Submit { kind, conversation, user, timeout_ms } => {
                let id = self.next_id;
                self.next_id += 1;
                let conversation = CONVERSATIONS[usize::from(conversation) % CONVERSATIONS.len()];
                let user = USERS[usize::from(user) % USERS.len()];
                let event_type = REPLY_TYPES[usize::from(timeout_ms) % REPLY_TYPES.len()];
                let (expect, matcher) = match kind {
                    Kind::Written => (Expect::Written, None),
                    Kind::Delivered => (Expect::Delivered { client_msg_id: format!("m{id}") }, None),
                    Kind::Reply => {
                        let m = ReplyMatch {
                            event_type: event_type.into(),
                            conversation_id: Some(conversation.into()),
                            user_id: (event_type == "user_conversations").then(|| user.into()),
                            message_id: (event_type == "message_edited_success").then(|| format!("m{id}")),
                            start: false,
                        };
                        (Expect::Reply(m.clone()), Some(m))
                    }
                    Kind::Start => {
                        let m = ReplyMatch {
                            event_type: "conversation_start_success".into(),
                            user_id: Some(user.into()),
                            start: true,
                            ..ReplyMatch::default()
                        };
                        (Expect::Reply(m.clone()), Some(m))
                    }
                };
                let frame =
                    json!({"action": "sendMessage", "event": {"event_type": "fuzz", "event_payload": {"n": id}}});
                let timeout = Duration::from_millis(u64::from(timeout_ms) + 1);
                let accepted = self.engine.submit(submit(id, &frame.to_string(), expect, timeout), now).is_ok();
                // A submit refused at once has completed (with its error) and must never complete again.
                let completions = u32::from(!accepted);
                self.requests.insert(id, Request { completions, cancelled: false, matcher });
                self.order.push(id);
            }
            Op::Cancel { which } => {
                if let Some(id) = self.pick(which) {
                    self.engine.cancel(id);
                    if let Some(r) = self.requests.get_mut(&id) {
                        r.cancelled = true;
                    }
                }
            }
            Op::Pong { stale, back, foreign } => {
                let ping = (!foreign).then(|| self.last_ping.saturating_sub(u64::from(back)));
                self.engine.pong_received(self.generation(stale), ping, now)
            }
            Op::Advance { ms } => {
                self.now += Duration::from_millis(u64::from(ms));
                self.engine.handle_timeout(self.now);
            }
            Op::NextTimer => {
                if let Some(t) = self.engine.poll_timeout() {
                    self.now = self.now.max(t);
                    self.engine.handle_timeout(self.now);
                }
            }
            Op::Attach { conversation } => self.engine.attach(CONVERSATIONS[usize::from(conversation) % 3]),
            Op::Detach { conversation } => self.engine.detach(CONVERSATIONS[usize::from(conversation) % 3]),
            Op::RawFrames(on) => self.engine.set_raw_frames(on),
            Op::Fetched { which, ok } => {
                if self.fetches.is_empty() {
                    return;
                }
                let (fetch, announcement) = self.fetches.swap_remove(usize::from(which) % self.fetches.len());
                let result = if ok { Ok(json!([{"type": "text", "text": "large"}])) } else { Err("failed".into()) };
                self.engine.large_message_fetched(fetch, announcement, result);
            }
        }
        self.drain();
        // A due timer, once handled, is not due any more.
        if self.engine.poll_timeout().is_some_and(|t| t <= self.now) {
            self.engine.handle_timeout(self.now);
            self.drain();
            let next = self.engine.poll_timeout();
            assert!(next.is_none_or(|t| t > self.now), "a timer stays due after handle_timeout: {next:?}");
        }
    }

    fn drain(&mut self) {
        while let Some(a) = self.engine.poll_action() {
            match a {
                Action::Ping(n) => self.last_ping = self.last_ping.max(n),
                Action::Open { .. } => self.opened = false,
                Action::FetchLargeMessage { fetch, announcement, .. } => self.fetches.push((fetch, *announcement)),
                _ => {}
            }
        }
        while let Some(o) = self.engine.poll_output() {
            if let Output::Complete { id, .. } = o {
                let r = self
                    .requests
                    .get_mut(&id)
                    .unwrap_or_else(|| panic!("request {id} completed but was never submitted"));
                r.completions += 1;
                assert_eq!(r.completions, 1, "request {id} completed twice");
            }
        }
    }

    /// Closes the engine and lets the close finish (the transport closes, or the close times
    /// out); every request not cancelled has then completed exactly once.
    fn finish(mut self) {
        self.engine.close(self.now);
        self.drain();
        let g = self.engine.generation();
        self.engine.transport_closed(g, Some(1000), "", self.now);
        self.now += Duration::from_secs(3600);
        self.engine.handle_timeout(self.now);
        self.drain();
        assert!(self.engine.state().is_terminal(), "closed, not {:?}", self.engine.state());
        for id in &self.order {
            let r = &self.requests[id];
            if !r.cancelled {
                assert_eq!(r.completions, 1, "request {id} completed {} times", r.completions);
            }
        }
    }
}

/// The operations, from a new engine or (to reach deeper states sooner) from one connected
/// already.
#[derive(Arbitrary, Debug)]
struct Input {
    connected: bool,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let mut run = Run::new();
    if input.connected {
        run.connect();
    }
    for op in input.ops {
        run.apply(op);
    }
    run.finish();
});
