//! `captivate_event`: what an event callback receives.

use std::ffi::{CString, c_char};

use captivate::Event;

use crate::result::guard_or;

/// An event, valid only during the callback that receives it; read it with the accessors.
///
/// Methods: captivate_event_kind, captivate_event_conversation_id, captivate_event_text,
/// captivate_event_json.
pub struct captivate_event {
    kind: CString,
    conversation_id: Option<CString>,
    text: Option<CString>,
    json: CString,
}

fn c(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

impl captivate_event {
    pub(crate) fn new(e: &Event) -> captivate_event {
        captivate_event {
            kind: c(e.kind()),
            conversation_id: e.conversation_id().map(c),
            text: e.text().as_deref().map(c),
            json: c(&e.to_json().to_string()),
        }
    }
}

fn read<'a>(event: *const captivate_event) -> Option<&'a captivate_event> {
    // SAFETY: the header requires a pointer received by an event callback, used during that
    // call; NULL is checked.
    unsafe { event.as_ref() }
}

/// The event's kind: `bot_message`, `livechat_message`, `action`, `conversation_update`,
/// `error` (a hub error), `state` (a connection state change), `discontinuity` (reconnected:
/// events may be missing; fetch the transcript), `malformed` (an undecodable frame),
/// `unknown` (an event type this library does not know, with its payload), `lagged`, or the
/// kind of a reply nobody waited for (`metadata`, `transcript`, ...). `""` for NULL.
/// Valid as long as the event.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_kind(event: *const captivate_event) -> *const c_char {
    guard_or(c"".as_ptr(), || read(event).map(|e| e.kind.as_ptr()))
}

/// The conversation the event is about, or NULL. Valid as long as the event.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_conversation_id(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || read(event).and_then(|e| e.conversation_id.as_ref()).map(|s| s.as_ptr()))
}

/// The text of a bot or live-chat message (its text items joined with newlines), or NULL.
/// Valid as long as the event.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_text(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || read(event).and_then(|e| e.text.as_ref()).map(|s| s.as_ptr()))
}

/// The whole event as JSON: `kind`, the typed fields of that kind (message `content` items,
/// `actions`, `update`, error `code` and `description`, state `previous` / `current` /
/// `reason`, ...), and for hub events `event_type`, `event_id`, `conversation_id` and `raw`
/// (the frame as received). `""` for NULL. Valid as long as the event.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_json(event: *const captivate_event) -> *const c_char {
    guard_or(c"".as_ptr(), || read(event).map(|e| e.json.as_ptr()))
}
