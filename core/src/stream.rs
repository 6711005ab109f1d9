//! Streams of events.

use std::pin::Pin;
use std::task::{Context, Poll};

use std::collections::VecDeque;

use crate::event::{Event, Routed};
use crate::queue;

/// A stream of [`Event`]s from a client or a conversation.
///
/// It lives through drops and reconnects, and ends after the client is closed (the `closed`
/// state change is its last event; after [`crate::Client::reconnect`] make new streams) or when
/// every handle of the client is gone. Events that arrived before the first stream of a
/// conversation (or of the client) was created are delivered to that stream first, so nothing
/// said right after a conversation starts is lost.
///
/// A stream read more slowly than events come keeps the client's `max_backlog` of them waiting
/// (besides the batch it is handing out): past that the oldest go, and the stream gives an
/// [`Event::Lagged`] with their count before the events that follow them.
#[derive(Debug)]
pub struct EventStream {
    rx: queue::Receiver<Event>,
    /// Events taken from the queue and not read yet: the queue is emptied in one step when
    /// this runs out, so that a burst costs one exchange with the driver, not one per event.
    ready: VecDeque<Event>,
}

impl EventStream {
    pub(crate) fn new(rx: queue::Receiver<Event>) -> Self {
        EventStream { rx, ready: VecDeque::new() }
    }

    /// The next event; `None` once the stream has ended (client closed or gone).
    pub async fn next(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        if let Some(e) = self.ready.pop_front() {
            return Poll::Ready(Some(e));
        }
        match self.rx.poll_take_all(cx, &mut self.ready) {
            Poll::Ready(true) => Poll::Ready(self.next_taken()),
            Poll::Ready(false) => Poll::Ready(self.lagged()),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The first of a batch just taken, after a [`Event::Lagged`] for what the queue dropped
    /// before it.
    fn next_taken(&mut self) -> Option<Event> {
        self.lagged().or_else(|| self.ready.pop_front())
    }

    fn lagged(&mut self) -> Option<Event> {
        match self.rx.take_dropped() {
            0 => None,
            missed => Some(Event::Lagged { missed }),
        }
    }

    /// The next event if one is ready, without waiting.
    pub fn try_next(&mut self) -> Option<Event> {
        if let Some(e) = self.ready.pop_front() {
            return Some(e);
        }
        self.rx.take_all(&mut self.ready);
        self.next_taken()
    }

    /// The next event, waiting at most `timeout`; `None` on timeout or end.
    pub async fn next_timeout(&mut self, timeout: std::time::Duration) -> Option<Event> {
        tokio::time::timeout(timeout, self.next()).await.ok().flatten()
    }

    /// A blocking wait for the next event, for code outside async contexts (it must not be
    /// called from inside a tokio runtime thread).
    pub fn blocking_next(&mut self) -> Option<Event> {
        if let Some(e) = self.ready.pop_front() {
            return Some(e);
        }
        let next = self.rx.blocking_recv();
        match self.lagged() {
            Some(lagged) => {
                self.ready.extend(next);
                Some(lagged)
            }
            None => next,
        }
    }
}

impl futures_util::Stream for EventStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.poll_event(cx)
    }
}

/// The stream of [`crate::Client::all_events`]: every event of a client and its conversations,
/// each once, in the order the client produced them, with where it was routed. It ends as an
/// [`EventStream`] does.
#[derive(Debug)]
pub struct RoutedStream {
    rx: queue::Receiver<Routed>,
}

impl RoutedStream {
    pub(crate) fn new(rx: queue::Receiver<Routed>) -> Self {
        RoutedStream { rx }
    }

    /// The next event; `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<Routed> {
        self.rx.recv().await
    }

    /// The next event if one is ready, without waiting.
    pub fn try_next(&mut self) -> Option<Routed> {
        self.rx.try_recv().ok()
    }

    /// Every event ready now, appended to `into` in order (for delivery in batches); false
    /// once the stream has ended (nothing more will come after these).
    pub fn take_ready(&mut self, into: &mut VecDeque<Routed>) -> bool {
        let mut batch = VecDeque::new();
        self.rx.take_all(&mut batch);
        into.append(&mut batch);
        !self.rx.is_finished()
    }

    /// Takes every event ready now into `into` (which must be empty), or, when none is,
    /// arranges for the task (or any waker, such as one that signals another event loop) to be
    /// woken when one comes: delivery in batches with one wake-up per batch. Ready(false) once
    /// the stream has ended.
    pub fn poll_take_ready(&mut self, cx: &mut Context<'_>, into: &mut VecDeque<Routed>) -> Poll<bool> {
        self.rx.poll_take_all(cx, into)
    }

    /// The next event, waiting at most `timeout`; `None` on timeout or end.
    pub async fn next_timeout(&mut self, timeout: std::time::Duration) -> Option<Routed> {
        tokio::time::timeout(timeout, self.rx.recv()).await.ok().flatten()
    }

    /// A blocking wait for the next event, for code outside async contexts.
    pub fn blocking_next(&mut self) -> Option<Routed> {
        self.rx.blocking_recv()
    }

    /// Polls for the next event.
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Routed>> {
        self.rx.poll_recv(cx)
    }
}

impl futures_util::Stream for RoutedStream {
    type Item = Routed;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Routed>> {
        self.rx.poll_recv(cx)
    }
}
