//! A user's conversations listed across the API keys of several clients, each given back on
//! the client of its own key, with its metadata (the official client's multi-key manager).
//! This module says what the call does; its two exports are generated (see
//! [`crate::operations`]).

use std::ffi::c_char;
use std::future::Future;
use std::sync::Arc;

use captivate_binding::{Across, Session};
use serde_json::{Value, json};

use crate::client::{Entry, captivate_client, entry, with_user};
use crate::operations::Call;
use crate::result::{Fail, R, captivate_result};
use crate::strings::arg_str;

/// The clients of a C array, in order.
///
/// # Safety
/// `clients` is NULL or points to `count` handles.
pub(crate) unsafe fn entries(clients: *const *mut captivate_client, count: usize) -> R<Vec<Arc<Entry>>> {
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

/// `{"conversations": [{"conversation_id", "client_index", "metadata"}], "pagination"}`: the
/// binding layer's listing, each conversation with the index of the client of its key.
fn render(list: Across) -> String {
    let conversations: Vec<Value> = list
        .entries
        .into_iter()
        .map(|e| {
            json!({
                "conversation_id": e.summary.conversation_id,
                "client_index": e.session,
                "metadata": e.summary.metadata,
            })
        })
        .collect();
    let pagination = list.pagination.as_ref().map_or(Value::Null, captivate::Pagination::to_json);
    json!({ "conversations": conversations, "pagination": pagination }).to_string()
}

/// Lists a user's conversations across the keys of several clients (see
/// captivate_list_across): asks through the first client, over the keys `options_json` names
/// (`api_keys`), by default those of all the clients.
///
/// # Safety
/// `entries` is not empty; string arguments are NULL or NUL-terminated.
pub(crate) unsafe fn list_across(
    entries: &[Arc<Entry>],
    user_id: *const c_char,
    options_json: *const c_char,
) -> R<Call<impl Future<Output = R<String>> + Send + use<>, String>> {
    // SAFETY: forwarded from the caller.
    let o = unsafe { with_user(Some(arg_str(user_id, "user_id")?), options_json) }?;
    let sessions: Vec<Arc<Session>> = entries.iter().map(|e| e.session.clone()).collect();
    let listed = Session::list_across(&sessions, &o);
    Ok(Call::same(async move { Ok(render(listed.await?)) }, Some))
}
