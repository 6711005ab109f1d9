//! Frames the client sends, and the options of the calls that send them.
//!
//! Every function here returns the complete envelope
//! `{"action": "sendMessage", "event": {"event_type": ..., "event_payload": {...}}}`.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use super::content::FileRef;
use super::scan::Reader;

/// Which names the client uses for operations the hub has renamed over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Dialect {
    /// The names of the current official client: `get_user_conversations` (and its `_v2` with
    /// filters, search, paging or API keys), `delete_user_conversations`, and an explicit
    /// `softdelete` flag on deletes.
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

    /// The `content` object: `{type: "text", text}` for text alone, `{text, files}` with
    /// files, `{files}` for files alone.
    pub fn content(&self) -> Value {
        serde_json::to_value(Content::of(self)).unwrap_or_default()
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

#[derive(Serialize)]
struct Envelope<'a, P> {
    action: &'static str,
    event: EnvelopeEvent<'a, P>,
}

#[derive(Serialize)]
struct EnvelopeEvent<'a, P> {
    event_type: &'a str,
    event_payload: P,
}

/// Frames up to this size are encoded in a buffer kept per thread; a larger one's buffer is
/// let go after use.
const SCRATCH_KEPT: usize = 64 * 1024;

/// Encodes an event in the client envelope, straight to the text that is written: serialized
/// into a buffer kept per thread, then copied once into a string of its exact size (no growth
/// on the way, and the socket takes the string as it is).
fn encode<P: Serialize>(event_type: &str, payload: P) -> String {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let envelope = Envelope { action: "sendMessage", event: EnvelopeEvent { event_type, event_payload: payload } };
    let encode_into = |buf: &mut Vec<u8>| {
        buf.clear();
        // Plain structs, strings and JSON values: serialization cannot fail, and JSON is UTF-8.
        let text = match serde_json::to_writer(&mut *buf, &envelope) {
            Ok(()) => std::str::from_utf8(buf).map(str::to_owned).unwrap_or_default(),
            Err(_) => String::new(),
        };
        if buf.capacity() > SCRATCH_KEPT {
            *buf = Vec::new();
        }
        text
    };
    // A thread whose buffer is gone (being torn down) or in use encodes into a new one.
    SCRATCH
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => encode_into(&mut buf),
            Err(_) => encode_into(&mut Vec::new()),
        })
        .unwrap_or_else(|_| encode_into(&mut Vec::new()))
}

/// Wraps a payload in the client envelope.
pub fn envelope(event_type: &str, payload: Value) -> String {
    encode(event_type, payload)
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Start<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_basic_info: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_metadata: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_data: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
}

/// `conversation_start`.
pub fn conversation_start(o: &StartOptions) -> String {
    encode(
        "conversation_start",
        Start {
            user_id: o.user_id.as_deref(),
            user_basic_info: o.user_basic_info.as_ref(),
            user_metadata: o.user_metadata.as_ref(),
            user_data: o.user_data.as_ref(),
            metadata: with_private(o.metadata.as_ref(), o.private_metadata.as_ref()),
        },
    )
}

/// A message's `content`: `{type: "text", text}` for text alone, `{text, files}` with files
/// (as the official client and the published example send it), `{files}` for files alone.
#[derive(Serialize)]
struct Content<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<Vec<Value>>,
}

impl<'a> Content<'a> {
    fn of(msg: &'a OutgoingMessage) -> Self {
        let files =
            (!msg.files.is_empty() || msg.text.is_none()).then(|| msg.files.iter().map(FileRef::to_json).collect());
        Content { kind: (msg.text.is_some() && files.is_none()).then_some("text"), text: msg.text.as_deref(), files }
    }
}

#[derive(Serialize)]
struct UserMessage<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    client_msg_id: &'a str,
    conversation_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
    content: Content<'a>,
}

/// `user_message`.
pub fn user_message(conversation_id: &str, client_msg_id: &str, msg: &OutgoingMessage) -> String {
    if let (Some(text), true) = (&msg.text, msg.files.is_empty()) {
        return super::text_frame::user_message(conversation_id, client_msg_id, text);
    }
    serialized_user_message(conversation_id, client_msg_id, msg)
}

/// `user_message` with `text` alone.
pub(crate) fn text_message(conversation_id: &str, client_msg_id: &str, text: &str) -> String {
    super::text_frame::user_message(conversation_id, client_msg_id, text)
}

/// The length of [`text_message`], without writing it.
pub(crate) fn text_message_len(conversation_id: &str, client_msg_id: &str, text: &str) -> usize {
    super::text_frame::user_message_len(conversation_id, client_msg_id, text)
}

/// `user_message` through the serializer.
fn serialized_user_message(conversation_id: &str, client_msg_id: &str, msg: &OutgoingMessage) -> String {
    let payload = UserMessage {
        kind: "message_create",
        client_msg_id,
        conversation_id,
        message_id: None,
        content: Content::of(msg),
    };
    encode("user_message", payload)
}

#[derive(Serialize)]
struct Metadata<'a> {
    metadata: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'static str>,
    client_msg_id: &'a str,
    conversation_id: &'a str,
}

/// `metadata`.
pub fn metadata(
    conversation_id: &str,
    client_msg_id: &str,
    metadata: &Value,
    target: Option<MetadataTarget>,
) -> String {
    encode(
        "metadata",
        Metadata { metadata, target: target.map(MetadataTarget::as_str), client_msg_id, conversation_id },
    )
}

#[derive(Serialize)]
struct ConversationOnly<'a> {
    conversation_id: &'a str,
}

/// `metadata_request`.
pub fn metadata_request(conversation_id: &str) -> String {
    encode("metadata_request", ConversationOnly { conversation_id })
}

#[derive(Serialize)]
struct ActionPayload<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
    data: &'a Value,
    conversation_id: &'a str,
}

/// `action`.
pub fn action(conversation_id: &str, id: &str, data: &Value, action_type: &str) -> String {
    encode("action", ActionPayload { kind: action_type, id, data, conversation_id })
}

/// `conversation_transcript_request`.
pub fn transcript_request(conversation_id: &str) -> String {
    encode("conversation_transcript_request", ConversationOnly { conversation_id })
}

/// `edit_message`.
pub fn edit_message(conversation_id: &str, client_msg_id: &str, message_id: &str, msg: &OutgoingMessage) -> String {
    let payload = UserMessage {
        kind: "message_create",
        client_msg_id,
        conversation_id,
        message_id: Some(message_id),
        content: Content::of(msg),
    };
    encode("edit_message", payload)
}

#[derive(Serialize)]
struct Delete<'a> {
    #[serde(rename = "userId", skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    softdelete: Option<bool>,
}

/// `delete_conversation` for one conversation.
pub fn delete_conversation(conversation_id: &str, mode: DeleteMode, dialect: Dialect) -> String {
    let softdelete = (dialect == Dialect::Current).then_some(mode == DeleteMode::Soft);
    encode("delete_conversation", Delete { user_id: None, conversation_id: Some(conversation_id), softdelete })
}

/// Deletes all of a user's conversations (`delete_user_conversations`, or the published
/// reference's `delete_conversation` with the user id in the Legacy dialect).
pub fn delete_user_conversations(user_id: &str, mode: DeleteMode, dialect: Dialect) -> String {
    match dialect {
        Dialect::Current => encode(
            "delete_user_conversations",
            Delete { user_id: Some(user_id), conversation_id: None, softdelete: Some(mode == DeleteMode::Soft) },
        ),
        Dialect::Legacy => {
            encode("delete_conversation", Delete { user_id: None, conversation_id: Some(user_id), softdelete: None })
        }
    }
}

#[derive(Serialize)]
struct Page {
    page: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct List<'a> {
    user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    search: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pagination: Option<Page>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_keys: Option<&'a [String]>,
}

/// Lists a user's conversations as the official client does: `get_user_conversations` for a
/// plain user id, `get_user_conversations_v2` with a filter, search, paging or API keys (or
/// `get_conversations` in the Legacy dialect, which knows no filters). Page and limit travel
/// as strings, as the official client sends them.
pub fn list_conversations(o: &ListOptions, dialect: Dialect) -> String {
    let plain = List { user_id: &o.user_id, filter: None, search: None, pagination: None, api_keys: None };
    if dialect == Dialect::Legacy {
        return encode("get_conversations", plain);
    }
    if o.is_plain() {
        return encode("get_user_conversations", plain);
    }
    let pagination = (o.page.is_some() || o.limit.is_some())
        .then(|| Page { page: o.page.unwrap_or(1).to_string(), limit: o.limit.map(|l| l.to_string()) });
    let payload = List {
        user_id: &o.user_id,
        filter: o.filter.as_ref(),
        search: o.search.as_ref(),
        pagination,
        api_keys: o.api_keys.as_deref(),
    };
    encode("get_user_conversations_v2", payload)
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
    /// A message from a text and a JSON array of file objects (`{"url", "type", "filename"}`,
    /// or the objects an upload returns, with `storage` and `textContent`).
    pub fn from_parts(text: Option<String>, files: Option<&Value>) -> Result<OutgoingMessage, crate::Error> {
        let files = match files {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|f| {
                    FileRef::from_json(f).filter(FileRef::is_reachable).ok_or_else(|| {
                        crate::Error::InvalidArgument(
                            "each file must be an object with a url or the storage of an upload".into(),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(crate::Error::InvalidArgument("files must be a JSON array".into())),
        };
        Ok(OutgoingMessage { text, files })
    }
}

/// The conversation a client frame names (`event.event_payload.conversation_id`), read without
/// a full parse: the members before it are skipped, the content after it is not read (a text
/// message is read as far as its third field). `None` when the frame is not a client envelope
/// naming a conversation.
pub(crate) fn frame_conversation(frame: &str) -> Option<Cow<'_, str>> {
    if let Some(c) = super::text_frame::conversation_of(frame) {
        return Some(Cow::Borrowed(c));
    }
    frame_payload_string(frame, "conversation_id")
}

/// The string member `name` of a client frame's payload (`event.event_payload.<name>`), read
/// without a full parse: the members before it are skipped, those after it are not read.
/// `None` when the frame is not a client envelope with such a string.
pub(crate) fn frame_payload_string<'a>(frame: &'a str, name: &str) -> Option<Cow<'a, str>> {
    let mut r = Reader::new(frame);
    for key in ["event", "event_payload", name] {
        if !r.open_object()? {
            return None;
        }
        loop {
            if r.key()? == key {
                break;
            }
            r.skip_value(1)?;
            if !r.more(b'}')? {
                return None;
            }
        }
    }
    r.string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_text_message_is_written_as_the_serializer_writes_it() {
        for text in ["", "hi", "a \"b\" \\ c\n\u{1}", "é 🎉 \u{2028}", "eight by"] {
            for (conversation, id) in [("c-1", "4b1c0f0e-5f7e-4f59-9a43-0d0c1b2a3f4e"), ("we\"ird\\\t", "")] {
                let message = OutgoingMessage::text(text);
                assert_eq!(
                    user_message(conversation, id, &message),
                    serialized_user_message(conversation, id, &message),
                    "{text:?} {conversation:?} {id:?}"
                );
            }
        }
    }

    #[test]
    fn the_conversation_a_frame_names_is_read_where_the_payload_has_it() {
        let data = json!({"conversation_id": "inner", "list": [1, {"x": "}"}]});
        let message = OutgoingMessage::text("\"conversation_id\":\"not this\"");
        for (frame, want) in [
            (user_message("c-1", "m", &message), Some("c-1")),
            (text_message("c \"2\"", "m", "hi"), Some("c \"2\"")),
            (action("c-3", "go", &data, "normal"), Some("c-3")),
            (metadata_request("c-4"), Some("c-4")),
            (envelope("ping_me", json!({"nested": {"conversation_id": "no"}})), None),
            ("{}".to_owned(), None),
            ("not json".to_owned(), None),
        ] {
            assert_eq!(frame_conversation(&frame).as_deref(), want, "{frame}");
        }
    }

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
