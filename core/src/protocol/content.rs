//! Content items carried by bot, live-chat and user messages.

use serde_json::{Map, Value, json};

use super::str_field;

/// One item of a message's `content` array.
///
/// The hub sends `text`, `buttons` (sometimes spelled `button`), `cards` and `files` items;
/// any other item is kept untouched in [`ContentItem::Unknown`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ContentItem {
    /// A plain text item.
    Text {
        /// The text.
        text: String,
    },
    /// A set of buttons the user may choose from.
    Buttons(Buttons),
    /// Cards; their shape is not specified by the protocol, so they are kept as JSON.
    Cards {
        /// The `cards` value as sent by the hub.
        cards: Value,
    },
    /// File attachments.
    Files {
        /// The files.
        files: Vec<FileRef>,
    },
    /// An item of a type this library does not know, kept as the hub sent it.
    Unknown {
        /// The item's `type`, when it has one.
        item_type: Option<String>,
        /// The whole item.
        raw: Value,
    },
}

/// Buttons offered by the bot.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Buttons {
    /// The prompt shown above the buttons.
    pub title: Option<String>,
    /// The choices.
    pub options: Vec<ButtonOption>,
}

/// One button: what to show and what to send back when chosen.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ButtonOption {
    /// What the user sees.
    pub label: String,
    /// What to send as the user's message when the button is chosen.
    pub value: String,
}

/// A file attached to a message.
///
/// Files from live agents carry a `url`; files uploaded through the file-to-text service
/// carry `storage` (a presigned link that expires) and `text_content` (the text extracted from
/// them), and no `url` unless one was given. Any other field is kept in `extra`, so that a
/// file object passed back to the hub loses nothing.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FileRef {
    /// Where the file can be downloaded; empty when it has no plain URL (a stored upload).
    pub url: String,
    /// Its MIME type (from `type`, or `mimetype` in live-chat messages), when given.
    pub mime_type: Option<String>,
    /// Its file name, when given (live-chat files may carry `null`).
    pub filename: Option<String>,
    /// Where the file-to-text service stores it, when it does.
    pub storage: Option<FileStorage>,
    /// The text extracted from it (`{"type": "file_content", "text", "metadata"}`), when given.
    pub text_content: Option<Value>,
    /// Any other field, as given.
    pub extra: Map<String, Value>,
}

/// Where the file-to-text service keeps an uploaded file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FileStorage {
    /// The file's key in the store.
    pub file_key: String,
    /// A link to the file that works until `expires_in`.
    pub presigned_url: Option<String>,
    /// When the link expires, in unix seconds.
    pub expires_in: Option<i64>,
    /// The file's size in bytes.
    pub file_size: Option<u64>,
    /// How long the service took, as it reports it.
    pub processing_time: Option<Value>,
}

impl FileStorage {
    fn from_json(v: &Value) -> Option<FileStorage> {
        let o = v.as_object()?;
        Some(FileStorage {
            file_key: str_field(o, "fileKey")?,
            presigned_url: str_field(o, "presignedUrl"),
            expires_in: o.get("expiresIn").and_then(|e| e.as_i64().or_else(|| e.as_str()?.trim().parse().ok())),
            file_size: o.get("fileSize").and_then(Value::as_u64),
            processing_time: o.get("processingTime").cloned(),
        })
    }

    /// The JSON form the hub and the official client use.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("fileKey".into(), json!(self.file_key));
        if let Some(u) = &self.presigned_url {
            o.insert("presignedUrl".into(), json!(u));
        }
        if let Some(e) = self.expires_in {
            o.insert("expiresIn".into(), json!(e));
        }
        if let Some(s) = self.file_size {
            o.insert("fileSize".into(), json!(s));
        }
        if let Some(p) = &self.processing_time {
            o.insert("processingTime".into(), p.clone());
        }
        Value::Object(o)
    }
}

impl FileRef {
    /// A file with a URL, a MIME type and a file name.
    pub fn new(url: impl Into<String>, mime_type: impl Into<String>, filename: impl Into<String>) -> Self {
        FileRef {
            url: url.into(),
            mime_type: Some(mime_type.into()),
            filename: Some(filename.into()),
            ..Default::default()
        }
    }

    /// Decodes a file object leniently.
    pub fn from_json(v: &Value) -> Option<FileRef> {
        let o = v.as_object()?;
        let known = ["url", "type", "mimetype", "filename", "name", "storage", "textContent"];
        Some(FileRef {
            url: str_field(o, "url").unwrap_or_default(),
            mime_type: str_field(o, "type").or_else(|| str_field(o, "mimetype")),
            filename: str_field(o, "filename").or_else(|| str_field(o, "name")),
            storage: o.get("storage").and_then(FileStorage::from_json),
            text_content: o.get("textContent").filter(|t| !t.is_null()).cloned(),
            extra: o
                .iter()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    /// True when the hub can reach the file: it has a URL or is stored by the file service.
    pub fn is_reachable(&self) -> bool {
        !self.url.trim().is_empty() || self.storage.is_some()
    }

    /// The link to download the file: its URL, or its presigned storage link.
    pub fn link(&self) -> Option<&str> {
        if !self.url.is_empty() {
            return Some(&self.url);
        }
        self.storage.as_ref().and_then(|s| s.presigned_url.as_deref())
    }

    /// The JSON object a message carries: `{filename, type, url?, storage?, textContent?}`
    /// (and any other field it came with).
    pub fn to_json(&self) -> Value {
        let mut o = self.extra.clone();
        if let Some(f) = &self.filename {
            o.insert("filename".into(), json!(f));
        }
        if let Some(t) = &self.mime_type {
            o.insert("type".into(), json!(t));
        }
        if !self.url.is_empty() {
            o.insert("url".into(), json!(self.url));
        }
        if let Some(s) = &self.storage {
            o.insert("storage".into(), s.to_json());
        }
        if let Some(t) = &self.text_content {
            o.insert("textContent".into(), t.clone());
        }
        Value::Object(o)
    }
}

fn files_of(v: Option<&Value>) -> Vec<FileRef> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(FileRef::from_json).collect(),
        Some(o @ Value::Object(_)) => FileRef::from_json(o).into_iter().collect(),
        _ => Vec::new(),
    }
}

fn buttons_of(v: Option<&Value>) -> Option<Buttons> {
    let v = v?;
    // Either {title, options: [...]} or a bare array of options.
    let (title, options) = match v {
        Value::Object(o) => (str_field(o, "title"), o.get("options")),
        Value::Array(_) => (None, Some(v)),
        _ => return None,
    };
    let options = options
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|opt| match opt {
                    Value::Object(o) => {
                        let label = str_field(o, "label").or_else(|| str_field(o, "value"))?;
                        let value = str_field(o, "value").unwrap_or_else(|| label.clone());
                        Some(ButtonOption { label, value })
                    }
                    Value::String(s) => Some(ButtonOption { label: s.clone(), value: s.clone() }),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Buttons { title, options })
}

impl ContentItem {
    /// Decodes one content item leniently; it never fails (unknown shapes become
    /// [`ContentItem::Unknown`]).
    pub fn from_json(v: &Value) -> ContentItem {
        let unknown = || ContentItem::Unknown {
            item_type: v.get("type").and_then(Value::as_str).map(str::to_owned),
            raw: v.clone(),
        };
        let Some(o) = v.as_object() else {
            if let Value::String(s) = v {
                return ContentItem::Text { text: s.clone() };
            }
            return unknown();
        };
        let ty = o.get("type").and_then(Value::as_str).map(str::trim);
        match ty {
            Some("text") | None if o.get("text").is_some_and(Value::is_string) && !o.contains_key("files") => {
                ContentItem::Text { text: str_field(o, "text").unwrap_or_default() }
            }
            Some("buttons") | Some("button") => match buttons_of(o.get("buttons").or_else(|| o.get("button"))) {
                Some(b) => ContentItem::Buttons(b),
                None => unknown(),
            },
            Some("cards") | Some("card") => {
                ContentItem::Cards { cards: o.get("cards").or_else(|| o.get("card")).cloned().unwrap_or(Value::Null) }
            }
            Some("files") | Some("file") => {
                ContentItem::Files { files: files_of(o.get("files").or_else(|| o.get("file"))) }
            }
            None if o.contains_key("files") => ContentItem::Files { files: files_of(o.get("files")) },
            None if o.contains_key("buttons") => match buttons_of(o.get("buttons")) {
                Some(b) => ContentItem::Buttons(b),
                None => unknown(),
            },
            _ => unknown(),
        }
    }

    /// Decodes a `content` value: an array of items, a single item, or a bare string.
    pub fn list_from_json(v: Option<&Value>) -> Vec<ContentItem> {
        let mut items = Vec::new();
        match v {
            Some(Value::Array(a)) => {
                items.reserve(a.len());
                for item in a {
                    ContentItem::push_from_json(item, &mut items);
                }
            }
            Some(Value::Null) | None => {}
            Some(other) => ContentItem::push_from_json(other, &mut items),
        }
        items
    }

    /// Decodes one element of a `content` list into `out`: one item, except for a message
    /// sent as `{text, files}` (the official client's shape for text with files, with no
    /// `type` or with `type: "text"`), which is a text item followed by a files item, so that
    /// neither the text nor the files are lost.
    pub fn push_from_json(v: &Value, out: &mut Vec<ContentItem>) {
        match ContentItem::text_and_files(v) {
            Some((text, files)) => {
                out.push(text);
                out.push(files);
            }
            None => out.push(ContentItem::from_json(v)),
        }
    }

    /// The two items of a `{text, files}` element, if it is one.
    pub(crate) fn text_and_files(v: &Value) -> Option<(ContentItem, ContentItem)> {
        let o = v.as_object()?;
        let plain = match o.get("type") {
            None => true,
            Some(Value::String(t)) => t.trim() == "text",
            Some(_) => false,
        };
        let text = o.get("text")?.as_str()?;
        if !plain || !o.contains_key("files") {
            return None;
        }
        Some((ContentItem::Text { text: text.to_owned() }, ContentItem::Files { files: files_of(o.get("files")) }))
    }

    /// The item's text, for text items.
    pub fn text(&self) -> Option<&str> {
        match self {
            ContentItem::Text { text } => Some(text),
            _ => None,
        }
    }

    /// The item's kind as the protocol names it: `text`, `buttons`, `cards`, `files`, or the
    /// unknown item's own type (`unknown` when it has none).
    pub fn kind(&self) -> &str {
        match self {
            ContentItem::Text { .. } => "text",
            ContentItem::Buttons(_) => "buttons",
            ContentItem::Cards { .. } => "cards",
            ContentItem::Files { .. } => "files",
            ContentItem::Unknown { item_type, .. } => item_type.as_deref().unwrap_or("unknown"),
        }
    }

    /// A normalised JSON form of the item (`{"type": "buttons", "buttons": {...}}`, ...);
    /// unknown items are returned as the hub sent them.
    pub fn to_json(&self) -> Value {
        match self {
            ContentItem::Text { text } => json!({"type": "text", "text": text}),
            ContentItem::Buttons(b) => json!({
                "type": "buttons",
                "buttons": {
                    "title": b.title,
                    "options": b.options.iter().map(|o| json!({"label": o.label, "value": o.value})).collect::<Vec<_>>(),
                }
            }),
            ContentItem::Cards { cards } => json!({"type": "cards", "cards": cards}),
            ContentItem::Files { files } => {
                json!({"type": "files", "files": files.iter().map(FileRef::to_json).collect::<Vec<_>>()})
            }
            ContentItem::Unknown { raw, .. } => raw.clone(),
        }
    }
}

/// Joins the text items of a content list with newlines; `None` when there is no text item.
pub fn joined_text(items: &[ContentItem]) -> Option<String> {
    let mut texts = items.iter().filter_map(ContentItem::text);
    let mut joined = texts.next()?.to_owned();
    for t in texts {
        joined.push('\n');
        joined.push_str(t);
    }
    Some(joined)
}
