//! The sans-IO protocol engine.
//!
//! It owns the connection state machine, the offline queue, the requests waiting for replies,
//! the conversation registry and event routing, and every timer. It performs no I/O and reads
//! no clock: the driver feeds it transport events, frames and the current time, then drains
//! [`Engine::poll_action`] (what to do on the wire), [`Engine::poll_output`] (what to deliver)
//! and [`Engine::poll_timeout`] (when to call [`Engine::handle_timeout`] next). Tests drive it
//! with a fake clock.
//!
//! The work per event does not grow with what is in flight: the connection's timers are one
//! slot each ([`timers`](self)), requests are indexed by what answers them and their deadlines
//! kept in order (the request table), and held events are found by conversation.
//!
//! Parts: the public in and out types, the request table, the connection's life (attempts,
//! pings, liveness, drops), and ordering (the catch-up after a reconnect and large messages).

mod actions;
mod backoff;
mod cut;
mod deadlines;
mod dedupe;
mod errors;
mod lifecycle;
mod ordering;
mod outputs;
mod posts;
mod requests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;
mod timers;
mod types;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{Delivery, Timings, Transport};
use crate::error::Error;
use crate::event::{ConnectionState, DeliveryReport, Event, MalformedFrame};
use crate::hash::{FastMap, FastSet};
use crate::protocol::{HubEvent, Inbound, decode, outbound};

use actions::{Actions, PendingWrite, PendingWrites};
pub use backoff::Backoff;
use dedupe::Dedupe;
use ordering::Hold;
pub(crate) use outputs::Done;
use outputs::Outputs;
use requests::{Awaiting, Outbox, Unproven, Written};
use timers::Timers;
pub use types::{
    Action, Completion, Expect, Output, PostOutcome, ReplyMatch, RequestId, Route, Submit, TransportError,
};

/// The first id of the engine's own requests.
const INTERNAL: RequestId = 1 << 63;

/// The most catch-up transcript requests in flight at once; the other conversations wait for
/// their turn (holding their live events), so that a reconnect with many conversations open
/// does not send the hub a burst of requests.
const MAX_CATCH_UPS_IN_FLIGHT: usize = 8;

/// The most events held back per conversation (see `Hold`); beyond that the oldest ready ones
/// are delivered at once.
const MAX_HELD: usize = 10_000;

/// How long the user id of an abandoned start is remembered: a late success naming it is not
/// given to the next start.
const ABANDONED_START_MEMORY: Duration = Duration::from_secs(60);

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
    disconnected_since: Option<Instant>,
    timers: Timers,
    /// The number of the last ping written.
    ping_seq: u64,
    /// A ping asking for delivery proof is waiting for its pong.
    proof_ping_in_flight: bool,
    failure: Option<Error>,
    /// Why the last connection ended or failed to open, as an error.
    last_error: Option<Error>,
    outbox: Outbox,
    written: Written,
    start_in_flight: Option<RequestId>,
    conversations: FastSet<Arc<str>>,
    /// User ids of starts that timed out or were cancelled, with when to forget them: a late
    /// success naming one of them is not given to the next start.
    abandoned_starts: VecDeque<(String, Instant)>,
    dedupe: Dedupe,
    backoff: Backoff,
    actions: Actions,
    /// Sends that complete once written, until their frame is flushed.
    writes: PendingWrites,
    outputs: Outputs,
    /// Conversations whose events are held back to keep them in order.
    holds: FastMap<String, Hold>,
    next_fetch: u64,
    /// Large messages being fetched, and the conversation holding their place.
    fetching: FastMap<u64, String>,
    /// Catch-up transcript requests in flight, and their conversation.
    catch_ups: FastMap<RequestId, String>,
    /// Conversations whose catch-up waits for its turn.
    catch_ups_waiting: VecDeque<String>,
    /// The time of the latest call, for work started from a completion.
    now: Instant,
    /// Whether every frame is also output as [`Output::Frame`].
    raw_frames: bool,
    /// Per conversation, the `event_id` of the last bot or agent message delivered: where its
    /// catch-up starts in the transcript.
    last_message: FastMap<String, String>,
    /// Conversations started by this engine (their transcript begins with what it delivered).
    started_here: FastSet<String>,
    next_internal: RequestId,
    /// Requests of the HTTP transport waiting to be posted, in order.
    posts: posts::Line,
    /// The one being posted.
    post_in_flight: Option<posts::PostItem>,
    /// The socket id the hub's HTTP side said it has no open socket for: posts wait for
    /// another one (the socket is gone; the reconnect brings a new id).
    refused_socket: Option<String>,
    next_post: u64,
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
            disconnected_since: None,
            timers: Timers::default(),
            ping_seq: 0,
            proof_ping_in_flight: false,
            failure: None,
            last_error: None,
            outbox: Outbox::default(),
            written: Written::default(),
            start_in_flight: None,
            conversations: FastSet::default(),
            abandoned_starts: VecDeque::new(),
            backoff,
            actions: Actions::default(),
            writes: PendingWrites::default(),
            outputs: Outputs::default(),
            holds: FastMap::default(),
            next_fetch: 1,
            fetching: FastMap::default(),
            catch_ups: FastMap::default(),
            catch_ups_waiting: VecDeque::new(),
            now,
            raw_frames: false,
            last_message: FastMap::default(),
            started_here: FastSet::default(),
            next_internal: INTERNAL,
            posts: posts::Line::default(),
            post_in_flight: None,
            refused_socket: None,
            next_post: 1,
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

    /// Requests waiting for a reply (including those whose caller went away, kept for one more
    /// period), messages waiting for a proof of delivery, and sends queued or waiting for their
    /// write to finish (for leak checks).
    pub fn in_flight(&self) -> (usize, usize, usize) {
        let (replies, proofs) = self.written.counts();
        (replies, proofs, self.outbox.len() + self.posts_waiting() + self.writes.len())
    }

    /// Whether answers are awaited on the socket: replies, or proofs of delivery.
    pub(crate) fn awaiting_answers(&self) -> bool {
        let (replies, proofs) = self.written.counts();
        replies + proofs > 0
    }

    /// The next action for the driver. A frame it takes counts as written once the driver
    /// reports it flushed ([`Engine::flushed`]).
    pub fn poll_action(&mut self) -> Option<Action> {
        let (a, owner) = self.actions.pop_front()?;
        if let (Action::Send(_), Some(id)) = (&a, owner) {
            self.writes.taken(id);
        }
        Some(a)
    }

    /// The frames taken from [`Engine::poll_action`] so far were flushed to transport
    /// `generation`: sends that complete once written complete now.
    pub fn flushed(&mut self, generation: u64, now: Instant) {
        self.tick(now);
        if generation != self.generation || !self.transport_open {
            return;
        }
        while let Some(w) = self.writes.pop_taken() {
            self.complete(w.id, Ok(Completion::Written));
        }
    }

    /// Whether a frame taken from [`Engine::poll_action`] waits for its flush to be reported.
    pub fn awaits_flush(&self) -> bool {
        self.writes.any_taken()
    }

    /// The next output to deliver. Every event and state change ready comes before the
    /// completions: a request's caller learns of its end after the events that came with it
    /// (the driver, the tests and the fuzz target all drain the engine through this).
    #[inline]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop()
    }

    /// When [`Engine::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.timers.next(), self.written.next_deadline(), self.post_deadline(), self.writes.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
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
        self.tick(now);
        if matches!(self.state, ConnectionState::Closed | ConnectionState::Closing) {
            return;
        }
        self.fail_all(Error::Closed);
        for t in [
            timers::Timer::Retry,
            timers::Timer::Open,
            timers::Timer::KeepAlive,
            timers::Timer::Silence,
            timers::Timer::PongDue,
            timers::Timer::Suspend,
        ] {
            self.timers.clear(t);
        }
        if self.transport_open {
            self.set_state(ConnectionState::Closing, Some("closed by the application".into()));
            self.actions.push_back(Action::Close);
            self.timers.set(timers::Timer::Close, now + self.t.close_timeout);
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
        if !self.conversations.contains(conversation_id) {
            self.conversations.insert(conversation_id.into());
        }
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
        let start = matches!(&submit.expect, Expect::Reply(m) if m.start);
        if self.state.is_connected() {
            if start {
                self.outbox.push(submit, true);
                self.pump_starts(now);
            } else {
                if self.t.transport == Transport::Http {
                    // Posts wait in line: the line has the queue's bounds.
                    self.room_for(submit.frame.len())?;
                }
                self.write(submit, now);
            }
            return Ok(());
        }
        self.room_for(submit.frame.len())?;
        self.outbox.push(submit, start);
        Ok(())
    }

    /// The caller of a request went away. A queued request is removed and never sent; a
    /// written one stops waiting, and its reply, if it comes, is delivered as an unsolicited
    /// event.
    pub fn cancel(&mut self, id: RequestId) {
        if self.outbox.remove(id) || self.cancel_post(id) || self.writes.remove(id).is_some() {
            return;
        }
        let Some(seq) = self.written.seq_of(id) else { return };
        if let Some(a) = self.written.reply_mut(seq) {
            // Kept as a ghost: the hub answers in order, so its reply, when it comes, must not
            // be taken for the answer to a newer request of the same kind.
            a.cancelled = true;
        } else {
            self.written.remove_proof(seq);
        }
    }

    // ----- events from the transport -----

    /// The WebSocket handshake of transport `generation` succeeded.
    pub fn transport_opened(&mut self, generation: u64, now: Instant) {
        self.tick(now);
        if generation != self.generation || !matches!(self.state, ConnectionState::Connecting { .. }) {
            return;
        }
        self.transport_open = true;
        self.inbound(now);
        self.handle_timeout(now);
    }

    /// Transport `generation` could not be opened, or failed.
    pub fn transport_failed(&mut self, generation: u64, error: TransportError, now: Instant) {
        self.tick(now);
        if generation != self.generation {
            return;
        }
        if matches!(self.state, ConnectionState::Closing) {
            // Whatever ended the transport, the close is over.
            self.lost("the transport ended while closing".into(), now);
            return;
        }
        match error {
            TransportError::Rejected { status } => {
                self.transport_open = false;
                self.timers.clear(timers::Timer::Open);
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
    ///
    /// A close from the hub, whatever its code, is a drop: the client reconnects per its policy
    /// (a hub closes healthy connections for its own reasons: idle time, a connection age
    /// limit, a deployment). Only the application ends a session, with [`Engine::close`].
    pub fn transport_closed(&mut self, generation: u64, code: Option<u16>, reason: &str, now: Instant) {
        self.tick(now);
        if generation != self.generation {
            return;
        }
        if matches!(self.state, ConnectionState::Closing) {
            self.transport_open = false;
            self.timers.clear(timers::Timer::Close);
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

    /// Any other traffic (a ping from the hub) arrived on transport `generation`: the link is
    /// alive.
    pub fn activity(&mut self, generation: u64, now: Instant) {
        self.tick(now);
        if generation != self.generation || !self.transport_open {
            return;
        }
        self.inbound(now);
        self.handle_timeout(now);
    }

    /// A pong arrived on transport `generation`, with the number of the ping it answers when
    /// its payload is one of ours. Frames written before that ping were read by the hub.
    pub fn pong_received(&mut self, generation: u64, ping: Option<u64>, now: Instant) {
        self.tick(now);
        if generation != self.generation || !self.transport_open {
            return;
        }
        self.inbound(now);
        if let Some(k) = ping {
            while let Some(u) = self.written.pop_proven(k) {
                self.end_proof(u, Ok(Completion::Delivered));
            }
            if k >= self.ping_seq {
                self.proof_ping_in_flight = false;
            }
            if self.written.has_proofs() && !self.proof_ping_in_flight {
                self.send_ping(true);
            }
        }
        self.handle_timeout(now);
    }

    /// A binary frame arrived on transport `generation`. The hub sends text; a binary frame
    /// holding UTF-8 is read as text, any other is reported as malformed.
    pub fn binary_received(&mut self, generation: u64, data: &[u8], now: Instant) {
        match std::str::from_utf8(data) {
            Ok(text) => self.frame_received(generation, text, now),
            Err(e) => {
                self.tick(now);
                if generation != self.generation || !self.transport_open {
                    return;
                }
                self.inbound(now);
                self.handle_timeout(now);
                tracing::warn!(error = %e, "a binary frame from the hub is not UTF-8");
                let preview = String::from_utf8_lossy(&data[..data.len().min(1024)]).into_owned();
                let error = format!("binary frame of {} bytes is not UTF-8: {e}", data.len());
                self.deliver(Event::Malformed(MalformedFrame { error, text: preview }), Route::Client);
            }
        }
    }

    /// A text frame arrived on transport `generation`.
    pub fn frame_received(&mut self, generation: u64, text: &str, now: Instant) {
        self.tick(now);
        if generation != self.generation || !self.transport_open {
            return;
        }
        self.inbound(now);
        self.handle_timeout(now);
        if self.catch_up_answer(text) {
            return;
        }
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
            self.outputs.push(Output::Frame(inbound.clone()));
        }
        if let HubEvent::SocketConnected { socket_id } = inbound.body {
            self.socket_connected(socket_id, now);
            return;
        }
        if let Some(id) = &inbound.event_id
            && !self.dedupe.insert(&inbound.event_type, id)
        {
            tracing::debug!(event_type = %inbound.event_type, "duplicate event dropped");
            return;
        }
        let Some(inbound) = self.match_reply(inbound, now) else { return };
        if let HubEvent::Error(err) = &inbound.body
            && let Some(url) = &err.message_link
            && err.code.as_ref().and_then(|c| c.as_number()) == Some(413)
        {
            let url = url.clone();
            self.fetch_large_message(url, inbound);
            return;
        }
        let route = self.route(inbound.conversation_id.as_deref());
        self.deliver(Event::Hub(inbound), route);
    }

    // ----- time -----

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        self.run_timers(now);
        self.expire_requests(now);
    }

    fn expire_requests(&mut self, now: Instant) {
        self.expire_posts(now);
        while let Some(w) = self.writes.pop_due(now) {
            // Never flushed in time (the hub does not read): the caller learns it now.
            self.complete(w.id, Err(Error::timeout(&w.operation, w.timeout)));
        }
        let mut starts_freed = false;
        while let Some(seq) = self.written.due(now) {
            if let Some(a) = self.written.reply(seq) {
                let (start, cancelled) = (a.matcher.start, a.cancelled);
                if start {
                    if let Some(a) = self.written.remove_reply(seq) {
                        if self.start_in_flight == Some(a.id) {
                            self.start_in_flight = None;
                        }
                        if let Some(u) = a.matcher.user_id.clone() {
                            self.abandoned_starts.push_back((u, now + ABANDONED_START_MEMORY));
                        }
                        if !a.cancelled {
                            self.complete(a.id, Err(Error::timeout(&a.operation, a.timeout)));
                        }
                    }
                    starts_freed = true;
                } else if cancelled {
                    // A ghost's extra period is over.
                    self.written.remove_reply(seq);
                } else if self.written.reply(seq).is_some_and(|a| a.provisional.is_some()) {
                    // No reply of its own came: the one a ghost took was this request's.
                    if let Some(a) = self.written.remove_reply(seq)
                        && let Some(reply) = a.provisional
                    {
                        tracing::debug!(operation = %a.operation, "answered by the reply an older, given-up request took");
                        self.complete(a.id, Ok(Completion::Reply(reply)));
                    }
                } else if let Some(a) = self.written.reply_mut(seq) {
                    // A ghost for one more period: a late reply is delivered as an event, not
                    // handed to a newer request.
                    a.cancelled = true;
                    let (id, error, next) = (a.id, Error::timeout(&a.operation, a.timeout), a.deadline + a.timeout);
                    self.complete(id, Err(error));
                    if next > now {
                        self.written.extend_reply(seq, next);
                    } else {
                        self.written.remove_reply(seq);
                    }
                }
            } else if self.t.delivery == Delivery::AtLeastOnce {
                // Not proven in time: the call says so now, and the message stays in the resend
                // set; a late delivery report tells how it ended.
                self.written.end_proof_deadline(seq);
                if let Some(u) = self.written.proof_mut(seq)
                    && !u.call_done
                {
                    u.call_done = true;
                    let (id, client_msg_id, millis) = (u.id, u.client_msg_id.clone(), u.timeout.as_millis() as u64);
                    self.complete(id, Err(Error::Unconfirmed { client_msg_id, millis }));
                }
            } else if let Some(u) = self.written.remove_proof(seq) {
                let error = Error::timeout(&u.operation, u.timeout);
                self.end_proof(u, Err(error));
            }
        }
        if starts_freed {
            self.pump_starts(now);
        }
        while self.abandoned_starts.front().is_some_and(|(_, t)| now >= *t) {
            self.abandoned_starts.pop_front();
        }
    }

    // ----- internals -----

    /// Writes the next queued `conversation_start` when none is in flight.
    fn pump_starts(&mut self, now: Instant) {
        if self.start_in_flight.is_some() || !self.state.is_connected() || !self.transport_open {
            return;
        }
        if let Some(s) = self.outbox.pop_start() {
            self.write(s, now);
        }
    }

    fn write(&mut self, s: Submit, now: Instant) {
        if self.t.transport == Transport::Http && s.id < INTERNAL {
            self.post_later(s, now);
            return;
        }
        let Submit { id, operation, frame, expect, timeout } = s;
        match expect {
            Expect::Written => {
                let deadline = now + timeout;
                self.writes.push(PendingWrite { id, operation, frame: frame.clone(), timeout, deadline, taken: false });
                self.actions.push_for(Action::Send(frame), id);
            }
            Expect::Delivered { client_msg_id } => {
                let kept = (self.t.delivery == Delivery::AtLeastOnce).then(|| frame.clone());
                let conversation = outbound::frame_conversation(&frame).map(|c| requests::conversation_key(&c));
                self.actions.push_for(Action::Send(frame), id);
                self.written.insert_proof(Unproven {
                    id,
                    operation,
                    client_msg_id,
                    deadline: Some(now + timeout),
                    timeout,
                    needs_ping: self.ping_seq + 1,
                    frame: kept,
                    resent: false,
                    call_done: false,
                    awaiting_resend: false,
                    conversation,
                    error_taken: false,
                });
                // Ask for the proof right away rather than at the next keep-alive ping; while a
                // proof ping is out, its pong sends the next one, so pings stay one in flight.
                if !self.proof_ping_in_flight {
                    self.send_ping(true);
                }
            }
            Expect::Reply(matcher) => {
                self.actions.push_for(Action::Send(frame), id);
                if matcher.start {
                    self.start_in_flight = Some(id);
                }
                self.written.insert_reply(Awaiting {
                    id,
                    operation,
                    matcher,
                    deadline: now + timeout,
                    timeout,
                    cancelled: false,
                    provisional: None,
                });
            }
        }
    }

    fn route(&self, conversation_id: Option<&str>) -> Route {
        match conversation_id {
            Some(c) => self.conversations.get(c).map_or(Route::Client, |c| Route::Conversation(c.clone())),
            None if self.conversations.len() == 1 => {
                self.conversations.iter().next().map_or(Route::Client, |c| Route::Both(c.clone()))
            }
            None => Route::Client,
        }
    }

    /// Gives a reply to the request waiting for it. Returns the event back when nobody waits
    /// for it (then it is delivered as an ordinary event).
    fn match_reply(&mut self, inbound: Inbound, now: Instant) -> Option<Inbound> {
        if matches!(inbound.body, HubEvent::Error(_)) {
            return self.claim_error(inbound, now);
        }
        if matches!(inbound.body, HubEvent::ConversationStarted) {
            return self.match_start(inbound, now);
        }
        let seq = {
            // The ids a reply may name besides its conversation (read from the raw frame only
            // for the one kind whose typed view lacks it).
            let (user, message_id) = match &inbound.body {
                HubEvent::UserConversations(_) => {
                    (inbound.payload().get("userId").and_then(serde_json::Value::as_str), None)
                }
                HubEvent::ConversationDeleted { user_id } => (user_id.as_deref(), None),
                HubEvent::MessageEdited { message_id } => (None, message_id.as_deref()),
                _ => (None, None),
            };
            let conversation = inbound.conversation_id.as_deref();
            let seq = self.written.find_reply(&inbound.event_type, conversation, user, message_id);
            // A ghost takes the reply; a request of its kind still waiting keeps it in case it
            // was its own (see `Awaiting::provisional`).
            if seq.is_some_and(|s| self.written.reply(s).is_some_and(|a| a.cancelled))
                && let Some(live) = self.written.oldest_live(&inbound.event_type, conversation, user, message_id)
                && let Some(a) = self.written.reply_mut(live)
            {
                a.provisional = Some(Box::new(inbound.clone()));
            }
            seq
        };
        let Some(a) = seq.and_then(|s| self.written.remove_reply(s)) else { return Some(inbound) };
        if matches!(inbound.body, HubEvent::ConversationDeleted { .. })
            && let Some(c) = &a.matcher.conversation_id
        {
            self.conversations.remove(c.as_str());
        }
        if a.cancelled {
            return Some(inbound);
        }
        self.complete(a.id, Ok(Completion::Reply(Box::new(inbound))));
        None
    }

    fn match_start(&mut self, inbound: Inbound, now: Instant) -> Option<Inbound> {
        let Some(in_flight) = self.start_in_flight else { return Some(inbound) };
        let Some(seq) = self.written.seq_of(in_flight) else { return Some(inbound) };
        let Some(new_id) = inbound.conversation_id.clone() else {
            // Useless to anyone: the start in flight (one per socket) fails now, rather than
            // timing out.
            tracing::warn!("conversation_start_success without a conversation_id");
            if self.written.reply(seq).is_none_or(|a| a.cancelled) {
                return Some(inbound);
            }
            self.written.remove_reply(seq);
            self.start_in_flight = None;
            let e = Error::Protocol("conversation_start_success without a conversation_id".into());
            self.complete(in_flight, Err(e));
            self.pump_starts(now);
            return None;
        };
        let prefixed =
            |user: &str| new_id.strip_prefix(user).is_some_and(|rest| rest.starts_with('-') || rest.starts_with('_'));
        let ours = self.written.reply(seq).and_then(|a| a.matcher.user_id.as_deref()).is_some_and(prefixed);
        if !ours && self.abandoned_starts.iter().any(|(u, _)| prefixed(u)) {
            // The late answer to a start whose caller gave up: not this caller's conversation.
            tracing::debug!("late conversation_start_success delivered as an unsolicited event");
            return Some(inbound);
        }
        let a = self.written.remove_reply(seq)?;
        self.start_in_flight = None;
        let unclaimed = if a.cancelled {
            Some(inbound)
        } else {
            self.started_here.insert(new_id.clone());
            self.conversations.insert(new_id.into());
            self.complete(a.id, Ok(Completion::Reply(Box::new(inbound))));
            None
        };
        self.pump_starts(now);
        unclaimed
    }

    fn complete(&mut self, id: RequestId, result: Result<Completion, Error>) {
        if id >= INTERNAL {
            self.caught_up(id, result);
            return;
        }
        self.outputs.complete(id, result);
    }

    /// A message's wait for its proof is over: its call completes, or, when the call ended
    /// already (at-least-once, not proven in time), a late delivery report goes to its
    /// conversation.
    fn end_proof(&mut self, u: Unproven, result: Result<Completion, Error>) {
        if !u.call_done {
            self.complete(u.id, result);
            return;
        }
        let conversation_id =
            u.frame.as_deref().and_then(outbound::frame_conversation).map(std::borrow::Cow::into_owned);
        let route = self.route(conversation_id.as_deref());
        let report = DeliveryReport { client_msg_id: u.client_msg_id, conversation_id, delivered: result.is_ok() };
        tracing::info!(delivered = report.delivered, "late outcome of a message not confirmed in time");
        self.deliver(Event::Delivery(report), route);
    }
}
