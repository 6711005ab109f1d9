//! A user's conversations listed across the API keys of several clients, each given back on
//! the client of its own key, with its metadata (the official client's multi-key manager).
//! This module says what the call does; its two exports are generated (see
//! [`crate::operations`]).

use std::ffi::c_char;
use std::future::Future;
use std::sync::Arc;

use captivate::ConversationList;
use captivate_binding::Session;
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

/// `{"conversations": [{"conversation_id", "client_index", "metadata"}], "pagination"}`, the
/// index being that of the first of `sessions` whose key the conversation belongs to (a
/// conversation the hub gives without its key belongs to the first). Each conversation is
/// attached to its session on the way.
fn render(sessions: &[Arc<Session>], list: ConversationList) -> R<String> {
    let mut conversations = Vec::with_capacity(list.conversations.len());
    for summary in list.conversations {
        let index = match &summary.api_key {
            None => 0,
            Some(key) => {
                sessions.iter().position(|s| s.client().config().api_key.expose() == key).ok_or_else(|| {
                    Fail::new(
                        captivate_result::Protocol,
                        format!("conversation {} belongs to a key none of the clients has", summary.conversation_id),
                    )
                })?
            }
        };
        sessions[index].conversation(&summary.conversation_id)?;
        conversations.push(json!({
            "conversation_id": summary.conversation_id,
            "client_index": index,
            "metadata": summary.metadata,
        }));
    }
    let pagination = list.pagination.as_ref().map_or(Value::Null, captivate::Pagination::to_json);
    Ok(json!({ "conversations": conversations, "pagination": pagination }).to_string())
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
    let mut o = unsafe { with_user(Some(arg_str(user_id, "user_id")?), options_json) }?;
    let sessions: Vec<Arc<Session>> = entries.iter().map(|e| e.session.clone()).collect();
    if ["api_keys", "apiKeys"].iter().all(|k| o.get(k).is_none_or(Value::is_null)) {
        let mut keys: Vec<&str> = Vec::with_capacity(sessions.len());
        for s in &sessions {
            let key = s.client().config().api_key.expose();
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        o["api_keys"] = json!(keys);
    }
    let listed = sessions[0].list_conversations(&o);
    Ok(Call::same(async move { render(&sessions, listed.await?) }, Some))
}
