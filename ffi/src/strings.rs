//! Strings and JSON across the boundary.

use std::ffi::{CStr, CString, c_char};

use serde_json::Value;

use crate::result::{Fail, R, captivate_result};

/// Reads a required string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> R<&'a str> {
    if p.is_null() {
        return Err(Fail::new(captivate_result::NullPointer, format!("{name} is NULL")));
    }
    // SAFETY: the caller promises a NUL-terminated string that outlives the call.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|_| Fail::new(captivate_result::InvalidUtf8, format!("{name} is not valid UTF-8")))
}

/// Reads an optional string argument (NULL is `None`).
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn opt_str<'a>(p: *const c_char, name: &str) -> R<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { arg_str(p, name) }.map(Some)
    }
}

/// Reads an optional JSON argument (NULL is `None`).
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn opt_json(p: *const c_char, name: &str) -> R<Option<Value>> {
    // SAFETY: forwarded from the caller.
    match unsafe { opt_str(p, name) }? {
        None => Ok(None),
        Some(s) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| Fail::new(captivate_result::InvalidJson, format!("{name} is not valid JSON: {e}"))),
    }
}

/// Reads an optional JSON object argument.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn opt_object(p: *const c_char, name: &str) -> R<Option<Value>> {
    // SAFETY: forwarded from the caller.
    let v = unsafe { opt_json(p, name) }?;
    match v {
        Some(v) if !v.is_object() => {
            Err(Fail::new(captivate_result::InvalidJson, format!("{name} must be a JSON object")))
        }
        v => Ok(v),
    }
}

/// A C string of `s`; a NUL inside becomes U+FFFD.
pub(crate) fn to_c(s: impl Into<String>) -> CString {
    let s = s.into();
    if s.contains('\0') {
        CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
    } else {
        CString::new(s).unwrap_or_default()
    }
}

/// An owned C string for the caller (freed with `captivate_string_free`).
pub(crate) fn into_c(s: String) -> *mut c_char {
    to_c(s).into_raw()
}

/// Writes an owned string to an out-parameter, if it is not NULL.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn put_str(out: *mut *mut c_char, s: String) {
    if !out.is_null() {
        // SAFETY: the caller promises `out` is writable.
        unsafe { *out = into_c(s) };
    }
}

/// Releases a string returned by this library (through a `char **` out-parameter). NULL is
/// accepted and ignored. Never pass a string this library did not return, nor the `const char *`
/// strings of events or of `captivate_version`, `captivate_result_name`,
/// `captivate_last_error_message`.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: `s` came from `CString::into_raw` in this library and is freed once.
        drop(unsafe { CString::from_raw(s) });
    });
}
