//! Generated from `ffi/codegen/operations.rs` by `make bless`: do not edit. The blocking and
//! `_async` exports of every operation (see the `operations` module).

use std::ffi::{c_char, c_void};

use super::{blocking, nonblocking};
use crate::across::entries;
use crate::client::{captivate_client, entry};
use crate::dispatch::captivate_completion_callback;
use crate::result::captivate_result;

/// Connects again after a close or a failure, or retries at once while waiting to reconnect,
/// and waits until connected, at most the connect timeout (captivate_options_set_
/// connect_timeout_ms). Fails with the reason (CAPTIVATE_RESULT_CONNECT, _REJECTED, _TIMEOUT,
/// ...); the client then goes on retrying per its reconnect policy, unless it failed for
/// good. The state events of the new connection reach the event callback. Blocking: inside a
/// callback it fails with CAPTIVATE_RESULT_WOULD_DEADLOCK (use captivate_client_reconnect_async).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_client_reconnect(client: *mut captivate_client) -> captivate_result {
    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's
    // contract.
    unsafe {
        blocking(
            || entry(client),
            0,
            std::ptr::null_mut(),
            |e| crate::client::reconnect(e),
        )
    }
}

/// The non-blocking form of captivate_client_reconnect: `done` is called once connected
/// (CAPTIVATE_RESULT_OK, NULL) or when the attempt failed.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_client_reconnect_async(
    client: *mut captivate_client,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    nonblocking(|| entry(client), done, userdata, |e| crate::client::reconnect(e))
}

/// Starts a conversation and writes its id to `*conversation_id_out` (free it with
/// captivate_string_free). `user_id` may be NULL (the hub then uses `anon`). `options_json`
/// may be NULL or an object with any of: `user_basic_info` (`{firstName, lastName, email,
/// phone}`), `metadata` (object), `private_metadata`, `user_metadata`, `user_data`, `start`
/// (`"bot-first"`, the default: the flow greets the user; or `"user-first"`); camelCase names
/// are accepted too. Concurrent starts each get their own id. Blocking, at most `timeout_ms`
/// (0: the request timeout).
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            conversation_id_out,
            |e| crate::client::start_conversation(e, user_id, options_json),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::client::start_conversation(e, user_id, options_json),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            json_out,
            |e| crate::client::list_conversations(e, user_id, options_json),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::client::list_conversations(e, user_id, options_json),
        )
    }
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
    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's
    // contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            std::ptr::null_mut(),
            |e| crate::client::delete_user_conversations(e, user_id, hard),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::client::delete_user_conversations(e, user_id, hard),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            json_out,
            |e| crate::client::send_raw(e, event_type, payload_json, reply_event_type, conversation_id),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::client::send_raw(e, event_type, payload_json, reply_event_type, conversation_id),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            client_msg_id_out,
            |e| crate::conversation::send_message(e, conversation_id, text, files_json),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::send_message(e, conversation_id, text, files_json),
        )
    }
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
    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's
    // contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            std::ptr::null_mut(),
            |e| crate::conversation::set_metadata(e, conversation_id, metadata_json, target),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::set_metadata(e, conversation_id, metadata_json, target),
        )
    }
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
    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's
    // contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            std::ptr::null_mut(),
            |e| crate::conversation::set_private_metadata(e, conversation_id, private_json),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::set_private_metadata(e, conversation_id, private_json),
        )
    }
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
    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's
    // contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            std::ptr::null_mut(),
            |e| crate::conversation::set_time_to_live(e, conversation_id, days),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::set_time_to_live(e, conversation_id, days),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            json_out,
            |e| crate::conversation::get_metadata(e, conversation_id),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::get_metadata(e, conversation_id),
        )
    }
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
    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's
    // contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            std::ptr::null_mut(),
            |e| crate::conversation::send_action(e, conversation_id, action_id, data_json, action_type),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::send_action(e, conversation_id, action_id, data_json, action_type),
        )
    }
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
    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's
    // contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            std::ptr::null_mut(),
            |e| crate::conversation::edit_message(e, conversation_id, message_id, text, files_json),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::edit_message(e, conversation_id, message_id, text, files_json),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            json_out,
            |e| crate::conversation::get_transcript(e, conversation_id),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::get_transcript(e, conversation_id),
        )
    }
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
    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's
    // contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            std::ptr::null_mut(),
            |e| crate::conversation::delete(e, conversation_id, hard),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::conversation::delete(e, conversation_id, hard),
        )
    }
}

/// Uploads `len` bytes at `data` through the file-to-text service, which extracts their text
/// and (by default) keeps the file behind a presigned link, and writes the file object to
/// `*file_json_out` (free it with captivate_string_free): `{"filename", "type", "storage":
/// {"fileKey", "presignedUrl", "expiresIn", "fileSize", "processingTime"}, "textContent":
/// {"type": "file_content", "text", "metadata"}}` (with `"url"` instead of `"storage"` for a
/// file not stored). Pass it as it is, or in an array with others, as the `files_json` of
/// captivate_conversation_send_message.
///
/// `options_json` (NULL for every default) is an object of the upload schema every
/// language shares: `filename` (also `file_name`; default `attachment_<milliseconds>`),
/// `content_type` (default: guessed from the name, else `application/octet-stream`),
/// `storage` (default true; false needs a `url` where the hub can download the file),
/// `ttl_days` (how long the service keeps it: 1, 7, 30 or 90 days; default the
/// time-to-live last set on this client with captivate_conversation_set_time_to_live);
/// camelCase names are accepted too. An unknown name or a bad value is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT at the call (the `_async` form then calls no
/// callback).
///
/// With a `conversation_id`, the file is filed under the conversation, as the official client
/// does: its `storage.fileKey` is then `<API key>/<conversation id>/...`, so do not log it.
/// NULL uploads it on its own. `data` may be NULL when `len` is 0; the bytes are copied before
/// the call returns. The service's refusal or an unreachable service is
/// CAPTIVATE_RESULT_HTTP. Blocking, at most `timeout_ms` (0: the request timeout).
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `data` is NULL or points to `len` readable
/// bytes; `file_json_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_upload_file(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    data: *const u8,
    len: usize,
    options_json: *const c_char,
    timeout_ms: u64,
    file_json_out: *mut *mut c_char,
) -> captivate_result {
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            file_json_out,
            |e| crate::files::upload_file(e, conversation_id, data, len, options_json),
        )
    }
}

/// The non-blocking form of captivate_conversation_upload_file: the bytes are copied before
/// it returns, and `done` receives the file object.
///
/// # Safety
/// As captivate_conversation_upload_file.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_upload_file_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    data: *const u8,
    len: usize,
    options_json: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::files::upload_file(e, conversation_id, data, len, options_json),
        )
    }
}

/// Like captivate_conversation_upload_file, for the file at `path`: it is read before the
/// call returns (a file that cannot be read is CAPTIVATE_RESULT_INVALID_ARGUMENT, naming the
/// path and the reason), and its `filename` defaults to the path's last part. `options_json`
/// may be NULL. Blocking.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `file_json_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_upload_file_path(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
    timeout_ms: u64,
    file_json_out: *mut *mut c_char,
) -> captivate_result {
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            file_json_out,
            |e| crate::files::upload_file_path(e, conversation_id, path, options_json),
        )
    }
}

/// The non-blocking form of captivate_conversation_upload_file_path: the file is read before
/// it returns, and `done` receives the file object.
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_conversation_upload_file_path_async(
    client: *mut captivate_client,
    conversation_id: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::files::upload_file_path(e, conversation_id, path, options_json),
        )
    }
}

/// Asks the file-to-text service for a new presigned link to a stored file (`file_key`: the
/// `storage.fileKey` of its file object), valid `expires_in_secs` seconds (0: two hours), and
/// writes it to `*url_out` (free it with captivate_string_free). An empty key is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT; an unknown key or a lifetime the service refuses is
/// CAPTIVATE_RESULT_HTTP. Blocking, at most `timeout_ms` (0: the request timeout).
///
/// # Safety
/// `file_key` is NULL or NUL-terminated; `url_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_presigned_url(
    client: *mut captivate_client,
    file_key: *const c_char,
    expires_in_secs: u64,
    timeout_ms: u64,
    url_out: *mut *mut c_char,
) -> captivate_result {
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entry(client),
            timeout_ms,
            url_out,
            |e| crate::files::presigned_url(e, file_key, expires_in_secs),
        )
    }
}

/// The non-blocking form of captivate_client_presigned_url: `done` receives
/// `{"presigned_url": ...}`.
///
/// # Safety
/// `file_key` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn captivate_client_presigned_url_async(
    client: *mut captivate_client,
    file_key: *const c_char,
    expires_in_secs: u64,
    done: captivate_completion_callback,
    userdata: *mut c_void,
) -> captivate_result {
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entry(client),
            done,
            userdata,
            |e| crate::files::presigned_url(e, file_key, expires_in_secs),
        )
    }
}

/// Lists a user's conversations across the API keys of `count` clients (`clients[0]` ..
/// `clients[count - 1]`, one per key, e.g. connected to the same hub with different keys),
/// asking the hub through the first, and writes `{"conversations": [{"conversation_id",
/// "client_index", "metadata"}], "pagination": {...} | null}` to `*json_out` (free it with
/// captivate_string_free). Each conversation belongs to the client `clients[client_index]`
/// of its own key (the first such client, when several share a key): it is attached to it,
/// so its events reach that client's callback, and the captivate_conversation_* calls are
/// made on that client. `metadata` is the conversation's metadata as the hub listed it (a
/// JSON object, as in captivate_client_list_conversations), so that no
/// captivate_conversation_get_metadata is needed per conversation.
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        blocking(
            || entries(clients, count),
            timeout_ms,
            json_out,
            |e| crate::across::list_across(e, user_id, options_json),
        )
    }
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
    // SAFETY: the arguments as the caller gave them, under this function's contract.
    unsafe {
        nonblocking(
            || entries(clients, count),
            done,
            userdata,
            |e| crate::across::list_across(e, user_id, options_json),
        )
    }
}
