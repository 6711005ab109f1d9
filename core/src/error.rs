//! The one error type of the library, with a stable [`ErrorKind`].

use crate::protocol::{ErrorCode, HubError};

/// What went wrong, in a form that is stable across versions and maps one-to-one onto the
/// C result codes and the Python and JavaScript error classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument was not acceptable (empty id, bad URL, TTL not in 1/7/30/90, ...).
    InvalidArgument,
    /// The hub refused the API key at the handshake.
    Rejected,
    /// The connection could not be made (DNS, TCP, TLS, WebSocket handshake).
    Connect,
    /// The reply did not come in time.
    Timeout,
    /// The connection was lost before the call completed.
    ConnectionLost,
    /// A message was written to a connection that died before it proved alive again; the hub
    /// may or may not have received it.
    PossiblyNotDelivered,
    /// The hub answered with a `general_error`.
    Hub,
    /// The offline queue is full.
    QueueFull,
    /// The client is closed (or closing).
    Closed,
    /// The client gave up reconnecting, or was refused for good.
    Failed,
    /// A frame exceeds the configured maximum size.
    FrameTooLarge,
    /// The hub sent something that is not the protocol.
    Protocol,
    /// Fetching a large message over HTTP failed. Reserved: no call returns it in this
    /// version, because a failed fetch delivers the hub's 413 `general_error` event (with its
    /// `message_link`) in the message's place, so nothing is lost.
    Http,
    /// A bug in this library.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order of their C result codes.
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Rejected,
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::ConnectionLost,
        ErrorKind::PossiblyNotDelivered,
        ErrorKind::Hub,
        ErrorKind::QueueFull,
        ErrorKind::Closed,
        ErrorKind::Failed,
        ErrorKind::FrameTooLarge,
        ErrorKind::Protocol,
        ErrorKind::Http,
        ErrorKind::Internal,
    ];

    /// A stable snake_case name, e.g. `timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ConnectionLost => "connection_lost",
            ErrorKind::PossiblyNotDelivered => "possibly_not_delivered",
            ErrorKind::Hub => "hub",
            ErrorKind::QueueFull => "queue_full",
            ErrorKind::Closed => "closed",
            ErrorKind::Failed => "failed",
            ErrorKind::FrameTooLarge => "frame_too_large",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Http => "http",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of this library. Its messages never contain the API key.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// See [`ErrorKind::InvalidArgument`].
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// See [`ErrorKind::Rejected`].
    #[error("the hub rejected the API key (HTTP {status})")]
    Rejected {
        /// The HTTP status of the refused handshake (401 or 403).
        status: u16,
    },
    /// See [`ErrorKind::Connect`].
    #[error("could not connect: {0}")]
    Connect(String),
    /// See [`ErrorKind::Timeout`].
    #[error("{operation} timed out after {millis} ms")]
    Timeout {
        /// What timed out, e.g. `metadata_request` or `connect`.
        operation: String,
        /// The limit that was exceeded.
        millis: u64,
    },
    /// A message not proven delivered within the request timeout, with at-least-once delivery
    /// (kind [`ErrorKind::Timeout`]): it stays in the resend set, is written again once if the
    /// connection turns out dead, and an [`crate::Event::Delivery`] report on its conversation
    /// tells later whether the hub read it.
    #[error(
        "message {client_msg_id} was not confirmed within {millis} ms; it is kept and resent once after a reconnect, and a delivery event will tell its outcome"
    )]
    Unconfirmed {
        /// The message's id.
        client_msg_id: String,
        /// The request timeout that passed.
        millis: u64,
    },
    /// See [`ErrorKind::ConnectionLost`].
    #[error("the connection was lost before the reply arrived")]
    ConnectionLost,
    /// See [`ErrorKind::PossiblyNotDelivered`].
    #[error("message {client_msg_id} may not have reached the hub: the connection dropped right after it was sent")]
    PossiblyNotDelivered {
        /// The message's id, to recognise it in the transcript.
        client_msg_id: String,
    },
    /// See [`ErrorKind::Hub`].
    #[error("hub error {}: {description}", code.as_ref().map(ToString::to_string).unwrap_or_else(|| "(no code)".into()))]
    Hub {
        /// The hub's error code.
        code: Option<ErrorCode>,
        /// The hub's description.
        description: String,
        /// The conversation it concerns, when named.
        conversation_id: Option<String>,
    },
    /// See [`ErrorKind::QueueFull`].
    #[error("the offline queue is full ({0})")]
    QueueFull(String),
    /// See [`ErrorKind::Closed`].
    #[error("the client is closed")]
    Closed,
    /// See [`ErrorKind::Failed`].
    #[error("the connection failed for good: {0}")]
    Failed(String),
    /// See [`ErrorKind::FrameTooLarge`].
    #[error("frame of {size} bytes exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// The frame's size.
        size: usize,
        /// The configured maximum.
        max: usize,
    },
    /// See [`ErrorKind::Protocol`].
    #[error("protocol error: {0}")]
    Protocol(String),
    /// See [`ErrorKind::Http`].
    #[error("HTTP error: {0}")]
    Http(String),
    /// See [`ErrorKind::Internal`].
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::Rejected { .. } => ErrorKind::Rejected,
            Error::Connect(_) => ErrorKind::Connect,
            Error::Timeout { .. } | Error::Unconfirmed { .. } => ErrorKind::Timeout,
            Error::ConnectionLost => ErrorKind::ConnectionLost,
            Error::PossiblyNotDelivered { .. } => ErrorKind::PossiblyNotDelivered,
            Error::Hub { .. } => ErrorKind::Hub,
            Error::QueueFull(_) => ErrorKind::QueueFull,
            Error::Closed => ErrorKind::Closed,
            Error::Failed(_) => ErrorKind::Failed,
            Error::FrameTooLarge { .. } => ErrorKind::FrameTooLarge,
            Error::Protocol(_) => ErrorKind::Protocol,
            Error::Http(_) => ErrorKind::Http,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The fields of this error beyond its kind and message, as JSON (the front ends use it):
    /// `{code, description, conversation_id}` for hub errors, `{client_msg_id}`, `{status}`,
    /// `{operation, millis}`, or `{}`.
    pub fn details(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Error::Hub { code, description, conversation_id } => json!({
                "code": code.as_ref().map(|c| match c.as_number() { Some(n) => json!(n), None => json!(c.to_string()) }),
                "description": description,
                "conversation_id": conversation_id,
            }),
            Error::PossiblyNotDelivered { client_msg_id } => json!({ "client_msg_id": client_msg_id }),
            Error::Rejected { status } => json!({ "status": status }),
            Error::Timeout { operation, millis } => json!({ "operation": operation, "millis": millis }),
            Error::Unconfirmed { client_msg_id, millis } => {
                json!({ "operation": "user_message", "millis": millis, "client_msg_id": client_msg_id, "unconfirmed": true })
            }
            _ => json!({}),
        }
    }

    pub(crate) fn from_hub(e: &HubError, conversation_id: Option<String>) -> Error {
        Error::Hub { code: e.code.clone(), description: e.description.clone(), conversation_id }
    }

    pub(crate) fn timeout(operation: &str, d: std::time::Duration) -> Error {
        Error::Timeout { operation: operation.to_owned(), millis: d.as_millis() as u64 }
    }
}

/// The result type of this library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What stands in for a key removed from a text.
const REDACTED: &str = "[redacted]";

/// The names whose values [`redact`] removes wherever they appear (compared without case):
/// the `apiKey` query parameter and the `x-api-key` header.
const KEY_NAMES: [&str; 2] = ["apikey", "x-api-key"];

/// Removes the API key from a text, so that URLs, frames and transport errors can be shown
/// safely: `api_key` in every form it can take there (as is, percent-encoded with either case
/// of hex digits, or any mix of the two, as a URL path encodes it segment by segment), and the
/// value of every `apiKey=` query parameter and `x-api-key` header, whatever their case, so
/// that a key not known here is removed too.
pub fn redact(text: &str, api_key: &str) -> String {
    redact_keys(text, [api_key])
}

/// [`redact`] with several keys: each is removed whole before any key value is.
pub fn redact_keys<'a>(text: &str, api_keys: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = text.to_owned();
    for key in api_keys.into_iter().filter(|k| !k.is_empty()) {
        out = replace_encoded(&out, key.as_bytes());
    }
    for name in KEY_NAMES {
        out = redact_values(&out, name);
    }
    out
}

/// `text` with every occurrence of `key` replaced, each of its bytes matched as is or as
/// `%XX` (`+` also stands for a space).
fn replace_encoded(text: &str, key: &[u8]) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match encoded_match(&bytes[i..], key) {
            Some(len) => {
                out.push_str(&text[copied..i]);
                out.push_str(REDACTED);
                i += len;
                copied = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The length of the form of `key` that `text` starts with, if it does (a `%` of the key
/// itself may stand as is or as `%25`: both readings are tried).
fn encoded_match(text: &[u8], key: &[u8]) -> Option<usize> {
    let Some((&want, rest)) = key.split_first() else { return Some(0) };
    let got = *text.first()?;
    if got == b'%'
        && text.get(1..3).and_then(hex_byte) == Some(want)
        && let Some(n) = encoded_match(&text[3..], rest)
    {
        return Some(3 + n);
    }
    if got == want || (want == b' ' && got == b'+') {
        return encoded_match(&text[1..], rest).map(|n| 1 + n);
    }
    None
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(two[0])? * 16 + digit(two[1])?) as u8)
}

/// `text` with the value after every `name=` or `name: ` (any case, quoted or not) replaced.
fn redact_values(text: &str, name: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let after_name = from + found + name.len();
        from = after_name;
        // `apikey` inside `x-api-key` or a longer word is not the name.
        let starts_word = from - name.len() == 0 || !is_name_byte(text.as_bytes()[from - name.len() - 1]);
        let rest = &text.as_bytes()[after_name..];
        let sep = rest.iter().take_while(|b| matches!(b, b'"' | b'\'' | b'\\' | b' ' | b':' | b'=')).count();
        let separators = &rest[..sep];
        if !starts_word || sep == 0 || !separators.iter().any(|b| matches!(b, b':' | b'=')) {
            continue;
        }
        let start = after_name + sep;
        // A quoted value (JSON, or JSON in a `Debug` print) ends at its quote; a query value
        // or a header at the first delimiter.
        let quoted = separators.iter().rev().take_while(|b| matches!(b, b'"' | b'\'' | b'\\')).count() > 0;
        let end = text[start..]
            .find(|c: char| {
                matches!(c, '"' | '\'' | '\\' | '\n' | '\r')
                    || (!quoted && matches!(c, '&' | ' ' | '#' | ',' | ';' | ')' | '>' | '}'))
            })
            .map_or(text.len(), |e| start + e);
        if end > start {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
            from = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::redact;

    const KEY: &str = "sk-live+Zq8/uK%e7&Ww3";

    #[test]
    fn the_key_goes_in_every_form() {
        for form in [
            KEY,
            "sk-live%2BZq8%2FuK%25e7%26Ww3",
            "sk-live%2bZq8%2fuK%25e7%26Ww3",
            "sk-live%2BZq8/uK%25e7%26Ww3",
            "%73k-live+Zq8/uK%e7&Ww3",
        ] {
            let text = format!("GET /files/{form}/n.txt and then {form}");
            assert_eq!(redact(&text, KEY), "GET /files/[redacted]/n.txt and then [redacted]", "{form}");
        }
    }

    #[test]
    fn every_key_parameter_and_header_goes_whatever_the_key() {
        let text = "ws://h/?apiKey=one&x=1 then wss://h/?a=b&APIKEY=two#f, \"apikey\": \"three\", x-api-key: four";
        assert_eq!(
            redact(text, ""),
            "ws://h/?apiKey=[redacted]&x=1 then wss://h/?a=b&APIKEY=[redacted]#f, \"apikey\": \"[redacted]\", \
             x-api-key: [redacted]"
        );
        assert_eq!(redact("x-api-key=a&apiKey=b", "b"), "x-api-key=[redacted]&apiKey=[redacted]");
        let json = r#"{"apiKey":"a&b c","x":1} and {\"apiKey\":\"d&e\"}"#;
        assert_eq!(redact(json, ""), r#"{"apiKey":"[redacted]","x":1} and {\"apiKey\":\"[redacted]\"}"#);
        assert_eq!(
            super::redact_keys("k1&x k2&y ?apiKey=k2&y", ["k1&x", "k2&y"]),
            "[redacted] [redacted] ?apiKey=[redacted]"
        );
    }

    #[test]
    fn other_text_is_kept() {
        let text = "apikeys are fine; the apiKey field; myapikey=x";
        assert_eq!(redact(text, "zz9"), text);
        assert_eq!(redact("no key here: 100%", "sk-1"), "no key here: 100%");
        assert_eq!(redact("ünïcode %zz %", "ü"), "[redacted]nïcode %zz %");
    }
}
