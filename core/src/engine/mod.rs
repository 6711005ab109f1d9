//! The sans-IO protocol engine.
//!
//! It owns the connection state machine, the offline queue, the requests waiting for replies,
//! the conversation registry and event routing, and every timer. It performs no I/O and reads
//! no clock: the driver feeds it transport events, frames and the current time, then drains
//! [`Engine::poll_action`] (what to do on the wire), [`Engine::poll_output`] (what to deliver)
//! and [`Engine::poll_timeout`] (when to call [`Engine::handle_timeout`] next). Tests drive it
//! with a fake clock.

mod backoff;
mod dedupe;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::config::{Delivery, Timings};
use crate::error::Error;
use crate::event::{ConnectionState, Event, MalformedFrame, StateChange};
use crate::protocol::{ContentItem, HubEvent, Inbound, MessageBody, Sender, Transcript, decode, outbound};

pub use backoff::Backoff;
use dedupe::Dedupe;

/// Identifies one submitted request within an engine. Ids from `1 << 63` up are the engine's
/// own (transcript requests of the catch-up after a reconnect).
pub type RequestId = u64;

/// The first id of the engine's own requests.
const INTERNAL: RequestId = 1 << 63;

/// The most catch-up transcript requests in flight at once; the other conversations wait for
/// their turn (holding their live events), so that a reconnect with many conversations open
/// does not send the hub a burst of requests.
const MAX_CATCH_UPS_IN_FLIGHT: usize = 8;

/// The most events held back per conversation (see `Hold`); beyond that the oldest ready ones
/// are delivered at once.
const MAX_HELD: usize = 10_000;

/// What a submitted frame waits for before its call completes.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// Complete as soon as the frame is written.
    Written,
    /// Complete when the hub has read the frame: the pong to a ping written after it (the hub
    /// reads in order, and answers a ping with its payload). Subject to the [`Delivery`] policy.
    Delivered {
        /// The message's id, reported in `PossiblyNotDelivered`.
        client_msg_id: String,
    },
    /// Complete with the matching reply event.
    Reply(ReplyMatch),
}

/// How to recognise the reply to a request. The protocol has no request ids: a reply is
/// matched by event type and by the ids it names. An id the reply does not carry is not
/// compared, so a hub that leaves `conversation_id` out still answers the oldest request.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ReplyMatch {
    /// The reply's event type.
    pub event_type: String,
    /// The conversation the request names.
    pub conversation_id: Option<String>,
    /// The user the request names.
    pub user_id: Option<String>,
    /// The message the request names.
    pub message_id: Option<String>,
    /// A `conversation_start`: at most one is in flight per socket, and the new id is checked
    /// against the user id prefix.
    pub start: bool,
}

/// A request handed to the engine.
#[derive(Clone, Debug)]
pub struct Submit {
    /// Its id (unique per engine; chosen by the caller).
    pub id: RequestId,
    /// What it is, for error messages (usually the event type).
    pub operation: String,
    /// The encoded frame.
    pub frame: String,
    /// What completes it.
    pub expect: Expect,
    /// The reply or delivery timeout, counted from the write.
    pub timeout: Duration,
}

/// How a request completed successfully.
#[derive(Clone, Debug, PartialEq)]
pub enum Completion {
    /// The frame was written.
    Written,
    /// The connection proved alive after the write.
    Delivered,
    /// The reply arrived.
    Reply(Inbound),
}

/// What the driver must do on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Open a new transport, tagged `generation`; report its events with that tag.
    Open {
        /// The transport's generation.
        generation: u64,
    },
    /// Write a text frame on the current transport.
    Send(String),
    /// Write a WebSocket ping with this number as its payload (8 bytes, big-endian).
    Ping(u64),
    /// Close the current transport gracefully (close frame with code 1000).
    Close,
    /// Drop the current transport at once (it is considered lost already).
    Abort,
    /// Fetch a 413 large message from its link, then call [`Engine::large_message_fetched`].
    FetchLargeMessage {
        /// Identifies this fetch in [`Engine::large_message_fetched`].
        fetch: u64,
        /// The link.
        url: String,
        /// The `general_error` 413 event that announced it.
        announcement: Inbound,
    },
}

/// Where a delivered event goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The client's own listeners.
    Client,
    /// That conversation's listeners.
    Conversation(String),
    /// Both the client's listeners and that (only open) conversation's.
    Both(String),
}

/// What the engine hands to the driver to deliver.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// The connection's state changed.
    State(StateChange),
    /// Deliver an event.
    Deliver {
        /// The event.
        event: Event,
        /// To whom.
        route: Route,
    },
    /// Every decoded hub frame, for listeners of all raw events (only while
    /// [`Engine::set_raw_frames`] asks for them).
    Frame(Inbound),
    /// A request completed.
    Complete {
        /// Which.
        id: RequestId,
        /// How.
        result: Result<Completion, Error>,
    },
}

/// A transport failure reported by the driver.
#[derive(Clone, Debug, PartialEq)]
pub enum TransportError {
    /// The hub refused the API key (HTTP 401/403 at the handshake): no retry.
    Rejected {
        /// The HTTP status.
        status: u16,
    },
    /// Anything else (DNS, TCP, TLS, handshake, I/O): retried per the policy.
    Other(String),
}

#[derive(Clone, Debug)]
struct Queued {
    submit: Submit,
    resent: bool,
}

#[derive(Debug)]
struct Pending {
    id: RequestId,
    operation: String,
    matcher: ReplyMatch,
    deadline: Instant,
    timeout: Duration,
    /// The caller went away: the reply is delivered as an unsolicited event.
    cancelled: bool,
}

/// Keeps a conversation's events in order while something earlier is still on its way: a
/// large (413) message being fetched, or the catch-up after a reconnect.
#[derive(Debug, Default)]
struct Hold {
    catch_up: Option<CatchUp>,
    queue: VecDeque<Held>,
}

/// A conversation's catch-up: its transcript request (`None` while waiting for its turn), and
/// where in the hold's queue the recovered messages go.
#[derive(Debug, Clone, Copy)]
struct CatchUp {
    request: Option<RequestId>,
    at: usize,
}

#[derive(Debug)]
enum Held {
    Ready(Event, Route),
    /// The place of a large message still being fetched.
    Fetching(u64),
}

fn route_conversation(route: &Route) -> Option<&str> {
    match route {
        Route::Conversation(c) | Route::Both(c) => Some(c),
        Route::Client => None,
    }
}

#[derive(Debug)]
struct Unconfirmed {
    queued: Queued,
    client_msg_id: String,
    deadline: Instant,
    /// The first ping number written after this frame: its pong proves the frame was read.
    needs_ping: u64,
}

/// The protocol engine. See the module docs.
#[derive(Debug)]
pub struct Engine {
    t: Timings,
    state: ConnectionState,
    /// Generation of the current transport; events tagged with another are stale.
    generation: u64,
    transport_open: bool,
    ever_connected: bool,
    /// Consecutive failed attempts since the last stable connection.
    attempt: u32,
    connected_at: Option<Instant>,
    disconnected_since: Option<Instant>,
    open_deadline: Option<Instant>,
    retry_at: Option<Instant>,
    close_deadline: Option<Instant>,
    last_inbound: Instant,
    next_ping_at: Option<Instant>,
    /// The number of the last ping written.
    ping_seq: u64,
    /// A ping asking for delivery proof is waiting for its pong.
    proof_ping_in_flight: bool,
    failure: Option<Error>,
    /// Why the last connection ended or failed to open, as an error.
    last_error: Option<Error>,
    outbox: VecDeque<Queued>,
    starts: VecDeque<Queued>,
    queued_bytes: usize,
    start_in_flight: Option<RequestId>,
    pending: Vec<Pending>,
    unconfirmed: Vec<Unconfirmed>,
    conversations: HashSet<String>,
    /// User ids of starts that timed out or were cancelled, with when to forget them: a late
    /// success naming one of them is not given to the next start.
    abandoned_starts: VecDeque<(String, Instant)>,
    dedupe: Dedupe,
    backoff: Backoff,
    actions: VecDeque<Action>,
    outputs: VecDeque<Output>,
    /// Conversations whose events are held back to keep them in order.
    holds: HashMap<String, Hold>,
    next_fetch: u64,
    /// Conversations whose catch-up waits for its turn.
    catch_ups_waiting: VecDeque<String>,
    /// The time of the latest call, for work started from a completion.
    now: Instant,
    /// Whether every frame is also output as [`Output::Frame`].
    raw_frames: bool,
    /// Per conversation, the `event_id` of the last bot or agent message delivered: where its
    /// catch-up starts in the transcript.
    last_message: HashMap<String, String>,
    /// Conversations started by this engine (their transcript begins with what it delivered).
    started_here: HashSet<String>,
    next_internal: RequestId,
}

impl Engine {
    /// A new engine in `Initialized`, at time `now`.
    pub fn new(timings: Timings, now: Instant) -> Engine {
        let backoff = Backoff::new(&timings.reconnect, timings.jitter_seed);
        Engine {
            dedupe: Dedupe::new(timings.dedupe_window),
            t: timings,
            state: ConnectionState::Initialized,
            generation: 0,
            transport_open: false,
            ever_connected: false,
            attempt: 0,
            connected_at: None,
            disconnected_since: None,
            open_deadline: None,
            retry_at: None,
            close_deadline: None,
            last_inbound: now,
            next_ping_at: None,
            ping_seq: 0,
            proof_ping_in_flight: false,
            failure: None,
            last_error: None,
            outbox: VecDeque::new(),
            starts: VecDeque::new(),
            queued_bytes: 0,
            start_in_flight: None,
            pending: Vec::new(),
            unconfirmed: Vec::new(),
            conversations: HashSet::new(),
            abandoned_starts: VecDeque::new(),
            backoff,
            actions: VecDeque::new(),
            outputs: VecDeque::new(),
            holds: HashMap::new(),
            next_fetch: 1,
            catch_ups_waiting: VecDeque::new(),
            now,
            raw_frames: false,
            last_message: HashMap::new(),
            started_here: HashSet::new(),
            next_internal: INTERNAL,
        }
    }

    /// The current state.
    pub fn state(&self) -> &ConnectionState {
        &self.state
    }

    /// The error that put the engine in `Failed`, if it is there.
    pub fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }

    /// Why the last connection ended or could not be opened.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }

    /// The current transport generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The number of registered conversations.
    pub fn conversation_count(&self) -> usize {
        self.conversations.len()
    }

    /// Requests waiting for a reply or a delivery proof, and sends queued (for leak checks).
    pub fn in_flight(&self) -> (usize, usize, usize) {
        (self.pending.len(), self.unconfirmed.len(), self.outbox.len() + self.starts.len())
    }

    /// The next action for the driver.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next output for the driver.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Engine::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        consider(self.open_deadline);
        consider(self.retry_at);
        consider(self.close_deadline);
        if matches!(self.state, ConnectionState::Connected { .. }) {
            consider(Some(self.liveness_deadline()));
            consider(self.next_ping_at);
            if self.attempt > 0 {
                consider(self.connected_at.map(|c| c + self.t.reconnect.reset_after));
            }
        }
        if matches!(self.state, ConnectionState::Disconnected { .. }) {
            consider(self.disconnected_since.map(|d| d + self.t.reconnect.suspend_after));
        }
        for p in &self.pending {
            consider(Some(p.deadline));
        }
        for u in &self.unconfirmed {
            consider(Some(u.deadline));
        }
        next
    }

    fn liveness_deadline(&self) -> Instant {
        self.last_inbound + self.t.ping_interval + self.t.liveness_grace
    }

    fn set_state(&mut self, new: ConnectionState, reason: Option<String>) {
        if new != self.state {
            let previous = std::mem::replace(&mut self.state, new.clone());
            tracing::debug!(from = previous.name(), to = new.name(), reason = reason.as_deref().unwrap_or(""), "state");
            self.outputs.push_back(Output::State(StateChange { previous, current: new, reason }));
        }
    }

    fn complete(&mut self, id: RequestId, result: Result<Completion, Error>) {
        if id >= INTERNAL {
            self.caught_up(id, result);
            return;
        }
        self.outputs.push_back(Output::Complete { id, result });
    }

    fn deliver(&mut self, event: Event, route: Route) {
        if !self.holds.is_empty()
            && let Some(c) = route_conversation(&route).map(str::to_owned)
            && let Some(h) = self.holds.get_mut(&c)
        {
            h.queue.push_back(Held::Ready(event, route));
            if h.queue.len() > MAX_HELD {
                self.release(&c, true);
            }
            return;
        }
        self.deliver_now(event, route);
    }

    fn deliver_now(&mut self, event: Event, route: Route) {
        if let Some(c) = route_conversation(&route)
            && let Event::Hub(i) = &event
            && matches!(i.body, HubEvent::BotMessage(_) | HubEvent::LivechatMessage(_))
            && let Some(id) = &i.event_id
        {
            self.last_message.insert(c.to_owned(), id.clone());
        }
        self.outputs.push_back(Output::Deliver { event, route });
    }

    /// Delivers a conversation's held events from the front, up to the first one still on its
    /// way; during a catch-up only when `overflow` (down to `MAX_HELD` events).
    fn release(&mut self, conversation: &str, overflow: bool) {
        let Some(mut h) = self.holds.remove(conversation) else { return };
        if h.catch_up.is_none() || overflow {
            while let Some(Held::Ready(..)) = h.queue.front() {
                if overflow && h.queue.len() <= MAX_HELD {
                    break;
                }
                if let Some(Held::Ready(event, route)) = h.queue.pop_front() {
                    if let Some(cu) = &mut h.catch_up {
                        cu.at = cu.at.saturating_sub(1);
                    }
                    self.deliver_now(event, route);
                }
            }
        }
        if h.catch_up.is_some() || !h.queue.is_empty() {
            self.holds.insert(conversation.to_owned(), h);
        }
    }

    /// After a reconnect: asks for the transcript of each conversation that has a place to
    /// start from, holding its live events back until the answer.
    fn start_catch_up(&mut self, ids: &[String]) {
        if !self.t.catch_up {
            return;
        }
        for id in ids {
            if self.holds.get(id).is_some_and(|h| h.catch_up.is_some())
                || !(self.last_message.contains_key(id) || self.started_here.contains(id))
            {
                continue;
            }
            let h = self.holds.entry(id.clone()).or_default();
            h.catch_up = Some(CatchUp { request: None, at: h.queue.len() });
            self.catch_ups_waiting.push_back(id.clone());
        }
        self.next_catch_ups();
    }

    /// How many catch-up transcript requests are out now.
    fn catch_ups_in_flight(&self) -> usize {
        self.holds.values().filter(|h| h.catch_up.is_some_and(|c| c.request.is_some())).count()
    }

    /// Sends the transcript requests of waiting catch-ups, up to the limit in flight; when
    /// not connected any more, the waiting ones are given up (their held events go out).
    fn next_catch_ups(&mut self) {
        let connected = self.transport_open && matches!(self.state, ConnectionState::Connected { .. });
        while let Some(id) = self.catch_ups_waiting.front().cloned() {
            if connected && self.catch_ups_in_flight() >= MAX_CATCH_UPS_IN_FLIGHT {
                return;
            }
            self.catch_ups_waiting.pop_front();
            let Some(cu) = self.holds.get_mut(&id).and_then(|h| h.catch_up.as_mut()) else { continue };
            if !connected {
                if let Some(h) = self.holds.get_mut(&id) {
                    h.catch_up = None;
                }
                self.release(&id, false);
                continue;
            }
            let request = self.next_internal;
            self.next_internal += 1;
            cu.request = Some(request);
            let matcher = ReplyMatch {
                event_type: "conversation_transcript".into(),
                conversation_id: Some(id.clone()),
                ..Default::default()
            };
            let submit = Submit {
                id: request,
                operation: "catch-up transcript request".into(),
                frame: outbound::transcript_request(&id).to_string(),
                expect: Expect::Reply(matcher),
                timeout: self.t.request_timeout,
            };
            let now = self.now;
            self.write(Queued { submit, resent: false }, now);
        }
    }

    /// A catch-up's transcript arrived (or could not be had): the messages missed go before
    /// the live events held back meanwhile.
    fn caught_up(&mut self, request: RequestId, result: Result<Completion, Error>) {
        let Some(id) = self
            .holds
            .iter()
            .find(|(_, h)| h.catch_up.is_some_and(|cu| cu.request == Some(request)))
            .map(|(id, _)| id.clone())
        else {
            return;
        };
        let Some(mut h) = self.holds.remove(&id) else { return };
        let Some(CatchUp { at, .. }) = h.catch_up.take() else { return };
        match result {
            Ok(Completion::Reply(Inbound { body: HubEvent::Transcript(t), .. })) => {
                let held_ids: HashSet<String> = h
                    .queue
                    .iter()
                    .skip(at)
                    .filter_map(|e| match e {
                        Held::Ready(e, _) => e.hub().and_then(|i| i.event_id.clone()),
                        Held::Fetching(_) => None,
                    })
                    .collect();
                let missed = self.missed(&id, &t, &held_ids);
                if !missed.is_empty() {
                    tracing::info!(count = missed.len(), "messages recovered from the transcript");
                }
                let route = self.route(Some(&id));
                for (k, inbound) in missed.into_iter().enumerate() {
                    h.queue.insert(at + k, Held::Ready(Event::Hub(inbound), route.clone()));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::info!(error = %e, "no catch-up after the reconnect"),
        }
        self.holds.insert(id.clone(), h);
        self.release(&id, false);
        self.next_catch_ups();
    }

    /// The bot and agent messages of `t` after the last one delivered in conversation `id`,
    /// not delivered already and not among the live events `held`.
    fn missed(&mut self, id: &str, t: &Transcript, held: &HashSet<String>) -> Vec<Inbound> {
        let start = match self.last_message.get(id) {
            Some(last) => match t.entries.iter().rposition(|e| e.event_id.as_deref() == Some(last.as_str())) {
                Some(i) => i + 1,
                None => {
                    tracing::info!("the last message delivered is not in the transcript; nothing recovered");
                    return Vec::new();
                }
            },
            None => 0,
        };
        let mut out = Vec::new();
        for e in &t.entries[start..] {
            let event_type = match e.from {
                Sender::Bot => "bot_message",
                Sender::Agent => "livechat_message",
                _ => continue,
            };
            if let Some(eid) = &e.event_id
                && (held.contains(eid) || !self.dedupe.insert(event_type, eid))
            {
                continue;
            }
            let content = match e.raw.get("messages") {
                Some(Value::Object(o)) => o.get("messages").cloned().unwrap_or(Value::Array(Vec::new())),
                Some(v) => v.clone(),
                None => Value::Array(Vec::new()),
            };
            let raw = json!({
                "action": "receiveMessage",
                "event": {
                    "event_type": event_type,
                    "event_payload": {"type": "message_create", "conversation_id": id, "content": content},
                    "event_id": e.event_id,
                },
                "recovered_from": e.raw,
            });
            let body = MessageBody {
                message_id: e.message_id.clone(),
                content: e.messages.clone(),
                fetched_from_link: false,
                recovered: true,
            };
            let body = if e.from == Sender::Bot { HubEvent::BotMessage(body) } else { HubEvent::LivechatMessage(body) };
            out.push(Inbound {
                event_type: event_type.to_owned(),
                event_id: e.event_id.clone(),
                conversation_id: Some(id.to_owned()),
                body,
                raw: Arc::new(raw),
            });
        }
        out
    }

    // ----- commands from the application -----

    /// Connects (from `Initialized`, `Closed` or `Failed`), or skips the backoff wait (from
    /// `Disconnected` or `Suspended`). Does nothing while connecting or connected.
    pub fn connect(&mut self, now: Instant) {
        self.handle_timeout(now);
        match self.state {
            ConnectionState::Initialized | ConnectionState::Closed | ConnectionState::Failed => {
                self.attempt = 0;
                self.failure = None;
                self.disconnected_since = None;
                self.start_attempt(now);
            }
            ConnectionState::Disconnected { .. } | ConnectionState::Suspended { .. } => self.start_attempt(now),
            _ => {}
        }
    }

    /// The network is back (an OS hint): retry now if waiting to reconnect.
    pub fn network_up(&mut self, now: Instant) {
        self.handle_timeout(now);
        if matches!(self.state, ConnectionState::Disconnected { .. } | ConnectionState::Suspended { .. }) {
            self.start_attempt(now);
        }
    }

    /// Closes gracefully: queued sends and waiting requests fail with `Closed`.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            ConnectionState::Closed | ConnectionState::Closing => return,
            _ => {}
        }
        self.fail_all(Error::Closed);
        self.retry_at = None;
        self.open_deadline = None;
        self.next_ping_at = None;
        if self.transport_open {
            self.set_state(ConnectionState::Closing, Some("closed by the application".into()));
            self.actions.push_back(Action::Close);
            self.close_deadline = Some(now + self.t.close_timeout);
        } else {
            if !matches!(self.state, ConnectionState::Initialized) || self.generation > 0 {
                self.actions.push_back(Action::Abort);
            }
            self.set_state(ConnectionState::Closed, Some("closed by the application".into()));
        }
    }

    /// Whether to output every decoded frame as [`Output::Frame`] (off by default: a copy per
    /// frame is only worth making while someone listens to raw events).
    pub fn set_raw_frames(&mut self, on: bool) {
        self.raw_frames = on;
    }

    /// Registers a conversation, so that events naming it are routed to it.
    pub fn attach(&mut self, conversation_id: &str) {
        self.conversations.insert(conversation_id.to_owned());
    }

    /// Unregisters a conversation.
    pub fn detach(&mut self, conversation_id: &str) {
        self.conversations.remove(conversation_id);
        self.last_message.remove(conversation_id);
        self.started_here.remove(conversation_id);
    }

    /// Submits a request. An immediate failure (closed, failed, queue full, not connected
    /// with queueing off) is returned here; otherwise exactly one [`Output::Complete`] follows.
    pub fn submit(&mut self, submit: Submit, now: Instant) -> Result<(), Error> {
        self.handle_timeout(now);
        match &self.state {
            ConnectionState::Closing | ConnectionState::Closed => return Err(Error::Closed),
            ConnectionState::Failed => {
                return Err(self.failure.clone().unwrap_or_else(|| Error::Failed("the connection failed".into())));
            }
            ConnectionState::Suspended { .. } => return Err(Error::ConnectionLost),
            ConnectionState::Connected { .. } => {}
            _ if !self.t.queue_while_offline => return Err(Error::ConnectionLost),
            _ => {}
        }
        let queued = Queued { submit, resent: false };
        let is_start = matches!(&queued.submit.expect, Expect::Reply(m) if m.start);
        if matches!(self.state, ConnectionState::Connected { .. }) {
            if is_start {
                self.starts.push_back(queued);
                self.pump_starts(now);
            } else {
                self.write(queued, now);
            }
            return Ok(());
        }
        let len = queued.submit.frame.len();
        if self.outbox.len() + self.starts.len() >= self.t.max_queued_events {
            return Err(Error::QueueFull(format!("{} events", self.t.max_queued_events)));
        }
        if self.queued_bytes + len > self.t.max_queued_bytes {
            return Err(Error::QueueFull(format!("{} bytes", self.t.max_queued_bytes)));
        }
        self.queued_bytes += len;
        if is_start {
            self.starts.push_back(queued)
        } else {
            self.outbox.push_back(queued)
        }
        Ok(())
    }

    /// The caller of a request went away. A queued request is removed and never sent; a
    /// written one stops waiting, and its reply, if it comes, is delivered as an unsolicited
    /// event.
    pub fn cancel(&mut self, id: RequestId) {
        for q in [&mut self.outbox, &mut self.starts] {
            if let Some(pos) = q.iter().position(|x| x.submit.id == id) {
                let removed = q.remove(pos).expect("position is valid");
                self.queued_bytes = self.queued_bytes.saturating_sub(removed.submit.frame.len());
                return;
            }
        }
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            // Keep it as a ghost: the hub answers in order, so its reply, when it comes, must not
            // be taken for the answer to a newer request of the same kind.
            p.cancelled = true;
            return;
        }
        self.unconfirmed.retain(|u| u.queued.submit.id != id);
    }

    // ----- events from the transport -----

    /// The WebSocket handshake of transport `generation` succeeded.
    pub fn transport_opened(&mut self, generation: u64, now: Instant) {
        if generation != self.generation || !matches!(self.state, ConnectionState::Connecting { .. }) {
            return;
        }
        self.transport_open = true;
        self.last_inbound = now;
        self.handle_timeout(now);
    }

    /// Transport `generation` could not be opened, or failed.
    pub fn transport_failed(&mut self, generation: u64, error: TransportError, now: Instant) {
        if generation != self.generation {
            return;
        }
        match error {
            TransportError::Rejected { status } => {
                self.transport_open = false;
                self.open_deadline = None;
                self.fail_for_good(
                    Error::Rejected { status },
                    Error::Rejected { status },
                    format!("the hub rejected the API key (HTTP {status})"),
                );
            }
            TransportError::Other(reason) => self.lost(reason, now),
        }
    }

    /// Transport `generation` was closed by the peer (`code` from its close frame, if any).
    pub fn transport_closed(&mut self, generation: u64, code: Option<u16>, reason: &str, now: Instant) {
        if generation != self.generation {
            return;
        }
        if matches!(self.state, ConnectionState::Closing) {
            self.transport_open = false;
            self.close_deadline = None;
            self.set_state(ConnectionState::Closed, Some("closed by the application".into()));
            return;
        }
        let why = match code {
            Some(c) if reason.is_empty() => format!("the hub closed the connection (code {c})"),
            Some(c) => format!("the hub closed the connection (code {c}: {reason})"),
            None => "the connection was closed without a close frame".to_owned(),
        };
        self.lost(why, now);
    }

    /// Any other traffic (a ping from the hub, a binary frame) arrived on transport
    /// `generation`: the link is alive.
    pub fn activity(&mut self, generation: u64, now: Instant) {
        if generation != self.generation || !self.transport_open {
            return;
        }
        self.last_inbound = now;
        self.handle_timeout(now);
    }

    /// A pong arrived on transport `generation`, with the number of the ping it answers when
    /// its payload is one of ours. Frames written before that ping were read by the hub.
    pub fn pong_received(&mut self, generation: u64, ping: Option<u64>, now: Instant) {
        if generation != self.generation || !self.transport_open {
            return;
        }
        self.last_inbound = now;
        if let Some(k) = ping {
            let (done, waiting): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.unconfirmed).into_iter().partition(|u| u.needs_ping <= k);
            self.unconfirmed = waiting;
            for u in done {
                self.complete(u.queued.submit.id, Ok(Completion::Delivered));
            }
            if k >= self.ping_seq {
                self.proof_ping_in_flight = false;
            }
            if !self.unconfirmed.is_empty() && !self.proof_ping_in_flight {
                self.send_ping(true);
            }
        }
        self.handle_timeout(now);
    }

    fn send_ping(&mut self, for_proof: bool) {
        self.ping_seq += 1;
        if for_proof {
            self.proof_ping_in_flight = true;
        }
        self.actions.push_back(Action::Ping(self.ping_seq));
    }

    /// A text frame arrived on transport `generation`.
    pub fn frame_received(&mut self, generation: u64, text: &str, now: Instant) {
        if generation != self.generation || !self.transport_open {
            return;
        }
        self.last_inbound = now;
        self.handle_timeout(now);
        let inbound = match decode(text) {
            Ok(i) => i,
            Err(e) => {
                let mut cut = text.len().min(1024);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                tracing::warn!(error = %e, "malformed frame from the hub");
                self.deliver(
                    Event::Malformed(MalformedFrame { error: e.to_string(), text: text[..cut].to_owned() }),
                    Route::Client,
                );
                return;
            }
        };
        if self.raw_frames {
            self.outputs.push_back(Output::Frame(inbound.clone()));
        }
        if let HubEvent::SocketConnected { socket_id } = &inbound.body {
            let socket_id = socket_id.clone();
            self.socket_connected(socket_id, now);
            return;
        }
        if let Some(id) = &inbound.event_id
            && !self.dedupe.insert(&inbound.event_type, id)
        {
            tracing::debug!(event_type = %inbound.event_type, "duplicate event dropped");
            return;
        }
        if self.match_reply(&inbound, now) {
            return;
        }
        if let HubEvent::Error(err) = &inbound.body
            && err.message_link.is_some()
            && err.code.as_ref().and_then(|c| c.as_number()) == Some(413)
        {
            let url = err.message_link.clone().unwrap_or_default();
            let fetch = self.next_fetch;
            self.next_fetch += 1;
            // Later events of the conversation wait for it, so that they stay in order.
            if let Some(c) = route_conversation(&self.route(inbound.conversation_id.as_deref())) {
                self.holds.entry(c.to_owned()).or_default().queue.push_back(Held::Fetching(fetch));
            }
            self.actions.push_back(Action::FetchLargeMessage { fetch, url, announcement: inbound });
            return;
        }
        let route = self.route(inbound.conversation_id.as_deref());
        self.deliver(Event::Hub(inbound), route);
    }

    /// The result of [`Action::FetchLargeMessage`] `fetch`: the message's content array, or why
    /// it could not be fetched (then the 413 error itself is delivered). It takes the place of
    /// its announcement among the conversation's events.
    pub fn large_message_fetched(&mut self, fetch: u64, announcement: Inbound, result: Result<Value, String>) {
        let route = self.route(announcement.conversation_id.as_deref());
        let event = Self::fetched_event(announcement, result);
        let placed = self.holds.iter_mut().find_map(|(c, h)| {
            let slot = h.queue.iter_mut().find(|e| matches!(e, Held::Fetching(f) if *f == fetch))?;
            *slot = Held::Ready(event.clone(), route.clone());
            Some(c.clone())
        });
        match placed {
            Some(c) => self.release(&c, false),
            None => self.deliver(event, route),
        }
    }

    /// The event a large message fetch yields: the message, or its announcement on failure.
    fn fetched_event(announcement: Inbound, result: Result<Value, String>) -> Event {
        match result {
            Ok(content) => {
                let link = match &announcement.body {
                    HubEvent::Error(e) => e.message_link.clone(),
                    _ => None,
                };
                let mut payload = serde_json::Map::new();
                payload.insert("type".into(), json!("message_create"));
                if let Some(c) = &announcement.conversation_id {
                    payload.insert("conversation_id".into(), json!(c));
                }
                payload.insert("content".into(), content.clone());
                payload.insert("message_link".into(), json!(link));
                let raw = json!({
                    "action": "receiveMessage",
                    "event": {
                        "event_type": "bot_message",
                        "event_payload": payload,
                        "event_id": announcement.event_id,
                    }
                });
                let inbound = Inbound {
                    event_type: "bot_message".into(),
                    event_id: announcement.event_id.clone(),
                    conversation_id: announcement.conversation_id.clone(),
                    body: HubEvent::BotMessage(MessageBody {
                        message_id: None,
                        content: ContentItem::list_from_json(Some(&content)),
                        fetched_from_link: true,
                        recovered: false,
                    }),
                    raw: Arc::new(raw),
                };
                Event::Hub(inbound)
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not fetch a large message");
                Event::Hub(announcement)
            }
        }
    }

    // ----- time -----

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if let Some(d) = self.close_deadline
            && now >= d
        {
            self.close_deadline = None;
            self.transport_open = false;
            self.actions.push_back(Action::Abort);
            self.set_state(ConnectionState::Closed, Some("closed by the application".into()));
        }
        if let Some(d) = self.open_deadline
            && now >= d
        {
            self.open_deadline = None;
            self.actions.push_back(Action::Abort);
            let secs = self.t.connect_timeout.as_secs_f64();
            self.lost(format!("no socket_connected within {secs} s"), now);
            self.last_error = Some(Error::timeout("connect", self.t.connect_timeout));
        }
        if matches!(self.state, ConnectionState::Connected { .. }) {
            if now >= self.liveness_deadline() {
                self.actions.push_back(Action::Abort);
                let secs = (self.t.ping_interval + self.t.liveness_grace).as_secs_f64();
                self.lost(format!("nothing received for {secs} s: the link is dead"), now);
            } else {
                if self.next_ping_at.is_some_and(|p| now >= p) {
                    self.send_ping(!self.unconfirmed.is_empty());
                    self.next_ping_at = Some(now + self.t.ping_interval);
                }
                if self.attempt > 0 && self.connected_at.is_some_and(|c| now >= c + self.t.reconnect.reset_after) {
                    self.attempt = 0;
                }
            }
        }
        if let (ConnectionState::Disconnected { .. }, Some(since)) = (&self.state, self.disconnected_since)
            && now >= since + self.t.reconnect.suspend_after
        {
            self.suspend(now);
        }
        if let Some(r) = self.retry_at
            && now >= r
        {
            self.start_attempt(now);
        }
        self.expire_requests(now);
    }

    fn expire_requests(&mut self, now: Instant) {
        if self.pending.iter().any(|p| now >= p.deadline) {
            let (expired, kept): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.pending).into_iter().partition(|p| now >= p.deadline);
            self.pending = kept;
            for mut p in expired {
                if p.matcher.start {
                    if self.start_in_flight == Some(p.id) {
                        self.start_in_flight = None;
                    }
                    if let Some(u) = &p.matcher.user_id {
                        self.abandoned_starts.push_back((u.clone(), now + Duration::from_secs(60)));
                    }
                    if !p.cancelled {
                        self.complete(p.id, Err(Error::timeout(&p.operation, p.timeout)));
                    }
                    continue;
                }
                if !p.cancelled {
                    self.complete(p.id, Err(Error::timeout(&p.operation, p.timeout)));
                    // A ghost for one more period: a late reply is delivered as an event, not
                    // handed to a newer request.
                    p.cancelled = true;
                    p.deadline += p.timeout;
                    if p.deadline > now {
                        self.pending.push(p);
                    }
                }
            }
            self.pump_starts(now);
        }
        if self.unconfirmed.iter().any(|u| now >= u.deadline) {
            let (expired, kept): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.unconfirmed).into_iter().partition(|u| now >= u.deadline);
            self.unconfirmed = kept;
            for u in expired {
                let s = u.queued.submit;
                self.complete(s.id, Err(Error::timeout(&s.operation, s.timeout)));
            }
        }
        while self.abandoned_starts.front().is_some_and(|(_, t)| now >= *t) {
            self.abandoned_starts.pop_front();
        }
    }

    // ----- internals -----

    fn start_attempt(&mut self, now: Instant) {
        self.retry_at = None;
        self.generation += 1;
        self.transport_open = false;
        self.open_deadline = Some(now + self.t.connect_timeout);
        self.set_state(ConnectionState::Connecting { attempt: self.attempt + 1 }, None);
        self.actions.push_back(Action::Open { generation: self.generation });
    }

    fn socket_connected(&mut self, socket_id: String, now: Instant) {
        if !matches!(self.state, ConnectionState::Connecting { .. }) {
            tracing::debug!("socket_connected outside of connecting; ignored");
            return;
        }
        self.open_deadline = None;
        self.connected_at = Some(now);
        self.disconnected_since = None;
        self.last_inbound = now;
        self.next_ping_at = Some(now + self.t.ping_interval);
        let reconnect = self.ever_connected;
        self.ever_connected = true;
        self.set_state(ConnectionState::Connected { socket_id }, None);
        if reconnect {
            let mut ids: Vec<String> = self.conversations.iter().cloned().collect();
            ids.sort();
            for id in &ids {
                self.deliver(Event::Discontinuity { conversation_id: id.clone() }, Route::Conversation(id.clone()));
            }
            self.start_catch_up(&ids);
        }
        // Flush the queue in order, ahead of anything sent later.
        while let Some(q) = self.outbox.pop_front() {
            self.queued_bytes = self.queued_bytes.saturating_sub(q.submit.frame.len());
            self.write(q, now);
        }
        self.pump_starts(now);
    }

    /// Writes the next queued `conversation_start` when none is in flight.
    fn pump_starts(&mut self, now: Instant) {
        if self.start_in_flight.is_some() || !matches!(self.state, ConnectionState::Connected { .. }) {
            return;
        }
        if let Some(q) = self.starts.pop_front() {
            if !self.transport_open {
                self.starts.push_front(q);
                return;
            }
            self.queued_bytes = self.queued_bytes.saturating_sub(q.submit.frame.len());
            self.write(q, now);
        }
    }

    fn write(&mut self, q: Queued, now: Instant) {
        self.actions.push_back(Action::Send(q.submit.frame.clone()));
        match q.submit.expect.clone() {
            Expect::Written => self.complete(q.submit.id, Ok(Completion::Written)),
            Expect::Delivered { client_msg_id } => {
                let deadline = now + q.submit.timeout;
                let needs_ping = self.ping_seq + 1;
                self.unconfirmed.push(Unconfirmed { queued: q, client_msg_id, deadline, needs_ping });
                // Ask for the proof right away rather than at the next keep-alive ping; while a
                // proof ping is out, its pong sends the next one, so pings stay one in flight.
                if !self.proof_ping_in_flight {
                    self.send_ping(true);
                }
            }
            Expect::Reply(matcher) => {
                if matcher.start {
                    self.start_in_flight = Some(q.submit.id);
                }
                self.pending.push(Pending {
                    id: q.submit.id,
                    operation: q.submit.operation,
                    matcher,
                    deadline: now + q.submit.timeout,
                    timeout: q.submit.timeout,
                    cancelled: false,
                });
            }
        }
    }

    fn route(&self, conversation_id: Option<&str>) -> Route {
        match conversation_id {
            Some(c) if self.conversations.contains(c) => Route::Conversation(c.to_owned()),
            Some(_) => Route::Client,
            None if self.conversations.len() == 1 => {
                Route::Both(self.conversations.iter().next().cloned().unwrap_or_default())
            }
            None => Route::Client,
        }
    }

    /// Gives a reply to the request waiting for it. Returns false when nobody waits for it
    /// (then it is delivered as an ordinary event).
    fn match_reply(&mut self, inbound: &Inbound, now: Instant) -> bool {
        fn same(want: &Option<String>, got: Option<&str>) -> bool {
            match (want, got) {
                (Some(w), Some(g)) => w == g,
                _ => true,
            }
        }
        let conv = inbound.conversation_id.as_deref();
        if let HubEvent::Error(err) = &inbound.body {
            if err.message_link.is_some() {
                return false;
            }
            // A hub error answers the oldest request naming the same conversation.
            let Some(c) = conv else { return false };
            let Some(pos) = self.pending.iter().position(|p| p.matcher.conversation_id.as_deref() == Some(c)) else {
                return false;
            };
            let p = self.pending.remove(pos);
            if !p.cancelled {
                self.complete(p.id, Err(Error::from_hub(err, Some(c.to_owned()))));
            }
            return true;
        }
        if matches!(inbound.body, HubEvent::ConversationStarted) {
            return self.match_start(inbound, now);
        }
        let user = inbound
            .raw
            .get("event")
            .and_then(|e| e.get("event_payload"))
            .and_then(|p| p.get("userId"))
            .and_then(Value::as_str);
        let message_id = match &inbound.body {
            HubEvent::MessageEdited { message_id } => message_id.as_deref(),
            _ => None,
        };
        let Some(pos) = self.pending.iter().position(|p| {
            !p.matcher.start
                && p.matcher.event_type == inbound.event_type
                && same(&p.matcher.conversation_id, conv)
                && same(&p.matcher.user_id, user)
                && same(&p.matcher.message_id, message_id)
        }) else {
            return false;
        };
        let p = self.pending.remove(pos);
        if matches!(inbound.body, HubEvent::ConversationDeleted { .. })
            && let Some(c) = &p.matcher.conversation_id
        {
            self.conversations.remove(c);
        }
        if p.cancelled {
            return false;
        }
        self.complete(p.id, Ok(Completion::Reply(inbound.clone())));
        true
    }

    fn match_start(&mut self, inbound: &Inbound, now: Instant) -> bool {
        let Some(new_id) = inbound.conversation_id.clone() else {
            // Useless to anyone: the start in flight (one per socket) fails now, rather than
            // timing out.
            tracing::warn!("conversation_start_success without a conversation_id");
            let Some(in_flight) = self.start_in_flight else { return false };
            let Some(pos) = self.pending.iter().position(|p| p.id == in_flight && !p.cancelled) else { return false };
            let p = self.pending.remove(pos);
            self.start_in_flight = None;
            let e = Error::Protocol("conversation_start_success without a conversation_id".into());
            self.complete(p.id, Err(e));
            self.pump_starts(now);
            return true;
        };
        let Some(in_flight) = self.start_in_flight else { return false };
        let Some(pos) = self.pending.iter().position(|p| p.id == in_flight) else { return false };
        let prefixed =
            |user: &str| new_id.strip_prefix(user).is_some_and(|rest| rest.starts_with('-') || rest.starts_with('_'));
        let ours = self.pending[pos].matcher.user_id.as_deref().is_some_and(prefixed);
        if !ours && self.abandoned_starts.iter().any(|(u, _)| prefixed(u)) {
            // The late answer to a start whose caller gave up: not this caller's conversation.
            tracing::debug!("late conversation_start_success delivered as an unsolicited event");
            return false;
        }
        let p = self.pending.remove(pos);
        self.start_in_flight = None;
        let delivered = if p.cancelled {
            false
        } else {
            self.started_here.insert(new_id.clone());
            self.conversations.insert(new_id);
            self.complete(p.id, Ok(Completion::Reply(inbound.clone())));
            true
        };
        self.pump_starts(now);
        delivered
    }

    /// The transport is gone (or given up on); decide what comes next.
    fn lost(&mut self, reason: String, now: Instant) {
        let was_open = self.transport_open;
        self.transport_open = false;
        self.proof_ping_in_flight = false;
        self.open_deadline = None;
        self.next_ping_at = None;
        if matches!(self.state, ConnectionState::Closing | ConnectionState::Closed | ConnectionState::Failed) {
            self.close_deadline = None;
            if matches!(self.state, ConnectionState::Closing) {
                self.set_state(ConnectionState::Closed, Some("closed by the application".into()));
            }
            return;
        }
        tracing::info!(reason = %reason, was_open, "connection lost");
        self.last_error = Some(if was_open { Error::ConnectionLost } else { Error::Connect(reason.clone()) });
        // Requests that were written and not answered: the answer went with the socket.
        for p in std::mem::take(&mut self.pending) {
            if !p.cancelled {
                self.complete(p.id, Err(Error::ConnectionLost));
            }
        }
        self.start_in_flight = None;
        // Messages written but never proven delivered.
        let mut resend = Vec::new();
        for u in std::mem::take(&mut self.unconfirmed) {
            if self.t.delivery == Delivery::AtLeastOnce && !u.queued.resent {
                resend.push(Queued { submit: u.queued.submit, resent: true });
            } else {
                self.complete(u.queued.submit.id, Err(Error::PossiblyNotDelivered { client_msg_id: u.client_msg_id }));
            }
        }
        for q in resend.into_iter().rev() {
            self.queued_bytes += q.submit.frame.len();
            self.outbox.push_front(q);
        }
        if !self.t.reconnect.enabled {
            // Calls waiting now lost their connection; later calls learn that it failed for good
            // (or, if it never opened, why the connection attempt failed).
            let reason = format!("{reason}; reconnecting is disabled");
            let failure = if was_open { Error::Failed(reason.clone()) } else { Error::Connect(reason.clone()) };
            self.fail_for_good(Error::ConnectionLost, failure, reason);
            return;
        }
        self.attempt += 1;
        if let Some(max) = self.t.reconnect.max_attempts
            && self.attempt > max
        {
            let reason = format!("gave up after {max} attempts: {reason}");
            self.fail_for_good(Error::Failed(reason.clone()), Error::Failed(reason.clone()), reason);
            return;
        }
        let since = *self.disconnected_since.get_or_insert(now);
        if now >= since + self.t.reconnect.suspend_after {
            self.suspend_with_reason(now, reason);
            return;
        }
        let delay = self.backoff.delay(self.attempt - 1);
        self.retry_at = Some(now + delay);
        self.set_state(ConnectionState::Disconnected { attempt: self.attempt, retry_in: delay }, Some(reason));
    }

    fn suspend(&mut self, now: Instant) {
        let secs = self.t.reconnect.suspend_after.as_secs_f64();
        self.suspend_with_reason(now, format!("no connection for {secs} s"));
    }

    fn suspend_with_reason(&mut self, now: Instant, reason: String) {
        let retry_in = match self.retry_at {
            Some(r) if r > now && matches!(self.state, ConnectionState::Disconnected { .. }) => {
                (r - now).min(self.t.reconnect.suspended_retry)
            }
            _ => self.t.reconnect.suspended_retry,
        };
        self.retry_at = Some(now + retry_in);
        self.fail_queued(Error::ConnectionLost);
        self.set_state(ConnectionState::Suspended { retry_in }, Some(reason));
    }

    /// No more attempts: calls waiting now fail with `error`, later ones with `failure`.
    fn fail_for_good(&mut self, error: Error, failure: Error, reason: String) {
        self.retry_at = None;
        self.next_ping_at = None;
        self.fail_all(error);
        self.failure = Some(failure);
        self.set_state(ConnectionState::Failed, Some(reason));
    }

    fn fail_queued(&mut self, error: Error) {
        let queued: Vec<Queued> = self.outbox.drain(..).chain(self.starts.drain(..)).collect();
        self.queued_bytes = 0;
        for q in queued {
            self.complete(q.submit.id, Err(error.clone()));
        }
    }

    fn fail_all(&mut self, error: Error) {
        self.fail_queued(error.clone());
        for p in std::mem::take(&mut self.pending) {
            if !p.cancelled {
                self.complete(p.id, Err(error.clone()));
            }
        }
        self.start_in_flight = None;
        for u in std::mem::take(&mut self.unconfirmed) {
            self.complete(u.queued.submit.id, Err(error.clone()));
        }
    }
}
