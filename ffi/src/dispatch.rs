//! The dispatch thread of a client: every callback of that client runs there, one at a time,
//! never on the caller's thread and never on a runtime worker.
//!
//! The thread waits on two things at once: the client's one ordered feed of events
//! ([`Session::all_events`]: every event of the client and its conversations, each once, in
//! order, state changes included) and the outcomes of its `_async` calls ([`Calls`]). Events
//! ready together are delivered first, then the completions ready by then, so a call's
//! completion comes after the events its reply caused.

use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

use captivate::{Routed, RoutedStream};
use captivate_binding::{Session, runtime};
use futures_util::task::AtomicWaker;

use crate::calls::{Calls, Finished};
use crate::event::captivate_event;
use crate::result::captivate_result;

/// Receives the client's events: bot and live-chat messages, actions, updates, hub errors,
/// connection state changes, and more (see captivate_event_kind), each exactly once, in the
/// order the client received them. `event` is valid only during the call.
pub type captivate_event_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const captivate_event)>;

/// Receives the outcome of a non-blocking call: its result code, and a JSON string (the
/// reply on success; on failure `{"error": NAME, "message": TEXT}`, with `kind` and `details`
/// for errors of the library; NULL when there is nothing to say). `json` is valid only during
/// the call.
pub type captivate_completion_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, result: captivate_result, json: *const c_char)>;

/// Releases a client's userdata; called exactly once, after the client's last callback.
pub type captivate_userdata_free = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A C pointer carried to the dispatch thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: the pointer is only handed back to the C callbacks, on the dispatch thread; the
// header documents that the application makes what it points to safe to use from there.
unsafe impl Send for UserData {}

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// True on a dispatch thread while a callback runs.
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.with(Cell::get)
}

/// Runs a C callback, marked as such for the blocking calls it might make.
pub(crate) fn call_back(f: impl FnOnce()) {
    let outer = IN_CALLBACK.with(|c| c.replace(true));
    // A C callback cannot unwind into us; this only keeps a Rust panic in the conversion from
    // ending the thread.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CALLBACK.with(|c| c.set(outer));
}

/// Wakes the dispatch thread: a call's outcome is ready, a reconnect asks for a new feed, or
/// the client is being freed.
#[derive(Default)]
pub(crate) struct Signal {
    waker: AtomicWaker,
    raised: AtomicBool,
}

impl Signal {
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
        self.waker.wake();
    }

    /// Whether it was raised since the last look; if not, the task is woken when it is.
    fn take(&self, cx: &Context<'_>) -> bool {
        self.waker.register(cx.waker());
        self.raised.swap(false, Ordering::SeqCst)
    }
}

#[derive(Default)]
struct Control {
    signal: Arc<Signal>,
    stop: AtomicBool,
    resubscribe: AtomicBool,
    /// Whether the thread holds a feed that has not delivered its last event yet.
    feed_open: Mutex<bool>,
    /// Signalled when a feed has delivered its last event.
    feed_ended: Condvar,
}

impl Control {
    fn set_feed_open(&self, open: bool) {
        *self.feed_open.lock().unwrap_or_else(PoisonError::into_inner) = open;
        if !open {
            self.feed_ended.notify_all();
        }
    }
}

/// A client's dispatch thread and what its callers share with it.
pub(crate) struct Dispatch {
    /// The `_async` calls waiting for their outcome.
    pub(crate) calls: Calls,
    control: Arc<Control>,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: ThreadId,
}

static THREADS: AtomicU64 = AtomicU64::new(1);

impl Dispatch {
    /// Listens to the session's feed from now on, and starts the thread.
    pub(crate) fn start(
        session: Arc<Session>,
        on_event: captivate_event_callback,
        userdata: UserData,
        userdata_free: captivate_userdata_free,
    ) -> std::io::Result<Dispatch> {
        let control = Arc::new(Control::default());
        let calls = Calls::new(control.signal.clone());
        let feed = Some(session.all_events());
        control.set_feed_open(true);
        let worker =
            Worker { session, feed, on_event, userdata, userdata_free, control: control.clone(), calls: calls.clone() };
        let n = THREADS.fetch_add(1, Ordering::Relaxed);
        let thread = std::thread::Builder::new().name(format!("captivate-cb-{n}")).spawn(move || worker.run())?;
        let thread_id = thread.thread().id();
        Ok(Dispatch { calls, control, thread: Mutex::new(Some(thread)), thread_id })
    }

    /// After a reconnect: once the feed ended by a close has delivered its last event, listen
    /// to a new one (a feed that did not end is kept).
    pub(crate) fn resubscribe(&self) {
        self.control.resubscribe.store(true, Ordering::SeqCst);
        self.control.signal.raise();
    }

    /// After a close: waits (at most `limit`) until the callback has been given the feed's
    /// last event (the `closed` state change), so that a blocking close returns after it.
    /// Returns at once when no feed is open.
    pub(crate) fn wait_feed_end(&self, limit: Duration) {
        let open = self.control.feed_open.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.control.feed_ended.wait_timeout_while(open, limit, |open| *open);
    }

    /// Stops the thread: no more events; calls still waiting complete with
    /// CAPTIVATE_RESULT_CLOSED, then the userdata is released. Joins the thread, unless called
    /// from it (a free inside a callback), which then ends after the current callback.
    pub(crate) fn stop(&self) {
        self.control.stop.store(true, Ordering::SeqCst);
        self.control.signal.raise();
        if std::thread::current().id() == self.thread_id {
            return;
        }
        let handle = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

/// What runs on the dispatch thread.
struct Worker {
    session: Arc<Session>,
    /// None once a close ended it, until a reconnect asks for a new one.
    feed: Option<RoutedStream>,
    on_event: captivate_event_callback,
    userdata: UserData,
    userdata_free: captivate_userdata_free,
    control: Arc<Control>,
    calls: Calls,
}

impl Worker {
    fn run(mut self) {
        let mut events = VecDeque::new();
        let mut finished = Vec::new();
        runtime::handle().block_on(poll_fn(|cx| self.poll(cx, &mut events, &mut finished)));
        self.control.set_feed_open(false);
        for (done, outcome) in self.calls.close() {
            done.complete(outcome);
        }
        if let Some(f) = self.userdata_free {
            let ud = self.userdata;
            // SAFETY: called once, after the last callback of this client.
            call_back(|| unsafe { f(ud.0) });
        }
    }

    fn stopping(&self) -> bool {
        self.control.stop.load(Ordering::SeqCst)
    }

    /// Delivers what is ready; Ready once the client is being freed.
    fn poll(&mut self, cx: &mut Context<'_>, events: &mut VecDeque<Routed>, finished: &mut Vec<Finished>) -> Poll<()> {
        loop {
            if self.stopping() {
                return Poll::Ready(());
            }
            let mut busy = false;
            match &mut self.feed {
                Some(feed) => {
                    if let Poll::Ready(alive) = feed.poll_take_ready(cx, events) {
                        busy = true;
                        if !alive {
                            self.feed = None;
                        }
                        while let Some(r) = events.pop_front() {
                            self.deliver(r);
                            if self.stopping() {
                                events.clear();
                                return Poll::Ready(());
                            }
                        }
                        if !alive {
                            self.control.set_feed_open(false);
                        }
                    }
                }
                None => {
                    if self.control.resubscribe.swap(false, Ordering::SeqCst) {
                        self.feed = Some(self.session.all_events());
                        self.control.set_feed_open(true);
                        busy = true;
                    }
                }
            }
            self.calls.take_finished(finished);
            for (done, outcome) in finished.drain(..) {
                busy = true;
                done.complete(outcome);
            }
            if !busy && !self.control.signal.take(cx) {
                return Poll::Pending;
            }
        }
    }

    fn deliver(&self, routed: Routed) {
        if let Some(cb) = self.on_event {
            let ev = captivate_event::new(routed);
            let ud = self.userdata;
            // SAFETY: the application registered `cb` with this userdata; `ev` lives until the
            // call returns.
            call_back(|| unsafe { cb(ud.0, &ev) });
        }
    }
}
