//! The calls of a conversation, named by its id (`captivate_conversation_*`). Each comes in
//! a blocking form with a timeout (0: the library's request timeout) and a non-blocking
//! `_async` form whose completion callback is called exactly once, on the client's dispatch
//! thread. An argument error is returned at once by both forms (the callback is then never
//! called).

use std::ffi::{c_char, c_void};

use captivate::Pending;
use serde_json::{Value, json};

use crate::calls::Json;
use crate::client::{Entry, captivate_client, entry, nothing};
use crate::dispatch::captivate_completion_callback;
use crate::result::{Fail, R, captivate_result, guard};
use crate::strings::{arg_str, opt_json, opt_object, opt_str, put_str};

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

macro_rules! blocking {
    ($client:expr, $timeout:expr, $call:expr, |$v:ident| $out:block) => {
        guard(|| {
            let e = entry($client)?;
            let $v = e.wait($timeout, |_| $call(&e))?;
            $out
            Ok(())
        })
    };
}

macro_rules! nonblocking {
    ($client:expr, $done:expr, $userdata:expr, $call:expr, $json:expr) => {
        guard(|| {
            let e = entry($client)?;
            let call = $call(&e)?;
            e.submit(call, $json, $done, $userdata)
        })
    };
}

// ----- send_message -----

unsafe fn send_op(e: &Entry, id: *const c_char, text: *const c_char, files_json: *const c_char) -> R<Pending<String>> {
    // SAFETY: forwarded from the caller.
    let (id, (text, files)) = unsafe { (conv(id)?, message(text, files_json)?) };
    Ok(e.session.send_message(id, text, files.as_ref()))
}

fn sent(client_msg_id: String) -> Json {
    Some(json!({ "client_msg_id": client_msg_id }).to_string())
}

/// Sends a message: `text` (may be NULL), `files_json` (NULL, a JSON array of file objects,
/// or one file object), or both; writes its `client_msg_id` (a UUID) to `*client_msg_id_out`
/// (free it with captivate_string_free). A file object is `{"url", "type", "filename"}`, or
/// what captivate_conversation_upload_file gives (with `storage` and `textContent`), passed
/// as it is; a message with files goes out as the official client sends it (`content`:
/// `{text, files}`). Completes when the hub has read it (with the HTTP transport: when the
/// hub answered its POST). Blocking.
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
        unsafe { put_str(client_msg_id_out, v) };
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
    nonblocking!(client, done, userdata, |e| unsafe { send_op(e, conversation_id, text, files_json) }, sent)
}

// ----- set_metadata -----

unsafe fn metadata_op(
    e: &Entry,
    id: *const c_char,
    metadata_json: *const c_char,
    target: *const c_char,
) -> R<Pending<()>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    // SAFETY: forwarded from the caller.
    let md = unsafe { opt_object(metadata_json, "metadata_json") }?
        .ok_or_else(|| Fail::new(captivate_result::NullPointer, "metadata_json is NULL"))?;
    // SAFETY: forwarded from the caller.
    let target = unsafe { opt_str(target, "target") }?;
    Ok(e.session.set_metadata(id, &md, target))
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
    nonblocking!(client, done, userdata, |e| unsafe { metadata_op(e, conversation_id, metadata_json, target) }, nothing)
}

// ----- set_private_metadata -----

unsafe fn private_op(e: &Entry, id: *const c_char, private_json: *const c_char) -> R<Pending<()>> {
    // SAFETY: forwarded from the caller.
    let (id, v) = unsafe { (conv(id)?, required_json(private_json, "private_json")?) };
    Ok(e.session.set_private_metadata(id, &v))
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
    nonblocking!(client, done, userdata, |e| unsafe { private_op(e, conversation_id, private_json) }, nothing)
}

// ----- set_time_to_live -----

unsafe fn ttl_op(e: &Entry, id: *const c_char, days: u32) -> R<Pending<()>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    Ok(e.session.set_time_to_live(id, i64::from(days)))
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
    nonblocking!(client, done, userdata, |e| unsafe { ttl_op(e, conversation_id, days) }, nothing)
}

// ----- get_metadata -----

unsafe fn get_metadata_op(e: &Entry, id: *const c_char) -> R<Pending<Value>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    Ok(e.session.get_metadata(id))
}

fn metadata(v: Value) -> Json {
    Some(v.to_string())
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
    nonblocking!(client, done, userdata, |e| unsafe { get_metadata_op(e, conversation_id) }, metadata)
}

// ----- send_action -----

unsafe fn action_op(
    e: &Entry,
    id: *const c_char,
    action_id: *const c_char,
    data_json: *const c_char,
    action_type: *const c_char,
) -> R<Pending<()>> {
    // SAFETY: forwarded from the caller.
    let (id, action) = unsafe { (conv(id)?, arg_str(action_id, "action_id")?) };
    // SAFETY: forwarded from the caller.
    let data = unsafe { opt_json(data_json, "data_json") }?;
    // SAFETY: forwarded from the caller.
    let action_type = unsafe { opt_str(action_type, "action_type") }?;
    Ok(e.session.send_action(id, action, data.as_ref(), action_type))
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
    nonblocking!(
        client,
        done,
        userdata,
        |e| unsafe { action_op(e, conversation_id, action_id, data_json, action_type) },
        nothing
    )
}

// ----- edit_message -----

unsafe fn edit_op(
    e: &Entry,
    id: *const c_char,
    message_id: *const c_char,
    text: *const c_char,
    files_json: *const c_char,
) -> R<Pending<()>> {
    // SAFETY: forwarded from the caller.
    let (id, message_id) = unsafe { (conv(id)?, arg_str(message_id, "message_id")?) };
    // SAFETY: forwarded from the caller.
    let (text, files) = unsafe { message(text, files_json) }?;
    Ok(e.session.edit_message(id, message_id, text, files.as_ref()))
}

/// Replaces the content of a message sent earlier (`message_id`: its client_msg_id); `text`
/// and `files_json` as for captivate_conversation_send_message. Blocking.
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
    nonblocking!(
        client,
        done,
        userdata,
        |e| unsafe { edit_op(e, conversation_id, message_id, text, files_json) },
        nothing
    )
}

// ----- get_transcript -----

unsafe fn transcript_op(e: &Entry, id: *const c_char) -> R<Pending<captivate::Transcript>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    Ok(e.session.get_transcript(id))
}

fn transcript(t: captivate::Transcript) -> Json {
    Some(t.to_json().to_string())
}

/// Writes the transcript, `{"entries": [{"from": "user"|"bot"|"agent"|..., "text",
/// "messages": [items], "actions", "files", "event_id", "message_id", ..., "raw"}]}`, to
/// `*json_out` (free it with captivate_string_free). It is read over the socket, or over REST
/// with the HTTP transport (captivate_options_set_transport). The links of stored files about
/// to expire (less than five minutes left) are renewed for two hours in the transcript given
/// and pushed back to the hub with an edit of their message, as the official client does,
/// unless captivate_options_set_refresh_file_links turned it off; a link that cannot be
/// renewed is kept as it was. Blocking.
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
        unsafe { put_str(json_out, v.to_json().to_string()) };
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
    nonblocking!(client, done, userdata, |e| unsafe { transcript_op(e, conversation_id) }, transcript)
}

// ----- delete -----

unsafe fn delete_op(e: &Entry, id: *const c_char, hard: bool) -> R<Pending<()>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { conv(id) }?;
    Ok(e.session.delete_conversation(id, hard))
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
    nonblocking!(client, done, userdata, |e| unsafe { delete_op(e, conversation_id, hard) }, nothing)
}
