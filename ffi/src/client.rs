//! `captivate_client`: a connection to the hub, its callbacks, and the client-level calls.

use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use captivate::{Client, ConnectionState, Conversation, DeleteMode, EventStream, ListOptions, StartOptions};
use serde_json::{Value, json};

use crate::RT;
use crate::dispatch::{
    Dispatch, Job, UserData, captivate_completion_callback, captivate_event_callback, captivate_userdata_free,
    in_callback,
};
use crate::options::{OPTIONS, captivate_options};
use crate::registry::Registry;
use crate::result::{Fail, R, captivate_result, guard};
use crate::strings::{arg_str, opt_json, opt_object, opt_str, put_str};

/// A client: one connection to the hub shared by its conversations, with one event callback
/// and one dispatch thread.
///
/// Methods: captivate_client_connect, captivate_client_new, captivate_client_free,
/// captivate_client_close(_async), captivate_client_reconnect, captivate_client_state,
/// captivate_client_socket_id, captivate_client_start_conversation(_async),
/// captivate_client_attach, captivate_client_list_conversations(_async),
/// captivate_client_delete_user_conversations(_async), captivate_client_send_raw(_async),
/// captivate_client_request_raw(_async), and the captivate_conversation_* functions.
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

pub(crate) struct Entry {
    pub(crate) client: Client,
    conversations: Mutex<HashMap<String, Conversation>>,
    forwarders: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    dispatch: Dispatch,
    pending: Mutex<HashMap<u64, (captivate_completion_callback, UserData)>>,
    next_call: AtomicU64,
}

pub(crate) static CLIENTS: LazyLock<Registry<Entry>> = LazyLock::new(|| Registry::new("client"));

static DISPATCH_THREADS: AtomicU64 = AtomicU64::new(1);

/// A call's outcome as JSON.
pub(crate) type Op = Pin<Box<dyn Future<Output = R<Value>> + Send>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Entry {
    /// Forwards a stream to the dispatch thread. Conversation streams skip state changes,
    /// which the client's own stream already carries.
    fn forward(&self, stream: EventStream, with_state: bool) {
        self.forward_after(Vec::new(), stream, with_state);
    }

    /// As `forward`, once the tasks `before` have finished (so that events keep their order).
    fn forward_after(&self, before: Vec<tokio::task::JoinHandle<()>>, stream: EventStream, with_state: bool) {
        let tx = self.dispatch.tx.clone();
        let task = RT.spawn(async move {
            for t in before {
                let _ = t.await;
            }
            let mut stream = stream;
            while let Some(e) = stream.next().await {
                if !with_state && matches!(e, captivate::Event::State(_)) {
                    continue;
                }
                if tx.send(Job::Event(Box::new(e))).is_err() {
                    break;
                }
            }
        });
        lock(&self.forwarders).push(task);
    }

    /// The core ends every event stream once the client is closed; before connecting again,
    /// listen anew to the client and each of its conversations.
    fn resubscribe(&self) {
        let old: Vec<_> = lock(&self.forwarders).drain(..).collect();
        self.forward_after(old, self.client.events(), true);
        let convs: Vec<Conversation> = lock(&self.conversations).values().cloned().collect();
        for c in convs {
            self.forward(c.events(), false);
        }
    }

    fn adopt(&self, conversation: Conversation) {
        let mut convs = lock(&self.conversations);
        if !convs.contains_key(conversation.id()) {
            self.forward(conversation.events(), false);
            convs.insert(conversation.id().to_owned(), conversation);
        }
    }

    /// The conversation with this id, attached on first use.
    pub(crate) fn conversation(&self, id: &str) -> R<Conversation> {
        if let Some(c) = lock(&self.conversations).get(id) {
            return Ok(c.clone());
        }
        let c = self.client.conversation(id)?;
        self.adopt(c.clone());
        Ok(c)
    }
}

pub(crate) fn entry(client: *mut captivate_client) -> R<Arc<Entry>> {
    CLIENTS.get(client as usize as u64)
}

/// Runs the call that `make` starts to completion on this thread, at most `timeout_ms` (0:
/// the library's own timeouts only). Inside a callback nothing is started (the core submits a
/// request as soon as it is made) and the call fails with CAPTIVATE_RESULT_WOULD_DEADLOCK.
pub(crate) fn block(timeout_ms: u64, make: impl FnOnce() -> R<Op>) -> R<Value> {
    if in_callback() {
        return Err(Fail::new(
            captivate_result::WouldDeadlock,
            "a blocking call inside a callback would deadlock; use the _async form",
        ));
    }
    let op = make()?;
    RT.block_on(async move {
        if timeout_ms == 0 {
            return op.await;
        }
        match tokio::time::timeout(Duration::from_millis(timeout_ms), op).await {
            Ok(r) => r,
            Err(_) => Err(Fail::new(captivate_result::Timeout, format!("no outcome within {timeout_ms} ms"))),
        }
    })
}

/// Starts a call whose outcome goes to `cb` on the client's dispatch thread, exactly once
/// (with CAPTIVATE_RESULT_CLOSED if the client is freed first).
pub(crate) fn spawn(entry: &Arc<Entry>, cb: captivate_completion_callback, userdata: *mut c_void, op: Op) -> R<()> {
    let id = entry.next_call.fetch_add(1, Ordering::Relaxed);
    lock(&entry.pending).insert(id, (cb, UserData(userdata)));
    let weak = Arc::downgrade(entry);
    RT.spawn(async move {
        let r = op.await;
        let Some(e) = weak.upgrade() else { return };
        let Some((cb, userdata)) = lock(&e.pending).remove(&id) else { return };
        let (result, json) = match r {
            Ok(Value::Null) => (captivate_result::Ok, None),
            Ok(v) => (captivate_result::Ok, Some(v.to_string())),
            Err(f) => (f.code, Some(f.to_json())),
        };
        let _ = e.dispatch.tx.send(Job::Complete { cb, userdata, result, json });
    });
    Ok(())
}

fn register(
    client: Client,
    on_event: captivate_event_callback,
    userdata: *mut c_void,
    userdata_free: captivate_userdata_free,
) -> R<u64> {
    let n = DISPATCH_THREADS.fetch_add(1, Ordering::Relaxed);
    let dispatch = Dispatch::start(format!("captivate-cb-{n}"), on_event, UserData(userdata), userdata_free)
        .map_err(|e| Fail::new(captivate_result::Internal, format!("cannot start the dispatch thread: {e}")))?;
    let events = client.events();
    let entry = Arc::new(Entry {
        client,
        conversations: Mutex::new(HashMap::new()),
        forwarders: Mutex::new(Vec::new()),
        dispatch,
        pending: Mutex::new(HashMap::new()),
        next_call: AtomicU64::new(1),
    });
    entry.forward(events, true);
    Ok(CLIENTS.insert(entry))
}

fn options_of(options: *const captivate_options) -> R<captivate::Config> {
    let o = OPTIONS.get(options as usize as u64)?;
    let c = lock(&o).clone();
    Ok(c)
}

/// Connects and waits until the hub says `socket_connected` (at most the connect timeout).
/// Fails with the first attempt's error: CAPTIVATE_RESULT_REJECTED for a refused key,
/// CAPTIVATE_RESULT_CONNECT, or CAPTIVATE_RESULT_TIMEOUT. After that first success, drops are
/// retried per the reconnect policy.
///
/// `on_event` (may be NULL) receives every event of the client and its conversations, with
/// `userdata`, on the client's dispatch thread. `userdata_free` (may be NULL) is called
/// exactly once with `userdata` after the last callback, when the client is freed. On failure
/// nothing is registered and `userdata_free` is not called. `options` is copied and may be
/// freed at once. On success `*out` receives the client, freed with captivate_client_free.
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
            return Err(Fail::new(
                captivate_result::WouldDeadlock,
                "connecting blocks; use captivate_client_new in a callback",
            ));
        }
        let config = options_of(options)?;
        let client = RT.block_on(Client::connect(config))?;
        let id = register(client, on_event, userdata, userdata_free)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { *out = id as usize as *mut captivate_client };
        Ok(())
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
        let config = options_of(options)?;
        let client = {
            let _rt = RT.enter();
            Client::connect_lazy(config)?
        };
        let id = register(client, on_event, userdata, userdata_free)?;
        // SAFETY: checked non-NULL; the caller promises it is writable.
        unsafe { *out = id as usize as *mut captivate_client };
        Ok(())
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
        for task in lock(&e.forwarders).drain(..) {
            task.abort();
        }
        let c = e.client.clone();
        RT.spawn(async move { c.close().await });
        let pending: Vec<_> = lock(&e.pending).drain().map(|(_, v)| v).collect();
        for (cb, userdata) in pending {
            let json = Some(Fail::new(captivate_result::Closed, "the client was freed").to_json());
            let _ = e.dispatch.tx.send(Job::Complete { cb, userdata, result: captivate_result::Closed, json });
        }
        e.dispatch.stop();
        Ok(())
    })
}

/// Closes the connection gracefully (close code 1000) and waits for it; queued sends and
/// waiting calls fail with CAPTIVATE_RESULT_CLOSED. The handle stays valid:
/// captivate_client_reconnect connects again. Blocking.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_client_close(client: *mut captivate_client) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        if in_callback() {
            return Err(Fail::new(
                captivate_result::WouldDeadlock,
                "closing waits for the hub; call it outside callbacks, or use captivate_client_close_async",
            ));
        }
        RT.block_on(e.client.close());
        Ok(())
    })
}

/// Starts closing the connection gracefully (close code 1000) and returns at once, so it may
/// be called from inside a callback; the `closed` state event follows on the callback.
/// Queued sends and waiting calls fail with CAPTIVATE_RESULT_CLOSED. The handle stays valid.
/// Non-blocking.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_client_close_async(client: *mut captivate_client) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        let c = e.client.clone();
        RT.spawn(async move { c.close().await });
        Ok(())
    })
}

/// Connects again after a close or a failure, or retries at once while waiting to reconnect.
/// Non-blocking.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_client_reconnect(client: *mut captivate_client) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        if e.client.state() == captivate::ConnectionState::Closed {
            e.resubscribe();
        }
        e.client.reconnect().map_err(Fail::from)
    })
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
        let s = match e.client.state() {
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
        match e.client.socket_id() {
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
        e.conversation(id).map(drop)
    })
}

/// # Safety
/// Pointers as in the exported functions.
unsafe fn start_op(e: &Arc<Entry>, user_id: *const c_char, options_json: *const c_char) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let user = unsafe { opt_str(user_id, "user_id") }?.map(str::to_owned);
    // SAFETY: forwarded from the caller.
    let o = unsafe { opt_object(options_json, "options_json") }?.unwrap_or(json!({}));
    let mut opts = StartOptions::from_json(&o).map_err(Fail::from)?;
    opts.user_id = user;
    let e = e.clone();
    let pending = e.client.start_conversation(opts);
    Ok(Box::pin(async move {
        let conv = pending.await?;
        let id = conv.id().to_owned();
        e.adopt(conv);
        Ok(json!({ "conversation_id": id }))
    }))
}

/// Starts a conversation and writes its id to `*conversation_id_out` (free it with
/// captivate_string_free). `user_id` may be NULL (the hub then uses `anon`). `options_json`
/// may be NULL or an object with any of: `user_basic_info` (`{firstName, lastName, email,
/// phone}`), `metadata` (object), `private_metadata`, `start` (`"bot-first"`, the default:
/// the flow greets the user; or `"user-first"`). Concurrent starts each get their own id.
/// Blocking, at most `timeout_ms` (0: the request timeout).
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `conversation_id_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_start_conversation(
    client: *mut captivate_client,
    user_id: *const c_char,
    options_json: *const c_char,
    timeout_ms: u64,
    conversation_id_out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let v = block(timeout_ms, || unsafe { start_op(&e, user_id, options_json) })?;
        // SAFETY: per the function's contract.
        unsafe { put_str(conversation_id_out, v["conversation_id"].as_str().unwrap_or_default().to_owned()) };
        Ok(())
    })
}

/// The non-blocking form of captivate_client_start_conversation: `done` receives
/// `{"conversation_id": ...}`. An argument error is returned at once and `done` is not called;
/// otherwise `done` is called exactly once.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_start_conversation_async(
    client: *mut captivate_client,
    user_id: *const c_char,
    options_json: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let op = unsafe { start_op(&e, user_id, options_json) }?;
        spawn(&e, done, userdata, op)
    })
}

/// # Safety
/// Pointers as in the exported functions.
unsafe fn list_op(e: &Arc<Entry>, user_id: *const c_char, options_json: *const c_char) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let user = unsafe { arg_str(user_id, "user_id") }?.to_owned();
    // SAFETY: forwarded from the caller.
    let o = unsafe { opt_object(options_json, "options_json") }?.unwrap_or(json!({}));
    let mut opts = ListOptions::from_json(&o).map_err(|e| Fail::new(captivate_result::InvalidJson, e.to_string()))?;
    opts.user_id = user;
    let pending = e.client.list_conversations(opts);
    Ok(Box::pin(async move { Ok(pending.await?.to_json()) }))
}

/// Lists a user's conversations and writes `{"conversations": [{"conversation_id", "metadata",
/// "api_key"}], "pagination": {...} | null}` to `*json_out` (free it with
/// captivate_string_free). `options_json` may be NULL or an object with any of `filter`
/// (exact match on metadata), `search` (wildcard match), `page`, `limit`, `api_keys`.
/// Blocking.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `json_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_list_conversations(
    client: *mut captivate_client,
    user_id: *const c_char,
    options_json: *const c_char,
    timeout_ms: u64,
    json_out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let v = block(timeout_ms, || unsafe { list_op(&e, user_id, options_json) })?;
        // SAFETY: per the function's contract.
        unsafe { put_str(json_out, v.to_string()) };
        Ok(())
    })
}

/// The non-blocking form of captivate_client_list_conversations.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_list_conversations_async(
    client: *mut captivate_client,
    user_id: *const c_char,
    options_json: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let op = unsafe { list_op(&e, user_id, options_json) }?;
        spawn(&e, done, userdata, op)
    })
}

/// # Safety
/// Pointers as in the exported functions.
unsafe fn delete_user_op(e: &Arc<Entry>, user_id: *const c_char, hard: bool) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let user = unsafe { arg_str(user_id, "user_id") }?;
    let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
    let pending = e.client.delete_user_conversations(user, mode);
    Ok(Box::pin(async move {
        pending.await?;
        Ok(Value::Null)
    }))
}

/// Deletes all of a user's conversations, soft (`hard` false, the default of the hub) or
/// hard. Blocking.
///
/// # Safety
/// `user_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_delete_user_conversations(
    client: *mut captivate_client,
    user_id: *const c_char,
    hard: bool,
    timeout_ms: u64,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        block(timeout_ms, || unsafe { delete_user_op(&e, user_id, hard) }).map(drop)
    })
}

/// The non-blocking form of captivate_client_delete_user_conversations.
///
/// # Safety
/// `user_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_delete_user_conversations_async(
    client: *mut captivate_client,
    user_id: *const c_char,
    hard: bool,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let op = unsafe { delete_user_op(&e, user_id, hard) }?;
        spawn(&e, done, userdata, op)
    })
}

/// # Safety
/// Pointers as in the exported functions.
unsafe fn raw_op(
    e: &Arc<Entry>,
    event_type: *const c_char,
    payload_json: *const c_char,
    reply_event_type: *const c_char,
    conversation_id: *const c_char,
) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let et = unsafe { arg_str(event_type, "event_type") }?;
    // SAFETY: forwarded from the caller.
    let payload = unsafe { opt_json(payload_json, "payload_json") }?.unwrap_or(json!({}));
    // SAFETY: forwarded from the caller.
    let reply = unsafe { opt_str(reply_event_type, "reply_event_type") }?;
    // SAFETY: forwarded from the caller.
    let conv = unsafe { opt_str(conversation_id, "conversation_id") }?;
    let pending = match reply {
        None => e.client.send_raw(et, payload).map(|()| Value::Null),
        Some(r) => e.client.request_raw(et, payload, r, conv).map(|reply| reply.to_json()),
    };
    Ok(Box::pin(async move { Ok(pending.await?) }))
}

/// The escape hatch: sends any event type with any JSON payload (NULL: `{}`). With
/// `reply_event_type` NULL it completes once written; otherwise it waits for the first event
/// of that type (naming `conversation_id`, when not NULL) and writes it, as event JSON (see
/// captivate_event_json), to `*json_out` (free it with captivate_string_free; NULL when there
/// is no reply). Blocking.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `json_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_send_raw(
    client: *mut captivate_client,
    event_type: *const c_char,
    payload_json: *const c_char,
    reply_event_type: *const c_char,
    conversation_id: *const c_char,
    timeout_ms: u64,
    json_out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let v =
            block(timeout_ms, || unsafe { raw_op(&e, event_type, payload_json, reply_event_type, conversation_id) })?;
        if !json_out.is_null() {
            if v.is_null() {
                // SAFETY: checked non-NULL; the caller promises it is writable.
                unsafe { *json_out = std::ptr::null_mut() };
            } else {
                // SAFETY: checked non-NULL.
                unsafe { put_str(json_out, v.to_string()) };
            }
        }
        Ok(())
    })
}

/// The non-blocking form of captivate_client_send_raw: `done` receives the reply's event
/// JSON, or NULL.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_send_raw_async(
    client: *mut captivate_client,
    event_type: *const c_char,
    payload_json: *const c_char,
    reply_event_type: *const c_char,
    conversation_id: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let op = unsafe { raw_op(&e, event_type, payload_json, reply_event_type, conversation_id) }?;
        spawn(&e, done, userdata, op)
    })
}
