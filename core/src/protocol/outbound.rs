//! Frames the client sends, and the options of the calls that send them.
//!
//! Every function here returns the complete envelope
//! `{"action": "sendMessage", "event": {"event_type": ..., "event_payload": {...}}}`.

use serde_json::{Map, Value, json};

use super::content::FileRef;

/// Which names the client uses for operations the hub has renamed over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Dialect {
    /// The names of the current official client: `get_user_conversations_v2`,
    /// `delete_user_conversations`, and an explicit `softdelete` flag on deletes.
    #[default]
    Current,
    /// The names of the published Socket API reference: `get_conversations`, and
    /// `delete_conversation` with the user id as `conversation_id` to delete all of a user's
    /// conversations; deletes carry no `softdelete` flag (the hub's default applies).
    Legacy,
}

/// What happens right after a conversation starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StartMode {
    /// Send an empty user message so that the flow greets the user (the official default).
    #[default]
    BotFirst,
    /// Send nothing; the user speaks first.
    UserFirst,
}

impl StartMode {
    /// Parses `bot-first` / `user-first` (also with underscores).
    pub fn parse(s: &str) -> Option<StartMode> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "bot-first" => Some(StartMode::BotFirst),
            "user-first" => Some(StartMode::UserFirst),
            _ => None,
        }
    }
}

/// Who a metadata update is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataTarget {
    /// `default`.
    Default,
    /// `bot`: the chat flow only.
    Bot,
    /// `live`: the live-chat side only.
    Live,
    /// `bot_live`: both.
    BotLive,
}

impl MetadataTarget {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataTarget::Default => "default",
            MetadataTarget::Bot => "bot",
            MetadataTarget::Live => "live",
            MetadataTarget::BotLive => "bot_live",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<MetadataTarget> {
        match s.trim() {
            "default" => Some(MetadataTarget::Default),
            "bot" => Some(MetadataTarget::Bot),
            "live" => Some(MetadataTarget::Live),
            "bot_live" => Some(MetadataTarget::BotLive),
            _ => None,
        }
    }
}

/// Soft or hard deletion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DeleteMode {
    /// Keep the data in the hub, hidden (`softdelete: true`, the official default).
    #[default]
    Soft,
    /// Remove it for good (`softdelete: false`).
    Hard,
}

/// Options of a new conversation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StartOptions {
    /// The user's id; the hub uses `anon` when absent.
    pub user_id: Option<String>,
    /// Basic info shown to the bot and live agents: `{firstName, lastName, email, phone}`.
    pub user_basic_info: Option<Value>,
    /// Conversation metadata (a JSON object).
    pub metadata: Option<Value>,
    /// Private metadata, for back-ends only: sent as metadata under the key `private`.
    pub private_metadata: Option<Value>,
    /// `userMetadata` of the published reference, passed through as given.
    pub user_metadata: Option<Value>,
    /// `userData` of the published reference, passed through as given.
    pub user_data: Option<Value>,
    /// Bot-first (default) or user-first.
    pub mode: StartMode,
}

impl StartOptions {
    /// Options for a user id, everything else default.
    pub fn new(user_id: impl Into<String>) -> Self {
        StartOptions { user_id: Some(user_id.into()), ..Default::default() }
    }
}

/// A message from the user: text, files, or both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutgoingMessage {
    /// The text, if any.
    pub text: Option<String>,
    /// Attached files.
    pub files: Vec<FileRef>,
}

impl OutgoingMessage {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        OutgoingMessage { text: Some(text.into()), files: Vec::new() }
    }

    /// A message with files only.
    pub fn files(files: Vec<FileRef>) -> Self {
        OutgoingMessage { text: None, files }
    }

    /// Adds a file.
    pub fn with_file(mut self, file: FileRef) -> Self {
        self.files.push(file);
        self
    }

    /// The `content` object: `{type: "text", text}`, `{files: [...]}`, or both together.
    pub fn content(&self) -> Value {
        let mut c = Map::new();
        if let Some(t) = &self.text {
            c.insert("type".into(), json!("text"));
            c.insert("text".into(), json!(t));
        }
        if !self.files.is_empty() || self.text.is_none() {
            c.insert("files".into(), Value::Array(self.files.iter().map(FileRef::to_json).collect()));
        }
        Value::Object(c)
    }
}

impl From<&str> for OutgoingMessage {
    fn from(s: &str) -> Self {
        OutgoingMessage::text(s)
    }
}

impl From<String> for OutgoingMessage {
    fn from(s: String) -> Self {
        OutgoingMessage::text(s)
    }
}

/// Options of a conversation listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListOptions {
    /// Whose conversations.
    pub user_id: String,
    /// Exact-match filter on metadata fields (a JSON object).
    pub filter: Option<Value>,
    /// Wildcard search on metadata fields (a JSON object; `"fred"` finds `"alfred"`).
    pub search: Option<Value>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page.
    pub limit: Option<u32>,
    /// List over these API keys as well.
    pub api_keys: Option<Vec<String>>,
}

impl ListOptions {
    /// All conversations of a user, no filter.
    pub fn new(user_id: impl Into<String>) -> Self {
        ListOptions { user_id: user_id.into(), ..Default::default() }
    }

    /// True when only the user id is set.
    pub fn is_plain(&self) -> bool {
        self.filter.is_none()
            && self.search.is_none()
            && self.page.is_none()
            && self.limit.is_none()
            && self.api_keys.is_none()
    }
}

/// Wraps a payload in the client envelope.
pub fn envelope(event_type: &str, payload: Value) -> Value {
    json!({"action": "sendMessage", "event": {"event_type": event_type, "event_payload": payload}})
}

/// Merges private metadata into a metadata object under the key `private`.
pub fn with_private(metadata: Option<&Value>, private: Option<&Value>) -> Option<Value> {
    match (metadata, private) {
        (m, None) => m.cloned(),
        (m, Some(p)) => {
            let mut obj = m.and_then(Value::as_object).cloned().unwrap_or_default();
            obj.insert("private".into(), p.clone());
            Some(Value::Object(obj))
        }
    }
}

/// `conversation_start`.
pub fn conversation_start(o: &StartOptions) -> Value {
    let mut p = Map::new();
    if let Some(u) = &o.user_id {
        p.insert("userId".into(), json!(u));
    }
    if let Some(b) = &o.user_basic_info {
        p.insert("userBasicInfo".into(), b.clone());
    }
    if let Some(m) = &o.user_metadata {
        p.insert("userMetadata".into(), m.clone());
    }
    if let Some(d) = &o.user_data {
        p.insert("userData".into(), d.clone());
    }
    if let Some(m) = with_private(o.metadata.as_ref(), o.private_metadata.as_ref()) {
        p.insert("metadata".into(), m);
    }
    envelope("conversation_start", Value::Object(p))
}

/// `user_message`.
pub fn user_message(conversation_id: &str, client_msg_id: &str, msg: &OutgoingMessage) -> Value {
    envelope(
        "user_message",
        json!({
            "type": "message_create",
            "client_msg_id": client_msg_id,
            "conversation_id": conversation_id,
            "content": msg.content(),
        }),
    )
}

/// `metadata`.
pub fn metadata(conversation_id: &str, client_msg_id: &str, metadata: &Value, target: Option<MetadataTarget>) -> Value {
    let mut p = Map::new();
    p.insert("metadata".into(), metadata.clone());
    if let Some(t) = target {
        p.insert("target".into(), json!(t.as_str()));
    }
    p.insert("client_msg_id".into(), json!(client_msg_id));
    p.insert("conversation_id".into(), json!(conversation_id));
    envelope("metadata", Value::Object(p))
}

/// `metadata_request`.
pub fn metadata_request(conversation_id: &str) -> Value {
    envelope("metadata_request", json!({"conversation_id": conversation_id}))
}

/// `action`.
pub fn action(conversation_id: &str, id: &str, data: &Value, action_type: &str) -> Value {
    envelope("action", json!({"type": action_type, "id": id, "data": data, "conversation_id": conversation_id}))
}

/// `conversation_transcript_request`.
pub fn transcript_request(conversation_id: &str) -> Value {
    envelope("conversation_transcript_request", json!({"conversation_id": conversation_id}))
}

/// `edit_message`.
pub fn edit_message(conversation_id: &str, client_msg_id: &str, message_id: &str, msg: &OutgoingMessage) -> Value {
    envelope(
        "edit_message",
        json!({
            "type": "message_create",
            "client_msg_id": client_msg_id,
            "conversation_id": conversation_id,
            "message_id": message_id,
            "content": msg.content(),
        }),
    )
}

/// `delete_conversation` for one conversation.
pub fn delete_conversation(conversation_id: &str, mode: DeleteMode, dialect: Dialect) -> Value {
    let mut p = Map::new();
    p.insert("conversation_id".into(), json!(conversation_id));
    if dialect == Dialect::Current {
        p.insert("softdelete".into(), json!(mode == DeleteMode::Soft));
    }
    envelope("delete_conversation", Value::Object(p))
}

/// Deletes all of a user's conversations (`delete_user_conversations`, or the published
/// reference's `delete_conversation` with the user id in the Legacy dialect).
pub fn delete_user_conversations(user_id: &str, mode: DeleteMode, dialect: Dialect) -> Value {
    match dialect {
        Dialect::Current => {
            envelope("delete_user_conversations", json!({"userId": user_id, "softdelete": mode == DeleteMode::Soft}))
        }
        Dialect::Legacy => envelope("delete_conversation", json!({"conversation_id": user_id})),
    }
}

/// Lists a user's conversations (`get_user_conversations_v2`, or `get_conversations` in the
/// Legacy dialect, which knows no filters). Page and limit travel as strings, as the official
/// client sends them.
pub fn list_conversations(o: &ListOptions, dialect: Dialect) -> Value {
    if dialect == Dialect::Legacy {
        return envelope("get_conversations", json!({"userId": o.user_id}));
    }
    let mut p = Map::new();
    p.insert("userId".into(), json!(o.user_id));
    if let Some(f) = &o.filter {
        p.insert("filter".into(), f.clone());
    }
    if let Some(s) = &o.search {
        p.insert("search".into(), s.clone());
    }
    if o.page.is_some() || o.limit.is_some() {
        let mut pg = Map::new();
        pg.insert("page".into(), json!(o.page.unwrap_or(1).to_string()));
        if let Some(l) = o.limit {
            pg.insert("limit".into(), json!(l.to_string()));
        }
        p.insert("pagination".into(), Value::Object(pg));
    }
    if let Some(k) = &o.api_keys {
        p.insert("apiKeys".into(), json!(k));
    }
    envelope("get_user_conversations_v2", Value::Object(p))
}

fn json_object(v: &Value, key: &str) -> Result<Option<Value>, crate::Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(o @ Value::Object(_)) => Ok(Some(o.clone())),
        Some(_) => Err(crate::Error::InvalidArgument(format!("{key} must be a JSON object"))),
    }
}

fn json_count(v: &Value, key: &str) -> Result<Option<u32>, crate::Error> {
    let bad = || crate::Error::InvalidArgument(format!("{key} must be a positive integer"));
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()).map(Some).ok_or_else(bad),
    }
}

fn json_string(v: &Value, key: &str) -> Result<Option<String>, crate::Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(crate::Error::InvalidArgument(format!("{key} must be a string"))),
    }
}

impl StartOptions {
    /// Reads start options from JSON, the form the C, Python and JavaScript front ends pass:
    /// `{"user_id", "user_basic_info", "metadata", "private_metadata", "user_metadata",
    /// "user_data", "start": "bot-first" | "user-first"}`, every field optional.
    pub fn from_json(v: &Value) -> Result<StartOptions, crate::Error> {
        if !v.is_object() {
            return Err(crate::Error::InvalidArgument("the start options must be a JSON object".into()));
        }
        let mode = match json_string(v, "start")? {
            None => StartMode::BotFirst,
            Some(s) => StartMode::parse(&s).ok_or_else(|| {
                crate::Error::InvalidArgument("the start mode must be \"bot-first\" or \"user-first\"".into())
            })?,
        };
        Ok(StartOptions {
            user_id: json_string(v, "user_id")?,
            user_basic_info: json_object(v, "user_basic_info")?,
            metadata: json_object(v, "metadata")?,
            private_metadata: v.get("private_metadata").filter(|p| !p.is_null()).cloned(),
            user_metadata: json_object(v, "user_metadata")?,
            user_data: json_object(v, "user_data")?,
            mode,
        })
    }
}

impl ListOptions {
    /// Reads listing options from JSON: `{"user_id", "filter", "search", "page", "limit",
    /// "api_keys"}` (page and limit as numbers or numeric strings).
    pub fn from_json(v: &Value) -> Result<ListOptions, crate::Error> {
        if !v.is_object() {
            return Err(crate::Error::InvalidArgument("the list options must be a JSON object".into()));
        }
        let api_keys = match v.get("api_keys") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(
                a.iter()
                    .map(|k| k.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| crate::Error::InvalidArgument("api_keys must be an array of strings".into()))?,
            ),
            Some(_) => return Err(crate::Error::InvalidArgument("api_keys must be an array of strings".into())),
        };
        Ok(ListOptions {
            user_id: json_string(v, "user_id")?.unwrap_or_default(),
            filter: json_object(v, "filter")?,
            search: json_object(v, "search")?,
            page: json_count(v, "page")?,
            limit: json_count(v, "limit")?,
            api_keys,
        })
    }
}

impl OutgoingMessage {
    /// A message from a text and a JSON array of files `[{"url", "type", "filename"}]`.
    pub fn from_parts(text: Option<String>, files: Option<&Value>) -> Result<OutgoingMessage, crate::Error> {
        let files = match files {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|f| {
                    FileRef::from_json(f)
                        .filter(|f| !f.url.is_empty())
                        .ok_or_else(|| crate::Error::InvalidArgument("each file must be an object with a url".into()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(crate::Error::InvalidArgument("files must be a JSON array".into())),
        };
        Ok(OutgoingMessage { text, files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_from_the_front_ends_json() {
        let s = StartOptions::from_json(&json!({"user_id": "u", "metadata": {"a": 1}, "start": "user-first"})).unwrap();
        assert_eq!((s.user_id.as_deref(), s.mode), (Some("u"), StartMode::UserFirst));
        assert!(StartOptions::from_json(&json!({"metadata": [1]})).is_err());
        assert!(StartOptions::from_json(&json!({"start": "sideways"})).is_err());
        let l = ListOptions::from_json(&json!({"user_id": "u", "page": "2", "limit": 5, "api_keys": ["k"]})).unwrap();
        assert_eq!((l.page, l.limit, l.api_keys), (Some(2), Some(5), Some(vec!["k".to_owned()])));
        assert!(ListOptions::from_json(&json!({"page": "two"})).is_err());
        assert!(ListOptions::from_json(&json!({"api_keys": [1]})).is_err());
        let m = OutgoingMessage::from_parts(None, Some(&json!([{"url": "u", "type": "t"}]))).unwrap();
        assert_eq!(m.files[0].url, "u");
        assert!(OutgoingMessage::from_parts(None, Some(&json!([{"type": "t"}]))).is_err());
        assert!(OutgoingMessage::from_parts(None, Some(&json!({"url": "u"}))).is_err());
    }
}
