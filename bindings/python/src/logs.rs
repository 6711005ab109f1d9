//! The library's log records on their way to Python's `logging`.
//!
//! The binding layer hands records (API keys already removed) to [`sink`] on whatever thread
//! wrote them, often one of the runtime's. The sink only queues them (at most [`MAX_QUEUED`];
//! beyond that the oldest go, and the count is reported) and, when the queue was empty,
//! writes one byte into a pipe. The package's log thread waits on that pipe in plain Python
//! (`os.read`), takes the records with [`take_logs`] and passes them to the `captivate`
//! logger. So no thread of the library ever calls into Python, and the thread that does waits
//! outside native code: at interpreter exit it is stopped like any daemon thread, never in the
//! middle of native frames.

use std::collections::VecDeque;
use std::io::{PipeReader, PipeWriter, Write};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use captivate_binding::logs::{self, Level, Record};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

/// The most records kept for the log thread.
const MAX_QUEUED: usize = 10_000;

struct Queue {
    records: VecDeque<Record>,
    dropped: u64,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue { records: VecDeque::new(), dropped: 0 });
static PIPE: OnceLock<(PipeReader, PipeWriter)> = OnceLock::new();

fn queue() -> MutexGuard<'static, Queue> {
    QUEUE.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sink(r: Record) {
    let was_empty = {
        let mut q = queue();
        if q.records.len() >= MAX_QUEUED {
            q.records.pop_front();
            q.dropped += 1;
        }
        let was_empty = q.records.is_empty();
        q.records.push_back(r);
        was_empty
    };
    // Rung after the lock is released, so that the log thread, woken, never waits for it.
    if was_empty && let Some((_, writer)) = PIPE.get() {
        let mut w: &PipeWriter = writer;
        let _ = w.write(&[1]);
    }
}

/// The pipe the log thread waits on, `(reading end, writing end)`, made on the first call.
/// At most one byte is in it at a time (written when the queue was empty).
#[pyfunction]
pub(crate) fn log_pipe() -> PyResult<(i32, i32)> {
    if PIPE.get().is_none() {
        let made = std::io::pipe()?;
        let _ = PIPE.set(made);
    }
    let Some((reader, writer)) = PIPE.get() else { return Err(PyOSError::new_err("no pipe")) };
    if !queue().records.is_empty() {
        let mut w: &PipeWriter = writer;
        let _ = w.write(&[1]);
    }
    Ok((reader.as_raw_fd(), writer.as_raw_fd()))
}

/// Sends the records of `level` and above (0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace)
/// to the queue. False when the process had another `tracing` subscriber or `log` logger
/// already (the records then go there).
#[pyfunction]
pub(crate) fn set_log_level(level: u8) -> bool {
    logs::set_sink(Level::from_u8(level), Some(Arc::new(sink)))
}

/// The queued records as `(level, target, message)` (level as in `set_log_level`), and how
/// many were dropped because the queue was full.
#[pyfunction]
pub(crate) fn take_logs() -> (Vec<(u8, String, String)>, u64) {
    let mut q = queue();
    let records = std::mem::take(&mut q.records);
    let dropped = std::mem::take(&mut q.dropped);
    drop(q);
    (records.into_iter().map(|r| (r.level as u8, r.target, r.message)).collect(), dropped)
}
