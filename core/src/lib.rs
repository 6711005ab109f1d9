//! # captivate
//!
//! A client for the Captivate Chat Socket API (the "Custom Channel"): start conversations
//! with a chat flow, exchange messages, metadata and actions, hand over to live agents, read
//! transcripts. One WebSocket per client is shared by any number of conversations, and every
//! event reaches the conversation it names.
//!
//! ```no_run
//! # async fn demo() -> captivate::Result<()> {
//! use captivate::{Client, Config, StartOptions};
//! let client = Client::connect(Config::new("my-api-key")).await?;
//! let conversation = client.start_conversation(StartOptions::new("user-1")).await?;
//! let mut events = conversation.events();
//! conversation.send_message("Hello").await?;
//! while let Some(event) = events.next().await {
//!     if let Some(text) = event.text() {
//!         println!("bot: {text}");
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Layers, each using only those below it: [`protocol`] (wire format), [`engine`] (sans-IO
//! state machine), the driver (one tokio task per socket), and the handles [`Client`] and
//! [`Conversation`].
//!
//! Reliability: connected means `socket_connected` arrived; drops are retried with jittered
//! exponential backoff; sends made while offline are queued (bounded) and flushed in order;
//! every request completes exactly once (reply, hub error, timeout counted from the write,
//! connection lost); duplicate events are dropped by `event_id`; a reconnect emits a
//! [`Event::Discontinuity`] per conversation. The API key never appears in logs, errors or
//! `Debug` output.

mod client;
pub mod config;
mod conversation;
mod driver;
pub mod engine;
pub mod error;
pub mod event;
mod hash;
mod http;
mod json;
mod manager;
pub mod options;
mod pending;
pub mod protocol;
mod queue;
mod stream;

pub use client::Client;
pub use config::{ApiKey, Config, Delivery, Endpoint, ReconnectPolicy, Timings, TlsConfig, TlsRoots, Transport};
pub use conversation::{Conversation, TIME_TO_LIVE_DAYS};
pub use error::{Error, ErrorKind, Result};
pub use event::{ConnectionState, DeliveryReport, Event, MalformedFrame, Routed, StateChange};
pub use http::Upload;
pub use manager::{ManagedList, Manager};
pub use pending::Pending;
pub use protocol::{
    Action, ButtonOption, Buttons, ContentItem, ConversationList, ConversationSummary, ConversationUpdate, DeleteMode,
    Dialect, ErrorCode, FileRef, FileStorage, HubError, HubEvent, Inbound, ListOptions, MessageBody, MetadataTarget,
    OutgoingMessage, Pagination, RawFrame, Sender, StartMode, StartOptions, Transcript, TranscriptEntry, UpdateKind,
};
pub use stream::{EventStream, RoutedStream};
