//! One tokio runtime per process for every client the front ends make, and blocking waits for
//! callers outside it (a C program's thread, a Python thread with the GIL released).

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};

use crate::errors::BindingError;

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("captivate-rt")
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            // Without threads nothing can work; report it where a host can see it.
            panic!("captivate: cannot start the runtime: {e}")
        })
});

/// The runtime's handle. Clients made through [`crate::Session`] run their sockets there.
pub fn handle() -> &'static Handle {
    RUNTIME.handle()
}

/// Why a blocking wait did not give an outcome.
#[derive(Debug)]
pub enum Blocked<E> {
    /// The call's own outcome, an error.
    Failed(E),
    /// No outcome within the wait's own limit (the call goes on).
    TimedOut(Duration),
    /// Called on one of the runtime's own threads, where waiting would deadlock.
    InsideRuntime,
}

/// Waits on this thread for `fut`, at most `timeout` (`None`: the call's own timeouts
/// only). The future is polled here, so its outcome costs no hand-off to another thread.
pub fn block_on<T, E>(fut: impl Future<Output = Result<T, E>>, timeout: Option<Duration>) -> Result<T, Blocked<E>> {
    if Handle::try_current().is_ok() {
        return Err(Blocked::InsideRuntime);
    }
    let r = handle().block_on(async move {
        match timeout {
            None => Ok(fut.await),
            Some(t) => tokio::time::timeout(t, fut).await.map_err(|_| t),
        }
    });
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Blocked::Failed(e)),
        Err(t) => Err(Blocked::TimedOut(t)),
    }
}

impl From<Blocked<BindingError>> for BindingError {
    fn from(b: Blocked<BindingError>) -> Self {
        match b {
            Blocked::Failed(e) => e,
            Blocked::TimedOut(t) => BindingError::from(captivate::Error::Timeout {
                operation: "the call".into(),
                millis: t.as_millis() as u64,
            }),
            Blocked::InsideRuntime => {
                BindingError::internal("a blocking call was made on one of the library's own threads")
            }
        }
    }
}
