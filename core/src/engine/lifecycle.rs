//! The connection's life: attempts and backoff, `socket_connected`, keep-alive pings and the
//! dead-link verdict, drops, suspension, failure and close.

use std::time::Instant;

use super::Engine;
use super::timers::Timer;
use super::types::{Action, Output};
use crate::config::Delivery;
use crate::error::Error;
use crate::event::{ConnectionState, Event, StateChange};

impl Engine {
    pub(super) fn set_state(&mut self, new: ConnectionState, reason: Option<String>) {
        if new != self.state {
            let previous = std::mem::replace(&mut self.state, new.clone());
            let queued = self.queued();
            tracing::debug!(
                from = previous.name(),
                to = new.name(),
                reason = reason.as_deref().unwrap_or(""),
                queued,
                "state"
            );
            self.outputs.push(Output::State(StateChange { previous, current: new, reason, queued }));
        }
    }

    /// Sends waiting to be written: the offline queue and messages waiting for a resend.
    pub(super) fn queued(&self) -> usize {
        self.outbox.len() + self.written.awaiting_resend() + self.posts_waiting()
    }

    /// Whether one more send of `len` bytes fits within `max_queued_events` and
    /// `max_queued_bytes`, counting every send waiting to go out: the offline queue, the posts
    /// waiting in line (HTTP), and the messages waiting for a resend.
    pub(super) fn room_for(&self, len: usize) -> Result<(), Error> {
        let (posts, post_bytes) = self.posts.load();
        let (resends, resend_bytes) = self.written.resend_load();
        self.outbox.room_for(len, (posts + resends, post_bytes + resend_bytes), &self.t)
    }

    pub(super) fn start_attempt(&mut self, now: Instant) {
        self.timers.clear(Timer::Close);
        self.timers.clear(Timer::Retry);
        self.timers.clear(Timer::Suspend);
        self.generation += 1;
        self.transport_open = false;
        self.timers.set(Timer::Open, now + self.t.connect_timeout);
        self.set_state(ConnectionState::Connecting { attempt: self.attempt + 1 }, None);
        self.actions.push_back(Action::Open { generation: self.generation });
    }

    /// Something arrived: the link is alive.
    pub(super) fn inbound(&mut self, now: Instant) {
        self.timers.set(Timer::Silence, now + self.t.ping_interval + self.t.liveness_grace);
        self.timers.clear(Timer::PongDue);
    }

    /// Writes a ping; `for_proof` when written messages wait for its pong. Nothing arriving
    /// within `liveness_grace` after it means the link is dead.
    pub(super) fn send_ping(&mut self, for_proof: bool) {
        self.ping_seq += 1;
        if for_proof {
            self.proof_ping_in_flight = true;
        }
        if !self.timers.is_set(Timer::PongDue) {
            self.timers.set(Timer::PongDue, self.now + self.t.liveness_grace);
        }
        self.actions.push_back(Action::Ping(self.ping_seq));
    }

    pub(super) fn socket_connected(&mut self, socket_id: String, now: Instant) {
        if let ConnectionState::Connected { socket_id: current } = &self.state {
            // A new id is adopted; the same one again, or none (nothing a post could name), is not.
            if socket_id.is_empty() || *current == socket_id {
                tracing::debug!("socket_connected on the open connection without a new socket id; ignored");
                self.inbound(now);
            } else {
                self.renamed(socket_id, now);
            }
            return;
        }
        if !matches!(self.state, ConnectionState::Connecting { .. }) {
            tracing::debug!("socket_connected outside of connecting; ignored");
            return;
        }
        self.timers.clear(Timer::Open);
        self.timers.clear(Timer::Suspend);
        self.disconnected_since = None;
        self.inbound(now);
        self.timers.set(Timer::KeepAlive, now + self.t.ping_interval);
        if self.attempt > 0 {
            self.timers.set(Timer::ResetAttempts, now + self.t.reconnect.reset_after);
        }
        let reconnect = self.ever_connected;
        self.ever_connected = true;
        self.set_state(ConnectionState::Connected { socket_id }, None);
        if reconnect {
            let mut ids: Vec<std::sync::Arc<str>> = self.conversations.iter().cloned().collect();
            ids.sort();
            for id in &ids {
                self.deliver(
                    Event::Discontinuity { conversation_id: id.to_string() },
                    super::Route::Conversation(id.clone()),
                );
            }
            let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
            self.start_catch_up(&ids);
        }
        // Messages written to the connection that died go again first (at-least-once), then
        // the queue, in order, ahead of anything sent later.
        let resent = self.written.resend(self.ping_seq + 1);
        if !resent.is_empty() {
            for (id, frame) in resent {
                self.actions.push_for(Action::Send(frame), id);
            }
            if !self.proof_ping_in_flight {
                self.send_ping(true);
            }
        }
        while let Some(s) = self.outbox.pop_event() {
            self.write(s, now);
        }
        self.pump_starts(now);
        self.pump_posts(now);
    }

    /// The transport is gone (or given up on); decide what comes next.
    pub(super) fn lost(&mut self, reason: String, now: Instant) {
        let was_open = self.transport_open;
        self.transport_open = false;
        self.proof_ping_in_flight = false;
        for t in [Timer::Open, Timer::KeepAlive, Timer::Silence, Timer::PongDue, Timer::ResetAttempts] {
            self.timers.clear(t);
        }
        if matches!(self.state, ConnectionState::Closing | ConnectionState::Closed | ConnectionState::Failed) {
            self.timers.clear(Timer::Close);
            if matches!(self.state, ConnectionState::Closing) {
                self.set_state(ConnectionState::Closed, Some("closed by the application".into()));
            }
            return;
        }
        tracing::info!(reason = %reason, was_open, "connection lost");
        self.requeue_cut_writes();
        self.last_error = Some(if was_open { Error::ConnectionLost } else { Error::Connect(reason.clone()) });
        // Requests that were written and not answered: the answer went with the socket.
        for a in self.written.take_replies() {
            if !a.cancelled {
                self.complete(a.id, Err(Error::ConnectionLost));
            }
        }
        self.start_in_flight = None;
        // Messages written but never proven delivered: written again after reconnecting
        // (at-least-once, once), or reported.
        let resend = self.t.delivery == Delivery::AtLeastOnce;
        for seq in self.written.proof_seqs() {
            let keep = self.written.proof_mut(seq).is_some_and(|u| u.awaiting_resend || (resend && !u.resent));
            if keep {
                self.written.mark_for_resend(seq);
            } else if let Some(u) = self.written.remove_proof(seq) {
                let client_msg_id = u.client_msg_id.clone();
                self.end_proof(u, Err(Error::PossiblyNotDelivered { client_msg_id }));
            }
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
        self.timers.set(Timer::Retry, now + delay);
        self.timers.set(Timer::Suspend, since + self.t.reconnect.suspend_after);
        self.set_state(ConnectionState::Disconnected { attempt: self.attempt, retry_in: delay }, Some(reason));
    }

    pub(super) fn suspend(&mut self, now: Instant) {
        let secs = self.t.reconnect.suspend_after.as_secs_f64();
        self.suspend_with_reason(now, format!("no connection for {secs} s"));
    }

    fn suspend_with_reason(&mut self, now: Instant, reason: String) {
        let retry_in = match self.timers.get(Timer::Retry) {
            Some(r) if r > now && matches!(self.state, ConnectionState::Disconnected { .. }) => {
                (r - now).min(self.t.reconnect.suspended_retry)
            }
            _ => self.t.reconnect.suspended_retry,
        };
        self.timers.set(Timer::Retry, now + retry_in);
        self.timers.clear(Timer::Suspend);
        self.fail_queued(Error::ConnectionLost);
        self.set_state(ConnectionState::Suspended { retry_in }, Some(reason));
    }

    /// No more attempts: calls waiting now fail with `error`, later ones with `failure`.
    pub(super) fn fail_for_good(&mut self, error: Error, failure: Error, reason: String) {
        for t in [Timer::Retry, Timer::KeepAlive, Timer::Suspend, Timer::Close] {
            self.timers.clear(t);
        }
        self.fail_all(error);
        self.failure = Some(failure);
        self.set_state(ConnectionState::Failed, Some(reason));
    }

    /// Fails what waits to be written: the queue, and messages waiting for a resend.
    fn fail_queued(&mut self, error: Error) {
        self.fail_posts(&error);
        for s in self.outbox.drain() {
            self.complete(s.id, Err(error.clone()));
        }
        for seq in self.written.proof_seqs() {
            if self.written.proof_mut(seq).is_some_and(|u| u.awaiting_resend)
                && let Some(u) = self.written.remove_proof(seq)
            {
                self.end_proof(u, Err(error.clone()));
            }
        }
    }

    /// Fails every call waiting.
    pub(super) fn fail_all(&mut self, error: Error) {
        for s in self.take_back_unsent() {
            self.complete(s.id, Err(error.clone()));
        }
        for w in self.writes.take_all() {
            self.complete(w.id, Err(error.clone()));
        }
        self.fail_queued(error.clone());
        for a in self.written.take_replies() {
            if !a.cancelled {
                self.complete(a.id, Err(error.clone()));
            }
        }
        self.start_in_flight = None;
        for seq in self.written.proof_seqs() {
            if let Some(u) = self.written.remove_proof(seq) {
                self.end_proof(u, Err(error.clone()));
            }
        }
    }

    /// Runs the connection's timers due at `now`. A timer that is due is always either acted
    /// on or cleared, so that the next deadline is always in the future.
    pub(super) fn run_timers(&mut self, now: Instant) {
        if self.timers.due(Timer::Close, now) {
            self.timers.clear(Timer::Close);
            self.transport_open = false;
            self.actions.push_back(Action::Abort);
            self.set_state(ConnectionState::Closed, Some("closed by the application".into()));
        }
        if self.timers.due(Timer::Open, now) {
            self.timers.clear(Timer::Open);
            self.actions.push_back(Action::Abort);
            let secs = self.t.connect_timeout.as_secs_f64();
            self.lost(format!("no socket_connected within {secs} s"), now);
            self.last_error = Some(Error::timeout("connect", self.t.connect_timeout));
        }
        let connected = self.state.is_connected();
        if connected && self.timers.due(Timer::Silence, now) {
            self.actions.push_back(Action::Abort);
            let secs = (self.t.ping_interval + self.t.liveness_grace).as_secs_f64();
            self.lost(format!("nothing received for {secs} s: the link is dead"), now);
        } else if connected && self.timers.due(Timer::PongDue, now) {
            self.actions.push_back(Action::Abort);
            let secs = self.t.liveness_grace.as_secs_f64();
            self.lost(format!("no answer to a ping within {secs} s: the link is dead"), now);
        } else if connected {
            if self.timers.due(Timer::KeepAlive, now) {
                self.timers.set(Timer::KeepAlive, now + self.t.ping_interval);
                self.send_ping(self.written.has_proofs());
            }
            if self.timers.due(Timer::ResetAttempts, now) {
                self.timers.clear(Timer::ResetAttempts);
                self.attempt = 0;
            }
        } else {
            for t in [Timer::Silence, Timer::PongDue, Timer::KeepAlive, Timer::ResetAttempts] {
                if self.timers.due(t, now) {
                    self.timers.clear(t);
                }
            }
        }
        if self.timers.due(Timer::Suspend, now) {
            if matches!(self.state, ConnectionState::Disconnected { .. }) {
                self.suspend(now);
            } else {
                self.timers.clear(Timer::Suspend);
            }
        }
        if self.timers.due(Timer::Retry, now) {
            self.start_attempt(now);
        }
    }
}
