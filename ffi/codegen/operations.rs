//! The operations of the C API that come in a blocking form and a non-blocking `_async` form,
//! one entry each, and the Rust source of their exports made from them:
//! `ffi/src/operations/generated.rs` (see the `operations` module of the library for the
//! design). The `header` test fails when that file differs from what this table gives, and
//! `make bless` writes it afresh, before the header.
//!
//! An entry names the export of the blocking form (the other one is the same name with
//! `_async`), whom it is made on, its own arguments, and the library function that does it:
//! `call(target, args...)` checks and converts the arguments and returns the call on its way
//! (`R<Call<..>>`). The exports' parameters are the target's, then `args`, then the form's own:
//! `timeout_ms` and the out-parameter (blocking), or `done` and `userdata` (`_async`).

/// Whom an operation is made on: its first parameters.
#[derive(Clone, Copy)]
pub enum On {
    /// `client: *mut captivate_client`.
    Client,
    /// `clients: *const *mut captivate_client, count: usize`; the first client completes the
    /// `_async` form.
    Clients,
}
use On::{Client, Clients};

/// One operation.
pub struct Op {
    /// The export of the blocking form; the non-blocking one is `<name>_async`.
    pub name: &'static str,
    /// Whom it is made on.
    pub on: On,
    /// Its own arguments (name, Rust type), passed to `call` after the target.
    pub args: &'static [(&'static str, &'static str)],
    /// Whether the blocking form takes `timeout_ms: u64` (without it, it waits at most the
    /// library's own timeouts).
    pub timeout: bool,
    /// The blocking form's out-parameter (`*mut *mut c_char`), when its outcome has a value.
    pub out: Option<&'static str>,
    /// The function that does it, from the library's root (`conversation::send_message`).
    pub call: &'static str,
    /// The blocking form's documentation.
    pub doc: &'static str,
    /// Its `# Safety` section: an operation with pointer arguments is `unsafe` in Rust.
    pub safety: Option<&'static str>,
    /// The non-blocking form's documentation.
    pub async_doc: &'static str,
    /// Its `# Safety` section.
    pub async_safety: Option<&'static str>,
}

/// Every operation, in the order of the header.
pub const OPS: &[Op] = &[
    Op {
        name: "captivate_client_reconnect",
        on: Client,
        args: &[],
        timeout: false,
        out: None,
        call: "client::reconnect",
        doc: r#"
            Connects again after a close or a failure, or retries at once while waiting to reconnect,
            and waits until connected, at most the connect timeout (captivate_options_set_
            connect_timeout_ms). Fails with the reason (CAPTIVATE_RESULT_CONNECT, _REJECTED, _TIMEOUT,
            ...); the client then goes on retrying per its reconnect policy, unless it failed for
            good. The state events of the new connection reach the event callback. Blocking: inside a
            callback it fails with CAPTIVATE_RESULT_WOULD_DEADLOCK (use captivate_client_reconnect_async).
        "#,
        safety: None,
        async_doc: r#"
            The non-blocking form of captivate_client_reconnect: `done` is called once connected
            (CAPTIVATE_RESULT_OK, NULL) or when the attempt failed.
        "#,
        async_safety: None,
    },
    Op {
        name: "captivate_client_start_conversation",
        on: Client,
        args: &[("user_id", "*const c_char"), ("options_json", "*const c_char")],
        timeout: true,
        out: Some("conversation_id_out"),
        call: "client::start_conversation",
        doc: r#"
            Starts a conversation and writes its id to `*conversation_id_out` (free it with
            captivate_string_free). `user_id` may be NULL (the hub then uses `anon`). `options_json`
            may be NULL or an object with any of: `user_basic_info` (`{firstName, lastName, email,
            phone}`), `metadata` (object), `private_metadata`, `user_metadata`, `user_data`, `start`
            (`"bot-first"`, the default: the flow greets the user; or `"user-first"`); camelCase names
            are accepted too. Concurrent starts each get their own id. Blocking, at most `timeout_ms`
            (0: the request timeout).
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated; `conversation_id_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_client_start_conversation: `done` receives
            `{"conversation_id": ...}`. An argument error is returned at once and `done` is not called;
            otherwise `done` is called exactly once.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_client_list_conversations",
        on: Client,
        args: &[("user_id", "*const c_char"), ("options_json", "*const c_char")],
        timeout: true,
        out: Some("json_out"),
        call: "client::list_conversations",
        doc: r#"
            Lists a user's conversations and writes `{"conversations": [{"conversation_id", "metadata",
            "api_key"}], "pagination": {...} | null}` to `*json_out` (free it with
            captivate_string_free). `options_json` may be NULL or an object with any of `filter`
            (exact match on metadata), `search` (wildcard match), `page`, `limit`, `api_keys`.
            Blocking.
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated; `json_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_client_list_conversations.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_client_delete_user_conversations",
        on: Client,
        args: &[("user_id", "*const c_char"), ("hard", "bool")],
        timeout: true,
        out: None,
        call: "client::delete_user_conversations",
        doc: r#"
            Deletes all of a user's conversations, soft (`hard` false, the default of the hub) or
            hard. Blocking.
        "#,
        safety: Some(
            r#"
            `user_id` is NULL or NUL-terminated.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_client_delete_user_conversations.
        "#,
        async_safety: Some(
            r#"
            `user_id` is NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_client_send_raw",
        on: Client,
        args: &[
            ("event_type", "*const c_char"),
            ("payload_json", "*const c_char"),
            ("reply_event_type", "*const c_char"),
            ("conversation_id", "*const c_char"),
        ],
        timeout: true,
        out: Some("json_out"),
        call: "client::send_raw",
        doc: r#"
            The escape hatch: sends any event type with any JSON payload (NULL: `{}`). With
            `reply_event_type` NULL it completes once written; otherwise it waits for the first event
            of that type (naming `conversation_id`, when not NULL) and writes it, as event JSON (see
            captivate_event_json), to `*json_out` (free it with captivate_string_free; NULL when there
            is no reply). Blocking.
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated; `json_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_client_send_raw: `done` receives the reply's event
            JSON, or NULL.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_send_message",
        on: Client,
        args: &[("conversation_id", "*const c_char"), ("text", "*const c_char"), ("files_json", "*const c_char")],
        timeout: true,
        out: Some("client_msg_id_out"),
        call: "conversation::send_message",
        doc: r#"
            Sends a message: `text` (may be NULL), `files_json` (NULL, a JSON array of file objects,
            or one file object), or both; writes its `client_msg_id` (a UUID) to `*client_msg_id_out`
            (free it with captivate_string_free). A file object is `{"url", "type", "filename"}`, or
            what captivate_conversation_upload_file gives (with `storage` and `textContent`), passed
            as it is; a message with files goes out as the official client sends it (`content`:
            `{text, files}`). Completes when the hub has read it (with the HTTP transport: when the
            hub answered its POST). Blocking.
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated; `client_msg_id_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_send_message: `done` receives
            `{"client_msg_id": ...}`.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_set_metadata",
        on: Client,
        args: &[("conversation_id", "*const c_char"), ("metadata_json", "*const c_char"), ("target", "*const c_char")],
        timeout: true,
        out: None,
        call: "conversation::set_metadata",
        doc: r#"
            Sets metadata (a JSON object) for `target` (NULL, or `"default"`, `"bot"`, `"live"`,
            `"bot_live"`); waits for the hub's confirmation. Blocking.
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_set_metadata.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_set_private_metadata",
        on: Client,
        args: &[("conversation_id", "*const c_char"), ("private_json", "*const c_char")],
        timeout: true,
        out: None,
        call: "conversation::set_private_metadata",
        doc: r#"
            Sets private metadata (any JSON value; stored under the metadata key `private`, for
            back-ends only). Blocking.
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_set_private_metadata.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_set_time_to_live",
        on: Client,
        args: &[("conversation_id", "*const c_char"), ("days", "u32")],
        timeout: true,
        out: None,
        call: "conversation::set_time_to_live",
        doc: r#"
            Sets the time-to-live of the conversation's files: 1, 7, 30 or 90 days (anything else is
            CAPTIVATE_RESULT_INVALID_ARGUMENT). Blocking.
        "#,
        safety: Some(
            r#"
            `conversation_id` is NULL or NUL-terminated.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_set_time_to_live.
        "#,
        async_safety: Some(
            r#"
            `conversation_id` is NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_get_metadata",
        on: Client,
        args: &[("conversation_id", "*const c_char")],
        timeout: true,
        out: Some("json_out"),
        call: "conversation::get_metadata",
        doc: r#"
            Writes the conversation's metadata (a JSON object; private metadata under `private`) to
            `*json_out` (free it with captivate_string_free). Blocking.
        "#,
        safety: Some(
            r#"
            `conversation_id` is NULL or NUL-terminated; `json_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_get_metadata: `done` receives the
            metadata object.
        "#,
        async_safety: Some(
            r#"
            `conversation_id` is NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_send_action",
        on: Client,
        args: &[
            ("conversation_id", "*const c_char"),
            ("action_id", "*const c_char"),
            ("data_json", "*const c_char"),
            ("action_type", "*const c_char"),
        ],
        timeout: true,
        out: None,
        call: "conversation::send_action",
        doc: r#"
            Sends an action, e.g. `"escalateToHuman"`, with `data_json` (NULL: `{}`) and
            `action_type` (NULL: `"normal"`). Blocking.
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_send_action.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_edit_message",
        on: Client,
        args: &[
            ("conversation_id", "*const c_char"),
            ("message_id", "*const c_char"),
            ("text", "*const c_char"),
            ("files_json", "*const c_char"),
        ],
        timeout: true,
        out: None,
        call: "conversation::edit_message",
        doc: r#"
            Replaces the content of a message sent earlier (`message_id`: its client_msg_id); `text`
            and `files_json` as for captivate_conversation_send_message. Blocking.
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_edit_message.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_get_transcript",
        on: Client,
        args: &[("conversation_id", "*const c_char")],
        timeout: true,
        out: Some("json_out"),
        call: "conversation::get_transcript",
        doc: r#"
            Writes the transcript, `{"entries": [{"from": "user"|"bot"|"agent"|..., "text",
            "messages": [items], "actions", "files", "event_id", "message_id", ..., "raw"}]}`, to
            `*json_out` (free it with captivate_string_free). It is read over the socket, or over REST
            with the HTTP transport (captivate_options_set_transport). The links of stored files about
            to expire (less than five minutes left) are renewed for two hours in the transcript given
            and pushed back to the hub with an edit of their message, as the official client does,
            unless captivate_options_set_refresh_file_links turned it off; a link that cannot be
            renewed is kept as it was. Blocking.
        "#,
        safety: Some(
            r#"
            `conversation_id` is NULL or NUL-terminated; `json_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_get_transcript.
        "#,
        async_safety: Some(
            r#"
            `conversation_id` is NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_delete",
        on: Client,
        args: &[("conversation_id", "*const c_char"), ("hard", "bool")],
        timeout: true,
        out: None,
        call: "conversation::delete",
        doc: r#"
            Deletes the conversation, soft (`hard` false) or hard. Blocking.
        "#,
        safety: Some(
            r#"
            `conversation_id` is NULL or NUL-terminated.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_delete.
        "#,
        async_safety: Some(
            r#"
            `conversation_id` is NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_upload_file",
        on: Client,
        args: &[
            ("conversation_id", "*const c_char"),
            ("data", "*const u8"),
            ("len", "usize"),
            ("options_json", "*const c_char"),
        ],
        timeout: true,
        out: Some("file_json_out"),
        call: "files::upload_file",
        doc: r#"
            Uploads `len` bytes at `data` through the file-to-text service, which extracts their text
            and (by default) keeps the file behind a presigned link, and writes the file object to
            `*file_json_out` (free it with captivate_string_free): `{"filename", "type", "storage":
            {"fileKey", "presignedUrl", "expiresIn", "fileSize", "processingTime"}, "textContent":
            {"type": "file_content", "text", "metadata"}}` (with `"url"` instead of `"storage"` for a
            file not stored). Pass it as it is, or in an array with others, as the `files_json` of
            captivate_conversation_send_message.

            `options_json` (NULL for every default) is an object of the upload schema every
            language shares: `filename` (also `file_name`; default `attachment_<milliseconds>`),
            `content_type` (default: guessed from the name, else `application/octet-stream`),
            `storage` (default true; false needs a `url` where the hub can download the file),
            `ttl_days` (how long the service keeps it: 1, 7, 30 or 90 days; default the
            time-to-live last set on this client with captivate_conversation_set_time_to_live);
            camelCase names are accepted too. An unknown name or a bad value is
            CAPTIVATE_RESULT_INVALID_ARGUMENT at the call (the `_async` form then calls no
            callback).

            With a `conversation_id`, the file is filed under the conversation, as the official client
            does: its `storage.fileKey` is then `<API key>/<conversation id>/...`, so do not log it.
            NULL uploads it on its own. `data` may be NULL when `len` is 0; the bytes are copied before
            the call returns. The service's refusal or an unreachable service is
            CAPTIVATE_RESULT_HTTP. Blocking, at most `timeout_ms` (0: the request timeout).
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated; `data` is NULL or points to `len` readable
            bytes; `file_json_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_upload_file: the bytes are copied before
            it returns, and `done` receives the file object.
        "#,
        async_safety: Some(
            r#"
            As captivate_conversation_upload_file.
        "#,
        ),
    },
    Op {
        name: "captivate_conversation_upload_file_path",
        on: Client,
        args: &[("conversation_id", "*const c_char"), ("path", "*const c_char"), ("options_json", "*const c_char")],
        timeout: true,
        out: Some("file_json_out"),
        call: "files::upload_file_path",
        doc: r#"
            Like captivate_conversation_upload_file, for the file at `path`: it is read before the
            call returns (a file that cannot be read is CAPTIVATE_RESULT_INVALID_ARGUMENT, naming the
            path and the reason), and its `filename` defaults to the path's last part. `options_json`
            may be NULL. Blocking.
        "#,
        safety: Some(
            r#"
            String arguments are NULL or NUL-terminated; `file_json_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_conversation_upload_file_path: the file is read before
            it returns, and `done` receives the file object.
        "#,
        async_safety: Some(
            r#"
            String arguments are NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_client_presigned_url",
        on: Client,
        args: &[("file_key", "*const c_char"), ("expires_in_secs", "u64")],
        timeout: true,
        out: Some("url_out"),
        call: "files::presigned_url",
        doc: r#"
            Asks the file-to-text service for a new presigned link to a stored file (`file_key`: the
            `storage.fileKey` of its file object), valid `expires_in_secs` seconds (0: two hours), and
            writes it to `*url_out` (free it with captivate_string_free). An empty key is
            CAPTIVATE_RESULT_INVALID_ARGUMENT; an unknown key or a lifetime the service refuses is
            CAPTIVATE_RESULT_HTTP. Blocking, at most `timeout_ms` (0: the request timeout).
        "#,
        safety: Some(
            r#"
            `file_key` is NULL or NUL-terminated; `url_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_client_presigned_url: `done` receives
            `{"presigned_url": ...}`.
        "#,
        async_safety: Some(
            r#"
            `file_key` is NULL or NUL-terminated.
        "#,
        ),
    },
    Op {
        name: "captivate_list_across",
        on: Clients,
        args: &[("user_id", "*const c_char"), ("options_json", "*const c_char")],
        timeout: true,
        out: Some("json_out"),
        call: "across::list_across",
        doc: r#"
            Lists a user's conversations across the API keys of `count` clients (`clients[0]` ..
            `clients[count - 1]`, one per key, e.g. connected to the same hub with different keys),
            asking the hub through the first, and writes `{"conversations": [{"conversation_id",
            "client_index", "metadata"}], "pagination": {...} | null}` to `*json_out` (free it with
            captivate_string_free). Each conversation belongs to the client `clients[client_index]`
            of its own key (the first such client, when several share a key): it is attached to it,
            so its events reach that client's callback, and the captivate_conversation_* calls are
            made on that client. `metadata` is the conversation's metadata as the hub listed it (a
            JSON object, as in captivate_client_list_conversations), so that no
            captivate_conversation_get_metadata is needed per conversation.

            `options_json` may be NULL or an object as for captivate_client_list_conversations
            (`filter`, `search`, `page`, `limit`, `api_keys`; `api_keys` defaults to the keys of all
            the clients). A conversation of a key none of the clients has is
            CAPTIVATE_RESULT_PROTOCOL. `clients` NULL, or one of them NULL, is
            CAPTIVATE_RESULT_NULL_POINTER; `count` 0 is CAPTIVATE_RESULT_INVALID_ARGUMENT; a freed
            client is CAPTIVATE_RESULT_INVALID_HANDLE. Blocking, at most `timeout_ms` (0: the request
            timeout).
        "#,
        safety: Some(
            r#"
            `clients` is NULL or points to `count` handles; string arguments are NULL or
            NUL-terminated; `json_out` is NULL or writable.
        "#,
        ),
        async_doc: r#"
            The non-blocking form of captivate_list_across: `done` receives the same JSON, on the
            dispatch thread of `clients[0]`.
        "#,
        async_safety: Some(
            r#"
            `clients` is NULL or points to `count` handles; string arguments are NULL or
            NUL-terminated.
        "#,
        ),
    },
];

/// Where the generated source goes, from the crate's directory.
pub const GENERATED: &str = "src/operations/generated.rs";

/// The text of a table string: without its first and last lines' breaks, its common
/// indentation and trailing blanks.
fn text(s: &str) -> Vec<&str> {
    let lines: Vec<&str> = s.trim_matches('\n').trim_end().lines().collect();
    let indent = lines.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min();
    lines.iter().map(|l| if l.trim().is_empty() { "" } else { &l[indent.unwrap_or(0)..] }).collect()
}

fn doc_comment(out: &mut String, doc: &str, safety: Option<&str>) {
    let mut lines = text(doc);
    if let Some(s) = safety {
        lines.extend(["", "# Safety"]);
        lines.extend(text(s));
    }
    for l in lines {
        if l.is_empty() {
            out.push_str("///\n");
        } else {
            out.push_str(&format!("/// {l}\n"));
        }
    }
}

/// A function's signature, as rustfmt lays it out: on one line when it fits in 120 columns,
/// else one parameter a line.
fn signature(out: &mut String, safe: bool, name: &str, params: &[(String, String)]) {
    let head = format!("pub {}extern \"C\" fn {name}(", if safe { "" } else { "unsafe " });
    let flat: Vec<String> = params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
    let one = format!("{head}{}) -> captivate_result {{", flat.join(", "));
    if one.len() <= 120 {
        out.push_str(&one);
        out.push('\n');
    } else {
        out.push_str(&head);
        out.push('\n');
        for p in flat {
            out.push_str(&format!("    {p},\n"));
        }
        out.push_str(") -> captivate_result {\n");
    }
}

/// The Rust source of every operation's two exports.
pub fn render() -> String {
    let mut out = String::from(
        "//! Generated from `ffi/codegen/operations.rs` by `make bless`: do not edit. The blocking and\n\
         //! `_async` exports of every operation (see the `operations` module).\n\
         \n\
         use std::ffi::{c_char, c_void};\n\
         \n\
         use super::{blocking, nonblocking};\n\
         use crate::across::entries;\n\
         use crate::client::{captivate_client, entry};\n\
         use crate::dispatch::captivate_completion_callback;\n\
         use crate::result::captivate_result;\n",
    );
    for op in OPS {
        let (target, resolve): (Vec<(String, String)>, &str) = match op.on {
            On::Client => (vec![("client".into(), "*mut captivate_client".into())], "entry(client)"),
            On::Clients => (
                vec![("clients".into(), "*const *mut captivate_client".into()), ("count".into(), "usize".into())],
                "entries(clients, count)",
            ),
        };
        let args: Vec<(String, String)> = op.args.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
        let names: String = op.args.iter().map(|(n, _)| format!(", {n}")).collect();
        let call = format!("|e| crate::{}(e{names})", op.call);
        let safe = op.safety.is_none();

        let mut params = [target.clone(), args.clone()].concat();
        if op.timeout {
            params.push(("timeout_ms".into(), "u64".into()));
        }
        if let Some(o) = op.out {
            params.push((o.into(), "*mut *mut c_char".into()));
        }
        out.push('\n');
        doc_comment(&mut out, op.doc, op.safety);
        out.push_str("#[unsafe(no_mangle)]\n");
        signature(&mut out, safe, op.name, &params);
        out.push_str(if op.out.is_some() {
            "    // SAFETY: the arguments as the caller gave them, under this function's contract.\n"
        } else {
            "    // SAFETY: no out-parameter; the arguments as the caller gave them, under this function's\n    // contract.\n"
        });
        out.push_str(&format!(
            "    unsafe {{\n        blocking(\n            || {resolve},\n            {},\n            {},\n            {call},\n        )\n    }}\n}}\n",
            if op.timeout { "timeout_ms" } else { "0" },
            op.out.unwrap_or("std::ptr::null_mut()"),
        ));

        let mut params = [target, args].concat();
        params.push(("done".into(), "captivate_completion_callback".into()));
        params.push(("userdata".into(), "*mut c_void".into()));
        out.push('\n');
        doc_comment(&mut out, op.async_doc, op.async_safety);
        out.push_str("#[unsafe(no_mangle)]\n");
        signature(&mut out, op.async_safety.is_none(), &format!("{}_async", op.name), &params);
        if safe && matches!(op.on, On::Client) {
            out.push_str(&format!("    nonblocking(|| {resolve}, done, userdata, {call})\n}}\n"));
        } else {
            out.push_str(&format!(
                "    // SAFETY: the arguments as the caller gave them, under this function's contract.\n    \
                 unsafe {{\n        nonblocking(\n            || {resolve},\n            done,\n            userdata,\n            \
                 {call},\n        )\n    }}\n}}\n"
            ));
        }
    }
    out
}
