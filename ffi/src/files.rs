//! Files through the file-to-text service: uploads from memory or from a path, which give the
//! file object a message carries, and new presigned links to stored files.

use std::ffi::{c_char, c_void};
use std::path::PathBuf;

use captivate::{FileRef, Pending};
use serde_json::{Map, Value, json};

use crate::calls::Json;
use crate::client::{Entry, captivate_client, entry};
use crate::dispatch::captivate_completion_callback;
use crate::result::{Fail, R, captivate_result, guard};
use crate::strings::{arg_str, opt_object, opt_str, put_str};

/// The names an upload's options may have, in either spelling.
const UPLOAD_OPTIONS: [&str; 9] =
    ["filename", "file_name", "fileName", "content_type", "contentType", "storage", "url", "ttl_days", "ttlDays"];

/// An upload's options as the binding reads them: `filename` (or `file_name`) as `file_name`,
/// `default_name` when none is given; an unknown name is refused.
///
/// # Safety
/// `options_json` is NULL or NUL-terminated.
unsafe fn upload_options(options_json: *const c_char, default_name: Option<String>) -> R<Value> {
    // SAFETY: forwarded from the caller.
    let given = unsafe { opt_object(options_json, "options_json") }?;
    let mut out = Map::new();
    for (k, v) in given.as_ref().and_then(Value::as_object).into_iter().flatten() {
        if !UPLOAD_OPTIONS.contains(&k.as_str()) {
            return Err(Fail::new(
                captivate_result::InvalidArgument,
                format!("{k:?} is not an upload option (filename, content_type, storage, url, ttl_days)"),
            ));
        }
        let name = match k.as_str() {
            "filename" | "fileName" => "file_name",
            other => other,
        };
        out.insert(name.to_owned(), v.clone());
    }
    if let Some(name) = default_name
        && out.get("file_name").is_none_or(Value::is_null)
    {
        out.insert("file_name".into(), json!(name));
    }
    Ok(Value::Object(out))
}

/// The bytes of a C buffer (NULL is allowed for an empty one).
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes.
unsafe fn buffer(data: *const u8, len: usize) -> R<Vec<u8>> {
    if data.is_null() {
        if len == 0 {
            return Ok(Vec::new());
        }
        return Err(Fail::new(captivate_result::NullPointer, "data is NULL"));
    }
    // SAFETY: the caller promises `len` readable bytes at `data`.
    Ok(unsafe { std::slice::from_raw_parts(data, len) }.to_vec())
}

/// A path argument: any bytes on Unix, UTF-8 elsewhere.
///
/// # Safety
/// `path` is NULL or NUL-terminated.
unsafe fn path_arg(path: *const c_char) -> R<PathBuf> {
    if path.is_null() {
        return Err(Fail::new(captivate_result::NullPointer, "path is NULL"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        // SAFETY: the caller promises a NUL-terminated string.
        let bytes = unsafe { std::ffi::CStr::from_ptr(path) }.to_bytes();
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        // SAFETY: forwarded from the caller.
        unsafe { arg_str(path, "path") }.map(PathBuf::from)
    }
}

fn file_json(f: FileRef) -> Json {
    Some(f.to_json().to_string())
}

// ----- from memory -----

/// # Safety
/// Pointers as in the exported functions.
unsafe fn upload_op(
    e: &Entry,
    conversation_id: *const c_char,
    data: *const u8,
    len: usize,
    options_json: *const c_char,
) -> R<Pending<FileRef>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { opt_str(conversation_id, "conversation_id") }?;
    // SAFETY: forwarded from the caller.
    let options = unsafe { upload_options(options_json, None) }?;
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { buffer(data, len) }?;
    Ok(e.session.upload_file(id, bytes.into(), &options))
}

/// Uploads `len` bytes at `data` through the file-to-text service, which extracts their text
/// and (by default) keeps the file behind a presigned link, and writes the file object to
/// `*file_json_out` (free it with captivate_string_free): `{"filename", "type", "storage":
/// {"fileKey", "presignedUrl", "expiresIn", "fileSize", "processingTime"}, "textContent":
/// {"type": "file_content", "text", "metadata"}}` (with `"url"` instead of `"storage"` for a
/// file not stored). Pass it as it is, or in an array with others, as the `files_json` of
/// captivate_conversation_send_message.
///
/// `options_json` is an object with `filename` (required), and optionally `content_type`
/// (default: guessed from the name, else `application/octet-stream`), `storage` (default
/// true; false needs a `url` where the hub can download the file), `ttl_days` (how long the
/// service keeps it: 1, 7, 30 or 90 days; default the time-to-live last set on this client
/// with captivate_conversation_set_time_to_live); camelCase names are accepted too. An
/// unknown name or a bad value is CAPTIVATE_RESULT_INVALID_ARGUMENT.
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
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let f = e.wait(timeout_ms, |_| unsafe { upload_op(&e, conversation_id, data, len, options_json) })?;
        // SAFETY: per the function's contract.
        unsafe { put_str(file_json_out, f.to_json().to_string()) };
        Ok(())
    })
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
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let call = unsafe { upload_op(&e, conversation_id, data, len, options_json) }?;
        e.submit(call, file_json, done, userdata)
    })
}

// ----- from a path -----

/// # Safety
/// Pointers as in the exported functions.
unsafe fn upload_path_op(
    e: &Entry,
    conversation_id: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
) -> R<Pending<FileRef>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { opt_str(conversation_id, "conversation_id") }?;
    // SAFETY: forwarded from the caller.
    let path = unsafe { path_arg(path) }?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    // SAFETY: forwarded from the caller.
    let options = unsafe { upload_options(options_json, name) }?;
    let bytes = std::fs::read(&path).map_err(|err| {
        Fail::new(captivate_result::InvalidArgument, format!("cannot read {}: {err}", path.display()))
    })?;
    Ok(e.session.upload_file(id, bytes.into(), &options))
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
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let f = e.wait(timeout_ms, |_| unsafe { upload_path_op(&e, conversation_id, path, options_json) })?;
        // SAFETY: per the function's contract.
        unsafe { put_str(file_json_out, f.to_json().to_string()) };
        Ok(())
    })
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
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let call = unsafe { upload_path_op(&e, conversation_id, path, options_json) }?;
        e.submit(call, file_json, done, userdata)
    })
}

// ----- presigned URLs -----

/// # Safety
/// `file_key` is NULL or NUL-terminated.
unsafe fn presigned_op(e: &Entry, file_key: *const c_char, expires_in_secs: u64) -> R<Pending<String>> {
    // SAFETY: forwarded from the caller.
    let key = unsafe { arg_str(file_key, "file_key") }?;
    Ok(e.session.presigned_url(key, (expires_in_secs > 0).then_some(expires_in_secs)))
}

fn presigned(url: String) -> Json {
    Some(json!({ "presigned_url": url }).to_string())
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
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let url = e.wait(timeout_ms, |_| unsafe { presigned_op(&e, file_key, expires_in_secs) })?;
        // SAFETY: per the function's contract.
        unsafe { put_str(url_out, url) };
        Ok(())
    })
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
    guard(|| {
        let e = entry(client)?;
        // SAFETY: forwarded from the caller.
        let call = unsafe { presigned_op(&e, file_key, expires_in_secs) }?;
        e.submit(call, presigned, done, userdata)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: &str, default_name: Option<&str>) -> R<Value> {
        let c = std::ffi::CString::new(json).unwrap();
        // SAFETY: a NUL-terminated string.
        unsafe { upload_options(c.as_ptr(), default_name.map(str::to_owned)) }
    }

    #[test]
    fn upload_options_take_either_spelling_and_refuse_unknown_names() {
        let o = options(r#"{"filename": "a.txt", "ttlDays": 7, "storage": false}"#, None).unwrap();
        assert_eq!(o, json!({"file_name": "a.txt", "ttlDays": 7, "storage": false}));
        assert_eq!(options(r#"{"fileName": "b.txt"}"#, Some("c.txt")).unwrap()["file_name"], "b.txt");
        assert_eq!(options("{}", Some("c.txt")).unwrap()["file_name"], "c.txt");
        // A name of the wrong type is left for the binding to refuse, not replaced.
        assert_eq!(options(r#"{"filename": 5}"#, Some("c.txt")).unwrap()["file_name"], 5);
        let f = options(r#"{"filename": "a.txt", "colour": 1}"#, None).unwrap_err();
        assert_eq!(f.code, captivate_result::InvalidArgument);
        assert!(f.message.contains("colour"));
        assert_eq!(options("[1]", None).unwrap_err().code, captivate_result::InvalidJson);
    }

    #[test]
    fn a_null_buffer_is_only_an_empty_one() {
        // SAFETY: NULL with no bytes to read.
        assert_eq!(unsafe { buffer(std::ptr::null(), 0) }.unwrap(), Vec::<u8>::new());
        // SAFETY: NULL is refused before anything is read.
        assert_eq!(unsafe { buffer(std::ptr::null(), 3) }.unwrap_err().code, captivate_result::NullPointer);
    }
}
