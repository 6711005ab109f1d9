//! Wire format of the Captivate Chat Socket API: typed frames for every emit and every receive.
//!
//! Decoding is lenient where the live service is known to vary (see the crate docs); anything
//! unknown is kept as raw JSON so that nothing the hub sends is lost. Encoding produces exactly
//! the frames of the published reference and the official client.

pub mod content;
pub mod inbound;
mod numbers;
pub mod outbound;
mod raw;
mod scan;
mod text_frame;
pub mod transcript;

pub use content::{ButtonOption, Buttons, ContentItem, FileRef, FileStorage};
pub use inbound::{
    Action, ConversationList, ConversationSummary, ConversationUpdate, DecodeError, ErrorCode, HubError, HubEvent,
    Inbound, MessageBody, Pagination, UpdateKind, decode,
};
pub(crate) use numbers::parse as parse_json;
pub use outbound::{DeleteMode, Dialect, ListOptions, MetadataTarget, OutgoingMessage, StartMode, StartOptions};
pub use raw::RawFrame;
pub use transcript::{Sender, Transcript, TranscriptEntry};

use serde_json::{Map, Value};

/// Reads a string field, accepting numbers too (the hub is not always consistent); `None` when
/// absent, null or empty.
pub(crate) fn str_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a field as an object, or an empty object when it is absent or not an object.
pub(crate) fn obj_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    obj.get(key).and_then(Value::as_object)
}
