//! Conversation transcripts, decoded leniently from the several shapes the hub uses.

use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::content::{ContentItem, FileRef};
use super::inbound::Action;
use super::raw::RawFrame;
use super::str_field;

/// Who wrote a transcript entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sender {
    /// The end user.
    User,
    /// The chat flow (`bot` or `chatbot`).
    Bot,
    /// A live agent (`livechat` or `agent`).
    Agent,
    /// Anything else, trimmed.
    Other(String),
}

impl Sender {
    /// Classifies a `from` value (surrounding spaces and case are ignored).
    pub fn from_wire(s: &str) -> Sender {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "user" => Sender::User,
            "bot" | "chatbot" => Sender::Bot,
            "livechat" | "agent" | "live" => Sender::Agent,
            _ => Sender::Other(t.to_owned()),
        }
    }

    /// A stable lower-case name: `user`, `bot`, `agent`, or the other value.
    pub fn as_str(&self) -> &str {
        match self {
            Sender::User => "user",
            Sender::Bot => "bot",
            Sender::Agent => "agent",
            Sender::Other(s) => s,
        }
    }
}

/// One entry of a transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct TranscriptEntry {
    /// Who wrote it.
    pub from: Sender,
    /// Its content items, in order.
    pub messages: Vec<ContentItem>,
    /// Actions attached to it.
    pub actions: Vec<Action>,
    /// Files attached to it.
    pub files: Vec<FileRef>,
    /// The hub's event id, when given.
    pub event_id: Option<String>,
    /// The message id, when given.
    pub message_id: Option<String>,
    /// The channel's name in the hub, when given.
    pub channel_name: Option<String>,
    /// The chatbot's name in the hub, when given.
    pub chatbot_name: Option<String>,
    /// The live-chat integration's name, when given.
    pub livechat_name: Option<String>,
    /// The entry as the hub sent it: its JSON text, parsed into a JSON value the first time it
    /// is read (it dereferences to that value).
    pub raw: RawFrame,
}

impl TranscriptEntry {
    /// The entry's text items joined with newlines.
    pub fn text(&self) -> Option<String> {
        super::content::joined_text(&self.messages)
    }
}

/// A conversation's transcript.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Transcript {
    /// The entries in chronological order.
    pub entries: Vec<TranscriptEntry>,
}

fn entry_from(o: &Map<String, Value>, inherited_event_id: Option<&String>, raw: RawFrame) -> TranscriptEntry {
    // `messages` is an array of items, or an object {idChat, messages: [...], actions: [...]}.
    let (messages, mut actions) = match o.get("messages") {
        Some(Value::Object(inner)) => {
            (ContentItem::list_from_json(inner.get("messages")), Action::list_from_json(inner.get("actions")))
        }
        other => (ContentItem::list_from_json(other), Vec::new()),
    };
    let outer_actions = Action::list_from_json(o.get("actions"));
    if !outer_actions.is_empty() {
        actions = outer_actions;
    }
    let files = o
        .get("files")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(FileRef::from_json).collect())
        .unwrap_or_default();
    TranscriptEntry {
        from: Sender::from_wire(o.get("from").and_then(Value::as_str).unwrap_or("")),
        messages,
        actions,
        files,
        event_id: str_field(o, "event_id").or_else(|| inherited_event_id.cloned()),
        message_id: str_field(o, "message_id").or_else(|| str_field(o, "id")).or_else(|| str_field(o, "client_msg_id")),
        channel_name: str_field(o, "channelName"),
        chatbot_name: str_field(o, "chatbotName"),
        livechat_name: str_field(o, "livechatName"),
        raw,
    }
}

impl Transcript {
    /// Decodes a `conversation_transcript` payload (entries under `transcript` or `messages`),
    /// or a bare array of entries.
    pub fn from_payload(payload: &Map<String, Value>) -> Transcript {
        Transcript::from_entries(payload.get("transcript").or_else(|| payload.get("messages")))
    }

    /// Decodes an array of entries. An entry without `from` that wraps entries in its own
    /// `messages` array (the published model) is flattened into those entries.
    pub fn from_entries(v: Option<&Value>) -> Transcript {
        let mut entries = Vec::new();
        for e in v.and_then(Value::as_array).into_iter().flatten() {
            if let Some(o) = e.as_object() {
                push_entries(&mut entries, o, || RawFrame::from_value(e.clone()));
            }
        }
        Transcript { entries }
    }

    /// Decodes entries given as their JSON texts, slices of `source`, as
    /// [`Transcript::from_entries`] decodes them; `frame` holds the same text as `source`, kept.
    /// Each entry is parsed alone, read, and kept as its place in the frame's text: decoding a
    /// long transcript holds one entry's JSON tree at a time, not the whole transcript's twice
    /// over (the catch-up after each reconnect reads every conversation's whole transcript).
    pub(crate) fn from_raw_entries(frame: &Arc<str>, source: &str, raw: &[&RawValue]) -> Transcript {
        debug_assert_eq!(&**frame, source);
        let mut entries = Vec::with_capacity(raw.len());
        for text in raw {
            let text = text.get();
            let start = (text.as_ptr() as usize).wrapping_sub(source.as_ptr() as usize);
            let span = start..start.saturating_add(text.len());
            push_element(&mut entries, text, || match source.get(span.clone()) {
                Some(within) if within.as_ptr() == text.as_ptr() && frame.len() == source.len() => {
                    RawFrame::shared(frame.clone(), span)
                }
                _ => RawFrame::from_text(text),
            });
        }
        Transcript { entries }
    }

    /// The end of a transcript given as its entries' JSON texts: entries are decoded from the
    /// last one back, until one for which `stop` holds (included) or the first. Each keeps its
    /// own text. A catch-up needs only what came after the last message it delivered, however
    /// long the conversation.
    pub(crate) fn tail_from_raw_entries(raw: &[&RawValue], stop: impl Fn(&TranscriptEntry) -> bool) -> Transcript {
        let mut chunks = Vec::new();
        for text in raw.iter().rev() {
            let mut chunk = Vec::new();
            push_element(&mut chunk, text.get(), || RawFrame::from_text(text.get()));
            let found = chunk.iter().any(&stop);
            chunks.push(chunk);
            if found {
                break;
            }
        }
        Transcript { entries: chunks.into_iter().rev().flatten().collect() }
    }
}

/// Decodes one element of a transcript given as its JSON text (valid JSON: it was scanned as
/// part of its frame) into `entries`, as [`push_entries`]; anything but an object holds none.
fn push_element(entries: &mut Vec<TranscriptEntry>, text: &str, raw: impl FnOnce() -> RawFrame) {
    if let Ok(Value::Object(o)) = super::parse_json(text) {
        push_entries(entries, &o, raw);
    }
}

/// Decodes one element of a transcript into `entries`: the entry itself (its raw JSON made by
/// `raw` when needed), or, for an entry without `from` that wraps entries in its own `messages`
/// array (the published model), each of those.
fn push_entries(entries: &mut Vec<TranscriptEntry>, o: &Map<String, Value>, raw: impl FnOnce() -> RawFrame) {
    let wrapped = match o.get("messages") {
        Some(Value::Array(a))
            if !o.contains_key("from") && !a.is_empty() && a.iter().all(|m| m.get("from").is_some()) =>
        {
            Some(a)
        }
        _ => None,
    };
    match wrapped {
        Some(inner) => {
            let event_id = str_field(o, "event_id");
            for i in inner.iter().filter_map(Value::as_object) {
                entries.push(entry_from(i, event_id.as_ref(), RawFrame::from_value(Value::Object(i.clone()))));
            }
        }
        None => entries.push(entry_from(o, None, raw())),
    }
}
