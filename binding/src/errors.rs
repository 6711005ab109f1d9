//! One error model for every front end: a kind with a stable code, a message, and details.

use captivate::{Error, ErrorKind};
use serde_json::{Value, json};

/// An error as every front end reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct BindingError {
    /// The kind (the same as the core's).
    pub kind: ErrorKind,
    /// What went wrong, for people; never contains the API key.
    pub message: String,
    /// The fields beyond the message (see [`captivate::Error::details`]), as JSON.
    pub details: Value,
}

impl BindingError {
    /// The stable code: the kind's snake_case name (`timeout`, `hub`, ...).
    pub fn code(&self) -> &'static str {
        self.kind.as_str()
    }

    /// An argument was not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        BindingError { kind: ErrorKind::InvalidArgument, message: message.into(), details: json!({}) }
    }

    /// A bug of this library.
    pub fn internal(message: impl Into<String>) -> Self {
        BindingError { kind: ErrorKind::Internal, message: message.into(), details: json!({}) }
    }

    /// The error as JSON: `{"kind", "code", "message", "details"}` (`kind` and `code` are the
    /// same name).
    pub fn to_json(&self) -> Value {
        json!({"kind": self.code(), "code": self.code(), "message": self.message, "details": self.details})
    }
}

impl std::fmt::Display for BindingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BindingError {}

impl From<Error> for BindingError {
    fn from(e: Error) -> Self {
        BindingError { kind: e.kind(), message: e.to_string(), details: e.details() }
    }
}

/// One kind of error as every front end presents it.
#[derive(Clone, Copy, Debug)]
pub struct KindInfo {
    /// The kind.
    pub kind: ErrorKind,
    /// Its stable code.
    pub code: &'static str,
    /// The name of its class in Python and JavaScript (each derives from `CaptivateError`).
    pub class: &'static str,
    /// What it means.
    pub doc: &'static str,
}

/// Every kind, in the order of their C result codes, with the name of its class.
pub fn kinds() -> Vec<KindInfo> {
    ErrorKind::ALL
        .iter()
        .map(|&kind| {
            let (class, doc) = match kind {
                ErrorKind::InvalidArgument => ("InvalidArgument", "An argument was not acceptable."),
                ErrorKind::Rejected => ("Rejected", "The hub rejected the API key."),
                ErrorKind::Connect => ("ConnectError", "The connection could not be made."),
                ErrorKind::Timeout => ("Timeout", "The reply (or the proof of delivery) did not come in time."),
                ErrorKind::ConnectionLost => ("ConnectionLost", "The connection was lost before the call completed."),
                ErrorKind::PossiblyNotDelivered => {
                    ("PossiblyNotDelivered", "The message may or may not have reached the hub.")
                }
                ErrorKind::Hub => ("HubError", "The hub answered with an error."),
                ErrorKind::QueueFull => ("QueueFull", "The offline queue is full."),
                ErrorKind::Closed => ("Closed", "The client is closed."),
                ErrorKind::Failed => ("Failed", "The connection failed for good."),
                ErrorKind::FrameTooLarge => ("FrameTooLarge", "A frame exceeds the maximum size."),
                ErrorKind::Protocol => ("ProtocolError", "The hub sent something that is not the protocol."),
                ErrorKind::Http => ("HttpError", "An HTTP request failed."),
                _ => ("InternalError", "A bug in this library."),
            };
            KindInfo { kind, code: kind.as_str(), class, doc }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_code_and_class() {
        let k = kinds();
        assert_eq!(k.len(), ErrorKind::ALL.len());
        let mut classes: Vec<_> = k.iter().map(|i| i.class).collect();
        classes.sort();
        classes.dedup();
        assert_eq!(classes.len(), k.len());
        let e = BindingError::from(Error::Timeout { operation: "x".into(), millis: 5 });
        assert_eq!(e.to_json()["code"], "timeout");
        assert_eq!(e.details["millis"], 5);
    }
}
