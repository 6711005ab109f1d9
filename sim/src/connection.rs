//! One WebSocket connection of the hub: the upgrade, the outbox other parts of the hub queue
//! frames on, and the loop that reads the client's frames and writes the hub's.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use futures_util::{Sink, SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

use crate::{Head, Io, Shared, flow};

/// What a connection is told to do.
#[derive(Debug)]
pub(crate) enum Out {
    Text(String),
    Close(u16, String),
    Drop,
}

/// Where the rest of the hub queues what a connection should do.
///
/// A queue and a [`Notify`] rather than a channel: while the connection's own loop handles a
/// frame it is not waiting on the outbox, so the replies the flow queues meanwhile wake nobody
/// (a channel would wake the running task, and the runtime would wake another thread to steal
/// it). The loop takes them on its next turn.
#[derive(Default)]
pub(crate) struct Outbox {
    queue: Mutex<VecDeque<Out>>,
    ready: Notify,
}

impl Outbox {
    /// Queues `outs` in order and wakes the connection if it is waiting.
    pub(crate) fn send_all(&self, outs: impl IntoIterator<Item = Out>) {
        self.queue.lock().unwrap().extend(outs);
        self.ready.notify_one();
    }

    fn take(&self, into: &mut VecDeque<Out>) {
        into.append(&mut self.queue.lock().unwrap());
    }
}

pub(crate) async fn websocket(shared: Arc<Shared>, mut io: Box<dyn Io>, head: Head, rest: Vec<u8>, peer: SocketAddr) {
    let api_key = head.query("apiKey").unwrap_or_default();
    if !shared.config.accepts(&api_key) {
        note!(shared, "sim: {peer}: refused a wrong or missing API key");
        let _ = io
            .write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nUnauthorized")
            .await;
        return;
    }
    let Some(key) = head.header("sec-websocket-key") else {
        let _ = io.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
        return;
    };
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let resp = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if io.write_all(resp.as_bytes()).await.is_err() {
        return;
    }
    let ws = WebSocketStream::from_partially_read(io, rest, Role::Server, None).await;
    shared.accepted.fetch_add(1, Ordering::SeqCst);
    let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
    let outbox = Arc::new(Outbox::default());
    // The socket id names this connection to HTTP sends, even if the client is never told it.
    let socket_id = crate::frames::new_id();
    {
        let mut st = shared.state.lock().unwrap();
        st.conns.insert(id, outbox.clone());
        st.sockets.insert(socket_id.clone(), id);
        st.keys.insert(id, api_key);
    }
    note!(shared, "sim: connection {id} from {peer}");
    if !shared.faults().no_socket_connected {
        shared.send_event(id, "socket_connected", json!({"socket_id": socket_id}), false);
    }
    run_connection(&shared, id, ws, &outbox).await;
    {
        let mut st = shared.state.lock().unwrap();
        st.conns.remove(&id);
        // Under whatever id it has now (see `Sim::renew_socket_ids`).
        st.sockets.retain(|_, c| *c != id);
        st.keys.remove(&id);
    }
    note!(shared, "sim: connection {id} closed");
}

/// When a frame held in the connection loop may go out: at once, or not before an instant (a
/// reply delay).
type Due = Option<Instant>;

/// The connection loop: reads the client's frames and hands them to the flow, and writes what
/// the hub sends. With no reply delay a frame goes out as soon as it is queued (no timer); every
/// frame ready at once is written in one batch with one flush. A reply delay holds frames back
/// in order; drops are at once, closes wait only for the frames queued before them; a stall
/// neither reads nor writes (so pings go unanswered) until it ends.
async fn run_connection(shared: &Arc<Shared>, id: u64, ws: WebSocketStream<Box<dyn Io>>, outbox: &Outbox) {
    let (mut sink, mut stream) = ws.split();
    let mut faults_rx = shared.faults.subscribe();
    let mut frames = 0usize;
    let mut incoming = VecDeque::new();
    let mut held: VecDeque<(Due, Out)> = VecDeque::new();
    loop {
        let (stalled, delay) = {
            let f = faults_rx.borrow_and_update();
            (f.stall, f.reply_delay)
        };
        // Everything queued since the last turn, in order; a drop ends the connection at once.
        outbox.take(&mut incoming);
        let mut dropped = false;
        for o in incoming.drain(..) {
            let due = match o {
                Out::Text(_) if !delay.is_zero() => Some(Instant::now() + delay),
                Out::Text(_) | Out::Close(..) => None,
                Out::Drop => {
                    dropped = true;
                    break;
                }
            };
            held.push_back((due, o));
        }
        if stalled {
            if dropped {
                break;
            }
            // Neither read nor write; keep what should go out, and obey drops.
            tokio::select! {
                r = faults_rx.changed() => if r.is_err() { break },
                () = outbox.ready.notified() => {}
            }
            continue;
        }
        match write_due(&mut sink, &mut held).await {
            Written::More => {}
            Written::Closed => break,
        }
        if dropped {
            break;
        }
        let next_due = held.front().and_then(|(at, _)| *at);
        tokio::select! {
            r = faults_rx.changed() => if r.is_err() { break },
            () = outbox.ready.notified() => {}
            () = sleep_until(next_due), if next_due.is_some() => {}
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    frames += 1;
                    let dropping = shared.faults.borrow().drop_after_frames.is_some_and(|n| frames >= n);
                    match serde_json::from_str::<Value>(t.as_str()) {
                        Ok(v) => {
                            if !dropping {
                                flow::handle(shared, id, v);
                            }
                            // Logged once handled, so that whoever sees the log entry knows the
                            // replies to it are queued (they go out on the next turn).
                            shared.log_received(t.as_str().into());
                        }
                        Err(_) => note!(shared, "sim: connection {id}: malformed frame ignored"),
                    }
                    if dropping {
                        note!(shared, "sim: connection {id}: dropping after {frames} frames (fault)");
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                // A ping's pong is queued by the WebSocket layer and goes out on the next read.
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn sleep_until(at: Due) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}

/// What [`write_due`] left behind.
enum Written {
    /// The connection goes on.
    More,
    /// A close frame was sent, or writing failed: the connection is over.
    Closed,
}

/// Writes every held frame that is due, in order, then flushes once.
async fn write_due<S>(sink: &mut S, held: &mut VecDeque<(Due, Out)>) -> Written
where
    S: Sink<Message> + Unpin,
{
    let mut now = None;
    let mut fed = false;
    while let Some((at, _)) = held.front() {
        if let Some(at) = *at
            && at > *now.get_or_insert_with(Instant::now)
        {
            break;
        }
        let Some((_, o)) = held.pop_front() else { break };
        match o {
            Out::Text(t) => {
                if sink.feed(Message::Text(t.into())).await.is_err() {
                    return Written::Closed;
                }
                fed = true;
            }
            Out::Close(code, reason) => {
                let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
                let _ = sink.send(Message::Close(Some(frame))).await;
                return Written::Closed;
            }
            Out::Drop => return Written::Closed,
        }
    }
    if fed && sink.flush().await.is_err() {
        return Written::Closed;
    }
    Written::More
}
