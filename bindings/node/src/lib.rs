//! The native part of the Node package `captivate-chat`: promise-returning wrappers over the
//! Rust core. Arguments and results cross as JSON strings; `index.js` turns them into the
//! package's classes, events and `Error` subclasses. A failure rejects with an `Error` whose
//! message is the JSON `{"kind", "message", "details"}`.
#![deny(unsafe_op_in_unsafe_fn)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use captivate::{
    Client, Config, Conversation, DeleteMode, Error, EventStream, FileRef, ListOptions, MetadataTarget,
    OutgoingMessage, StartMode, StartOptions,
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
    let details = match &e {
        Error::Hub { code, description, conversation_id } => json!({
            "code": code.as_ref().map(|c| match c.as_number() { Some(n) => json!(n), None => json!(c.to_string()) }),
            "description": description,
            "conversation_id": conversation_id,
        }),
        Error::PossiblyNotDelivered { client_msg_id } => json!({ "client_msg_id": client_msg_id }),
        Error::Rejected { status } => json!({ "status": status }),
        Error::Timeout { operation, millis } => json!({ "operation": operation, "millis": millis }),
        _ => json!({}),
    };
    fail(e.kind().as_str(), e.to_string(), details)
}

fn invalid(message: impl Into<String>) -> napi::Error {
    fail("invalid_argument", message.into(), json!({}))
}

fn parse(text: &str, what: &str) -> napi::Result<Value> {
    serde_json::from_str(text).map_err(|e| invalid(format!("{what} is not valid JSON: {e}")))
}

fn opt_obj(v: &Value, key: &str) -> napi::Result<Option<Value>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(o @ Value::Object(_)) => Ok(Some(o.clone())),
        Some(_) => Err(invalid(format!("{key} must be an object"))),
    }
}

fn message(text: Option<String>, files_json: Option<String>) -> napi::Result<OutgoingMessage> {
    let files = match files_json {
        None => Vec::new(),
        Some(t) => {
            let v = parse(&t, "files")?;
            let arr = v.as_array().ok_or_else(|| invalid("files must be an array"))?;
            arr.iter()
                .map(|f| {
                    FileRef::from_json(f).filter(|f| !f.url.is_empty()).ok_or_else(|| invalid("each file needs a url"))
                })
                .collect::<napi::Result<Vec<_>>>()?
        }
    };
    Ok(OutgoingMessage { text, files })
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
        let o = parse(&options_json, "options")?;
        let mode = match o.get("start").and_then(Value::as_str) {
            None => StartMode::BotFirst,
            Some(s) => {
                StartMode::parse(s).ok_or_else(|| invalid("the start mode must be 'bot-first' or 'user-first'"))?
            }
        };
        let opts = StartOptions {
            user_id: o.get("user_id").and_then(Value::as_str).map(str::to_owned),
            user_basic_info: opt_obj(&o, "user_basic_info")?,
            metadata: opt_obj(&o, "metadata")?,
            private_metadata: o.get("private_metadata").filter(|v| !v.is_null()).cloned(),
            user_metadata: None,
            user_data: None,
            mode,
        };
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
        let o = parse(&options_json, "options")?;
        let num = |k: &str| -> napi::Result<Option<u32>> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => {
                    s.trim().parse().map(Some).map_err(|_| invalid(format!("{k} must be a positive integer")))
                }
                Some(v) => v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| invalid(format!("{k} must be a positive integer"))),
            }
        };
        let api_keys = match o.get("api_keys") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(
                a.iter()
                    .map(|k| k.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| invalid("apiKeys must be an array of strings"))?,
            ),
            Some(_) => return Err(invalid("apiKeys must be an array of strings")),
        };
        let opts = ListOptions {
            user_id: o.get("user_id").and_then(Value::as_str).unwrap_or_default().to_owned(),
            filter: opt_obj(&o, "filter")?,
            search: opt_obj(&o, "search")?,
            page: num("page")?,
            limit: num("limit")?,
            api_keys,
        };
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
