//! An upload's options as JSON: the one schema every front end (C, Python, Node) hands to
//! [`Upload::from_json`], read the way the client's options are read (see [`crate::options`]).
//!
//! Names are snake_case, each also answering to its camelCase spelling; the official client's
//! names are aliases (`fileName` and `filename` for `file_name`, `fileType` for
//! `content_type`). `null` leaves an option at its default; an unknown name is an error, so
//! that a typo does not pass silently. Values are checked here, once: a file name that is
//! blank, a time-to-live other than 1, 7, 30 or 90 days, a file that is not stored without the
//! `url` it is to be fetched from. [`UPLOAD_OPTIONS`] lists them all.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::Upload;
use crate::error::{Error, Result};
use crate::options::{OptionType, snake};

/// One upload option: its name, the other spellings it answers to, what it takes, what it
/// means.
#[derive(Clone, Copy, Debug)]
pub struct UploadOptionSpec {
    /// Its snake_case name.
    pub name: &'static str,
    /// Other names for it (the camelCase spelling is always accepted as well).
    pub aliases: &'static [&'static str],
    /// What it takes.
    pub kind: OptionType,
    /// What it sets, and its default.
    pub doc: &'static str,
}

/// Every upload option, with its aliases, type and meaning.
pub const UPLOAD_OPTIONS: &[UploadOptionSpec] = &[
    UploadOptionSpec {
        name: "file_name",
        aliases: &["filename"],
        kind: OptionType::Text,
        doc: "The file's name (not blank). Default: `attachment_<milliseconds since 1970>`, as the official client \
              names a file that comes without one; front ends default it to the name of the path or file object \
              they read.",
    },
    UploadOptionSpec {
        name: "content_type",
        aliases: &["file_type", "mime_type"],
        kind: OptionType::Text,
        doc: "Its MIME type. Default: guessed from the name's extension, else `application/octet-stream`.",
    },
    UploadOptionSpec {
        name: "storage",
        aliases: &[],
        kind: OptionType::Flag,
        doc: "Keep the file in the file service's store behind a presigned link (default true). Without storage, \
              `url` is required: the message points there.",
    },
    UploadOptionSpec {
        name: "url",
        aliases: &[],
        kind: OptionType::Text,
        doc: "Where the file can be downloaded, for a file that is not stored (required then).",
    },
    UploadOptionSpec {
        name: "ttl_days",
        aliases: &["time_to_live"],
        kind: OptionType::Count,
        doc: "How long the store keeps the file: 1, 7, 30 or 90 days. Default: the service's, or, for an upload \
              through a conversation, the conversation's time-to-live.",
    },
];

/// The name of a file that comes without one: `attachment_<milliseconds since 1970>`.
pub fn default_file_name() -> String {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    format!("attachment_{ms}")
}

fn spec_of(key: &str) -> Option<&'static UploadOptionSpec> {
    let name = snake(key);
    UPLOAD_OPTIONS.iter().find(|s| s.name == name || s.aliases.contains(&name.as_str()))
}

fn bad(m: String) -> Error {
    Error::InvalidArgument(m)
}

fn names() -> String {
    UPLOAD_OPTIONS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// A file as a front end read it from its host's file types (a path, bytes, a file object, a
/// Blob, a stream): its bytes, and the name and type it knows of itself (a path's last part, a
/// file object's or Blob's name and type). Options that name none take these.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HostFile {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The name the file knows of itself, if any.
    pub name: Option<String>,
    /// The MIME type the file knows of itself, if any.
    pub content_type: Option<String>,
}

impl std::fmt::Debug for HostFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostFile")
            .field("bytes", &self.bytes.len())
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl From<Vec<u8>> for HostFile {
    fn from(bytes: Vec<u8>) -> HostFile {
        HostFile { bytes, name: None, content_type: None }
    }
}

/// `e`, an upload's refusal, as the refusal of file `i` (from 0) of `n`: `invalid_argument`
/// naming its position (and its name when known).
pub(crate) fn of_file(i: usize, n: usize, name: Option<&str>, e: Error) -> Error {
    let why = match e {
        Error::InvalidArgument(m) => m,
        other => other.to_string(),
    };
    match name {
        Some(name) => bad(format!("file {} of {n} ({name}): {why}", i + 1)),
        None => bad(format!("file {} of {n}: {why}", i + 1)),
    }
}

impl Upload {
    /// Reads several uploads, each a file and its options (as [`Upload::from_host`]); the first
    /// that is refused fails them all, naming its position.
    pub fn from_hosts(files: Vec<(HostFile, Value)>) -> Result<Vec<Upload>> {
        let n = files.len();
        files
            .into_iter()
            .enumerate()
            .map(|(i, (file, options))| Upload::from_host(file, &options).map_err(|e| of_file(i, n, None, e)))
            .collect()
    }

    /// Reads an upload of `bytes` from its options (an object, or `null` for every default:
    /// see the module docs); the result is checked. Two spellings of one option are refused.
    pub fn from_json(bytes: impl Into<Vec<u8>>, options: &Value) -> Result<Upload> {
        Upload::from_host(HostFile::from(bytes.into()), options)
    }

    /// Reads an upload of a file a front end read (see [`HostFile`]) from its options, as
    /// [`Upload::from_json`]; a name or type the options leave out is the file's own, when it
    /// knows one (the name is then `attachment_<milliseconds>` only when neither does).
    pub fn from_host(file: HostFile, options: &Value) -> Result<Upload> {
        let mut upload = Upload::new(file.bytes, String::new());
        upload.content_type = file.content_type.filter(|t| !t.is_empty());
        let mut name = file.name.filter(|n| !n.trim().is_empty());
        let empty = serde_json::Map::new();
        let o = match options {
            Value::Null => &empty,
            Value::Object(o) => o,
            _ => return Err(bad("the upload options must be an object".into())),
        };
        let mut seen: Vec<&'static str> = Vec::with_capacity(o.len());
        for (k, v) in o {
            let s = spec_of(k).ok_or_else(|| bad(format!("{k:?} is not an upload option ({})", names())))?;
            if seen.contains(&s.name) {
                return Err(bad(format!("{k:?} names the upload option {} a second time", s.name)));
            }
            seen.push(s.name);
            if v.is_null() {
                continue;
            }
            let text = || v.as_str().map(str::to_owned).ok_or_else(|| bad(format!("{k} must be a string")));
            match s.name {
                "file_name" => name = Some(text()?),
                "content_type" => upload.content_type = Some(text()?),
                "url" => upload.url = Some(text()?),
                "storage" => upload.storage = v.as_bool().ok_or_else(|| bad(format!("{k} must be a boolean")))?,
                "ttl_days" => {
                    let days =
                        v.as_u64().and_then(|d| u32::try_from(d).ok()).filter(|d| crate::TIME_TO_LIVE_DAYS.contains(d));
                    upload.ttl_days =
                        Some(days.ok_or_else(|| bad(format!("{k} must be 1, 7, 30 or 90 days, not {v}")))?);
                }
                other => unreachable!("upload option {other} has no reader"),
            }
        }
        upload.file_name = name.unwrap_or_else(default_file_name);
        upload.check()?;
        Ok(upload)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_spelling_reads_the_same_upload() {
        let snake =
            json!({"file_name": "a.pdf", "content_type": "x/y", "storage": false, "url": "https://h/a", "ttl_days": 7});
        let camel =
            json!({"fileName": "a.pdf", "contentType": "x/y", "storage": false, "url": "https://h/a", "ttlDays": 7});
        let official =
            json!({"fileName": "a.pdf", "fileType": "x/y", "storage": false, "url": "https://h/a", "ttlDays": 7});
        let c =
            json!({"filename": "a.pdf", "mimeType": "x/y", "storage": false, "url": "https://h/a", "timeToLive": 7});
        let want = Upload::new(b"hi".to_vec(), "a.pdf").content_type("x/y").without_storage("https://h/a").ttl_days(7);
        for o in [snake, camel, official, c] {
            assert_eq!(Upload::from_json(b"hi".to_vec(), &o).unwrap(), want, "{o}");
        }
    }

    #[test]
    fn the_host_file_names_what_the_options_leave_out() {
        let file = || HostFile { bytes: b"x".to_vec(), name: Some("own.pdf".into()), content_type: Some("a/b".into()) };
        let u = Upload::from_host(file(), &json!({})).unwrap();
        assert_eq!((u.file_name.as_str(), u.content_type.as_deref()), ("own.pdf", Some("a/b")));
        let u = Upload::from_host(file(), &json!({"fileName": "given.txt", "fileType": "text/plain"})).unwrap();
        assert_eq!((u.file_name.as_str(), u.content_type.as_deref()), ("given.txt", Some("text/plain")));
        let blank = HostFile { name: Some(String::new()), content_type: Some(String::new()), ..file() };
        let u = Upload::from_host(blank, &json!({"fileName": null})).unwrap();
        assert!(u.file_name.starts_with("attachment_") && u.content_type.is_none());
        assert!(!format!("{:?}", file()).contains("120"), "the bytes are not printed");
    }

    #[test]
    fn defaults_null_and_the_default_name() {
        for o in [json!({}), Value::Null, json!({"file_name": null, "storage": null, "ttl_days": null})] {
            let u = Upload::from_json(b"x".to_vec(), &o).unwrap();
            assert!(u.file_name.starts_with("attachment_"), "{}", u.file_name);
            assert!(u.file_name["attachment_".len()..].parse::<u128>().unwrap() > 1_600_000_000_000);
            assert!(u.storage);
            assert_eq!((u.content_type, u.url, u.ttl_days), (None, None, None));
        }
    }

    #[test]
    fn bad_options_are_refused_with_what_is_wrong() {
        let err = |o: Value| Upload::from_json(Vec::new(), &o).unwrap_err().to_string();
        assert!(err(json!({"file_nmae": "a"})).contains("\"file_nmae\" is not an upload option (file_name,"));
        assert!(err(json!({"file": "a"})).contains("not an upload option"));
        assert!(err(json!({"file_name": "a", "fileName": "b"})).contains("a second time"));
        assert!(err(json!({"file_name": "  "})).contains("needs a name"));
        assert!(err(json!({"file_name": 5})).contains("file_name must be a string"));
        assert!(err(json!({"storage": "yes"})).contains("storage must be a boolean"));
        assert!(err(json!({"storage": false})).contains("needs a url"));
        for days in [json!(0), json!(3), json!(-1), json!(7.5), json!("7"), json!(u64::MAX)] {
            assert!(err(json!({"ttlDays": days})).contains("ttlDays must be 1, 7, 30 or 90 days"), "{days}");
        }
        assert!(err(json!([1])).contains("must be an object"));
        for s in UPLOAD_OPTIONS {
            assert!(!s.doc.is_empty() && spec_of(s.name).is_some());
        }
    }
}
