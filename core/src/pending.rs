//! [`Pending`]: the outcome of a call that is already on its way to the hub.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::Result;

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

/// The outcome of a request, to be awaited.
///
/// The request is submitted when the method that returns it is called, not when this future is
/// first polled: calls made one after another reach the hub in that order, however their
/// futures are awaited later (joined, spawned, or awaited in another order). Arguments are
/// checked at the call too; an invalid one makes the future resolve at once to
/// [`crate::Error::InvalidArgument`].
///
/// Dropping it before it resolves cancels the request: a request still queued (offline) is
/// never sent, and a reply that arrives later reaches nobody else. It is `Send + 'static`, so it
/// can be spawned on any runtime task; until it resolves it keeps the connection open, even
/// when every `Client` and `Conversation` handle is gone.
#[must_use = "the request is cancelled when its Pending is dropped; await it"]
pub struct Pending<T> {
    inner: BoxFuture<T>,
}

impl<T: Send + 'static> Pending<T> {
    /// A call whose outcome is already known (e.g. an invalid argument).
    pub(crate) fn ready(result: Result<T>) -> Self {
        Pending { inner: Box::pin(std::future::ready(result)) }
    }

    /// A call whose outcome `fut` produces (for front ends that compose calls).
    pub fn new(fut: impl Future<Output = Result<T>> + Send + 'static) -> Self {
        Pending { inner: Box::pin(fut) }
    }
}

impl<T: Send + 'static> Pending<T> {
    /// A call that failed before anything was sent (for front ends that check their own
    /// arguments first).
    pub fn failed(error: crate::Error) -> Self {
        Pending::ready(Err(error))
    }

    /// The same call, its successful outcome mapped by `f` (the request is not submitted
    /// again).
    pub fn map<U: Send + 'static>(self, f: impl FnOnce(T) -> U + Send + 'static) -> Pending<U> {
        Pending::new(async move { self.await.map(f) })
    }
}

impl<T> Future for Pending<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        self.inner.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pending")
    }
}

impl<T: Send + 'static> Pending<T> {
    /// The outcome of a submitted request, mapped by `then` once it completes.
    pub(crate) fn after(
        submitted: Result<crate::driver::Submitted>,
        then: impl FnOnce(crate::engine::Completion) -> Result<T> + Send + 'static,
    ) -> Self {
        match submitted {
            Ok(s) => Pending::new(async move { then(s.await?) }),
            Err(e) => Pending::ready(Err(e)),
        }
    }
}
