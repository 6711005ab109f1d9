//! Which listener gets which event of a client's one ordered feed.

use captivate::{Event, Routed};

/// What a listener listens to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every event of the client and its conversations.
    All,
    /// The client's own events: state changes, and hub events naming no open conversation
    /// (or naming none while exactly one is open).
    Client,
    /// One conversation's events, and the connection's state changes.
    Conversation(String),
}

impl Filter {
    /// Whether a listener with this filter gets `r`.
    pub fn matches(&self, r: &Routed) -> bool {
        match self {
            Filter::All => true,
            Filter::Client => r.to_client,
            Filter::Conversation(c) => {
                r.conversation_id.as_deref() == Some(c.as_str()) || matches!(r.event, Event::State(_))
            }
        }
    }
}
