//! A raw WebSocket server on loopback for conformance tests: it does the HTTP upgrade by hand
//! and then reads and writes frames byte by byte, so that it can send what a well-behaved
//! library refuses to send (oversized control frames, reserved bits and opcodes, masked
//! frames, broken fragmentation, invalid close codes) and see exactly what the client writes
//! back.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// How long any wait of the server lasts before the test gives up. Generous: the tests run on
/// a loaded two-core machine and assert outcomes, never durations.
pub const WAIT: Duration = Duration::from_secs(20);

/// Frame opcodes (RFC 6455 5.2).
pub mod op {
    /// Continuation.
    pub const CONT: u8 = 0x0;
    /// Text.
    pub const TEXT: u8 = 0x1;
    /// Binary.
    pub const BINARY: u8 = 0x2;
    /// Close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
    /// Pong.
    pub const PONG: u8 = 0xA;
}

/// The bytes of one frame as a server would write it. `rsv` holds RSV1..3 in its low three
/// bits (RSV1 = 0b100); `mask` masks the payload (servers must not).
pub fn frame(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = header(fin, rsv, opcode, mask.is_some(), payload.len() as u64);
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// The header of a frame announcing `len` payload bytes (without a masking key).
pub fn header(fin: bool, rsv: u8, opcode: u8, masked: bool, len: u64) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | ((rsv & 0b111) << 4) | (opcode & 0x0F)];
    let mask_bit = u8::from(masked) << 7;
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= u64::from(u16::MAX) {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    out
}

/// A final, unmasked text frame.
pub fn text(s: &str) -> Vec<u8> {
    frame(true, 0, op::TEXT, None, s.as_bytes())
}

/// A close frame with this payload (empty, a code, a code and a reason, or anything).
pub fn close_payload(code: Option<u16>, reason: &str) -> Vec<u8> {
    let mut p = Vec::new();
    if let Some(c) = code {
        p.extend_from_slice(&c.to_be_bytes());
        p.extend_from_slice(reason.as_bytes());
    }
    p
}

/// The hub's `socket_connected` frame, which makes the client Connected.
pub fn socket_connected(socket_id: &str) -> Vec<u8> {
    text(&format!(
        r#"{{"action":"receiveMessage","event":{{"event_type":"socket_connected","event_payload":{{"socket_id":"{socket_id}"}},"event_id":"e-{socket_id}"}}}}"#
    ))
}

/// A frame the client wrote, unmasked for reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFrame {
    /// FIN bit.
    pub fin: bool,
    /// RSV1..3 in the low three bits.
    pub rsv: u8,
    /// The opcode.
    pub opcode: u8,
    /// Whether the client masked it (it must: RFC 6455 5.1).
    pub masked: bool,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl ClientFrame {
    /// The status code of a close frame, when its payload has one.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == op::CLOSE && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }

    /// A short description for failure messages.
    pub fn describe(&self) -> String {
        let name = match self.opcode {
            op::CONT => "continuation",
            op::TEXT => "text",
            op::BINARY => "binary",
            op::CLOSE => "close",
            op::PING => "ping",
            op::PONG => "pong",
            _ => "reserved",
        };
        let mut s = format!("{name}(fin={}, masked={}, {} bytes", self.fin, self.masked, self.payload.len());
        if let Some(c) = self.close_code() {
            s.push_str(&format!(", code {c}"));
        }
        s.push(')');
        s
    }
}

/// How the client's side of a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// The client closed TCP (FIN).
    Eof,
    /// The connection was reset (RST: the client closed with unread data, or aborted).
    Reset,
}

/// Everything the client wrote until it closed TCP.
#[derive(Clone, Debug)]
pub struct Tail {
    /// The frames, in order.
    pub frames: Vec<ClientFrame>,
    /// How TCP ended.
    pub end: End,
}

impl Tail {
    /// The first close frame the client wrote, if any.
    pub fn close(&self) -> Option<&ClientFrame> {
        self.frames.iter().find(|f| f.opcode == op::CLOSE)
    }

    /// A description of what the client did, for failure messages.
    pub fn describe(&self) -> String {
        let frames: Vec<String> = self.frames.iter().map(ClientFrame::describe).collect();
        format!("frames [{}] then {:?}", frames.join(", "), self.end)
    }
}

/// One accepted connection, after the upgrade.
pub struct RawConn {
    stream: TcpStream,
    /// The request line and headers the client sent.
    pub request: String,
}

impl RawConn {
    /// Writes bytes as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.try_send(bytes).await.expect("the server writes to the client");
    }

    /// Writes bytes as they are; an error when the client is gone.
    pub async fn try_send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Writes each byte on its own (a separate TCP write each), to check that the client
    /// reassembles frames however they are cut.
    pub async fn send_byte_by_byte(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.send(std::slice::from_ref(b)).await;
        }
    }

    /// The next frame the client writes; `Err` when TCP ends first. Panics if nothing comes
    /// within [`WAIT`].
    pub async fn next_frame(&mut self) -> Result<ClientFrame, End> {
        match tokio::time::timeout(WAIT, read_frame(&mut self.stream)).await {
            Ok(r) => r,
            Err(_) => panic!("the client wrote nothing within {WAIT:?}"),
        }
    }

    /// The next frame, which must be there.
    pub async fn expect_frame(&mut self) -> ClientFrame {
        match self.next_frame().await {
            Ok(f) => f,
            Err(end) => panic!("the client closed TCP ({end:?}) instead of writing a frame"),
        }
    }

    /// Reads what the client writes after the server's close frame, as a server would: once
    /// the client's own close frame arrives, the server closes TCP first (RFC 6455 7.1.1) and
    /// reads on until the client's side ends too.
    pub async fn read_close_reply(&mut self) -> Tail {
        let mut frames = Vec::new();
        loop {
            match self.next_frame().await {
                Ok(f) => {
                    let close = f.opcode == op::CLOSE;
                    frames.push(f);
                    if close {
                        let _ = tokio::io::AsyncWriteExt::shutdown(&mut self.stream).await;
                    }
                }
                Err(end) => return Tail { frames, end },
            }
        }
    }

    /// Reads everything the client writes until it closes TCP. Panics if TCP stays open for
    /// [`WAIT`].
    pub async fn read_to_end(&mut self) -> Tail {
        let mut frames = Vec::new();
        loop {
            match self.next_frame().await {
                Ok(f) => frames.push(f),
                Err(end) => return Tail { frames, end },
            }
        }
    }

    /// True when the client has written nothing and kept TCP open for `d` (used to check that
    /// the client waits for something; never a measure of speed).
    pub async fn quiet_for(&mut self, d: Duration) -> bool {
        let mut b = [0u8; 1];
        tokio::time::timeout(d, self.stream.peek(&mut b)).await.is_err()
    }

    /// Closes TCP from the server's side.
    pub async fn shutdown(mut self) {
        let _ = self.stream.shutdown().await;
    }
}

async fn read_frame(s: &mut TcpStream) -> Result<ClientFrame, End> {
    let end = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => End::Reset,
        _ => End::Eof,
    };
    let mut h = [0u8; 2];
    s.read_exact(&mut h).await.map_err(end)?;
    let len = match h[1] & 0x7F {
        126 => {
            let mut b = [0u8; 2];
            s.read_exact(&mut b).await.map_err(end)?;
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            s.read_exact(&mut b).await.map_err(end)?;
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    assert!(len <= 16 << 20, "the client announced a frame of {len} bytes");
    let masked = h[1] & 0x80 != 0;
    let mut key = [0u8; 4];
    if masked {
        s.read_exact(&mut key).await.map_err(end)?;
    }
    let mut payload = vec![0u8; len as usize];
    s.read_exact(&mut payload).await.map_err(end)?;
    if masked {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    Ok(ClientFrame { fin: h[0] & 0x80 != 0, rsv: (h[0] >> 4) & 0b111, opcode: h[0] & 0x0F, masked, payload })
}

/// The server: accepts connections, upgrades them, and hands them to the test in order.
pub struct RawServer {
    port: u16,
    accepted: Arc<AtomicUsize>,
    conns: mpsc::UnboundedReceiver<RawConn>,
    task: JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawServer {
    /// Listens on a free loopback port.
    pub async fn start() -> RawServer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind loopback");
        let port = listener.local_addr().expect("local address").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (tx, conns) = mpsc::unbounded_channel();
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                if let Ok(conn) = upgrade(stream).await {
                    count.fetch_add(1, Ordering::SeqCst);
                    if tx.send(conn).is_err() {
                        return;
                    }
                }
            }
        });
        RawServer { port, accepted, conns, task }
    }

    /// The URL to give the client (without the API key, which the client appends).
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/dev", self.port)
    }

    /// WebSocket upgrades completed so far (the client's connection attempts that reached
    /// the WebSocket stage).
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The next upgraded connection. Panics if none comes within [`WAIT`].
    pub async fn next_conn(&mut self) -> RawConn {
        match tokio::time::timeout(WAIT, self.conns.recv()).await {
            Ok(Some(c)) => c,
            _ => panic!("no connection from the client within {WAIT:?}"),
        }
    }
}

/// Reads the HTTP upgrade request and answers 101 with the right `Sec-WebSocket-Accept`.
async fn upgrade(mut stream: TcpStream) -> std::io::Result<RawConn> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if buf.len() > 16 * 1024 || stream.read(&mut byte).await? == 0 {
            return Err(std::io::Error::other("no complete upgrade request"));
        }
        buf.push(byte[0]);
    }
    let request = String::from_utf8_lossy(&buf).into_owned();
    let key = request
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-key"))
        .map(|(_, v)| v.trim().to_owned())
        .ok_or_else(|| std::io::Error::other("no Sec-WebSocket-Key"))?;
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    stream.write_all(response.as_bytes()).await?;
    Ok(RawConn { stream, request })
}
