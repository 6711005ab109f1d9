//! One canonical JSON form of events, states, transcripts and lists, shared by every front
//! end (the C accessors, the Python and JavaScript event objects), so that they agree.
//!
//! An event is an object with `kind` (see [`Event::kind`]) and the fields of that kind;
//! hub events also carry `event_type`, `event_id`, `conversation_id` and `raw` (the frame as
//! received).

use serde_json::{Map, Value, json};

use crate::event::{ConnectionState, Event};
use crate::protocol::{
    Action, ContentItem, ConversationList, HubEvent, Inbound, Pagination, Transcript, TranscriptEntry, UpdateKind,
};

fn actions_json(actions: &[Action]) -> Value {
    Value::Array(actions.iter().map(|a| json!({"id": a.id, "type": a.action_type, "data": a.data})).collect())
}

fn content_json(items: &[ContentItem]) -> Value {
    Value::Array(items.iter().map(ContentItem::to_json).collect())
}

impl ConnectionState {
    /// `{"state": name, "attempt"?, "retry_in_ms"?, "socket_id"?}`.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("state".into(), json!(self.name()));
        match self {
            ConnectionState::Connecting { attempt } => {
                o.insert("attempt".into(), json!(attempt));
            }
            ConnectionState::Connected { socket_id } => {
                o.insert("socket_id".into(), json!(socket_id));
            }
            ConnectionState::Disconnected { attempt, retry_in } => {
                o.insert("attempt".into(), json!(attempt));
                o.insert("retry_in_ms".into(), json!(retry_in.as_millis() as u64));
            }
            ConnectionState::Suspended { retry_in } => {
                o.insert("retry_in_ms".into(), json!(retry_in.as_millis() as u64));
            }
            _ => {}
        }
        Value::Object(o)
    }
}

impl TranscriptEntry {
    /// `{"from", "text", "messages": [items], "actions", "files", "event_id", "message_id",
    /// "channel_name", "chatbot_name", "livechat_name", "raw"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "from": self.from.as_str(),
            "text": self.text(),
            "messages": content_json(&self.messages),
            "actions": actions_json(&self.actions),
            "files": self.files.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
            "event_id": self.event_id,
            "message_id": self.message_id,
            "channel_name": self.channel_name,
            "chatbot_name": self.chatbot_name,
            "livechat_name": self.livechat_name,
            "raw": self.raw,
        })
    }
}

impl Transcript {
    /// `{"entries": [entry...]}` (see [`TranscriptEntry::to_json`]).
    pub fn to_json(&self) -> Value {
        json!({"entries": self.entries.iter().map(TranscriptEntry::to_json).collect::<Vec<_>>()})
    }
}

impl Pagination {
    /// The hub's own field names: `hasNextPage`, `hasPrevPage`, `page`, `pageSize`, `total`,
    /// `totalPages`.
    pub fn to_json(&self) -> Value {
        json!({
            "hasNextPage": self.has_next_page,
            "hasPrevPage": self.has_prev_page,
            "page": self.page,
            "pageSize": self.page_size,
            "total": self.total,
            "totalPages": self.total_pages,
        })
    }
}

impl ConversationList {
    /// `{"conversations": [{"conversation_id", "metadata", "api_key"}], "pagination": {...} | null}`.
    pub fn to_json(&self) -> Value {
        json!({
            "conversations": self.conversations.iter().map(|c| json!({
                "conversation_id": c.conversation_id,
                "metadata": c.metadata,
                "api_key": c.api_key,
            })).collect::<Vec<_>>(),
            "pagination": self.pagination.as_ref().map(Pagination::to_json),
        })
    }
}

impl HubEvent {
    /// The kind name of the typed view: `socket_connected`, `conversation_started`,
    /// `bot_message`, `livechat_message`, `action`, `conversation_update`, `error`,
    /// `metadata_updated`, `metadata`, `transcript`, `message_edited`, `conversation_deleted`,
    /// `user_conversations`, `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            HubEvent::SocketConnected { .. } => "socket_connected",
            HubEvent::ConversationStarted => "conversation_started",
            HubEvent::BotMessage(_) => "bot_message",
            HubEvent::LivechatMessage(_) => "livechat_message",
            HubEvent::Action(_) => "action",
            HubEvent::ConversationUpdate(_) => "conversation_update",
            HubEvent::Error(_) => "error",
            HubEvent::MetadataUpdated => "metadata_updated",
            HubEvent::Metadata { .. } => "metadata",
            HubEvent::Transcript(_) => "transcript",
            HubEvent::MessageEdited { .. } => "message_edited",
            HubEvent::ConversationDeleted { .. } => "conversation_deleted",
            HubEvent::UserConversations(_) => "user_conversations",
            HubEvent::Unknown { .. } => "unknown",
        }
    }
}

impl Inbound {
    /// The canonical JSON of a hub event (see the module docs).
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("kind".into(), json!(self.body.kind()));
        o.insert("event_type".into(), json!(self.event_type));
        o.insert("event_id".into(), json!(self.event_id));
        o.insert("conversation_id".into(), json!(self.conversation_id));
        match &self.body {
            HubEvent::SocketConnected { socket_id } => {
                o.insert("socket_id".into(), json!(socket_id));
            }
            HubEvent::BotMessage(m) | HubEvent::LivechatMessage(m) => {
                o.insert("message_id".into(), json!(m.message_id));
                o.insert("text".into(), json!(m.text()));
                o.insert("content".into(), content_json(&m.content));
                o.insert("fetched_from_link".into(), json!(m.fetched_from_link));
                o.insert("recovered".into(), json!(m.recovered));
            }
            HubEvent::Action(actions) => {
                o.insert("actions".into(), actions_json(actions));
            }
            HubEvent::ConversationUpdate(u) => {
                let kind = match &u.kind {
                    UpdateKind::AgentConnected => "agent_connected",
                    UpdateKind::AgentDisconnected => "agent_disconnected",
                    UpdateKind::FailedAgentAssignment => "failed_agent_assignment",
                    UpdateKind::Other(_) => "other",
                };
                o.insert("update_type".into(), json!(u.update_type));
                o.insert("update".into(), json!(kind));
                o.insert("data".into(), u.data.clone());
            }
            HubEvent::Error(e) => {
                let code = match &e.code {
                    Some(crate::protocol::ErrorCode::Number(n)) => json!(n),
                    Some(crate::protocol::ErrorCode::Text(s)) => json!(s),
                    None => Value::Null,
                };
                o.insert("code".into(), code);
                o.insert("description".into(), json!(e.description));
                o.insert("message_link".into(), json!(e.message_link));
                o.insert("nested".into(), json!(e.nested));
            }
            HubEvent::Metadata { metadata } => {
                o.insert("metadata".into(), metadata.clone());
            }
            HubEvent::Transcript(t) => {
                o.insert("entries".into(), t.to_json()["entries"].clone());
            }
            HubEvent::MessageEdited { message_id } => {
                o.insert("message_id".into(), json!(message_id));
            }
            HubEvent::ConversationDeleted { user_id } => {
                o.insert("user_id".into(), json!(user_id));
            }
            HubEvent::UserConversations(l) => {
                let j = l.to_json();
                o.insert("conversations".into(), j["conversations"].clone());
                o.insert("pagination".into(), j["pagination"].clone());
            }
            HubEvent::Unknown { payload } => {
                o.insert("payload".into(), payload.clone());
            }
            HubEvent::ConversationStarted | HubEvent::MetadataUpdated => {}
        }
        o.insert("raw".into(), (*self.raw).clone());
        Value::Object(o)
    }
}

impl Event {
    /// The kind of the event: the hub event's kind (see [`HubEvent::kind`]), or `state`,
    /// `discontinuity`, `malformed`, `delivery`, `lagged`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Hub(i) => i.body.kind(),
            Event::State(_) => "state",
            Event::Discontinuity { .. } => "discontinuity",
            Event::Malformed(_) => "malformed",
            Event::Delivery(_) => "delivery",
            Event::Lagged { .. } => "lagged",
        }
    }

    /// The canonical JSON of the event (see the module docs). A state change is
    /// `{"kind": "state", "previous": {...}, "current": {...}, "reason"}` with states as in
    /// [`ConnectionState::to_json`].
    pub fn to_json(&self) -> Value {
        match self {
            Event::Hub(i) => i.to_json(),
            Event::State(c) => json!({
                "kind": "state",
                "previous": c.previous.to_json(),
                "current": c.current.to_json(),
                "reason": c.reason,
                "queued": c.queued,
            }),
            Event::Discontinuity { conversation_id } => {
                json!({"kind": "discontinuity", "conversation_id": conversation_id})
            }
            Event::Malformed(m) => json!({"kind": "malformed", "error": m.error, "text": m.text}),
            Event::Delivery(r) => json!({
                "kind": "delivery",
                "client_msg_id": r.client_msg_id,
                "conversation_id": r.conversation_id,
                "delivered": r.delivered,
            }),
            Event::Lagged { missed } => json!({"kind": "lagged", "missed": missed}),
        }
    }
}
