//! The dispatch thread of a client: every callback of that client runs there, one at a time,
//! in order, never on the caller's thread and never on a runtime worker.

use std::cell::Cell;
use std::ffi::{CString, c_char, c_void};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::thread::{JoinHandle, ThreadId};

use captivate::Event;

use crate::event::captivate_event;
use crate::result::captivate_result;

/// Receives the client's events: bot and live-chat messages, actions, updates, hub errors,
/// connection state changes, and more (see captivate_event_kind). `event` is valid only during
/// the call.
pub type captivate_event_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const captivate_event)>;

/// Receives the outcome of a non-blocking call: its result code, and a JSON string (the
/// reply on success, `{"error": NAME, "message": TEXT}` on failure; NULL when there is
/// nothing to say). `json` is valid only during the call.
pub type captivate_completion_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, result: captivate_result, json: *const c_char)>;

/// Releases a client's userdata; called exactly once, after the client's last callback.
pub type captivate_userdata_free = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A C pointer carried to the dispatch thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: the pointer is only handed back to the C callbacks, on the dispatch thread; the
// header documents that the application makes what it points to safe to use from there.
unsafe impl Send for UserData {}

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// True on a dispatch thread while a callback runs.
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.with(Cell::get)
}

pub(crate) enum Job {
    Event(Box<Event>),
    Complete { cb: captivate_completion_callback, userdata: UserData, result: captivate_result, json: Option<String> },
    Stop,
}

pub(crate) struct Dispatch {
    pub(crate) tx: mpsc::Sender<Job>,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: ThreadId,
}

fn call_guarded(f: impl FnOnce()) {
    IN_CALLBACK.with(|c| c.set(true));
    // A C callback cannot unwind into us; this only keeps a Rust panic in the conversion from
    // ending the thread.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CALLBACK.with(|c| c.set(false));
}

impl Dispatch {
    pub(crate) fn start(
        name: String,
        on_event: captivate_event_callback,
        userdata: UserData,
        userdata_free: captivate_userdata_free,
    ) -> std::io::Result<Dispatch> {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new().name(name).spawn(move || {
            let ud = userdata;
            for job in rx {
                match job {
                    Job::Event(e) => {
                        if let Some(cb) = on_event {
                            let ev = captivate_event::new(&e);
                            // SAFETY: the application registered `cb` with this userdata; `ev`
                            // lives until the call returns.
                            call_guarded(|| unsafe { cb(ud.0, &ev) });
                        }
                    }
                    Job::Complete { cb, userdata, result, json } => {
                        if let Some(cb) = cb {
                            let json = json.map(|j| CString::new(j.replace('\0', " ")).unwrap_or_default());
                            let p = json.as_ref().map_or(std::ptr::null(), |j| j.as_ptr());
                            // SAFETY: the application passed `cb` and `userdata` with the call;
                            // `p` lives until the call returns.
                            call_guarded(|| unsafe { cb(userdata.0, result, p) });
                        }
                    }
                    Job::Stop => break,
                }
            }
            if let Some(f) = userdata_free {
                // SAFETY: called once, after the last callback of this client.
                call_guarded(|| unsafe { f(ud.0) });
            }
        })?;
        let thread_id = thread.thread().id();
        Ok(Dispatch { tx, thread: Mutex::new(Some(thread)), thread_id })
    }

    /// Stops the thread after the jobs already queued. Joins it, unless called from the thread
    /// itself (a free inside a callback), which then ends after the current callback.
    pub(crate) fn stop(&self) {
        let _ = self.tx.send(Job::Stop);
        if std::thread::current().id() == self.thread_id {
            return;
        }
        let handle = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}
