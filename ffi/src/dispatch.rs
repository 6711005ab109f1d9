//! Where a client's callbacks run, one at a time and in order, as its options chose
//! ([`captivate_callbacks`]): on a dispatch thread of the client's own (the default), on the
//! library's own runtime thread, or on the application's thread when it calls
//! `captivate_client_dispatch` (see [`crate::polled`]).
//!
//! In every mode one [`Worker`] waits on two things at once: the client's one ordered feed of
//! events ([`Session::all_events`]: every event of the client and its conversations, each once,
//! in order, state changes included) and the outcomes of its `_async` calls ([`Calls`]). Events
//! ready together are delivered first, then the completions ready by then, so a call's
//! completion comes after the events its reply caused. For that the outcomes are taken before
//! the feed is read (see [`Worker::turn`]): the events that came before a reply are in the feed
//! by the time its call has an outcome.

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

/// Where a client's event and completion callbacks run (captivate_options_set_callbacks).
/// In every mode they run one at a time, in order, and a blocking call made from inside one
/// fails with CAPTIVATE_RESULT_WOULD_DEADLOCK.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum captivate_callbacks {
    /// On a thread of the client's own (the default): a callback may take its time without
    /// holding up the connection.
    #[default]
    DispatchThread = 0,
    /// On the library's own thread, as soon as an event or outcome is ready: no thread hop,
    /// the lowest latency and CPU. A callback must return quickly and must not block (the
    /// connections of every client wait for it); hand long work to a thread of your own.
    LibraryThread = 1,
    /// On the application's own thread, from its event loop (epoll, poll, libuv, GLib, Qt):
    /// captivate_client_fd gives a descriptor that becomes readable when callbacks are ready,
    /// and captivate_client_dispatch runs them. POSIX systems only.
    Polled = 2,
}

/// A C pointer carried to the thread that runs the callbacks.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: the pointer is only handed back to the C callbacks, on the dispatch thread; the
// header documents that the application makes what it points to safe to use from there.
unsafe impl Send for UserData {}

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// True on any thread while one of the library's callbacks runs there.
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
    /// Whether the worker holds a feed that has not delivered its last event yet.
    feed_open: Mutex<bool>,
    /// Signalled when a feed has delivered its last event.
    feed_ended: Condvar,
    /// Set once the worker has finished (its userdata released); signals `finished`.
    done: Mutex<bool>,
    finished: Condvar,
}

impl Control {
    fn set_feed_open(&self, open: bool) {
        *self.feed_open.lock().unwrap_or_else(PoisonError::into_inner) = open;
        if !open {
            self.feed_ended.notify_all();
        }
    }

    fn set_done(&self) {
        *self.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.finished.notify_all();
    }

    fn wait_done(&self) {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        drop(self.finished.wait_while(done, |done| !*done));
    }
}

/// How the worker of a client is run.
enum Runner {
    /// On the thread of the client's own (joined when the client is freed).
    Thread { handle: Mutex<Option<JoinHandle<()>>>, id: ThreadId },
    /// As a task of the library's runtime.
    Library,
    /// By the application, through captivate_client_dispatch.
    #[cfg(unix)]
    Polled(crate::polled::Polled),
}

/// A client's callbacks and what its callers share with whatever runs them.
pub(crate) struct Dispatch {
    /// The `_async` calls waiting for their outcome.
    pub(crate) calls: Calls,
    control: Arc<Control>,
    runner: Runner,
}

static THREADS: AtomicU64 = AtomicU64::new(1);

impl Dispatch {
    /// Listens to the session's feed from now on, and starts running the callbacks where
    /// `mode` says.
    pub(crate) fn start(
        session: Arc<Session>,
        mode: captivate_callbacks,
        on_event: captivate_event_callback,
        userdata: UserData,
        userdata_free: captivate_userdata_free,
    ) -> std::io::Result<Dispatch> {
        let control = Arc::new(Control::default());
        let calls = Calls::new(control.signal.clone());
        let feed = Some(session.all_events());
        control.set_feed_open(true);
        let worker = Worker {
            session,
            feed,
            feed_ending: false,
            events: VecDeque::new(),
            finished: VecDeque::new(),
            taken: Vec::new(),
            on_event,
            userdata,
            userdata_free,
            control: control.clone(),
            calls: calls.clone(),
        };
        let runner = match mode {
            captivate_callbacks::DispatchThread => {
                let n = THREADS.fetch_add(1, Ordering::Relaxed);
                let thread =
                    std::thread::Builder::new().name(format!("captivate-cb-{n}")).spawn(move || worker.run_here())?;
                let id = thread.thread().id();
                Runner::Thread { handle: Mutex::new(Some(thread)), id }
            }
            captivate_callbacks::LibraryThread => {
                runtime::handle().spawn(async move {
                    let mut worker = worker;
                    poll_fn(|cx| worker.poll_all(cx)).await;
                    worker.finish();
                });
                Runner::Library
            }
            #[cfg(unix)]
            captivate_callbacks::Polled => Runner::Polled(crate::polled::Polled::new(worker)?),
            #[cfg(not(unix))]
            captivate_callbacks::Polled => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "polled callbacks need a POSIX system",
                ));
            }
        };
        Ok(Dispatch { calls, control, runner })
    }

    /// The application's side of polled callbacks; None in the other modes.
    #[cfg(unix)]
    pub(crate) fn polled(&self) -> Option<&crate::polled::Polled> {
        match &self.runner {
            Runner::Polled(p) => Some(p),
            _ => None,
        }
    }

    /// After a reconnect: once the feed ended by a close has delivered its last event, listen
    /// to a new one (a feed that did not end is kept).
    pub(crate) fn resubscribe(&self) {
        self.control.resubscribe.store(true, Ordering::SeqCst);
        self.control.signal.raise();
    }

    /// After a close: waits (at most `limit`) until the callback has been given the feed's
    /// last event (the `closed` state change), so that a blocking close returns after it.
    /// Returns at once when no feed is open, and in the polled mode, where that event waits
    /// for the application's next captivate_client_dispatch.
    pub(crate) fn wait_feed_end(&self, limit: Duration) {
        #[cfg(unix)]
        if matches!(self.runner, Runner::Polled(_)) {
            return;
        }
        let open = self.control.feed_open.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.control.feed_ended.wait_timeout_while(open, limit, |open| *open);
    }

    /// Stops the callbacks: no more events; calls still waiting complete with
    /// CAPTIVATE_RESULT_CLOSED, then the userdata is released. Returns once that is done,
    /// unless called from inside one of this client's callbacks, where it ends after the
    /// current callback.
    pub(crate) fn stop(&self) {
        self.control.stop.store(true, Ordering::SeqCst);
        self.control.signal.raise();
        match &self.runner {
            Runner::Thread { handle, id } => {
                if std::thread::current().id() == *id {
                    return;
                }
                let handle = handle.lock().unwrap_or_else(PoisonError::into_inner).take();
                if let Some(h) = handle {
                    let _ = h.join();
                }
            }
            Runner::Library => {
                // On the library's own threads nothing may wait (that thread may be the one
                // that has to finish the work); the task ends after the current callback.
                if !in_callback() && tokio::runtime::Handle::try_current().is_err() {
                    self.control.wait_done();
                }
            }
            #[cfg(unix)]
            Runner::Polled(p) => p.stop(),
        }
    }
}

/// What runs the callbacks of one client, wherever the mode puts it.
pub(crate) struct Worker {
    session: Arc<Session>,
    /// None once a close ended it, until a reconnect asks for a new one.
    feed: Option<RoutedStream>,
    /// The feed ended: once the events taken from it are delivered, say so.
    feed_ending: bool,
    /// Events taken from the feed and not delivered yet (a polled dispatch may stop short).
    events: VecDeque<Routed>,
    /// Calls whose outcome is known and not delivered yet.
    finished: VecDeque<Finished>,
    /// Scratch for the calls taken from the table.
    taken: Vec<Finished>,
    on_event: captivate_event_callback,
    userdata: UserData,
    userdata_free: captivate_userdata_free,
    control: Arc<Control>,
    calls: Calls,
}

/// How a turn of the worker ended.
pub(crate) enum Turn {
    /// Nothing more is ready; the waker of the context is called when something is.
    Pending,
    /// The budget of callbacks ran out with more ready.
    Spent,
    /// The client is being freed: [`Worker::finish`] next.
    Stopped,
}

impl Worker {
    /// The dispatch thread's life: runs the callbacks until the client is freed.
    fn run_here(mut self) {
        runtime::handle().block_on(poll_fn(|cx| self.poll_all(cx)));
        self.finish();
    }

    /// Runs every callback ready; Ready once the client is being freed.
    fn poll_all(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut unlimited = usize::MAX;
        match self.turn(cx, &mut unlimited) {
            Turn::Stopped => Poll::Ready(()),
            // A budget of usize::MAX callbacks is never spent.
            Turn::Pending | Turn::Spent => Poll::Pending,
        }
    }

    /// Whether the client is being freed.
    pub(crate) fn stopping(&self) -> bool {
        self.control.stop.load(Ordering::SeqCst)
    }

    /// Runs the callbacks ready, at most `budget` of them (each one run counts it down).
    pub(crate) fn turn(&mut self, cx: &mut Context<'_>, budget: &mut usize) -> Turn {
        loop {
            // What was taken and not delivered yet goes first: the events, then the outcomes.
            loop {
                if self.stopping() {
                    return Turn::Stopped;
                }
                if self.events.is_empty() && self.feed_ending {
                    self.feed_ending = false;
                    self.control.set_feed_open(false);
                }
                if self.events.is_empty() && self.finished.is_empty() {
                    break;
                }
                if *budget == 0 {
                    return Turn::Spent;
                }
                *budget -= 1;
                if let Some(r) = self.events.pop_front() {
                    self.deliver(r);
                } else if let Some((done, outcome)) = self.finished.pop_front() {
                    done.complete(outcome);
                }
            }
            // The outcomes first, then the feed: the driver hands the events it read to the
            // feed before it completes the calls answered after them, so the events that came
            // before the reply of any outcome taken here are in the feed when it is read just
            // after, and are delivered before that outcome. Read the other way round, an event
            // and the reply behind it that both arrived between the two reads would have the
            // completion run first.
            let mut busy = false;
            self.calls.take_finished(&mut self.taken);
            if !self.taken.is_empty() {
                busy = true;
                self.finished.extend(self.taken.drain(..));
            }
            match &mut self.feed {
                Some(feed) => {
                    if let Poll::Ready(alive) = feed.poll_take_ready(cx, &mut self.events) {
                        busy = true;
                        if !alive {
                            self.feed = None;
                            self.feed_ending = true;
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
            if !busy && !self.control.signal.take(cx) {
                return Turn::Pending;
            }
        }
    }

    /// After [`Turn::Stopped`]: no more events; the outcomes known are delivered, the calls
    /// still waiting complete with CAPTIVATE_RESULT_CLOSED, then the userdata is released.
    pub(crate) fn finish(mut self) {
        self.control.set_feed_open(false);
        self.events.clear();
        let known: Vec<Finished> = self.finished.drain(..).collect();
        for (done, outcome) in known.into_iter().chain(self.calls.close()) {
            done.complete(outcome);
        }
        if let Some(f) = self.userdata_free {
            let ud = self.userdata;
            // SAFETY: called once, after the last callback of this client.
            call_back(|| unsafe { f(ud.0) });
        }
        self.control.set_done();
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
