//! [`RawFrame`]: a hub frame (or a transcript entry) exactly as received, parsed into JSON only
//! when someone reads it.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

/// The whole frame as received from the hub (for a [`TranscriptEntry`](super::TranscriptEntry),
/// the entry as received). It keeps the frame's text and parses it into a
/// JSON [`Value`] the first time it is read (it dereferences to that value), so that events
/// nobody inspects raw cost no JSON tree. Cheap to clone: clones share the text, and the JSON
/// tree once parsed. The entries of a transcript share their frame's text.
#[derive(Clone)]
pub struct RawFrame {
    /// The text as received (one allocation per frame); none for a frame built as JSON.
    text: Option<Arc<str>>,
    /// Where in `text` this frame is (all of it, or one entry of a transcript).
    span: Range<usize>,
    value: OnceLock<Arc<Value>>,
}

impl RawFrame {
    /// A frame kept as its text (which must be JSON; anything else reads as `null`).
    pub fn from_text(text: &str) -> RawFrame {
        RawFrame::shared(text.into(), 0..text.len())
    }

    /// The part `span` of a text kept for several frames (a transcript's entries share the
    /// text of the frame that brought them).
    pub(crate) fn shared(text: Arc<str>, span: Range<usize>) -> RawFrame {
        RawFrame { text: Some(text), span, value: OnceLock::new() }
    }

    /// A frame received as `text` and parsed already into `value`: both are kept.
    pub(crate) fn parsed(text: &str, value: Value) -> RawFrame {
        RawFrame { text: Some(text.into()), span: 0..text.len(), value: OnceLock::from(Arc::new(value)) }
    }

    /// A frame given as JSON (a frame the library built, such as a recovered message).
    pub fn from_value(value: Value) -> RawFrame {
        RawFrame { text: None, span: 0..0, value: OnceLock::from(Arc::new(value)) }
    }

    /// This frame's own text, when it was kept as text.
    fn own_text(&self) -> Option<&str> {
        self.text.as_deref().map(|t| t.get(self.span.clone()).unwrap_or_default())
    }

    /// The frame as JSON, parsed on first use.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| Arc::new(self.own_text().and_then(|t| super::parse_json(t).ok()).unwrap_or_default()))
    }

    /// The frame's text as received (for a frame built by the library, its JSON text).
    pub fn text(&self) -> Cow<'_, str> {
        match self.own_text() {
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
        match (self.own_text(), other.own_text()) {
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
