//! A fault-injecting TCP proxy for reliability tests: it sits on loopback between a client and
//! a hub (the local [`Sim`](crate::Sim) or any other server) and forwards bytes both ways, with
//! faults switched on and off while it runs:
//!
//! - **latency**: every chunk waits this long before it is written, each direction, order kept;
//! - **bandwidth**: each direction of each connection carries at most this many bytes a second;
//! - **blackhole**: nothing is forwarded either way and both sockets stay open (a half-open
//!   link) until it is switched off, when forwarding resumes with what was held back;
//!
//! and actions on the connections open now:
//!
//! - [`Proxy::reset_all`] closes every client socket with a TCP reset (`SO_LINGER` 0);
//! - [`Proxy::truncate_next_frame`] cuts each connection in the middle of the next WebSocket
//!   frame the server sends (the header and half the payload go through, then the connection
//!   is closed). The proxy follows the frames after the HTTP response head, so this needs plain
//!   `ws://`; through TLS it cuts the next chunk in half instead;
//! - [`Proxy::restart`] closes every connection and refuses new ones for a while, then accepts
//!   again on the same port;
//!
//! and counters ([`Proxy::stats`]): connections accepted and open, bytes each way, resets, cuts.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use captivate_sim::proxy::{Proxy, ProxyFaults};
//! use captivate_sim::{Sim, SimConfig};
//!
//! let sim = Sim::start(SimConfig::default()).await?;
//! let proxy = Proxy::start(format!("127.0.0.1:{}", sim.port())).await?;
//! let url = proxy.url_for(&sim.url()); // ws://127.0.0.1:<proxy port>/dev?apiKey=...
//! proxy.set_faults(ProxyFaults { latency: Duration::from_millis(50), ..ProxyFaults::default() });
//! proxy.reset_all();
//! # Ok(()) }
//! ```
//!
//! The same port answers HTTP control requests under `/proxy/` (a prefix the hub does not use;
//! every other request is forwarded), so tests in any language can drive it:
//! `POST /proxy/faults` with `{"latency_ms": N, "bandwidth_bps": N, "blackhole": bool}` (missing
//! fields are off; answers the faults now in force), `GET /proxy/faults`, `POST /proxy/reset`,
//! `POST /proxy/truncate`, `POST /proxy/restart?ms=N` (default 500) and `GET /proxy/stats`.
//! The proxy decides from a connection's first bytes, so the client must speak first (HTTP,
//! WebSocket and TLS clients do). From the command line: `captivate-sim proxy --port 0
//! --upstream 127.0.0.1:PORT` prints `127.0.0.1:PORT` of the proxy as its first line.

mod control;
mod cut;
mod pipe;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use cut::Cutter;
use pipe::{Cutting, PipeEnd, pipe};

/// Faults applied to the bytes forwarded, switched on and off at run time. All off by default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProxyFaults {
    /// Every chunk waits this long before it is written, each direction; order is kept.
    pub latency: Duration,
    /// Bytes per second each direction of each connection may carry; 0 for no limit.
    pub bandwidth: u64,
    /// Forward nothing either way, keeping both sockets open, until switched off.
    pub blackhole: bool,
}

impl ProxyFaults {
    /// Reads faults from the JSON of the control endpoint: `latency_ms`, `bandwidth_bps`,
    /// `blackhole`; missing fields are off.
    pub fn from_json(v: &Value) -> ProxyFaults {
        ProxyFaults {
            latency: Duration::from_millis(v.get("latency_ms").and_then(Value::as_u64).unwrap_or(0)),
            bandwidth: v.get("bandwidth_bps").and_then(Value::as_u64).unwrap_or(0),
            blackhole: v.get("blackhole").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    /// The JSON form read by [`ProxyFaults::from_json`].
    pub fn to_json(&self) -> Value {
        json!({
            "latency_ms": self.latency.as_millis() as u64,
            "bandwidth_bps": self.bandwidth,
            "blackhole": self.blackhole,
        })
    }
}

/// What the proxy has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted and forwarded (control requests are not counted).
    pub accepted: u64,
    /// Connections open now.
    pub live: usize,
    /// Bytes written to the upstream (client to server).
    pub bytes_up: u64,
    /// Bytes written to clients (server to client).
    pub bytes_down: u64,
    /// Connections closed with a reset by [`Proxy::reset_all`].
    pub resets: u64,
    /// Connections cut inside a frame by [`Proxy::truncate_next_frame`].
    pub truncated: u64,
}

impl ProxyStats {
    /// The JSON form served by `GET /proxy/stats`.
    pub fn to_json(&self) -> Value {
        json!({
            "accepted": self.accepted,
            "live": self.live,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "resets": self.resets,
            "truncated": self.truncated,
        })
    }
}

/// How a connection is told to end.
#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    /// Close both sockets (an ordinary close of the client socket).
    Close,
    /// Close the client socket with a TCP reset.
    Reset,
    /// The server's stream was cut inside a frame: end the client's stream after the part
    /// that went through, then close.
    Cut,
}

/// What the proxy keeps of one open connection.
struct Conn {
    end: mpsc::UnboundedSender<End>,
    truncate: Arc<AtomicBool>,
}

struct Shared {
    addr: SocketAddr,
    upstream: String,
    faults: watch::Sender<ProxyFaults>,
    conns: Mutex<HashMap<u64, Conn>>,
    /// The accept loop while listening; `stopped` once the proxy is dropped, so that a restart
    /// under way does not listen again.
    listener: Mutex<Listener>,
    next_id: AtomicU64,
    accepted: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    resets: AtomicU64,
    truncated: AtomicU64,
    /// Print nothing on standard error (see [`Proxy::set_quiet`]).
    quiet: std::sync::atomic::AtomicBool,
}

/// `eprintln!` unless the proxy is quiet.
macro_rules! proxy_note {
    ($shared:expr, $($arg:tt)*) => {
        if !$shared.quiet.load(Ordering::Relaxed) {
            eprintln!($($arg)*);
        }
    };
}

#[derive(Default)]
struct Listener {
    task: Option<JoinHandle<()>>,
    stopped: bool,
}

/// A running proxy. Stops when dropped: it stops listening and closes every connection.
pub struct Proxy {
    shared: Arc<Shared>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        {
            let mut l = self.shared.listener.lock().unwrap();
            l.stopped = true;
            if let Some(t) = l.task.take() {
                t.abort();
            }
        }
        // Each connection ends when it finds its sender gone.
        self.shared.conns.lock().unwrap().clear();
    }
}

impl Proxy {
    /// Starts a proxy on a free port of 127.0.0.1 forwarding to `upstream`: `host:port`, a
    /// socket address, or a URL (`ws://host:port/...`; the host and port are taken).
    pub async fn start(upstream: impl std::fmt::Display) -> std::io::Result<Proxy> {
        Proxy::start_on("127.0.0.1", 0, upstream).await
    }

    /// As [`Proxy::start`], on the given host address and port (0 picks a free one).
    pub async fn start_on(host: &str, port: u16, upstream: impl std::fmt::Display) -> std::io::Result<Proxy> {
        let upstream = authority(&upstream.to_string())?;
        let listener = TcpListener::bind((host, port)).await?;
        let shared = Arc::new(Shared {
            addr: listener.local_addr()?,
            upstream,
            faults: watch::channel(ProxyFaults::default()).0,
            conns: Mutex::new(HashMap::new()),
            listener: Mutex::new(Listener::default()),
            next_id: AtomicU64::new(1),
            accepted: AtomicU64::new(0),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            truncated: AtomicU64::new(0),
            quiet: std::sync::atomic::AtomicBool::new(false),
        });
        shared.listener.lock().unwrap().task = Some(spawn_accept_loop(shared.clone(), listener));
        Ok(Proxy { shared })
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.shared.addr.port()
    }

    /// Where it forwards to (`host:port`).
    pub fn upstream(&self) -> &str {
        &self.shared.upstream
    }

    /// The HTTP base of the proxy's control endpoints (`http://ADDR`; the paths start with
    /// `/proxy/`).
    pub fn http_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// `url` (say, the hub's `ws://127.0.0.1:PORT/dev?apiKey=KEY`) with its host and port
    /// replaced by the proxy's, for a client to connect through it. A `localhost` host is kept,
    /// so that a TLS client still checks the name on the hub's certificate.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (format!("{scheme}://"), rest),
            None => (String::new(), url),
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        let addr = self.shared.addr;
        if host == "localhost" && addr.ip().is_loopback() {
            format!("{scheme}localhost:{}{tail}", addr.port())
        } else {
            format!("{scheme}{addr}{tail}")
        }
    }

    /// Prints nothing on standard error (connections, resets, restarts) when `quiet`: for a
    /// proxy inside a test process, whose output is the tests'.
    pub fn set_quiet(&self, quiet: bool) {
        self.shared.quiet.store(quiet, Ordering::Relaxed);
    }

    /// Replaces the faults.
    pub fn set_faults(&self, faults: ProxyFaults) {
        self.shared.faults.send_replace(faults);
    }

    /// The faults in force.
    pub fn faults(&self) -> ProxyFaults {
        self.shared.faults.borrow().clone()
    }

    /// Closes every open client connection with a TCP reset (and its upstream connection);
    /// the number reset.
    pub fn reset_all(&self) -> usize {
        self.shared.end_all(End::Reset)
    }

    /// Has every open connection cut in the middle of the next WebSocket frame the server
    /// sends; the number of connections armed.
    pub fn truncate_next_frame(&self) -> usize {
        self.shared.truncate_next_frame()
    }

    /// Closes every connection and stops listening, so that connecting is refused; listens
    /// again on the same port after `down_for`. Returns as soon as the port refuses.
    pub async fn restart(&self, down_for: Duration) {
        self.shared.restart(down_for).await
    }

    /// The counters.
    pub fn stats(&self) -> ProxyStats {
        self.shared.stats()
    }
}

impl Shared {
    fn end_all(&self, end: End) -> usize {
        let conns = self.conns.lock().unwrap();
        conns.values().filter(|c| c.end.send(end).is_ok()).count()
    }

    fn truncate_next_frame(&self) -> usize {
        let conns = self.conns.lock().unwrap();
        conns.values().for_each(|c| c.truncate.store(true, Ordering::SeqCst));
        conns.len()
    }

    fn stats(&self) -> ProxyStats {
        ProxyStats {
            accepted: self.accepted.load(Ordering::SeqCst),
            live: self.conns.lock().unwrap().len(),
            bytes_up: self.bytes_up.load(Ordering::SeqCst),
            bytes_down: self.bytes_down.load(Ordering::SeqCst),
            resets: self.resets.load(Ordering::SeqCst),
            truncated: self.truncated.load(Ordering::SeqCst),
        }
    }

    async fn restart(self: &Arc<Self>, down_for: Duration) {
        let task = self.listener.lock().unwrap().task.take();
        if let Some(task) = task {
            task.abort();
            // Once the task is gone, so is its listener: connecting is refused from here on.
            let _ = task.await;
        }
        self.end_all(End::Close);
        proxy_note!(self, "proxy: restarting, down for {down_for:?}");
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(down_for).await;
            listen_again(weak).await;
        });
    }
}

/// Binds the proxy's port again after a restart, unless the proxy has been dropped meanwhile.
async fn listen_again(weak: Weak<Shared>) {
    let Some(shared) = weak.upgrade() else { return };
    let mut tries = 0;
    let listener = loop {
        match TcpListener::bind(shared.addr).await {
            Ok(l) => break l,
            // A later restart that ended sooner listens already.
            Err(_) if shared.listener.lock().unwrap().task.is_some() => return,
            Err(e) if tries < 50 => {
                tries += 1;
                proxy_note!(shared, "proxy: rebinding {}: {e}", shared.addr);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => {
                proxy_note!(shared, "proxy: could not listen again: {e}");
                return;
            }
        }
    };
    let mut l = shared.listener.lock().unwrap();
    if !l.stopped && l.task.is_none() {
        l.task = Some(spawn_accept_loop(shared.clone(), listener));
    }
}

/// `host:port` from `host:port` or a URL (the scheme's port when the URL names none).
fn authority(upstream: &str) -> std::io::Result<String> {
    let (scheme, rest) = match upstream.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, upstream),
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let has_port = authority.rsplit_once(':').is_some_and(|(h, p)| !h.ends_with(':') && p.parse::<u16>().is_ok());
    let default_port = match scheme {
        _ if has_port => None,
        Some("ws" | "http") => Some(80),
        Some("wss" | "https") => Some(443),
        _ => None,
    };
    match default_port {
        Some(p) => Ok(format!("{authority}:{p}")),
        None if has_port => Ok(authority.to_owned()),
        None => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("upstream {upstream:?}: expected host:port or a URL"),
        )),
    }
}

/// Spawns the accept loop. Boxed: a restart (asked for by a connection of this loop) spawns it
/// again, and the compiler cannot see through a future that contains itself.
fn spawn_accept_loop(shared: Arc<Shared>, listener: TcpListener) -> JoinHandle<()> {
    let task: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(accept_loop(shared, listener));
    tokio::spawn(task)
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(shared.clone(), tcp, peer));
    }
}

/// What a connection's first bytes say it is.
enum Kind {
    /// A request for the proxy's own control endpoints.
    Control,
    /// Anything else: forwarded. `http` if it looks like an HTTP request (so WebSocket frames
    /// can be followed in the answer).
    Forward { http: bool },
}

const CONTROL_PREFIXES: [&[u8]; 2] = [b"GET /proxy/", b"POST /proxy/"];

/// Reads from the client until its first bytes tell what the connection is; `None` if the
/// client left first.
async fn classify(client: &mut TcpStream) -> Option<(Kind, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if CONTROL_PREFIXES.iter().any(|p| buf.starts_with(p)) {
            return Some((Kind::Control, buf));
        }
        let could_be_control = CONTROL_PREFIXES.iter().any(|p| p.starts_with(&buf[..buf.len().min(p.len())]));
        if !could_be_control {
            let method = buf.iter().take_while(|b| b.is_ascii_uppercase()).count();
            let http = method > 0 && buf.get(method) == Some(&b' ');
            return Some((Kind::Forward { http }, buf));
        }
    }
}

async fn connection(shared: Arc<Shared>, mut client: TcpStream, peer: SocketAddr) {
    let Some((kind, first)) = classify(&mut client).await else { return };
    let http = match kind {
        Kind::Control => return control::serve(&shared, client, first).await,
        Kind::Forward { http } => http,
    };
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    let (end_tx, mut end_rx) = mpsc::unbounded_channel();
    let truncate = Arc::new(AtomicBool::new(false));
    shared.conns.lock().unwrap().insert(id, Conn { end: end_tx, truncate: truncate.clone() });
    shared.accepted.fetch_add(1, Ordering::SeqCst);
    proxy_note!(shared, "proxy: connection {id} from {peer}");
    let end = {
        let forward = forward(&shared, id, &mut client, first, http, truncate);
        tokio::select! {
            end = end_rx.recv() => end.unwrap_or(End::Close),
            end = forward => end,
        }
    };
    match end {
        End::Close => {}
        End::Reset => {
            // SO_LINGER 0: closing sends a reset instead of a FIN (and does not block).
            let _ = client.set_zero_linger();
            shared.resets.fetch_add(1, Ordering::SeqCst);
            proxy_note!(shared, "proxy: connection {id} reset");
        }
        End::Cut => {
            let _ = client.shutdown().await;
            shared.truncated.fetch_add(1, Ordering::SeqCst);
            proxy_note!(shared, "proxy: connection {id} cut inside a frame");
        }
    }
    drop(client);
    shared.conns.lock().unwrap().remove(&id);
}

/// Connects to the upstream and forwards both ways until the connection is over.
async fn forward(
    shared: &Shared,
    id: u64,
    client: &mut TcpStream,
    first: Vec<u8>,
    http: bool,
    truncate: Arc<AtomicBool>,
) -> End {
    let mut upstream = match TcpStream::connect(&shared.upstream).await {
        Ok(s) => s,
        Err(e) => {
            proxy_note!(shared, "proxy: connection {id}: cannot reach {}: {e}", shared.upstream);
            return End::Close;
        }
    };
    let _ = upstream.set_nodelay(true);
    let (client_r, client_w) = client.split();
    let (upstream_r, upstream_w) = upstream.split();
    let faults = shared.faults.subscribe();
    let up = pipe(client_r, upstream_w, first, faults.clone(), &shared.bytes_up, None);
    let cutting = Cutting { cutter: Cutter::new(http), armed: truncate };
    let down = pipe(upstream_r, client_w, Vec::new(), faults, &shared.bytes_down, Some(cutting));
    tokio::pin!(up, down);
    let (mut up_done, mut down_done) = (false, false);
    // Over when both directions have ended cleanly, or as soon as one fails or is cut.
    while !(up_done && down_done) {
        let end = tokio::select! {
            end = &mut up, if !up_done => { up_done = true; end }
            end = &mut down, if !down_done => { down_done = true; end }
        };
        match end {
            PipeEnd::Eof => {}
            PipeEnd::Failed => break,
            PipeEnd::Cut => return End::Cut,
        }
    }
    End::Close
}
