//! The calls of a conversation, named by its id (`captivate_conversation_*`). Each comes in
//! a blocking form with a timeout (0: the library's request timeout) and a non-blocking
//! `_async` form whose completion callback is called exactly once, on the client's dispatch
//! thread. An argument error is returned at once by both forms (the callback is then never
//! called).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use captivate::{Conversation, DeleteMode, MetadataTarget, OutgoingMessage};
use serde_json::{Value, json};

use crate::client::{Entry, Op, block, captivate_client, entry, spawn};
use crate::dispatch::captivate_completion_callback;
use crate::result::{Fail, R, captivate_result, guard};
use crate::strings::{arg_str, opt_json, opt_object, opt_str, put_str};

/// # Safety
/// `id` is NULL or NUL-terminated.
unsafe fn conv(e: &Arc<Entry>, id: *const c_char) -> R<Conversation> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { arg_str(id, "conversation_id") }?;
    e.conversation(id)
}

/// # Safety
/// Both are NULL or NUL-terminated.
unsafe fn message(text: *const c_char, files_json: *const c_char) -> R<OutgoingMessage> {
    // SAFETY: forwarded from the caller.
    let text = unsafe { opt_str(text, "text") }?.map(str::to_owned);
    // SAFETY: forwarded from the caller.
    let files = unsafe { opt_json(files_json, "files_json") }?;
    OutgoingMessage::from_parts(text, files.as_ref())
        .map_err(|e| Fail::new(captivate_result::InvalidJson, e.to_string().replace("invalid argument: ", "")))
}

macro_rules! blocking {
    ($client:expr, $timeout:expr, $op:expr, |$v:ident| $out:block) => {
        guard(|| {
            let e = entry($client)?;
            let $v = block($timeout, || -> R<Op> { $op(&e) })?;
            $out
            Ok(())
        })
    };
}

macro_rules! nonblocking {
    ($client:expr, $done:expr, $userdata:expr, $op:expr) => {
        guard(|| {
            let e = entry($client)?;
            let op: Op = $op(&e)?;
            spawn(&e, $done, $userdata, op)
        })
    };
}

// ----- send_message -----

unsafe fn send_op(e: &Arc<Entry>, id: *const c_char, text: *const c_char, files_json: *const c_char) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    // SAFETY: forwarded from the caller.
    let m = unsafe { message(text, files_json) }?;
    let pending = c.send_message(m);
    Ok(Box::pin(async move { Ok(json!({ "client_msg_id": pending.await? })) }))
}

/// Sends a message: `text` (may be NULL), `files_json` (NULL or a JSON array of
/// `{"url", "type", "filename"}`), or both; writes its `client_msg_id` (a UUID) to
/// `*client_msg_id_out` (free it with captivate_string_free). Completes when the hub has read
/// it. Blocking.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `client_msg_id_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_send_message(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    text: *const c_char,
    files_json: *const c_char,
    timeout_ms: u64,
    client_msg_id_out: *mut *mut c_char,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(client, timeout_ms, |e| unsafe { send_op(e, conversation_id, text, files_json) }, |v| {
        // SAFETY: per the function's contract.
        unsafe { put_str(client_msg_id_out, v["client_msg_id"].as_str().unwrap_or_default().to_owned()) };
    })
}

/// The non-blocking form of captivate_conversation_send_message: `done` receives
/// `{"client_msg_id": ...}`.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_send_message_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    text: *const c_char,
    files_json: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe { send_op(e, conversation_id, text, files_json) })
}

// ----- set_metadata -----

unsafe fn metadata_op(e: &Arc<Entry>, id: *const c_char, metadata_json: *const c_char, target: *const c_char) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    // SAFETY: forwarded from the caller.
    let md = unsafe { opt_object(metadata_json, "metadata_json") }?
        .ok_or_else(|| Fail::new(captivate_result::NullPointer, "metadata_json is NULL"))?;
    // SAFETY: forwarded from the caller.
    let target = match unsafe { opt_str(target, "target") }? {
        None => None,
        Some(t) => Some(MetadataTarget::parse(t).ok_or_else(|| {
            Fail::new(captivate_result::InvalidArgument, "target must be default, bot, live or bot_live")
        })?),
    };
    let pending = c.set_metadata(md, target);
    Ok(Box::pin(async move {
        pending.await?;
        Ok(Value::Null)
    }))
}

/// Sets metadata (a JSON object) for `target` (NULL, or `"default"`, `"bot"`, `"live"`,
/// `"bot_live"`); waits for the hub's confirmation. Blocking.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_set_metadata(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    metadata_json: *const c_char,
    target: *const c_char,
    timeout_ms: u64,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(client, timeout_ms, |e| unsafe { metadata_op(e, conversation_id, metadata_json, target) }, |_v| {})
}

/// The non-blocking form of captivate_conversation_set_metadata.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_set_metadata_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    metadata_json: *const c_char,
    target: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe { metadata_op(e, conversation_id, metadata_json, target) })
}

// ----- set_private_metadata -----

unsafe fn private_op(e: &Arc<Entry>, id: *const c_char, json_: *const c_char) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    // SAFETY: forwarded from the caller.
    let v = unsafe { opt_json(json_, "private_json") }?
        .ok_or_else(|| Fail::new(captivate_result::NullPointer, "private_json is NULL"))?;
    let pending = c.set_private_metadata(v);
    Ok(Box::pin(async move {
        pending.await?;
        Ok(Value::Null)
    }))
}

/// Sets private metadata (any JSON value; stored under the metadata key `private`, for
/// back-ends only). Blocking.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_set_private_metadata(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    private_json: *const c_char,
    timeout_ms: u64,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(client, timeout_ms, |e| unsafe { private_op(e, conversation_id, private_json) }, |_v| {})
}

/// The non-blocking form of captivate_conversation_set_private_metadata.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_set_private_metadata_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    private_json: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe { private_op(e, conversation_id, private_json) })
}

// ----- set_time_to_live -----

unsafe fn ttl_op(e: &Arc<Entry>, id: *const c_char, days: u32) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    if !captivate::TIME_TO_LIVE_DAYS.contains(&days) {
        return Err(Fail::new(
            captivate_result::InvalidArgument,
            format!("time to live must be 1, 7, 30 or 90 days, not {days}"),
        ));
    }
    let pending = c.set_time_to_live(days);
    Ok(Box::pin(async move {
        pending.await?;
        Ok(Value::Null)
    }))
}

/// Sets the time-to-live of the conversation's files: 1, 7, 30 or 90 days (anything else is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT). Blocking.
///
/// # Safety
/// `conversation_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_set_time_to_live(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    days: u32,
    timeout_ms: u64,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(client, timeout_ms, |e| unsafe { ttl_op(e, conversation_id, days) }, |_v| {})
}

/// The non-blocking form of captivate_conversation_set_time_to_live.
///
/// # Safety
/// `conversation_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_set_time_to_live_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    days: u32,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe { ttl_op(e, conversation_id, days) })
}

// ----- get_metadata -----

unsafe fn get_metadata_op(e: &Arc<Entry>, id: *const c_char) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    let pending = c.get_metadata();
    Ok(Box::pin(async move { Ok(pending.await?) }))
}

/// Writes the conversation's metadata (a JSON object; private metadata under `private`) to
/// `*json_out` (free it with captivate_string_free). Blocking.
///
/// # Safety
/// `conversation_id` is NULL or NUL-terminated; `json_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_get_metadata(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    timeout_ms: u64,
    json_out: *mut *mut c_char,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(client, timeout_ms, |e| unsafe { get_metadata_op(e, conversation_id) }, |v| {
        // SAFETY: per the function's contract.
        unsafe { put_str(json_out, v.to_string()) };
    })
}

/// The non-blocking form of captivate_conversation_get_metadata: `done` receives the
/// metadata object.
///
/// # Safety
/// `conversation_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_get_metadata_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe { get_metadata_op(e, conversation_id) })
}

// ----- send_action -----

unsafe fn action_op(
    e: &Arc<Entry>,
    id: *const c_char,
    action_id: *const c_char,
    data_json: *const c_char,
    action_type: *const c_char,
) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    // SAFETY: forwarded from the caller.
    let a = unsafe { arg_str(action_id, "action_id") }?.to_owned();
    // SAFETY: forwarded from the caller.
    let data = unsafe { opt_json(data_json, "data_json") }?.unwrap_or(json!({}));
    // SAFETY: forwarded from the caller.
    let t = unsafe { opt_str(action_type, "action_type") }?.map(str::to_owned);
    let pending = c.send_action(&a, data, t.as_deref());
    Ok(Box::pin(async move {
        pending.await?;
        Ok(Value::Null)
    }))
}

/// Sends an action, e.g. `"escalateToHuman"`, with `data_json` (NULL: `{}`) and
/// `action_type` (NULL: `"normal"`). Blocking.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_send_action(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    action_id: *const c_char,
    data_json: *const c_char,
    action_type: *const c_char,
    timeout_ms: u64,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(
        client,
        timeout_ms,
        |e| unsafe { action_op(e, conversation_id, action_id, data_json, action_type) },
        |_v| {}
    )
}

/// The non-blocking form of captivate_conversation_send_action.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_send_action_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    action_id: *const c_char,
    data_json: *const c_char,
    action_type: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe {
        action_op(e, conversation_id, action_id, data_json, action_type)
    })
}

// ----- edit_message -----

unsafe fn edit_op(
    e: &Arc<Entry>,
    id: *const c_char,
    message_id: *const c_char,
    text: *const c_char,
    files_json: *const c_char,
) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    // SAFETY: forwarded from the caller.
    let mid = unsafe { arg_str(message_id, "message_id") }?.to_owned();
    // SAFETY: forwarded from the caller.
    let m = unsafe { message(text, files_json) }?;
    let pending = c.edit_message(&mid, m);
    Ok(Box::pin(async move {
        pending.await?;
        Ok(Value::Null)
    }))
}

/// Replaces the content of a message sent earlier (`message_id`: its client_msg_id).
/// Blocking.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_edit_message(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    message_id: *const c_char,
    text: *const c_char,
    files_json: *const c_char,
    timeout_ms: u64,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(client, timeout_ms, |e| unsafe { edit_op(e, conversation_id, message_id, text, files_json) }, |_v| {})
}

/// The non-blocking form of captivate_conversation_edit_message.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_edit_message_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    message_id: *const c_char,
    text: *const c_char,
    files_json: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe { edit_op(e, conversation_id, message_id, text, files_json) })
}

// ----- get_transcript -----

unsafe fn transcript_op(e: &Arc<Entry>, id: *const c_char) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    let pending = c.get_transcript();
    Ok(Box::pin(async move { Ok(pending.await?.to_json()) }))
}

/// Writes the transcript, `{"entries": [{"from": "user"|"bot"|"agent"|..., "text",
/// "messages": [items], "actions", "files", "event_id", "message_id", ..., "raw"}]}`, to
/// `*json_out` (free it with captivate_string_free). Blocking.
///
/// # Safety
/// `conversation_id` is NULL or NUL-terminated; `json_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_get_transcript(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    timeout_ms: u64,
    json_out: *mut *mut c_char,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(client, timeout_ms, |e| unsafe { transcript_op(e, conversation_id) }, |v| {
        // SAFETY: per the function's contract.
        unsafe { put_str(json_out, v.to_string()) };
    })
}

/// The non-blocking form of captivate_conversation_get_transcript.
///
/// # Safety
/// `conversation_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_get_transcript_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe { transcript_op(e, conversation_id) })
}

// ----- delete -----

unsafe fn delete_op(e: &Arc<Entry>, id: *const c_char, hard: bool) -> R<Op> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { conv(e, id) }?;
    let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
    let pending = c.delete(mode);
    Ok(Box::pin(async move {
        pending.await?;
        Ok(Value::Null)
    }))
}

/// Deletes the conversation, soft (`hard` false) or hard. Blocking.
///
/// # Safety
/// `conversation_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_delete(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    hard: bool,
    timeout_ms: u64,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    blocking!(client, timeout_ms, |e| unsafe { delete_op(e, conversation_id, hard) }, |_v| {})
}

/// The non-blocking form of captivate_conversation_delete.
///
/// # Safety
/// `conversation_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_delete_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    hard: bool,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: forwarded from the caller.
    nonblocking!(client, done, userdata, |e| unsafe { delete_op(e, conversation_id, hard) })
}
