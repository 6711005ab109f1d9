//! The HTTP transport: requests POSTed one at a time, in order, each acknowledged by its
//! answer. Replies still arrive on the socket, so a request is posted only while connected
//! (with the socket's id), and its reply is awaited from the moment it is posted.
//!
//! The line of posts has the bounds of the offline queue (`max_queued_events`,
//! `max_queued_bytes`), and a request's timeout counts from when it joined the line, as it
//! counts from the write on the socket: one still waiting in line at its deadline is failed
//! with `Timeout` and never posted, and the one in flight is failed at its deadline while the
//! line waits for its answer (so that nothing behind it overtakes it).

use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;

use super::Engine;
use super::requests::Awaiting;
use super::types::{Action, Completion, Expect, PostOutcome, RequestId, Submit};
use crate::ErrorCode;
use crate::config::Delivery;
use crate::error::Error;
use crate::event::ConnectionState;

/// A request of the HTTP transport.
#[derive(Debug)]
pub(super) struct PostItem {
    post: u64,
    submit: Submit,
    /// Posts that could not be made so far (one more is tried).
    not_sent: u8,
    /// Posted again after an answer was lost (at-least-once, once).
    resent: bool,
    /// The caller went away, or the call was failed already: the outcome changes nothing.
    settled: bool,
    /// When the call times out: its timeout after it joined the line.
    deadline: Instant,
}

impl PostItem {
    fn is_reply(&self) -> bool {
        matches!(self.submit.expect, Expect::Reply(_))
    }
}

/// The requests waiting to be posted, in order, with their bytes and their deadlines.
#[derive(Debug, Default)]
pub(super) struct Line {
    items: VecDeque<PostItem>,
    bytes: usize,
    /// The deadlines of the requests waiting, earliest first, with their post number.
    deadlines: BTreeSet<(Instant, u64)>,
}

impl Line {
    fn add(&mut self, item: &PostItem) {
        self.bytes += item.submit.frame.len();
        self.deadlines.insert((item.deadline, item.post));
    }

    fn gone(&mut self, item: &PostItem) {
        self.bytes -= item.submit.frame.len();
        self.deadlines.remove(&(item.deadline, item.post));
    }

    fn push_back(&mut self, item: PostItem) {
        self.add(&item);
        self.items.push_back(item);
    }

    fn push_front(&mut self, item: PostItem) {
        self.add(&item);
        self.items.push_front(item);
    }

    fn pop_front(&mut self) -> Option<PostItem> {
        let item = self.items.pop_front()?;
        self.gone(&item);
        Some(item)
    }

    fn remove_where(&mut self, f: impl Fn(&PostItem) -> bool) -> Option<PostItem> {
        let pos = self.items.iter().position(f)?;
        let item = self.items.remove(pos)?;
        self.gone(&item);
        Some(item)
    }

    fn take_all(&mut self) -> VecDeque<PostItem> {
        self.bytes = 0;
        self.deadlines.clear();
        std::mem::take(&mut self.items)
    }

    /// A request whose deadline is `now` or earlier.
    fn pop_due(&mut self, now: Instant) -> Option<PostItem> {
        let &(d, post) = self.deadlines.first()?;
        if d > now {
            return None;
        }
        self.remove_where(|i| i.post == post)
    }

    /// Requests waiting, and their bytes.
    pub(super) fn load(&self) -> (usize, usize) {
        (self.items.len(), self.bytes)
    }
}

impl Engine {
    /// Queues a request for the HTTP transport.
    pub(super) fn post_later(&mut self, submit: Submit, now: Instant) {
        let post = self.next_post;
        self.next_post += 1;
        let deadline = now + submit.timeout;
        self.posts.push_back(PostItem { post, submit, not_sent: 0, resent: false, settled: false, deadline });
        self.pump_posts(now);
    }

    /// Fails the requests whose deadline passed: those waiting in line are never posted; the
    /// one in flight stays in flight (the line waits for its answer), its outcome ignored.
    pub(super) fn expire_posts(&mut self, now: Instant) {
        while let Some(item) = self.posts.pop_due(now) {
            // Never posted (nothing waits for a reply yet).
            self.complete(item.submit.id, Err(Error::timeout(&item.submit.operation, item.submit.timeout)));
        }
        if let Some(item) = self.post_in_flight.as_mut()
            && !item.settled
            && !item.is_reply()
            && item.deadline <= now
        {
            // A request with a reply times out with its reply's deadline (the same one).
            item.settled = true;
            let (id, error) = (item.submit.id, Error::timeout(&item.submit.operation, item.submit.timeout));
            self.complete(id, Err(error));
        }
    }

    /// The next deadline of the HTTP transport's requests.
    pub(super) fn post_deadline(&self) -> Option<Instant> {
        let in_flight = self.post_in_flight.as_ref().filter(|i| !i.settled && !i.is_reply()).map(|i| i.deadline);
        [self.posts.deadlines.first().map(|(d, _)| *d), in_flight].into_iter().flatten().min()
    }

    /// A post the driver never carried out (its connection was cut, or renamed): back to the
    /// head of the line, to be posted again with the socket id of its time.
    pub(super) fn unpost(&mut self, post: u64) {
        let Some(item) = self.post_in_flight.take_if(|i| i.post == post) else { return };
        let waiting = self.forget_reply(item.submit.id, item.is_reply());
        if !item.settled && (!item.is_reply() || waiting) {
            self.posts.push_front(item);
        }
    }

    /// Posts the next request when none is in flight and the socket is up.
    pub(super) fn pump_posts(&mut self, now: Instant) {
        if self.post_in_flight.is_some() || !self.transport_open {
            return;
        }
        let ConnectionState::Connected { socket_id } = &self.state else { return };
        if self.refused_socket.as_ref() == Some(socket_id) {
            // The hub's HTTP side no longer knows this socket: wait for the next one.
            return;
        }
        let socket_id = socket_id.clone();
        // Nothing is posted past its deadline.
        self.expire_posts(now);
        let Some(item) = self.posts.pop_front() else { return };
        if let Expect::Reply(matcher) = &item.submit.expect {
            if matcher.start {
                self.start_in_flight = Some(item.submit.id);
            }
            self.written.insert_reply(Awaiting {
                id: item.submit.id,
                operation: item.submit.operation.clone(),
                matcher: matcher.clone(),
                deadline: item.deadline.max(now),
                timeout: item.submit.timeout,
                cancelled: false,
                provisional: None,
            });
        }
        let post = Action::Post { post: item.post, frame: item.submit.frame.clone(), socket_id };
        self.actions.push_for(post, item.submit.id);
        self.post_in_flight = Some(item);
    }

    /// How POST `post` ended.
    pub fn post_result(&mut self, post: u64, outcome: PostOutcome, now: Instant) {
        self.tick(now);
        let Some(mut item) = self.post_in_flight.take_if(|i| i.post == post) else { return };
        let id = item.submit.id;
        let is_reply = matches!(item.submit.expect, Expect::Reply(_));
        let error = match outcome {
            PostOutcome::Accepted => {
                if !item.settled {
                    match &item.submit.expect {
                        Expect::Written => self.complete(id, Ok(Completion::Written)),
                        Expect::Delivered { .. } => self.complete(id, Ok(Completion::Delivered)),
                        // The reply comes on the socket.
                        Expect::Reply(_) => {}
                    }
                }
                None
            }
            PostOutcome::Rejected { status, message } if is_stale_socket(status, &message) && !item.settled => {
                // The socket the post named is gone at the hub (it saw the link drop before
                // this client did): the hub did not take the request, so it waits, first in
                // line, for the next socket id, within its own deadline; a ping finds out at
                // once whether this link is dead.
                if let ConnectionState::Connected { socket_id } = &self.state {
                    tracing::info!("the hub has no open socket of this id; the post waits for the next connection");
                    self.refused_socket = Some(socket_id.clone());
                }
                self.forget_reply(id, is_reply);
                self.posts.push_front(item);
                self.send_ping(false);
                return;
            }
            PostOutcome::Rejected { status: 0, message } => Some(Error::Http(message)),
            // The hub refused this request (an unknown conversation, a bad payload, too
            // large): the same error it gives on the socket, whichever of the two arrives
            // first. The key being refused, rate limits and server failures stay HTTP errors.
            PostOutcome::Rejected { status, message } if is_refusal(status) => Some(Error::Hub {
                code: Some(ErrorCode::Number(i64::from(status))),
                description: message,
                conversation_id: match &item.submit.expect {
                    Expect::Reply(m) => m.conversation_id.clone(),
                    _ => None,
                },
            }),
            PostOutcome::Rejected { status, message } => {
                Some(Error::Http(format!("the hub answered HTTP {status}: {message}")))
            }
            PostOutcome::NotSent(reason) if item.not_sent == 0 && !item.settled => {
                // It never reached the hub: post it again, first in line.
                tracing::info!(reason = %reason, "an HTTP send could not be made; trying once more");
                item.not_sent += 1;
                self.forget_reply(id, is_reply);
                self.posts.push_front(item);
                self.pump_posts(now);
                return;
            }
            PostOutcome::NotSent(reason) => Some(Error::Http(reason)),
            PostOutcome::Failed(reason)
                if self.t.delivery == Delivery::AtLeastOnce && !item.resent && !item.settled =>
            {
                tracing::info!(reason = %reason, "an HTTP send got no answer; posting it once more");
                item.resent = true;
                self.forget_reply(id, is_reply);
                self.posts.push_front(item);
                self.pump_posts(now);
                return;
            }
            PostOutcome::Failed(reason) => Some(match &item.submit.expect {
                Expect::Delivered { client_msg_id } => {
                    Error::PossiblyNotDelivered { client_msg_id: client_msg_id.clone() }
                }
                _ => Error::Http(reason),
            }),
            PostOutcome::TimedOut => Some(Error::timeout(&item.submit.operation, item.submit.timeout)),
        };
        if let Some(e) = error {
            let waiting = self.forget_reply(id, is_reply);
            if !item.settled && (!is_reply || waiting) {
                self.complete(id, Err(e));
            }
        }
        self.pump_posts(now);
    }

    /// Stops waiting for the reply of a request whose post failed; true when it was waiting.
    fn forget_reply(&mut self, id: RequestId, is_reply: bool) -> bool {
        if !is_reply {
            return false;
        }
        if self.start_in_flight == Some(id) {
            self.start_in_flight = None;
        }
        match self.written.seq_of(id) {
            Some(seq) => self.written.remove_reply(seq).is_some_and(|a| !a.cancelled),
            None => false,
        }
    }

    /// A request of the HTTP transport is cancelled: never posted, or its outcome ignored.
    pub(super) fn cancel_post(&mut self, id: RequestId) -> bool {
        if self.posts.remove_where(|i| i.submit.id == id).is_some() {
            return true;
        }
        if let Some(item) = self.post_in_flight.as_mut().filter(|i| i.submit.id == id) {
            item.settled = true;
            return !matches!(item.submit.expect, Expect::Reply(_));
        }
        false
    }

    /// Fails every request waiting to be posted, and the one in flight.
    pub(super) fn fail_posts(&mut self, error: &Error) {
        for item in self.posts.take_all() {
            self.complete(item.submit.id, Err(error.clone()));
        }
        if let Some(item) = self.post_in_flight.as_mut()
            && !item.settled
        {
            item.settled = true;
            let id = item.submit.id;
            if !matches!(item.submit.expect, Expect::Reply(_)) {
                self.complete(id, Err(error.clone()));
            }
        }
    }

    /// Requests of the HTTP transport not answered yet.
    pub(super) fn posts_waiting(&self) -> usize {
        self.posts.items.len() + usize::from(self.post_in_flight.is_some())
    }
}

/// An HTTP status by which the hub refuses the request itself (answered on the socket by a
/// `general_error`), as opposed to the key, the rate or the server.
/// Whether an HTTP answer says the socket a post named is not open at the hub (a 404 or 410
/// that speaks of the socket): the request was not taken, and a new socket id is needed.
fn is_stale_socket(status: u16, message: &str) -> bool {
    matches!(status, 404 | 410) && message.to_ascii_lowercase().contains("socket")
}

fn is_refusal(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 401 | 403 | 407 | 408 | 429)
}
