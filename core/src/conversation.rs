//! [`Conversation`]: one conversation with the hub.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use uuid::Uuid;

use crate::client::{Client, reply_of};
use crate::config::Transport;
use crate::driver::{Link, Scope};
use crate::engine::{Expect, ReplyMatch};
use crate::error::Error;
use crate::http::Upload;
use crate::pending::Pending;
use crate::protocol::{self, DeleteMode, FileRef, HubEvent, MetadataTarget, OutgoingMessage, Transcript};
use crate::stream::EventStream;

/// A new `client_msg_id`: a random (version 4) UUID, made once per message.
pub(crate) fn new_client_msg_id() -> String {
    Uuid::new_v4().to_string()
}

/// Refuses a message the hub could not take: one with neither text nor files, or with a file
/// that has neither a url nor the storage of an upload.
fn check_message(message: &OutgoingMessage) -> Result<(), Error> {
    if message.text.is_none() && message.files.is_empty() {
        return Err(Error::InvalidArgument("a message needs text or files".into()));
    }
    if message.files.iter().any(|f| !f.is_reachable()) {
        return Err(Error::InvalidArgument("every file needs a url or the storage of an upload".into()));
    }
    Ok(())
}

/// The file time-to-live values the hub accepts, in days.
pub const TIME_TO_LIVE_DAYS: [u32; 4] = [1, 7, 30, 90];

/// A conversation. Cheap to clone; keeps its client's connection open while it exists.
#[derive(Clone, Debug)]
pub struct Conversation {
    client: Client,
    link: Arc<Link>,
    id: Arc<str>,
    /// The last time-to-live set through this handle (or its clones), for uploads.
    ttl: Arc<AtomicU32>,
}

impl Conversation {
    pub(crate) fn new(client: Client, link: Arc<Link>, id: String) -> Conversation {
        Conversation { client, link, id: id.into(), ttl: Arc::new(AtomicU32::new(0)) }
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
    /// discontinuities after a reconnect, and connection state changes. Streams survive drops
    /// and reconnects and end when the client is closed. The first stream also gets what
    /// arrived before it was created.
    pub fn events(&self) -> EventStream {
        self.link.subscribe(Scope::Conversation(self.id.to_string()))
    }

    /// Sends a message (text, files, or both) and returns its `client_msg_id` (a UUID, made
    /// once per message and kept on a resend). Completes when the connection has proved alive
    /// after the write; see [`crate::config::Delivery`].
    pub fn send_message(&self, message: impl Into<OutgoingMessage>) -> Pending<String> {
        let message = message.into();
        if let Err(e) = check_message(&message) {
            return Pending::ready(Err(e));
        }
        let client_msg_id = new_client_msg_id();
        let timeout = self.client.timeout();
        if message.files.is_empty()
            && let Some(text) = message.text
        {
            let submitted = self.link.submit_text(self.id.clone(), client_msg_id.clone(), text, timeout);
            return Pending::with_value(submitted, client_msg_id);
        }
        let frame = protocol::outbound::user_message(&self.id, &client_msg_id, &message);
        let expect = Expect::Delivered { client_msg_id: client_msg_id.clone() };
        Pending::with_value(self.link.submit("user_message", frame, expect, timeout), client_msg_id)
    }

    /// The empty message that makes the flow greet the user (bot-first start).
    pub(crate) fn send_greeting_trigger(&self) -> Pending<()> {
        let frame = protocol::outbound::user_message(&self.id, &new_client_msg_id(), &OutgoingMessage::text(""));
        Pending::after(self.link.submit("user_message", frame, Expect::Written, self.client.timeout()), |_| Ok(()))
    }

    /// Sets metadata (a JSON object), optionally for one target; waits for the hub's
    /// `metadata_update_success`.
    pub fn set_metadata(&self, metadata: Value, target: Option<MetadataTarget>) -> Pending<()> {
        if !metadata.is_object() {
            return Pending::ready(Err(Error::InvalidArgument("metadata must be a JSON object".into())));
        }
        let frame = protocol::outbound::metadata(&self.id, &new_client_msg_id(), &metadata, target);
        let matcher = self.matcher("metadata_update_success");
        let timeout = self.client.config().timings.metadata_timeout;
        Pending::after(self.link.submit("metadata", frame, Expect::Reply(matcher), timeout), |_| Ok(()))
    }

    /// Sets private metadata (for back-ends only; stored under the key `private`).
    pub fn set_private_metadata(&self, private: Value) -> Pending<()> {
        self.set_metadata(json!({ "private": private }), None)
    }

    /// Sets the time-to-live of the conversation's files: 1, 7, 30 or 90 days. Later uploads
    /// through this conversation ask the file service for the same.
    pub fn set_time_to_live(&self, days: u32) -> Pending<()> {
        if !TIME_TO_LIVE_DAYS.contains(&days) {
            return Pending::ready(Err(Error::InvalidArgument(format!(
                "time to live must be 1, 7, 30 or 90 days, not {days}"
            ))));
        }
        let ttl = self.ttl.clone();
        self.set_metadata(json!({ "timeToLive": days }), None).map(move |()| ttl.store(days, Ordering::Relaxed))
    }

    /// Uploads a file through the file-to-text service, filed under this conversation (and
    /// kept as long as its last time-to-live, unless the upload says otherwise); returns the
    /// file object to send: `conversation.send_message(OutgoingMessage::files(vec![file]))`.
    pub fn upload_file(&self, mut upload: Upload) -> Pending<FileRef> {
        if upload.ttl_days.is_none() {
            upload.ttl_days = Some(self.ttl.load(Ordering::Relaxed)).filter(|d| *d > 0);
        }
        let path = format!("{}/{}", self.client.config().api_key.expose(), self.id);
        self.client.upload_under(upload, Some(path))
    }

    /// Uploads several files at once, filed under this conversation, with the policy of
    /// [`crate::Client::upload_files`].
    pub fn upload_files(&self, uploads: Vec<Upload>) -> Pending<Vec<FileRef>> {
        crate::http::upload_all(uploads, |u| self.upload_file(u))
    }

    /// The conversation's metadata (private metadata under `private`).
    pub fn get_metadata(&self) -> Pending<Value> {
        let frame = protocol::outbound::metadata_request(&self.id);
        let expect = Expect::Reply(self.matcher("conversation_metadata"));
        Pending::after(self.link.submit("metadata_request", frame, expect, self.client.timeout()), |c| match reply_of(
            c,
        )?
        .body
        {
            HubEvent::Metadata { metadata } => Ok(metadata),
            _ => Err(Error::Protocol("unexpected reply to metadata_request".into())),
        })
    }

    /// Sends an action (e.g. `escalateToHuman`) with its data; `action_type` defaults to
    /// `normal`.
    pub fn send_action(&self, id: &str, data: Value, action_type: Option<&str>) -> Pending<()> {
        if id.trim().is_empty() {
            return Pending::ready(Err(Error::InvalidArgument("the action id must not be empty".into())));
        }
        let data = if data.is_null() { json!({}) } else { data };
        let frame = protocol::outbound::action(&self.id, id, &data, action_type.unwrap_or("normal"));
        let expect = Expect::Delivered { client_msg_id: id.to_owned() };
        Pending::after(self.link.submit("action", frame, expect, self.client.timeout()), |_| Ok(()))
    }

    /// Edits a message the user sent earlier.
    pub fn edit_message(&self, message_id: &str, message: impl Into<OutgoingMessage>) -> Pending<()> {
        if message_id.trim().is_empty() {
            return Pending::ready(Err(Error::InvalidArgument("message_id must not be empty".into())));
        }
        let message = message.into();
        if let Err(e) = check_message(&message) {
            return Pending::ready(Err(e));
        }
        let frame = protocol::outbound::edit_message(&self.id, &new_client_msg_id(), message_id, &message);
        let mut matcher = self.matcher("message_edited_success");
        matcher.message_id = Some(message_id.to_owned());
        Pending::after(self.link.submit("edit_message", frame, Expect::Reply(matcher), self.client.timeout()), |_| {
            Ok(())
        })
    }

    /// The conversation's transcript: over the socket, or over REST with the HTTP transport
    /// (as the official client). Links of stored files about to expire (less than five minutes
    /// left) are refreshed and pushed back to the hub with `edit_message`, unless
    /// [`crate::Config::refresh_file_links`] is off; a refresh that fails keeps the old link.
    pub fn get_transcript(&self) -> Pending<Transcript> {
        let fetched = match self.client.config().timings.transport {
            Transport::Http => match self.client.http() {
                Ok(http) => {
                    let id = self.id.clone();
                    Pending::new(async move { crate::http::rest_transcript(&http, &id).await })
                }
                Err(e) => return Pending::failed(e),
            },
            Transport::Socket => {
                let frame = protocol::outbound::transcript_request(&self.id);
                let expect = Expect::Reply(self.matcher("conversation_transcript"));
                let op = "conversation_transcript_request";
                Pending::after(self.link.submit(op, frame, expect, self.client.timeout()), |c| {
                    match reply_of(c)?.body {
                        HubEvent::Transcript(t) => Ok(t),
                        _ => Err(Error::Protocol("unexpected reply to conversation_transcript_request".into())),
                    }
                })
            }
        };
        if !self.client.config().refresh_file_links {
            return fetched;
        }
        let me = self.clone();
        Pending::new(async move {
            let mut t = fetched.await?;
            if t.entries.iter().any(|e| e.files.iter().any(|f| f.storage.is_some())) {
                let http = me.client.http()?;
                for (message_id, message) in crate::http::refresh_links(&http, &mut t).await {
                    if let Err(e) = me.edit_message(&message_id, message).await {
                        tracing::info!(error = %e, "refreshed file links could not be pushed back");
                    }
                }
            }
            Ok(t)
        })
    }

    /// Deletes the conversation, soft (default) or hard.
    pub fn delete(&self, mode: DeleteMode) -> Pending<()> {
        let frame = protocol::outbound::delete_conversation(&self.id, mode, self.client.config().dialect);
        let expect = Expect::Reply(self.matcher("delete_conversation_success"));
        Pending::after(self.link.submit("delete_conversation", frame, expect, self.client.timeout()), |_| Ok(()))
    }

    fn matcher(&self, event_type: &str) -> ReplyMatch {
        ReplyMatch {
            event_type: event_type.to_owned(),
            conversation_id: Some(self.id.to_string()),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::new_client_msg_id;

    /// A million ids made at the same time on four threads: no two alike, all version 4.
    #[test]
    fn client_msg_ids_never_collide() {
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..250_000).map(|_| new_client_msg_id()).collect::<Vec<_>>()))
            .collect();
        let mut seen = HashSet::with_capacity(1_000_000);
        for t in threads {
            for id in t.join().expect("thread") {
                assert_eq!(id.len(), 36);
                assert_eq!(&id[14..15], "4", "version 4: {id}");
                assert!(seen.insert(id), "a collision");
            }
        }
        assert_eq!(seen.len(), 1_000_000);
    }
}
