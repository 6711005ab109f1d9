//! `captivate_options`: the builder of a client's configuration.

use std::ffi::c_char;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use captivate::{Config, Delivery, Dialect, Endpoint, TlsRoots};

use crate::registry::Registry;
use crate::result::{Fail, R, captivate_result, guard};
use crate::strings::arg_str;

/// Options of a client: endpoint, API key, timeouts, reconnect policy, TLS, limits.
///
/// Methods: captivate_options_new, captivate_options_set_endpoint,
/// captivate_options_set_connect_timeout_ms, captivate_options_set_request_timeout_ms,
/// captivate_options_set_metadata_timeout_ms, captivate_options_set_ping_interval_ms,
/// captivate_options_set_reconnect, captivate_options_set_tls_roots,
/// captivate_options_set_ca_file, captivate_options_set_max_frame_size,
/// captivate_options_set_delivery, captivate_options_set_offline_queue,
/// captivate_options_set_socket_per_conversation, captivate_options_set_legacy_dialect,
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

pub(crate) static OPTIONS: LazyLock<Registry<Mutex<Config>>> = LazyLock::new(|| Registry::new("options"));

fn with(options: *mut captivate_options, f: impl FnOnce(&mut Config) -> R<()>) -> captivate_result {
    guard(|| {
        let o = OPTIONS.get(options as usize as u64)?;
        let mut c = o.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut c)
    })
}

fn millis(ms: u64, name: &str) -> R<Duration> {
    if ms == 0 {
        return Err(Fail::new(captivate_result::InvalidArgument, format!("{name} must be greater than zero")));
    }
    Ok(Duration::from_millis(ms))
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
        let id = OPTIONS.insert(Arc::new(Mutex::new(Config::new(key))));
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
    with(options, |c| {
        // SAFETY: per the function's contract.
        let e = unsafe { arg_str(endpoint, "endpoint") }?;
        c.endpoint = Endpoint::parse(e).map_err(Fail::from)?;
        Ok(())
    })
}

/// Sets the time from starting a connection to the hub's `socket_connected` (default 10 000).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_connect_timeout_ms(
    options: *mut captivate_options,
    ms: u64,
) -> captivate_result {
    with(options, |c| {
        c.timings.connect_timeout = millis(ms, "the connect timeout")?;
        Ok(())
    })
}

/// Sets the wait for a reply, counted from the write (default 10 000).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_request_timeout_ms(
    options: *mut captivate_options,
    ms: u64,
) -> captivate_result {
    with(options, |c| {
        c.timings.request_timeout = millis(ms, "the request timeout")?;
        Ok(())
    })
}

/// Sets the wait for a metadata update's confirmation (default 15 000).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_metadata_timeout_ms(
    options: *mut captivate_options,
    ms: u64,
) -> captivate_result {
    with(options, |c| {
        c.timings.metadata_timeout = millis(ms, "the metadata timeout")?;
        Ok(())
    })
}

/// Sets the keep-alive ping interval (default 25 000); the link is declared dead after this
/// plus 10 s without any inbound traffic.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_ping_interval_ms(options: *mut captivate_options, ms: u64) -> captivate_result {
    with(options, |c| {
        c.timings.ping_interval = millis(ms, "the ping interval")?;
        Ok(())
    })
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
    with(options, |c| {
        let r = &mut c.timings.reconnect;
        r.enabled = enabled;
        r.initial_delay = millis(initial_delay_ms, "the initial delay")?;
        r.max_delay = millis(max_delay_ms, "the maximum delay")?;
        r.max_attempts = (max_attempts > 0).then_some(max_attempts);
        Ok(())
    })
}

/// Sets which root certificates to trust for `wss://` (default CAPTIVATE_TLS_ROOTS_WEBPKI).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_tls_roots(options: *mut captivate_options, roots: i32) -> captivate_result {
    with(options, |c| {
        c.tls.roots = match roots {
            0 => TlsRoots::Webpki,
            1 => TlsRoots::System,
            2 => TlsRoots::Both,
            3 => TlsRoots::None,
            _ => {
                return Err(Fail::new(
                    captivate_result::InvalidArgument,
                    format!("{roots} is not a captivate_tls_roots"),
                ));
            }
        };
        Ok(())
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
    with(options, |c| {
        // SAFETY: per the function's contract.
        let p = unsafe { arg_str(path, "path") }?;
        c.tls.extra_ca_file = Some(p.into());
        Ok(())
    })
}

/// Sets the largest frame accepted or sent, in bytes (default 1 MiB, at least 1024).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_max_frame_size(
    options: *mut captivate_options,
    bytes: usize,
) -> captivate_result {
    with(options, |c| {
        if bytes < 1024 {
            return Err(Fail::new(captivate_result::InvalidArgument, "the maximum frame size must be at least 1024"));
        }
        c.max_frame_size = bytes;
        Ok(())
    })
}

/// Sets the delivery policy of messages (a captivate_delivery value).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_delivery(options: *mut captivate_options, delivery: i32) -> captivate_result {
    with(options, |c| {
        c.timings.delivery = match delivery {
            0 => Delivery::AtMostOnce,
            1 => Delivery::AtLeastOnce,
            _ => {
                return Err(Fail::new(
                    captivate_result::InvalidArgument,
                    format!("{delivery} is not a captivate_delivery"),
                ));
            }
        };
        Ok(())
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
    with(options, |c| {
        c.timings.queue_while_offline = enabled;
        c.timings.max_queued_events = max_events;
        c.timings.max_queued_bytes = max_bytes;
        Ok(())
    })
}

/// Gives every conversation its own socket (default false: one socket per client).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_socket_per_conversation(
    options: *mut captivate_options,
    enabled: bool,
) -> captivate_result {
    with(options, |c| {
        c.socket_per_conversation = enabled;
        Ok(())
    })
}

/// Uses the operation names of the published Socket API reference (`get_conversations`,
/// deleting a user's conversations with `delete_conversation`) instead of the current ones.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_legacy_dialect(
    options: *mut captivate_options,
    legacy: bool,
) -> captivate_result {
    with(options, |c| {
        c.dialect = if legacy { Dialect::Legacy } else { Dialect::Current };
        Ok(())
    })
}

/// After a reconnect, fetches each conversation's transcript and delivers the bot and agent
/// messages missed while the connection was down (their JSON has `"recovered": true`), in
/// order, before newer events (default true).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_options_set_catch_up(options: *mut captivate_options, enabled: bool) -> captivate_result {
    with(options, |c| {
        c.timings.catch_up = enabled;
        Ok(())
    })
}
