//! The file service: uploads turned into text (`POST /api/file-to-text`), files kept under a
//! file key, presigned URLs to them (`POST /api/presigned-url`, served at `GET /files/...`),
//! and links made to expire on demand for tests.
//!
//! A presigned URL is `{http base}/files/<file key>?expires=<unix seconds>&sig=<token>`: the
//! token is random and kept by the hub with the file key and the expiry it was made for.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::http::Reply;
use crate::{Head, Shared, multipart};

/// How long a presigned URL lives unless told otherwise (seconds).
const DEFAULT_EXPIRY: u64 = 7200;

/// The longest a presigned URL may live (seconds; seven days, as S3 allows).
const MAX_EXPIRY: u64 = 7 * 24 * 3600;

/// The time-to-live values the service accepts (days).
const TTL_DAYS: [u32; 4] = [1, 7, 30, 90];

/// A file kept by the hub's file service (an upload with `storage: "true"`).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFile {
    /// Its file key: `<path>/<uuid>-<file name>` (`uploads/...` without a path).
    pub key: String,
    /// The file name it was uploaded with.
    pub filename: String,
    /// Its content type.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The time-to-live it was uploaded with (`ttlDays`), if any. Recorded, not enforced.
    pub ttl_days: Option<u32>,
}

/// A presigned URL: the file it opens and until when (unix seconds).
struct Link {
    key: String,
    expires: u64,
}

/// The files and links the hub keeps.
#[derive(Default)]
pub(crate) struct Store {
    files: HashMap<String, StoredFile>,
    /// Presigned URLs by their token.
    links: HashMap<String, Link>,
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn fail(status: u16, error: impl Into<String>) -> Reply {
    Reply::json(status, json!({"success": false, "error": error.into()}))
}

/// `/files/<key>` with each path segment percent-encoded.
fn file_path(key: &str) -> String {
    let mut out = String::from("/files/");
    for (i, segment) in key.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in segment.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

impl Store {
    /// A new presigned URL to `key`, living `secs` seconds; gives its path and its expiry.
    fn link(&mut self, key: &str, secs: u64) -> (String, u64) {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let expires = now() + secs;
        let url = format!("{}?expires={expires}&sig={token}", file_path(key));
        self.links.insert(token, Link { key: key.to_owned(), expires });
        (url, expires)
    }
}

/// Whether an upload is text the service can give back as it is: a text type, a text file
/// name, or (for a generic or missing type) bytes that are UTF-8 without NUL.
fn is_text(bytes: &[u8], content_type: Option<&str>, filename: &str) -> bool {
    let essence = content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let textual_type = essence.as_deref().is_some_and(|e| {
        e.starts_with("text/")
            || e.ends_with("+json")
            || e.ends_with("+xml")
            || ["application/json", "application/xml", "application/javascript", "application/x-ndjson"].contains(&e)
    });
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let textual_name = ["txt", "md", "markdown", "csv", "tsv", "json", "xml", "html", "htm", "log", "yaml", "yml"]
        .contains(&ext.as_str());
    let generic = essence.as_deref().is_none_or(|e| e.is_empty() || e == "application/octet-stream");
    textual_type || textual_name || (generic && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok())
}

/// `POST /api/file-to-text`.
pub(crate) fn file_to_text(shared: &Shared, head: &Head, body: &[u8]) -> Reply {
    let started = Instant::now();
    let boundary = match multipart::boundary(head.header("content-type")) {
        Ok(b) => b,
        Err(e) => return fail(400, e),
    };
    let parts = match multipart::parse(body, &boundary) {
        Ok(p) => p,
        Err(e) => return fail(400, e),
    };
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return fail(400, "the form has no file field");
    };
    let field =
        |name: &str| parts.iter().find(|p| p.name == name).map(|p| String::from_utf8_lossy(p.data).trim().to_owned());
    let storage = match field("storage").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return fail(400, format!("storage must be \"true\" or \"false\", not {other:?}")),
    };
    let ttl_days = match field("ttlDays") {
        None => None,
        Some(v) => match v.parse::<u32>() {
            Ok(d) if TTL_DAYS.contains(&d) => Some(d),
            _ => return fail(400, format!("ttlDays must be one of 1, 7, 30, 90, not {v:?}")),
        },
    };
    let filename = file.filename.clone().filter(|f| !f.is_empty()).unwrap_or_else(|| "attachment".into());
    let content_type = file.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
    let text = is_text(file.data, file.content_type.as_deref(), &filename);
    let mut answer = json!({
        "success": true,
        "text": if text { String::from_utf8_lossy(file.data).trim_start_matches('\u{feff}').to_owned() } else { String::new() },
        "fileSize": file.data.len(),
    });
    if !text {
        answer["note"] = json!(format!("no text extracted: {content_type} is not a text format"));
    }
    if field("includeMetadata").as_deref() == Some("true") {
        answer["metadata"] = json!({
            "fileName": filename, "fileType": content_type, "fileSize": file.data.len(), "textExtracted": text,
        });
    }
    if let Some(d) = ttl_days {
        answer["ttlDays"] = json!(d);
    }
    if storage {
        let path = field("path").filter(|p| !p.is_empty()).unwrap_or_else(|| "uploads".into());
        let safe_name: String =
            filename.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
        let key = format!("{}/{}-{safe_name}", path.trim_matches('/'), uuid::Uuid::new_v4());
        let stored = StoredFile { key: key.clone(), filename, content_type, bytes: file.data.to_vec(), ttl_days };
        let (url, expires) = {
            let mut st = shared.state.lock().unwrap();
            st.files.files.insert(key.clone(), stored);
            st.files.link(&key, DEFAULT_EXPIRY)
        };
        answer["fileKey"] = json!(key);
        answer["presignedUrl"] = json!(format!("{}{url}", shared.http_url()));
        answer["expiresIn"] = json!(expires);
    }
    answer["processingTime"] = json!(started.elapsed().as_millis() as u64);
    Reply::json(200, answer)
}

/// `POST /api/presigned-url` with `{fileKey, expiresIn?}`: `{success, presignedUrl, expiresAt}`.
pub(crate) fn presigned_url(shared: &Shared, body: &[u8]) -> Reply {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return fail(400, "the body must be a JSON object {fileKey, expiresIn}"),
    };
    let Some(key) = v.get("fileKey").and_then(Value::as_str).filter(|k| !k.is_empty()) else {
        return fail(400, "fileKey is required");
    };
    let secs = match v.get("expiresIn") {
        None | Some(Value::Null) => DEFAULT_EXPIRY,
        Some(e) => match e.as_u64() {
            Some(s) if (1..=MAX_EXPIRY).contains(&s) => s,
            _ => return fail(400, format!("expiresIn must be a whole number of seconds from 1 to {MAX_EXPIRY}")),
        },
    };
    let mut st = shared.state.lock().unwrap();
    if !st.files.files.contains_key(key) {
        return fail(404, "no file has this fileKey");
    }
    let (url, expires) = st.files.link(key, secs);
    Reply::json(
        200,
        json!({"success": true, "presignedUrl": format!("{}{url}", shared.http_url()), "expiresAt": expires}),
    )
}

/// Sample bytes served at unsigned `/files/...` paths (the flow's `files` reply links there).
const SAMPLE_PDF: &[u8] = b"%PDF-1.4\n% captivate-sim sample file\n";

/// `GET /files/<key>`: a stored file through a live presigned URL (403 when expired or not
/// signed by the hub), or the sample file at any other unsigned path.
pub(crate) fn get(shared: &Shared, head: &Head, encoded_key: &str) -> Reply {
    let key = crate::percent_decode(encoded_key);
    let st = shared.state.lock().unwrap();
    let Some(sig) = head.query("sig") else {
        if st.files.files.contains_key(&key) {
            return Reply::error(403, "this file is served through a presigned URL only");
        }
        return Reply::bytes(200, "application/pdf", SAMPLE_PDF.to_vec());
    };
    let link = st
        .files
        .links
        .get(&sig)
        .filter(|l| l.key == key && head.query("expires").and_then(|e| e.parse::<u64>().ok()) == Some(l.expires));
    let Some(link) = link else { return Reply::error(403, "the signature does not match") };
    if now() >= link.expires {
        return Reply::error(403, "the presigned URL has expired");
    }
    match st.files.files.get(&key) {
        Some(f) => Reply::bytes(200, &f.content_type, f.bytes.clone()),
        None => Reply::error(404, "no such file"),
    }
}

/// Makes the presigned URLs of one stored file (or of all) expire now, and so the
/// `storage.expiresIn` of the file objects that name it in transcripts. Gives how many stored
/// files it touched.
pub(crate) fn expire(shared: &Shared, key: Option<&str>) -> usize {
    let past = now().saturating_sub(1);
    let mut st = shared.state.lock().unwrap();
    let files = st.files.files.keys().filter(|k| key.is_none_or(|key| key == k.as_str())).count();
    for link in st.files.links.values_mut() {
        if key.is_none_or(|k| k == link.key) {
            link.expires = link.expires.min(past);
        }
    }
    for conv in &mut st.convs {
        for entry in &mut conv.transcript {
            entry.expire_files(key, past);
        }
    }
    files
}

/// `POST /control/expire-file` with `{"fileKey": KEY}`, or no key for every file.
pub(crate) fn expire_control(shared: &Shared, body: &[u8]) -> Reply {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let key = v.get("fileKey").and_then(Value::as_str);
    let n = expire(shared, key);
    if key.is_some() && n == 0 {
        return Reply::error(404, "no file has this fileKey");
    }
    Reply::json(200, json!({"ok": true, "expired": n}))
}

/// The stored files.
pub(crate) fn list(shared: &Shared) -> Vec<StoredFile> {
    let mut files: Vec<StoredFile> = shared.state.lock().unwrap().files.files.values().cloned().collect();
    files.sort_by(|a, b| a.key.cmp(&b.key));
    files
}

/// The stored files as `GET /control/files` shows them (without their bytes).
pub(crate) fn list_json(shared: &Shared) -> Value {
    list(shared)
        .into_iter()
        .map(|f| {
            json!({"fileKey": f.key, "filename": f.filename, "contentType": f.content_type,
                   "fileSize": f.bytes.len(), "ttlDays": f.ttl_days})
        })
        .collect()
}
