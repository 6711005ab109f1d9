//! [`Pending`]: the outcome of a call that is already on its way to the hub.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::driver::Submitted;
use crate::engine::Completion;
use crate::error::{Error, Result};

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
    inner: Inner<T>,
}

/// What a [`Pending`] waits for. A request's own outcome is awaited in place: most calls cost
/// no allocation of their own.
enum Inner<T> {
    /// Known already (taken once; an error boxed, so that a pending call stays small).
    Ready(Option<std::result::Result<T, Box<Error>>>),
    /// A request's completion, then its outcome.
    Request(Submitted, Then<T>),
    /// Any other future.
    Future(BoxFuture<T>),
}

/// How a request's completion becomes the call's outcome.
enum Then<T> {
    /// This value (taken once).
    Value(Option<T>),
    /// What this function makes of the completion.
    Map(fn(Completion) -> Result<T>),
}

// Nothing in a `Pending` is ever pinned but the boxed future, which is pinned on its own.
impl<T> Unpin for Pending<T> {}

impl<T: Send + 'static> Pending<T> {
    /// A call whose outcome is already known (e.g. an invalid argument).
    pub(crate) fn ready(result: Result<T>) -> Self {
        Pending { inner: Inner::Ready(Some(result.map_err(Box::new))) }
    }

    /// A call whose outcome `fut` produces (for front ends that compose calls).
    pub fn new(fut: impl Future<Output = Result<T>> + Send + 'static) -> Self {
        Pending { inner: Inner::Future(Box::pin(fut)) }
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let again = || Err(Error::Internal("a call's outcome was awaited again after it was taken".into()));
        match &mut self.get_mut().inner {
            Inner::Ready(r) => Poll::Ready(r.take().map_or_else(again, |r| r.map_err(|e| *e))),
            Inner::Request(submitted, then) => {
                let completion = std::task::ready!(submitted.poll_completion(cx));
                Poll::Ready(completion.and_then(|c| match then {
                    Then::Value(v) => v.take().map_or_else(again, Ok),
                    Then::Map(f) => f(c),
                }))
            }
            Inner::Future(f) => f.as_mut().poll(cx),
        }
    }
}

impl<T> fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pending")
    }
}

impl<T: Send + 'static> Pending<T> {
    /// The outcome of a submitted request, mapped by `then` once it completes.
    pub(crate) fn after(submitted: Result<Submitted>, then: fn(Completion) -> Result<T>) -> Self {
        match submitted {
            Ok(s) => Pending { inner: Inner::Request(s, Then::Map(then)) },
            Err(e) => Pending::ready(Err(e)),
        }
    }

    /// The outcome of a submitted request: `value` once it completes.
    pub(crate) fn with_value(submitted: Result<Submitted>, value: T) -> Self {
        match submitted {
            Ok(s) => Pending { inner: Inner::Request(s, Then::Value(Some(value))) },
            Err(e) => Pending::ready(Err(e)),
        }
    }
}
