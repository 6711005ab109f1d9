//! Where the outcomes of a connection's requests wait for their callers.
//!
//! One table per connection, instead of a channel per request: a call adds its entry when it
//! submits (no allocation of its own), the driver fills the entries of a whole batch under one
//! lock and wakes only the callers already waiting, and a caller takes its outcome (or forgets
//! the entry, when its future is dropped first).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::engine::{Completion, RequestId};
use crate::error::{Error, Result};
use crate::hash::FastMap;

/// A request's entry.
enum Slot {
    /// Not complete; the waker of the caller's task once it waits.
    Waiting(Option<Waker>),
    /// Complete, not taken yet.
    Done(Result<Completion>),
}

#[derive(Default)]
struct Table {
    slots: FastMap<RequestId, Slot>,
    /// The driver has stopped: nothing more will complete.
    closed: bool,
}

/// The outcomes of one connection's requests.
#[derive(Default)]
pub(crate) struct Completions {
    table: Mutex<Table>,
}

impl std::fmt::Debug for Completions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Completions")
    }
}

impl Completions {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the entry of request `id`, before it is handed to the driver. Fails once the driver
    /// has stopped.
    pub(crate) fn open(&self, id: RequestId) -> Result<()> {
        let mut t = self.lock();
        if t.closed {
            return Err(Error::Closed);
        }
        t.slots.insert(id, Slot::Waiting(None));
        Ok(())
    }

    /// Takes the outcome of request `id` (the entry is then gone), or registers the task to be
    /// woken when it comes.
    pub(crate) fn poll(&self, id: RequestId, cx: &mut Context<'_>) -> Poll<Result<Completion>> {
        let mut t = self.lock();
        match t.slots.get_mut(&id) {
            Some(Slot::Waiting(w)) => {
                match w {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *w = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Some(Slot::Done(_)) => match t.slots.remove(&id) {
                Some(Slot::Done(r)) => Poll::Ready(r),
                _ => Poll::Ready(Err(Error::Closed)),
            },
            None => Poll::Ready(Err(Error::Closed)),
        }
    }

    /// Forgets request `id` (its caller went away); true when it was still waiting for its
    /// outcome (so that it is to be cancelled).
    pub(crate) fn forget(&self, id: RequestId) -> bool {
        let slot = self.lock().slots.remove(&id);
        matches!(slot, Some(Slot::Waiting(_)))
    }

    /// Fills the entries of a batch of outcomes, taking them from `done`, and wakes the callers
    /// that wait. `wakers` is scratch space, empty before and after.
    pub(crate) fn fill(&self, done: &mut Vec<(RequestId, Result<Completion>)>, wakers: &mut Vec<Waker>) {
        {
            let mut t = self.lock();
            for (id, result) in done.drain(..) {
                if let Some(slot) = t.slots.get_mut(&id)
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
            for slot in t.slots.values_mut() {
                if let Slot::Waiting(w) = std::mem::replace(slot, Slot::Done(Err(Error::Closed))) {
                    wakers.extend(w);
                }
            }
        }
        for w in wakers {
            w.wake();
        }
    }
}
