//! What goes into the engine and what comes out of it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::event::{Event, StateChange};
use crate::protocol::Inbound;

/// Identifies one submitted request within an engine. Ids from `1 << 63` up are the engine's
/// own (transcript requests of the catch-up after a reconnect).
pub type RequestId = u64;

/// What a submitted frame waits for before its call completes.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// Complete once the frame is written: flushed to the connection that carries it (the
    /// driver says so with [`crate::engine::Engine::flushed`]), or its post answered.
    Written,
    /// Complete when the hub has read the frame: the pong to a ping written after it (the hub
    /// reads in order, and answers a ping with its payload). Subject to the
    /// [`crate::Delivery`] policy.
    Delivered {
        /// The message's id, reported in `PossiblyNotDelivered` and in late delivery reports.
        client_msg_id: String,
    },
    /// Complete with the matching reply event.
    Reply(ReplyMatch),
}

/// How to recognise the reply to a request. The protocol has no request ids: a reply is
/// matched by event type and by the ids it names. An id the reply does not carry is not
/// compared, so a hub that leaves `conversation_id` out still answers the oldest request.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ReplyMatch {
    /// The reply's event type.
    pub event_type: String,
    /// The conversation the request names.
    pub conversation_id: Option<String>,
    /// The user the request names.
    pub user_id: Option<String>,
    /// The message the request names.
    pub message_id: Option<String>,
    /// A `conversation_start`: at most one is in flight per socket, and the new id is checked
    /// against the user id prefix.
    pub start: bool,
}

/// A request handed to the engine.
#[derive(Clone, Debug)]
pub struct Submit {
    /// Its id (unique per engine; chosen by the caller).
    pub id: RequestId,
    /// What it is, for error messages (usually the event type).
    pub operation: Cow<'static, str>,
    /// The encoded frame.
    pub frame: String,
    /// What completes it.
    pub expect: Expect,
    /// The reply or delivery timeout, counted from the write (over HTTP, from when it joined
    /// the line of posts).
    pub timeout: Duration,
}

/// How a request completed successfully.
#[derive(Clone, Debug, PartialEq)]
pub enum Completion {
    /// The frame was written.
    Written,
    /// The connection proved alive after the write.
    Delivered,
    /// The reply arrived (boxed: completions travel through every request's channel, most
    /// of them without a reply).
    Reply(Box<Inbound>),
}

/// What the driver must do on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Open a new transport, tagged `generation`; report its events with that tag.
    Open {
        /// The transport's generation.
        generation: u64,
    },
    /// Write a text frame on the current transport.
    Send(String),
    /// POST a frame to the hub's HTTP send endpoint with the socket's id (the HTTP
    /// transport), then call [`crate::engine::Engine::post_result`] with `post`. One is in
    /// flight at a time.
    Post {
        /// Identifies this request in `post_result`.
        post: u64,
        /// The frame.
        frame: String,
        /// The id of the socket its replies go to (the open connection's, at the time the
        /// engine asked; a post still queued when the connection is cut or renamed is taken
        /// back and asked for again with the new one).
        socket_id: String,
    },
    /// Write a WebSocket ping with this number as its payload (8 bytes, big-endian).
    Ping(u64),
    /// Close the current transport gracefully (close frame with code 1000).
    Close,
    /// Drop the current transport at once (it is considered lost already).
    Abort,
    /// Fetch a 413 large message from its link, then call
    /// [`crate::engine::Engine::large_message_fetched`].
    FetchLargeMessage {
        /// Identifies this fetch in [`crate::engine::Engine::large_message_fetched`].
        fetch: u64,
        /// The link.
        url: String,
        /// The `general_error` 413 event that announced it (boxed: an action is moved often,
        /// and this one is rare).
        announcement: Box<Inbound>,
    },
}

/// Where a delivered event goes. The conversation's id is shared with the engine's registry,
/// so that routing an event copies no string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The client's own listeners.
    Client,
    /// That conversation's listeners.
    Conversation(Arc<str>),
    /// Both the client's listeners and that (only open) conversation's.
    Both(Arc<str>),
}

impl Route {
    /// The conversation the event goes to, if any.
    pub fn conversation(&self) -> Option<&str> {
        match self {
            Route::Conversation(c) | Route::Both(c) => Some(c),
            Route::Client => None,
        }
    }
}

/// What the engine hands to the driver to deliver, from [`crate::engine::Engine::poll_output`].
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// The connection's state changed.
    State(StateChange),
    /// Deliver an event.
    Deliver {
        /// The event.
        event: Event,
        /// To whom.
        route: Route,
    },
    /// Every decoded hub frame, for listeners of all raw events (only while
    /// [`crate::engine::Engine::set_raw_frames`] asks for them).
    Frame(Inbound),
    /// A request completed.
    Complete {
        /// Which.
        id: RequestId,
        /// How (the error boxed: completions are many, one pong may complete thousands of
        /// messages, and most of them succeed).
        result: Result<Completion, Box<Error>>,
    },
}

/// How a POST of the HTTP transport ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostOutcome {
    /// A 2xx answer: the hub took the request.
    Accepted,
    /// Another answer (or, with status 0, refused before sending: an untrusted host).
    Rejected {
        /// The HTTP status.
        status: u16,
        /// What the answer said.
        message: String,
    },
    /// The connection failed before the request was sent: it never reached the hub.
    NotSent(String),
    /// Sent, and no answer came (the connection broke): the hub may or may not have it.
    Failed(String),
    /// No answer within the request timeout.
    TimedOut,
}

/// A transport failure reported by the driver.
#[derive(Clone, Debug, PartialEq)]
pub enum TransportError {
    /// The hub refused the API key (HTTP 401/403 at the handshake): no retry.
    Rejected {
        /// The HTTP status.
        status: u16,
    },
    /// Anything else (DNS, TCP, TLS, handshake, I/O): retried per the policy.
    Other(String),
}
