//! The library's log records (see `captivate_binding::logs`, which removes every API key in
//! use) delivered to one JavaScript function, in batches: records are queued from any thread
//! and the function gets every queued record in one call on the JavaScript thread. The
//! thread-safe function is weak, so logging never keeps the process alive (records still
//! queued when it exits are lost).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use captivate_binding::logs::{self, Level, Record};
use napi::Status;
use napi::bindgen_prelude::{Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

/// One record as JavaScript receives it.
#[napi(object)]
pub struct LogRecord {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
    /// Where it comes from, e.g. `captivate::driver` or `tungstenite::protocol`.
    pub target: String,
    /// The message and its fields.
    pub message: String,
}

type SinkFn = ThreadsafeFunction<(), Unknown<'static>, Vec<LogRecord>, Status, false, true, 0>;

struct Queue {
    records: Mutex<Vec<Record>>,
    scheduled: AtomicBool,
    tsfn: Mutex<Option<SinkFn>>,
}

impl Queue {
    fn push(&self, r: Record) {
        self.records.lock().unwrap_or_else(PoisonError::into_inner).push(r);
        if !self.scheduled.swap(true, Ordering::AcqRel)
            && let Some(f) = self.tsfn.lock().unwrap_or_else(PoisonError::into_inner).as_ref()
        {
            f.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    fn drain(&self) -> Vec<LogRecord> {
        self.scheduled.store(false, Ordering::Release);
        let records = std::mem::take(&mut *self.records.lock().unwrap_or_else(PoisonError::into_inner));
        records
            .into_iter()
            .map(|r| LogRecord { level: r.level.name().to_owned(), target: r.target, message: r.message })
            .collect()
    }
}

/// The queue in use, so that a new sink replaces it (and releases its function).
static CURRENT: Mutex<Option<Arc<Queue>>> = Mutex::new(None);

/// Sends the records of `level` (0 off, 1 error .. 5 trace) and above to `sink`, replacing
/// any earlier sink; `null` (or level 0) stops. Returns false when the process already has
/// another global logger, which then gets the records instead.
#[napi(ts_args_type = "level: number, sink: ((records: LogRecord[]) => void) | null")]
pub fn set_log_sink(level: u32, sink: Option<Function<'_, (), Unknown<'static>>>) -> napi::Result<bool> {
    let level = Level::from_u8(level.min(5) as u8);
    let old = CURRENT.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(old) = old {
        drop(old.tsfn.lock().unwrap_or_else(PoisonError::into_inner).take());
    }
    let (Some(sink), false) = (sink, level == Level::Off) else {
        return Ok(logs::set_sink(Level::Off, None));
    };
    let queue =
        Arc::new(Queue { records: Mutex::new(Vec::new()), scheduled: AtomicBool::new(false), tsfn: Mutex::new(None) });
    let reader = Arc::downgrade(&queue);
    let tsfn: SinkFn = sink
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(move |_ctx| Ok(reader.upgrade().map(|q| q.drain()).unwrap_or_default()))?;
    *queue.tsfn.lock().unwrap_or_else(PoisonError::into_inner) = Some(tsfn);
    *CURRENT.lock().unwrap_or_else(PoisonError::into_inner) = Some(queue.clone());
    Ok(logs::set_sink(level, Some(Arc::new(move |r| queue.push(r)))))
}
