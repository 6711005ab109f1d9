//! [`Completions`]: where the runtime's threads leave the outcomes of asynchronous calls for
//! one asyncio loop, without touching Python.
//!
//! A call spawned with [`Completions::spawn`] returns a token. When it finishes, its outcome
//! (a plain Rust value, [`Done`]) is queued and, if the queue was empty, one byte is written to
//! a pipe that the loop watches (`loop.add_reader`). The loop then calls [`Completions::take`]
//! on its own thread, with the GIL, turns the outcomes into Python objects and settles its
//! futures. Runtime threads never wait for the GIL, so they can neither deadlock with Python
//! nor run into an interpreter that is shutting down.

use std::collections::HashMap;
use std::future::Future;
use std::io::{PipeReader, PipeWriter, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use captivate::{Client, Conversation, Error, Pending};
use pyo3::prelude::*;
use pyo3::types::PyList;
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;

/// The runtime of every client of this process.
pub(crate) fn runtime() -> &'static Runtime {
    static RT: LazyLock<Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("captivate")
            .build()
            .expect("the tokio runtime starts")
    });
    &RT
}

/// The outcome of a call, as Rust values (turned into Python objects by `take`).
pub(crate) enum Done {
    Unit,
    Str(String),
    OptStr(Option<String>),
    Client(Client),
    Conversation(Conversation),
    Err(Error),
}

impl<T: Into<Done>> From<Result<T, Error>> for Done {
    fn from(r: Result<T, Error>) -> Done {
        match r {
            Ok(v) => v.into(),
            Err(e) => Done::Err(e),
        }
    }
}

impl From<()> for Done {
    fn from((): ()) -> Done {
        Done::Unit
    }
}

impl From<String> for Done {
    fn from(s: String) -> Done {
        Done::Str(s)
    }
}

impl From<Option<String>> for Done {
    fn from(s: Option<String>) -> Done {
        Done::OptStr(s)
    }
}

impl From<Conversation> for Done {
    fn from(c: Conversation) -> Done {
        Done::Conversation(c)
    }
}

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
struct State {
    writer: Option<PipeWriter>,
    done: Vec<(u64, Done)>,
    tasks: HashMap<u64, AbortHandle>,
}

struct Sink {
    state: Mutex<State>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Sink {
    fn push(&self, token: u64, done: Done) {
        let mut s = lock(&self.state);
        let Some(writer) = s.writer.as_ref() else { return };
        let was_empty = s.done.is_empty();
        if was_empty {
            // A full pipe (would block) means a wake-up is pending already.
            let mut w: &PipeWriter = writer;
            let _ = w.write(&[1]);
        }
        s.done.push((token, done));
    }
}

/// The outcomes of the asynchronous calls started for one asyncio loop (see the module docs).
#[pyclass(frozen)]
pub(crate) struct Completions {
    sink: Arc<Sink>,
    reader: PipeReader,
}

impl Completions {
    /// Runs `fut` on the runtime; its outcome is queued under the returned token.
    pub(crate) fn spawn(&self, fut: impl Future<Output = Done> + Send + 'static) -> u64 {
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        let sink = self.sink.clone();
        let task = runtime().spawn(async move {
            let done = fut.await;
            sink.push(token, done);
        });
        // `take` runs on the caller's thread after this returns, so the handle is always
        // there when the outcome is taken.
        lock(&self.sink.state).tasks.insert(token, task.abort_handle());
        token
    }

    /// Spawns a call whose outcome is a value convertible to [`Done`].
    pub(crate) fn spawn_pending<T: Into<Done> + Send + 'static>(&self, pending: Pending<T>) -> u64 {
        self.spawn(async move { Done::from(pending.await) })
    }
}

#[pymethods]
impl Completions {
    /// A new, empty set of completions with its pipe.
    #[new]
    fn new() -> PyResult<Self> {
        let (reader, writer) = std::io::pipe()?;
        let state = State { writer: Some(writer), ..State::default() };
        Ok(Completions { sink: Arc::new(Sink { state: Mutex::new(state) }), reader })
    }

    /// The pipe's reading end, to watch with `loop.add_reader` (and to drain).
    fn fileno(&self) -> i32 {
        self.reader.as_raw_fd()
    }

    /// The pipe's writing end (to make it non-blocking).
    fn writer_fileno(&self) -> Option<i32> {
        lock(&self.sink.state).writer.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// The outcomes ready now, as `(token, error_args or None, value)`.
    fn take<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let done = {
            let mut s = lock(&self.sink.state);
            let done = std::mem::take(&mut s.done);
            for (token, _) in &done {
                s.tasks.remove(token);
            }
            done
        };
        let list = PyList::empty(py);
        for (token, d) in done {
            let (error, value) = crate::into_py(py, d)?;
            list.append((token, error, value))?;
        }
        Ok(list)
    }

    /// Stops a call whose caller went away (a request not yet sent is never sent).
    fn cancel(&self, token: u64) {
        if let Some(task) = lock(&self.sink.state).tasks.remove(&token) {
            task.abort();
        }
    }

    /// Stops every call still running and closes the pipe; later outcomes are dropped.
    fn close(&self) {
        let mut s = lock(&self.sink.state);
        s.writer = None;
        s.done.clear();
        for (_, task) in s.tasks.drain() {
            task.abort();
        }
    }
}

impl Drop for Completions {
    fn drop(&mut self) {
        self.close();
    }
}
