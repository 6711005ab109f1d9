//! `captivate_test_hub`: the local hub inside the application's process, for its tests. The
//! declarations are in their own header, `include/captivate_test.h` (generated from this file
//! alone; the main header leaves them out), and the functions are in libcaptivate itself.
//!
//! Every function is a few lines over the binding layer's hub
//! (`captivate_binding::hub::Hub`), which Python and Node start the same way.

use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, LazyLock, PoisonError, RwLock};
use std::time::Duration;

use captivate_binding::BindingError;
use captivate_binding::hub::Hub;
use serde_json::Value;

use crate::registry::Registry;
use crate::result::{Fail, R, captivate_result, guard, set_last_error};
use crate::strings::{arg_str, opt_object, opt_str, put_str, to_c};

/// A local hub started by captivate_test_hub_start: a Captivate-compatible hub on 127.0.0.1,
/// in a thread of its own, with a bot script given as JSON, controls and inspection. An opaque
/// id like the other handles: a stopped hub is detected (CAPTIVATE_RESULT_INVALID_HANDLE).
///
/// Methods: captivate_test_hub_start, captivate_test_hub_stop, captivate_test_hub_url,
/// captivate_test_hub_api_key, captivate_test_hub_http_url, captivate_test_hub_port,
/// captivate_test_hub_client_options_json, captivate_test_hub_set_script,
/// captivate_test_hub_script_json, captivate_test_hub_set_faults,
/// captivate_test_hub_faults_json, captivate_test_hub_drop,
/// captivate_test_hub_close_connections, captivate_test_hub_restart, captivate_test_hub_push,
/// captivate_test_hub_push_text, captivate_test_hub_bot_says, captivate_test_hub_agent_says,
/// captivate_test_hub_update, captivate_test_hub_received_json,
/// captivate_test_hub_requests_json, captivate_test_hub_conversations_json,
/// captivate_test_hub_files_json, captivate_test_hub_expire_files,
/// captivate_test_hub_live_connections, captivate_test_hub_connections_accepted,
/// captivate_test_hub_reset; with the fault proxy (the start option `proxy`):
/// captivate_test_hub_proxy_url, captivate_test_hub_set_proxy_faults,
/// captivate_test_hub_proxy_faults_json, captivate_test_hub_proxy_reset,
/// captivate_test_hub_proxy_truncate, captivate_test_hub_proxy_restart,
/// captivate_test_hub_proxy_stats_json.
pub struct captivate_test_hub {
    _private: [u8; 0],
}

/// A started hub and the strings it lends (valid until it is stopped).
struct Entry {
    /// Controls read it; stopping writes it (waiting for the controls under way).
    hub: RwLock<Hub>,
    url: CString,
    api_key: CString,
    http_url: CString,
    /// With the fault proxy, the WebSocket URL through it.
    proxy_url: Option<CString>,
}

static HUBS: LazyLock<Registry<Entry>> = LazyLock::new(|| Registry::new("test hub"));

/// Runs `f` with the hub behind a handle.
fn with<T>(hub: *mut captivate_test_hub, f: impl FnOnce(&Hub) -> Result<T, BindingError>) -> R<T> {
    let e = HUBS.get(hub as usize as u64)?;
    let h = e.hub.read().unwrap_or_else(PoisonError::into_inner);
    f(&h).map_err(Fail::from)
}

/// Checks an out-parameter before the work that fills it.
fn out_ok<T>(out: *mut T) -> R<()> {
    if out.is_null() { Err(Fail::new(captivate_result::NullPointer, "out is NULL")) } else { Ok(()) }
}

/// Reads a required JSON argument (any JSON value).
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for the call.
unsafe fn json_arg(p: *const c_char, name: &str) -> R<Value> {
    // SAFETY: forwarded from the caller.
    let s = unsafe { arg_str(p, name) }?;
    serde_json::from_str(s)
        .map_err(|e| Fail::new(captivate_result::InvalidJson, format!("{name} is not valid JSON: {e}")))
}

/// Reads an optional JSON argument that must be an object, `null`, or NULL (both `Null`).
///
/// # Safety
/// As [`json_arg`].
unsafe fn object_or_null(p: *const c_char, name: &str) -> R<Value> {
    if p.is_null() {
        return Ok(Value::Null);
    }
    // SAFETY: forwarded from the caller.
    match unsafe { json_arg(p, name) }? {
        v @ (Value::Null | Value::Object(_)) => Ok(v),
        _ => Err(Fail::new(captivate_result::InvalidJson, format!("{name} must be a JSON object or null"))),
    }
}

/// Like [`guard`] for the functions that lend a string: NULL on failure, with the last error.
fn guard_ptr(body: impl FnOnce() -> R<*const c_char>) -> *const c_char {
    set_last_error("");
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(p)) => p,
        Ok(Err(f)) => {
            set_last_error(&f.message);
            std::ptr::null()
        }
        Err(_) => {
            set_last_error("internal panic caught at the library boundary");
            std::ptr::null()
        }
    }
}

/// The string a hub lends, chosen by `pick`.
fn lent(hub: *mut captivate_test_hub, pick: fn(&Entry) -> &CString) -> *const c_char {
    guard_ptr(|| {
        let e = HUBS.get(hub as usize as u64)?;
        // The entry lives in the table until captivate_test_hub_stop, and so does the string.
        Ok(pick(&e).as_ptr())
    })
}

/// Starts a local hub on 127.0.0.1 in a thread of its own and returns once it listens.
///
/// `options_json` (NULL: the defaults) is a JSON object of: `api_key` (the key clients present;
/// default `"test-key"`), `extra_api_keys` (more keys it accepts, a list), `tls` (true: serve
/// `wss://` with a self-signed certificate, given to clients by
/// captivate_test_hub_client_options_json), `agent_delay_ms` (how long the live agent takes to
/// answer; default 50), `script` (the bot's script, a JSON object of `greeting` and `rules`, as
/// the captivate-sim crate documents; default: the usual flow), `port` (default 0: a free
/// one), `proxy` (true: a fault-injecting TCP proxy in front of the hub, through which
/// captivate_test_hub_client_options_json sends clients; see captivate_test_hub_proxy_url) and
/// `log` (true: the hub prints its notes -- connections, faults, frames it ignores -- on
/// standard error; by default it is quiet). camelCase names are accepted too. An unknown name
/// or a bad value is CAPTIVATE_RESULT_INVALID_ARGUMENT, a JSON that does not parse or is not an
/// object CAPTIVATE_RESULT_INVALID_JSON, a port in use CAPTIVATE_RESULT_CONNECT.
///
/// On success `*out` receives the hub, stopped and freed with captivate_test_hub_stop.
///
/// # Safety
/// `options_json` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_start(
    options_json: *const c_char,
    out: *mut *mut captivate_test_hub,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        // SAFETY: per the function's contract.
        let options = unsafe { opt_object(options_json, "options_json") }?.unwrap_or(Value::Null);
        let hub = Hub::start(&options)?;
        let entry = Entry {
            url: to_c(hub.url()?),
            api_key: to_c(hub.api_key()?),
            http_url: to_c(hub.http_url()?),
            proxy_url: hub.proxy_url().ok().map(to_c),
            hub: RwLock::new(hub),
        };
        let id = HUBS.insert(Arc::new(entry));
        // SAFETY: checked non-NULL above; the caller promises it is writable.
        unsafe { *out = id as usize as *mut captivate_test_hub };
        Ok(())
    })
}

/// Stops a hub and frees it: every connection is closed (clients see a dropped link) and its
/// port no longer listens when this returns; the strings it lent are no longer valid. NULL is
/// accepted; a hub already stopped returns CAPTIVATE_RESULT_INVALID_HANDLE and does nothing.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_stop(hub: *mut captivate_test_hub) -> captivate_result {
    guard(|| {
        if hub.is_null() {
            return Ok(());
        }
        let e = HUBS.remove(hub as usize as u64)?;
        e.hub.write().unwrap_or_else(PoisonError::into_inner).stop();
        Ok(())
    })
}

/// The WebSocket URL clients are given, without the key: `ws://127.0.0.1:PORT/dev` (with TLS,
/// `wss://localhost:PORT/dev`), for captivate_options_set_endpoint. Lent: valid until
/// captivate_test_hub_stop; do not free it. NULL for a NULL or stopped hub (the last error
/// says which).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_url(hub: *mut captivate_test_hub) -> *const c_char {
    lent(hub, |e| &e.url)
}

/// The API key clients present (for captivate_options_new). Lent: valid until
/// captivate_test_hub_stop; do not free it. NULL for a NULL or stopped hub.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_api_key(hub: *mut captivate_test_hub) -> *const c_char {
    lent(hub, |e| &e.api_key)
}

/// The HTTP base of the same port, `http://127.0.0.1:PORT` (the HTTP transport, the file
/// service, the hub's control endpoints). Lent: valid until captivate_test_hub_stop; do not
/// free it. NULL for a NULL or stopped hub.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_http_url(hub: *mut captivate_test_hub) -> *const c_char {
    lent(hub, |e| &e.http_url)
}

/// The port the hub listens on (the same after a restart).
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_port(hub: *mut captivate_test_hub, out: *mut u16) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let port = with(hub, Hub::port)?;
        // SAFETY: checked non-NULL above; the caller promises it is writable.
        unsafe { *out = port };
        Ok(())
    })
}

/// The options a client of this hub needs, as a JSON object for captivate_options_set_json:
/// `api_key`, `url`, `http_url`, `files_url` (and `ca_pem` with TLS). `*out` is freed with
/// captivate_string_free.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_client_options_json(
    hub: *mut captivate_test_hub,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let v = with(hub, Hub::client_options)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, v.to_string()) };
        Ok(())
    })
}

/// Replaces the bot's script with `script_json` (a JSON object of `greeting` and `rules`; NULL
/// or `null`: the usual flow). Conversations keep their state and live agents. A script the
/// hub does not understand (an unknown key, a bad regex) is CAPTIVATE_RESULT_INVALID_ARGUMENT
/// and changes nothing.
///
/// # Safety
/// `script_json` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_set_script(
    hub: *mut captivate_test_hub,
    script_json: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let script = unsafe { object_or_null(script_json, "script_json") }?;
        with(hub, |h| h.set_script(&script))
    })
}

/// The bot's script in force, as JSON. `*out` is freed with captivate_string_free.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_script_json(
    hub: *mut captivate_test_hub,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let v = with(hub, Hub::script)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, v.to_string()) };
        Ok(())
    })
}

/// Replaces the faults in force with those `faults_json` names (NULL, `null` or `{}`: none):
/// `reply_delay_ms`, `never_answer`, `omit_conversation_id`, `stall`, `drop_after_frames`,
/// `malformed_before_replies`, `unknown_event_before_replies`, `duplicate_events`,
/// `transcript_as_messages`, `no_socket_connected`, `http_status`, `http_status_count`,
/// `http_delay_ms`, `http_paths`. An unknown name is CAPTIVATE_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `faults_json` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_set_faults(
    hub: *mut captivate_test_hub,
    faults_json: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let faults = unsafe { object_or_null(faults_json, "faults_json") }?;
        with(hub, |h| h.set_faults(&faults))
    })
}

/// The faults in force, as a JSON object. `*out` is freed with captivate_string_free.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_faults_json(
    hub: *mut captivate_test_hub,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let v = with(hub, Hub::faults)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, v.to_string()) };
        Ok(())
    })
}

/// Closes every connection abruptly, without a close frame: clients see a dropped link (and
/// reconnect, per their policy).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_drop(hub: *mut captivate_test_hub) -> captivate_result {
    guard(|| with(hub, Hub::drop_connections))
}

/// Sends a close frame with `code` and `reason` (NULL: none) on every connection, then closes
/// it.
///
/// # Safety
/// `reason` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_close_connections(
    hub: *mut captivate_test_hub,
    code: u16,
    reason: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let reason = unsafe { opt_str(reason, "reason") }?.unwrap_or("");
        with(hub, |h| h.close_connections(code, reason))
    })
}

/// Closes every connection and refuses new ones for `down_ms` milliseconds, then listens again
/// on the same port; conversations survive. Returns at once.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_restart(hub: *mut captivate_test_hub, down_ms: u64) -> captivate_result {
    guard(|| with(hub, |h| h.restart(Duration::from_millis(down_ms))))
}

/// Sends this exact frame (`frame_json`, any JSON) to every connection.
///
/// # Safety
/// `frame_json` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_push(
    hub: *mut captivate_test_hub,
    frame_json: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let frame = unsafe { json_arg(frame_json, "frame_json") }?;
        with(hub, |h| h.push(&frame))
    })
}

/// Sends `text` as it is (malformed JSON, say) to every connection.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_push_text(
    hub: *mut captivate_test_hub,
    text: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let text = unsafe { arg_str(text, "text") }?;
        with(hub, |h| h.push_text(text))
    })
}

/// Speaks in a conversation as `who` does.
///
/// # Safety
/// As captivate_test_hub_bot_says.
unsafe fn says(
    hub: *mut captivate_test_hub,
    conversation_id: *const c_char,
    content_json: *const c_char,
    send: bool,
    agent: bool,
) -> captivate_result {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let id = unsafe { arg_str(conversation_id, "conversation_id") }?;
        // SAFETY: forwarded from the caller.
        let content = unsafe { json_arg(content_json, "content_json") }?;
        with(hub, |h| if agent { h.agent_says(id, &content, send) } else { h.bot_says(id, &content, send) })
    })
}

/// The bot says `content_json` in a conversation: a JSON string (one text item, e.g.
/// `"\"Hello\""`) or a JSON array of items (strings are text items; objects such as
/// `{"type": "buttons", ...}` are sent as they are). Recorded in its transcript and, when
/// `send`, sent to its connection. An unknown conversation or bad content is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `conversation_id` and `content_json` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_bot_says(
    hub: *mut captivate_test_hub,
    conversation_id: *const c_char,
    content_json: *const c_char,
    send: bool,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    unsafe { says(hub, conversation_id, content_json, send, false) }
}

/// The live agent says `content_json` in a conversation, as captivate_test_hub_bot_says.
///
/// # Safety
/// As captivate_test_hub_bot_says.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_agent_says(
    hub: *mut captivate_test_hub,
    conversation_id: *const c_char,
    content_json: *const c_char,
    send: bool,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    unsafe { says(hub, conversation_id, content_json, send, true) }
}

/// Sends a `conversation_update` to a conversation: `update_json` is `{"type": ..., "data":
/// ...}`, e.g. `{"type": "livechatAgentConnected", "data": {"agentInfo": {"name": "Ada"}}}`.
///
/// # Safety
/// `conversation_id` and `update_json` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_update(
    hub: *mut captivate_test_hub,
    conversation_id: *const c_char,
    update_json: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let id = unsafe { arg_str(conversation_id, "conversation_id") }?;
        // SAFETY: per the function's contract.
        let update = unsafe { json_arg(update_json, "update_json") }?;
        with(hub, |h| h.update(id, &update))
    })
}

/// Every frame the hub received, in order, as a JSON array of `{"event": {"event_type",
/// "event_payload"}, ...}` (sends over HTTP carry `"via": "http"`), narrowed to a conversation
/// (`conversation_id`) and an event type (`event_type`, e.g. `"user_message"`) unless they are
/// NULL. `*out` is freed with captivate_string_free.
///
/// # Safety
/// `conversation_id` and `event_type` are NULL or NUL-terminated strings; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_received_json(
    hub: *mut captivate_test_hub,
    conversation_id: *const c_char,
    event_type: *const c_char,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        // SAFETY: per the function's contract.
        let id = unsafe { opt_str(conversation_id, "conversation_id") }?;
        // SAFETY: per the function's contract.
        let kind = unsafe { opt_str(event_type, "event_type") }?;
        let frames = with(hub, |h| h.received(id, kind))?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, Value::Array(frames).to_string()) };
        Ok(())
    })
}

/// Every HTTP request the hub served (but its control endpoints'), as a JSON array of
/// `{"method", "path", "status"}`. `*out` is freed with captivate_string_free.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_requests_json(
    hub: *mut captivate_test_hub,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let v = with(hub, Hub::requests)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, Value::Array(v).to_string()) };
        Ok(())
    })
}

/// The hub's conversations, as a JSON array of `{"conversation_id", "user_id", "metadata",
/// "live", "agent", "state", "transcript"}`. `*out` is freed with captivate_string_free.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_conversations_json(
    hub: *mut captivate_test_hub,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let v = with(hub, Hub::conversations)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, v.to_string()) };
        Ok(())
    })
}

/// The files stored by uploads, as a JSON array of `{"fileKey", "filename", "contentType",
/// "fileSize", "ttlDays"}`. `*out` is freed with captivate_string_free.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_files_json(
    hub: *mut captivate_test_hub,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let v = with(hub, Hub::files)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, v.to_string()) };
        Ok(())
    })
}

/// Makes the presigned links of a stored file (`file_key`; NULL: of every file) expire now.
/// `*count` (when `count` is not NULL) receives how many files it touched.
///
/// # Safety
/// `file_key` is NULL or a NUL-terminated string; `count` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_expire_files(
    hub: *mut captivate_test_hub,
    file_key: *const c_char,
    count: *mut usize,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let key = unsafe { opt_str(file_key, "file_key") }?;
        let n = with(hub, |h| h.expire_files(key))?;
        if !count.is_null() {
            // SAFETY: the caller promises it is writable.
            unsafe { *count = n };
        }
        Ok(())
    })
}

/// How many connections are open now.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_live_connections(
    hub: *mut captivate_test_hub,
    out: *mut usize,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let n = with(hub, Hub::live_connections)?;
        // SAFETY: checked non-NULL above; the caller promises it is writable.
        unsafe { *out = n };
        Ok(())
    })
}

/// How many WebSocket handshakes the hub accepted so far (it grows when a client reconnects).
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_connections_accepted(
    hub: *mut captivate_test_hub,
    out: *mut usize,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let n = with(hub, Hub::connections_accepted)?;
        // SAFETY: checked non-NULL above; the caller promises it is writable.
        unsafe { *out = n };
        Ok(())
    })
}

/// Forgets conversations, frames, requests and files, clears the faults and puts back the
/// script the hub started with: between tests. Connections stay open.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_reset(hub: *mut captivate_test_hub) -> captivate_result {
    guard(|| with(hub, Hub::reset))
}

/// With the fault proxy (the start option `proxy`), the WebSocket URL through it, without the
/// key: `ws://127.0.0.1:PROXY_PORT/dev` (with TLS, `wss://localhost:PROXY_PORT/dev`), the URL
/// captivate_test_hub_client_options_json gives clients (its HTTP URLs go through the proxy
/// too). Lent: valid until captivate_test_hub_stop; do not free it. NULL for a NULL or
/// stopped hub, or a hub without the proxy (the last error says which).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_proxy_url(hub: *mut captivate_test_hub) -> *const c_char {
    guard_ptr(|| {
        let e = HUBS.get(hub as usize as u64)?;
        match &e.proxy_url {
            // The entry lives in the table until captivate_test_hub_stop, and so does the string.
            Some(url) => Ok(url.as_ptr()),
            // The hub's own error: no proxy (or stopped).
            None => {
                let h = e.hub.read().unwrap_or_else(PoisonError::into_inner);
                let err = h.proxy_url().err().unwrap_or_else(|| BindingError::internal("the proxy's URL is missing"));
                Err(Fail::from(err))
            }
        }
    })
}

/// Replaces the fault proxy's faults with those `faults_json` names (NULL, `null` or `{}`:
/// none): `latency_ms` (a whole number: the delay added each way), `bandwidth_bps` (a whole
/// number: bytes per second in each direction), `blackhole` (a boolean: bytes are swallowed,
/// connections stay open). An unknown name or a value of the wrong type is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT and changes nothing, as is a hub without the proxy.
///
/// # Safety
/// `faults_json` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_set_proxy_faults(
    hub: *mut captivate_test_hub,
    faults_json: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let faults = unsafe { object_or_null(faults_json, "faults_json") }?;
        with(hub, |h| h.set_proxy_faults(&faults))
    })
}

/// The fault proxy's faults in force, as a JSON object (`latency_ms`, `bandwidth_bps`,
/// `blackhole`). `*out` is freed with captivate_string_free. A hub without the proxy is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_proxy_faults_json(
    hub: *mut captivate_test_hub,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let v = with(hub, Hub::proxy_faults)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, v.to_string()) };
        Ok(())
    })
}

/// Writes a count to an optional out-parameter.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn put_count(out: *mut usize, n: usize) {
    if !out.is_null() {
        // SAFETY: the caller promises it is writable.
        unsafe { *out = n };
    }
}

/// Resets every connection through the fault proxy (a TCP RST, no close frame): clients see a
/// dropped link and reconnect, per their policy. `*count_out` (when `count_out` is not NULL)
/// receives how many connections it reset. A hub without the proxy is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `count_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_proxy_reset(
    hub: *mut captivate_test_hub,
    count_out: *mut usize,
) -> captivate_result {
    guard(|| {
        let n = with(hub, Hub::proxy_reset)?;
        // SAFETY: per the function's contract.
        unsafe { put_count(count_out, n) };
        Ok(())
    })
}

/// Arms every connection through the fault proxy to be cut inside the next WebSocket frame the
/// hub sends on it: the client reads part of a frame, then the link drops. `*count_out` (when
/// `count_out` is not NULL) receives how many connections were armed. A hub without the proxy
/// is CAPTIVATE_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `count_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_proxy_truncate(
    hub: *mut captivate_test_hub,
    count_out: *mut usize,
) -> captivate_result {
    guard(|| {
        let n = with(hub, Hub::proxy_truncate)?;
        // SAFETY: per the function's contract.
        unsafe { put_count(count_out, n) };
        Ok(())
    })
}

/// Closes every connection through the fault proxy and refuses new ones for `down_ms`
/// milliseconds, then accepts them again on the same port; the hub itself keeps running (and
/// its conversations). Returns once the proxy refuses connections. A hub without the proxy is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_test_hub_proxy_restart(hub: *mut captivate_test_hub, down_ms: u64) -> captivate_result {
    guard(|| with(hub, |h| h.proxy_restart(Duration::from_millis(down_ms))))
}

/// The fault proxy's counters, as a JSON object: `accepted` (connections so far), `live` (open
/// now), `bytes_up` (client to hub), `bytes_down` (hub to client), `resets` and `truncated`
/// (connections cut by captivate_test_hub_proxy_reset and captivate_test_hub_proxy_truncate).
/// `*out` is freed with captivate_string_free. A hub without the proxy is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_test_hub_proxy_stats_json(
    hub: *mut captivate_test_hub,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        out_ok(out)?;
        let v = with(hub, Hub::proxy_stats)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { put_str(out, v.to_string()) };
        Ok(())
    })
}
