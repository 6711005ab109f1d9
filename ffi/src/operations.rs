//! Operations: the calls that come in two forms, a blocking one with a timeout and a
//! non-blocking `_async` one with a completion callback (`captivate_conversation_send_message`
//! and `captivate_conversation_send_message_async`, ...). Each is defined once.
//!
//! How an operation is made:
//!
//! - **What it does** is one function in the module of its C object (`conversation::
//!   send_message`, `files::upload_file`, `client::reconnect`, ...): it checks and converts the
//!   C arguments, starts the call, and returns a [`Call`]: the call on its way and how its
//!   outcome reaches C (what the blocking form writes to its out-parameter, what JSON the
//!   completion callback receives). It knows nothing of the two forms.
//! - **The two exports** are generated, with their doc comments, from one entry per operation
//!   in `ffi/codegen/operations.rs` (name, arguments, out-parameter, docs, the function above)
//!   into `ffi/src/operations/generated.rs`, which is committed: cbindgen reads the crate's
//!   source as it is and does not expand macros, so the exports must be written out in it for
//!   the header to have them. Each export is a call of [`blocking`] or [`nonblocking`] below,
//!   which hold what the forms share: the panic guard and the thread's last error, the handle
//!   check, the WouldDeadlock rule (a blocking call inside a callback fails before it starts
//!   anything), the timeout, the out-parameter, the hand-over to the dispatch thread.
//! - **The check**: `cargo test -p captivate-ffi` (the `header` test) fails when the generated
//!   file differs from what the table gives, as it fails for a stale header. `make bless` (or
//!   `make header`) writes both afresh: the generated exports, then the header from them.
//!
//! To add an operation: write its function (returning `R<Call<..>>`), add its entry to the
//! table, run `make bless`, and check the diffs of `generated.rs` and `include/captivate.h`.

use std::ffi::{c_char, c_void};
use std::future::Future;
use std::sync::Arc;

use crate::calls::{Done, Json, wait};
use crate::client::Entry;
use crate::dispatch::captivate_completion_callback;
use crate::result::{Fail, R, captivate_result, guard};
use crate::strings::put_str;

// Laid out by its generator, not by rustfmt (the `header` test compares it with what the
// generator gives).
#[rustfmt::skip]
mod generated;
pub use generated::*;

/// A call on its way, with how its outcome reaches C.
pub(crate) struct Call<F, T> {
    future: F,
    /// What the blocking form writes to its out-parameter (`None`: NULL).
    out: fn(T) -> Option<String>,
    /// What the completion callback receives on success (`None`: NULL).
    json: fn(T) -> Json,
}

fn none<T>(_: T) -> Option<String> {
    None
}

impl<F, T> Call<F, T> {
    /// A call whose outcome carries nothing: no out-parameter, NULL for the completion.
    pub(crate) fn unit(future: F) -> Self {
        Call { future, out: none::<T>, json: none::<T> }
    }

    /// A call whose outcome is given as the same text to both forms.
    pub(crate) fn same(future: F, render: fn(T) -> Json) -> Self {
        Call { future, out: render, json: render }
    }

    /// A call whose blocking form writes `out` (e.g. a bare id) and whose completion receives
    /// `json` (e.g. `{"client_msg_id": ...}`).
    pub(crate) fn new(future: F, out: fn(T) -> Option<String>, json: fn(T) -> Json) -> Self {
        Call { future, out, json }
    }
}

/// Whom an operation is made on: one client, or several (the first one's dispatch thread
/// completes the `_async` form).
pub(crate) trait Target {
    /// The client whose dispatch thread runs the completion callback.
    fn dispatcher(&self) -> &Entry;
}

impl Target for Arc<Entry> {
    fn dispatcher(&self) -> &Entry {
        self
    }
}

impl Target for Vec<Arc<Entry>> {
    fn dispatcher(&self) -> &Entry {
        // Never empty: `across::entries` refuses a count of 0.
        &self[0]
    }
}

/// The blocking form: finds the target, then (unless inside a callback, where it fails with
/// CAPTIVATE_RESULT_WOULD_DEADLOCK before anything starts) starts the call and waits for its
/// outcome on this thread, at most `timeout_ms` (0: the library's own timeouts only), and
/// writes it to `out` (when not NULL).
///
/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn blocking<X, F, T, E>(
    target: impl FnOnce() -> R<X>,
    timeout_ms: u64,
    out: *mut *mut c_char,
    start: impl FnOnce(&X) -> R<Call<F, T>>,
) -> captivate_result
where
    F: Future<Output = Result<T, E>>,
    E: Into<Fail>,
{
    guard(|| {
        let target = target()?;
        let mut render = None;
        let outcome = wait(timeout_ms, || {
            let call = start(&target)?;
            render = Some(call.out);
            Ok(call.future)
        })?;
        if !out.is_null() {
            match render.and_then(|r| r(outcome)) {
                // SAFETY: checked non-NULL; the caller promises it is writable.
                Some(s) => unsafe { put_str(out, s) },
                // SAFETY: as above.
                None => unsafe { *out = std::ptr::null_mut() },
            }
        }
        Ok(())
    })
}

/// The non-blocking form: finds the target, starts the call, and hands it to the target's
/// dispatch thread, which calls `done` exactly once with its outcome. A failure to start (an
/// argument error, a freed handle) is returned at once and `done` is never called.
pub(crate) fn nonblocking<X, F, T, E>(
    target: impl FnOnce() -> R<X>,
    done: captivate_completion_callback,
    userdata: *mut c_void,
    start: impl FnOnce(&X) -> R<Call<F, T>>,
) -> captivate_result
where
    X: Target,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: 'static,
    E: Into<Fail> + 'static,
{
    guard(|| {
        let target = target()?;
        let call = start(&target)?;
        target.dispatcher().dispatch.calls.submit(call.future, call.json, Done::new(done, userdata))
    })
}
