//! Where the outcomes of a connection's requests wait for their callers.
//!
//! One table per connection, instead of a channel per request: a call opens its entry when it
//! submits (and gets its request id from it), the driver fills the entries of a whole batch
//! under one lock and wakes only the callers already waiting, and a caller takes its outcome
//! (or forgets the entry, when its future is dropped first).
//!
//! Requests mostly end in the order they were made, so the entries are kept in that order, in
//! a ring indexed by request id: making, completing and taking a request touch memory in
//! sequence, however many are in flight. An entry that stays open while much younger ones end
//! (a reply that takes long, an outcome nobody takes) is moved out of the ring's way into a
//! map, so that the ring never holds more than about twice the entries still open.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::engine::{Completion, Done, RequestId};
use crate::error::{Error, Result};
use crate::hash::FastMap;

/// A request's entry.
enum Slot {
    /// Taken or forgotten (only in the ring, behind an entry still open).
    Free,
    /// Not complete; the waker of the caller's task once it waits.
    Waiting(Option<Waker>),
    /// Complete, not taken yet (an error boxed, so that the entries stay small).
    Done(std::result::Result<Completion, Box<Error>>),
}

/// The ring is compacted once it holds this many entries more than twice those still open.
const SLACK: usize = 64;

struct Table {
    /// The entries of requests `base..base + ring.len()`, oldest first; never starts with a
    /// free one.
    ring: VecDeque<Slot>,
    base: RequestId,
    /// Open entries in the ring.
    open_in_ring: usize,
    /// Open entries of requests older than `base`.
    old: FastMap<RequestId, Slot>,
    /// The driver has stopped: nothing more will complete.
    closed: bool,
}

/// The outcomes of one connection's requests.
pub(crate) struct Completions {
    table: Mutex<Table>,
}

impl std::fmt::Debug for Completions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Completions")
    }
}

impl Table {
    fn slot(&mut self, id: RequestId) -> Option<&mut Slot> {
        match id.checked_sub(self.base) {
            Some(i) => self.ring.get_mut(usize::try_from(i).ok()?),
            None => self.old.get_mut(&id),
        }
    }

    /// Removes entry `id`, returning what it held.
    fn remove(&mut self, id: RequestId) -> Option<Slot> {
        let Some(i) = id.checked_sub(self.base) else { return self.old.remove(&id) };
        let slot = self.ring.get_mut(usize::try_from(i).ok()?)?;
        let was = std::mem::replace(slot, Slot::Free);
        if !matches!(was, Slot::Free) {
            self.open_in_ring -= 1;
        }
        while matches!(self.ring.front(), Some(Slot::Free)) {
            self.ring.pop_front();
            self.base += 1;
        }
        Some(was)
    }

    /// Moves the entries still open in the older half of the ring out of its way, when the
    /// ring holds too many free ones.
    fn compact(&mut self) {
        if self.ring.len() <= 2 * self.open_in_ring + SLACK {
            return;
        }
        for _ in 0..self.ring.len() / 2 {
            if let Some(slot) = self.ring.pop_front()
                && !matches!(slot, Slot::Free)
            {
                self.open_in_ring -= 1;
                self.old.insert(self.base, slot);
            }
            self.base += 1;
        }
        while matches!(self.ring.front(), Some(Slot::Free)) {
            self.ring.pop_front();
            self.base += 1;
        }
    }
}

impl Completions {
    /// A table whose first request id is `first`.
    pub(crate) fn new(first: RequestId) -> Completions {
        Completions {
            table: Mutex::new(Table {
                ring: VecDeque::new(),
                base: first,
                open_in_ring: 0,
                old: FastMap::default(),
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens the entry of a new request, before it is handed to the driver, and returns the
    /// request's id. Fails once the driver has stopped.
    pub(crate) fn open(&self) -> Result<RequestId> {
        let mut t = self.lock();
        if t.closed {
            return Err(Error::Closed);
        }
        t.compact();
        let id = t.base + t.ring.len() as RequestId;
        t.ring.push_back(Slot::Waiting(None));
        t.open_in_ring += 1;
        Ok(id)
    }

    /// Takes the outcome of request `id` (the entry is then gone), or registers the task to be
    /// woken when it comes.
    pub(crate) fn poll(&self, id: RequestId, cx: &mut Context<'_>) -> Poll<Result<Completion>> {
        let mut t = self.lock();
        match t.slot(id) {
            Some(Slot::Waiting(w)) => {
                match w {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *w = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Some(Slot::Done(_)) => match t.remove(id) {
                Some(Slot::Done(r)) => Poll::Ready(r.map_err(|e| *e)),
                _ => Poll::Ready(Err(Error::Closed)),
            },
            Some(Slot::Free) | None => Poll::Ready(Err(Error::Closed)),
        }
    }

    /// Forgets request `id` (its caller went away); true when it was still waiting for its
    /// outcome (so that it is to be cancelled).
    pub(crate) fn forget(&self, id: RequestId) -> bool {
        matches!(self.lock().remove(id), Some(Slot::Waiting(_)))
    }

    /// Fills the entries of a batch of outcomes, taking them from `done`, and wakes the callers
    /// that wait. `wakers` is scratch space, empty before and after.
    pub(crate) fn fill(&self, done: &mut Vec<Done>, wakers: &mut Vec<Waker>) {
        {
            let mut t = self.lock();
            for (id, result) in done.drain(..) {
                if let Some(slot) = t.slot(id)
                    && matches!(slot, Slot::Waiting(_))
                    && let Slot::Waiting(w) = std::mem::replace(slot, Slot::Done(result))
                {
                    wakers.extend(w);
                }
            }
        }
        for w in wakers.drain(..) {
            w.wake();
        }
    }

    /// The driver stopped: every request still waiting fails with [`Error::Closed`], and so
    /// does every later one.
    pub(crate) fn close(&self) {
        let mut wakers = Vec::new();
        {
            let mut t = self.lock();
            t.closed = true;
            let Table { ring, old, .. } = &mut *t;
            for slot in ring.iter_mut().chain(old.values_mut()) {
                if matches!(slot, Slot::Waiting(_))
                    && let Slot::Waiting(w) = std::mem::replace(slot, Slot::Done(Err(Box::new(Error::Closed))))
                {
                    wakers.extend(w);
                }
            }
        }
        for w in wakers {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn done(c: &Completions, ids: &[RequestId]) {
        let mut batch: Vec<_> = ids.iter().map(|&id| (id, Ok(Completion::Delivered))).collect();
        c.fill(&mut batch, &mut Vec::new());
    }

    #[test]
    fn outcomes_reach_their_callers_once_whatever_the_order() {
        let c = Completions::new(1);
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let ids: Vec<_> = (0..10).map(|_| c.open().unwrap()).collect();
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
        assert!(c.poll(3, &mut cx).is_pending());
        done(&c, &[3, 1]);
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "only the caller that waits is woken");
        assert!(matches!(c.poll(3, &mut cx), Poll::Ready(Ok(Completion::Delivered))));
        assert!(matches!(c.poll(3, &mut cx), Poll::Ready(Err(Error::Closed))), "taken once");
        assert!(c.forget(2), "still waiting: to be cancelled");
        assert!(!c.forget(1), "complete already: nothing to cancel");
        done(&c, &[2]);
        assert!(matches!(c.poll(2, &mut cx), Poll::Ready(Err(Error::Closed))), "forgotten");
        c.close();
        assert!(matches!(c.poll(4, &mut cx), Poll::Ready(Err(Error::Closed))));
        assert!(matches!(c.open(), Err(Error::Closed)));
    }

    #[test]
    fn an_entry_left_open_does_not_hold_the_ones_after_it() {
        let c = Completions::new(1);
        let waker = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        let first = c.open().unwrap();
        for _ in 0..10_000 {
            let id = c.open().unwrap();
            done(&c, &[id]);
            assert!(c.poll(id, &mut cx).is_ready());
        }
        assert!(c.lock().ring.len() <= 2 + SLACK, "the ring stays small");
        done(&c, &[first]);
        assert!(matches!(c.poll(first, &mut cx), Poll::Ready(Ok(Completion::Delivered))));
        let t = c.lock();
        assert!(t.old.is_empty() && t.ring.is_empty());
    }
}
