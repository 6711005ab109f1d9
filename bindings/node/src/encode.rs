//! The form in which a batch of events and call outcomes crosses to JavaScript: a column of
//! numbers (a `Float64Array`), one string holding every text field one after the other, the
//! JSON-shaped fields (metadata, action data, ...) as JavaScript values, and the raw frames of
//! the hub events, kept native and read only when asked for. `lib/events.js` reads it back in
//! the same order ([`Writer`] there is `Reader`); building objects there, from these columns,
//! costs a few property stores per field instead of a call into Node-API each.
//!
//! A batch: `[completions, events, ended]`, then each completion (`slot`, then its outcome),
//! then each event (`tag`, its fields, its route). A text field is its length in UTF-16 code
//! units (the string advances by that much), `-1` for null, or `-2` for "the name of the
//! event's kind" (an event type). A tag is the kind's code (see [`KINDS`]) with the flags
//! [`TO_CLIENT`], [`ROUTE_SAME`], [`ROUTE_OTHER`] and [`RAW`].

use captivate::protocol::{ContentItem, HubEvent, Inbound, RawFrame};
use captivate::{ErrorKind, Event, Routed};
use captivate_binding::BindingError;
use serde_json::{Map, Value};

/// Every kind of event in the order of their codes (`HubEvent::kind` names, then the events
/// the library makes).
pub const KINDS: [&str; 19] = [
    "socket_connected",
    "conversation_started",
    "bot_message",
    "livechat_message",
    "action",
    "conversation_update",
    "error",
    "metadata_updated",
    "metadata",
    "transcript",
    "message_edited",
    "conversation_deleted",
    "user_conversations",
    "unknown",
    "state",
    "discontinuity",
    "malformed",
    "delivery",
    "lagged",
];

/// The client's own listeners get the event.
pub const TO_CLIENT: u32 = 1 << 5;
/// The listeners of the conversation the event names get it.
pub const ROUTE_SAME: u32 = 1 << 6;
/// The listeners of another conversation get it; its id follows the event's fields.
pub const ROUTE_OTHER: u32 = 1 << 7;
/// An event of the raw feed (every frame, before routing).
pub const RAW: u32 = 1 << 8;

/// How a call ended, before it crosses: what each operation resolves to.
#[derive(Debug)]
pub enum Done {
    /// Nothing (`undefined`).
    Unit,
    /// A string: a message id, a conversation id.
    Text(String),
    /// A JSON value: metadata, a transcript, a list of conversations.
    Json(Value),
    /// A hub event (the reply of a request), or nothing.
    Event(Option<Inbound>),
}

/// A batch being written.
pub struct Writer {
    nums: Vec<f64>,
    text: String,
    vals: Vec<Value>,
    raws: Vec<RawFrame>,
    completions: u32,
    events: u32,
    ended: bool,
}

/// A finished batch: what the JavaScript side receives.
pub struct Batch {
    /// The numbers, header first.
    pub nums: Vec<f64>,
    /// Every text field, one after the other.
    pub text: String,
    /// The JSON-shaped fields, in order.
    pub vals: Vec<Value>,
    /// The raw frames of the hub events, in order.
    pub raws: Vec<RawFrame>,
}

fn utf16_len(s: &str) -> usize {
    if s.is_ascii() { s.len() } else { s.encode_utf16().count() }
}

fn code_of(kind: &str) -> u32 {
    KINDS.iter().position(|k| *k == kind).unwrap_or(13) as u32
}

/// `retry_in_ms` as `retryInMs`.
pub fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for ch in key.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.push(ch.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// The object's keys in camelCase (its values as they are).
fn camel_keys(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (camel(&k), v)).collect()),
        other => other,
    }
}

/// The fields of an event's canonical JSON (see `captivate::Event::to_json`) as the
/// JavaScript object has them: camelCase names, down to the typed parts (states, transcript
/// entries, conversation summaries); JSON the hub sent (metadata, data, payload, raw) is kept
/// as sent.
fn js_fields(canonical: Value) -> Value {
    let Value::Object(o) = canonical else { return canonical };
    let mut out = Map::with_capacity(o.len());
    for (k, v) in o {
        let v = match k.as_str() {
            "previous" | "current" => camel_keys(v),
            "entries" | "conversations" => match v {
                Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
                other => other,
            },
            _ => v,
        };
        out.insert(camel(&k), v);
    }
    Value::Object(out)
}

/// A transcript as `getTranscript` resolves to it: its entries, with camelCase names.
pub fn transcript_js(t: &captivate::Transcript) -> Value {
    Value::Array(t.entries.iter().map(|e| camel_keys(e.to_json())).collect())
}

/// A conversation list as JavaScript reads it.
pub fn list_js(l: &captivate::ConversationList) -> Value {
    js_fields(l.to_json())
}

/// A connection state as JavaScript reads it: `{state, attempt?, retryInMs?, socketId?}`.
pub fn state_js(s: &captivate::ConnectionState) -> Value {
    camel_keys(s.to_json())
}

impl Default for Writer {
    fn default() -> Self {
        // The header (completions, events, ended) is filled in by `finish`.
        Writer {
            nums: vec![0.0; 3],
            text: String::new(),
            vals: Vec::new(),
            raws: Vec::new(),
            completions: 0,
            events: 0,
            ended: false,
        }
    }
}

impl Writer {
    fn num(&mut self, n: f64) {
        self.nums.push(n);
    }

    fn str(&mut self, s: &str) {
        self.nums.push(utf16_len(s) as f64);
        self.text.push_str(s);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.num(-1.0),
        }
    }

    fn val(&mut self, v: Value) {
        self.vals.push(v);
    }

    /// Marks the feed as ended (nothing more will come).
    pub fn end(&mut self) {
        self.ended = true;
    }

    /// The number of events written.
    pub fn events(&self) -> u32 {
        self.events
    }

    /// The outcome of the call in `slot`.
    pub fn completion(&mut self, slot: u32, outcome: Result<Done, BindingError>) {
        self.completions += 1;
        self.num(f64::from(slot));
        match outcome {
            Ok(Done::Unit) | Ok(Done::Event(None)) => self.num(0.0),
            Ok(Done::Text(s)) => {
                self.num(1.0);
                self.str(&s);
            }
            Ok(Done::Json(v)) => {
                self.num(2.0);
                self.val(v);
            }
            Ok(Done::Event(Some(inbound))) => {
                self.num(3.0);
                self.hub(0, inbound);
            }
            Err(e) => {
                self.num(4.0);
                let index = ErrorKind::ALL.iter().position(|k| *k == e.kind).unwrap_or(ErrorKind::ALL.len() - 1);
                self.num(index as f64);
                self.str(&e.message);
                self.val(e.details);
            }
        }
    }

    /// An event of the client's ordered feed, with its route.
    pub fn routed(&mut self, r: Routed) {
        self.events += 1;
        let mut flags = if r.to_client { TO_CLIENT } else { 0 };
        let other = match r.conversation_id {
            Some(c) if Some(c.as_str()) == r.event.conversation_id() => {
                flags |= ROUTE_SAME;
                None
            }
            Some(c) => {
                flags |= ROUTE_OTHER;
                Some(c)
            }
            None => None,
        };
        self.event(flags, r.event);
        if let Some(c) = other {
            self.str(&c);
        }
    }

    /// An event of the raw feed.
    pub fn raw(&mut self, e: Event) {
        self.events += 1;
        self.event(RAW, e);
    }

    fn event(&mut self, flags: u32, e: Event) {
        match e {
            Event::Hub(inbound) => self.hub(flags, inbound),
            other => {
                self.num(f64::from(code_of(other.kind()) | flags));
                let mut fields = other.to_json();
                if let Some(o) = fields.as_object_mut() {
                    o.remove("kind");
                }
                self.val(js_fields(fields));
            }
        }
    }

    fn hub(&mut self, flags: u32, inbound: Inbound) {
        let kind = inbound.body.kind();
        self.num(f64::from(code_of(kind) | flags));
        if inbound.event_type == kind {
            self.num(-2.0);
        } else {
            self.str(&inbound.event_type);
        }
        self.opt_str(inbound.event_id.as_deref());
        self.opt_str(inbound.conversation_id.as_deref());
        match &inbound.body {
            HubEvent::BotMessage(m) | HubEvent::LivechatMessage(m) => {
                self.opt_str(m.message_id.as_deref());
                let texts = m.content.iter().filter(|i| i.text().is_some()).count();
                // One text item: the message's text is that item's (written once).
                let single = texts == 1;
                if single {
                    self.opt_str(m.content.iter().find_map(ContentItem::text));
                } else {
                    self.opt_str(m.text().as_deref());
                }
                self.num(f64::from(u8::from(m.fetched_from_link) | (u8::from(m.recovered) << 1)));
                self.num(m.content.len() as f64);
                for item in &m.content {
                    match item {
                        ContentItem::Text { .. } if single => self.num(0.0),
                        ContentItem::Text { text } => {
                            self.num(1.0);
                            self.str(text);
                        }
                        other => {
                            self.num(2.0);
                            self.val(other.to_json());
                        }
                    }
                }
            }
            HubEvent::SocketConnected { socket_id } => self.str(socket_id),
            HubEvent::ConversationStarted | HubEvent::MetadataUpdated => {}
            _ => {
                // The rarer kinds: their canonical fields, without the envelope and the raw
                // frame (which stays native).
                let bare = Inbound { raw: RawFrame::from_value(Value::Null), ..inbound.clone() };
                let mut fields = bare.to_json();
                if let Some(o) = fields.as_object_mut() {
                    for k in ["kind", "event_type", "event_id", "conversation_id", "raw"] {
                        o.remove(k);
                    }
                }
                self.val(js_fields(fields));
            }
        }
        self.raws.push(inbound.raw);
    }

    /// The finished batch.
    pub fn finish(mut self) -> Batch {
        self.nums[0] = f64::from(self.completions);
        self.nums[1] = f64::from(self.events);
        self.nums[2] = if self.ended { 1.0 } else { 0.0 };
        Batch { nums: self.nums, text: self.text, vals: self.vals, raws: self.raws }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_camel_case_and_every_kind_has_its_code() {
        assert_eq!(camel("retry_in_ms"), "retryInMs");
        assert_eq!(camel("state"), "state");
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(code_of(k) as usize, i);
        }
        assert!(KINDS.len() < 32, "codes fit below the flags");
    }

    #[test]
    fn text_fields_count_utf16_units() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("é"), 1);
        assert_eq!(utf16_len("😀"), 2);
    }
}
