//! [`ReadAhead`]: large reads from the socket while data flows, no buffer while idle.
//!
//! The WebSocket codec reads through a small buffer (so that an idle connection costs little
//! memory), one system call per fill. This adapter reads straight into the codec's buffer while
//! frames are small and far apart (a round trip costs no copy and no allocation); once a read
//! fills that buffer (the hub is sending faster than it is read) it reads up to [`CHUNK`] bytes
//! at a time into its own buffer and hands them out from memory. That buffer is dropped as soon
//! as the socket has nothing more to read, unless the connection is busy (answers are awaited:
//! more is coming), and then once it is not. It also follows the frame boundaries of what it
//! hands out ([`Boundaries`]) and the size of the largest frame and write, so that the driver
//! knows when the codec holds nothing and whether its buffers grew.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::boundaries::Boundaries;

/// The most read from the socket at once.
pub(crate) const CHUNK: usize = 64 * 1024;

/// A stream whose reads are batched while data flows.
pub(crate) struct ReadAhead<S> {
    inner: S,
    /// Bytes read and not handed out yet are `buf[start..end]`; empty (no allocation) while
    /// idle.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// A read filled the caller's whole buffer: more is waiting, read in chunks until the
    /// socket runs dry.
    flowing: bool,
    /// More is expected soon: the buffer is kept when the socket runs dry.
    busy: bool,
    /// The frames of what was handed out.
    frames: Boundaries,
    /// The largest single write since [`ReadAhead::take_largest`].
    largest_write: usize,
}

impl<S> ReadAhead<S> {
    pub(crate) fn new(inner: S) -> Self {
        ReadAhead {
            inner,
            buf: Vec::new(),
            start: 0,
            end: 0,
            flowing: false,
            busy: false,
            frames: Boundaries::default(),
            largest_write: 0,
        }
    }

    /// Says whether more is expected soon. When not, the buffer is let go (at once if it holds
    /// nothing).
    pub(crate) fn set_busy(&mut self, busy: bool) {
        self.busy = busy;
        if !busy && self.start == self.end {
            self.idle();
        }
    }

    fn idle(&mut self) {
        self.buf = Vec::new();
        self.flowing = false;
    }

    /// The stream read from.
    pub(crate) fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The WebSocket handshake is over: `rest` (what was read past its response) is put back in
    /// front of what is still to be read, and frames are followed from here on.
    pub(crate) fn handshake_done(&mut self, rest: Vec<u8>) {
        debug_assert!(self.start == self.end);
        self.frames = Boundaries::default();
        self.largest_write = 0;
        if !rest.is_empty() {
            self.start = 0;
            self.end = rest.len();
            self.buf = rest;
        }
    }

    /// True when what was handed out ends between frames, outside any fragmented message.
    pub(crate) fn at_rest(&self) -> bool {
        self.frames.at_rest()
    }

    /// The largest frame payload read and the largest write since the last call.
    pub(crate) fn take_largest(&mut self) -> (u64, usize) {
        (self.frames.take_largest(), std::mem::take(&mut self.largest_write))
    }

    /// The largest frame payload read and the largest write since [`ReadAhead::take_largest`].
    pub(crate) fn largest(&self) -> (u64, usize) {
        (self.frames.largest(), self.largest_write)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadAhead<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = out.filled().len();
        let read = self.as_mut().fill(cx, out);
        if let Poll::Ready(Ok(())) = read {
            self.frames.feed(&out.filled()[before..]);
        }
        read
    }
}

impl<S: AsyncRead + Unpin> ReadAhead<S> {
    /// Reads into `out`, from the buffer or the socket.
    fn fill(&mut self, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self;
        if this.start == this.end {
            // Nothing kept: while data trickles in (or the caller asks for a chunk or more),
            // read straight into the caller's buffer; a read that fills it means more is
            // waiting, and the next reads fill chunks.
            let wanted = out.remaining();
            if !this.flowing || wanted >= CHUNK {
                let before = out.filled().len();
                let read = Pin::new(&mut this.inner).poll_read(cx, out);
                if matches!(read, Poll::Ready(Ok(()))) && wanted > 0 && out.filled().len() - before == wanted {
                    this.flowing = true;
                }
                return read;
            }
            if this.buf.len() < CHUNK {
                this.buf.resize(CHUNK, 0);
            }
            let mut rb = ReadBuf::new(&mut this.buf);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) => {
                    this.start = 0;
                    this.end = rb.filled().len();
                }
                Poll::Ready(Err(e)) => {
                    this.idle();
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => {
                    // Dry: the memory goes back, unless more is expected soon.
                    if !this.busy {
                        this.idle();
                    }
                    return Poll::Pending;
                }
            }
        }
        let n = out.remaining().min(this.end - this.start);
        out.put_slice(&this.buf[this.start..this.start + n]);
        this.start += n;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ReadAhead<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.largest_write = self.largest_write.max(data.len());
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.largest_write = self.largest_write.max(bufs.iter().map(|b| b.len()).sum());
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn hands_out_every_byte_in_order_and_keeps_nothing_while_idle() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let mut r = ReadAhead::new(a);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        b.write_all(&data).await.unwrap();
        let mut got = Vec::new();
        let mut small = [0u8; 1000];
        while got.len() < data.len() {
            let n = r.read(&mut small).await.unwrap();
            got.extend_from_slice(&small[..n]);
        }
        assert_eq!(got, data);
        assert!(r.flowing, "a burst switched to chunked reads");
        // Nothing more to read: the next read waits, and the buffer is gone.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), r.read(&mut small)).await;
        assert!(waiting.is_err());
        assert_eq!(r.buf.capacity(), 0);
        assert!(!r.flowing);
        // A small frame after the pause goes straight to the caller, no buffer kept.
        b.write_all(b"hello").await.unwrap();
        let n = r.read(&mut small).await.unwrap();
        assert_eq!(&small[..n], b"hello");
        assert_eq!(r.buf.capacity(), 0);
        // While busy, a burst's buffer is kept when the socket runs dry, and let go after.
        r.set_busy(true);
        b.write_all(&data).await.unwrap();
        let mut got = 0;
        while got < data.len() {
            got += r.read(&mut small).await.unwrap();
        }
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), r.read(&mut small)).await;
        assert!(waiting.is_err());
        assert_eq!(r.buf.len(), CHUNK, "kept while busy");
        r.set_busy(false);
        assert_eq!(r.buf.capacity(), 0);
        drop(b);
        assert_eq!(r.read(&mut small).await.unwrap(), 0, "end of stream");
    }
}
