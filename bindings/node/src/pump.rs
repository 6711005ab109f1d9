//! [`Pump`]: everything a client delivers to JavaScript — its events and the outcomes of its
//! calls — through one thread-safe function, called once per batch.
//!
//! Nothing here runs a task of its own. A call's future and the client's ordered feed are
//! polled on the JavaScript thread, with wakers that only mark what is ready and schedule one
//! call of the thread-safe function ([`Shared::schedule`]); that call (a "tick") takes every
//! ready outcome and every ready event in one step and hands them over as one batch. So a
//! burst of events costs one wake-up of the JavaScript thread, and an outcome no hop through
//! another thread.
//!
//! The thread-safe function is strong: it keeps Node's event loop alive while the client may
//! still deliver something. It is released once the feed has ended (the client was closed)
//! and every call has been answered, or when connecting failed; then the process can exit.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use captivate::protocol::RawFrame;
use captivate::{Event, EventStream, Routed, RoutedStream};
use captivate_binding::{BindingError, Session, runtime};
use futures_util::Stream;
use napi::Status;
use napi::bindgen_prelude::{External, Float64Array, FnArgs, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use serde_json::Value;

use crate::encode::{Batch, Done, Writer};

/// What a call of a client resolves to.
pub enum Reply {
    /// An outcome for JavaScript.
    Done(Done),
    /// The connection is made: the session to use from now on.
    Connected(Arc<Session>),
}

/// A call on its way: its future, polled on the JavaScript thread.
pub type Call = Pin<Box<dyn Future<Output = Result<Reply, BindingError>>>>;

/// The raw frames of a batch's hub events, for the `raw` getters of its events.
pub type Raws = Vec<RawFrame>;

/// The arguments of the JavaScript dispatcher: `(nums, text, vals, raws)` (see
/// [`crate::encode`]).
pub type TickArgs = FnArgs<(Float64Array, String, Vec<Value>, Option<External<Raws>>)>;

type TickFn = ThreadsafeFunction<(), Unknown<'static>, TickArgs, Status, false, false, 0>;

/// Most events taken in one tick; the rest come in the next one, so that a flood leaves the
/// event loop room for other work.
const MAX_EVENTS_PER_TICK: u32 = 16_384;

impl Batch {
    /// The batch as the dispatcher's arguments.
    pub fn into_args(self) -> TickArgs {
        let raws = if self.raws.is_empty() { None } else { Some(External::new(self.raws)) };
        FnArgs::from((Float64Array::new(self.nums), self.text, self.vals, raws))
    }
}

/// What the wakers (on any thread) share with the JavaScript thread.
struct Shared {
    tick: Mutex<Option<TickFn>>,
    /// A tick is scheduled and has not started yet.
    scheduled: AtomicBool,
    /// The slots whose futures were woken.
    ready: Mutex<Vec<u32>>,
}

impl Shared {
    /// Schedules one tick, unless one is already on its way.
    fn schedule(&self) {
        if !self.scheduled.swap(true, Ordering::AcqRel)
            && let Some(tick) = self.tick.lock().unwrap_or_else(PoisonError::into_inner).as_ref()
        {
            tick.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

/// Wakes the tick for the feeds.
struct FeedWaker(Arc<Shared>);

impl Wake for FeedWaker {
    fn wake(self: Arc<Self>) {
        self.0.schedule();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.schedule();
    }
}

/// Wakes the tick for one call.
struct SlotWaker {
    shared: Arc<Shared>,
    slot: u32,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.ready.lock().unwrap_or_else(PoisonError::into_inner).push(self.slot);
        self.shared.schedule();
    }
}

struct Slot {
    call: Call,
    waker: Waker,
}

/// A client's deliveries; lives on the JavaScript thread.
pub struct Pump {
    shared: Arc<Shared>,
    feed_waker: Waker,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    /// Calls not answered yet (in `slots` or in `done`).
    outstanding: usize,
    /// Calls answered at once, delivered with the next tick.
    done: Vec<(u32, Result<Reply, BindingError>)>,
    session: Option<Arc<Session>>,
    connecting: bool,
    /// Drop the state changes that led to the first connection (they are history by the time
    /// `connect` resolves), unless connecting lazily.
    skip_history: bool,
    feed: Option<RoutedStream>,
    raw: Option<EventStream>,
    batch: VecDeque<Routed>,
}

impl Pump {
    /// A pump with nothing to deliver yet.
    pub fn new() -> Rc<RefCell<Pump>> {
        let shared = Arc::new(Shared {
            tick: Mutex::new(None),
            scheduled: AtomicBool::new(false),
            ready: Mutex::new(Vec::new()),
        });
        let feed_waker = Waker::from(Arc::new(FeedWaker(shared.clone())));
        Rc::new(RefCell::new(Pump {
            shared,
            feed_waker,
            slots: Vec::new(),
            free: Vec::new(),
            outstanding: 0,
            done: Vec::new(),
            session: None,
            connecting: false,
            skip_history: false,
            feed: None,
            raw: None,
            batch: VecDeque::new(),
        }))
    }

    /// Delivers to `dispatch` from now on (the thread-safe function is made if there is none:
    /// at the first connect, or a connect after a failed one).
    pub fn start(this: &Rc<RefCell<Pump>>, dispatch: &Function<'_, (), Unknown<'static>>) -> napi::Result<()> {
        let shared = this.borrow().shared.clone();
        let mut tick = shared.tick.lock().unwrap_or_else(PoisonError::into_inner);
        if tick.is_none() {
            let pump = this.clone();
            let tsfn =
                dispatch.build_threadsafe_function::<()>().callee_handled::<false>().weak::<false>().build_callback(
                    move |_ctx| {
                        let batch = match pump.try_borrow_mut() {
                            Ok(mut p) => p.tick(),
                            // Not reachable (ticks run from the event loop, never inside a call of
                            // this client); if it were, the next tick delivers.
                            Err(_) => Writer::default().finish(),
                        };
                        Ok(batch.into_args())
                    },
                )?;
            *tick = Some(tsfn);
            shared.scheduled.store(false, Ordering::Release);
        }
        Ok(())
    }

    /// True while the client can still deliver (the thread-safe function exists).
    pub fn is_open(&self) -> bool {
        self.shared.tick.lock().unwrap_or_else(PoisonError::into_inner).is_some()
    }

    /// The session, once connected.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.as_ref()
    }

    /// Connects with `call` (which resolves to [`Reply::Connected`]); `lazy` when it resolves
    /// at once, before the connection is made.
    pub fn connect(&mut self, call: Call, lazy: bool) -> Result<u32, BindingError> {
        self.connecting = true;
        self.skip_history = !lazy;
        let r = self.submit(call);
        if r.is_err() {
            self.connecting = false;
            self.release_if_done();
        }
        r
    }

    /// Starts delivering every frame from the hub (the raw feed), once.
    pub fn open_raw(&mut self) {
        if self.raw.is_none()
            && let Some(s) = &self.session
        {
            self.raw = Some(s.raw_events());
            self.shared.schedule();
        }
    }

    /// Takes a call; its outcome comes with a later tick, under the returned slot. A call that
    /// fails at once gives its error back instead.
    pub fn submit(&mut self, mut call: Call) -> Result<u32, BindingError> {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        let waker = Waker::from(Arc::new(SlotWaker { shared: self.shared.clone(), slot }));
        let _rt = runtime::handle().enter();
        match call.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(Err(e)) => {
                self.free.push(slot);
                Err(e)
            }
            Poll::Ready(Ok(reply)) => {
                self.outstanding += 1;
                self.done.push((slot, Ok(reply)));
                self.shared.schedule();
                Ok(slot)
            }
            Poll::Pending => {
                self.outstanding += 1;
                self.slots[slot as usize] = Some(Slot { call, waker });
                Ok(slot)
            }
        }
    }

    fn answer(&mut self, w: &mut Writer, slot: u32, outcome: Result<Reply, BindingError>) {
        self.outstanding -= 1;
        self.free.push(slot);
        let outcome = match outcome {
            Ok(Reply::Done(d)) => Ok(d),
            Ok(Reply::Connected(session)) => {
                self.connecting = false;
                let mut feed = session.all_events();
                // What the feed holds already was kept for it before it opened.
                feed.take_ready(&mut self.batch);
                if self.skip_history {
                    self.batch.retain(|r| !matches!(r.event, Event::State(_)));
                }
                self.feed = Some(feed);
                self.session = Some(session);
                Ok(Done::Unit)
            }
            Err(e) => {
                if self.session.is_none() {
                    self.connecting = false;
                }
                Err(e)
            }
        };
        w.completion(slot, outcome);
    }

    /// One tick: every ready outcome, then every ready event.
    fn tick(&mut self) -> Batch {
        self.shared.scheduled.store(false, Ordering::Release);
        let _rt = runtime::handle().enter();
        let mut w = Writer::default();
        for (slot, outcome) in std::mem::take(&mut self.done) {
            self.answer(&mut w, slot, outcome);
        }
        let ready = std::mem::take(&mut *self.shared.ready.lock().unwrap_or_else(PoisonError::into_inner));
        for slot in ready {
            let Some(entry) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else { continue };
            if let Poll::Ready(outcome) = entry.call.as_mut().poll(&mut Context::from_waker(&entry.waker)) {
                self.slots[slot as usize] = None;
                self.answer(&mut w, slot, outcome);
            }
        }
        self.take_feed(&mut w);
        self.take_raw(&mut w);
        if self.feed.is_none() && self.raw.is_none() && self.session.is_some() {
            w.end();
        }
        self.release_if_done();
        w.finish()
    }

    fn take_feed(&mut self, w: &mut Writer) {
        let Some(feed) = self.feed.as_mut() else { return };
        for r in self.batch.drain(..) {
            w.routed(r);
        }
        let mut cx = Context::from_waker(&self.feed_waker);
        loop {
            match feed.poll_take_ready(&mut cx, &mut self.batch) {
                Poll::Ready(true) => {
                    for r in self.batch.drain(..) {
                        w.routed(r);
                    }
                    if w.events() >= MAX_EVENTS_PER_TICK {
                        // No waker is registered after a take: come back at once.
                        self.shared.schedule();
                        return;
                    }
                }
                Poll::Ready(false) => {
                    self.feed = None;
                    return;
                }
                Poll::Pending => return,
            }
        }
    }

    fn take_raw(&mut self, w: &mut Writer) {
        let Some(raw) = self.raw.as_mut() else { return };
        let mut cx = Context::from_waker(&self.feed_waker);
        loop {
            match Pin::new(&mut *raw).poll_next(&mut cx) {
                Poll::Ready(Some(e)) => {
                    w.raw(e);
                    if w.events() >= MAX_EVENTS_PER_TICK {
                        self.shared.schedule();
                        return;
                    }
                }
                Poll::Ready(None) => {
                    self.raw = None;
                    return;
                }
                Poll::Pending => return,
            }
        }
    }

    /// Releases the thread-safe function once nothing more can come: not connecting, both
    /// feeds ended (or never opened), every call answered.
    fn release_if_done(&mut self) {
        let live = self.connecting || self.feed.is_some() || self.raw.is_some();
        if !live && self.outstanding == 0 {
            let tick = self.shared.tick.lock().unwrap_or_else(PoisonError::into_inner).take();
            drop(tick);
        }
    }
}
