//! Files through the file-to-text service: uploads from memory or from a path, which give the
//! file object a message carries, and new presigned links to stored files. This module says
//! what each call does; its two exports are generated (see [`crate::operations`]).

use std::ffi::c_char;
use std::path::PathBuf;

use captivate::{FileRef, Pending};
use serde_json::{Value, json};

use crate::calls::Json;
use crate::client::Entry;
use crate::operations::Call;
use crate::result::{Fail, R, captivate_result};
use crate::strings::{arg_str, opt_object, opt_str};

/// An upload's options: the JSON object (or NULL) the core's upload schema reads
/// (`captivate::UPLOAD_OPTIONS`: names, aliases, defaults, checked values, unknown names
/// refused), the same in every language.
///
/// # Safety
/// `options_json` is NULL or NUL-terminated.
unsafe fn upload_options(options_json: *const c_char) -> R<Value> {
    // SAFETY: forwarded from the caller.
    Ok(unsafe { opt_object(options_json, "options_json") }?.unwrap_or(Value::Null))
}

/// The upload of `file` its options describe, checked at the call: a bad option is
/// CAPTIVATE_RESULT_INVALID_ARGUMENT before anything starts (no callback for the `_async` form).
fn checked(file: captivate::HostFile, options: &Value) -> R<captivate::Upload> {
    captivate::Upload::from_host(file, options).map_err(|e| {
        let message = match e {
            captivate::Error::InvalidArgument(m) => m,
            other => other.to_string(),
        };
        Fail::new(captivate_result::InvalidArgument, message)
    })
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
    let options = unsafe { upload_options(options_json) }?;
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { buffer(data, len) }?;
    let upload = checked(captivate::HostFile::from(bytes), &options)?;
    Ok(Call::same(e.session.upload(id, upload), file_json))
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
    let options = unsafe { upload_options(options_json) }?;
    let bytes = std::fs::read(&path).map_err(|err| {
        Fail::new(captivate_result::InvalidArgument, format!("cannot read {}: {err}", path.display()))
    })?;
    let upload = checked(captivate::HostFile { bytes, name, content_type: None }, &options)?;
    Ok(Call::same(e.session.upload(id, upload), file_json))
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

    fn options(json: &str) -> R<Value> {
        let c = std::ffi::CString::new(json).unwrap();
        // SAFETY: a NUL-terminated string.
        unsafe { upload_options(c.as_ptr()) }
    }

    #[test]
    fn upload_options_go_to_the_core_schema_as_they_are() {
        let o = options(r#"{"filename": "a.txt", "ttlDays": 7, "storage": false}"#).unwrap();
        assert_eq!(o, json!({"filename": "a.txt", "ttlDays": 7, "storage": false}));
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { upload_options(std::ptr::null()) }.unwrap(), Value::Null);
        assert_eq!(options("[1]").unwrap_err().code, captivate_result::InvalidJson);
        // The schema refuses what is wrong, with the same words in every language.
        let e = captivate::Upload::from_json(Vec::new(), &options(r#"{"filename": "a.txt", "colour": 1}"#).unwrap());
        assert!(e.unwrap_err().to_string().contains("\"colour\" is not an upload option"));
    }

    #[test]
    fn a_null_buffer_is_only_an_empty_one() {
        // SAFETY: NULL with no bytes to read.
        assert_eq!(unsafe { buffer(std::ptr::null(), 0) }.unwrap(), Vec::<u8>::new());
        // SAFETY: NULL is refused before anything is read.
        assert_eq!(unsafe { buffer(std::ptr::null(), 3) }.unwrap_err().code, captivate_result::NullPointer);
    }
}
