//! The driver: one tokio task per connection that owns the socket and the [`Engine`], runs
//! its timers, takes commands from the handles and delivers events to their streams.
//!
//! It works in batches: the commands and frames that are ready are handed to the engine (a
//! slice of each at a time), the frames the engine wants written are buffered, and the socket is
//! flushed once. After a full slice it lets the other tasks run (the callers taking their events
//! and outcomes) before the next: a burst is carried out in step with its readers, so that what
//! is in flight stays small. The socket has no writer task of its own, and the one timer is
//! moved only when the next deadline comes earlier than the one it is set for.
//!
//! A frame counts as written once the flush that carries it is done: the engine is told
//! ([`Engine::flushed`]) when sends wait for it. A frame the socket refuses ends the connection
//! as a failed flush does; what the engine asked for and the driver had not carried out when a
//! connection ended is taken back by the engine, never written to another one.

mod boundaries;
mod clock;
mod completions;
mod readahead;
mod subscribers;
pub(crate) mod transport;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, Stream, StreamExt};
use rustls::ClientConfig;
use serde_json::Value;
use tokio::runtime::Handle;
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

use crate::config::Config;
use crate::engine::{Action, Completion, Done, Engine, Expect, Output, PostOutcome, RequestId, Submit, TransportError};
use crate::error::{Error, Result, redact};
use crate::event::{ConnectionState, Event, Routed};
use crate::http::{Http, send};
use crate::protocol::{self, Inbound};
use crate::queue;
use crate::stream::EventStream;
use completions::Completions;
pub(crate) use subscribers::Scope;
use subscribers::Subscribers;
use transport::Ws;

/// The most commands, and the most frames, handled before the socket is flushed and the other
/// tasks may run.
const BATCH: usize = 256;

/// How long a close handshake started by the hub may take to finish.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

pub(crate) enum Command {
    Connect,
    NetworkUp,
    Close(oneshot::Sender<()>),
    /// A request; its entry in the connection's [`Completions`] is open already.
    Submit(Box<Submit>),
    /// A message of text alone, encoded by the driver just before it goes to the engine (so
    /// that a burst of calls keeps no burst of frames); its entry is open already.
    Text(TextMessage),
    Cancel(RequestId),
    Attach(String),
    Subscribe(Scope, queue::Sender<Event>),
    SubscribeAll(queue::Sender<Routed>),
}

/// A `user_message` of text alone, before it is encoded.
pub(crate) struct TextMessage {
    id: RequestId,
    conversation: Arc<str>,
    client_msg_id: String,
    text: String,
    timeout: Duration,
}

impl TextMessage {
    /// The request it is.
    fn submit(self) -> Submit {
        let TextMessage { id, conversation, client_msg_id, text, timeout } = self;
        Submit {
            id,
            operation: "user_message".into(),
            frame: protocol::outbound::text_message(&conversation, &client_msg_id, &text),
            expect: Expect::Delivered { client_msg_id },
            timeout,
        }
    }
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
    cmd: queue::Sender<Command>,
    completions: Arc<Completions>,
    snapshot: watch::Receiver<Snapshot>,
    /// How many connect commands were sent to the driver.
    connects_sent: AtomicU64,
    pub(crate) config: Arc<Config>,
}

/// What a driver starts from: its engine, the socket already open (if any), how many connect
/// commands that counts as, and the engine's actions still to carry out.
struct Initial {
    engine: Engine,
    ws: Option<(u64, Ws)>,
    connects: u64,
    actions: Vec<Action>,
}

/// A request handed to the driver, awaiting its completion. Dropping it before that cancels
/// the request. Until then it keeps the connection open.
pub(crate) struct Submitted {
    /// The connection, until the outcome is taken.
    link: Option<Arc<Link>>,
    id: RequestId,
}

impl Submitted {
    /// The request's outcome, once it is there.
    pub(crate) fn poll_completion(&mut self, cx: &mut Context<'_>) -> Poll<Result<Completion>> {
        let Some(link) = &self.link else { return Poll::Ready(Err(Error::Closed)) };
        let r = std::task::ready!(link.completions.poll(self.id, cx));
        self.link = None;
        Poll::Ready(r)
    }
}

impl Future for Submitted {
    type Output = Result<Completion>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_completion(cx)
    }
}

impl Drop for Submitted {
    fn drop(&mut self) {
        if let Some(link) = self.link.take()
            && link.completions.forget(self.id)
        {
            let _ = link.cmd.send(Command::Cancel(self.id));
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
        let mut engine = Engine::new(config.timings.clone(), now());
        if connect {
            engine.connect(now());
        }
        let first = Initial { engine, ws: None, connects: u64::from(connect), actions: Vec::new() };
        Ok(Link::start(runtime, config, url, tls, first))
    }

    /// Opens the first connection on the caller's task, as a bare client would (no hand-off
    /// until it is up), then spawns the driver with it. Fails with that first attempt's error:
    /// [`Error::Rejected`] for a refused key, [`Error::Connect`], or a `connect` timeout.
    pub(crate) async fn connect_now(
        runtime: &Handle,
        config: Arc<Config>,
        tls: Option<Arc<ClientConfig>>,
    ) -> Result<Link> {
        let url = config.connect_url()?;
        let mut engine = Engine::new(config.timings.clone(), now());
        engine.connect(now());
        let generation = engine.generation();
        let key = config.api_key.expose();
        let timeout = config.timings.connect_timeout;
        let open = async {
            let mut ws = transport::connect(&url, key, tls.as_ref(), config.max_frame_size).await?;
            engine.transport_opened(generation, now());
            while !engine.state().is_connected() {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => engine.frame_received(generation, t.as_str(), now()),
                    Some(Ok(Message::Binary(b))) => engine.binary_received(generation, &b, now()),
                    Some(Ok(Message::Close(f))) => {
                        let code = f.map_or(1005, |f| u16::from(f.code));
                        return Err(TransportError::Other(format!(
                            "the hub closed the connection (code {code}) before socket_connected"
                        )));
                    }
                    Some(Ok(_)) => engine.activity(generation, now()),
                    Some(Err(e)) => return Err(TransportError::Other(redact(&format!("read failed: {e}"), key))),
                    None => return Err(TransportError::Other("the connection closed before socket_connected".into())),
                }
            }
            Ok(ws)
        };
        let ws = match tokio::time::timeout(timeout, open).await {
            Ok(Ok(ws)) => ws,
            Ok(Err(TransportError::Rejected { status })) => return Err(Error::Rejected { status }),
            Ok(Err(TransportError::Other(reason))) => return Err(Error::Connect(reason)),
            Err(_) => return Err(Error::timeout("connect", timeout)),
        };
        // The transport the engine asked for is this one; anything else it asked for is done
        // by the driver.
        let mut actions = Vec::new();
        while let Some(a) = engine.poll_action() {
            if !matches!(a, Action::Open { .. }) {
                actions.push(a);
            }
        }
        let first = Initial { engine, ws: Some((generation, ws)), connects: 1, actions };
        Ok(Link::start(runtime, config, url, tls, first))
    }

    fn start(
        runtime: &Handle,
        config: Arc<Config>,
        url: String,
        tls: Option<Arc<ClientConfig>>,
        first: Initial,
    ) -> Link {
        let Initial { engine, ws, connects, actions } = first;
        let (cmd_tx, cmd_rx) = queue::channel();
        let (io_tx, io_rx) = queue::channel();
        let completions = Arc::new(Completions::new(1));
        let (snap_tx, snap_rx) =
            watch::channel(Snapshot { state: engine.state().clone(), reason: None, error: None, connects });
        let driver = Driver {
            engine,
            config: config.clone(),
            url,
            tls,
            cmd_rx,
            batch: VecDeque::new(),
            snapshot: snap_tx,
            completions: completions.clone(),
            completed: Vec::new(),
            wakers: Vec::new(),
            close_waiters: Vec::new(),
            subscribers: Subscribers::new(config.timings.max_backlog),
            connecting: None,
            ws,
            unflushed: false,
            busy: false,
            read_dry: false,
            io_tx,
            io_rx,
            http: None,
            handles_gone: false,
            connects,
        };
        runtime.spawn(driver.run(actions));
        Link { cmd: cmd_tx, completions, snapshot: snap_rx, connects_sent: AtomicU64::new(connects), config }
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

    /// The current state, without copying the rest of the snapshot.
    pub(crate) fn state(&self) -> ConnectionState {
        self.snapshot.borrow().state.clone()
    }

    pub(crate) fn subscribe(&self, scope: Scope) -> EventStream {
        let (tx, rx) = queue::bounded(self.config.timings.max_backlog);
        // If the driver is gone the stream simply ends.
        let _ = self.cmd.send(Command::Subscribe(scope, tx));
        EventStream::new(rx)
    }

    /// Adds a listener of every event (see [`crate::Client::all_events`]).
    pub(crate) fn subscribe_all(&self, tx: queue::Sender<Routed>) {
        let _ = self.cmd.send(Command::SubscribeAll(tx));
    }

    /// Submits an encoded frame now (so that requests reach the driver in call order); the
    /// returned future resolves to its completion. Dropping it cancels the request: if it was
    /// still queued it is never sent.
    pub(crate) fn submit(
        self: &Arc<Self>,
        operation: impl Into<Cow<'static, str>>,
        frame: String,
        expect: Expect,
        timeout: Duration,
    ) -> Result<Submitted> {
        if frame.len() > self.config.max_frame_size {
            return Err(Error::FrameTooLarge { size: frame.len(), max: self.config.max_frame_size });
        }
        let id = self.completions.open()?;
        let submit = Submit { id, operation: operation.into(), frame, expect, timeout };
        self.hand_over(id, Command::Submit(Box::new(submit)))
    }

    /// Submits a message of text alone, as [`Link::submit`] a frame: it is encoded by the
    /// driver, and it completes when delivered.
    pub(crate) fn submit_text(
        self: &Arc<Self>,
        conversation: Arc<str>,
        client_msg_id: String,
        text: String,
        timeout: Duration,
    ) -> Result<Submitted> {
        let size = protocol::outbound::text_message_len(&conversation, &client_msg_id, &text);
        if size > self.config.max_frame_size {
            return Err(Error::FrameTooLarge { size, max: self.config.max_frame_size });
        }
        let id = self.completions.open()?;
        self.hand_over(id, Command::Text(TextMessage { id, conversation, client_msg_id, text, timeout }))
    }

    /// Hands request `id` (its entry open) to the driver.
    fn hand_over(self: &Arc<Self>, id: RequestId, command: Command) -> Result<Submitted> {
        if self.send(command).is_err() {
            self.completions.forget(id);
            return Err(Error::Closed);
        }
        Ok(Submitted { link: Some(self.clone()), id })
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

/// The engine's clock: counts the time the machine spends suspended, ignores steps of the wall
/// clock (see [`clock`]).
fn now() -> std::time::Instant {
    clock::now()
}

enum IoEvent {
    Fetched(u64, Box<Inbound>, std::result::Result<Value, String>),
    Posted(u64, PostOutcome),
}

type Connecting = Pin<Box<dyn Future<Output = (u64, std::result::Result<Ws, TransportError>)> + Send>>;

struct Driver {
    engine: Engine,
    config: Arc<Config>,
    url: String,
    tls: Option<Arc<ClientConfig>>,
    cmd_rx: queue::Receiver<Command>,
    /// Commands taken from the queue in one step, handled one by one.
    batch: VecDeque<Command>,
    snapshot: watch::Sender<Snapshot>,
    /// Where callers take their requests' outcomes.
    completions: Arc<Completions>,
    /// Outcomes not handed to `completions` yet (they go in batches).
    completed: Vec<Done>,
    /// Scratch space for waking callers.
    wakers: Vec<std::task::Waker>,
    close_waiters: Vec<oneshot::Sender<()>>,
    subscribers: Subscribers,
    connecting: Option<Connecting>,
    /// The open socket and its generation.
    ws: Option<(u64, Ws)>,
    /// Frames were written to the socket's buffer since its last flush.
    unflushed: bool,
    /// What the socket was last told: answers are awaited (its read buffer is kept).
    busy: bool,
    /// The socket's last read found nothing more: the codec has read every whole frame it
    /// holds.
    read_dry: bool,
    io_tx: queue::Sender<IoEvent>,
    io_rx: queue::Receiver<IoEvent>,
    /// The hub's HTTP services, made on first use.
    http: Option<Http>,
    handles_gone: bool,
    connects: u64,
}

enum Step {
    Command(Option<Command>),
    /// A connection attempt ended (boxed: a socket is large, and it comes once per connect).
    Opened(u64, Box<std::result::Result<Ws, TransportError>>),
    Read(u64, Option<std::result::Result<Message, tokio_tungstenite::tungstenite::Error>>),
    WriteFailed(u64, tokio_tungstenite::tungstenite::Error),
    /// What was written to the socket of that generation is flushed.
    Flushed(u64),
    Io(IoEvent),
    Timer,
    /// Commands taken from the queue earlier are still to be handled.
    Backlog,
}

/// Flushes what was written (ready with [`Step::Flushed`] when `report` asks for it), then
/// waits for the next frame.
fn poll_socket(ws: &mut Option<(u64, Ws)>, unflushed: &mut bool, report: bool, cx: &mut Context<'_>) -> Poll<Step> {
    if let Poll::Ready(step) = poll_flush(ws, unflushed, report, cx) {
        return Poll::Ready(step);
    }
    let Some((g, ws)) = ws.as_mut() else { return Poll::Pending };
    Pin::new(ws).poll_next(cx).map(|m| Step::Read(*g, m))
}

/// Flushes what was written; ready when the write failed, or, with `report`, when it is done
/// (the engine waits to hear it).
fn poll_flush(ws: &mut Option<(u64, Ws)>, unflushed: &mut bool, report: bool, cx: &mut Context<'_>) -> Poll<Step> {
    let Some((g, ws)) = ws.as_mut() else { return Poll::Pending };
    if *unflushed {
        match Pin::new(&mut *ws).poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                *unflushed = false;
                if report {
                    return Poll::Ready(Step::Flushed(*g));
                }
            }
            Poll::Ready(Err(e)) => {
                *unflushed = false;
                return Poll::Ready(Step::WriteFailed(*g, e));
            }
            Poll::Pending => {}
        }
    }
    Poll::Pending
}

/// The close frame that fails a connection after a read error the hub caused (RFC 6455 7.4.1:
/// 1002 a protocol violation, 1007 text that is not UTF-8, 1009 a message too big); `None`
/// when the connection itself broke.
fn failure_close(e: &tokio_tungstenite::tungstenite::Error) -> Option<CloseFrame> {
    use tokio_tungstenite::tungstenite::Error as E;
    let (code, reason) = match e {
        E::Protocol(_) => (CloseCode::Protocol, "protocol violation"),
        E::Utf8(_) => (CloseCode::Invalid, "text frame is not UTF-8"),
        E::Capacity(_) => (CloseCode::Size, "frame too large"),
        _ => return None,
    };
    Some(CloseFrame { code, reason: reason.into() })
}

impl Drop for Driver {
    /// Whatever way the driver ends, no caller is left waiting.
    fn drop(&mut self) {
        self.completions.fill(&mut self.completed, &mut self.wakers);
        self.completions.close();
    }
}

impl Driver {
    async fn run(mut self, actions: Vec<Action>) {
        for a in actions {
            self.action(a);
        }
        let sleep = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(sleep);
        // The deadline the timer is set for; it is moved only when an earlier one comes, and a
        // wake-up before anything is due just sets it again.
        let mut armed: Option<std::time::Instant> = None;
        loop {
            self.pump();
            if self.handles_gone
                && (self.engine.state().is_terminal() || *self.engine.state() == ConnectionState::Initialized)
            {
                break;
            }
            let busy = self.engine.awaiting_answers();
            if busy != self.busy
                && let Some((_, ws)) = &mut self.ws
            {
                ws.get_mut().set_busy(busy);
                self.busy = busy;
            }
            if !busy && self.read_dry {
                self.let_go_of_large_buffers().await;
            }
            if let Some(d) = self.engine.poll_timeout()
                && armed.is_none_or(|a| d < a)
            {
                armed = Some(d);
                let wait = d.saturating_duration_since(now());
                sleep.as_mut().reset(tokio::time::Instant::now() + wait);
            }
            let report = self.engine.awaits_flush();
            let step = {
                let Driver { cmd_rx, connecting, ws, unflushed, io_rx, handles_gone, batch, .. } = &mut self;
                // Commands already taken go first: none is received before them.
                let backlog = !batch.is_empty();
                let accept_commands = !*handles_gone && !backlog;
                tokio::select! {
                    biased;
                    s = poll_fn(|cx| poll_socket(ws, unflushed, report, cx)) => s,
                    c = cmd_rx.recv(), if accept_commands => Step::Command(c),
                    (g, r) = async { match connecting.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => Step::Opened(g, Box::new(r)),
                    Some(e) = io_rx.recv() => Step::Io(e),
                    _ = &mut sleep, if armed.is_some() => {
                        armed = None;
                        Step::Timer
                    }
                    () = std::future::ready(()), if backlog => Step::Backlog,
                }
            };
            self.step(step, now());
            if self.drain_ready() {
                // More is waiting: what this slice wrote goes out, and the tasks woken meanwhile
                // run first.
                self.pump();
                self.flush_now();
                tokio::task::yield_now().await;
            }
        }
        self.drop_transport();
        tracing::debug!("driver stopped");
    }

    /// Once the connection is quiet after a frame larger than the codec's starting buffers
    /// (every frame read, no message half received, nothing left to send, no answer awaited),
    /// makes the codec anew over the same stream: the buffers it grew for that frame go back,
    /// instead of being kept at the size of the largest frame for as long as the connection
    /// lasts. Nothing is lost: the codec holds no byte of the stream at that point.
    async fn let_go_of_large_buffers(&mut self) {
        let Some((g, ws)) = self.ws.as_mut() else { return };
        let (read, written) = ws.get_ref().largest();
        let large = read > transport::READ_BUFFER as u64 || written > transport::WRITE_BUFFER;
        if !large || self.unflushed || !ws.get_ref().at_rest() || !self.engine.state().is_connected() {
            return;
        }
        // Whatever the codec still owes (a pong) goes out first; if it cannot now, the loop
        // finishes the flush and this waits for the next quiet moment.
        let flushed = Pin::new(&mut *ws).poll_flush(&mut Context::from_waker(futures_util::task::noop_waker_ref()));
        match flushed {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => {
                let g = *g;
                self.step(Step::WriteFailed(g, e), now());
                return;
            }
            Poll::Pending => {
                self.unflushed = true;
                return;
            }
        }
        let Some((g, ws)) = self.ws.take() else { return };
        let config = *ws.get_config();
        let mut io = ws.into_inner();
        io.take_largest();
        let ws = tokio_tungstenite::WebSocketStream::from_raw_socket(io, Role::Client, Some(config)).await;
        self.ws = Some((g, ws));
        tracing::trace!(read, written, "codec buffers let go after a large frame");
    }

    /// Flushes what was written, without waiting: the loop finishes the flush if the socket is
    /// not ready for it now.
    fn flush_now(&mut self) {
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        let report = self.engine.awaits_flush();
        if let Poll::Ready(step) = poll_flush(&mut self.ws, &mut self.unflushed, report, &mut cx) {
            self.step(step, now());
        }
    }

    /// Hands the engine a slice of the commands and of the frames that are ready now, without
    /// waiting (the socket is flushed afterwards); true when more are waiting. The clock is
    /// read once per slice.
    fn drain_ready(&mut self) -> bool {
        if !self.handles_gone {
            // The queue is emptied in one step, and its commands handled a slice at a time,
            // each slice carried out before the next: what the engine asks for does not pile up
            // behind a burst of calls.
            if self.batch.is_empty() {
                self.cmd_rx.take_all(&mut self.batch);
            }
            let t = now();
            for _ in 0..BATCH {
                let Some(c) = self.batch.pop_front() else { break };
                self.command(c, t);
            }
            if self.batch.is_empty()
                && let Err(queue::TryRecvError::Disconnected) = self.cmd_rx.try_recv().map(|c| self.command(c, t))
            {
                self.step(Step::Command(None), t);
            }
        }
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        let t = now();
        let mut frames = 0;
        while frames < BATCH {
            let Some((g, ws)) = self.ws.as_mut() else { break };
            // A pending read here registers nothing that matters: the loop polls the socket
            // again with its own waker before it sleeps.
            match Pin::new(ws).poll_next(&mut cx) {
                Poll::Ready(m) => {
                    let g = *g;
                    self.read_dry = false;
                    self.step(Step::Read(g, m), t);
                    frames += 1;
                }
                Poll::Pending => {
                    self.read_dry = true;
                    break;
                }
            }
        }
        !self.batch.is_empty() || frames == BATCH
    }

    fn step(&mut self, step: Step, t: std::time::Instant) {
        match step {
            Step::Command(None) => {
                self.handles_gone = true;
                self.engine.close(t);
            }
            Step::Command(Some(c)) => self.command(c, t),
            Step::Opened(g, result) => {
                self.connecting = None;
                match *result {
                    Ok(ws) if g == self.engine.generation() => {
                        self.ws = Some((g, ws));
                        self.unflushed = false;
                        self.busy = false;
                        self.read_dry = false;
                        self.engine.transport_opened(g, t);
                    }
                    Ok(_) => {}
                    Err(e) => self.engine.transport_failed(g, e, t),
                }
            }
            Step::Read(g, msg) => match msg {
                Some(Ok(Message::Text(text))) => {
                    #[cfg(feature = "autobahn-echo")]
                    self.write(Message::Text(text.clone()));
                    self.engine.frame_received(g, text.as_str(), t)
                }
                Some(Ok(Message::Binary(b))) => {
                    #[cfg(feature = "autobahn-echo")]
                    self.write(Message::Binary(b.clone()));
                    self.engine.binary_received(g, &b, t)
                }
                Some(Ok(Message::Pong(payload))) => {
                    let n = <[u8; 8]>::try_from(&payload[..]).ok().map(u64::from_be_bytes);
                    self.engine.pong_received(g, n, t);
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) =
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()));
                    // The hub began the close: tungstenite has queued the echo of its close
                    // frame (RFC 6455 5.5.1; 1002 for an invalid code); it is finished off the
                    // driver, then TCP closes.
                    self.finish_close(None);
                    self.engine.transport_closed(g, Some(code), &reason, t);
                }
                Some(Ok(_)) => self.engine.activity(g, t),
                Some(Err(e)) => {
                    let msg = redact(&e.to_string(), self.config.api_key.expose());
                    self.finish_close(failure_close(&e));
                    self.engine.transport_failed(g, TransportError::Other(format!("read failed: {msg}")), t);
                }
                None => {
                    self.ws = None;
                    self.engine.transport_closed(g, None, "", t);
                }
            },
            Step::WriteFailed(g, e) => {
                let msg = redact(&e.to_string(), self.config.api_key.expose());
                self.ws = None;
                self.engine.transport_failed(g, TransportError::Other(format!("write failed: {msg}")), t);
            }
            Step::Flushed(g) => self.engine.flushed(g, t),
            Step::Io(IoEvent::Fetched(fetch, announcement, result)) => {
                self.engine.large_message_fetched(fetch, *announcement, result)
            }
            Step::Io(IoEvent::Posted(post, outcome)) => self.engine.post_result(post, outcome, t),
            Step::Timer => self.engine.handle_timeout(t),
            Step::Backlog => {}
        }
    }

    fn command(&mut self, c: Command, t: std::time::Instant) {
        match c {
            Command::Connect => {
                // What happened before this connect is published first, with the count and
                // the error of its time (a failure not published yet must not pass for this
                // connect's outcome, nor lose its error when the connect clears it).
                self.pump();
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
            Command::Submit(s) => self.submit(*s, t),
            Command::Text(m) => self.submit(m.submit(), t),
            Command::Cancel(id) => self.engine.cancel(id),
            Command::Attach(id) => self.engine.attach(&id),
            Command::SubscribeAll(tx) => {
                let ended = *self.engine.state() == ConnectionState::Closed;
                self.subscribers.subscribe_all(tx, ended);
            }
            Command::Subscribe(scope, tx) => {
                let raw = scope == Scope::Raw;
                // After a close, a new stream gets what was kept for it and then ends.
                let ended = *self.engine.state() == ConnectionState::Closed;
                self.subscribers.subscribe(scope, tx, ended);
                if raw && !ended {
                    self.engine.set_raw_frames(true);
                }
            }
        }
    }

    fn submit(&mut self, s: Submit, t: std::time::Instant) {
        let id = s.id;
        if let Err(e) = self.engine.submit(s, t) {
            self.completed.push((id, Err(Box::new(e))));
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
        if !self.completed.is_empty() {
            self.completions.fill(&mut self.completed, &mut self.wakers);
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
            Action::Abort => {
                // Given up on (a dead link, a close or connect that never finished): a reset,
                // so that nothing still unsent reaches the hub after its calls were failed.
                if let Some((_, ws)) = &self.ws {
                    ws.get_ref().reset_on_drop();
                }
                self.drop_transport()
            }
            Action::FetchLargeMessage { fetch, url, announcement } => {
                let io_tx = self.io_tx.clone();
                if !self.config.fetch_large_messages {
                    let why = Err("fetching large messages is disabled".into());
                    let _ = io_tx.send(IoEvent::Fetched(fetch, announcement, why));
                    return;
                }
                let http = match self.http() {
                    Ok(h) => h.clone(),
                    Err(e) => {
                        let _ = io_tx.send(IoEvent::Fetched(fetch, announcement, Err(e.to_string())));
                        return;
                    }
                };
                tokio::spawn(async move {
                    let r = crate::http::fetch_large_message(&http, &url).await;
                    let _ = io_tx.send(IoEvent::Fetched(fetch, announcement, r));
                });
            }
            Action::Post { post, frame, socket_id } => {
                let io_tx = self.io_tx.clone();
                let http = match self.http() {
                    Ok(h) => h.clone(),
                    Err(e) => {
                        let _ = io_tx.send(IoEvent::Posted(post, PostOutcome::NotSent(e.to_string())));
                        return;
                    }
                };
                tokio::spawn(async move {
                    let outcome = send::post(&http, &frame, &socket_id).await;
                    let _ = io_tx.send(IoEvent::Posted(post, outcome));
                });
            }
        }
    }

    /// The client's HTTP side, made on first use.
    fn http(&mut self) -> crate::Result<&Http> {
        if self.http.is_none() {
            self.http = Some(Http::new(self.config.clone())?);
        }
        Ok(self.http.as_ref().expect("set above"))
    }

    /// Buffers a frame on the current socket; the loop flushes it. A frame the socket refuses
    /// ends the connection, as a failed flush does: the engine takes back what it has not
    /// handed out yet, and settles what it has per the delivery policy.
    fn write(&mut self, m: Message) {
        match &mut self.ws {
            Some((g, ws)) if *g == self.engine.generation() => {
                let g = *g;
                match Pin::new(ws).start_send(m) {
                    Ok(()) => self.unflushed = true,
                    Err(e) => self.step(Step::WriteFailed(g, e), now()),
                }
            }
            // The engine asks for writes only while its transport is open; the driver drops
            // the socket only together with telling the engine.
            _ => tracing::debug!("write without a transport dropped"),
        }
    }

    /// The socket is done with: a close handshake the hub began is finished off the driver
    /// (the queued echo of the hub's close frame is flushed, and TCP closes once the hub closes
    /// its side or after a short linger); after a protocol violation, `fail` is the close frame
    /// that tells the hub why (RFC 6455 7.1.7).
    fn finish_close(&mut self, fail: Option<CloseFrame>) {
        if let Some((_, mut ws)) = self.ws.take() {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(CLOSE_LINGER, async {
                    match fail {
                        Some(frame) => {
                            let _ = ws.close(Some(frame)).await;
                        }
                        None => {
                            let _ = poll_fn(|cx| Pin::new(&mut ws).poll_flush(cx)).await;
                            while ws.next().await.is_some() {}
                        }
                    }
                })
                .await;
            });
        }
    }

    fn drop_transport(&mut self) {
        self.connecting = None;
        self.ws = None;
        self.unflushed = false;
    }

    #[inline]
    fn output(&mut self, o: Output) {
        match o {
            // First: one pong may complete thousands of messages.
            Output::Complete { id, result } => self.completed.push((id, result)),
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
                self.subscribers.state(Event::State(change));
                if current == ConnectionState::Closed {
                    // Closed by the application: `closed` was every stream's last event.
                    self.subscribers.end_all();
                    self.engine.set_raw_frames(false);
                }
                if current.is_terminal() {
                    if current == ConnectionState::Closed {
                        // The close handshake is over (or timed out): nothing more to read.
                        self.drop_transport();
                    } else {
                        self.finish_close(None);
                        self.drop_transport();
                    }
                    for w in self.close_waiters.drain(..) {
                        let _ = w.send(());
                    }
                }
            }
            Output::Deliver { event, route } => self.subscribers.deliver(event, route),
            Output::Frame(inbound) => {
                if !self.subscribers.raw(inbound) {
                    self.engine.set_raw_frames(false);
                }
            }
        }
    }
}
