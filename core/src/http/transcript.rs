//! The transcript over REST, and the refresh of file links about to expire.

use reqwest::Method;
use serde_json::Value;

use super::{Http, LINK_LIFETIME, presigned_url, unix_now};
use crate::error::{Error, Result};
use crate::protocol::{FileRef, OutgoingMessage, RawFrame, Transcript, TranscriptEntry};

/// How close to expiry a link is refreshed, in seconds (as the official client).
const REFRESH_BEFORE: i64 = 300;

/// `GET {http base}/api/transcript?conversation_id=…` with the key.
pub(crate) async fn rest_transcript(http: &Http, conversation_id: &str) -> Result<Transcript> {
    let mut url = reqwest::Url::parse(&format!("{}/api/transcript", http.config().http_base()))
        .map_err(|e| Error::Http(format!("invalid HTTP base: {e}")))?;
    url.query_pairs_mut().append_pair("conversation_id", conversation_id);
    let resp = http.keyed(Method::GET, url.as_str(), |r| r).await?;
    let v = http.json("transcript", resp).await?;
    match v {
        Value::Object(o) => Ok(Transcript::from_payload(&o)),
        Value::Array(_) => Ok(Transcript::from_entries(Some(&v))),
        _ => Err(Error::Protocol("the transcript answer is not JSON".into())),
    }
}

/// The text of an entry to push back with its refreshed files, as the official client takes
/// it: the entry's `content.text` (a user's message as sent: `{text, files}`), else its
/// `text`, else its text items.
fn text_of(entry: &TranscriptEntry) -> Option<String> {
    let raw = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    raw(entry.raw.get("content").and_then(|c| c.get("text")))
        .or_else(|| raw(entry.raw.get("text")))
        .or_else(|| entry.text())
}

/// Refreshes the links of stored files about to expire (less than 5 minutes left): a new
/// presigned URL for two hours, in the entry's typed files and raw JSON. Returns, for each
/// entry changed, its message id and the message to push back with `edit_message` (its text
/// and refreshed files). A file whose refresh fails keeps its old link.
pub(crate) async fn refresh_links(http: &Http, transcript: &mut Transcript) -> Vec<(String, OutgoingMessage)> {
    let deadline = unix_now() + REFRESH_BEFORE;
    let mut edits = Vec::new();
    for entry in &mut transcript.entries {
        let mut changed = false;
        for file in &mut entry.files {
            let Some(storage) = &mut file.storage else { continue };
            if storage.file_key.is_empty() || storage.expires_in.is_some_and(|e| e >= deadline) {
                continue;
            }
            match presigned_url(http, &storage.file_key, LINK_LIFETIME).await {
                Ok(url) => {
                    storage.presigned_url = Some(url);
                    storage.expires_in = Some(unix_now() + LINK_LIFETIME.as_secs() as i64);
                    changed = true;
                }
                Err(e) => tracing::info!(error = %e, "a file link could not be refreshed; the old one is kept"),
            }
        }
        if !changed {
            continue;
        }
        let mut raw = entry.raw.value().clone();
        if let Some(o) = raw.as_object_mut() {
            o.insert("files".into(), Value::Array(entry.files.iter().map(FileRef::to_json).collect()));
            entry.raw = RawFrame::from_value(raw);
        }
        match &entry.message_id {
            Some(id) => edits.push((id.clone(), OutgoingMessage { text: text_of(entry), files: entry.files.clone() })),
            None => tracing::info!("a refreshed entry names no message id; not pushed back"),
        }
    }
    edits
}
