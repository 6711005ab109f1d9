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

/// Removes the value of an `apiKey` query parameter (and anything that looks like the given
/// key) from a text, so that URLs and transport errors can be shown safely.
pub fn redact(text: &str, api_key: &str) -> String {
    let mut out = text.to_owned();
    if !api_key.is_empty() {
        out = out.replace(api_key, "[redacted]");
    }
    let lower = out.to_ascii_lowercase();
    if let Some(pos) = lower.find("apikey=") {
        let start = pos + "apikey=".len();
        let end = out[start..].find(['&', ' ', '"', '\'', '#', '\n']).map_or(out.len(), |e| start + e);
        out.replace_range(start..end, "[redacted]");
    }
    out
}
