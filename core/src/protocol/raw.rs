//! [`RawFrame`]: a hub frame (or a transcript entry) exactly as received, parsed into JSON only
//! when someone reads it.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

/// The whole frame as received from the hub (for a [`TranscriptEntry`](super::TranscriptEntry),
/// the entry as received). It keeps the frame's text and parses it into a
/// JSON [`Value`] the first time it is read (it dereferences to that value), so that events
/// nobody inspects raw cost no JSON tree. Cheap to clone: clones share the text, and the JSON
/// tree once parsed.
#[derive(Clone)]
pub struct RawFrame {
    /// The text as received (one allocation per frame); none for a frame built as JSON.
    text: Option<Arc<str>>,
    value: OnceLock<Arc<Value>>,
}

impl RawFrame {
    /// A frame kept as its text (which must be JSON; anything else reads as `null`).
    pub fn from_text(text: &str) -> RawFrame {
        RawFrame { text: Some(text.into()), value: OnceLock::new() }
    }

    /// A frame given as JSON (a frame the library built, such as a recovered message).
    pub fn from_value(value: Value) -> RawFrame {
        RawFrame { text: None, value: OnceLock::from(Arc::new(value)) }
    }

    /// The frame as JSON, parsed on first use.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| {
            Arc::new(self.text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default())
        })
    }

    /// The frame's text as received (for a frame built by the library, its JSON text).
    pub fn text(&self) -> Cow<'_, str> {
        match &self.text {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(self.value().to_string()),
        }
    }
}

impl Deref for RawFrame {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl From<Value> for RawFrame {
    fn from(value: Value) -> Self {
        RawFrame::from_value(value)
    }
}

impl PartialEq for RawFrame {
    fn eq(&self, other: &Self) -> bool {
        match (&self.text, &other.text) {
            (Some(a), Some(b)) if a == b => true,
            _ => self.value() == other.value(),
        }
    }
}

/// Serializes as the JSON value (parsed first if it was not yet).
impl serde::Serialize for RawFrame {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl fmt::Debug for RawFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}
