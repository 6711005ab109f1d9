//! [`Conversation`]: one conversation with the hub.

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::client::{Client, reply_of};
use crate::driver::{Link, Scope};
use crate::engine::{Expect, ReplyMatch};
use crate::error::{Error, Result};
use crate::protocol::{self, DeleteMode, HubEvent, MetadataTarget, OutgoingMessage, Transcript};
use crate::stream::EventStream;

/// The file time-to-live values the hub accepts, in days.
pub const TIME_TO_LIVE_DAYS: [u32; 4] = [1, 7, 30, 90];

/// A conversation. Cheap to clone; keeps its client's connection open while it exists.
#[derive(Clone, Debug)]
pub struct Conversation {
    client: Client,
    link: Arc<Link>,
    id: Arc<str>,
}

impl Conversation {
    pub(crate) fn new(client: Client, link: Arc<Link>, id: String) -> Conversation {
        Conversation { client, link, id: id.into() }
    }

    /// The conversation's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client this conversation belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// This conversation's events: bot and live-chat messages, actions, updates, hub errors,
    /// discontinuities after a reconnect, and connection state changes. Listeners survive
    /// reconnects. The first stream also gets what arrived before it was created.
    pub fn events(&self) -> EventStream {
        self.link.subscribe(Scope::Conversation(self.id.to_string()))
    }

    /// Sends a message (text, files, or both) and returns its `client_msg_id` (a UUID, made
    /// once per message and kept on a resend). Completes when the connection has proved alive
    /// after the write; see [`crate::config::Delivery`].
    pub async fn send_message(&self, message: impl Into<OutgoingMessage>) -> Result<String> {
        let message = message.into();
        if message.text.is_none() && message.files.is_empty() {
            return Err(Error::InvalidArgument("a message needs text or files".into()));
        }
        if message.files.iter().any(|f| f.url.trim().is_empty()) {
            return Err(Error::InvalidArgument("every file needs a url".into()));
        }
        self.send_user_message(&message).await
    }

    async fn send_user_message(&self, message: &OutgoingMessage) -> Result<String> {
        let client_msg_id = Uuid::new_v4().to_string();
        let frame = protocol::outbound::user_message(&self.id, &client_msg_id, message);
        let expect = Expect::Delivered { client_msg_id: client_msg_id.clone() };
        self.link.request("user_message", frame, expect, self.client.timeout()).await?;
        Ok(client_msg_id)
    }

    /// The empty message that makes the flow greet the user (bot-first start).
    pub(crate) async fn send_greeting_trigger(&self) -> Result<()> {
        let frame = protocol::outbound::user_message(&self.id, &Uuid::new_v4().to_string(), &OutgoingMessage::text(""));
        self.link.request("user_message", frame, Expect::Written, self.client.timeout()).await?;
        Ok(())
    }

    /// Sets metadata (a JSON object), optionally for one target; waits for the hub's
    /// `metadata_update_success`.
    pub async fn set_metadata(&self, metadata: Value, target: Option<MetadataTarget>) -> Result<()> {
        if !metadata.is_object() {
            return Err(Error::InvalidArgument("metadata must be a JSON object".into()));
        }
        let frame = protocol::outbound::metadata(&self.id, &Uuid::new_v4().to_string(), &metadata, target);
        let matcher = self.matcher("metadata_update_success");
        let timeout = self.client.config().timings.metadata_timeout;
        self.link.request("metadata", frame, Expect::Reply(matcher), timeout).await?;
        Ok(())
    }

    /// Sets private metadata (for back-ends only; stored under the key `private`).
    pub async fn set_private_metadata(&self, private: Value) -> Result<()> {
        self.set_metadata(json!({ "private": private }), None).await
    }

    /// Sets the time-to-live of the conversation's files: 1, 7, 30 or 90 days.
    pub async fn set_time_to_live(&self, days: u32) -> Result<()> {
        if !TIME_TO_LIVE_DAYS.contains(&days) {
            return Err(Error::InvalidArgument(format!("time to live must be 1, 7, 30 or 90 days, not {days}")));
        }
        self.set_metadata(json!({ "timeToLive": days }), None).await
    }

    /// The conversation's metadata (private metadata under `private`).
    pub async fn get_metadata(&self) -> Result<Value> {
        let frame = protocol::outbound::metadata_request(&self.id);
        let reply = reply_of(
            self.link
                .request(
                    "metadata_request",
                    frame,
                    Expect::Reply(self.matcher("conversation_metadata")),
                    self.client.timeout(),
                )
                .await?,
        )?;
        match reply.body {
            HubEvent::Metadata { metadata } => Ok(metadata),
            _ => Err(Error::Protocol("unexpected reply to metadata_request".into())),
        }
    }

    /// Sends an action (e.g. `escalateToHuman`) with its data; `action_type` defaults to
    /// `normal`.
    pub async fn send_action(&self, id: &str, data: Value, action_type: Option<&str>) -> Result<()> {
        if id.trim().is_empty() {
            return Err(Error::InvalidArgument("the action id must not be empty".into()));
        }
        let data = if data.is_null() { json!({}) } else { data };
        let frame = protocol::outbound::action(&self.id, id, &data, action_type.unwrap_or("normal"));
        let expect = Expect::Delivered { client_msg_id: id.to_owned() };
        self.link.request("action", frame, expect, self.client.timeout()).await?;
        Ok(())
    }

    /// Edits a message the user sent earlier.
    pub async fn edit_message(&self, message_id: &str, message: impl Into<OutgoingMessage>) -> Result<()> {
        if message_id.trim().is_empty() {
            return Err(Error::InvalidArgument("message_id must not be empty".into()));
        }
        let message = message.into();
        if message.text.is_none() && message.files.is_empty() {
            return Err(Error::InvalidArgument("a message needs text or files".into()));
        }
        let frame = protocol::outbound::edit_message(&self.id, &Uuid::new_v4().to_string(), message_id, &message);
        let mut matcher = self.matcher("message_edited_success");
        matcher.message_id = Some(message_id.to_owned());
        self.link.request("edit_message", frame, Expect::Reply(matcher), self.client.timeout()).await?;
        Ok(())
    }

    /// The conversation's transcript.
    pub async fn get_transcript(&self) -> Result<Transcript> {
        let frame = protocol::outbound::transcript_request(&self.id);
        let matcher = self.matcher("conversation_transcript");
        let reply = reply_of(
            self.link
                .request("conversation_transcript_request", frame, Expect::Reply(matcher), self.client.timeout())
                .await?,
        )?;
        match reply.body {
            HubEvent::Transcript(t) => Ok(t),
            _ => Err(Error::Protocol("unexpected reply to conversation_transcript_request".into())),
        }
    }

    /// Deletes the conversation, soft (default) or hard.
    pub async fn delete(&self, mode: DeleteMode) -> Result<()> {
        let frame = protocol::outbound::delete_conversation(&self.id, mode, self.client.config().dialect);
        self.link
            .request(
                "delete_conversation",
                frame,
                Expect::Reply(self.matcher("delete_conversation_success")),
                self.client.timeout(),
            )
            .await?;
        Ok(())
    }

    fn matcher(&self, event_type: &str) -> ReplyMatch {
        ReplyMatch {
            event_type: event_type.to_owned(),
            conversation_id: Some(self.id.to_string()),
            ..Default::default()
        }
    }
}
