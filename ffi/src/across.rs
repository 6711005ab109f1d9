//! A user's conversations listed across the API keys of several clients, each given back on
//! the client of its own key (the official client's multi-key manager).

use std::ffi::{c_char, c_void};
use std::future::Future;
use std::sync::Arc;

use captivate_binding::{Across, Session};
use serde_json::{Value, json};

use crate::calls::wait;
use crate::client::{Entry, captivate_client, entry, with_user};
use crate::dispatch::captivate_completion_callback;
use crate::result::{Fail, R, captivate_result, guard};
use crate::strings::{arg_str, put_str};

/// The clients of a C array, in order.
///
/// # Safety
/// `clients` is NULL or points to `count` handles.
unsafe fn entries(clients: *const *mut captivate_client, count: usize) -> R<Vec<Arc<Entry>>> {
    if clients.is_null() {
        return Err(Fail::new(captivate_result::NullPointer, "clients is NULL"));
    }
    if count == 0 {
        return Err(Fail::new(captivate_result::InvalidArgument, "at least one client is needed"));
    }
    // SAFETY: the caller promises `count` handles at `clients`.
    let handles = unsafe { std::slice::from_raw_parts(clients, count) };
    handles.iter().map(|&c| entry(c)).collect()
}

/// `{"conversations": [{"conversation_id", "client_index"}], "pagination"}`, the index being
/// that of the first of `sessions` that the conversation came back on.
fn render(sessions: &[Arc<Session>], (list, pagination): Across) -> R<String> {
    let mut conversations = Vec::with_capacity(list.len());
    for (session, c) in list {
        let index = sessions
            .iter()
            .position(|s| Arc::ptr_eq(s, &session))
            .ok_or_else(|| Fail::new(captivate_result::Internal, "a conversation came back on no given client"))?;
        conversations.push(json!({ "conversation_id": c.id(), "client_index": index }));
    }
    let pagination = pagination.as_ref().map_or(Value::Null, captivate::Pagination::to_json);
    Ok(json!({ "conversations": conversations, "pagination": pagination }).to_string())
}

/// # Safety
/// Pointers as in the exported functions.
unsafe fn across_call(
    entries: &[Arc<Entry>],
    user_id: *const c_char,
    options_json: *const c_char,
) -> R<impl Future<Output = R<String>> + Send + 'static> {
    // SAFETY: forwarded from the caller.
    let o = unsafe { with_user(Some(arg_str(user_id, "user_id")?), options_json) }?;
    let sessions: Vec<Arc<Session>> = entries.iter().map(|e| e.session.clone()).collect();
    let listed = Session::list_across(&sessions, &o);
    Ok(async move { render(&sessions, listed.await?) })
}

/// Lists a user's conversations across the API keys of `count` clients (`clients[0]` ..
/// `clients[count - 1]`, one per key, e.g. connected to the same hub with different keys),
/// asking the hub through the first, and writes `{"conversations": [{"conversation_id",
/// "client_index"}], "pagination": {...} | null}` to `*json_out` (free it with
/// captivate_string_free). Each conversation belongs to the client `clients[client_index]`
/// of its own key (the first such client, when several share a key): it is attached to it,
/// so its events reach that client's callback, and the captivate_conversation_* calls are
/// made on that client.
///
/// `options_json` may be NULL or an object as for captivate_client_list_conversations
/// (`filter`, `search`, `page`, `limit`, `api_keys`; `api_keys` defaults to the keys of all
/// the clients). A conversation of a key none of the clients has is
/// CAPTIVATE_RESULT_PROTOCOL. `clients` NULL, or one of them NULL, is
/// CAPTIVATE_RESULT_NULL_POINTER; `count` 0 is CAPTIVATE_RESULT_INVALID_ARGUMENT; a freed
/// client is CAPTIVATE_RESULT_INVALID_HANDLE. Blocking, at most `timeout_ms` (0: the request
/// timeout).
///
/// # Safety
/// `clients` is NULL or points to `count` handles; string arguments are NULL or
/// NUL-terminated; `json_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_list_across(
    clients: *const *mut captivate_client,
    count: usize,
    user_id: *const c_char,
    options_json: *const c_char,
    timeout_ms: u64,
    json_out: *mut *mut c_char,
) -> captivate_result {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let all = unsafe { entries(clients, count) }?;
        // SAFETY: forwarded from the caller.
        let json = wait(timeout_ms, || unsafe { across_call(&all, user_id, options_json) })?;
        // SAFETY: per the function's contract.
        unsafe { put_str(json_out, json) };
        Ok(())
    })
}

/// The non-blocking form of captivate_list_across: `done` receives the same JSON, on the
/// dispatch thread of `clients[0]`.
///
/// # Safety
/// `clients` is NULL or points to `count` handles; string arguments are NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_list_across_async(
    clients: *const *mut captivate_client,
    count: usize,
    user_id: *const c_char,
    options_json: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let all = unsafe { entries(clients, count) }?;
        // SAFETY: forwarded from the caller.
        let call = unsafe { across_call(&all, user_id, options_json) }?;
        all[0].submit(call, Some, done, userdata)
    })
}
