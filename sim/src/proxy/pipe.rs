//! One direction of a proxied connection: read chunks from one socket, write them to the other,
//! with the faults applied on the way.
//!
//! Reading and writing run side by side, joined by a bounded queue: a chunk read is stamped with
//! the time it may be written (now plus the latency), so latency delays every chunk by the same
//! amount without holding up the reading of the next, and order is kept. The writer paces
//! itself to the bandwidth limit. In a blackhole neither side moves: nothing more is read, and
//! what was read waits; both go on when the blackhole ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::ProxyFaults;
use super::cut::Cutter;

/// How one direction ended.
#[derive(Debug, PartialEq)]
pub(crate) enum PipeEnd {
    /// The reading side closed cleanly; the writing side was shut down after the last byte.
    Eof,
    /// A socket failed.
    Failed,
    /// The stream was cut inside a frame (server to client only); the cut bytes went out.
    Cut,
}

enum Chunk {
    Data {
        bytes: Vec<u8>,
        due: Option<Instant>,
    },
    /// Write what came before, then end with [`PipeEnd::Cut`].
    Cut,
    Eof,
}

/// Server to client only: where to cut the stream and when.
pub(crate) struct Cutting {
    pub(crate) cutter: Cutter,
    /// Set to cut the next frame; cleared by the cutter when it takes it.
    pub(crate) armed: Arc<AtomicBool>,
}

/// Forwards `from` to `to` until one ends: `first` (bytes already read from `from`) goes
/// first. Bytes written are added to `counter`.
pub(crate) async fn pipe(
    from: impl AsyncRead + Unpin,
    to: impl AsyncWrite + Unpin,
    first: Vec<u8>,
    faults: watch::Receiver<ProxyFaults>,
    counter: &AtomicU64,
    cutting: Option<Cutting>,
) -> PipeEnd {
    let (tx, rx) = mpsc::channel(64);
    let read = read_side(from, tx, first, faults.clone(), cutting);
    let write = write_side(to, rx, faults, counter);
    tokio::pin!(read, write);
    tokio::select! {
        end = &mut write => end,
        read_ok = &mut read => if read_ok { write.await } else { PipeEnd::Failed },
    }
}

/// Reads chunks and queues them; false if reading failed.
async fn read_side(
    mut from: impl AsyncRead + Unpin,
    tx: mpsc::Sender<Chunk>,
    first: Vec<u8>,
    mut faults: watch::Receiver<ProxyFaults>,
    mut cutting: Option<Cutting>,
) -> bool {
    let mut pending = first;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if pending.is_empty() {
            // No reading in a blackhole: what the peer sends stays in the socket.
            let _ = faults.wait_for(|f| !f.blackhole).await;
            match from.read(&mut buf).await {
                Ok(0) => return tx.send(Chunk::Eof).await.is_ok(),
                Ok(n) => pending.extend_from_slice(&buf[..n]),
                Err(_) => return false,
            }
        }
        let latency = faults.borrow().latency;
        let due = (!latency.is_zero()).then(|| Instant::now() + latency);
        let cut = cutting.as_mut().and_then(|c| c.cutter.feed(&pending, &c.armed));
        let mut bytes = std::mem::take(&mut pending);
        if let Some(n) = cut {
            bytes.truncate(n);
        }
        if !bytes.is_empty() && tx.send(Chunk::Data { bytes, due }).await.is_err() {
            return false;
        }
        if cut.is_some() {
            return tx.send(Chunk::Cut).await.is_ok();
        }
    }
}

/// Writes queued chunks when they are due, paced to the bandwidth limit.
async fn write_side(
    mut to: impl AsyncWrite + Unpin,
    mut rx: mpsc::Receiver<Chunk>,
    mut faults: watch::Receiver<ProxyFaults>,
    counter: &AtomicU64,
) -> PipeEnd {
    while let Some(chunk) = rx.recv().await {
        let (bytes, due) = match chunk {
            Chunk::Data { bytes, due } => (bytes, due),
            Chunk::Cut => {
                let _ = to.flush().await;
                return PipeEnd::Cut;
            }
            Chunk::Eof => {
                let _ = to.shutdown().await;
                return PipeEnd::Eof;
            }
        };
        if let Some(due) = due {
            tokio::time::sleep_until(due).await;
        }
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let _ = faults.wait_for(|f| !f.blackhole).await;
            let bandwidth = faults.borrow().bandwidth;
            // With a limit, pieces of a twentieth of a second each, then a pause as long as the
            // piece would take at that rate.
            let n = if bandwidth == 0 { rest.len() } else { (bandwidth / 20).clamp(1, rest.len() as u64) as usize };
            // Counted before the write: once the other end has the bytes, the stats show them.
            counter.fetch_add(n as u64, Ordering::SeqCst);
            if to.write_all(&rest[..n]).await.is_err() {
                return PipeEnd::Failed;
            }
            rest = &rest[n..];
            if bandwidth != 0 {
                tokio::time::sleep(Duration::from_secs_f64(n as f64 / bandwidth as f64)).await;
            }
        }
    }
    // The reading side went away without an end of stream: it failed.
    PipeEnd::Failed
}
