//! The frames of the exchanges measured here, as a hand-written client or hub would type them:
//! `serde` structs that borrow from the frame's text, every other field ignored.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The API key every client of the benchmark presents (the minimal hub does not check it).
pub const API_KEY: &str = "bench-key";

/// What the bot says back to a user message: this prefix, then the message's text.
pub const ECHO_PREFIX: &str = "You said: ";

/// A frame from a client: `{"action": "sendMessage", "event": {...}}`.
#[derive(Deserialize)]
pub struct ClientFrame<'a> {
    /// The event.
    #[serde(borrow)]
    pub event: ClientEvent<'a>,
}

/// The event of a client frame.
#[derive(Deserialize)]
pub struct ClientEvent<'a> {
    /// `conversation_start`, `user_message`, ...
    #[serde(borrow)]
    pub event_type: Cow<'a, str>,
    /// The fields the minimal hub reads.
    #[serde(borrow, default)]
    pub event_payload: ClientPayload<'a>,
}

/// The fields of a client event's payload that the minimal hub reads.
#[derive(Deserialize, Default)]
pub struct ClientPayload<'a> {
    /// `conversation_start`: the user.
    #[serde(borrow, default, rename = "userId")]
    pub user_id: Option<Cow<'a, str>>,
    /// `user_message`: the conversation.
    #[serde(borrow, default)]
    pub conversation_id: Option<Cow<'a, str>>,
    /// `user_message`: the content.
    #[serde(borrow, default)]
    pub content: Option<UserContent<'a>>,
}

/// The content of a user message.
#[derive(Deserialize, Serialize)]
pub struct UserContent<'a> {
    /// Always `text` here.
    #[serde(rename = "type", default)]
    pub kind: Cow<'a, str>,
    /// The text.
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
}

/// A frame from the hub: `{"action": "receiveMessage", "event": {...}}`.
#[derive(Deserialize)]
pub struct HubFrame<'a> {
    /// The event.
    #[serde(borrow)]
    pub event: HubEvent<'a>,
}

/// The event of a hub frame.
#[derive(Deserialize)]
pub struct HubEvent<'a> {
    /// `socket_connected`, `conversation_start_success`, `bot_message`, ...
    #[serde(borrow)]
    pub event_type: Cow<'a, str>,
    /// The fields a client reads.
    #[serde(borrow, default)]
    pub event_payload: HubPayload<'a>,
}

/// The fields of a hub event's payload that a client reads.
#[derive(Deserialize, Default)]
pub struct HubPayload<'a> {
    /// `socket_connected`.
    #[serde(borrow, default)]
    pub socket_id: Option<Cow<'a, str>>,
    /// `conversation_start_success`, `bot_message`.
    #[serde(borrow, default)]
    pub conversation_id: Option<Cow<'a, str>>,
    /// `bot_message`: the content items.
    #[serde(borrow, default)]
    pub content: Vec<HubItem<'a>>,
}

/// A content item of a bot message.
#[derive(Deserialize)]
pub struct HubItem<'a> {
    /// The text of a `text` item.
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
}

impl HubFrame<'_> {
    /// The text of a bot message's first item.
    pub fn text(&self) -> Option<&str> {
        self.event.event_payload.content.first().and_then(|i| i.text.as_deref())
    }
}

/// A client's emit, serialised as `{"action": "sendMessage", "event": {...}}`.
#[derive(Serialize)]
struct Emit<'a, P: Serialize> {
    action: &'static str,
    event: EmitEvent<'a, P>,
}

#[derive(Serialize)]
struct EmitEvent<'a, P: Serialize> {
    event_type: &'a str,
    event_payload: P,
}

#[derive(Serialize)]
struct StartPayload<'a> {
    #[serde(rename = "userId")]
    user_id: &'a str,
}

#[derive(Serialize)]
struct MessagePayload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    client_msg_id: &'a str,
    conversation_id: &'a str,
    content: UserContent<'a>,
}

fn emit<P: Serialize>(event_type: &str, payload: P) -> String {
    serde_json::to_string(&Emit { action: "sendMessage", event: EmitEvent { event_type, event_payload: payload } })
        .expect("a frame serialises")
}

/// A `conversation_start` frame for `user_id`.
pub fn conversation_start(user_id: &str) -> String {
    emit("conversation_start", StartPayload { user_id })
}

/// A `user_message` frame with `text`.
pub fn user_message(conversation_id: &str, client_msg_id: &str, text: &str) -> String {
    emit(
        "user_message",
        MessagePayload {
            kind: "message_create",
            client_msg_id,
            conversation_id,
            content: UserContent { kind: Cow::Borrowed("text"), text: Some(Cow::Borrowed(text)) },
        },
    )
}

/// A JSON string literal of `s`.
pub fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}
