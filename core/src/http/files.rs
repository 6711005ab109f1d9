//! Uploads to the file-to-text service, and presigned URLs.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::Http;
use crate::error::{Error, Result};
use crate::pending::Pending;
use crate::protocol::{FileRef, FileStorage};

/// A file to upload through the file-to-text service, which extracts its text and (with
/// `storage`, the default) keeps it behind a presigned link. The result is the file object a
/// message carries ([`FileRef`] with `storage` and `text_content`).
#[derive(Clone, PartialEq)]
pub struct Upload {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its name.
    pub file_name: String,
    /// Its MIME type; `None`: guessed from the name, else `application/octet-stream`.
    pub content_type: Option<String>,
    /// Keep the file in the service's store (default true). Without storage, `url` is needed:
    /// the message points there.
    pub storage: bool,
    /// Where the file can be downloaded, when it is not stored.
    pub url: Option<String>,
    /// How long the store keeps it: 1, 7, 30 or 90 days (others are refused).
    pub ttl_days: Option<u32>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("bytes", &self.bytes.len())
            .field("content_type", &self.content_type)
            .field("storage", &self.storage)
            .field("url", &self.url)
            .field("ttl_days", &self.ttl_days)
            .finish()
    }
}

impl Upload {
    /// Bytes with a file name, stored.
    pub fn new(bytes: impl Into<Vec<u8>>, file_name: impl Into<String>) -> Upload {
        Upload {
            bytes: bytes.into(),
            file_name: file_name.into(),
            content_type: None,
            storage: true,
            url: None,
            ttl_days: None,
        }
    }

    /// A file read from disk (its name is the path's last part).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Upload> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| Error::InvalidArgument(format!("cannot read {}: {e}", path.display())))?;
        let name = path.file_name().map_or_else(super::default_file_name, |n| n.to_string_lossy().into_owned());
        Ok(Upload::new(bytes, name))
    }

    /// Sets the MIME type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Upload {
        self.content_type = Some(content_type.into());
        self
    }

    /// Not stored: the message points at `url`.
    pub fn without_storage(mut self, url: impl Into<String>) -> Upload {
        self.storage = false;
        self.url = Some(url.into());
        self
    }

    /// How long the store keeps it.
    pub fn ttl_days(mut self, days: u32) -> Upload {
        self.ttl_days = Some(days);
        self
    }

    /// Refuses an upload that cannot work.
    pub(crate) fn check(&self) -> Result<()> {
        if self.file_name.trim().is_empty() {
            return Err(Error::InvalidArgument("the file needs a name".into()));
        }
        if !self.storage && self.url.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Err(Error::InvalidArgument("a file that is not stored needs a url".into()));
        }
        if let Some(days) = self.ttl_days.filter(|d| !crate::TIME_TO_LIVE_DAYS.contains(d)) {
            return Err(Error::InvalidArgument(format!("ttl_days must be 1, 7, 30 or 90 days, not {days}")));
        }
        Ok(())
    }

    fn mime(&self) -> String {
        if let Some(t) = &self.content_type {
            return t.clone();
        }
        let ext = self.file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "txt" | "log" => "text/plain",
            "md" => "text/markdown",
            "csv" => "text/csv",
            "json" => "application/json",
            "html" | "htm" => "text/html",
            "xml" => "application/xml",
            "pdf" => "application/pdf",
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "webp" => "image/webp",
            "doc" => "application/msword",
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _ => "application/octet-stream",
        }
        .to_owned()
    }
}

/// Several uploads, one policy (the same for every front end): every upload is checked before
/// any starts (a bad one fails the call with `invalid_argument` naming its position, and
/// nothing is uploaded); then all run at once, each to its end; the result lists the file
/// objects in the uploads' order, or, when any failed, is the error of the first that failed in
/// that order (the others that succeeded stay stored: an upload cannot be undone).
pub(crate) fn upload_all(uploads: Vec<Upload>, start: impl Fn(Upload) -> Pending<FileRef>) -> Pending<Vec<FileRef>> {
    let n = uploads.len();
    for (i, u) in uploads.iter().enumerate() {
        if let Err(e) = u.check() {
            return Pending::failed(super::upload_options::of_file(i, n, Some(&u.file_name), e));
        }
    }
    let each: Vec<Pending<FileRef>> = uploads.into_iter().map(start).collect();
    Pending::new(async move { futures_util::future::join_all(each).await.into_iter().collect() })
}

/// The error a `{success: false, error}` answer names (without the key it may quote).
fn answer_error(http: &Http, v: &Value, what: &str) -> Option<Error> {
    (v.get("success").and_then(Value::as_bool) == Some(false)).then(|| {
        let why = v.get("error").and_then(Value::as_str).unwrap_or("the service said no");
        Error::Http(http.redact(&format!("{what}: {why}")))
    })
}

/// Uploads a file; `path` is `<apiKey>/<conversationId>` when both are known.
pub(crate) async fn upload(http: &Http, mut upload: Upload, path: Option<String>) -> Result<FileRef> {
    upload.check()?;
    let url = format!("{}/api/file-to-text", http.config().files_base());
    let mime = upload.mime();
    let part = Part::bytes(std::mem::take(&mut upload.bytes))
        .file_name(upload.file_name.clone())
        .mime_str(&mime)
        .map_err(|e| Error::InvalidArgument(format!("content type {mime:?}: {e}")))?;
    let mut form = Form::new()
        .part("file", part)
        .text("includeMetadata", "true")
        .text("storage", if upload.storage { "true" } else { "false" });
    if let Some(p) = path {
        form = form.text("path", p);
    }
    if let Some(d) = upload.ttl_days {
        form = form.text("ttlDays", d.to_string());
    }
    // The service takes no API key.
    let resp = http.plain(Method::POST, &url)?.multipart(form).send().await.map_err(|e| http.fail("upload", e))?;
    let v = http.json("upload", resp).await?;
    if let Some(e) = answer_error(http, &v, "upload") {
        return Err(e);
    }
    let text = v.get("text").and_then(Value::as_str).unwrap_or_default();
    let storage = upload.storage.then(|| FileStorage {
        file_key: v.get("fileKey").and_then(Value::as_str).unwrap_or_default().to_owned(),
        presigned_url: v.get("presignedUrl").and_then(Value::as_str).map(str::to_owned),
        expires_in: v.get("expiresIn").and_then(Value::as_i64),
        file_size: v.get("fileSize").and_then(Value::as_u64),
        processing_time: v.get("processingTime").cloned(),
    });
    if storage.as_ref().is_some_and(|s| s.file_key.is_empty()) {
        return Err(Error::Http("upload: the answer names no fileKey".into()));
    }
    Ok(FileRef {
        url: if upload.storage { String::new() } else { upload.url.clone().unwrap_or_default() },
        mime_type: Some(mime),
        filename: Some(upload.file_name.clone()),
        storage,
        text_content: Some(json!({
            "type": "file_content",
            "text": text,
            "metadata": {"source": "file_attachment", "originalFileName": upload.file_name, "storageType": "direct"},
        })),
        extra: Default::default(),
    })
}

/// A new presigned link to a stored file, valid for `expires_in`.
pub(crate) async fn presigned_url(http: &Http, file_key: &str, expires_in: Duration) -> Result<String> {
    if file_key.trim().is_empty() {
        return Err(Error::InvalidArgument("the file key must not be empty".into()));
    }
    let url = format!("{}/api/presigned-url", http.config().files_base());
    let body = json!({"fileKey": file_key, "expiresIn": expires_in.as_secs()});
    let resp = http
        .plain(Method::POST, &url)?
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| http.fail("presigned URL", e))?;
    let v = http.json("presigned URL", resp).await?;
    if let Some(e) = answer_error(http, &v, "presigned URL") {
        return Err(e);
    }
    v.get("presignedUrl")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Http("presigned URL: the answer has no presignedUrl".into()))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures_util::FutureExt;
    use tokio::sync::oneshot;

    use super::*;

    fn named(name: &str) -> FileRef {
        FileRef { filename: Some(name.into()), ..FileRef::default() }
    }

    #[test]
    fn several_uploads_wait_for_all_and_fail_with_the_first_failure_in_order() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (release_b, b_waits) = oneshot::channel::<()>();
        let b_waits = Mutex::new(Some(b_waits));
        let started = Mutex::new(Vec::new());
        let start = |u: Upload| -> Pending<FileRef> {
            started.lock().unwrap().push(u.file_name.clone());
            match u.file_name.as_str() {
                // b fails last, c at once: the call reports b's error, the first in order.
                "b" => {
                    let wait = b_waits.lock().unwrap().take().unwrap();
                    Pending::new(async move {
                        let _ = wait.await;
                        Err(Error::Http("b failed".into()))
                    })
                }
                "c" => Pending::failed(Error::Http("c failed".into())),
                name => Pending::ready(Ok(named(name))),
            }
        };
        let uploads = ["a", "b", "c", "d"].map(|n| Upload::new(vec![1], n)).to_vec();
        let mut all = upload_all(uploads, start);
        assert!((&mut all).now_or_never().is_none(), "still waiting for b although c failed");
        assert_eq!(*started.lock().unwrap(), ["a", "b", "c", "d"], "all started at once");
        release_b.send(()).unwrap();
        let err = rt.block_on(all).unwrap_err();
        assert_eq!(err.to_string(), Error::Http("b failed".into()).to_string());

        let ok = upload_all(vec![Upload::new(vec![1], "x"), Upload::new(vec![2], "y")], |u| {
            Pending::ready(Ok(named(&u.file_name)))
        });
        let files = rt.block_on(ok).unwrap();
        assert_eq!(files.iter().map(|f| f.filename.as_deref().unwrap()).collect::<Vec<_>>(), ["x", "y"]);
    }

    #[test]
    fn a_bad_upload_among_several_uploads_nothing() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let uploads = vec![Upload::new(vec![1], "a"), Upload { storage: false, ..Upload::new(vec![1], "b.txt") }];
        let all = upload_all(uploads, |_| panic!("nothing starts"));
        let err = rt.block_on(all).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("file 2 of 2 (b.txt): a file that is not stored needs a url"), "{err}");
        let ttl = upload_all(vec![Upload::new(vec![1], "a").ttl_days(3)], |_| panic!("nothing starts"));
        assert!(rt.block_on(ttl).unwrap_err().to_string().contains("ttl_days must be 1, 7, 30 or 90 days, not 3"));
    }
}
