//! The calls of a conversation, named by its id (`captivate_conversation_*`). Each comes in
//! a blocking form with a timeout (0: the library's request timeout) and a non-blocking
//! `_async` form whose completion callback is called exactly once, on the client's dispatch
//! thread. An argument error is returned at once by both forms (the callback is then never
//! called). This module says what each call does; its two exports are generated (see
//! [`crate::operations`]).

use std::ffi::c_char;

use captivate::{Pending, Transcript};
use serde_json::{Value, json};

use crate::client::Entry;
use crate::operations::Call;
use crate::result::{Fail, R, captivate_result};
use crate::strings::{arg_str, opt_json, opt_object, opt_str};

/// # Safety
/// `id` is NULL or NUL-terminated.
unsafe fn conv<'a>(id: *const c_char) -> R<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { arg_str(id, "conversation_id") }
}

/// A message's text and files (a JSON array, or one file object standing for an array of
/// one), as the calls take them.
///
/// # Safety
/// Both are NULL or NUL-terminated.
unsafe fn message(text: *const c_char, files_json: *const c_char) -> R<(Option<String>, Option<Value>)> {
    // SAFETY: forwarded from the caller.
    let text = unsafe { opt_str(text, "text") }?.map(str::to_owned);
    // SAFETY: forwarded from the caller.
    let files = match unsafe { opt_json(files_json, "files_json") }? {
        Some(one @ Value::Object(_)) => Some(Value::Array(vec![one])),
        Some(Value::Array(all)) => Some(Value::Array(all)),
        None => None,
        Some(_) => {
            return Err(Fail::new(captivate_result::InvalidJson, "files_json must be a JSON array or a file object"));
        }
    };
    Ok((text, files))
}

/// A JSON argument that must be given.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn required_json(p: *const c_char, name: &str) -> R<Value> {
    // SAFETY: forwarded from the caller.
    unsafe { opt_json(p, name) }?.ok_or_else(|| Fail::new(captivate_result::NullPointer, format!("{name} is NULL")))
}

/// Sends a message (see captivate_conversation_send_message).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn send_message(
    e: &Entry,
    id: *const c_char,
    text: *const c_char,
    files_json: *const c_char,
) -> R<Call<Pending<String>, String>> {
    // SAFETY: forwarded from the caller.
    let (id, (text, files)) = unsafe { (conv(id)?, message(text, files_json)?) };
    Ok(Call::new(e.session.send_message(id, text, files.as_ref()), Some, |client_msg_id| {
        Some(json!({ "client_msg_id": client_msg_id }).to_string())
    }))
}

/// Sets metadata (see captivate_conversation_set_metadata).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn set_metadata(
    e: &Entry,
    id: *const c_char,
    metadata_json: *const c_char,
    target: *const c_char,
) -> R<Call<Pending<()>, ()>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    // SAFETY: forwarded from the caller.
    let md = unsafe { opt_object(metadata_json, "metadata_json") }?
        .ok_or_else(|| Fail::new(captivate_result::NullPointer, "metadata_json is NULL"))?;
    // SAFETY: forwarded from the caller.
    let target = unsafe { opt_str(target, "target") }?;
    Ok(Call::unit(e.session.set_metadata(id, &md, target)))
}

/// Sets private metadata (see captivate_conversation_set_private_metadata).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn set_private_metadata(
    e: &Entry,
    id: *const c_char,
    private_json: *const c_char,
) -> R<Call<Pending<()>, ()>> {
    // SAFETY: forwarded from the caller.
    let (id, v) = unsafe { (conv(id)?, required_json(private_json, "private_json")?) };
    Ok(Call::unit(e.session.set_private_metadata(id, &v)))
}

/// Sets the time-to-live of the conversation's files (see
/// captivate_conversation_set_time_to_live).
///
/// # Safety
/// `id` is NULL or NUL-terminated.
pub(crate) unsafe fn set_time_to_live(e: &Entry, id: *const c_char, days: u32) -> R<Call<Pending<()>, ()>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    Ok(Call::unit(e.session.set_time_to_live(id, i64::from(days))))
}

/// Reads the conversation's metadata (see captivate_conversation_get_metadata).
///
/// # Safety
/// `id` is NULL or NUL-terminated.
pub(crate) unsafe fn get_metadata(e: &Entry, id: *const c_char) -> R<Call<Pending<Value>, Value>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    Ok(Call::same(e.session.get_metadata(id), |v| Some(v.to_string())))
}

/// Sends an action (see captivate_conversation_send_action).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn send_action(
    e: &Entry,
    id: *const c_char,
    action_id: *const c_char,
    data_json: *const c_char,
    action_type: *const c_char,
) -> R<Call<Pending<()>, ()>> {
    // SAFETY: forwarded from the caller.
    let (id, action) = unsafe { (conv(id)?, arg_str(action_id, "action_id")?) };
    // SAFETY: forwarded from the caller.
    let data = unsafe { opt_json(data_json, "data_json") }?;
    // SAFETY: forwarded from the caller.
    let action_type = unsafe { opt_str(action_type, "action_type") }?;
    Ok(Call::unit(e.session.send_action(id, action, data.as_ref(), action_type)))
}

/// Replaces the content of a message (see captivate_conversation_edit_message).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn edit_message(
    e: &Entry,
    id: *const c_char,
    message_id: *const c_char,
    text: *const c_char,
    files_json: *const c_char,
) -> R<Call<Pending<()>, ()>> {
    // SAFETY: forwarded from the caller.
    let (id, message_id) = unsafe { (conv(id)?, arg_str(message_id, "message_id")?) };
    // SAFETY: forwarded from the caller.
    let (text, files) = unsafe { message(text, files_json) }?;
    Ok(Call::unit(e.session.edit_message(id, message_id, text, files.as_ref())))
}

/// Reads the transcript (see captivate_conversation_get_transcript).
///
/// # Safety
/// `id` is NULL or NUL-terminated.
pub(crate) unsafe fn get_transcript(e: &Entry, id: *const c_char) -> R<Call<Pending<Transcript>, Transcript>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    Ok(Call::same(e.session.get_transcript(id), |t| Some(t.to_json().to_string())))
}

/// Deletes the conversation (see captivate_conversation_delete).
///
/// # Safety
/// `id` is NULL or NUL-terminated.
pub(crate) unsafe fn delete(e: &Entry, id: *const c_char, hard: bool) -> R<Call<Pending<()>, ()>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    Ok(Call::unit(e.session.delete_conversation(id, hard)))
}
