//! `/upload PATH`: a local file, uploaded through the file-to-text service (filed under the
//! conversation) and sent in a message.

use std::path::Path;

use captivate::{FileRef, Upload};

/// The file at `path`, ready to upload; fails for a path that is not a readable file.
pub(crate) fn read(path: &Path) -> Result<Upload, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    Upload::from_path(path).map_err(|e| e.to_string())
}

/// What the chat says once an uploaded file is sent.
pub(crate) fn sent_line(file: &FileRef) -> String {
    let name = file.filename.as_deref().unwrap_or("the file");
    let text = file.text_content.as_ref().and_then(|t| t["text"].as_str()).unwrap_or("");
    match file.link() {
        Some(link) => format!("sent {name} ({} characters of text extracted): {link}", text.chars().count()),
        None => format!("sent {name} ({} characters of text extracted)", text.chars().count()),
    }
}
