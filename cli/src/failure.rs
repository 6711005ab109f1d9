//! Why a run failed, and the exit status that says so.

use captivate::{Error, ErrorKind};

/// The exit status of a request that failed (hub error, timeout, connection lost).
pub(crate) const FAILED: u8 = 1;
/// The exit status of a command line that cannot run (or a missing API key).
pub(crate) const USAGE: u8 = 2;
/// The exit status when the hub rejects the API key.
pub(crate) const REJECTED: u8 = 3;
/// The exit status when the hub cannot be reached.
pub(crate) const UNREACHABLE: u8 = 4;

/// A failure: what to tell the user, and the exit status.
#[derive(Debug, PartialEq)]
pub(crate) struct Failure {
    /// The exit status.
    pub(crate) status: u8,
    /// What went wrong (never the API key: the library's messages do not contain it, and
    /// everything printed is redacted once more).
    pub(crate) message: String,
}

impl Failure {
    /// A failure with this status and message.
    pub(crate) fn new(status: u8, message: impl Into<String>) -> Failure {
        Failure { status, message: message.into() }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let status = match e.kind() {
            ErrorKind::Rejected => REJECTED,
            ErrorKind::Connect => UNREACHABLE,
            ErrorKind::Timeout if matches!(&e, Error::Timeout { operation, .. } if operation == "connect") => {
                UNREACHABLE
            }
            ErrorKind::InvalidArgument => USAGE,
            _ => FAILED,
        };
        let message = match e.kind() {
            ErrorKind::Rejected => format!("{e}: check CAPTIVATE_API_KEY and the hub it is for (--dev, --url)"),
            _ if status == UNREACHABLE => format!("{e}: is the hub running and the URL right?"),
            _ => e.to_string(),
        };
        Failure { status, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(Failure::from(Error::Rejected { status: 401 }).status, REJECTED);
        assert_eq!(Failure::from(Error::Connect("refused".into())).status, UNREACHABLE);
        let connect = Error::Timeout { operation: "connect".into(), millis: 10 };
        assert_eq!(Failure::from(connect).status, UNREACHABLE);
        let request = Error::Timeout { operation: "metadata_request".into(), millis: 10 };
        assert_eq!(Failure::from(request).status, FAILED);
        assert_eq!(Failure::from(Error::InvalidArgument("ttl".into())).status, USAGE);
        assert_eq!(Failure::from(Error::ConnectionLost).status, FAILED);
    }
}
