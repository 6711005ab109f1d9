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
//! exponential backoff; a close from the hub, whatever its code, is a drop (the application
//! ends a session with [`Client::close`]); a link is declared dead when nothing arrives within
//! [`Timings::liveness_grace`] after a ping; every request completes exactly once (reply, hub
//! error, timeout counted from the write, connection lost); duplicate events are dropped by
//! `event_id`; a reconnect emits a [`Event::Discontinuity`] per conversation and recovers the
//! messages missed from the transcript. The API key never appears in logs, errors or `Debug`
//! output.
//!
//! ## Sends while the hub is unreachable
//!
//! They are queued (at most [`Timings::max_queued_events`] and [`Timings::max_queued_bytes`];
//! beyond, the call fails at once with `queue_full`) and written in order once the connection is
//! back. Every state change says how many wait ([`StateChange::queued`]). A queued send waits
//! until the connection is back or the client is suspended, after
//! [`ReconnectPolicy::suspend_after`] without a connection (120 s by default), when it fails
//! with `connection_lost`. To wait less: lower `suspend_after`, turn
//! [`Timings::queue_while_offline`] off (sends fail at once while disconnected), or drop the
//! call's [`Pending`] (a queued request is then never sent).
//!
//! The bounds count every send waiting to go out, on either transport: the offline queue, the
//! messages waiting for a resend (at-least-once), and with [`Transport::Http`] the posts waiting
//! in line behind the one in flight. A send's timeout counts from when it went on its way
//! (written to the socket, or put in the line of posts): posts go one at a time, in call order;
//! one still in line at its deadline fails with `timeout` unsent, and the one in flight fails at
//! its deadline while the line waits for its answer. A send the link drops before it went out
//! stays queued, first and in order. A second `socket_connected` on an open connection gives it
//! a new socket id, which later posts name (a [`StateChange`] to `Connected` says so).
//!
//! ## Delivery
//!
//! A message's call completes when the hub proved it read it (the pong of a ping written after
//! it, or with [`Transport::Http`] the answer to its POST). With [`Delivery::AtMostOnce`]
//! (default) a message written to a connection that dies first fails with
//! `possibly_not_delivered`. With [`Delivery::AtLeastOnce`] it is written again once after the
//! reconnect (same `client_msg_id`); if it is not confirmed within the request timeout the call
//! fails with [`Error::Unconfirmed`] (kind `timeout`) but the message stays in the resend set,
//! and an [`Event::Delivery`] on its conversation tells later whether the hub read it.
//!
//! ## The hub's errors
//!
//! A `general_error` names a conversation (not always), a code and a description, never the
//! request it answers. It fails the call that caused it when that can be told, and is
//! otherwise delivered as an [`Event::Hub`] to the conversation it names (or to the client):
//! the candidates are the requests waiting for an answer and the messages not yet confirmed
//! that name its conversation, narrowed to an operation its description names; the oldest is
//! taken when they are all of one kind or the error is "Invalid conversation_id", and with no
//! conversation, the only one. The error of a request whose caller gave up, of a message, of
//! the catch-up after a reconnect (which then ends), or of nobody is delivered as an event,
//! and the other requests wait for their own answer.
//!
//! ## Logs
//!
//! The library logs through [`tracing`](https://docs.rs/tracing): connections, drops and
//! reconnects at `info`, detail at `debug` and `trace`. Install any subscriber to see them, e.g.
//! with `tracing-subscriber`:
//!
//! ```no_run
//! # fn setup() {
//! // RUST_LOG=captivate=debug
//! // tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
//! # }
//! ```
//!
//! The dependencies (tungstenite, rustls) write through the `log` crate; bridge it with
//! `tracing-log` (the `tracing-log` feature of `tracing-subscriber`) to see their records too.
//! No record, at any level, contains the API key.

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
pub use http::{HostFile, UPLOAD_OPTIONS, Upload, UploadOptionSpec, default_file_name};
pub use manager::{ManagedList, Manager};
pub use pending::Pending;
pub use protocol::{
    Action, ButtonOption, Buttons, ContentItem, ConversationList, ConversationSummary, ConversationUpdate, DeleteMode,
    Dialect, ErrorCode, FileRef, FileStorage, HubError, HubEvent, Inbound, ListOptions, MessageBody, MetadataTarget,
    OutgoingMessage, Pagination, RawFrame, Sender, StartMode, StartOptions, Transcript, TranscriptEntry, UpdateKind,
};
pub use stream::{EventStream, RoutedStream};
