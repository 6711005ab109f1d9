//! Frames the hub sends: lenient decoding into typed events that keep their raw JSON.

use serde_json::{Map, Value};

use super::content::ContentItem;
use super::raw::RawFrame;
use super::transcript::Transcript;
use super::{obj_field, str_field};

/// A frame received from the hub, decoded.
///
/// `raw` is the whole frame exactly as received, so that nothing is lost even when the typed
/// view ([`HubEvent`]) does not know a field.
#[derive(Clone, Debug, PartialEq)]
pub struct Inbound {
    /// The event type. For a `general_error` nested in a `conversation_update` this is
    /// `general_error` (the outer frame stays in `raw`).
    pub event_type: String,
    /// The hub's id of this event, when it sent one.
    pub event_id: Option<String>,
    /// The conversation this event is about, when it names one (an empty id counts as none).
    pub conversation_id: Option<String>,
    /// The typed view of the event.
    pub body: HubEvent,
    /// The whole frame as received (parsed into JSON when first read).
    pub raw: RawFrame,
}

/// The typed view of a hub event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum HubEvent {
    /// `socket_connected`: the session is ready.
    SocketConnected {
        /// The hub's id for this socket.
        socket_id: String,
    },
    /// `conversation_start_success`.
    ConversationStarted,
    /// `bot_message`: a message from the chat flow.
    BotMessage(MessageBody),
    /// `livechat_message`: a message from a live agent (Slack, Teams, Freshdesk, ...).
    LivechatMessage(MessageBody),
    /// `action`: one or more outgoing actions from the flow.
    Action(Vec<Action>),
    /// `conversation_update`: agent connected, disconnected, failed assignment, ...
    ConversationUpdate(ConversationUpdate),
    /// `general_error`, on its own or nested in a `conversation_update`.
    Error(HubError),
    /// `metadata_update_success`.
    MetadataUpdated,
    /// `conversation_metadata`: the conversation's metadata.
    Metadata {
        /// The metadata object (private metadata under the key `private`).
        metadata: Value,
    },
    /// `conversation_transcript`.
    Transcript(Transcript),
    /// `message_edited_success`.
    MessageEdited {
        /// The edited message's id.
        message_id: Option<String>,
    },
    /// `delete_conversation_success`.
    ConversationDeleted {
        /// The user whose conversations were deleted, when the hub says.
        user_id: Option<String>,
    },
    /// `user_conversations`: a page of a user's conversations.
    UserConversations(ConversationList),
    /// An event type this library does not know; see [`Inbound::event_type`] and `payload`.
    Unknown {
        /// The event's payload.
        payload: Value,
    },
}

/// The body of a bot or live-chat message.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MessageBody {
    /// The hub's message id (`ch_msg_id`), when given.
    pub message_id: Option<String>,
    /// The content items, in order.
    pub content: Vec<ContentItem>,
    /// True when this message arrived as a 413 `message_link` and was fetched over HTTP.
    pub fetched_from_link: bool,
    /// True when this message was missed while the connection was down and recovered from
    /// the conversation's transcript after the reconnect (see [`crate::Timings::catch_up`]).
    pub recovered: bool,
}

impl MessageBody {
    /// The text items joined with newlines, if there is any.
    pub fn text(&self) -> Option<String> {
        super::content::joined_text(&self.content)
    }
}

/// An action sent by the flow (or by the client application).
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// The action's id (`id`, or `title` in some hub versions), e.g. `redirectToContactUs`.
    pub id: String,
    /// The action's type; `normal` unless the flow says otherwise.
    pub action_type: String,
    /// Supporting data (an object, `{}` when absent).
    pub data: Value,
}

impl Action {
    fn from_json(o: &Map<String, Value>) -> Option<Action> {
        let id = str_field(o, "id").or_else(|| str_field(o, "title")).or_else(|| str_field(o, "name"))?;
        Some(Action {
            id,
            action_type: str_field(o, "type").unwrap_or_else(|| "normal".to_owned()),
            data: o.get("data").cloned().unwrap_or_else(|| Value::Object(Map::new())),
        })
    }

    /// Decodes a list of actions from an `actions` array value.
    pub(crate) fn list_from_json(v: Option<&Value>) -> Vec<Action> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).filter_map(Action::from_json).collect())
            .unwrap_or_default()
    }
}

/// What a `conversation_update` is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateKind {
    /// `livechatAgentConnected`: `data` holds the agent's info.
    AgentConnected,
    /// `livechatAgentDisconnected`.
    AgentDisconnected,
    /// `failedAgentAssignment`: no agent could take the conversation.
    FailedAgentAssignment,
    /// Any other update type, as sent.
    Other(String),
}

impl UpdateKind {
    /// Maps the wire name to a kind.
    pub fn from_wire(s: &str) -> UpdateKind {
        match s {
            "livechatAgentConnected" => UpdateKind::AgentConnected,
            "livechatAgentDisconnected" => UpdateKind::AgentDisconnected,
            "failedAgentAssignment" => UpdateKind::FailedAgentAssignment,
            other => UpdateKind::Other(other.to_owned()),
        }
    }
}

/// A `conversation_update` event.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationUpdate {
    /// The update type as sent (`livechatAgentConnected`, ...).
    pub update_type: String,
    /// The update type, classified.
    pub kind: UpdateKind,
    /// Data relevant to the update (the agent's info for `livechatAgentConnected`).
    pub data: Value,
}

/// A hub error's code: a number, or (as some hub versions send) a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// A numeric code such as 400 or 413.
    Number(i64),
    /// A code sent as a non-numeric string.
    Text(String),
}

impl ErrorCode {
    /// The numeric value, also for numeric strings such as `"400"`.
    pub fn as_number(&self) -> Option<i64> {
        match self {
            ErrorCode::Number(n) => Some(*n),
            ErrorCode::Text(s) => s.trim().parse().ok(),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorCode::Number(n) => write!(f, "{n}"),
            ErrorCode::Text(s) => f.write_str(s),
        }
    }
}

/// A `general_error` from the hub.
#[derive(Clone, Debug, PartialEq)]
pub struct HubError {
    /// The error code (400 "Invalid conversation_id", 413 message too large, ...).
    pub code: Option<ErrorCode>,
    /// The hub's description.
    pub description: String,
    /// For 413 errors: where the oversize bot message can be fetched.
    pub message_link: Option<String>,
    /// True when the error came nested inside a `conversation_update`.
    pub nested: bool,
}

/// One page of a user's conversations.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ConversationList {
    /// The conversations.
    pub conversations: Vec<ConversationSummary>,
    /// Paging information, when the hub sent it.
    pub pagination: Option<Pagination>,
}

/// A conversation in a [`ConversationList`].
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationSummary {
    /// The conversation's id.
    pub conversation_id: String,
    /// Its metadata.
    pub metadata: Value,
    /// The API key it belongs to, when the hub says (lists over several keys).
    pub api_key: Option<String>,
    /// The hub's entry for it as sent (an object, or the bare id), fields this library does
    /// not read included.
    pub raw: Value,
}

/// Paging information of a [`ConversationList`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Pagination {
    /// Whether a next page exists.
    pub has_next_page: bool,
    /// Whether a previous page exists.
    pub has_prev_page: bool,
    /// This page's number (1-based).
    pub page: u64,
    /// Items per page.
    pub page_size: u64,
    /// Total number of items.
    pub total: u64,
    /// Total number of pages.
    pub total_pages: u64,
}

/// Why a frame could not be decoded at all. (A frame that is a valid envelope always decodes;
/// unknown types and fields become [`HubEvent::Unknown`] or stay in `raw`.)
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text is not JSON.
    #[error("frame is not valid JSON: {0}")]
    NotJson(String),
    /// The JSON is not an event envelope (`{"event": {"event_type": ...}}`).
    #[error("frame is not an event envelope: {0}")]
    NotAnEvent(&'static str),
}

fn num_field(o: &Map<String, Value>, key: &str) -> u64 {
    match o.get(key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

fn bool_field(o: &Map<String, Value>, key: &str) -> bool {
    match o.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

fn error_from(p: &Map<String, Value>, nested: bool) -> HubError {
    let code = match p.get("error_code").or_else(|| p.get("code")) {
        Some(Value::Number(n)) => n.as_i64().map(ErrorCode::Number),
        Some(Value::String(s)) => Some(match s.trim().parse() {
            Ok(n) => ErrorCode::Number(n),
            Err(_) => ErrorCode::Text(s.clone()),
        }),
        _ => None,
    };
    HubError {
        code,
        description: str_field(p, "error_desc")
            .or_else(|| str_field(p, "message"))
            .or_else(|| str_field(p, "error"))
            .unwrap_or_default(),
        message_link: str_field(p, "message_link"),
        nested,
    }
}

fn message_from(p: &Map<String, Value>) -> MessageBody {
    MessageBody {
        message_id: str_field(p, "ch_msg_id").or_else(|| str_field(p, "message_id")),
        content: ContentItem::list_from_json(p.get("content")),
        fetched_from_link: false,
        recovered: false,
    }
}

fn list_from(p: &Map<String, Value>) -> ConversationList {
    let conversations = p
        .get("conversations")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| match c {
                    Value::Object(o) => Some(ConversationSummary {
                        conversation_id: str_field(o, "conversation_id").or_else(|| str_field(o, "id"))?,
                        metadata: o.get("metadata").cloned().unwrap_or_else(|| Value::Object(Map::new())),
                        api_key: str_field(o, "apiKey"),
                        raw: c.clone(),
                    }),
                    Value::String(s) => Some(ConversationSummary {
                        conversation_id: s.clone(),
                        metadata: Value::Object(Map::new()),
                        api_key: None,
                        raw: c.clone(),
                    }),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let pagination = obj_field(p, "pagination").map(|o| Pagination {
        has_next_page: bool_field(o, "hasNextPage"),
        has_prev_page: bool_field(o, "hasPrevPage"),
        page: num_field(o, "page"),
        page_size: num_field(o, "pageSize"),
        total: num_field(o, "total"),
        total_pages: num_field(o, "totalPages"),
    });
    ConversationList { conversations, pagination }
}

/// Decodes the text of a WebSocket frame from the hub.
///
/// Bot and live-chat messages and transcripts in the usual shape are read straight into their
/// typed view, keeping the text as the raw frame (a transcript's entries each as their own
/// text); everything else goes through a JSON value first (the lenient path, which accepts every
/// known variation).
pub fn decode(text: &str) -> Result<Inbound, DecodeError> {
    if let Some(inbound) = quick::message(text).or_else(|| fast::event(text)) {
        return Ok(inbound);
    }
    let value = super::parse_json(text).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    // The raw frame keeps the text as received too (its bytes, keys in their order).
    decode_raw(RawFrame::parsed(text, value))
}

/// A transcript frame whose entries are not decoded yet (see [`peek_transcript`]).
pub(crate) struct TranscriptFrame<'a> {
    /// The frame's event id.
    pub(crate) event_id: Option<String>,
    /// The conversation it names.
    pub(crate) conversation_id: Option<String>,
    /// Its entries, as their JSON texts.
    pub(crate) entries: Vec<&'a serde_json::value::RawValue>,
}

/// Reads a `conversation_transcript` frame in its usual shape without decoding its entries, so
/// that a reader who needs only some of them decodes only those; `None` for any other frame
/// (and for shapes only [`decode`] reads).
pub(crate) fn peek_transcript(text: &str) -> Option<TranscriptFrame<'_>> {
    if !text.contains("conversation_transcript") {
        return None;
    }
    fast::transcript(text)
}

/// Decodes a frame already parsed as JSON.
pub fn decode_value(value: Value) -> Result<Inbound, DecodeError> {
    decode_raw(RawFrame::from_value(value))
}

/// Decodes a frame kept as [`RawFrame`] (parsed already).
fn decode_raw(raw: RawFrame) -> Result<Inbound, DecodeError> {
    let top = raw.as_object().ok_or(DecodeError::NotAnEvent("not a JSON object"))?;
    // `{"action": "receiveMessage", "event": {...}}`; tolerate a bare event object too.
    let event = match top.get("event") {
        Some(Value::Object(e)) => e,
        Some(_) => return Err(DecodeError::NotAnEvent("`event` is not an object")),
        None if top.contains_key("event_type") => top,
        None => return Err(DecodeError::NotAnEvent("no `event` object")),
    };
    let event_type = match event.get("event_type") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => return Err(DecodeError::NotAnEvent("no `event_type`")),
    };
    let empty = Map::new();
    let payload = obj_field(event, "event_payload").unwrap_or(&empty);
    let mut event_id = str_field(event, "event_id");
    let mut conversation_id = str_field(payload, "conversation_id");

    let (event_type, body) = match event_type.as_str() {
        "socket_connected" => {
            (event_type, HubEvent::SocketConnected { socket_id: str_field(payload, "socket_id").unwrap_or_default() })
        }
        "conversation_start_success" => (event_type, HubEvent::ConversationStarted),
        "bot_message" => (event_type, HubEvent::BotMessage(message_from(payload))),
        "livechat_message" => (event_type, HubEvent::LivechatMessage(message_from(payload))),
        "action" => {
            let actions = if payload.contains_key("actions") {
                Action::list_from_json(payload.get("actions"))
            } else {
                Action::from_json(payload).into_iter().collect()
            };
            (event_type, HubEvent::Action(actions))
        }
        "conversation_update"
            if payload.get("event_type").and_then(Value::as_str).map(str::trim) == Some("general_error") =>
        {
            // The nested form: {event_type: "general_error", event_payload: {...}, event_id}.
            let inner = obj_field(payload, "event_payload").unwrap_or(&empty);
            conversation_id = str_field(inner, "conversation_id");
            if event_id.is_none() {
                event_id = str_field(payload, "event_id");
            }
            ("general_error".to_owned(), HubEvent::Error(error_from(inner, true)))
        }
        "conversation_update" => {
            let update_type = str_field(payload, "type").unwrap_or_default();
            let kind = UpdateKind::from_wire(&update_type);
            let data = payload.get("data").cloned().unwrap_or_else(|| Value::Object(Map::new()));
            (event_type, HubEvent::ConversationUpdate(ConversationUpdate { update_type, kind, data }))
        }
        "general_error" => (event_type, HubEvent::Error(error_from(payload, false))),
        "metadata_update_success" => (event_type, HubEvent::MetadataUpdated),
        "conversation_metadata" => {
            let metadata = payload
                .get("content")
                .or_else(|| payload.get("metadata"))
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            (event_type, HubEvent::Metadata { metadata })
        }
        "conversation_transcript" => (event_type, HubEvent::Transcript(Transcript::from_payload(payload))),
        "message_edited_success" => {
            (event_type, HubEvent::MessageEdited { message_id: str_field(payload, "message_id") })
        }
        "delete_conversation_success" => {
            (event_type, HubEvent::ConversationDeleted { user_id: str_field(payload, "userId") })
        }
        "user_conversations" => (event_type, HubEvent::UserConversations(list_from(payload))),
        _ => (event_type, HubEvent::Unknown { payload: Value::Object(payload.clone()) }),
    };
    Ok(Inbound { event_type, event_id, conversation_id, body, raw })
}

impl Inbound {
    /// The text of a bot or live-chat message (its text items joined with newlines).
    pub fn text(&self) -> Option<String> {
        match &self.body {
            HubEvent::BotMessage(m) | HubEvent::LivechatMessage(m) => m.text(),
            _ => None,
        }
    }

    /// The frame's `event_payload` (for the nested error form, the outer payload).
    pub fn payload(&self) -> &Value {
        static NULL: Value = Value::Null;
        self.raw.get("event").and_then(|e| e.get("event_payload")).unwrap_or(&NULL)
    }
}

/// The quickest path of [`decode`]: a bot or live-chat message in the usual shape (plain text
/// items, string ids, no `\u` escape), read by hand in one pass. Anything else makes it give
/// up, and [`fast`] (then the lenient path) decides.
mod quick {
    use std::borrow::Cow;

    use super::super::scan::Reader;
    use super::{HubEvent, Inbound, MessageBody, RawFrame};
    use crate::protocol::ContentItem;

    pub(super) fn message(text: &str) -> Option<Inbound> {
        let mut r = Reader::new(text);
        let mut p = Parts::default();
        let mut event = false;
        if r.open_object()? {
            loop {
                if r.key()? == "event" {
                    if std::mem::replace(&mut event, true) {
                        return None;
                    }
                    read_event(&mut r, &mut p)?;
                } else {
                    r.skip_value(1)?;
                }
                if !r.more(b'}')? {
                    break;
                }
            }
        }
        if !r.at_end() || !p.payload {
            return None;
        }
        let bot = p.bot?;
        let body = MessageBody {
            message_id: p.ch.flatten().or(p.mid.flatten()),
            content: p.content.unwrap_or_default(),
            fetched_from_link: false,
            recovered: false,
        };
        Some(Inbound {
            event_type: if bot { "bot_message" } else { "livechat_message" }.to_owned(),
            event_id: p.id.flatten(),
            conversation_id: p.conversation.flatten(),
            body: if bot { HubEvent::BotMessage(body) } else { HubEvent::LivechatMessage(body) },
            raw: RawFrame::from_text(text),
        })
    }

    /// What was read so far, each member once (`None` until it is read).
    #[derive(Default)]
    struct Parts {
        /// Bot (true) or live chat.
        bot: Option<bool>,
        id: Option<Option<String>>,
        /// The payload was read.
        payload: bool,
        ch: Option<Option<String>>,
        mid: Option<Option<String>>,
        conversation: Option<Option<String>>,
        content: Option<Vec<ContentItem>>,
    }

    /// Stores a member's value, unless the key was given already.
    fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
        slot.is_none().then(|| *slot = Some(value))
    }

    fn read_event(r: &mut Reader<'_>, p: &mut Parts) -> Option<()> {
        if r.open_object()? {
            loop {
                match r.key()? {
                    "event_type" => {
                        // The payload is read by its type: it must come after it.
                        if p.payload {
                            return None;
                        }
                        let bot = match r.string()?.as_ref() {
                            "bot_message" => true,
                            "livechat_message" => false,
                            _ => return None,
                        };
                        once(&mut p.bot, bot)?;
                    }
                    "event_payload" => {
                        if p.bot.is_none() || std::mem::replace(&mut p.payload, true) {
                            return None;
                        }
                        read_payload(r, p)?;
                    }
                    "event_id" => once(&mut p.id, read_id(r)?)?,
                    _ => r.skip_value(2)?,
                }
                if !r.more(b'}')? {
                    break;
                }
            }
        }
        Some(())
    }

    /// An id as the lenient path reads it: a non-empty string, or none for an empty one or
    /// `null` (anything else is left to the other paths).
    fn read_id(r: &mut Reader<'_>) -> Option<Option<String>> {
        if r.null()? {
            return Some(None);
        }
        let s = r.string()?;
        Some((!s.is_empty()).then(|| s.into_owned()))
    }

    fn read_payload(r: &mut Reader<'_>, p: &mut Parts) -> Option<()> {
        if r.open_object()? {
            loop {
                match r.key()? {
                    "ch_msg_id" => once(&mut p.ch, read_id(r)?)?,
                    "message_id" => once(&mut p.mid, read_id(r)?)?,
                    "conversation_id" => once(&mut p.conversation, read_id(r)?)?,
                    "content" => once(&mut p.content, read_content(r)?)?,
                    _ => r.skip_value(3)?,
                }
                if !r.more(b'}')? {
                    break;
                }
            }
        }
        Some(())
    }

    /// `null`, or an array of plain text items (objects of `type` `text` and `text`, or
    /// strings).
    fn read_content(r: &mut Reader<'_>) -> Option<Vec<ContentItem>> {
        if r.null()? {
            return Some(Vec::new());
        }
        let mut items = Vec::with_capacity(1);
        if r.open_array()? {
            loop {
                let text = match r.peek()? {
                    b'"' => r.string()?,
                    _ => read_text_item(r)?,
                };
                items.push(ContentItem::Text { text: text.into_owned() });
                if !r.more(b']')? {
                    break;
                }
            }
        }
        Some(items)
    }

    /// `{"type": "text", "text": ...}` (the type may be left out): its text.
    fn read_text_item<'a>(r: &mut Reader<'a>) -> Option<Cow<'a, str>> {
        let (mut kind, mut text) = (None, None);
        if r.open_object()? {
            loop {
                match r.key()? {
                    "type" => once(&mut kind, r.string()?)?,
                    "text" => once(&mut text, r.string()?)?,
                    _ => return None,
                }
                if !r.more(b'}')? {
                    break;
                }
            }
        }
        kind.is_none_or(|k| k.trim() == "text").then_some(())?;
        text
    }
}

/// The fast path of [`decode`]: bot and live-chat messages read in one pass, without a JSON
/// tree, and transcripts read one entry at a time. Anything it is not sure to read exactly as
/// the lenient path would (another event type, a key given twice, an unexpected shape) makes it
/// give up, and the lenient path decides.
mod fast {
    use std::borrow::Cow;
    use std::fmt;
    use std::sync::Arc;

    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::value::RawValue;
    use serde_json::{Map, Value};

    use super::{HubEvent, Inbound, MessageBody, RawFrame};
    use crate::protocol::{ContentItem, Transcript};

    /// Gives up on the fast path.
    fn give_up<E: de::Error>() -> E {
        E::custom("left to the lenient decoder")
    }

    /// A bot or live-chat message or a transcript in the usual shape, or `None` (then the
    /// lenient path decides).
    pub(super) fn event(text: &str) -> Option<Inbound> {
        let mut de = serde_json::Deserializer::from_str(text);
        let event = de.deserialize_map(EnvelopeV).ok()?;
        de.end().ok()?;
        let frame: Arc<str> = text.into();
        let (event_type, body, conversation_id) = match event.body? {
            Body::Message(bot, body, conversation) => (
                if bot { "bot_message" } else { "livechat_message" },
                if bot { HubEvent::BotMessage(body) } else { HubEvent::LivechatMessage(body) },
                conversation,
            ),
            Body::Transcript(entries, conversation) => (
                "conversation_transcript",
                HubEvent::Transcript(Transcript::from_raw_entries(&frame, text, &entries)),
                conversation,
            ),
        };
        let span = 0..frame.len();
        Some(Inbound {
            event_type: event_type.to_owned(),
            event_id: event.event_id,
            conversation_id,
            body,
            raw: RawFrame::shared(frame, span),
        })
    }

    /// The parts of a transcript frame in the usual shape, its entries left as their texts
    /// (slices of `text`); `None` for any other frame, or a shape the fast path leaves to the
    /// lenient one.
    pub(crate) fn transcript(text: &str) -> Option<super::TranscriptFrame<'_>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let event = de.deserialize_map(EnvelopeV).ok()?;
        de.end().ok()?;
        match event.body? {
            Body::Transcript(entries, conversation_id) => {
                Some(super::TranscriptFrame { event_id: event.event_id, conversation_id, entries })
            }
            Body::Message(..) => None,
        }
    }

    #[derive(Default)]
    struct Event<'de> {
        event_id: Option<String>,
        body: Option<Body<'de>>,
    }

    /// What the fast path reads: a message (bot: true, or live chat), or a transcript's
    /// entries (decoded once the whole frame is read); with the conversation.
    enum Body<'de> {
        Message(bool, MessageBody, Option<String>),
        Transcript(Vec<&'de RawValue>, Option<String>),
    }

    /// The event types the fast path reads.
    #[derive(Clone, Copy)]
    enum Kind {
        Bot,
        Livechat,
        Transcript,
    }

    /// A key or a string value, borrowed from the frame's text when it holds no escape (serde's
    /// own `Cow<str>` always copies).
    struct Text<'de>(Cow<'de, str>);

    impl AsRef<str> for Text<'_> {
        fn as_ref(&self) -> &str {
            &self.0
        }
    }

    impl<'de> serde::Deserialize<'de> for Text<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Text<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a string")
                }
                fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                    Ok(Text(Cow::Borrowed(s)))
                }
                fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                    Ok(Text(Cow::Owned(s.to_owned())))
                }
                fn visit_string<E: de::Error>(self, s: String) -> Result<Text<'de>, E> {
                    Ok(Text(Cow::Owned(s)))
                }
            }
            d.deserialize_str(V)
        }
    }

    /// Marks a key seen; a key given twice gives up.
    fn once<E: de::Error>(seen: &mut bool) -> Result<(), E> {
        if std::mem::replace(seen, true) { Err(give_up()) } else { Ok(()) }
    }

    struct EnvelopeV;

    impl<'de> Visitor<'de> for EnvelopeV {
        type Value = Event<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an event envelope")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Event<'de>, A::Error> {
            let mut event = None;
            while let Some(key) = m.next_key::<Text<'de>>()? {
                if key.as_ref() == "event" {
                    if event.is_some() {
                        return Err(give_up());
                    }
                    event = Some(m.next_value_seed(EventSeed)?);
                } else {
                    m.next_value::<IgnoredAny>()?;
                }
            }
            event.ok_or_else(give_up)
        }
    }

    struct EventSeed;

    impl<'de> DeserializeSeed<'de> for EventSeed {
        type Value = Event<'de>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Event<'de>, D::Error> {
            d.deserialize_map(EventV)
        }
    }

    struct EventV;

    impl<'de> Visitor<'de> for EventV {
        type Value = Event<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an event")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Event<'de>, A::Error> {
            let (mut kind, mut id_seen, mut payload_seen) = (None::<Kind>, false, false);
            let mut out = Event::default();
            // A payload before its type, kept as text (read once the type is known).
            let mut early: Option<&'de RawValue> = None;
            while let Some(key) = m.next_key::<Text<'de>>()? {
                match key.as_ref() {
                    "event_type" => {
                        if kind.is_some() {
                            return Err(give_up());
                        }
                        kind = Some(match m.next_value::<Text<'de>>()?.as_ref() {
                            "bot_message" => Kind::Bot,
                            "livechat_message" => Kind::Livechat,
                            "conversation_transcript" => Kind::Transcript,
                            _ => return Err(give_up()),
                        });
                    }
                    "event_payload" => {
                        once(&mut payload_seen)?;
                        out.body = Some(match kind {
                            Some(Kind::Transcript) => {
                                let (t, conversation) = m.next_value_seed(TranscriptPayloadSeed)?;
                                Body::Transcript(t, conversation)
                            }
                            Some(k) => {
                                let (body, conversation) = m.next_value_seed(PayloadSeed)?;
                                Body::Message(matches!(k, Kind::Bot), body, conversation)
                            }
                            None => {
                                early = Some(m.next_value()?);
                                continue;
                            }
                        });
                    }
                    "event_id" => {
                        once(&mut id_seen)?;
                        out.event_id = m.next_value::<Id>()?.0;
                    }
                    _ => {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
            }
            // A payload read before its type (as with every object's keys in alphabetical
            // order): read now, from its text.
            if let (Some(payload), Some(kind), None) = (early, kind, &out.body) {
                let mut de = serde_json::Deserializer::from_str(payload.get());
                out.body = Some(match kind {
                    Kind::Transcript => {
                        let (entries, conversation) =
                            TranscriptPayloadSeed.deserialize(&mut de).map_err(|_| give_up::<A::Error>())?;
                        Body::Transcript(entries, conversation)
                    }
                    Kind::Bot | Kind::Livechat => {
                        let (body, conversation) =
                            PayloadSeed.deserialize(&mut de).map_err(|_| give_up::<A::Error>())?;
                        Body::Message(matches!(kind, Kind::Bot), body, conversation)
                    }
                });
                de.end().map_err(|_| give_up::<A::Error>())?;
            }
            if out.body.is_none() {
                return Err(give_up());
            }
            Ok(out)
        }
    }

    struct TranscriptPayloadSeed;

    impl<'de> DeserializeSeed<'de> for TranscriptPayloadSeed {
        type Value = (Vec<&'de RawValue>, Option<String>);
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(TranscriptPayloadV)
        }
    }

    /// A transcript's payload: its conversation and its entries (under `transcript`, else
    /// `messages`), as their texts.
    struct TranscriptPayloadV;

    impl<'de> Visitor<'de> for TranscriptPayloadV {
        type Value = (Vec<&'de RawValue>, Option<String>);
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a transcript payload")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let (mut conv, mut transcript, mut messages) = (None, None::<Entries<'de>>, None::<Entries<'de>>);
            while let Some(key) = m.next_key::<Text<'de>>()? {
                match key.as_ref() {
                    "conversation_id" => {
                        if conv.is_some() {
                            return Err(give_up());
                        }
                        conv = Some(m.next_value::<Id>()?.0);
                    }
                    "transcript" | "messages" => {
                        let slot = if key.as_ref() == "transcript" { &mut transcript } else { &mut messages };
                        if slot.is_some() {
                            return Err(give_up());
                        }
                        *slot = Some(m.next_value()?);
                    }
                    _ => {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
            }
            // As the lenient path: `transcript` when present (whatever it holds), else `messages`.
            let entries = transcript.or(messages).map(|e| e.0).unwrap_or_default();
            Ok((entries, conv.flatten()))
        }
    }

    /// The entries of a transcript as their texts: an array's elements; `null` holds none.
    /// Anything else gives up (the lenient path reads it as no entries).
    struct Entries<'de>(Vec<&'de RawValue>);

    impl<'de> serde::Deserialize<'de> for Entries<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entries<'de>, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Entries<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("transcript entries")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Entries<'de>, A::Error> {
                    let mut entries = Vec::with_capacity(s.size_hint().unwrap_or(16));
                    while let Some(e) = s.next_element::<&'de RawValue>()? {
                        entries.push(e);
                    }
                    Ok(Entries(entries))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Entries<'de>, E> {
                    Ok(Entries(Vec::new()))
                }
            }
            d.deserialize_any(V)
        }
    }

    struct PayloadSeed;

    impl<'de> DeserializeSeed<'de> for PayloadSeed {
        type Value = (MessageBody, Option<String>);
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(PayloadV)
        }
    }

    struct PayloadV;

    impl<'de> Visitor<'de> for PayloadV {
        type Value = (MessageBody, Option<String>);
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a message payload")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let (mut ch, mut mid, mut conv, mut content) = (None, None, None, None);
            while let Some(key) = m.next_key::<Text<'de>>()? {
                let slot = match key.as_ref() {
                    "ch_msg_id" => &mut ch,
                    "message_id" => &mut mid,
                    "conversation_id" => &mut conv,
                    "content" => {
                        if content.is_some() {
                            return Err(give_up());
                        }
                        content = Some(m.next_value::<Content>()?.0);
                        continue;
                    }
                    _ => {
                        m.next_value::<IgnoredAny>()?;
                        continue;
                    }
                };
                if slot.is_some() {
                    return Err(give_up());
                }
                *slot = Some(m.next_value::<Id>()?.0);
            }
            let body = MessageBody {
                message_id: ch.flatten().or(mid.flatten()),
                content: content.unwrap_or_default(),
                fetched_from_link: false,
                recovered: false,
            };
            Ok((body, conv.flatten()))
        }
    }

    /// A `content` value: an array of items (each read alone), or anything else as the lenient
    /// path reads it.
    struct Content(Vec<ContentItem>);

    impl<'de> serde::Deserialize<'de> for Content {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Content, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Content;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("content")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Content, A::Error> {
                    let mut items = Vec::with_capacity(s.size_hint().unwrap_or(1));
                    while let Some(item) = s.next_element::<Item>()? {
                        items.push(item.0);
                        items.extend(item.1);
                    }
                    Ok(Content(items))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Content, E> {
                    Ok(Content(Vec::new()))
                }
                fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Content, A::Error> {
                    let v = Value::deserialize(de::value::MapAccessDeserializer::new(m))?;
                    let mut items = Vec::with_capacity(1);
                    ContentItem::push_from_json(&v, &mut items);
                    Ok(Content(items))
                }
                fn visit_str<E: de::Error>(self, s: &str) -> Result<Content, E> {
                    Ok(Content(vec![ContentItem::from_json(&Value::String(s.to_owned()))]))
                }
                fn visit_bool<E: de::Error>(self, b: bool) -> Result<Content, E> {
                    Ok(Content(vec![ContentItem::from_json(&Value::Bool(b))]))
                }
                fn visit_u64<E: de::Error>(self, n: u64) -> Result<Content, E> {
                    Ok(Content(vec![ContentItem::from_json(&Value::from(n))]))
                }
                fn visit_i64<E: de::Error>(self, n: i64) -> Result<Content, E> {
                    Ok(Content(vec![ContentItem::from_json(&Value::from(n))]))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Content, E> {
                    Err(give_up())
                }
            }
            d.deserialize_any(V)
        }
    }

    use serde::Deserialize;

    /// One element of a content list: a plain text item read directly, anything else through
    /// a JSON value and [`ContentItem::push_from_json`] (a `{text, files}` element is two
    /// items).
    struct Item(ContentItem, Option<ContentItem>);

    impl<'de> serde::Deserialize<'de> for Item {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Item;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a content item")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Item, A::Error> {
                    // `type` and `text` on their own; any other key means the item is not plain
                    // text, and it is read whole as JSON.
                    let (mut kind, mut text, mut rest) = (None::<Field>, None::<Field>, Map::new());
                    while let Some(key) = m.next_key::<Text<'de>>()? {
                        match key.as_ref() {
                            "type" => kind = Some(m.next_value()?),
                            "text" => text = Some(m.next_value()?),
                            _ => {
                                let value: Value = m.next_value()?;
                                rest.insert(key.0.into_owned(), value);
                            }
                        }
                    }
                    let plain_kind = match &kind {
                        None => true,
                        Some(Field::Str(t)) => t.trim() == "text",
                        Some(Field::Other(_)) => false,
                    };
                    if rest.is_empty()
                        && plain_kind
                        && let Some(Field::Str(text)) = text
                    {
                        return Ok(Item(ContentItem::Text { text: text.into_owned() }, None));
                    }
                    if let Some(k) = kind {
                        rest.insert("type".into(), k.into_value());
                    }
                    if let Some(t) = text {
                        rest.insert("text".into(), t.into_value());
                    }
                    let v = Value::Object(rest);
                    Ok(match ContentItem::text_and_files(&v) {
                        Some((text, files)) => Item(text, Some(files)),
                        None => Item(ContentItem::from_json(&v), None),
                    })
                }
                fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Item, A::Error> {
                    let v = Value::deserialize(de::value::SeqAccessDeserializer::new(s))?;
                    Ok(Item(ContentItem::from_json(&v), None))
                }
                fn visit_str<E: de::Error>(self, s: &str) -> Result<Item, E> {
                    Ok(Item(ContentItem::Text { text: s.to_owned() }, None))
                }
                fn visit_string<E: de::Error>(self, s: String) -> Result<Item, E> {
                    Ok(Item(ContentItem::Text { text: s }, None))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
                    Ok(Item(ContentItem::from_json(&Value::Null), None))
                }
                fn visit_bool<E: de::Error>(self, b: bool) -> Result<Item, E> {
                    Ok(Item(ContentItem::from_json(&Value::Bool(b)), None))
                }
                fn visit_u64<E: de::Error>(self, n: u64) -> Result<Item, E> {
                    Ok(Item(ContentItem::from_json(&Value::from(n)), None))
                }
                fn visit_i64<E: de::Error>(self, n: i64) -> Result<Item, E> {
                    Ok(Item(ContentItem::from_json(&Value::from(n)), None))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Item, E> {
                    Err(give_up())
                }
            }
            d.deserialize_any(V)
        }
    }

    /// The value of an item's `type` or `text`: a string (borrowed where the text allows), or
    /// any other JSON.
    enum Field<'de> {
        Str(Cow<'de, str>),
        Other(Value),
    }

    impl Field<'_> {
        fn into_value(self) -> Value {
            match self {
                Field::Str(s) => Value::String(s.into_owned()),
                Field::Other(v) => v,
            }
        }
    }

    impl<'de> serde::Deserialize<'de> for Field<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field<'de>, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Field<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON value")
                }
                fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Field<'de>, E> {
                    Ok(Field::Str(Cow::Borrowed(s)))
                }
                fn visit_str<E: de::Error>(self, s: &str) -> Result<Field<'de>, E> {
                    Ok(Field::Str(Cow::Owned(s.to_owned())))
                }
                fn visit_string<E: de::Error>(self, s: String) -> Result<Field<'de>, E> {
                    Ok(Field::Str(Cow::Owned(s)))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Field<'de>, E> {
                    Ok(Field::Other(Value::Null))
                }
                fn visit_bool<E: de::Error>(self, b: bool) -> Result<Field<'de>, E> {
                    Ok(Field::Other(Value::Bool(b)))
                }
                fn visit_u64<E: de::Error>(self, n: u64) -> Result<Field<'de>, E> {
                    Ok(Field::Other(Value::from(n)))
                }
                fn visit_i64<E: de::Error>(self, n: i64) -> Result<Field<'de>, E> {
                    Ok(Field::Other(Value::from(n)))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Field<'de>, E> {
                    Err(give_up())
                }
                fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Field<'de>, A::Error> {
                    Ok(Field::Other(Value::deserialize(de::value::SeqAccessDeserializer::new(s))?))
                }
                fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Field<'de>, A::Error> {
                    Ok(Field::Other(Value::deserialize(de::value::MapAccessDeserializer::new(m))?))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// An id read as the lenient decoder reads it: a non-empty string, or a number or boolean
    /// as text; anything else is none.
    #[derive(Default)]
    struct Id(Option<String>);

    impl<'de> serde::Deserialize<'de> for Id {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Id;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an id")
                }
                fn visit_str<E: de::Error>(self, s: &str) -> Result<Id, E> {
                    Ok(Id((!s.is_empty()).then(|| s.to_owned())))
                }
                fn visit_string<E: de::Error>(self, s: String) -> Result<Id, E> {
                    Ok(Id((!s.is_empty()).then_some(s)))
                }
                fn visit_u64<E: de::Error>(self, n: u64) -> Result<Id, E> {
                    Ok(Id(Some(n.to_string())))
                }
                fn visit_i64<E: de::Error>(self, n: i64) -> Result<Id, E> {
                    Ok(Id(Some(n.to_string())))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Id, E> {
                    // The lenient path prints numbers as serde_json does; leave floats to it.
                    Err(give_up())
                }
                fn visit_bool<E: de::Error>(self, b: bool) -> Result<Id, E> {
                    Ok(Id(Some(b.to_string())))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Id, E> {
                    Ok(Id(None))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Id, A::Error> {
                    while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Id(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Id, A::Error> {
                    while s.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Id(None))
                }
            }
            d.deserialize_any(V)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hub's messages in every item kind, with their keys in the usual order, the hub's
    /// own and sorted (the payload before the event type), are read by the fast path, and it
    /// reads them as the lenient path does.
    #[test]
    fn every_item_kind_in_every_key_order_takes_the_fast_path() {
        // The item sets the benchmark's hub sends too (bench/src/hub.rs).
        let extras: Vec<String> =
            serde_json::from_str(include_str!("../../tests/fixtures/content_item_sets.json")).unwrap();
        for (n, extra) in extras.iter().enumerate() {
            let f0 = format!(
                r#"{{"action":"receiveMessage","event":{{"event_type":"bot_message","event_id":"e1","event_payload":{{"type":"message_create","ch_msg_id":"m1","conversation_id":"c","content":[{{"type":"text","text":"You said: x"}}{extra}]}},"accepts_response_payload":false}}}}"#
            );
            let f1 = format!(
                r#"{{"action":"receiveMessage","event":{{"event_type":"bot_message","event_payload":{{"type":"message_create","ch_msg_id":"m1","bot":{{}},"conversation_id":"c","content":[{{"text":"You said: x","type":"text"}}{extra}]}},"event_id":"1=","accepts_response_payload":false}}}}"#
            );
            let f2 = format!(
                r#"{{"action":"receiveMessage","event":{{"accepts_response_payload":false,"event_id":"e1","event_payload":{{"bot":{{}},"ch_msg_id":"m1","content":[{{"text":"You said: x","type":"text"}}{extra}],"conversation_id":"c","type":"message_create"}},"event_type":"bot_message"}}}}"#
            );
            for (o, f) in [f0, f1, f2].iter().enumerate() {
                let fast =
                    fast::event(f).unwrap_or_else(|| panic!("items {n}, key order {o}: left to the lenient path"));
                same(&fast, &decode_value(serde_json::from_str(f).unwrap()).unwrap(), f);
            }
        }
    }

    /// Every frame keeps its text as received, whichever path decodes it.
    #[test]
    fn every_frame_keeps_its_text() {
        for frame in [
            r#"{ "event" : {"event_type":"mystery_event", "event_payload":{"z":1,"a":[ 1 ]}} }"#,
            r#"{"event":{"event_payload":{"conversation_id":"c","metadata":{"b":1,"a":2}},"event_type":"conversation_metadata"}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"conversation_id":"c","content":[{"type":"text","text":"hi"}]}}}"#,
        ] {
            let inbound = decode(frame).unwrap();
            assert_eq!(inbound.raw.text(), frame);
            assert_eq!(*inbound.raw, serde_json::from_str::<Value>(frame).unwrap());
        }
    }

    /// Each conversation of a listing keeps the hub's entry as sent, fields not read included.
    #[test]
    fn a_listing_keeps_each_entry_as_sent() {
        let frame = r#"{"event":{"event_type":"user_conversations","event_payload":{"conversations":[{"conversation_id":"c1","metadata":{"a":1},"createdAt":"2026-01-01","apiKey":"k2"},"c2"]}}}"#;
        let HubEvent::UserConversations(list) = decode(frame).unwrap().body else { panic!("a listing") };
        assert_eq!(list.conversations[0].raw["createdAt"], "2026-01-01");
        assert_eq!(list.conversations[0].api_key.as_deref(), Some("k2"));
        assert_eq!(list.conversations[1].raw, Value::String("c2".into()));
    }

    /// The fast path reads a message exactly as the lenient path does, or leaves it to it.
    #[test]
    fn the_fast_path_agrees_with_the_lenient_path() {
        let frames = [
            r#"{"action":"receiveMessage","event":{"event_type":"bot_message","event_payload":{"type":"message_create","ch_msg_id":"m1","bot":{},"conversation_id":"c1","content":[{"type":"text","text":"hi \"there\" \u00e9"},{"text":"x","type":"text"},{"type":"button","buttons":{"title":"t","options":[{"label":"a","value":"b"}]}},{"type":"cards","cards":[1]},{"type":"weird","z":1},{"text":"no type"},"bare string",{"type":" text ","text":"padded"},{"type":"text","text":5}]},"event_id":"e1","accepts_response_payload":false}}"#,
            r#"{"event":{"event_type":"livechat_message","event_payload":{"conversation_id":"","content":[{"type":"files","files":[{"url":"u","mimetype":"image","filename":null}]}]},"event_id":42}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"conversation_id":7,"message_id":true,"content":{"type":"text","text":"single"}},"event_id":null}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"content":"just text"},"event_id":{"a":[1,2]}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"content":null}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":[1]}}"#,
            r#"{"event":{"event_type":"bot_message"}}"#,
            r#"{"event":{"event_type":" bot_message ","event_payload":{"content":[]}}}"#,
            r#"{"event":{"event_type":"bot_message","event_type":"livechat_message","event_payload":{}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"conversation_id":"a","conversation_id":"b"}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"content":[{"type":"text","text":"a","text":"b"}]}}}"#,
            r#"{"event_type":"bot_message","event_payload":{"content":[]}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"ch_msg_id":1.5e3,"content":[{"type":null,"text":"n"}]}}}"#,
            r#"{"event":{"event_payload":{"content":[]},"event_type":"bot_message"}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"content":[{"text":"t","files":[{"url":"u"}]},{"type":"text"},{"type":"text","text":"a","extra":1},[1,2],7,true,null]}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"content":{"type":"buttons","buttons":[{"label":"a"}]}}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"content":"x"},"event_id":""},"event":{"event_type":"x"}}"#,
            r#"{"action":"receiveMessage","event":{"event_type":"livechat_message","event_payload":{"content":[{"type":"text","text":"a\u0000b"}],"conversation_id":-3}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"content":{"text":"notes","files":[{"filename":"n.txt","storage":{"fileKey":"k"}}]}}}}"#,
            r#"{"event":{"event_type":"bot_message","event_payload":{"content":[{"type":"text","text":"t","files":[]},{"files":[{"url":"u"}],"text":"second"}]}}}"#,
            r#"{"\u0065vent":{"event_type":"bot\u005fmessage","event_payload":{"conversation_\u0069d":"c\u0031","content":[{"t\u0065xt":"k","typ\u0065":"text"}]}}}"#,
            TRANSCRIPT,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"conversation_id":"c","transcript":[{"event_id":"w","messages":[{"from":"user","messages":[{"type":"text","text":"a"}]},{"from":"bot","messages":{"idChat":"c","messages":[{"text":"b","type":"text"}],"actions":[{"type":"normal","title":"t"}]},"actions":[]}]}]},"event_id":"e"}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"conversation_id":9,"transcript":null,"messages":[{"from":"bot"}]}}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"messages":[{"from":"bot","text":"x"},7,"s",[1],null,{"no":"from"},{"from":" Agent ","event_id":"a","event_id":"b","message_id":5,"files":[{"url":"u"}]}]}}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"transcript":{"from":"bot"},"messages":[{"from":"bot"}]}}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"transcript":"x"}}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"transcript":[],"transcript":[{"from":"bot"}]}}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"conversation_id":"a","conversation_id":"b","transcript":[]}}}"#,
            r#"{"event":{"event_payload":{"transcript":[{"from":"bot"}]},"event_type":"conversation_transcript"}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":[{"from":"bot"}]}}"#,
            r#"{"event":{"event_type":"conversation_transcript"}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{}},"event_id":"outer"}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"tr\u0061nscript":[{"fr\u006fm":"b\u006ft","messages":[{"type":"text","text":"\u00e9 \"q\""}]}]}}}"#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"transcript":[{"messages":[{"from":"bot"},{"from":"user"}]},{"messages":[{"from":"bot"},{"x":1}]},{"messages":[]}]}}}"#,
            r#"{"event":{"event_id":"e","event_payload":{"conversation_id":"c","transcript":[{"from":"bot","event_id":"b"}]},"event_type":"conversation_transcript"}}"#,
            r#"{"event":{"event_payload":[1],"event_type":"conversation_transcript"}}"#,
            r#"{"event":{"event_payload":{"transcript":[]},"event_payload":{},"event_type":"conversation_transcript"}}"#,
        ];
        for text in frames {
            let lenient = decode_value(serde_json::from_str(text).unwrap()).unwrap();
            let decoded = decode(text).unwrap();
            same(&decoded, &lenient, text);
            for (path, read) in [("quick", quick::message(text)), ("fast", fast::event(text))] {
                if let Some(read) = read {
                    same(&read, &lenient, &format!("{path}: {text}"));
                }
            }
        }
        // Text sent with files (the official client's `{text, files}`) is a text item and a
        // files item: neither is lost.
        let both = decode(frames[19]).unwrap();
        let HubEvent::BotMessage(m) = &both.body else { panic!("{:?}", both.body) };
        assert_eq!(m.text().as_deref(), Some("notes"));
        assert!(matches!(&m.content[1], ContentItem::Files { files } if files[0].storage.is_some()));
        let two = decode(frames[20]).unwrap();
        let HubEvent::BotMessage(m) = &two.body else { panic!() };
        assert_eq!(m.content.len(), 4, "{:?}", m.content);
        assert!(fast::event(frames[0]).is_some(), "the usual shape takes the fast path");
        assert!(fast::event(frames[1]).is_some(), "odd ids too");
        assert!(fast::event(frames[21]).is_some(), "escaped keys too");
        for (i, t) in frames.iter().enumerate().skip(22) {
            let expected = ![26, 27, 28, 29, 31, 32, 37, 38].contains(&i);
            assert_eq!(fast::event(t).is_some(), expected, "the fast path takes or leaves: {t}");
        }
        for usual in [USUAL, frames[4], frames[5]] {
            assert!(quick::message(usual).is_some(), "the quickest path takes {usual}");
        }
    }

    /// A transcript's entries are kept as the hub wrote them (their own text, spacing and all),
    /// and read as JSON only when asked.
    #[test]
    fn transcript_entries_keep_their_text() {
        let text = include_str!("../../tests/fixtures/receive/conversation_transcript_example.json");
        let inbound = decode(text).unwrap();
        let HubEvent::Transcript(t) = &inbound.body else { panic!("{:?}", inbound.body) };
        assert_eq!(t.entries.len(), 7);
        let whole = inbound.raw.text();
        let frame = whole.as_ptr() as usize..whole.as_ptr() as usize + whole.len();
        for e in &t.entries {
            let own = e.raw.text();
            assert!(text.contains(&*own) && own.starts_with('{') && own.contains('\n'), "{own}");
            assert!(frame.contains(&(own.as_ptr() as usize)), "the entry shares its frame's text");
        }
        assert_eq!(t.entries[6].raw["from"], "agent ");
        assert_eq!(t.entries[6].from, crate::protocol::Sender::Agent);
        assert_eq!(inbound.raw.text(), text);
    }

    /// A transcript as the hub sends it (the published example, in both entry shapes).
    const TRANSCRIPT: &str = r#"{"action":"receiveMessage","event":{"event_type":"conversation_transcript","event_payload":{"conversation_id":"hart_1","messages":[{"from":"user","messages":[{"type":"text","text":"hello"}],"channelName":"test custom channel","chatbotName":"AWS"},{"from":"bot","messages":{"idChat":"hart_1","messages":[{"text":"Hi.","type":"text"}],"actions":[{"type":"normal","title":"escalateToHuman"}]},"channelName":"c","chatbotName":"AWS","actions":[{"type":"normal","title":"escalateToHuman"}],"event_id":"b1","message_id":"m1"},{"from":"agent ","messages":{"idChat":"hart_1","messages":[{"type":"text","text":"busy"}],"actions":[]},"files":[{"filename":"f.txt","storage":{"fileKey":"k","presignedUrl":"https://x/y","expiresIn":5}}]}]},"event_id":"WvVB","accepts_response_payload":false}}"#;

    /// A bot message as the hub sends it.
    const USUAL: &str = r#"{"action":"receiveMessage","event":{"event_type":"bot_message","event_id":"e17","event_payload":{"type":"message_create","ch_msg_id":"m18","bot":{"name":"b","tags":[1,2.5,-3e2,true,null]},"conversation_id":"user-1-0000","content":[{"type":"text","text":"You said: \"hi\"\n"}]},"accepts_response_payload":false}}"#;

    fn same(a: &Inbound, b: &Inbound, what: &str) {
        assert_eq!(a.event_type, b.event_type, "{what}");
        assert_eq!(a.event_id, b.event_id, "{what}");
        assert_eq!(a.conversation_id, b.conversation_id, "{what}");
        assert_eq!(a.body, b.body, "{what}");
        assert_eq!(*a.raw, *b.raw, "{what}");
    }

    /// Every frame one edit away from the usual ones (a byte replaced, or the rest cut off):
    /// what the quick and fast paths read, the lenient path reads the same way, and what the
    /// lenient path refuses, they refuse.
    #[test]
    fn the_quick_paths_agree_with_the_lenient_path_one_edit_away() {
        let bases = [
            USUAL,
            r#" { "event" : { "event_type" : "livechat_message" , "event_payload" : { "content" : [ "a" , { "text" : "b" } ] , "message_id" : "" } , "event_id" : null } } "#,
            r#"{"event":{"event_type":"conversation_transcript","event_payload":{"conversation_id":"c","transcript":[{"from":"bot","messages":[{"type":"text","text":"a"}],"event_id":"e"},{"messages":[{"from":"user"}]}]},"event_id":"t"}}"#,
            r#"{"event":{"event_id":"t","event_payload":{"conversation_id":"c","messages":[{"from":"bot","event_id":"e"}]},"event_type":"conversation_transcript"}}"#,
        ];
        let edits =
            ["\"", "\\", "{", "}", "[", "]", ",", ":", " ", "a", "0", "\n", "\u{1}", "n", "t", "-", ".", "e", "é"];
        let mut checked = 0;
        for base in bases {
            let chars: Vec<(usize, char)> = base.char_indices().collect();
            let mut variants: Vec<String> = chars.iter().map(|&(i, _)| base[..i].to_owned()).collect();
            for &(i, c) in &chars {
                for e in edits {
                    variants.push(format!("{}{e}{}", &base[..i], &base[i + c.len_utf8()..]));
                }
            }
            for text in &variants {
                let lenient = serde_json::from_str(text).ok().map(decode_value);
                for (path, read) in [("quick", quick::message(text)), ("fast", fast::event(text))] {
                    let Some(read) = read else { continue };
                    match &lenient {
                        Some(Ok(l)) => same(&read, l, &format!("{path}: {text}")),
                        _ => panic!("{path} read what the lenient path refuses: {text}"),
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
