//! A conversation's transcript: entries kept compact (their messages as JSON text), turned
//! into the hub's JSON only when a transcript is asked for.

use serde_json::{Value, json};

/// One transcript entry.
#[derive(Debug)]
pub(crate) struct Entry {
    /// `user`, `bot` or `livechat`.
    from: &'static str,
    /// The entry's `messages` array, as JSON text.
    messages: String,
    id: EntryId,
    edited: bool,
}

#[derive(Debug)]
enum EntryId {
    /// A user's message: its `client_msg_id`, shown as `message_id` (null if it had none).
    Message(Option<String>),
    /// A hub event: its `event_id`, the same as the live frame's.
    Event(String),
}

impl Entry {
    /// A user's message with its content.
    pub(crate) fn user(content: &Value, message_id: Option<&str>) -> Entry {
        Entry {
            from: "user",
            messages: format!("[{content}]"),
            id: EntryId::Message(message_id.map(str::to_owned)),
            edited: false,
        }
    }

    /// A hub event from `from` (`bot` or `livechat`) whose `messages` is the JSON array text
    /// given.
    pub(crate) fn event(from: &'static str, messages: String, event_id: String) -> Entry {
        Entry { from, messages, id: EntryId::Event(event_id), edited: false }
    }

    /// Whether this is the user's message `message_id`.
    pub(crate) fn is_message(&self, message_id: &str) -> bool {
        matches!(&self.id, EntryId::Message(Some(m)) if m == message_id)
    }

    /// Replaces the message's content, marking it edited.
    pub(crate) fn edit(&mut self, content: &Value) {
        self.messages = format!("[{content}]");
        self.edited = true;
    }

    /// The entry as the hub sends it.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({
            "from": self.from,
            "messages": serde_json::from_str::<Value>(&self.messages).unwrap_or(Value::Null),
        });
        match &self.id {
            EntryId::Message(id) => v["message_id"] = json!(id),
            EntryId::Event(id) => v["event_id"] = json!(id),
        }
        if self.edited {
            v["edited"] = json!(true);
        }
        v
    }
}
