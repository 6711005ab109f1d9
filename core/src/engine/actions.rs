//! What the driver is asked to do, each write tagged with the request it carries, and the
//! sends that complete once written.
//!
//! A request counts as written only once the driver has carried out its write and flushed it
//! to the connection that carries it ([`Engine::flushed`](super::Engine::flushed)). When that
//! connection is cut first, the writes the driver has not taken yet are taken back: their
//! requests go back to the queue (or fail, per the caller's policy), never silently lost.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::types::{Action, RequestId};

/// The actions waiting for the driver, with the request each write carries.
#[derive(Debug, Default)]
pub(super) struct Actions {
    queue: VecDeque<(Action, Option<RequestId>)>,
}

impl Actions {
    /// Queues an action that carries no request.
    pub(super) fn push_back(&mut self, a: Action) {
        self.queue.push_back((a, None));
    }

    /// Queues a write that carries request `id`.
    pub(super) fn push_for(&mut self, a: Action, id: RequestId) {
        self.queue.push_back((a, Some(id)));
    }

    /// The next action, and the request it carries.
    pub(super) fn pop_front(&mut self) -> Option<(Action, Option<RequestId>)> {
        self.queue.pop_front()
    }

    /// Takes back the writes the driver has not carried out (frames and pings; with
    /// `posts_only`, the posts alone): the connection they were meant for is gone, or the
    /// socket id they name is. Returns the requests they carried, in order, with their action.
    pub(super) fn take_back(&mut self, posts_only: bool) -> Vec<(RequestId, Action)> {
        let mut back = Vec::new();
        self.queue.retain_mut(|(a, owner)| {
            let take = match a {
                Action::Post { .. } => true,
                Action::Send(_) | Action::Ping(_) => !posts_only,
                _ => false,
            };
            if take && let Some(id) = *owner {
                back.push((id, std::mem::replace(a, Action::Close)));
            }
            !take
        });
        back
    }
}

/// A send that completes once written (`Expect::Written`), until the driver flushed it.
#[derive(Debug)]
pub(super) struct PendingWrite {
    pub(super) id: RequestId,
    pub(super) operation: Cow<'static, str>,
    /// Kept to write it again after a cut (at-least-once), or to name it.
    pub(super) frame: String,
    pub(super) timeout: Duration,
    /// When the call times out if the write never finishes.
    pub(super) deadline: Instant,
    /// The driver took its frame: it is on the connection once flushed.
    pub(super) taken: bool,
}

/// The sends waiting for their write to finish, in write order.
#[derive(Debug, Default)]
pub(super) struct PendingWrites {
    items: VecDeque<PendingWrite>,
}

impl PendingWrites {
    pub(super) fn push(&mut self, w: PendingWrite) {
        self.items.push_back(w);
    }

    /// The driver took the frame of request `id`.
    pub(super) fn taken(&mut self, id: RequestId) {
        if let Some(w) = self.items.iter_mut().find(|w| !w.taken && w.id == id) {
            w.taken = true;
        }
    }

    /// Sends waiting for their write to finish.
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether a frame taken by the driver waits for its flush.
    pub(super) fn any_taken(&self) -> bool {
        self.items.front().is_some_and(|w| w.taken)
    }

    /// The oldest send whose frame was taken (and so is written by the flush just done).
    pub(super) fn pop_taken(&mut self) -> Option<PendingWrite> {
        if self.any_taken() { self.items.pop_front() } else { None }
    }

    /// Removes request `id` (its frame was taken back, or its caller went away).
    pub(super) fn remove(&mut self, id: RequestId) -> Option<PendingWrite> {
        let pos = self.items.iter().position(|w| w.id == id)?;
        self.items.remove(pos)
    }

    /// Takes every send.
    pub(super) fn take_all(&mut self) -> Vec<PendingWrite> {
        std::mem::take(&mut self.items).into()
    }

    /// The earliest deadline (few sends wait for a flush at a time).
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.items.iter().map(|w| w.deadline).min()
    }

    /// A send whose deadline passed at `now`.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<PendingWrite> {
        let pos = self.items.iter().position(|w| w.deadline <= now)?;
        self.items.remove(pos)
    }
}
