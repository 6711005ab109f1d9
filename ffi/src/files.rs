//! Files through the file-to-text service: uploads from memory or from a path, which give the
//! file object a message carries, and new presigned links to stored files. This module says
//! what each call does; its two exports are generated (see [`crate::operations`]).

use std::ffi::c_char;
use std::path::PathBuf;

use captivate::{FileRef, Pending};
use serde_json::{Map, Value, json};

use crate::calls::Json;
use crate::client::Entry;
use crate::operations::Call;
use crate::result::{Fail, R, captivate_result};
use crate::strings::{arg_str, opt_object, opt_str};

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

/// Uploads bytes from memory (see captivate_conversation_upload_file).
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `data` is NULL or points to `len` readable
/// bytes.
pub(crate) unsafe fn upload_file(
    e: &Entry,
    conversation_id: *const c_char,
    data: *const u8,
    len: usize,
    options_json: *const c_char,
) -> R<Call<Pending<FileRef>, FileRef>> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { opt_str(conversation_id, "conversation_id") }?;
    // SAFETY: forwarded from the caller.
    let options = unsafe { upload_options(options_json, None) }?;
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { buffer(data, len) }?;
    Ok(Call::same(e.session.upload_file(id, bytes, &options), file_json))
}

// ----- from a path -----

/// Uploads the file at a path (see captivate_conversation_upload_file_path).
///
/// # Safety
/// String arguments are NULL or NUL-terminated.
pub(crate) unsafe fn upload_file_path(
    e: &Entry,
    conversation_id: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
) -> R<Call<Pending<FileRef>, FileRef>> {
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
    Ok(Call::same(e.session.upload_file(id, bytes, &options), file_json))
}

// ----- presigned URLs -----

/// Asks for a new presigned link (see captivate_client_presigned_url).
///
/// # Safety
/// `file_key` is NULL or NUL-terminated.
pub(crate) unsafe fn presigned_url(
    e: &Entry,
    file_key: *const c_char,
    expires_in_secs: u64,
) -> R<Call<Pending<String>, String>> {
    // SAFETY: forwarded from the caller.
    let key = unsafe { arg_str(file_key, "file_key") }?;
    Ok(Call::new(e.session.presigned_url(key, (expires_in_secs > 0).then_some(expires_in_secs)), Some, presigned))
}

fn presigned(url: String) -> Json {
    Some(json!({ "presigned_url": url }).to_string())
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
