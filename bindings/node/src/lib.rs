//! The native part of the Node package `captivate-chat`: promise-returning wrappers over the
//! Rust core. Arguments and results cross as JSON strings; `index.js` turns them into the
//! package's classes, events and `Error` subclasses. A failure rejects with an `Error` whose
//! message is the JSON `{"kind", "message", "details"}`.
#![deny(unsafe_op_in_unsafe_fn)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use captivate::{
    Client, Config, Conversation, DeleteMode, Error, EventStream, ListOptions, MetadataTarget, OutgoingMessage,
    StartOptions,
};
use napi::Status;
use napi::bindgen_prelude::within_runtime_if_available;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Value, json};
use tokio::sync::oneshot;

fn fail(kind: &str, message: String, details: Value) -> napi::Error {
    napi::Error::from_reason(json!({ "kind": kind, "message": message, "details": details }).to_string())
}

fn err(e: Error) -> napi::Error {
    fail(e.kind().as_str(), e.to_string(), e.details())
}

fn invalid(message: impl Into<String>) -> napi::Error {
    fail("invalid_argument", message.into(), json!({}))
}

fn parse(text: &str, what: &str) -> napi::Result<Value> {
    serde_json::from_str(text).map_err(|e| invalid(format!("{what} is not valid JSON: {e}")))
}

fn message(text: Option<String>, files_json: Option<String>) -> napi::Result<OutgoingMessage> {
    let files = files_json.map(|t| parse(&t, "files")).transpose()?;
    OutgoingMessage::from_parts(text, files.as_ref()).map_err(err)
}

/// The event forwarders of one client: a task per subscription, each holding a thread-safe
/// function (which keeps Node's event loop alive while it exists). Closing the client stops
/// them all, so that nothing holds the loop once the client is disposed.
#[derive(Default)]
struct Subscriptions {
    next_id: u32,
    stops: HashMap<u32, oneshot::Sender<()>>,
    closed: bool,
}

type Shared = Arc<Mutex<Subscriptions>>;

/// The JS side of a subscription: called with each event's JSON, on the JS thread.
type Listener = ThreadsafeFunction<String, (), String, Status, false>;

fn subscribe(subs: &Shared, mut events: EventStream, listener: Listener) -> napi::Result<u32> {
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let id = {
        let mut s = subs.lock().map_err(|_| fail("internal", "poisoned lock".into(), json!({})))?;
        if s.closed {
            return Err(fail("closed", "the client is closed".into(), json!({})));
        }
        s.next_id += 1;
        let id = s.next_id;
        s.stops.insert(id, stop_tx);
        id
    };
    let forward = async move {
        loop {
            tokio::select! {
                biased;
                e = events.next() => match e {
                    Some(e) => {
                        listener.call(e.to_json().to_string(), ThreadsafeFunctionCallMode::NonBlocking);
                    }
                    None => break,
                },
                _ = &mut stop_rx => {
                    // Deliver what already arrived (e.g. the `closed` state), then let go.
                    while let Some(e) = events.try_next() {
                        listener.call(e.to_json().to_string(), ThreadsafeFunctionCallMode::NonBlocking);
                    }
                    break;
                }
            }
        }
        // Dropping `listener` here releases the JS function and the event loop.
    };
    napi::bindgen_prelude::spawn(forward);
    Ok(id)
}

fn unsubscribe(subs: &Shared, id: u32) {
    if let Ok(mut s) = subs.lock()
        && let Some(stop) = s.stops.remove(&id)
    {
        let _ = stop.send(());
    }
}

fn stop_all(subs: &Shared) {
    if let Ok(mut s) = subs.lock() {
        s.closed = true;
        for (_, stop) in s.stops.drain() {
            let _ = stop.send(());
        }
    }
}

/// A connection to the hub.
#[napi]
pub struct NativeClient {
    client: Client,
    subs: Shared,
}

#[napi]
impl NativeClient {
    /// Connects (`lazy`: at once, in the background).
    #[napi(factory)]
    pub async fn connect(config_json: String, lazy: bool) -> napi::Result<NativeClient> {
        let config = Config::from_json(&parse(&config_json, "options")?).map_err(err)?;
        let client = if lazy { Client::connect_lazy(config) } else { Client::connect(config).await }.map_err(err)?;
        Ok(NativeClient { client, subs: Shared::default() })
    }

    /// The connection state as JSON.
    #[napi]
    pub fn state_json(&self) -> String {
        self.client.state().to_json().to_string()
    }

    /// The socket's id while connected.
    #[napi]
    pub fn socket_id(&self) -> Option<String> {
        self.client.socket_id()
    }

    /// Calls `listener` with the JSON of every client-level event (`raw`: of every frame from
    /// the hub) until `unsubscribe` or `close`; returns the subscription's id.
    #[napi(ts_args_type = "raw: boolean, listener: (json: string) => void")]
    pub fn subscribe(
        &self,
        raw: bool,
        listener: ThreadsafeFunction<String, (), String, Status, false>,
    ) -> napi::Result<u32> {
        let events = within_runtime_if_available(|| if raw { self.client.raw_events() } else { self.client.events() });
        subscribe(&self.subs, events, listener)
    }

    /// Stops a subscription of this client or of one of its conversations.
    #[napi]
    pub fn unsubscribe(&self, id: u32) {
        unsubscribe(&self.subs, id);
    }

    /// Starts a conversation.
    #[napi]
    pub async fn start_conversation(&self, options_json: String) -> napi::Result<NativeConversation> {
        let opts = StartOptions::from_json(&parse(&options_json, "options")?).map_err(err)?;
        let conversation = self.client.start_conversation(opts).await.map_err(err)?;
        Ok(NativeConversation { conversation, subs: self.subs.clone() })
    }

    /// A handle to an existing conversation.
    #[napi]
    pub fn conversation(&self, conversation_id: String) -> napi::Result<NativeConversation> {
        let c = within_runtime_if_available(|| self.client.conversation(&conversation_id)).map_err(err)?;
        Ok(NativeConversation { conversation: c, subs: self.subs.clone() })
    }

    /// Lists a user's conversations; resolves to JSON.
    #[napi]
    pub async fn list_conversations(&self, options_json: String) -> napi::Result<String> {
        let opts = ListOptions::from_json(&parse(&options_json, "options")?).map_err(err)?;
        Ok(self.client.list_conversations(opts).await.map_err(err)?.to_json().to_string())
    }

    /// Deletes all of a user's conversations.
    #[napi]
    pub async fn delete_user_conversations(&self, user_id: String, hard: bool) -> napi::Result<()> {
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        self.client.delete_user_conversations(&user_id, mode).await.map_err(err)
    }

    /// Sends any event; with a reply type, resolves to the reply's JSON.
    #[napi]
    pub async fn send_raw(
        &self,
        event_type: String,
        payload_json: String,
        reply_event_type: Option<String>,
        conversation_id: Option<String>,
    ) -> napi::Result<Option<String>> {
        let payload = parse(&payload_json, "payload")?;
        match reply_event_type {
            None => {
                self.client.send_raw(&event_type, payload).await.map_err(err)?;
                Ok(None)
            }
            Some(r) => {
                let reply =
                    self.client.request_raw(&event_type, payload, &r, conversation_id.as_deref()).await.map_err(err)?;
                Ok(Some(reply.to_json().to_string()))
            }
        }
    }

    /// Connects again, or retries at once.
    #[napi]
    pub fn reconnect(&self) -> napi::Result<()> {
        self.client.reconnect().map_err(err)
    }

    /// Closes gracefully, then stops every subscription (after delivering what arrived).
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        self.client.close().await;
        stop_all(&self.subs);
        Ok(())
    }
}

/// A conversation.
#[napi]
pub struct NativeConversation {
    conversation: Conversation,
    subs: Shared,
}

#[napi]
impl NativeConversation {
    /// The conversation's id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.conversation.id().to_owned()
    }

    /// Calls `listener` with the JSON of every event of this conversation until the client's
    /// `unsubscribe` or `close`; returns the subscription's id. The first subscription also
    /// gets what arrived before it.
    #[napi(ts_args_type = "listener: (json: string) => void")]
    pub fn subscribe(&self, listener: ThreadsafeFunction<String, (), String, Status, false>) -> napi::Result<u32> {
        let events = within_runtime_if_available(|| self.conversation.events());
        subscribe(&self.subs, events, listener)
    }

    /// Sends a message; resolves to its client_msg_id.
    #[napi]
    pub async fn send_message(&self, text: Option<String>, files_json: Option<String>) -> napi::Result<String> {
        let m = message(text, files_json)?;
        self.conversation.send_message(m).await.map_err(err)
    }

    /// Sets metadata.
    #[napi]
    pub async fn set_metadata(&self, metadata_json: String, target: Option<String>) -> napi::Result<()> {
        let md = parse(&metadata_json, "metadata")?;
        let target = match target {
            None => None,
            Some(t) => Some(
                MetadataTarget::parse(&t).ok_or_else(|| invalid("target must be default, bot, live or bot_live"))?,
            ),
        };
        self.conversation.set_metadata(md, target).await.map_err(err)
    }

    /// Sets private metadata.
    #[napi]
    pub async fn set_private_metadata(&self, private_json: String) -> napi::Result<()> {
        let v = parse(&private_json, "private metadata")?;
        self.conversation.set_private_metadata(v).await.map_err(err)
    }

    /// Sets the files' time to live.
    #[napi]
    pub async fn set_time_to_live(&self, days: u32) -> napi::Result<()> {
        self.conversation.set_time_to_live(days).await.map_err(err)
    }

    /// Resolves to the metadata JSON.
    #[napi]
    pub async fn get_metadata(&self) -> napi::Result<String> {
        Ok(self.conversation.get_metadata().await.map_err(err)?.to_string())
    }

    /// Sends an action.
    #[napi]
    pub async fn send_action(
        &self,
        action_id: String,
        data_json: String,
        action_type: Option<String>,
    ) -> napi::Result<()> {
        let data = parse(&data_json, "data")?;
        self.conversation.send_action(&action_id, data, action_type.as_deref()).await.map_err(err)
    }

    /// Edits a message.
    #[napi]
    pub async fn edit_message(
        &self,
        message_id: String,
        text: Option<String>,
        files_json: Option<String>,
    ) -> napi::Result<()> {
        let m = message(text, files_json)?;
        self.conversation.edit_message(&message_id, m).await.map_err(err)
    }

    /// Resolves to the transcript JSON.
    #[napi]
    pub async fn get_transcript(&self) -> napi::Result<String> {
        Ok(self.conversation.get_transcript().await.map_err(err)?.to_json().to_string())
    }

    /// Deletes the conversation.
    #[napi]
    pub async fn delete(&self, hard: bool) -> napi::Result<()> {
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        self.conversation.delete(mode).await.map_err(err)
    }
}

/// The library's version.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
