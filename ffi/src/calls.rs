//! How a call waits for its outcome: on the caller's thread (the blocking forms), or, for the
//! `_async` forms, on the client's dispatch thread, which then runs the completion callback.
//!
//! An `_async` call is polled once on the caller's thread, with a waker of its own that hands
//! it to the dispatch thread when its outcome is ready: submitting a call wakes no thread, and
//! its outcome costs one wake-up of the dispatch thread (shared with the events around it).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use captivate_binding::runtime;

use crate::dispatch::{Signal, UserData, captivate_completion_callback, in_callback};
use crate::result::{Fail, R, blocked, captivate_result};

/// What a completion callback receives on success: a JSON text, or NULL.
pub(crate) type Json = Option<String>;

/// A call's outcome as the completion callback receives it.
pub(crate) type Outcome = R<Json>;

type CallFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Waits on this thread for the call `make` starts, at most `timeout_ms` (0: the library's own
/// timeouts only). Inside a callback (or on one of the library's threads) nothing is started
/// and the call fails with CAPTIVATE_RESULT_WOULD_DEADLOCK.
pub(crate) fn wait<T, E, F>(timeout_ms: u64, make: impl FnOnce() -> R<F>) -> R<T>
where
    F: Future<Output = Result<T, E>>,
    E: Into<Fail>,
{
    if in_callback() || tokio::runtime::Handle::try_current().is_ok() {
        return Err(Fail::would_deadlock("the _async form"));
    }
    let call = make()?;
    let timeout = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms));
    runtime::block_on(call, timeout).map_err(blocked)
}

/// Where a call's outcome goes.
pub(crate) struct Done {
    cb: captivate_completion_callback,
    userdata: UserData,
}

impl Done {
    pub(crate) fn new(cb: captivate_completion_callback, userdata: *mut std::ffi::c_void) -> Done {
        Done { cb, userdata: UserData(userdata) }
    }

    /// Runs the completion callback (on the dispatch thread).
    pub(crate) fn complete(self, outcome: Outcome) {
        let Some(cb) = self.cb else { return };
        let (result, json) = match outcome {
            Ok(json) => (captivate_result::Ok, json),
            Err(f) => (f.code, Some(f.to_json())),
        };
        let json = json.map(crate::strings::to_c);
        let p = json.as_ref().map_or(std::ptr::null(), |j| j.as_ptr());
        let ud = self.userdata;
        // SAFETY: the application passed `cb` and `userdata` with the call; `p` lives until the
        // call returns.
        crate::dispatch::call_back(|| unsafe { cb(ud.0, result, p) });
    }
}

/// A call whose outcome is known, waiting for its callback.
pub(crate) type Finished = (Done, Outcome);

struct Waiting {
    call: CallFuture,
    done: Done,
    waker: Waker,
}

#[derive(Default)]
struct Table {
    waiting: HashMap<u64, Waiting>,
    finished: Vec<Finished>,
    next: u64,
    closed: bool,
}

struct Inner {
    table: Mutex<Table>,
    /// The calls woken since the dispatch thread last looked.
    woken: Mutex<Vec<u64>>,
    signal: Arc<Signal>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wakes the dispatch thread for one call.
struct CallWaker {
    id: u64,
    inner: Weak<Inner>,
}

impl Wake for CallWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(inner) = self.inner.upgrade() {
            lock(&inner.woken).push(self.id);
            inner.signal.raise();
        }
    }
}

/// The `_async` calls of one client still waiting for their outcome (cheap to clone: the
/// callers and the dispatch thread share them).
#[derive(Clone)]
pub(crate) struct Calls {
    inner: Arc<Inner>,
}

impl Calls {
    pub(crate) fn new(signal: Arc<Signal>) -> Calls {
        Calls { inner: Arc::new(Inner { table: Mutex::default(), woken: Mutex::default(), signal }) }
    }

    /// Takes a call already on its way; `json` renders its successful outcome. `done` is called
    /// exactly once, on the dispatch thread, unless this returns an error: an invalid argument
    /// found when the call was made, or a client being freed.
    pub(crate) fn submit<T: 'static, E, F>(&self, call: F, json: fn(T) -> Json, done: Done) -> R<()>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<Fail> + 'static,
    {
        // Unconstrained: the dispatch thread polls a call only when it was woken, so the
        // cooperative budget of tokio's tasks does not apply; under it, a call polled after the
        // budget of the thread's loop ran out would wait for a wake-up that never comes.
        let mut call: CallFuture =
            Box::pin(tokio::task::unconstrained(async move { call.await.map(json).map_err(Into::into) }));
        let mut t = lock(&self.inner.table);
        if t.closed {
            return Err(Fail::new(captivate_result::InvalidHandle, "the client is being freed"));
        }
        let id = t.next;
        t.next += 1;
        let waker = Waker::from(Arc::new(CallWaker { id, inner: Arc::downgrade(&self.inner) }));
        let polled = {
            let _rt = runtime::handle().enter();
            call.as_mut().poll(&mut Context::from_waker(&waker))
        };
        match polled {
            Poll::Pending => {
                t.waiting.insert(id, Waiting { call, done, waker });
            }
            Poll::Ready(Err(f)) if f.code == captivate_result::InvalidArgument => return Err(f),
            Poll::Ready(outcome) => {
                t.finished.push((done, outcome));
                drop(t);
                self.inner.signal.raise();
            }
        }
        Ok(())
    }

    /// On the dispatch thread: polls the calls woken since the last look, and moves every call
    /// whose outcome is known into `into`, in the order they finished.
    pub(crate) fn take_finished(&self, into: &mut Vec<Finished>) {
        let woken = std::mem::take(&mut *lock(&self.inner.woken));
        let mut t = lock(&self.inner.table);
        for id in woken {
            let Some(w) = t.waiting.get_mut(&id) else { continue };
            if let Poll::Ready(outcome) = w.call.as_mut().poll(&mut Context::from_waker(&w.waker))
                && let Some(w) = t.waiting.remove(&id)
            {
                t.finished.push((w.done, outcome));
            }
        }
        into.append(&mut t.finished);
    }

    /// Takes no more calls. Returns every call not completed yet: those whose outcome is known
    /// with it, the others (cancelled) with CAPTIVATE_RESULT_CLOSED.
    pub(crate) fn close(&self) -> Vec<Finished> {
        let (mut finished, waiting) = {
            let mut t = lock(&self.inner.table);
            t.closed = true;
            (std::mem::take(&mut t.finished), std::mem::take(&mut t.waiting))
        };
        let mut waiting: Vec<_> = waiting.into_iter().collect();
        waiting.sort_by_key(|(id, _)| *id);
        for (_, w) in waiting {
            // Dropping the call cancels its request.
            drop(w.call);
            finished.push((w.done, Err(Fail::new(captivate_result::Closed, "the client was freed"))));
        }
        finished
    }
}
