//! Streams of events.

use std::pin::Pin;
use std::task::{Context, Poll};

use crate::event::Event;
use crate::queue;

/// A stream of [`Event`]s from a client or a conversation.
///
/// It lives through drops and reconnects, and ends after the client is closed (the `closed`
/// state change is its last event; after [`crate::Client::reconnect`] make new streams) or when
/// every handle of the client is gone. Events that arrived before the first stream of a
/// conversation (or of the client) was created are delivered to that stream first, so nothing
/// said right after a conversation starts is lost.
#[derive(Debug)]
pub struct EventStream {
    rx: queue::Receiver<Event>,
}

impl EventStream {
    pub(crate) fn new(rx: queue::Receiver<Event>) -> Self {
        EventStream { rx }
    }

    /// The next event; `None` once the stream has ended (client closed or gone).
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// The next event if one is ready, without waiting.
    pub fn try_next(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }

    /// The next event, waiting at most `timeout`; `None` on timeout or end.
    pub async fn next_timeout(&mut self, timeout: std::time::Duration) -> Option<Event> {
        tokio::time::timeout(timeout, self.rx.recv()).await.ok().flatten()
    }

    /// A blocking wait for the next event, for code outside async contexts (it must not be
    /// called from inside a tokio runtime thread).
    pub fn blocking_next(&mut self) -> Option<Event> {
        self.rx.blocking_recv()
    }
}

impl futures_util::Stream for EventStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}
