//! A queue between tasks and threads that allocates nothing until it is used, and lets its
//! receiver take everything waiting in one step.
//!
//! It carries the commands from the handles to a connection's driver and the events from the
//! driver to each stream. Compared with a general-purpose channel it keeps idle connections
//! and streams small (an empty queue holds no buffer) and hands the driver whole batches.
//! Unbounded, or ([`bounded`]) keeping at most a number of items: past that the oldest go,
//! counted for the receiver ([`Receiver::take_dropped`]), so that a receiver that falls behind
//! costs bounded memory and the sender never waits.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

struct State<T> {
    items: VecDeque<T>,
    /// The most items kept ([`usize::MAX`]: unbounded).
    limit: usize,
    /// Items dropped to keep the limit, not told to the receiver yet.
    dropped: u64,
    senders: usize,
    receiver: bool,
    /// A thread waits in [`Receiver::blocking_recv`].
    blocked: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    waker: AtomicWaker,
    wakeup: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn notify(&self, blocked: bool) {
        self.waker.wake();
        if blocked {
            self.wakeup.notify_one();
        }
    }
}

/// The sending side; cheap to clone.
pub(crate) struct Sender<T>(Arc<Shared<T>>);

/// The receiving side.
pub(crate) struct Receiver<T>(Arc<Shared<T>>);

/// A new unbounded queue.
pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    bounded(usize::MAX)
}

/// A new queue keeping at most `limit` items (at least one): a send past that drops the oldest.
pub(crate) fn bounded<T>(limit: usize) -> (Sender<T>, Receiver<T>) {
    let state =
        State { items: VecDeque::new(), limit: limit.max(1), dropped: 0, senders: 1, receiver: true, blocked: false };
    let shared = Arc::new(Shared { state: Mutex::new(state), waker: AtomicWaker::new(), wakeup: Condvar::new() });
    (Sender(shared.clone()), Receiver(shared))
}

impl<T> Sender<T> {
    /// Queues `item`; gives it back when the receiver is gone.
    pub(crate) fn send(&self, item: T) -> Result<(), T> {
        let mut st = self.0.lock();
        if !st.receiver {
            return Err(item);
        }
        let oldest = if st.items.len() >= st.limit {
            st.dropped += 1;
            st.items.pop_front()
        } else {
            None
        };
        st.items.push_back(item);
        let blocked = st.blocked;
        drop(st);
        // Dropped outside the lock, as the receiver's drop does.
        drop(oldest);
        self.0.notify(blocked);
        Ok(())
    }

    /// True when the receiver is gone.
    pub(crate) fn is_closed(&self) -> bool {
        !self.0.lock().receiver
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.0.lock().senders += 1;
        Sender(self.0.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.senders -= 1;
        if st.senders == 0 {
            let blocked = st.blocked;
            drop(st);
            self.0.notify(blocked);
        }
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sender")
    }
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receiver")
    }
}

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TryRecvError {
    /// Nothing waits now.
    Empty,
    /// Nothing waits, and every sender is gone.
    Disconnected,
}

impl<T> Receiver<T> {
    /// The next item, or `None` once the queue is empty and every sender is gone.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(r) = self.ready() {
            return Poll::Ready(r);
        }
        self.0.waker.register(cx.waker());
        // Checked again: an item sent before the registration would not have woken us.
        match self.ready() {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }

    fn ready(&self) -> Option<Option<T>> {
        let mut st = self.0.lock();
        match st.items.pop_front() {
            Some(item) => Some(Some(item)),
            None if st.senders == 0 => Some(None),
            None => None,
        }
    }

    /// Waits for the next item; `None` once the queue is empty and every sender is gone.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next item if one waits.
    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.ready() {
            Some(Some(item)) => Ok(item),
            Some(None) => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Moves every item waiting into `into` (which must be empty) in one step; the queue
    /// keeps `into`'s buffer for what comes next, so that bursts reuse memory.
    pub(crate) fn take_all(&mut self, into: &mut VecDeque<T>) {
        debug_assert!(into.is_empty());
        std::mem::swap(&mut self.0.lock().items, into);
    }

    /// Moves every item waiting into `into` (empty); when none waits, registers the task to
    /// be woken by the next one. Ready(false) once the queue is empty and every sender is gone.
    pub(crate) fn poll_take_all(&mut self, cx: &mut Context<'_>, into: &mut VecDeque<T>) -> Poll<bool> {
        self.take_all(into);
        if !into.is_empty() {
            return Poll::Ready(true);
        }
        if self.is_finished() {
            return Poll::Ready(false);
        }
        self.0.waker.register(cx.waker());
        self.take_all(into);
        if !into.is_empty() {
            Poll::Ready(true)
        } else if self.is_finished() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    }

    /// How many items were dropped to keep the limit since the last call (all of them older
    /// than any item waiting now).
    pub(crate) fn take_dropped(&self) -> u64 {
        std::mem::take(&mut self.0.lock().dropped)
    }

    /// True once the queue is empty and every sender is gone: nothing more will come.
    pub(crate) fn is_finished(&self) -> bool {
        let st = self.0.lock();
        st.items.is_empty() && st.senders == 0
    }

    /// Blocks the thread until the next item; `None` once the queue is empty and every sender
    /// is gone. Not for async contexts.
    pub(crate) fn blocking_recv(&mut self) -> Option<T> {
        let mut st = self.0.lock();
        loop {
            if let Some(item) = st.items.pop_front() {
                st.blocked = false;
                return Some(item);
            }
            if st.senders == 0 {
                st.blocked = false;
                return None;
            }
            st.blocked = true;
            st = self.0.wakeup.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut st = self.0.lock();
            st.receiver = false;
            std::mem::take(&mut st.items)
        };
        // Dropped outside the lock: an item's drop may send to another queue.
        drop(items);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn delivers_in_order_and_ends_when_every_sender_is_gone() {
        let (tx, mut rx) = channel();
        let tx2 = tx.clone();
        let a = tokio::spawn(async move {
            for i in 0..1000 {
                tx.send(i).unwrap();
                if i % 100 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        });
        let mut got = Vec::new();
        tx2.send(-1).unwrap();
        drop(tx2);
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        a.await.unwrap();
        assert_eq!(got[0], -1);
        assert_eq!(&got[1..], &(0..1000).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn a_bounded_queue_drops_the_oldest_and_counts_them() {
        let (tx, mut rx) = bounded(3);
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        assert_eq!(rx.take_dropped(), 2);
        assert_eq!(rx.take_dropped(), 0, "told once");
        let mut got = VecDeque::new();
        rx.take_all(&mut got);
        assert_eq!(got, [2, 3, 4]);
        tx.send(5).unwrap();
        assert_eq!((rx.try_recv(), rx.take_dropped()), (Ok(5), 0));
    }

    #[test]
    fn take_all_swaps_buffers_and_send_fails_once_the_receiver_is_gone() {
        let (tx, mut rx) = channel();
        for i in 0..10 {
            tx.send(i).unwrap();
        }
        let mut batch = VecDeque::new();
        rx.take_all(&mut batch);
        assert_eq!(batch, (0..10).collect::<VecDeque<_>>());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert!(!tx.is_closed());
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(5), Err(5));
    }

    #[test]
    fn a_blocked_receiver_wakes_for_an_item_and_for_the_last_sender() {
        let (tx, mut rx) = channel();
        let t = std::thread::spawn(move || {
            let first = rx.blocking_recv();
            let second = rx.blocking_recv();
            (first, second)
        });
        std::thread::sleep(Duration::from_millis(20));
        tx.send(7).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        drop(tx);
        assert_eq!(t.join().unwrap(), (Some(7), None));
    }
}
