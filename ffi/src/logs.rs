//! The library's log records, delivered to a C callback (over [`captivate_binding::logs`]).

use std::ffi::{c_char, c_void};
use std::sync::{Arc, PoisonError, RwLock};

use captivate_binding::logs::{self, Level, Record};

use crate::result::{Fail, captivate_result, guard};
use crate::strings::to_c;

/// How much to log, from least to most: each level includes those before it.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum captivate_log_level {
    /// Nothing.
    Off = 0,
    /// Errors.
    Error = 1,
    /// Warnings.
    Warn = 2,
    /// Connections, drops, reconnects.
    Info = 3,
    /// Debugging detail.
    Debug = 4,
    /// Everything, the dependencies' traces (WebSocket, TLS) included.
    Trace = 5,
}

/// Receives one log record: its level (a captivate_log_level), where it comes from (a module
/// path such as `captivate::driver` or `tungstenite::handshake`), and the message with its
/// fields. Both strings are valid only during the call.
pub type captivate_log_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, level: i32, target: *const c_char, message: *const c_char)>;

struct Target {
    cb: unsafe extern "C" fn(*mut c_void, i32, *const c_char, *const c_char),
    userdata: *mut c_void,
    /// The level the callback was registered for: a record let through for the previous
    /// callback's level while the two are swapped is not handed to this one.
    level: u8,
}

// SAFETY: the header requires the callback and its userdata to be usable from any thread.
unsafe impl Send for Target {}
// SAFETY: as above.
unsafe impl Sync for Target {}

/// The callback now. Records hold the read lock while they call it, so that replacing it (the
/// write lock) waits until no call of the previous one is running.
static TARGET: RwLock<Option<Target>> = RwLock::new(None);

fn deliver(r: Record) {
    let target = TARGET.read().unwrap_or_else(PoisonError::into_inner);
    if let Some(t) = target.as_ref().filter(|t| r.level as u8 <= t.level) {
        let (from, message) = (to_c(r.target), to_c(r.message));
        // SAFETY: the application registered `cb` with this userdata, for any thread; the
        // strings live until the call returns.
        unsafe { (t.cb)(t.userdata, r.level as i32, from.as_ptr(), message.as_ptr()) };
    }
}

/// Sends the library's log records of `level` and above (a captivate_log_level: 0 off .. 5
/// trace) to `cb` with `userdata`; level 0 or a NULL `cb` turns logging off. Records come from
/// the library and from its WebSocket and TLS dependencies; every API key in use is removed
/// from them. Nothing is logged until this is called.
///
/// `cb` may be called from any thread of the library, several at once: it must be thread-safe
/// and quick, and must not call any captivate_ function. When this returns, the previous
/// callback is not running and will not be called again (its userdata may be released).
/// Fails with CAPTIVATE_RESULT_INVALID_ARGUMENT for a level outside 0..5, and with
/// CAPTIVATE_RESULT_INTERNAL when the process already routes Rust log records elsewhere.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_set_log_callback(
    level: i32,
    cb: captivate_log_callback,
    userdata: *mut c_void,
) -> captivate_result {
    guard(|| {
        let n = u8::try_from(level).ok().filter(|n| *n <= Level::Trace as u8).ok_or_else(|| {
            Fail::new(captivate_result::InvalidArgument, format!("{level} is not a log level (0..5)"))
        })?;
        let target = cb.filter(|_| n > 0).map(|cb| Target { cb, userdata, level: n });
        let on = target.is_some();
        // Off first, then swap (waiting for calls of the previous callback), then on.
        if !on {
            logs::set_sink(Level::Off, None);
        }
        *TARGET.write().unwrap_or_else(PoisonError::into_inner) = target;
        if on && !logs::set_sink(Level::from_u8(n), Some(Arc::new(deliver))) {
            return Err(Fail::new(
                captivate_result::Internal,
                "another logger of Rust log records is installed in this process; records go there",
            ));
        }
        Ok(())
    })
}
