//! What a client and its conversations deliver: hub events, connection states, and signals.

use std::time::Duration;

use crate::protocol::Inbound;

/// The connection's state.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Created, not connecting yet.
    Initialized,
    /// Opening a connection (`attempt` counts from 1 since the last success).
    Connecting {
        /// The attempt number.
        attempt: u32,
    },
    /// `socket_connected` arrived: the session is usable.
    Connected {
        /// The hub's id of this socket.
        socket_id: String,
    },
    /// The connection dropped; a retry is scheduled. Sends are queued.
    Disconnected {
        /// How many attempts failed in a row.
        attempt: u32,
        /// When the next attempt starts.
        retry_in: Duration,
    },
    /// Disconnected for a long time: queued sends were failed; retries continue slowly.
    Suspended {
        /// When the next attempt starts.
        retry_in: Duration,
    },
    /// Closing gracefully.
    Closing,
    /// Closed by the application.
    Closed,
    /// Given up (rejected API key, retries exhausted, reconnect disabled). `connect` again
    /// to retry.
    Failed,
}

impl ConnectionState {
    /// A stable lower-case name: `initialized`, `connecting`, `connected`, `disconnected`,
    /// `suspended`, `closing`, `closed`, `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            ConnectionState::Initialized => "initialized",
            ConnectionState::Connecting { .. } => "connecting",
            ConnectionState::Connected { .. } => "connected",
            ConnectionState::Disconnected { .. } => "disconnected",
            ConnectionState::Suspended { .. } => "suspended",
            ConnectionState::Closing => "closing",
            ConnectionState::Closed => "closed",
            ConnectionState::Failed => "failed",
        }
    }

    /// True in `Connected`.
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectionState::Connected { .. })
    }

    /// True in `Closed` and `Failed`, where nothing happens until `connect` is called.
    pub fn is_terminal(&self) -> bool {
        matches!(self, ConnectionState::Closed | ConnectionState::Failed)
    }
}

/// One change of the connection's state. Exactly one is emitted per change, never one whose
/// `current` equals `previous`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateChange {
    /// The state before.
    pub previous: ConnectionState,
    /// The state now.
    pub current: ConnectionState,
    /// Why (human-readable; never contains the API key).
    pub reason: Option<String>,
    /// Sends waiting to be written when it changed: made while not connected (they wait until
    /// the connection is back, or fail with `connection_lost` when the client is suspended,
    /// after [`crate::ReconnectPolicy::suspend_after`], 120 s by default), and messages
    /// waiting for a resend (at-least-once).
    pub queued: usize,
}

/// A frame from the hub that could not be decoded; the connection survives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedFrame {
    /// What was wrong.
    pub error: String,
    /// The frame's text (cut to 1 KiB).
    pub text: String,
}

/// The late outcome of a message whose call already ended with
/// [`crate::Error::Unconfirmed`] (at-least-once delivery, not proven within the request
/// timeout): the hub proved it read the message, or the client gave up on it (the connection
/// it was resent on dropped too, or the client was suspended, closed or failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The message's `client_msg_id`.
    pub client_msg_id: String,
    /// Its conversation.
    pub conversation_id: Option<String>,
    /// True when the hub proved it read the message; false when the client gave up (the hub
    /// may or may not have it).
    pub delivered: bool,
}

/// Something delivered to a client's or a conversation's listeners.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// An event from the hub: bot and live-chat messages, actions, updates, errors, unknown
    /// event types (all with their raw JSON). See [`crate::protocol::HubEvent`].
    Hub(Inbound),
    /// The connection's state changed.
    State(StateChange),
    /// The connection was re-established: events sent to this conversation while it was down
    /// may be missing. Fetch the transcript to catch up.
    Discontinuity {
        /// The conversation concerned.
        conversation_id: String,
    },
    /// The hub sent a frame that could not be decoded.
    Malformed(MalformedFrame),
    /// The late outcome of a message not confirmed in time (at-least-once).
    Delivery(DeliveryReport),
    /// Nobody listened and the backlog overflowed: this many events were dropped.
    Lagged {
        /// How many.
        missed: u64,
    },
}

/// An event with where it was routed, from [`crate::Client::all_events`]: one stream with
/// every event of a client and its conversations, for front ends that dispatch events
/// themselves.
#[derive(Clone, Debug, PartialEq)]
pub struct Routed {
    /// The event.
    pub event: Event,
    /// The conversation whose listeners get it, if any.
    pub conversation_id: Option<String>,
    /// True when the client's own listeners get it: state changes, events naming no open
    /// conversation, and (when exactly one conversation is open) events naming none.
    pub to_client: bool,
}

impl Event {
    /// The hub event, if this is one.
    pub fn hub(&self) -> Option<&Inbound> {
        match self {
            Event::Hub(i) => Some(i),
            _ => None,
        }
    }

    /// The conversation the event is about, if any.
    pub fn conversation_id(&self) -> Option<&str> {
        match self {
            Event::Hub(i) => i.conversation_id.as_deref(),
            Event::Discontinuity { conversation_id } => Some(conversation_id),
            Event::Delivery(r) => r.conversation_id.as_deref(),
            _ => None,
        }
    }

    /// The text of a bot or live-chat message.
    pub fn text(&self) -> Option<String> {
        self.hub().and_then(Inbound::text)
    }

    /// A stable name of the event's kind: the hub's event type (`bot_message`, ...), or
    /// `state`, `discontinuity`, `malformed`, `delivery`, `lagged`.
    pub fn kind_name(&self) -> &str {
        match self {
            Event::Hub(i) => &i.event_type,
            Event::State(_) => "state",
            Event::Discontinuity { .. } => "discontinuity",
            Event::Malformed(_) => "malformed",
            Event::Delivery(_) => "delivery",
            Event::Lagged { .. } => "lagged",
        }
    }
}
