//! [`Feed`]: a client's one ordered feed of events ([`captivate_binding::Session::all_events`]),
//! dispatched to the package's listeners (event streams and callbacks) by
//! [`captivate_binding::Filter`], each event to each listener once and in order.
//!
//! Like the core's own streams, what arrives for a scope (the client, or one conversation)
//! while nobody listens to it is kept, up to `max_backlog` events (then the oldest go, and a
//! `Lagged` event says how many), and the first listener of that scope gets it first. The
//! feed opens with the first listener; one opened after the client was closed gets what was
//! kept and ends.
//!
//! An event stream that falls behind is bounded the same way: it keeps `max_backlog` events
//! it has not taken at most (at least one), past which the oldest go, and its next event is
//! a `Lagged` saying how many, before the rest. Callbacks take their events as they come and
//! are not bounded.
//!
//! The feed's waker never routes anything and never touches Python: it rings the doorbell of
//! the loop the feed is attached to (see [`crate::calls`]), and wakes the threads blocked in
//! [`Feed::next_blocking`]. Routing happens on the thread that asks: the loop's
//! (`pump_woken`), or a listener's (`next`).

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use captivate::{ConnectionState, Event, EventStream, Routed, RoutedStream};
use captivate_binding::{Filter, Session};
use futures_util::Stream;
use pyo3::prelude::*;

use crate::calls::{Completions, Doorbell, SLICE};
use crate::events;

/// Where a feed's events come from.
enum Source {
    /// Not opened yet: opened with the first listener.
    Unopened(Weak<Session>),
    /// Every routed event of the client.
    All(RoutedStream),
    /// Every frame from the hub, before deduplication and routing.
    Raw(EventStream),
    /// Ended: the client was closed (or is gone).
    Ended,
}

impl Source {
    /// Takes every event ready now into `into`; Ready(false) once the source has ended.
    fn poll_batch(&mut self, cx: &mut Context<'_>, into: &mut VecDeque<Routed>) -> Poll<bool> {
        match self {
            Source::Unopened(_) => Poll::Pending,
            Source::Ended => Poll::Ready(false),
            Source::All(s) => s.poll_take_ready(cx, into),
            Source::Raw(s) => loop {
                match Pin::new(&mut *s).poll_next(cx) {
                    Poll::Ready(Some(event)) => {
                        let conversation_id = event.conversation_id().map(str::to_owned);
                        into.push_back(Routed { event, conversation_id, to_client: true });
                    }
                    Poll::Ready(None) if into.is_empty() => return Poll::Ready(false),
                    Poll::Pending if into.is_empty() => return Poll::Pending,
                    _ => return Poll::Ready(true),
                }
            },
        }
    }
}

struct Listener {
    key: u64,
    filter: Filter,
    /// A conversation's listener skips the state changes from before it listened (the feed
    /// may bring them late, kept from before it opened): it waits for the first change from
    /// the state there was when it started.
    since: Option<ConnectionState>,
    queue: VecDeque<Routed>,
    /// Events dropped from the front of a stream's full `queue`, told by a `Lagged` event
    /// before what is queued.
    missed: u64,
    /// Someone waits for this listener's next event (a stream's `next`, or a callback).
    waiting: bool,
    /// Callbacks wait all the time.
    persistent: bool,
    /// In the list of listeners to wake.
    woken: bool,
    /// Nothing more will come after what is queued.
    ended: bool,
}

/// What is kept for a scope nobody listens to.
#[derive(Default)]
struct Backlog {
    events: VecDeque<Routed>,
    dropped: u64,
}

struct State {
    source: Source,
    listeners: Vec<Listener>,
    next_key: u64,
    client: Backlog,
    conversations: HashMap<String, Backlog>,
    max_backlog: usize,
    /// The most events a stream keeps that it has not taken (the client's `max_backlog`, at
    /// least one).
    stream_bound: usize,
    /// Listeners to wake, for the loop's next `pump_woken`.
    woken: Vec<u64>,
    /// The loop was rung for `woken` and has not looked yet.
    rung: bool,
    batch: VecDeque<Routed>,
}

/// The part the waker reaches.
struct Shared {
    id: u64,
    bell: Mutex<Option<Weak<Doorbell>>>,
    /// Counts the waker's calls, for threads blocked in `next_blocking`.
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Shared {
    fn bell(&self) -> Option<Arc<Doorbell>> {
        self.bell.lock().unwrap_or_else(PoisonError::into_inner).as_ref().and_then(Weak::upgrade)
    }
}

struct FeedWaker(Weak<Shared>);

impl Wake for FeedWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(shared) = self.0.upgrade() else { return };
        *shared.generation.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        shared.changed.notify_all();
        if let Some(bell) = shared.bell() {
            bell.feed_ready(shared.id);
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A client's feed of events and its listeners (see the module docs).
#[pyclass(frozen)]
pub(crate) struct Feed {
    session: Weak<Session>,
    shared: Arc<Shared>,
    waker: Waker,
    state: Mutex<State>,
}

impl Feed {
    /// A feed of `source`; `keep_unheard`: what comes for a scope nobody listens to is kept.
    fn new(session: &Arc<Session>, source: Source, keep_unheard: bool) -> Feed {
        let max = session.client().config().timings.max_backlog;
        let (max_backlog, stream_bound) = (if keep_unheard { max } else { 0 }, max.max(1));
        let shared = Arc::new(Shared {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            bell: Mutex::new(None),
            generation: Mutex::new(0),
            changed: Condvar::new(),
        });
        let waker = Waker::from(Arc::new(FeedWaker(Arc::downgrade(&shared))));
        let state = State {
            source,
            listeners: Vec::new(),
            next_key: 1,
            client: Backlog::default(),
            conversations: HashMap::new(),
            max_backlog,
            stream_bound,
            woken: Vec::new(),
            rung: false,
            batch: VecDeque::new(),
        };
        Feed { session: Arc::downgrade(session), shared, waker, state: Mutex::new(state) }
    }

    /// The feed of every routed event of `session`, opened with the first listener.
    pub(crate) fn all(session: &Arc<Session>) -> Feed {
        Feed::new(session, Source::Unopened(Arc::downgrade(session)), true)
    }

    /// The feed of every frame from the hub (nothing is kept for it).
    pub(crate) fn raw(session: &Arc<Session>) -> Feed {
        Feed::new(session, Source::Raw(session.raw_events()), false)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn open_source(st: &mut State) {
        if let Source::Unopened(session) = &st.source {
            st.source = match session.upgrade() {
                Some(s) => Source::All(s.all_events()),
                None => Source::Ended,
            };
        }
    }

    /// Routes what the source has ready; rings the loop when listeners are to be woken.
    fn pump(&self, st: &mut State) {
        let mut cx = Context::from_waker(&self.waker);
        loop {
            let mut batch = std::mem::take(&mut st.batch);
            match st.source.poll_batch(&mut cx, &mut batch) {
                Poll::Ready(true) => {
                    for r in batch.drain(..) {
                        st.dispatch(r);
                    }
                    st.batch = batch;
                }
                Poll::Ready(false) => {
                    st.batch = batch;
                    st.source = Source::Ended;
                    for l in st.listeners.iter_mut() {
                        l.ended = true;
                    }
                    let keys: Vec<u64> = st.listeners.iter().map(|l| l.key).collect();
                    for k in keys {
                        st.wake(k);
                    }
                    break;
                }
                Poll::Pending => {
                    st.batch = batch;
                    break;
                }
            }
        }
        if !st.woken.is_empty()
            && !st.rung
            && let Some(bell) = self.shared.bell()
        {
            st.rung = true;
            bell.feed_ready(self.shared.id);
        }
    }
}

impl State {
    fn index(&self, key: u64) -> Option<usize> {
        self.listeners.iter().position(|l| l.key == key)
    }

    fn wake(&mut self, key: u64) {
        if let Some(i) = self.index(key) {
            let l = &mut self.listeners[i];
            if (l.waiting || l.persistent) && !l.woken {
                l.woken = true;
                self.woken.push(key);
            }
        }
    }

    fn heard(&self, filter: &Filter) -> bool {
        self.listeners.iter().any(|l| &l.filter == filter)
    }

    /// One event to every listener it is for, and kept for the scopes nobody listens to.
    fn dispatch(&mut self, r: Routed) {
        let mut to: Vec<usize> = Vec::new();
        for (i, l) in self.listeners.iter_mut().enumerate() {
            if !l.filter.matches(&r) {
                continue;
            }
            if let (Event::State(change), Some(since)) = (&r.event, &l.since) {
                if &change.previous != since {
                    continue;
                }
                l.since = None;
            }
            to.push(i);
        }
        let mut keep_client = false;
        let mut keep_conversation = None;
        if self.max_backlog > 0 {
            keep_client = r.to_client && !self.heard(&Filter::Client);
            if !matches!(r.event, Event::State(_))
                && let Some(c) = &r.conversation_id
                && !self.heard(&Filter::Conversation(c.clone()))
            {
                keep_conversation = Some(c.clone());
            }
        }
        if keep_client {
            let max = self.max_backlog;
            Self::keep(&mut self.client, r.clone(), max);
        }
        if let Some(c) = keep_conversation {
            let max = self.max_backlog;
            Self::keep(self.conversations.entry(c).or_default(), r.clone(), max);
        }
        let last = to.pop();
        for i in to {
            self.push(i, r.clone());
        }
        if let Some(i) = last {
            self.push(i, r);
        }
    }

    fn push(&mut self, i: usize, r: Routed) {
        let bound = self.stream_bound;
        let l = &mut self.listeners[i];
        if !l.persistent {
            // A stream that fell behind: its oldest events go (a `Lagged` kept for it joins
            // the count, told once).
            while l.queue.len() >= bound {
                match l.queue.pop_front() {
                    Some(Routed { event: Event::Lagged { missed }, .. }) => l.missed += missed,
                    Some(_) => l.missed += 1,
                    None => break,
                }
            }
        }
        l.queue.push_back(r);
        let key = l.key;
        self.wake(key);
    }

    fn keep(b: &mut Backlog, r: Routed, max: usize) {
        // The core's own count of what it dropped joins ours: one `Lagged` for all of it.
        if let Event::Lagged { missed } = r.event {
            b.dropped += missed;
            return;
        }
        if b.events.len() >= max {
            b.events.pop_front();
            b.dropped += 1;
        }
        b.events.push_back(r);
    }
}

fn filter_of(conversation_id: Option<String>, raw: bool) -> Filter {
    match conversation_id {
        _ if raw => Filter::All,
        None => Filter::Client,
        Some(c) => Filter::Conversation(c),
    }
}

#[pymethods]
impl Feed {
    /// The feed's id, as the doorbell reports it.
    #[getter]
    fn id(&self) -> u64 {
        self.shared.id
    }

    /// Rings `completions`' doorbell (its loop's) when listeners are to be woken.
    fn attach(&self, completions: &Completions) {
        *self.shared.bell.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::downgrade(&completions.bell));
        let mut st = self.lock();
        st.rung = false;
        self.pump(&mut st);
    }

    /// A new listener of the client's events (`conversation_id` None) or of one
    /// conversation's; `persistent` for a callback (always woken when events come). It gets
    /// what was kept for its scope first. Returns its key.
    #[pyo3(signature = (conversation_id=None, persistent=false))]
    fn listen(&self, conversation_id: Option<String>, persistent: bool) -> u64 {
        let mut st = self.lock();
        Self::open_source(&mut st);
        let raw = matches!(st.source, Source::Raw(_));
        // What the source has now goes to the listeners there are, or is kept.
        self.pump(&mut st);
        let filter = filter_of(conversation_id, raw);
        let kept = match &filter {
            _ if st.heard(&filter) => Backlog::default(),
            Filter::Client => std::mem::take(&mut st.client),
            Filter::Conversation(c) => st.conversations.remove(c).unwrap_or_default(),
            Filter::All => Backlog::default(),
        };
        let key = st.next_key;
        st.next_key += 1;
        let mut queue = VecDeque::with_capacity(kept.events.len() + usize::from(kept.dropped > 0));
        if kept.dropped > 0 {
            let route = kept.events.front();
            queue.push_back(Routed {
                event: Event::Lagged { missed: kept.dropped },
                conversation_id: route.and_then(|r| r.conversation_id.clone()),
                to_client: route.is_none_or(|r| r.to_client),
            });
        }
        queue.extend(kept.events);
        let ended = matches!(st.source, Source::Ended);
        let since = match filter {
            Filter::Conversation(_) => self.session.upgrade().map(|s| s.state()),
            _ => None,
        };
        st.listeners.push(Listener {
            key,
            filter,
            since,
            queue,
            missed: 0,
            waiting: false,
            persistent,
            woken: false,
            ended,
        });
        if persistent {
            st.wake(key);
            self.pump(&mut st);
        }
        key
    }

    /// Stops a listener; what it had not taken is dropped.
    fn unlisten(&self, key: u64) {
        let mut st = self.lock();
        if let Some(i) = st.index(key) {
            st.listeners.remove(i);
        }
    }

    /// The listener's next event (a `Lagged` first when a stream's oldest events went), or
    /// None when it has none now (it is then woken, through `pump_woken`, when one comes or
    /// the feed ends).
    fn next(&self, py: Python<'_>, key: u64) -> PyResult<Option<Py<PyAny>>> {
        let event = {
            let mut st = self.lock();
            let Some(i) = st.index(key) else { return Ok(None) };
            if st.listeners[i].queue.is_empty() {
                self.pump(&mut st);
            }
            let Some(i) = st.index(key) else { return Ok(None) };
            let l = &mut st.listeners[i];
            if l.missed > 0 {
                Event::Lagged { missed: std::mem::take(&mut l.missed) }
            } else {
                match l.queue.pop_front() {
                    Some(r) => r.event,
                    None => {
                        l.waiting = !l.ended;
                        return Ok(None);
                    }
                }
            }
        };
        events::to_py(py, event).map(Some)
    }

    /// True once the listener has taken its last event (the feed ended), or is gone.
    fn ended(&self, key: u64) -> bool {
        let st = self.lock();
        st.index(key).is_none_or(|i| {
            let l = &st.listeners[i];
            l.ended && l.queue.is_empty() && l.missed == 0
        })
    }

    /// Routes what is ready and returns the keys of the listeners to wake: those waiting that
    /// got events or reached the end.
    fn pump_woken(&self) -> Vec<u64> {
        let mut st = self.lock();
        self.pump(&mut st);
        st.rung = false;
        let woken = std::mem::take(&mut st.woken);
        for k in &woken {
            if let Some(i) = st.index(*k) {
                let l = &mut st.listeners[i];
                l.woken = false;
                l.waiting = false;
            }
        }
        woken
    }

    /// Waits on this thread (the GIL released) for the listener's next event, at most
    /// `timeout` seconds (None: until one comes); None on timeout or at the end (see `ended`).
    /// Ctrl-C interrupts the wait.
    #[pyo3(signature = (key, timeout=None))]
    fn next_blocking(&self, py: Python<'_>, key: u64, timeout: Option<f64>) -> PyResult<Option<Py<PyAny>>> {
        let deadline = timeout.map(|t| Instant::now() + Duration::from_secs_f64(t.max(0.0)));
        loop {
            let seen = *self.shared.generation.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(e) = self.next(py, key)? {
                return Ok(Some(e));
            }
            if self.ended(key) {
                return Ok(None);
            }
            let slice = match deadline {
                Some(d) if Instant::now() >= d => return Ok(None),
                Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
                None => SLICE,
            };
            let shared = self.shared.clone();
            py.detach(move || {
                let g = shared.generation.lock().unwrap_or_else(PoisonError::into_inner);
                if *g == seen {
                    let _ = shared.changed.wait_timeout(g, slice);
                }
            });
            py.check_signals()?;
        }
    }
}
