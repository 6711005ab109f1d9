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
    /// A user's message: its `client_msg_id` (or one the hub made up), shown as `message_id`.
    Message(String),
    /// A hub event: its `event_id`, the same as the live frame's.
    Event(String),
}

impl Entry {
    /// A user's message with its content, under its `client_msg_id` (a new id if it had none,
    /// so that every message can be edited).
    pub(crate) fn user(content: &Value, message_id: Option<&str>) -> Entry {
        Entry {
            from: "user",
            messages: format!("[{content}]"),
            id: EntryId::Message(message_id.map_or_else(crate::frames::new_id, str::to_owned)),
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
        matches!(&self.id, EntryId::Message(m) if m == message_id)
    }

    /// Replaces the message's content, marking it edited.
    pub(crate) fn edit(&mut self, content: &Value) {
        self.messages = format!("[{content}]");
        self.edited = true;
    }

    /// Sets `storage.expiresIn` to `at` in every file object of the entry whose
    /// `storage.fileKey` is `key` (any, when `None`).
    pub(crate) fn expire_files(&mut self, key: Option<&str>, at: u64) {
        if !self.messages.contains("\"fileKey\"") {
            return;
        }
        let Ok(mut messages) = serde_json::from_str::<Value>(&self.messages) else { return };
        let mut changed = false;
        for item in messages.as_array_mut().into_iter().flatten() {
            for file in item.get_mut("files").and_then(Value::as_array_mut).into_iter().flatten() {
                let Some(storage) = file.get_mut("storage").and_then(Value::as_object_mut) else { continue };
                let named =
                    storage.get("fileKey").and_then(Value::as_str).is_some_and(|k| key.is_none_or(|key| key == k));
                if named {
                    storage.insert("expiresIn".into(), json!(at));
                    changed = true;
                }
            }
        }
        if changed {
            self.messages = messages.to_string();
        }
    }

    /// The entry as the hub sends it. A user's message also carries its `content` as sent
    /// and, when that has files, the file objects as `files` (where the official client looks
    /// for file links to refresh).
    pub(crate) fn to_json(&self) -> Value {
        let messages = serde_json::from_str::<Value>(&self.messages).unwrap_or(Value::Null);
        let mut v = json!({"from": self.from, "messages": messages});
        match &self.id {
            EntryId::Message(id) => {
                v["message_id"] = json!(id);
                let content = v["messages"][0].clone();
                if let Some(files) = content.get("files").filter(|f| f.as_array().is_some_and(|a| !a.is_empty())) {
                    v["files"] = files.clone();
                }
                v["content"] = content;
            }
            EntryId::Event(id) => v["event_id"] = json!(id),
        }
        if self.edited {
            v["edited"] = json!(true);
        }
        v
    }
}
