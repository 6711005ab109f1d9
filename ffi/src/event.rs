//! `captivate_event`: what an event callback receives. The accessors read the typed event and
//! build a C string only when one is asked for (once per event and accessor), so an event
//! costs what the callback reads of it.

use std::ffi::{CStr, CString, c_char};
use std::sync::OnceLock;

use captivate::{ContentItem, Event, HubEvent, Inbound, Routed, UpdateKind};

use crate::result::guard_or;
use crate::strings::to_c;

/// An event, valid only during the callback that receives it; read it with the accessors
/// (captivate_event_kind, captivate_event_conversation_id, captivate_event_text,
/// captivate_event_type, captivate_event_id, captivate_event_state_name,
/// captivate_event_update, captivate_event_buttons_count, captivate_event_button_label,
/// captivate_event_button_value, captivate_event_raw, captivate_event_json). The strings they
/// return are valid as long as the event; do not free them.
pub struct captivate_event {
    routed: Routed,
    kind: OnceLock<CString>,
    conversation_id: OnceLock<Option<CString>>,
    text: OnceLock<Option<CString>>,
    event_type: OnceLock<Option<CString>>,
    event_id: OnceLock<Option<CString>>,
    buttons: OnceLock<Vec<(CString, CString)>>,
    raw: OnceLock<Option<CString>>,
    json: OnceLock<CString>,
}

impl captivate_event {
    pub(crate) fn new(routed: Routed) -> captivate_event {
        captivate_event {
            routed,
            kind: OnceLock::new(),
            conversation_id: OnceLock::new(),
            text: OnceLock::new(),
            event_type: OnceLock::new(),
            event_id: OnceLock::new(),
            buttons: OnceLock::new(),
            raw: OnceLock::new(),
            json: OnceLock::new(),
        }
    }

    fn event(&self) -> &Event {
        &self.routed.event
    }

    fn hub(&self) -> Option<&Inbound> {
        self.event().hub()
    }

    fn buttons(&self) -> &[(CString, CString)] {
        self.buttons.get_or_init(|| {
            let content = match self.hub().map(|h| &h.body) {
                Some(HubEvent::BotMessage(m) | HubEvent::LivechatMessage(m)) => &m.content[..],
                _ => &[],
            };
            content
                .iter()
                .filter_map(|item| match item {
                    ContentItem::Buttons(b) => Some(b.options.iter()),
                    _ => None,
                })
                .flatten()
                .map(|o| (to_c(&*o.label), to_c(&*o.value)))
                .collect()
        })
    }
}

/// The static C string of a name from a known, finite set; `None` for another one.
fn known(name: &str) -> Option<&'static CStr> {
    Some(match name {
        "bot_message" => c"bot_message",
        "livechat_message" => c"livechat_message",
        "action" => c"action",
        "conversation_update" => c"conversation_update",
        "error" => c"error",
        "state" => c"state",
        "discontinuity" => c"discontinuity",
        "malformed" => c"malformed",
        "delivery" => c"delivery",
        "lagged" => c"lagged",
        "unknown" => c"unknown",
        "socket_connected" => c"socket_connected",
        "conversation_started" => c"conversation_started",
        "metadata_updated" => c"metadata_updated",
        "metadata" => c"metadata",
        "transcript" => c"transcript",
        "message_edited" => c"message_edited",
        "conversation_deleted" => c"conversation_deleted",
        "user_conversations" => c"user_conversations",
        "initialized" => c"initialized",
        "connecting" => c"connecting",
        "connected" => c"connected",
        "disconnected" => c"disconnected",
        "suspended" => c"suspended",
        "closing" => c"closing",
        "closed" => c"closed",
        "failed" => c"failed",
        _ => return None,
    })
}

fn read<'a>(event: *const captivate_event) -> Option<&'a captivate_event> {
    // SAFETY: the header requires a pointer received by an event callback, used during that
    // call; NULL is checked.
    unsafe { event.as_ref() }
}

fn ptr(s: &Option<CString>) -> Option<*const c_char> {
    s.as_ref().map(|s| s.as_ptr())
}

/// The event's kind: `bot_message`, `livechat_message`, `action`, `conversation_update`,
/// `error` (a hub error), `state` (a connection state change), `discontinuity` (reconnected:
/// events may be missing; fetch the transcript), `malformed` (an undecodable frame),
/// `delivery` (the late outcome of a message not confirmed in time), `unknown` (an event type
/// this library does not know, with its payload; see captivate_event_type), `lagged`, or the
/// kind of a reply nobody waited for (`metadata`, `transcript`, ...). `""` for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_kind(event: *const captivate_event) -> *const c_char {
    guard_or(c"".as_ptr(), || {
        let e = read(event)?;
        let kind = e.event().kind();
        Some(known(kind).map_or_else(|| e.kind.get_or_init(|| to_c(kind)).as_ptr(), CStr::as_ptr))
    })
}

/// The conversation the event belongs to: the one it names, or, for an event that names none
/// while exactly one conversation is open on the client, that one. NULL for the client's own
/// events (state changes, events naming no conversation).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_conversation_id(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || {
        let e = read(event)?;
        let id = e
            .conversation_id
            .get_or_init(|| e.event().conversation_id().or(e.routed.conversation_id.as_deref()).map(to_c));
        ptr(id)
    })
}

/// The text of a bot or live-chat message (its text items joined with newlines), or NULL.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_text(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || {
        let e = read(event)?;
        ptr(e.text.get_or_init(|| e.event().text().map(to_c)))
    })
}

/// The hub's event type as it sent it (`bot_message`, `conversation_update`, or an event type
/// this library does not know), or NULL for an event that does not come from the hub (a state
/// change, a discontinuity, ...).
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_type(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || {
        let e = read(event)?;
        ptr(e.event_type.get_or_init(|| e.hub().map(|h| to_c(&h.event_type))))
    })
}

/// The hub's id of the event, or NULL when it sent none.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_id(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || {
        let e = read(event)?;
        ptr(e.event_id.get_or_init(|| e.hub().and_then(|h| h.event_id.as_deref()).map(to_c)))
    })
}

/// For a `state` event, the new state: `connecting`, `connected`, `disconnected`, `suspended`,
/// `closing`, `closed`, `failed` (the names of captivate_state); NULL for other events.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_state_name(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || match read(event)?.event() {
        Event::State(c) => known(c.current.name()).map(CStr::as_ptr),
        _ => None,
    })
}

/// For a `conversation_update` event, what happened: `agent_connected`, `agent_disconnected`,
/// `failed_agent_assignment`, or `other` (the hub's own name is in the JSON's `update_type`);
/// NULL for other events.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_update(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || match &read(event)?.hub()?.body {
        HubEvent::ConversationUpdate(u) => Some(
            match u.kind {
                UpdateKind::AgentConnected => c"agent_connected",
                UpdateKind::AgentDisconnected => c"agent_disconnected",
                UpdateKind::FailedAgentAssignment => c"failed_agent_assignment",
                _ => c"other",
            }
            .as_ptr(),
        ),
        _ => None,
    })
}

/// The number of buttons a bot or live-chat message offers (over all its button items, in
/// order); 0 for other events and NULL.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_buttons_count(event: *const captivate_event) -> usize {
    guard_or(0, || Some(read(event)?.buttons().len()))
}

/// What button `index` (from 0) shows, or NULL when there is no such button.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_button_label(event: *const captivate_event, index: usize) -> *const c_char {
    guard_or(std::ptr::null(), || read(event)?.buttons().get(index).map(|(label, _)| label.as_ptr()))
}

/// What to send as the user's message when button `index` is chosen, or NULL when there is no
/// such button.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_button_value(event: *const captivate_event, index: usize) -> *const c_char {
    guard_or(std::ptr::null(), || read(event)?.buttons().get(index).map(|(_, value)| value.as_ptr()))
}

/// The frame exactly as the hub sent it (JSON text), or NULL for an event that does not come
/// from the hub.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_raw(event: *const captivate_event) -> *const c_char {
    guard_or(std::ptr::null(), || {
        let e = read(event)?;
        ptr(e.raw.get_or_init(|| e.hub().map(|h| to_c(&*h.raw.text()))))
    })
}

/// The whole event as JSON: `kind`, the typed fields of that kind (message `content` items,
/// `actions`, `update`, error `code` and `description`, state `previous` / `current` /
/// `reason`, ...), and for hub events `event_type`, `event_id`, `conversation_id` and `raw`
/// (the frame as received). `""` for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn captivate_event_json(event: *const captivate_event) -> *const c_char {
    guard_or(c"".as_ptr(), || {
        let e = read(event)?;
        Some(e.json.get_or_init(|| to_c(e.event().to_json().to_string())).as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use captivate::{ConnectionState, StateChange};

    fn state(current: ConnectionState) -> captivate_event {
        let change =
            StateChange { previous: ConnectionState::Connecting { attempt: 1 }, current, reason: None, queued: 0 };
        captivate_event::new(Routed { event: Event::State(change), conversation_id: None, to_client: true })
    }

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: the accessors return NULL or a string valid as long as the event.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    #[test]
    fn every_kind_and_state_name_has_a_static_string() {
        for s in [
            ConnectionState::Initialized,
            ConnectionState::Connected { socket_id: "s".into() },
            ConnectionState::Disconnected { attempt: 1, retry_in: std::time::Duration::ZERO },
            ConnectionState::Suspended { retry_in: std::time::Duration::ZERO },
            ConnectionState::Closing,
            ConnectionState::Closed,
            ConnectionState::Failed,
        ] {
            assert!(known(s.name()).is_some(), "{}", s.name());
            let e = state(s.clone());
            assert_eq!(text(captivate_event_state_name(&e)).as_deref(), Some(s.name()));
            assert_eq!(text(captivate_event_kind(&e)).as_deref(), Some("state"));
            assert_eq!(text(captivate_event_type(&e)), None);
            assert_eq!(text(captivate_event_raw(&e)), None);
            assert!(text(captivate_event_json(&e)).unwrap().contains("\"kind\":\"state\""));
        }
        for kind in ["discontinuity", "malformed", "delivery", "lagged"] {
            assert!(known(kind).is_some());
        }
    }

    #[test]
    fn a_message_reads_its_buttons_and_names_its_conversation() {
        let frame = r#"{"action":"receiveMessage","event":{"event_type":"bot_message","event_id":"e1","event_payload":{"conversation_id":"c1","type":"message_create","content":[{"type":"text","text":"Pick one"},{"type":"buttons","buttons":{"title":"?","options":[{"label":"Yes","value":"y"},{"label":"No","value":"n"}]}}]}}}"#;
        let inbound = captivate::protocol::decode(frame).expect("decodes");
        let e = captivate_event::new(Routed { event: Event::Hub(inbound), conversation_id: None, to_client: true });
        assert_eq!(text(captivate_event_kind(&e)).as_deref(), Some("bot_message"));
        assert_eq!(text(captivate_event_type(&e)).as_deref(), Some("bot_message"));
        assert_eq!(text(captivate_event_id(&e)).as_deref(), Some("e1"));
        assert_eq!(text(captivate_event_conversation_id(&e)).as_deref(), Some("c1"));
        assert_eq!(text(captivate_event_text(&e)).as_deref(), Some("Pick one"));
        assert_eq!(captivate_event_buttons_count(&e), 2);
        assert_eq!(text(captivate_event_button_label(&e, 1)).as_deref(), Some("No"));
        assert_eq!(text(captivate_event_button_value(&e, 0)).as_deref(), Some("y"));
        assert_eq!(text(captivate_event_button_label(&e, 2)), None);
        assert_eq!(text(captivate_event_raw(&e)).as_deref(), Some(frame));
        assert_eq!(text(captivate_event_state_name(&e)), None);
        let json: serde_json::Value = serde_json::from_str(&text(captivate_event_json(&e)).unwrap()).unwrap();
        assert_eq!(json["raw"]["event"]["event_id"], "e1");
    }
}
