//! `captivate_options`: the builder of a client's configuration.

use std::ffi::{CString, c_char};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use captivate::Config;
use captivate::options::{OPTIONS as SCHEMA, OptionType};
use serde_json::{Value, json};

use crate::dispatch::captivate_callbacks;
use crate::registry::Registry;
use crate::result::{Fail, R, captivate_result, guard, guard_or};
use crate::strings::{arg_str, to_c};

/// Options of a client: endpoint, API key, timeouts, reconnect policy, TLS, limits. Every
/// option of the schema (captivate_options_schema_json) can be set by name with
/// captivate_options_set_json; the typed setters set some of them the same way.
///
/// Methods: captivate_options_new, captivate_options_set_json, captivate_options_set_endpoint,
/// captivate_options_set_connect_timeout_ms, captivate_options_set_request_timeout_ms,
/// captivate_options_set_metadata_timeout_ms, captivate_options_set_ping_interval_ms,
/// captivate_options_set_reconnect, captivate_options_set_tls_roots,
/// captivate_options_set_ca_file, captivate_options_set_max_frame_size,
/// captivate_options_set_delivery, captivate_options_set_offline_queue,
/// captivate_options_set_socket_per_conversation, captivate_options_set_legacy_dialect,
/// captivate_options_set_catch_up, captivate_options_set_transport,
/// captivate_options_set_refresh_file_links, captivate_options_set_callbacks,
/// captivate_options_free.
pub struct captivate_options {
    _private: [u8; 0],
}

/// Which root certificates to trust for `wss://`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum captivate_tls_roots {
    /// The Mozilla roots built into the library (the default).
    Webpki = 0,
    /// The operating system's store.
    System = 1,
    /// Both.
    Both = 2,
    /// Neither: only the CA file (a private hub).
    None = 3,
}

/// What to do with a message written to a connection that died before the hub confirmed it.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum captivate_delivery {
    /// Never resend; the call fails with CAPTIVATE_RESULT_POSSIBLY_NOT_DELIVERED (the default).
    AtMostOnce = 0,
    /// Resend once after reconnecting, with the same client_msg_id.
    AtLeastOnce = 1,
}

/// How requests travel to the hub; events always arrive on the WebSocket.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum captivate_transport {
    /// Over the WebSocket (the default).
    Socket = 0,
    /// POSTed to the hub's HTTP service with the socket's id, as the official client sends
    /// them; transcripts are read over REST. The HTTP base is the hub's own host (or the
    /// option `http_url`).
    Http = 1,
}

/// What a captivate_options holds: the client's configuration, and where its callbacks run.
pub(crate) struct Options {
    config: Config,
    callbacks: captivate_callbacks,
}

pub(crate) static OPTIONS: LazyLock<Registry<Mutex<Options>>> = LazyLock::new(|| Registry::new("options"));

/// The name of the option (in captivate_options_set_json) that chooses where callbacks run.
const CALLBACKS: &str = "callbacks";
/// Its values, in the order of captivate_callbacks.
const CALLBACKS_VALUES: [&str; 3] = ["dispatch-thread", "library-thread", "polled"];

/// Sets the options `v` names through the schema, all or none.
fn set(options: *mut captivate_options, v: Value) -> captivate_result {
    guard(|| apply(options, &v))
}

fn apply(options: *mut captivate_options, v: &Value) -> R<()> {
    let o = OPTIONS.get(options as usize as u64)?;
    let mut o = o.lock().unwrap_or_else(PoisonError::into_inner);
    // `callbacks` is the C library's own; the rest is the schema's.
    let callbacks = match v.get(CALLBACKS) {
        None | Some(Value::Null) => None,
        Some(c) => Some(callbacks_named(c)?),
    };
    match v {
        Value::Object(m) if m.contains_key(CALLBACKS) => {
            let mut rest = m.clone();
            rest.remove(CALLBACKS);
            captivate::options::apply(&mut o.config, &Value::Object(rest)).map_err(Fail::from)?;
        }
        _ => captivate::options::apply(&mut o.config, v).map_err(Fail::from)?,
    }
    if let Some(c) = callbacks {
        o.callbacks = c;
    }
    Ok(())
}

fn callbacks_named(v: &Value) -> R<captivate_callbacks> {
    match v.as_str().and_then(|s| CALLBACKS_VALUES.iter().position(|n| *n == s)) {
        Some(0) => Ok(captivate_callbacks::DispatchThread),
        Some(1) => Ok(captivate_callbacks::LibraryThread),
        Some(_) => Ok(captivate_callbacks::Polled),
        None => Err(Fail::new(
            captivate_result::InvalidArgument,
            format!("callbacks: {v} is not one of {}", CALLBACKS_VALUES.join(", ")),
        )),
    }
}

/// The configuration the options hold now, and where the callbacks run.
pub(crate) fn config_of(options: *const captivate_options) -> R<(Config, captivate_callbacks)> {
    let o = OPTIONS.get(options as usize as u64)?;
    let o = o.lock().unwrap_or_else(PoisonError::into_inner);
    Ok((o.config.clone(), o.callbacks))
}

fn one_of(n: i32, names: &[&str], what: &str) -> R<Value> {
    usize::try_from(n)
        .ok()
        .and_then(|i| names.get(i))
        .map(|s| json!(s))
        .ok_or_else(|| Fail::new(captivate_result::InvalidArgument, format!("{n} is not a {what}")))
}

/// Creates options for an API key, with the defaults: the production hub, 10 s connect and
/// request timeouts (15 s for metadata), reconnecting forever with jittered backoff from 1 s
/// to 30 s, webpki roots, 1 MiB frames.
///
/// `api_key` is copied. On success `*out` receives a handle, freed with
/// captivate_options_free.
///
/// # Safety
/// `api_key` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_options_new(
    api_key: *const c_char,
    out: *mut *mut captivate_options,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let key = unsafe { arg_str(api_key, "api_key") }?;
        if out.is_null() {
            return Err(Fail::new(captivate_result::NullPointer, "out is NULL"));
        }
        if key.is_empty() {
            return Err(Fail::new(captivate_result::InvalidArgument, "the API key is empty"));
        }
        let id = OPTIONS.insert(Arc::new(Mutex::new(Options {
            config: Config::new(key),
            callbacks: captivate_callbacks::default(),
        })));
        // SAFETY: checked non-NULL above; the caller promises it is writable.
        unsafe { *out = id as usize as *mut captivate_options };
        Ok(())
    })
}

/// Frees options. NULL is accepted; a handle already freed returns
/// CAPTIVATE_RESULT_INVALID_HANDLE and does nothing. Clients made from the options keep
/// their own copy.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_free(options: *mut captivate_options) -> captivate_result {
    guard(|| {
        if options.is_null() {
            return Ok(());
        }
        OPTIONS.remove(options as usize as u64).map(drop)
    })
}

/// Sets the options a JSON object names, all or none: for example `{"request_timeout_ms":
/// 3000, "reconnect": {"max_attempts": 5}, "tls_roots": "system"}`. Every option of
/// captivate_options_schema_json is accepted, by its snake_case name or its camelCase
/// spelling; the `reconnect.*` options are nested under `reconnect`; durations are
/// milliseconds; `null` leaves an option as it is. A JSON that does not parse or is not an
/// object is CAPTIVATE_RESULT_INVALID_JSON; an unknown name or a value of the wrong type or
/// range is CAPTIVATE_RESULT_INVALID_ARGUMENT, and then nothing changes.
///
/// # Safety
/// `json` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_options_set_json(
    options: *mut captivate_options,
    json: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let v = unsafe { crate::strings::opt_object(json, "json") }?
            .ok_or_else(|| Fail::new(captivate_result::NullPointer, "json is NULL"))?;
        apply(options, &v)
    })
}

/// Every option captivate_options_set_json takes, as a JSON array of `{"name", "type", "doc"}`
/// (and `"values"` for a choice): `type` is `text`, `choice` (one of `values`), `millis` (a
/// non-negative number of milliseconds), `flag` (a boolean), `count` (a non-negative
/// integer) or `text_list` (an array of strings); a name `reconnect.x` is set as `{"reconnect": {"x": ...}}`. Static: do not free.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_schema_json() -> *const c_char {
    static SCHEMA_JSON: LazyLock<CString> = LazyLock::new(|| {
        let mut all: Vec<Value> = SCHEMA
            .iter()
            .map(|o| {
                let (kind, values) = match o.kind {
                    OptionType::Text => ("text", None),
                    OptionType::OneOf(v) => ("choice", Some(v)),
                    OptionType::Millis => ("millis", None),
                    OptionType::Flag => ("flag", None),
                    OptionType::Count => ("count", None),
                    OptionType::TextList => ("text_list", None),
                };
                let mut j = json!({"name": o.name, "type": kind, "doc": o.doc});
                if let Some(v) = values {
                    j["values"] = json!(v);
                }
                j
            })
            .collect();
        all.push(json!({
            "name": CALLBACKS,
            "type": "choice",
            "values": CALLBACKS_VALUES,
            "doc": "Where the client's callbacks run (captivate_callbacks): on a thread of the client's own, \
                    on the library's own thread, or on the application's thread (captivate_client_dispatch).",
        }));
        to_c(Value::Array(all).to_string())
    });
    guard_or(c"[]".as_ptr(), || Some(SCHEMA_JSON.as_ptr()))
}

/// Sets the hub: `"prod"` (default), `"dev"`, or a `ws://` / `wss://` URL given without the
/// `apiKey` query (the library appends the key).
///
/// # Safety
/// `endpoint` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_options_set_endpoint(
    options: *mut captivate_options,
    endpoint: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let e = unsafe { arg_str(endpoint, "endpoint") }?;
        apply(options, &json!({ "endpoint": e }))
    })
}

/// Sets the time from starting a connection to the hub's `socket_connected` (default 10 000).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_connect_timeout_ms(
    options: *mut captivate_options,
    ms: u64,
) -> captivate_result {
    set(options, json!({ "connect_timeout_ms": ms }))
}

/// Sets the wait for a reply, counted from the write (default 10 000).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_request_timeout_ms(
    options: *mut captivate_options,
    ms: u64,
) -> captivate_result {
    set(options, json!({ "request_timeout_ms": ms }))
}

/// Sets the wait for a metadata update's confirmation (default 15 000).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_metadata_timeout_ms(
    options: *mut captivate_options,
    ms: u64,
) -> captivate_result {
    set(options, json!({ "metadata_timeout_ms": ms }))
}

/// Sets the keep-alive ping interval (default 25 000); the link is declared dead after this
/// plus 10 s without any inbound traffic.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_ping_interval_ms(options: *mut captivate_options, ms: u64) -> captivate_result {
    set(options, json!({ "ping_interval_ms": ms }))
}

/// Sets the reconnect policy: whether to reconnect at all, the backoff's first step and cap
/// (retry n waits a random time in [d/2, d], d = min(max, initial * 2^n)), and the number of
/// consecutive failed attempts after which to give up (0: never give up).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_reconnect(
    options: *mut captivate_options,
    enabled: bool,
    initial_delay_ms: u64,
    max_delay_ms: u64,
    max_attempts: u32,
) -> captivate_result {
    set(
        options,
        json!({"reconnect": {
            "enabled": enabled,
            "initial_delay_ms": initial_delay_ms,
            "max_delay_ms": max_delay_ms,
            "max_attempts": max_attempts,
        }}),
    )
}

/// Sets which root certificates to trust for `wss://` (default CAPTIVATE_TLS_ROOTS_WEBPKI).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_tls_roots(options: *mut captivate_options, roots: i32) -> captivate_result {
    guard(|| {
        apply(
            options,
            &json!({ "tls_roots": one_of(roots, &["webpki", "system", "both", "none"], "captivate_tls_roots")? }),
        )
    })
}

/// Adds the CA certificates of a PEM file to the trusted roots (a private hub). The file is
/// read when the client connects.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_options_set_ca_file(
    options: *mut captivate_options,
    path: *const c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let p = unsafe { arg_str(path, "path") }?;
        apply(options, &json!({ "ca_file": p }))
    })
}

/// Sets where the client's event and completion callbacks run (a captivate_callbacks value;
/// default CAPTIVATE_CALLBACKS_DISPATCH_THREAD), the same as `{"callbacks": "dispatch-thread"
/// | "library-thread" | "polled"}` with captivate_options_set_json.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_callbacks(options: *mut captivate_options, callbacks: i32) -> captivate_result {
    guard(|| {
        let c = one_of(callbacks, &CALLBACKS_VALUES, "captivate_callbacks")?;
        apply(options, &json!({ CALLBACKS: c }))
    })
}

/// Sets the largest frame accepted or sent, in bytes (default 1 MiB, at least 1024).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_max_frame_size(
    options: *mut captivate_options,
    bytes: usize,
) -> captivate_result {
    set(options, json!({ "max_frame_size": bytes }))
}

/// Sets the delivery policy of messages (a captivate_delivery value).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_delivery(options: *mut captivate_options, delivery: i32) -> captivate_result {
    guard(|| {
        let d = one_of(delivery, &["at-most-once", "at-least-once"], "captivate_delivery")?;
        apply(options, &json!({ "delivery": d }))
    })
}

/// Sets the offline queue: whether sends made while disconnected are queued (default true),
/// and its limits (default 1000 events, 1 MiB).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_offline_queue(
    options: *mut captivate_options,
    enabled: bool,
    max_events: usize,
    max_bytes: usize,
) -> captivate_result {
    set(
        options,
        json!({"queue_while_offline": enabled, "max_queued_events": max_events, "max_queued_bytes": max_bytes}),
    )
}

/// Gives every conversation its own socket (default false: one socket per client).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_socket_per_conversation(
    options: *mut captivate_options,
    enabled: bool,
) -> captivate_result {
    set(options, json!({ "socket_per_conversation": enabled }))
}

/// Uses the operation names of the published Socket API reference (`get_conversations`,
/// deleting a user's conversations with `delete_conversation`) instead of the current ones.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_legacy_dialect(
    options: *mut captivate_options,
    legacy: bool,
) -> captivate_result {
    set(options, json!({ "dialect": if legacy { "legacy" } else { "current" } }))
}

/// After a reconnect, fetches each conversation's transcript and delivers the bot and agent
/// messages missed while the connection was down (their JSON has `"recovered": true`), in
/// order, before newer events (default true).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_catch_up(options: *mut captivate_options, enabled: bool) -> captivate_result {
    set(options, json!({ "catch_up": enabled }))
}

/// Sets how requests travel to the hub (a captivate_transport value; default
/// CAPTIVATE_TRANSPORT_SOCKET), the same as `{"transport": "socket" | "http"}` with
/// captivate_options_set_json.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_transport(options: *mut captivate_options, transport: i32) -> captivate_result {
    guard(|| {
        let t = one_of(transport, &["socket", "http"], "captivate_transport")?;
        apply(options, &json!({ "transport": t }))
    })
}

/// Whether reading a transcript renews the links of stored files about to expire and pushes
/// them back to the hub (default true), as captivate_conversation_get_transcript describes.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_refresh_file_links(
    options: *mut captivate_options,
    enabled: bool,
) -> captivate_result {
    set(options, json!({ "refresh_file_links": enabled }))
}
