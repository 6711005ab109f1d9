//! # libcaptivate
//!
//! The C ABI of the captivate client: opaque handles, result codes, a thread-local last error,
//! callbacks where the application chooses (a dispatch thread per client, the library's own
//! thread, or the application's event loop through a descriptor to poll), blocking calls with a timeout and non-blocking
//! calls with a completion callback (each pair generated from one definition: see
//! the `operations` module), a log callback. Every function is a few lines over the
//! binding layer (`captivate-binding`: sessions, option schema, value checks, errors, the one
//! ordered event feed, logs), which the Python and Node front ends share; this crate only
//! converts types and threads. The header `include/captivate.h` is generated from this crate
//! by cbindgen, and `include/captivate_test.h` (the local hub inside the process, for an
//! application's tests: `captivate_test_hub`) from its `test_hub` module.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod across;
mod calls;
mod client;
mod conversation;
mod files;

// The header follows the order of these modules: a client's own functions, then the
// operations (those of one client, then those of several), then the rest.
#[cfg(unix)]
mod polled;

mod operations;

mod dispatch;
mod event;
mod logs;
mod options;
mod registry;
mod result;
mod strings;
/// cbindgen:ignore
// The local hub for an application's tests: declared in include/captivate_test.h, rendered
// from this module alone (ffi/cbindgen-test.toml), so captivate.h leaves it out.
mod test_hub;

pub use client::*;
pub use dispatch::{
    captivate_callbacks, captivate_completion_callback, captivate_event_callback, captivate_userdata_free,
};
pub use event::*;
pub use logs::*;
pub use operations::*;
pub use options::*;
#[cfg(unix)]
pub use polled::*;
pub use result::*;
pub use strings::*;
pub use test_hub::*;

/// The library's version as `MAJOR.MINOR.PATCH`, the same as `CAPTIVATE_VERSION`.
///
/// The string is static: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_version() -> *const std::ffi::c_char {
    static V: &std::ffi::CStr =
        match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"",
        };
    V.as_ptr()
}
