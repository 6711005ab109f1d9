//! The driver: one tokio task per connection that owns the socket and the [`Engine`], runs
//! its timers, takes commands from the handles and delivers events to their streams.

mod http;
pub(crate) mod transport;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::SinkExt;
use futures_util::stream::{SplitStream, StreamExt};
use rustls::ClientConfig;
use serde_json::Value;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::config::Config;
use crate::engine::{Action, Completion, Engine, Expect, Output, RequestId, Route, Submit, TransportError};
use crate::error::{Error, Result};
use crate::event::{ConnectionState, Event};
use crate::protocol::Inbound;
use crate::stream::EventStream;
use transport::Ws;

/// Who a subscription listens to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// Client-level events: state changes, events naming no open conversation.
    Client,
    /// One conversation's events (and state changes).
    Conversation(String),
    /// Every frame from the hub, as decoded, before deduplication and routing.
    Raw,
}

pub(crate) enum Command {
    Connect,
    NetworkUp,
    Close(oneshot::Sender<()>),
    Submit(Submit, oneshot::Sender<Result<Completion>>),
    Cancel(RequestId),
    Attach(String),
    Subscribe(Scope, mpsc::UnboundedSender<Event>),
}

/// What the handles can read without asking the driver.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    pub(crate) state: ConnectionState,
    pub(crate) reason: Option<String>,
    pub(crate) error: Option<Error>,
    /// How many connect commands the driver has carried out (see [`Link::connect`]).
    pub(crate) connects: u64,
}

/// A handle to one driver (one connection). Dropping the last one closes the connection.
#[derive(Debug)]
pub(crate) struct Link {
    cmd: mpsc::UnboundedSender<Command>,
    snapshot: watch::Receiver<Snapshot>,
    next_id: AtomicU64,
    /// How many connect commands were sent to the driver.
    connects_sent: AtomicU64,
    pub(crate) config: Arc<Config>,
}

/// A request handed to the driver, awaiting its completion. Dropping it before that cancels
/// the request.
pub(crate) struct Submitted {
    rx: oneshot::Receiver<Result<Completion>>,
    cancel: Option<(mpsc::UnboundedSender<Command>, RequestId)>,
}

impl Future for Submitted {
    type Output = Result<Completion>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let r = std::task::ready!(Pin::new(&mut self.rx).poll(cx));
        self.cancel = None;
        std::task::Poll::Ready(r.unwrap_or(Err(Error::Closed)))
    }
}

impl Drop for Submitted {
    fn drop(&mut self) {
        if let Some((cmd, id)) = self.cancel.take() {
            let _ = cmd.send(Command::Cancel(id));
        }
    }
}

impl Link {
    /// Spawns a driver on `runtime`; it starts connecting when `connect`.
    pub(crate) fn spawn(
        runtime: &Handle,
        config: Arc<Config>,
        tls: Option<Arc<ClientConfig>>,
        connect: bool,
    ) -> Result<Link> {
        let url = config.connect_url()?;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (io_tx, io_rx) = mpsc::unbounded_channel();
        let engine = Engine::new(config.timings.clone(), now());
        let (snap_tx, snap_rx) =
            watch::channel(Snapshot { state: engine.state().clone(), reason: None, error: None, connects: 0 });
        let driver = Driver {
            engine,
            config: config.clone(),
            url,
            tls,
            cmd_rx,
            snapshot: snap_tx,
            waiters: HashMap::new(),
            close_waiters: Vec::new(),
            slots: HashMap::new(),
            raw_subs: Vec::new(),
            connecting: None,
            reader: None,
            writer: None,
            io_tx,
            io_rx,
            handles_gone: false,
            connects: 0,
        };
        if connect {
            cmd_tx.send(Command::Connect).map_err(|_| Error::Closed)?;
        }
        let connects_sent = AtomicU64::new(u64::from(connect));
        runtime.spawn(driver.run());
        Ok(Link { cmd: cmd_tx, snapshot: snap_rx, next_id: AtomicU64::new(1), connects_sent, config })
    }

    pub(crate) fn send(&self, c: Command) -> Result<()> {
        self.cmd.send(c).map_err(|_| Error::Closed)
    }

    /// Connects (again), or retries at once when waiting to reconnect.
    pub(crate) fn connect(&self) -> Result<()> {
        self.connects_sent.fetch_add(1, Ordering::SeqCst);
        self.send(Command::Connect)
    }

    /// True once the driver has carried out every connect command sent so far, so that a
    /// terminal state in the snapshot is not one from before the latest [`Link::connect`].
    pub(crate) fn settled_connects(&self, s: &Snapshot) -> bool {
        s.connects >= self.connects_sent.load(Ordering::SeqCst)
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }

    pub(crate) fn subscribe(&self, scope: Scope) -> EventStream {
        let (tx, rx) = mpsc::unbounded_channel();
        // If the driver is gone the stream simply ends.
        let _ = self.cmd.send(Command::Subscribe(scope, tx));
        EventStream::new(rx)
    }

    /// Submits a frame now (so that requests reach the driver in call order); the returned
    /// future resolves to its completion. Dropping it cancels the request: if it was still
    /// queued it is never sent.
    pub(crate) fn submit(&self, operation: &str, frame: Value, expect: Expect, timeout: Duration) -> Result<Submitted> {
        let frame = serde_json::to_string(&frame).map_err(|e| Error::Internal(e.to_string()))?;
        if frame.len() > self.config.max_frame_size {
            return Err(Error::FrameTooLarge { size: frame.len(), max: self.config.max_frame_size });
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let submit = Submit { id, operation: operation.to_owned(), frame, expect, timeout };
        self.send(Command::Submit(submit, tx))?;
        Ok(Submitted { rx, cancel: Some((self.cmd.clone(), id)) })
    }

    /// Waits until the state satisfies `done`; returns the snapshot that did.
    pub(crate) async fn wait_for(&self, mut done: impl FnMut(&Snapshot) -> bool) -> Snapshot {
        let mut rx = self.snapshot.clone();
        loop {
            {
                let s = rx.borrow_and_update();
                if done(&s) {
                    return s.clone();
                }
            }
            if rx.changed().await.is_err() {
                return rx.borrow().clone();
            }
        }
    }

    /// Closes gracefully and waits until closed.
    pub(crate) async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.send(Command::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// The engine's clock: monotonic, but never behind the wall clock's progress since the
/// process started, so that time spent with the machine asleep (which the monotonic clock does
/// not count on Linux) still expires the liveness deadline before the next write.
fn now() -> std::time::Instant {
    static START: std::sync::LazyLock<(std::time::Instant, std::time::SystemTime)> =
        std::sync::LazyLock::new(|| (tokio::time::Instant::now().into_std(), std::time::SystemTime::now()));
    let (mono_start, wall_start) = *START;
    let mono = tokio::time::Instant::now().into_std();
    let wall = wall_start.elapsed().unwrap_or_default();
    mono.max(mono_start + wall)
}

enum IoEvent {
    WriteFailed(u64, String),
    Fetched(u64, Inbound, std::result::Result<Value, String>),
}

type Connecting = Pin<Box<dyn Future<Output = (u64, std::result::Result<Ws, TransportError>)> + Send>>;

#[derive(Default)]
struct Slot {
    subs: Vec<mpsc::UnboundedSender<Event>>,
    backlog: VecDeque<Event>,
    dropped: u64,
}

struct Writer {
    generation: u64,
    tx: mpsc::UnboundedSender<Message>,
    task: JoinHandle<()>,
}

struct Driver {
    engine: Engine,
    config: Arc<Config>,
    url: String,
    tls: Option<Arc<ClientConfig>>,
    cmd_rx: mpsc::UnboundedReceiver<Command>,
    snapshot: watch::Sender<Snapshot>,
    waiters: HashMap<RequestId, oneshot::Sender<Result<Completion>>>,
    close_waiters: Vec<oneshot::Sender<()>>,
    slots: HashMap<Scope, Slot>,
    raw_subs: Vec<mpsc::UnboundedSender<Event>>,
    connecting: Option<Connecting>,
    reader: Option<(u64, SplitStream<Ws>)>,
    writer: Option<Writer>,
    io_tx: mpsc::UnboundedSender<IoEvent>,
    io_rx: mpsc::UnboundedReceiver<IoEvent>,
    handles_gone: bool,
    connects: u64,
}

enum Step {
    Command(Option<Command>),
    Opened(u64, std::result::Result<Ws, TransportError>),
    Read(u64, Option<std::result::Result<Message, tokio_tungstenite::tungstenite::Error>>),
    Io(IoEvent),
    Timer,
}

impl Driver {
    async fn run(mut self) {
        loop {
            self.pump();
            if self.handles_gone
                && (self.engine.state().is_terminal() || *self.engine.state() == ConnectionState::Initialized)
            {
                break;
            }
            let deadline = self.engine.poll_timeout();
            let step = {
                let cmd_rx = &mut self.cmd_rx;
                let connecting = &mut self.connecting;
                let reader = &mut self.reader;
                let io_rx = &mut self.io_rx;
                let accept_commands = !self.handles_gone;
                tokio::select! {
                    c = cmd_rx.recv(), if accept_commands => Step::Command(c),
                    (g, r) = async { match connecting.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => Step::Opened(g, r),
                    (g, m) = async { match reader.as_mut() { Some((g, r)) => (*g, r.next().await), None => std::future::pending().await } } => Step::Read(g, m),
                    Some(e) = io_rx.recv() => Step::Io(e),
                    _ = async { match deadline { Some(d) => tokio::time::sleep(d.saturating_duration_since(now())).await, None => std::future::pending().await } } => Step::Timer,
                }
            };
            self.step(step);
        }
        self.drop_transport();
        tracing::debug!("driver stopped");
    }

    fn step(&mut self, step: Step) {
        let t = now();
        match step {
            Step::Command(None) => {
                self.handles_gone = true;
                self.engine.close(t);
            }
            Step::Command(Some(c)) => self.command(c),
            Step::Opened(g, result) => {
                self.connecting = None;
                match result {
                    Ok(ws) if g == self.engine.generation() => {
                        let (mut sink, stream) = ws.split();
                        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
                        let io_tx = self.io_tx.clone();
                        let task = tokio::spawn(async move {
                            while let Some(m) = rx.recv().await {
                                if let Err(e) = sink.send(m).await {
                                    let _ = io_tx.send(IoEvent::WriteFailed(g, e.to_string()));
                                    return;
                                }
                            }
                        });
                        self.reader = Some((g, stream));
                        self.writer = Some(Writer { generation: g, tx, task });
                        self.engine.transport_opened(g, t);
                    }
                    Ok(_) => {}
                    Err(e) => self.engine.transport_failed(g, e, t),
                }
            }
            Step::Read(g, msg) => match msg {
                Some(Ok(Message::Text(text))) => self.engine.frame_received(g, text.as_str(), t),
                Some(Ok(Message::Binary(b))) => match std::str::from_utf8(&b) {
                    Ok(text) => self.engine.frame_received(g, text, t),
                    Err(_) => self.engine.activity(g, t),
                },
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) =
                        frame.map(|f| (Some(u16::from(f.code)), f.reason.to_string())).unwrap_or((None, String::new()));
                    self.reader = None;
                    self.engine.transport_closed(g, code.or(Some(1005)), &reason, t);
                }
                Some(Ok(Message::Pong(payload))) => {
                    let n = <[u8; 8]>::try_from(&payload[..]).ok().map(u64::from_be_bytes);
                    self.engine.pong_received(g, n, t);
                }
                Some(Ok(_)) => self.engine.activity(g, t),
                Some(Err(e)) => {
                    self.reader = None;
                    let msg = crate::error::redact(&e.to_string(), self.config.api_key.expose());
                    self.engine.transport_failed(g, TransportError::Other(format!("read failed: {msg}")), t);
                }
                None => {
                    self.reader = None;
                    self.engine.transport_closed(g, None, "", t);
                }
            },
            Step::Io(IoEvent::WriteFailed(g, e)) => {
                let msg = crate::error::redact(&e, self.config.api_key.expose());
                self.engine.transport_failed(g, TransportError::Other(format!("write failed: {msg}")), t);
            }
            Step::Io(IoEvent::Fetched(fetch, announcement, result)) => {
                self.engine.large_message_fetched(fetch, announcement, result)
            }
            Step::Timer => self.engine.handle_timeout(t),
        }
    }

    fn command(&mut self, c: Command) {
        let t = now();
        match c {
            Command::Connect => {
                self.engine.connect(t);
                self.connects += 1;
                // Publish the count together with the state it led to.
                self.pump();
                let n = self.connects;
                self.snapshot.send_modify(|s| s.connects = n);
            }
            Command::NetworkUp => self.engine.network_up(t),
            Command::Close(done) => {
                // Answered once the snapshot says closed (when the state change is published),
                // so that `state()` right after `close()` returns is `Closed`.
                if *self.engine.state() == ConnectionState::Closed {
                    let _ = done.send(());
                } else {
                    self.engine.close(t);
                    self.close_waiters.push(done);
                }
            }
            Command::Submit(s, done) => {
                let id = s.id;
                self.waiters.insert(id, done);
                if let Err(e) = self.engine.submit(s, t)
                    && let Some(w) = self.waiters.remove(&id)
                {
                    let _ = w.send(Err(e));
                }
            }
            Command::Cancel(id) => {
                self.waiters.remove(&id);
                self.engine.cancel(id);
            }
            Command::Attach(id) => self.engine.attach(&id),
            Command::Subscribe(Scope::Raw, tx) => {
                self.raw_subs.push(tx);
                self.engine.set_raw_frames(true);
            }
            Command::Subscribe(scope, tx) => {
                let slot = self.slots.entry(scope).or_default();
                if slot.dropped > 0 {
                    let _ = tx.send(Event::Lagged { missed: slot.dropped });
                    slot.dropped = 0;
                }
                for e in slot.backlog.drain(..) {
                    let _ = tx.send(e);
                }
                slot.subs.push(tx);
            }
        }
    }

    /// Carries out the engine's actions and delivers its outputs until both are drained.
    fn pump(&mut self) {
        loop {
            let mut busy = false;
            while let Some(a) = self.engine.poll_action() {
                busy = true;
                self.action(a);
            }
            while let Some(o) = self.engine.poll_output() {
                busy = true;
                self.output(o);
            }
            if !busy {
                break;
            }
        }
    }

    fn action(&mut self, a: Action) {
        match a {
            Action::Open { generation } => {
                self.drop_transport();
                let url = self.url.clone();
                let key = self.config.api_key.expose().to_owned();
                let tls = self.tls.clone();
                let max = self.config.max_frame_size;
                self.connecting =
                    Some(Box::pin(
                        async move { (generation, transport::connect(&url, &key, tls.as_ref(), max).await) },
                    ));
            }
            Action::Send(text) => self.write(Message::Text(text.into())),
            Action::Ping(n) => self.write(Message::Ping(n.to_be_bytes().to_vec().into())),
            Action::Close => {
                self.write(Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: "".into() })))
            }
            Action::Abort => self.drop_transport(),
            Action::FetchLargeMessage { fetch, url, announcement } => {
                let io_tx = self.io_tx.clone();
                if !self.config.fetch_large_messages {
                    let _ = io_tx.send(IoEvent::Fetched(
                        fetch,
                        announcement,
                        Err("fetching large messages is disabled".into()),
                    ));
                    return;
                }
                let key = self.config.api_key.expose().to_owned();
                let tls = self.tls.clone();
                let allow_plain = self.url.starts_with("ws://");
                let timeout = self.config.timings.request_timeout;
                tokio::spawn(async move {
                    let r = http::fetch_large_message(&url, &key, tls.as_ref(), allow_plain, timeout).await;
                    let _ = io_tx.send(IoEvent::Fetched(fetch, announcement, r));
                });
            }
        }
    }

    fn write(&mut self, m: Message) {
        match &self.writer {
            Some(w) if w.generation == self.engine.generation() => {
                let _ = w.tx.send(m);
            }
            _ => tracing::debug!("write without a transport dropped"),
        }
    }

    fn drop_transport(&mut self) {
        self.connecting = None;
        self.reader = None;
        if let Some(w) = self.writer.take() {
            w.task.abort();
        }
    }

    fn output(&mut self, o: Output) {
        match o {
            Output::State(change) => {
                let current = change.current.clone();
                let error = if current == ConnectionState::Failed {
                    self.engine.failure().cloned()
                } else {
                    self.engine.last_error().cloned()
                };
                self.snapshot.send_replace(Snapshot {
                    state: current.clone(),
                    reason: change.reason.clone(),
                    error,
                    connects: self.connects,
                });
                let event = Event::State(change);
                let keys: Vec<Scope> = self
                    .slots
                    .iter()
                    .filter(|(k, s)| matches!(k, Scope::Conversation(_)) && !s.subs.is_empty())
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in keys {
                    self.deliver_to(k, event.clone(), false);
                }
                self.deliver_to(Scope::Client, event, true);
                if current == ConnectionState::Closed {
                    // Closed by the application: `closed` was every stream's last event.
                    for slot in self.slots.values_mut() {
                        slot.subs.clear();
                    }
                    self.raw_subs.clear();
                    self.engine.set_raw_frames(false);
                }
                if current.is_terminal() {
                    self.drop_transport();
                    for w in self.close_waiters.drain(..) {
                        let _ = w.send(());
                    }
                }
            }
            Output::Deliver { event, route } => match route {
                Route::Client => self.deliver_to(Scope::Client, event, true),
                Route::Conversation(id) => self.deliver_to(Scope::Conversation(id), event, true),
                Route::Both(id) => {
                    self.deliver_to(Scope::Conversation(id), event.clone(), true);
                    self.deliver_to(Scope::Client, event, true);
                }
            },
            Output::Frame(inbound) => {
                self.raw_subs.retain(|s| !s.is_closed());
                if let Some((last, rest)) = self.raw_subs.split_last() {
                    for s in rest {
                        let _ = s.send(Event::Hub(inbound.clone()));
                    }
                    let _ = last.send(Event::Hub(inbound));
                } else {
                    self.engine.set_raw_frames(false);
                }
            }
            Output::Complete { id, result } => {
                if let Some(w) = self.waiters.remove(&id) {
                    let _ = w.send(result);
                }
            }
        }
    }

    fn deliver_to(&mut self, scope: Scope, event: Event, keep: bool) {
        let max = self.config.timings.max_backlog;
        let slot = self.slots.entry(scope).or_default();
        slot.subs.retain(|s| !s.is_closed());
        if slot.subs.is_empty() {
            if keep && max > 0 {
                if slot.backlog.len() >= max {
                    slot.backlog.pop_front();
                    slot.dropped += 1;
                }
                slot.backlog.push_back(event);
            }
            return;
        }
        let (last, rest) = slot.subs.split_last().expect("not empty");
        for s in rest {
            let _ = s.send(event.clone());
        }
        let _ = last.send(event);
    }
}
