//! Result codes, the thread-local last error, and the panic guard.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use captivate::{Error, ErrorKind};
use captivate_binding::BindingError;
use captivate_binding::runtime::Blocked;
use serde_json::{Value, json};

/// The outcome of a call. Numbers are stable and never reused: 1xx misuse, 2xx connection,
/// 3xx the hub, 4xx time and threading, 9xx internal.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum captivate_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 100,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 101,
    /// The handle is not (or no longer) valid: never created, or already freed.
    InvalidHandle = 102,
    /// An argument's value is not acceptable (empty id, unknown target, TTL not 1/7/30/90, ...).
    InvalidArgument = 103,
    /// A JSON argument does not parse, or is not the expected kind (object, array).
    InvalidJson = 104,
    /// The client is closed or closing.
    Closed = 105,
    /// The connection could not be made (DNS, TCP, TLS, WebSocket handshake).
    Connect = 200,
    /// The hub refused the API key.
    Rejected = 201,
    /// The connection was lost before the call completed.
    ConnectionLost = 202,
    /// A message was written to a connection that died before the hub confirmed reading it.
    PossiblyNotDelivered = 203,
    /// The client gave up reconnecting (or reconnecting is disabled).
    Failed = 204,
    /// The offline queue is full.
    QueueFull = 205,
    /// A frame exceeds the maximum frame size.
    FrameTooLarge = 206,
    /// The hub answered with an error (`general_error`); details in the last error message or
    /// the completion's JSON.
    HubError = 300,
    /// The hub sent something that is not the protocol.
    Protocol = 301,
    /// An HTTP request failed: a send or a metadata request over the HTTP transport, the REST
    /// transcript, a file upload, a presigned URL (the service's answer is in the last error
    /// message). A failed fetch of a large message is not reported so: the hub's 413 error
    /// event is delivered in the message's place.
    Http = 302,
    /// The call did not complete in time.
    Timeout = 400,
    /// A blocking call was made from inside a callback, where it would deadlock.
    WouldDeadlock = 401,
    /// A bug in the library.
    Internal = 900,
    /// A bug in the library: a panic was caught at the boundary.
    Panic = 901,
}

const ALL: [captivate_result; 21] = [
    captivate_result::Ok,
    captivate_result::NullPointer,
    captivate_result::InvalidUtf8,
    captivate_result::InvalidHandle,
    captivate_result::InvalidArgument,
    captivate_result::InvalidJson,
    captivate_result::Closed,
    captivate_result::Connect,
    captivate_result::Rejected,
    captivate_result::ConnectionLost,
    captivate_result::PossiblyNotDelivered,
    captivate_result::Failed,
    captivate_result::QueueFull,
    captivate_result::FrameTooLarge,
    captivate_result::HubError,
    captivate_result::Protocol,
    captivate_result::Http,
    captivate_result::Timeout,
    captivate_result::WouldDeadlock,
    captivate_result::Internal,
    captivate_result::Panic,
];

impl captivate_result {
    fn from_i32(code: i32) -> Option<captivate_result> {
        ALL.iter().copied().find(|c| *c as i32 == code)
    }

    fn name(self) -> &'static std::ffi::CStr {
        use captivate_result::*;
        match self {
            Ok => c"CAPTIVATE_RESULT_OK",
            NullPointer => c"CAPTIVATE_RESULT_NULL_POINTER",
            InvalidUtf8 => c"CAPTIVATE_RESULT_INVALID_UTF8",
            InvalidHandle => c"CAPTIVATE_RESULT_INVALID_HANDLE",
            InvalidArgument => c"CAPTIVATE_RESULT_INVALID_ARGUMENT",
            InvalidJson => c"CAPTIVATE_RESULT_INVALID_JSON",
            Closed => c"CAPTIVATE_RESULT_CLOSED",
            Connect => c"CAPTIVATE_RESULT_CONNECT",
            Rejected => c"CAPTIVATE_RESULT_REJECTED",
            ConnectionLost => c"CAPTIVATE_RESULT_CONNECTION_LOST",
            PossiblyNotDelivered => c"CAPTIVATE_RESULT_POSSIBLY_NOT_DELIVERED",
            Failed => c"CAPTIVATE_RESULT_FAILED",
            QueueFull => c"CAPTIVATE_RESULT_QUEUE_FULL",
            FrameTooLarge => c"CAPTIVATE_RESULT_FRAME_TOO_LARGE",
            HubError => c"CAPTIVATE_RESULT_HUB_ERROR",
            Protocol => c"CAPTIVATE_RESULT_PROTOCOL",
            Http => c"CAPTIVATE_RESULT_HTTP",
            Timeout => c"CAPTIVATE_RESULT_TIMEOUT",
            WouldDeadlock => c"CAPTIVATE_RESULT_WOULD_DEADLOCK",
            Internal => c"CAPTIVATE_RESULT_INTERNAL",
            Panic => c"CAPTIVATE_RESULT_PANIC",
        }
    }

    fn describe(self) -> &'static std::ffi::CStr {
        use captivate_result::*;
        match self {
            Ok => c"success",
            NullPointer => c"a required pointer argument was NULL",
            InvalidUtf8 => c"a string argument is not valid UTF-8",
            InvalidHandle => c"the handle is not valid (never created, or already freed)",
            InvalidArgument => c"an argument's value is not acceptable",
            InvalidJson => c"a JSON argument does not parse or is not of the expected kind",
            Closed => c"the client is closed",
            Connect => c"the connection could not be made",
            Rejected => c"the hub rejected the API key",
            ConnectionLost => c"the connection was lost before the call completed",
            PossiblyNotDelivered => c"the message may not have reached the hub",
            Failed => c"the client gave up reconnecting",
            QueueFull => c"the offline queue is full",
            FrameTooLarge => c"a frame exceeds the maximum frame size",
            HubError => c"the hub answered with an error",
            Protocol => c"the hub sent something that is not the protocol",
            Http => c"an HTTP request failed",
            Timeout => c"the call did not complete in time",
            WouldDeadlock => c"a blocking call was made from inside a callback",
            Internal => c"internal error",
            Panic => c"internal error (panic caught at the library boundary)",
        }
    }
}

/// The constant's name of a result code, e.g. `"CAPTIVATE_RESULT_TIMEOUT"`;
/// `"CAPTIVATE_RESULT_UNKNOWN"` for a number that is not a code. Static: do not free.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_result_name(code: i32) -> *const c_char {
    captivate_result::from_i32(code).map_or(c"CAPTIVATE_RESULT_UNKNOWN", captivate_result::name).as_ptr()
}

/// A short English description of a result code. Static: do not free.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_result_describe(code: i32) -> *const c_char {
    captivate_result::from_i32(code).map_or(c"unknown result code", captivate_result::describe).as_ptr()
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// The message of the last failed call on this thread, or `""` when the last call succeeded.
/// It never contains the API key. The string stays valid until the next `captivate_*` call on
/// this thread; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_last_error_message() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

pub(crate) fn set_last_error(message: &str) {
    LAST_ERROR.with(|e| {
        if message.is_empty() && e.borrow().is_empty() {
            return;
        }
        *e.borrow_mut() = CString::new(message.replace('\0', " ")).unwrap_or_default();
    });
}

/// A failure: its code, message, and (for the library's own errors) kind and details.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) code: captivate_result,
    pub(crate) message: String,
    /// The error kind's stable name and its details, when the error comes from the library.
    source: Option<(&'static str, Value)>,
}

impl Fail {
    pub(crate) fn new(code: captivate_result, message: impl Into<String>) -> Fail {
        Fail { code, message: message.into(), source: None }
    }

    /// A blocking call made where waiting would deadlock; `instead` says what to use.
    pub(crate) fn would_deadlock(instead: &str) -> Fail {
        Fail::new(
            captivate_result::WouldDeadlock,
            format!("a blocking call inside a callback would deadlock; use {instead}"),
        )
    }

    /// The JSON a completion callback receives on failure: `{"error": NAME, "message": TEXT}`,
    /// with `kind` and `details` for the library's own errors.
    pub(crate) fn to_json(&self) -> String {
        let mut o = json!({"error": self.code.name().to_string_lossy(), "message": self.message});
        if let Some((kind, details)) = &self.source {
            o["kind"] = json!(kind);
            o["details"] = details.clone();
        }
        o.to_string()
    }
}

/// The result code of an error kind (the order of [`captivate_binding::errors::kinds`]).
pub(crate) fn code_of(kind: ErrorKind) -> captivate_result {
    use captivate_result as R;
    match kind {
        ErrorKind::InvalidArgument => R::InvalidArgument,
        ErrorKind::Rejected => R::Rejected,
        ErrorKind::Connect => R::Connect,
        ErrorKind::Timeout => R::Timeout,
        ErrorKind::ConnectionLost => R::ConnectionLost,
        ErrorKind::PossiblyNotDelivered => R::PossiblyNotDelivered,
        ErrorKind::Hub => R::HubError,
        ErrorKind::QueueFull => R::QueueFull,
        ErrorKind::Closed => R::Closed,
        ErrorKind::Failed => R::Failed,
        ErrorKind::FrameTooLarge => R::FrameTooLarge,
        ErrorKind::Protocol => R::Protocol,
        ErrorKind::Http => R::Http,
        _ => R::Internal,
    }
}

impl From<BindingError> for Fail {
    fn from(e: BindingError) -> Fail {
        Fail { code: code_of(e.kind), source: Some((e.code(), e.details)), message: e.message }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::from(BindingError::from(e))
    }
}

/// Why a blocking wait gave no outcome, as a failure.
pub(crate) fn blocked<E: Into<Fail>>(b: Blocked<E>) -> Fail {
    match b {
        Blocked::Failed(e) => e.into(),
        Blocked::TimedOut(t) => Fail::new(captivate_result::Timeout, format!("no outcome within {} ms", t.as_millis())),
        Blocked::InsideRuntime => Fail::new(
            captivate_result::WouldDeadlock,
            "a blocking call was made on one of the library's own threads, where it would deadlock",
        ),
    }
}

pub(crate) type R<T> = Result<T, Fail>;

/// Runs the body of an exported function: clears the last error, catches panics, and turns a
/// failure into its code and the thread's last error.
pub(crate) fn guard(body: impl FnOnce() -> R<()>) -> captivate_result {
    set_last_error("");
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => captivate_result::Ok,
        Ok(Err(f)) => {
            set_last_error(&f.message);
            f.code
        }
        Err(_) => {
            set_last_error("internal panic caught at the library boundary");
            captivate_result::Panic
        }
    }
}

/// Like [`guard`] for functions that return a value instead of a code: `default` on failure.
pub(crate) fn guard_or<T>(default: T, body: impl FnOnce() -> Option<T>) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Some(v)) => v,
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_own_code() {
        let kinds = captivate_binding::errors::kinds();
        let mut codes: Vec<i32> = kinds.iter().map(|k| code_of(k.kind) as i32).collect();
        for k in &kinds {
            let internal = code_of(k.kind) == captivate_result::Internal;
            assert_eq!(internal, k.kind == ErrorKind::Internal, "{}", k.code);
            assert!(captivate_result::from_i32(code_of(k.kind) as i32).is_some());
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), kinds.len());
    }

    #[test]
    fn a_failure_renders_its_code_kind_and_details() {
        let f = Fail::from(Error::Timeout { operation: "x".into(), millis: 5 });
        assert_eq!(f.code, captivate_result::Timeout);
        let v: Value = serde_json::from_str(&f.to_json()).unwrap();
        assert_eq!(v["error"], "CAPTIVATE_RESULT_TIMEOUT");
        assert_eq!(v["kind"], "timeout");
        assert_eq!(v["details"]["millis"], 5);
        let n: Value = serde_json::from_str(&Fail::new(captivate_result::NullPointer, "x is NULL").to_json()).unwrap();
        assert_eq!(n, json!({"error": "CAPTIVATE_RESULT_NULL_POINTER", "message": "x is NULL"}));
    }
}
