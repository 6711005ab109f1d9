//! [`Completions`]: the calls in flight for one asyncio loop (or for blocking callers), and the
//! loop's doorbell.
//!
//! A call is a future of the binding layer (a request already on its way). It is polled once
//! on the caller's thread when it starts: an outcome known at once (an invalid argument, a
//! closed client) is raised right there. Otherwise the call waits under a token. Its waker, run
//! by whichever runtime thread completes it, only notes the token and rings the
//! [`Doorbell`]: one byte into a pipe the loop watches, written only if the loop has not been
//! rung since it last looked. So a burst of completions costs one wake-up of the loop, and no
//! thread but the loop's ever touches Python. The loop then calls [`Completions::take`], which
//! polls the noted calls again on its own thread and hands back their outcomes.
//!
//! Blocking callers use [`Completions::wait`] instead: it polls the call on the caller's thread
//! with the GIL released, in slices, so that Ctrl-C is honoured.

use std::collections::HashMap;
use std::future::Future;
use std::io::{PipeReader, PipeWriter, Write};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use captivate::Inbound;
use captivate_binding::{BindingError, runtime};
use pyo3::prelude::*;
use pyo3::types::PyList;
use serde_json::Value;

use crate::{errors, events, session, types, values};

/// What a call gives back, as Rust values (made into Python objects on the loop's thread).
pub(crate) enum Done {
    Unit,
    Text(String),
    Json(Value),
    Session(Arc<captivate_binding::Session>),
    Transcript(captivate::Transcript),
    List(captivate::ConversationList),
    Reply(Option<Inbound>),
    File(Box<captivate::FileRef>),
    Files(Vec<captivate::FileRef>),
    /// Conversations listed across keys: for each, the index of its client among those asked;
    /// and the listing they came from (what the hub said of each, the paging).
    Across(Vec<usize>, captivate::ConversationList),
}

impl Done {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            Done::Unit => py.None(),
            Done::Text(s) => s.into_pyobject(py)?.into_any().unbind(),
            Done::Json(v) => values::to_py(py, &v)?,
            Done::Session(s) => Py::new(py, session::Session::from(s))?.into_any(),
            Done::Transcript(transcript) => Py::new(py, types::Transcript { transcript })?.into_any(),
            Done::List(list) => Py::new(py, types::ConversationList { list })?.into_any(),
            Done::Reply(None) => py.None(),
            Done::Reply(Some(i)) => events::to_py(py, captivate::Event::Hub(i))?,
            Done::File(file) => Py::new(py, types::File { file: *file })?.into_any(),
            Done::Files(files) => {
                let list = PyList::empty(py);
                for file in files {
                    list.append(types::File { file })?;
                }
                list.into_any().unbind()
            }
            Done::Across(clients, list) => {
                (clients, types::ConversationList { list }).into_pyobject(py)?.into_any().unbind()
            }
        })
    }
}

/// A call's outcome.
pub(crate) type Outcome = Result<Done, BindingError>;

/// A call in flight.
pub(crate) type Call = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// A call from a future of the binding layer, its value turned into [`Done`].
pub(crate) fn call<T: 'static, E: Into<BindingError> + 'static>(
    fut: impl Future<Output = Result<T, E>> + Send + 'static,
    done: fn(T) -> Done,
) -> Call {
    Box::pin(async move { fut.await.map(done).map_err(Into::into) })
}

#[derive(Default)]
struct Rung {
    /// Closed: nobody looks any more.
    closed: bool,
    rung: bool,
    calls: Vec<u64>,
    feeds: Vec<u64>,
}

/// What wakers ring to tell a loop that calls completed or feeds have events.
pub(crate) struct Doorbell {
    /// The pipe's writing end; none for blocking callers (nobody takes notes then).
    writer: Option<PipeWriter>,
    state: Mutex<Rung>,
}

impl Doorbell {
    fn lock(&self) -> MutexGuard<'_, Rung> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn ring(&self, note: impl FnOnce(&mut Rung)) {
        let Some(writer) = self.writer.as_ref() else { return };
        {
            let mut st = self.lock();
            if st.closed {
                return;
            }
            note(&mut st);
            if st.rung {
                return;
            }
            st.rung = true;
        }
        // Written after the lock is released: the loop's thread, woken by it, may run at once
        // (on one core, before this thread goes on) and take the notes without waiting for it.
        // A full pipe (would block) means a wake-up is pending already.
        let mut w: &PipeWriter = writer;
        let _ = w.write(&[1]);
    }

    /// A feed has listeners to wake.
    pub(crate) fn feed_ready(&self, id: u64) {
        self.ring(|st| st.feeds.push(id));
    }

    fn take(&self) -> (Vec<u64>, Vec<u64>) {
        let mut st = self.lock();
        st.rung = false;
        (std::mem::take(&mut st.calls), std::mem::take(&mut st.feeds))
    }
}

struct CallWaker {
    token: u64,
    bell: Weak<Doorbell>,
}

impl Wake for CallWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(bell) = self.bell.upgrade() {
            let token = self.token;
            bell.ring(|st| st.calls.push(token));
        }
    }
}

enum Slot {
    Running(Call, Waker),
    Done(Outcome),
}

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

/// The calls in flight for one asyncio loop, or for blocking callers (see the module docs).
#[pyclass(frozen)]
pub(crate) struct Completions {
    pub(crate) bell: Arc<Doorbell>,
    reader: Option<PipeReader>,
    calls: Mutex<HashMap<u64, Slot>>,
}

impl Completions {
    fn calls(&self) -> MutexGuard<'_, HashMap<u64, Slot>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts waiting for `call`: its token, or its error if it failed at once.
    pub(crate) fn start(&self, mut call: Call) -> PyResult<u64> {
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        let waker = Waker::from(Arc::new(CallWaker { token, bell: Arc::downgrade(&self.bell) }));
        let polled = {
            let _rt = runtime::handle().enter();
            call.as_mut().poll(&mut Context::from_waker(&waker))
        };
        let slot = match polled {
            Poll::Ready(Err(e)) => return Err(errors::to_py(e)),
            Poll::Ready(Ok(done)) => {
                self.bell.ring(|st| st.calls.push(token));
                Slot::Done(Ok(done))
            }
            Poll::Pending => Slot::Running(call, waker),
        };
        self.calls().insert(token, slot);
        Ok(token)
    }
}

fn outcome(py: Python<'_>, token: u64, o: Outcome, out: &Bound<'_, PyList>) -> PyResult<()> {
    match o {
        Ok(done) => out.append((token, py.None(), done.into_py(py)?)),
        Err(e) => out.append((token, errors::instance(py, &e)?, py.None())),
    }
}

#[pymethods]
impl Completions {
    /// A new set of calls; with `pipe`, a doorbell pipe for an asyncio loop to watch.
    #[new]
    #[pyo3(signature = (pipe=true))]
    fn new(pipe: bool) -> PyResult<Self> {
        let (reader, writer) = if pipe {
            let (reader, writer) = std::io::pipe()?;
            (Some(reader), Some(writer))
        } else {
            (None, None)
        };
        let bell = Arc::new(Doorbell { writer, state: Mutex::new(Rung::default()) });
        Ok(Completions { bell, reader, calls: Mutex::new(HashMap::new()) })
    }

    /// The doorbell pipe's reading end (-1 without a pipe): watch it, drain it, then `take`.
    fn fileno(&self) -> i32 {
        self.reader.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// The doorbell pipe's writing end (-1 without one), to make it non-blocking.
    fn writer_fileno(&self) -> i32 {
        self.bell.writer.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// What happened since the last look: the calls that completed, as
    /// `(token, exception or None, value)`, and the ids of the feeds with listeners to wake.
    fn take<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyList>, Vec<u64>)> {
        let (tokens, feeds) = self.bell.take();
        let out = PyList::empty(py);
        let _rt = runtime::handle().enter();
        for token in tokens {
            let Some(slot) = self.calls().remove(&token) else { continue };
            match slot {
                Slot::Done(o) => outcome(py, token, o, &out)?,
                Slot::Running(mut call, waker) => match call.as_mut().poll(&mut Context::from_waker(&waker)) {
                    Poll::Ready(o) => outcome(py, token, o, &out)?,
                    Poll::Pending => {
                        self.calls().insert(token, Slot::Running(call, waker));
                    }
                },
            }
        }
        Ok((out, feeds))
    }

    /// Waits on this thread for a call's outcome, at most `timeout` seconds (None: the call's
    /// own timeouts), with the GIL released; Ctrl-C interrupts the wait and stops the call.
    #[pyo3(signature = (token, timeout=None))]
    fn wait(&self, py: Python<'_>, token: u64, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        let slot = self.calls().remove(&token);
        let mut call = match slot {
            None => return Err(errors::to_py(BindingError::internal("no such call"))),
            Some(Slot::Done(o)) => return o.map_err(errors::to_py)?.into_py(py),
            Some(Slot::Running(call, _)) => call,
        };
        let deadline = timeout.map(|t| Instant::now() + Duration::from_secs_f64(t.max(0.0)));
        loop {
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
                None => SLICE,
            };
            match py.detach(|| runtime::block_on(call.as_mut(), Some(slice))) {
                Ok(done) => return done.into_py(py),
                Err(runtime::Blocked::Failed(e)) => return Err(errors::to_py(e)),
                Err(runtime::Blocked::TimedOut(_)) => {
                    py.check_signals()?;
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        let waited = timeout.unwrap_or(0.0);
                        return Err(errors::core(captivate::Error::Timeout {
                            operation: "the call".into(),
                            millis: (waited * 1000.0) as u64,
                        }));
                    }
                }
                Err(other) => return Err(errors::to_py(other.into())),
            }
        }
    }

    /// Stops a call whose caller went away (a request not sent yet is never sent).
    fn cancel(&self, token: u64) {
        self.calls().remove(&token);
    }

    /// Stops every call, and closes the doorbell; later outcomes are dropped.
    fn close(&self) {
        self.bell.lock().closed = true;
        let calls = std::mem::take(&mut *self.calls());
        drop(calls);
    }
}

/// How long a blocking wait lasts before it checks for Ctrl-C.
pub(crate) const SLICE: Duration = Duration::from_millis(100);

impl Drop for Completions {
    fn drop(&mut self) {
        self.close();
    }
}
