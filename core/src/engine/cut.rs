//! A cut connection: the writes the driver never carried out are taken back and go again on
//! the next connection, first and in order (or fail, when nothing is queued offline); a send
//! that completes once written and whose frame was handed to the cut connection without being
//! flushed is possibly not written: written again (at-least-once) or failed with
//! `PossiblyNotDelivered` (at-most-once). A second `socket_connected` on an open connection
//! renames it: later posts name the new socket id.

use std::time::Instant;

use super::types::{Action, Expect, RequestId, Submit};
use super::{Engine, INTERNAL};
use crate::config::Delivery;
use crate::error::Error;
use crate::event::ConnectionState;
use crate::protocol::outbound::frame_payload_string;

impl Engine {
    /// Takes back the writes the driver has not carried out, and returns their requests, in
    /// order, as they were submitted. A post not carried out goes back to the head of its line.
    /// The engine's own requests are left to end with the connection.
    pub(super) fn take_back_unsent(&mut self) -> Vec<Submit> {
        let mut back = Vec::new();
        for (id, action) in self.actions.take_back(false) {
            match action {
                Action::Post { post, .. } => self.unpost(post),
                Action::Send(frame) if id < INTERNAL => back.extend(self.unwrite(id, frame)),
                _ => {}
            }
        }
        back
    }

    /// Request `id`, whose frame was taken back, as it was submitted (`None` when nobody waits
    /// for it any more, or when it is a resend, which waits for the next connection again).
    fn unwrite(&mut self, id: RequestId, frame: String) -> Option<Submit> {
        if let Some(w) = self.writes.remove(id) {
            return Some(Submit { id, operation: w.operation, frame, expect: Expect::Written, timeout: w.timeout });
        }
        let seq = self.written.seq_of(id)?;
        if self.written.reply(seq).is_some() {
            let a = self.written.remove_reply(seq)?;
            if self.start_in_flight == Some(id) {
                self.start_in_flight = None;
            }
            let expect = Expect::Reply(a.matcher);
            return (!a.cancelled).then_some(Submit { id, operation: a.operation, frame, expect, timeout: a.timeout });
        }
        let u = self.written.proof_mut(seq)?;
        if u.resent || u.call_done {
            // Not written again after all: it waits for the next connection, as before.
            u.resent = false;
            return None;
        }
        let u = self.written.remove_proof(seq)?;
        let expect = Expect::Delivered { client_msg_id: u.client_msg_id };
        Some(Submit { id, operation: u.operation, frame, expect, timeout: u.timeout })
    }

    /// The connection was cut: what it never carried goes again on the next one (see the
    /// module docs).
    pub(super) fn requeue_cut_writes(&mut self) {
        let unsent = self.take_back_unsent();
        let mut again = Vec::new();
        // Whatever is left waiting for a flush was handed to the cut connection.
        for w in self.writes.take_all() {
            if self.t.delivery == Delivery::AtLeastOnce {
                again.push(Submit {
                    id: w.id,
                    operation: w.operation,
                    frame: w.frame,
                    expect: Expect::Written,
                    timeout: w.timeout,
                });
            } else {
                let client_msg_id = frame_payload_string(&w.frame, "client_msg_id")
                    .map(std::borrow::Cow::into_owned)
                    .unwrap_or_default();
                self.complete(w.id, Err(Error::PossiblyNotDelivered { client_msg_id }));
            }
        }
        again.extend(unsent);
        if self.t.queue_while_offline {
            self.outbox.push_front_all(again);
        } else {
            for s in again {
                self.complete(s.id, Err(Error::ConnectionLost));
            }
        }
    }

    /// A second `socket_connected` on the open connection: the hub gave it a new socket id.
    /// Later posts name it, and so does a post not carried out yet.
    pub(super) fn renamed(&mut self, socket_id: String, now: Instant) {
        if !self.transport_open {
            return;
        }
        for (_, a) in self.actions.take_back(true) {
            if let Action::Post { post, .. } = a {
                self.unpost(post);
            }
        }
        tracing::info!("socket_connected on the open connection: its new socket id is used from now on");
        self.inbound(now);
        self.set_state(
            ConnectionState::Connected { socket_id },
            Some("the hub gave the connection a new socket id".into()),
        );
        self.pump_posts(now);
    }
}
