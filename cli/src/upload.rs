//! `/upload PATH`: a local file, sent in a message.
//!
//! The library cannot upload files yet. When it can, [`message_for`] uploads the file (given the
//! conversation) and returns a message carrying the resulting file reference
//! (`OutgoingMessage::files(vec![file])`); the chat sends it like any other message.

use std::path::Path;

use captivate::OutgoingMessage;

/// The message that carries the file at `path`. Fails for a file that cannot be read, and, in
/// this version, for every file: uploading is not available yet.
pub(crate) fn message_for(path: &Path) -> Result<OutgoingMessage, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    Err("file upload is not available yet: this version of the library cannot upload files \
         (to share one now, send a link to it as a message)"
        .to_owned())
}
