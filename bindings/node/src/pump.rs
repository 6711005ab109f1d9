//! [`Pump`]: everything a client delivers to JavaScript — its events and the outcomes of its
//! calls — in batches, one call of the client's dispatcher per batch.
//!
//! Nothing here runs a task of its own. A call's future and the client's ordered feed are
//! polled on the JavaScript thread, with wakers that only mark the client ready and schedule
//! one call of a thread-safe function ([`Wakeups::schedule`]). That call (a "tick") visits
//! every ready client, takes every ready outcome and every ready event of it in one step and
//! hands them to the client's dispatcher as one batch. So a burst of events costs one wake-up
//! of the JavaScript thread, and an outcome no hop through another thread.
//!
//! The JavaScript thread has one thread-safe function for all its clients, made when the first
//! client starts to deliver and released when the last one is done (the client was closed and
//! every call answered, or connecting failed): it is strong, so it keeps Node's event loop alive
//! exactly while some client may still deliver something.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use captivate::protocol::RawFrame;
use captivate::{Config, ConnectionState, Event, EventStream, Routed, RoutedStream};
use captivate_binding::{BindingError, Session, runtime};
use futures_util::Stream;
use napi::Env;
use napi::Status;
use napi::bindgen_prelude::{External, Float64Array, FnArgs, Function, FunctionRef, Unknown};
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

/// The arguments of a client's dispatcher: `(nums, text, vals, raws)` (see [`crate::encode`]).
pub type TickArgs = FnArgs<(Float64Array, String, Vec<Value>, Option<External<Raws>>)>;

/// A client's dispatcher.
pub type Dispatch = FunctionRef<TickArgs, Unknown<'static>>;

type TickFn = ThreadsafeFunction<(), Unknown<'static>, (), Status, false, false, 0>;

/// Most events taken from a client in one tick; the rest come in the next one, so that a flood
/// leaves the event loop room for other work.
const MAX_EVENTS_PER_TICK: u32 = 16_384;

impl Batch {
    /// The batch as the dispatcher's arguments.
    pub fn into_args(self) -> TickArgs {
        let raws = if self.raws.is_empty() { None } else { Some(External::new(self.raws)) };
        FnArgs::from((Float64Array::new(self.nums), self.text, self.vals, raws))
    }
}

/// What the wakers (on any thread) share with the JavaScript thread: which clients are ready,
/// and the thread-safe function that brings the JavaScript thread to them.
struct Wakeups {
    tick: Mutex<Option<TickFn>>,
    /// A tick is scheduled and has not started yet.
    scheduled: AtomicBool,
    /// The clients marked ready since the last tick.
    ready: Mutex<Vec<u32>>,
}

impl Wakeups {
    /// Schedules one tick, unless one is already on its way.
    fn schedule(&self) {
        if !self.scheduled.swap(true, Ordering::AcqRel)
            && let Some(tick) = self.tick.lock().unwrap_or_else(PoisonError::into_inner).as_ref()
        {
            tick.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

/// One client's side of the wake-ups.
struct ClientWake {
    id: u32,
    wakeups: Arc<Wakeups>,
    /// Marked ready and not visited yet.
    marked: AtomicBool,
    /// The calls whose futures were woken.
    slots: Mutex<Vec<u32>>,
}

impl ClientWake {
    fn mark(&self) {
        if !self.marked.swap(true, Ordering::AcqRel) {
            self.wakeups.ready.lock().unwrap_or_else(PoisonError::into_inner).push(self.id);
            self.wakeups.schedule();
        }
    }
}

/// Wakes the client for its feeds.
struct FeedWaker(Arc<ClientWake>);

impl Wake for FeedWaker {
    fn wake(self: Arc<Self>) {
        self.0.mark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.mark();
    }
}

/// Wakes the client for one call.
struct SlotWaker {
    client: Arc<ClientWake>,
    slot: u32,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.client.slots.lock().unwrap_or_else(PoisonError::into_inner).push(self.slot);
        self.client.mark();
    }
}

/// The JavaScript thread's clients and its thread-safe function.
struct Hub {
    wakeups: Arc<Wakeups>,
    /// The clients delivering now, by id.
    clients: Vec<Option<Weak<RefCell<Pump>>>>,
    free: Vec<u32>,
    /// How many there are.
    enrolled: usize,
}

thread_local! {
    static HUB: RefCell<Hub> = RefCell::new(Hub {
        wakeups: Arc::new(Wakeups {
            tick: Mutex::new(None),
            scheduled: AtomicBool::new(false),
            ready: Mutex::new(Vec::new()),
        }),
        clients: Vec::new(),
        free: Vec::new(),
        enrolled: 0,
    });
}

/// Enrols a client; makes the thread-safe function if none exists (`noop` is what it calls
/// after visiting the ready clients).
fn enrol(pump: &Rc<RefCell<Pump>>, noop: &Function<'_, (), Unknown<'static>>) -> napi::Result<u32> {
    HUB.with(|hub| {
        let mut hub = hub.borrow_mut();
        let mut tick = hub.wakeups.tick.lock().unwrap_or_else(PoisonError::into_inner);
        if tick.is_none() {
            let wakeups = hub.wakeups.clone();
            let tsfn: TickFn =
                noop.build_threadsafe_function::<()>().callee_handled::<false>().weak::<false>().build_callback(
                    move |ctx| {
                        visit(&ctx.env, &wakeups);
                        Ok(())
                    },
                )?;
            *tick = Some(tsfn);
            hub.wakeups.scheduled.store(false, Ordering::Release);
        }
        drop(tick);
        let id = match hub.free.pop() {
            Some(id) => id,
            None => {
                hub.clients.push(None);
                (hub.clients.len() - 1) as u32
            }
        };
        hub.clients[id as usize] = Some(Rc::downgrade(pump));
        hub.enrolled += 1;
        Ok(id)
    })
}

/// Removes a client that is done; releases the thread-safe function after the last one.
fn leave(id: u32) {
    HUB.with(|hub| {
        let mut hub = hub.borrow_mut();
        if let Some(slot) = hub.clients.get_mut(id as usize)
            && slot.take().is_some()
        {
            hub.free.push(id);
            hub.enrolled -= 1;
        }
        if hub.enrolled == 0 {
            let tick = hub.wakeups.tick.lock().unwrap_or_else(PoisonError::into_inner).take();
            drop(tick);
        }
    });
}

fn wakeups() -> Arc<Wakeups> {
    HUB.with(|hub| hub.borrow().wakeups.clone())
}

/// One tick: each ready client's batch to its dispatcher.
fn visit(env: &Env, wakeups: &Wakeups) {
    wakeups.scheduled.store(false, Ordering::Release);
    let ready = std::mem::take(&mut *wakeups.ready.lock().unwrap_or_else(PoisonError::into_inner));
    for id in ready {
        let pump = HUB.with(|hub| hub.borrow().clients.get(id as usize).cloned().flatten().and_then(|w| w.upgrade()));
        let Some(pump) = pump else {
            // Gone without finishing (not reachable: a delivering client's dispatcher keeps
            // it); let go of it all the same, so that the event loop is not held for nothing.
            leave(id);
            continue;
        };
        let (batch, dispatch) = {
            let Ok(mut p) = pump.try_borrow_mut() else {
                // Not reachable (ticks run from the event loop, never inside a call of the
                // client); if it were, the client is visited again with the next tick.
                wakeups.ready.lock().unwrap_or_else(PoisonError::into_inner).push(id);
                wakeups.schedule();
                continue;
            };
            let batch = p.tick();
            let dispatch = p.dispatch.as_ref().and_then(|d| d.borrow_back(env).ok());
            (batch, dispatch)
        };
        if let Some(f) = dispatch {
            // The dispatcher catches what its listeners throw; should anything still escape,
            // it is not this loop's to handle, and the other clients are visited all the same.
            let _ = f.call(batch.into_args());
        }
        let done = pump.try_borrow_mut().is_ok_and(|mut p| p.finish_if_done());
        if done {
            leave(id);
        }
    }
}

/// True for a state change that led to the connection `connect` resolved with: every one up
/// to the change into `until` (which then ends the history).
fn is_history(until: &mut Option<ConnectionState>, r: &Routed) -> bool {
    let (Some(target), Event::State(change)) = (until.as_ref(), &r.event) else { return false };
    if change.current == *target {
        *until = None;
    }
    true
}

struct Slot {
    call: Call,
    waker: Waker,
}

/// A client's deliveries; lives on the JavaScript thread.
pub struct Pump {
    /// The options, until connected (a failed connect may be retried).
    config: Option<Config>,
    /// Its enrolment, while it delivers.
    wake: Option<Arc<ClientWake>>,
    feed_waker: Option<Waker>,
    dispatch: Option<Dispatch>,
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
    /// While dropping them: the state at the time `connect` resolved; its change is the last
    /// one dropped (it may reach the feed a little after, the driver tells the state first).
    history_until: Option<ConnectionState>,
    feed: Option<RoutedStream>,
    raw: Option<EventStream>,
    batch: VecDeque<Routed>,
}

impl Pump {
    /// A pump with nothing to deliver yet, for a client of `config`.
    pub fn new(config: Config) -> Rc<RefCell<Pump>> {
        Rc::new(RefCell::new(Pump {
            config: Some(config),
            wake: None,
            feed_waker: None,
            dispatch: None,
            slots: Vec::new(),
            free: Vec::new(),
            outstanding: 0,
            done: Vec::new(),
            session: None,
            connecting: false,
            skip_history: false,
            history_until: None,
            feed: None,
            raw: None,
            batch: VecDeque::new(),
        }))
    }

    /// Delivers to `dispatch` from now on (`noop`: what the thread's thread-safe function calls,
    /// when it has to be made). Again after a failed connect: a new enrolment.
    pub fn start(
        this: &Rc<RefCell<Pump>>,
        dispatch: Dispatch,
        noop: &Function<'_, (), Unknown<'static>>,
    ) -> napi::Result<()> {
        if this.borrow().wake.is_none() {
            let id = enrol(this, noop)?;
            let wake = Arc::new(ClientWake {
                id,
                wakeups: wakeups(),
                marked: AtomicBool::new(false),
                slots: Mutex::new(Vec::new()),
            });
            let mut p = this.borrow_mut();
            p.feed_waker = Some(Waker::from(Arc::new(FeedWaker(wake.clone()))));
            p.wake = Some(wake);
        }
        this.borrow_mut().dispatch = Some(dispatch);
        Ok(())
    }

    /// The options, until connected.
    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref()
    }

    /// True while the client can still deliver.
    pub fn is_open(&self) -> bool {
        self.wake.is_some()
    }

    /// The session, once connected.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.as_ref()
    }

    fn mark(&self) {
        if let Some(w) = &self.wake {
            w.mark();
        }
    }

    /// Connects with `call` (which resolves to [`Reply::Connected`]); `lazy` when it resolves
    /// at once, before the connection is made.
    pub fn connect(&mut self, call: Call, lazy: bool) -> Result<u32, BindingError> {
        self.connecting = true;
        self.skip_history = !lazy;
        let r = self.submit(call);
        if r.is_err() {
            self.connecting = false;
            let id = self.wake.as_ref().map(|w| w.id);
            if self.finish_if_done()
                && let Some(id) = id
            {
                leave(id);
            }
        }
        r
    }

    /// Starts delivering every frame from the hub (the raw feed), once.
    pub fn open_raw(&mut self) {
        if self.raw.is_none()
            && let Some(s) = &self.session
        {
            self.raw = Some(s.raw_events());
            self.mark();
        }
    }

    /// Takes a call; its outcome comes with a later tick, under the returned slot. A call that
    /// fails at once gives its error back instead.
    pub fn submit(&mut self, mut call: Call) -> Result<u32, BindingError> {
        let Some(wake) = self.wake.clone() else {
            return Err(BindingError::internal("a call on a client that does not deliver"));
        };
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        let waker = Waker::from(Arc::new(SlotWaker { client: wake, slot }));
        let _rt = runtime::handle().enter();
        match call.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(Err(e)) => {
                self.free.push(slot);
                Err(e)
            }
            Poll::Ready(Ok(reply)) => {
                self.outstanding += 1;
                self.done.push((slot, Ok(reply)));
                self.mark();
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
                let feed = session.all_events();
                if self.skip_history {
                    self.history_until = Some(session.state());
                }
                self.feed = Some(feed);
                self.session = Some(session);
                self.config = None;
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

    /// One tick of this client: every ready outcome, then every ready event.
    fn tick(&mut self) -> Batch {
        let mut w = Writer::default();
        let Some(wake) = self.wake.clone() else { return w.finish() };
        wake.marked.store(false, Ordering::Release);
        let _rt = runtime::handle().enter();
        for (slot, outcome) in std::mem::take(&mut self.done) {
            self.answer(&mut w, slot, outcome);
        }
        let ready = std::mem::take(&mut *wake.slots.lock().unwrap_or_else(PoisonError::into_inner));
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
        w.finish()
    }

    fn take_feed(&mut self, w: &mut Writer) {
        let (Some(feed), Some(waker)) = (self.feed.as_mut(), self.feed_waker.as_ref()) else { return };
        let mut cx = Context::from_waker(waker);
        loop {
            match feed.poll_take_ready(&mut cx, &mut self.batch) {
                Poll::Ready(true) => {
                    for r in self.batch.drain(..) {
                        if !is_history(&mut self.history_until, &r) {
                            w.routed(r);
                        }
                    }
                    // An idle client keeps no buffer (the queue took this one's place).
                    self.batch.shrink_to_fit();
                    if w.events() >= MAX_EVENTS_PER_TICK {
                        // No waker is registered after a take: come back at once.
                        waker.wake_by_ref();
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
        let (Some(raw), Some(waker)) = (self.raw.as_mut(), self.feed_waker.as_ref()) else { return };
        let mut cx = Context::from_waker(waker);
        loop {
            match Pin::new(&mut *raw).poll_next(&mut cx) {
                Poll::Ready(Some(e)) => {
                    w.raw(e);
                    if w.events() >= MAX_EVENTS_PER_TICK {
                        waker.wake_by_ref();
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

    /// True (and lets go of the dispatcher) once nothing more can come: not connecting, both
    /// feeds ended (or never opened), every call answered.
    fn finish_if_done(&mut self) -> bool {
        let live = self.connecting || self.feed.is_some() || self.raw.is_some() || self.outstanding > 0;
        if live || self.wake.is_none() {
            return false;
        }
        self.dispatch = None;
        self.feed_waker = None;
        self.wake = None;
        true
    }
}
