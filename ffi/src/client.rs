//! `captivate_client`: a connection to the hub, its callbacks, and the client-level calls.

use std::ffi::{c_char, c_void};
use std::future::Future;
use std::sync::{Arc, LazyLock};

use captivate::{ConnectionState, Conversation, ConversationList, Inbound, Pending};
use captivate_binding::{Session, runtime};
use serde_json::{Map, Value, json};

use crate::calls::wait;
use crate::dispatch::{
    Dispatch, UserData, captivate_callbacks, captivate_event_callback, captivate_userdata_free, in_callback,
};
use crate::operations::Call;
use crate::options::{captivate_options, config_of};
use crate::registry::Registry;
use crate::result::{Fail, R, captivate_result, guard};
use crate::strings::{arg_str, opt_json, opt_object, opt_str, put_str};

/// A client: one connection to the hub shared by its conversations, with one event callback
/// and one dispatch thread.
///
/// Methods: captivate_client_connect, captivate_client_new, captivate_client_free,
/// captivate_client_close(_async), captivate_client_reconnect(_async), captivate_client_state,
/// captivate_client_socket_id, captivate_client_start_conversation(_async),
/// captivate_client_attach, captivate_client_list_conversations(_async),
/// captivate_client_delete_user_conversations(_async), captivate_client_send_raw(_async),
/// captivate_client_presigned_url(_async), captivate_list_across(_async) (several clients),
/// and the captivate_conversation_* functions.
pub struct captivate_client {
    _private: [u8; 0],
}

/// A connection state.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum captivate_state {
    /// Created, not connecting yet.
    Initialized = 0,
    /// Opening a connection.
    Connecting = 1,
    /// Connected: the hub said `socket_connected`.
    Connected = 2,
    /// The connection dropped; a retry is scheduled; sends are queued.
    Disconnected = 3,
    /// Disconnected for long: queued sends failed; retries continue slowly.
    Suspended = 4,
    /// Closing gracefully.
    Closing = 5,
    /// Closed by the application.
    Closed = 6,
    /// Given up (rejected key, retries exhausted); captivate_client_reconnect tries again.
    Failed = 7,
}

/// A live client: its session and its dispatch thread.
pub(crate) struct Entry {
    pub(crate) session: Arc<Session>,
    pub(crate) dispatch: Dispatch,
}

impl Entry {
    /// Waits on this thread for the call `make` starts on the session (see [`wait`]).
    pub(crate) fn wait<T, E, F>(&self, timeout_ms: u64, make: impl FnOnce(&Arc<Session>) -> R<F>) -> R<T>
    where
        F: Future<Output = Result<T, E>>,
        E: Into<Fail>,
    {
        wait(timeout_ms, || make(&self.session))
    }
}

pub(crate) static CLIENTS: LazyLock<Registry<Entry>> = LazyLock::new(|| Registry::new("client"));

pub(crate) fn entry(client: *mut captivate_client) -> R<Arc<Entry>> {
    CLIENTS.get(client as usize as u64)
}

fn register(
    session: Arc<Session>,
    callbacks: captivate_callbacks,
    on_event: captivate_event_callback,
    userdata: *mut c_void,
    userdata_free: captivate_userdata_free,
    out: *mut *mut captivate_client,
) -> R<()> {
    let dispatch = Dispatch::start(session.clone(), callbacks, on_event, UserData(userdata), userdata_free)
        .map_err(|e| Fail::new(captivate_result::Internal, format!("cannot start the callbacks: {e}")))?;
    let id = CLIENTS.insert(Arc::new(Entry { session, dispatch }));
    // SAFETY: checked non-NULL by the callers; they promise it is writable.
    unsafe { *out = id as usize as *mut captivate_client };
    Ok(())
}

/// Connects and waits until the hub says `socket_connected` (at most the connect timeout).
/// Fails with the first attempt's error: CAPTIVATE_RESULT_REJECTED for a refused key,
/// CAPTIVATE_RESULT_CONNECT, or CAPTIVATE_RESULT_TIMEOUT. After that first success, drops are
/// retried per the reconnect policy.
///
/// `on_event` (may be NULL) receives every event of the client and its conversations, each
/// exactly once and in order, with `userdata`, on the client's dispatch thread.
/// `userdata_free` (may be NULL) is called exactly once with `userdata` after the last
/// callback, when the client is freed. On failure nothing is registered and `userdata_free`
/// is not called. `options` is copied and may be freed at once. On success `*out` receives
/// the client, freed with captivate_client_free.
///
/// Blocking: fails with CAPTIVATE_RESULT_WOULD_DEADLOCK inside a callback.
///
/// # Safety
/// `out` is NULL or writable; `userdata` is safe to use from the dispatch thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_connect(
    options: *const captivate_options,
    on_event: captivate_event_callback,
    userdata: *mut c_void,
    userdata_free: captivate_userdata_free,
    out: *mut *mut captivate_client,
) -> captivate_result {
    guard(|| {
        if out.is_null() {
            return Err(Fail::new(captivate_result::NullPointer, "out is NULL"));
        }
        if in_callback() {
            return Err(Fail::would_deadlock("captivate_client_new"));
        }
        let (config, callbacks) = config_of(options)?;
        let session = wait(0, || Ok(Session::connect(config)))?;
        register(session, callbacks, on_event, userdata, userdata_free, out)
    })
}

/// Like captivate_client_connect, but returns at once and connects in the background,
/// retrying per the reconnect policy from the first attempt; sends made meanwhile are queued.
/// Watch the `state` events to know when it is connected. Non-blocking.
///
/// # Safety
/// As captivate_client_connect.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_new(
    options: *const captivate_options,
    on_event: captivate_event_callback,
    userdata: *mut c_void,
    userdata_free: captivate_userdata_free,
    out: *mut *mut captivate_client,
) -> captivate_result {
    guard(|| {
        if out.is_null() {
            return Err(Fail::new(captivate_result::NullPointer, "out is NULL"));
        }
        let (config, callbacks) = config_of(options)?;
        let session = Session::connect_lazy(config)?;
        register(session, callbacks, on_event, userdata, userdata_free, out)
    })
}

/// Frees a client: its connection is closed (in the background), pending non-blocking calls
/// complete with CAPTIVATE_RESULT_CLOSED, then `userdata_free` runs. When it returns (on any
/// thread but the client's dispatch thread) no callback of this client runs any more. Called
/// from inside one of the client's callbacks it is allowed: teardown finishes after that
/// callback returns. NULL is accepted; a handle already freed returns
/// CAPTIVATE_RESULT_INVALID_HANDLE and does nothing.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_client_free(client: *mut captivate_client) -> captivate_result {
    guard(|| {
        if client.is_null() {
            return Ok(());
        }
        let e = CLIENTS.remove(client as usize as u64)?;
        let session = e.session.clone();
        runtime::handle().spawn(async move { session.close().await });
        e.dispatch.stop();
        Ok(())
    })
}

/// Closes the connection gracefully (close code 1000) and waits for it; queued sends and
/// waiting calls fail with CAPTIVATE_RESULT_CLOSED, and so do calls made afterwards, at once.
/// The `closed` state event is the last event until captivate_client_reconnect connects
/// again, and it has been given to the event callback when this returns; the handle stays
/// valid. Blocking.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_client_close(client: *mut captivate_client) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        e.wait(0, |s| {
            let s = s.clone();
            Ok(async move {
                s.close().await;
                Ok::<(), Fail>(())
            })
        })?;
        // The close ended the feed: return once the callback has seen its last event.
        e.dispatch.wait_feed_end(CLOSED_DELIVERED_LIMIT);
        Ok(())
    })
}

/// The longest a blocking close waits for the dispatch thread to deliver `closed` (it waits
/// only for the callbacks still running or queued before it).
const CLOSED_DELIVERED_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Starts closing the connection gracefully (close code 1000) and returns at once, so it may
/// be called from inside a callback; the `closed` state event follows on the callback.
/// Queued sends and waiting calls fail with CAPTIVATE_RESULT_CLOSED. The handle stays valid.
/// Non-blocking.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_client_close_async(client: *mut captivate_client) -> captivate_result {
    guard(|| {
        let s = entry(client)?.session.clone();
        runtime::handle().spawn(async move { s.close().await });
        Ok(())
    })
}

/// Asks for a connection now (after a close or a failure, or while waiting to retry) and
/// returns the wait for it: at most the connect timeout, failing with the reason.
pub(crate) fn reconnect(e: &Entry) -> R<Call<impl Future<Output = Result<(), captivate::Error>> + Send + use<>, ()>> {
    let client = e.session.client().clone();
    client.reconnect()?;
    // A close ended the feed; the events from here on go to a new one.
    e.dispatch.resubscribe();
    let limit = client.config().timings.connect_timeout;
    Ok(Call::unit(async move { client.wait_connected(limit).await }))
}

/// Writes the connection's current state to `*out`.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_state(
    client: *mut captivate_client,
    out: *mut captivate_state,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        if out.is_null() {
            return Err(Fail::new(captivate_result::NullPointer, "out is NULL"));
        }
        let s = match e.session.state() {
            ConnectionState::Initialized => captivate_state::Initialized,
            ConnectionState::Connecting { .. } => captivate_state::Connecting,
            ConnectionState::Connected { .. } => captivate_state::Connected,
            ConnectionState::Disconnected { .. } => captivate_state::Disconnected,
            ConnectionState::Suspended { .. } => captivate_state::Suspended,
            ConnectionState::Closing => captivate_state::Closing,
            ConnectionState::Closed => captivate_state::Closed,
            _ => captivate_state::Failed,
        };
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { *out = s };
        Ok(())
    })
}

/// Writes the hub's id of the current socket to `*out` (free it with captivate_string_free),
/// or NULL when not connected.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_socket_id(
    client: *mut captivate_client,
    out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        if out.is_null() {
            return Err(Fail::new(captivate_result::NullPointer, "out is NULL"));
        }
        match e.session.client().socket_id() {
            // SAFETY: checked non-NULL.
            Some(id) => unsafe { put_str(out, id) },
            // SAFETY: checked non-NULL; the caller promises it is writable.
            None => unsafe { *out = std::ptr::null_mut() },
        }
        Ok(())
    })
}

/// Registers a conversation started elsewhere (by id), so that its events reach this client's
/// callback. The captivate_conversation_* functions do this on first use as well.
///
/// # Safety
/// `conversation_id` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_attach(
    client: *mut captivate_client,
    conversation_id: *const c_char,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: per the function's contract.
        let id = unsafe { arg_str(conversation_id, "conversation_id") }?;
        e.session.conversation(id).map(drop).map_err(Fail::from)
    })
}

/// Options as a JSON object (NULL: `{}`), with `user_id` set when given.
///
/// # Safety
/// Both are NULL or NUL-terminated.
pub(crate) unsafe fn with_user(user_id: Option<&str>, options_json: *const c_char) -> R<Value> {
    // SAFETY: forwarded from the caller.
    let mut o = unsafe { opt_object(options_json, "options_json") }?.unwrap_or_else(|| Value::Object(Map::new()));
    if let (Some(user), Some(map)) = (user_id, o.as_object_mut()) {
        map.insert("user_id".into(), json!(user));
    }
    Ok(o)
}

/// Starts a conversation (see captivate_client_start_conversation).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn start_conversation(
    e: &Entry,
    user_id: *const c_char,
    options_json: *const c_char,
) -> R<Call<Pending<Conversation>, Conversation>> {
    // SAFETY: forwarded from the caller.
    let o = unsafe { with_user(opt_str(user_id, "user_id")?, options_json) }?;
    Ok(Call::new(
        e.session.start_conversation(&o),
        |c| Some(c.id().to_owned()),
        |c| Some(json!({ "conversation_id": c.id() }).to_string()),
    ))
}

/// Lists a user's conversations (see captivate_client_list_conversations).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn list_conversations(
    e: &Entry,
    user_id: *const c_char,
    options_json: *const c_char,
) -> R<Call<Pending<ConversationList>, ConversationList>> {
    // SAFETY: forwarded from the caller.
    let o = unsafe { with_user(Some(arg_str(user_id, "user_id")?), options_json) }?;
    Ok(Call::same(e.session.list_conversations(&o), |l| Some(l.to_json().to_string())))
}

/// Deletes a user's conversations (see captivate_client_delete_user_conversations).
///
/// # Safety
/// `user_id` is NULL or NUL-terminated.
pub(crate) unsafe fn delete_user_conversations(
    e: &Entry,
    user_id: *const c_char,
    hard: bool,
) -> R<Call<Pending<()>, ()>> {
    // SAFETY: forwarded from the caller.
    let user = unsafe { arg_str(user_id, "user_id") }?;
    Ok(Call::unit(e.session.delete_user_conversations(user, hard)))
}

/// Sends any event, waiting for a reply when asked (see captivate_client_send_raw).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn send_raw(
    e: &Entry,
    event_type: *const c_char,
    payload_json: *const c_char,
    reply_event_type: *const c_char,
    conversation_id: *const c_char,
) -> R<Call<Pending<Option<Inbound>>, Option<Inbound>>> {
    // SAFETY: forwarded from the caller.
    let et = unsafe { arg_str(event_type, "event_type") }?;
    // SAFETY: forwarded from the caller.
    let payload = unsafe { opt_json(payload_json, "payload_json") }?;
    // SAFETY: forwarded from the caller.
    let reply = unsafe { opt_str(reply_event_type, "reply_event_type") }?;
    // SAFETY: forwarded from the caller.
    let conv = unsafe { opt_str(conversation_id, "conversation_id") }?;
    Ok(Call::same(e.session.request(et, payload.as_ref(), reply, conv), |r| r.map(|r| r.to_json().to_string())))
}
