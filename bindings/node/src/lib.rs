//! The native part of the Node package `captivate-chat`: promise-returning wrappers over the
//! Rust core. Arguments and results cross as JSON strings; `index.js` turns them into the
//! package's classes, events and `Error` subclasses. A failure rejects with an `Error` whose
//! message is the JSON `{"kind", "message", "details"}`.
#![deny(unsafe_op_in_unsafe_fn)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use captivate::{
    Client, Config, Conversation, DeleteMode, Error, EventStream, ListOptions, MetadataTarget, OutgoingMessage,
    Pending, StartOptions,
};
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
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

/// A Promise settled by a request the core has already submitted (it submits at the call, so
/// calls made one after the other without `await` reach the hub in call order).
fn settle<'e, T>(env: &'e Env, pending: Pending<T>) -> napi::Result<PromiseRaw<'e, T>>
where
    T: 'static + Send + ToNapiValue,
{
    env.spawn_future(async move { pending.await.map_err(err) })
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
        let events = if raw { self.client.raw_events() } else { self.client.events() };
        subscribe(&self.subs, events, listener)
    }

    /// Stops a subscription of this client or of one of its conversations.
    #[napi]
    pub fn unsubscribe(&self, id: u32) {
        unsubscribe(&self.subs, id);
    }

    /// Starts a conversation; resolves to its handle.
    #[napi(ts_return_type = "Promise<NativeConversation>")]
    pub fn start_conversation<'e>(
        &self,
        env: &'e Env,
        options_json: String,
    ) -> napi::Result<PromiseRaw<'e, NativeConversation>> {
        let opts = StartOptions::from_json(&parse(&options_json, "options")?).map_err(err)?;
        let subs = self.subs.clone();
        let pending = self.client.start_conversation(opts);
        settle(env, pending.map(|conversation| NativeConversation { conversation, subs }))
    }

    /// A handle to an existing conversation.
    #[napi]
    pub fn conversation(&self, conversation_id: String) -> napi::Result<NativeConversation> {
        let c = self.client.conversation(&conversation_id).map_err(err)?;
        Ok(NativeConversation { conversation: c, subs: self.subs.clone() })
    }

    /// Lists a user's conversations; resolves to JSON.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn list_conversations<'e>(&self, env: &'e Env, options_json: String) -> napi::Result<PromiseRaw<'e, String>> {
        let opts = ListOptions::from_json(&parse(&options_json, "options")?).map_err(err)?;
        let pending = self.client.list_conversations(opts);
        settle(env, pending.map(|list| list.to_json().to_string()))
    }

    /// Deletes all of a user's conversations.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_user_conversations<'e>(
        &self,
        env: &'e Env,
        user_id: String,
        hard: bool,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        settle(env, self.client.delete_user_conversations(&user_id, mode))
    }

    /// Sends any event; with a reply type, resolves to the reply's JSON.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn send_raw<'e>(
        &self,
        env: &'e Env,
        event_type: String,
        payload_json: String,
        reply_event_type: Option<String>,
        conversation_id: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, Option<String>>> {
        let payload = parse(&payload_json, "payload")?;
        let pending = match reply_event_type {
            None => self.client.send_raw(&event_type, payload).map(|()| None),
            Some(r) => self
                .client
                .request_raw(&event_type, payload, &r, conversation_id.as_deref())
                .map(|reply| Some(reply.to_json().to_string())),
        };
        settle(env, pending)
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
        let events = self.conversation.events();
        subscribe(&self.subs, events, listener)
    }

    /// Sends a message; resolves to its client_msg_id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn send_message<'e>(
        &self,
        env: &'e Env,
        text: Option<String>,
        files_json: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let m = message(text, files_json)?;
        settle(env, self.conversation.send_message(m))
    }

    /// Sets metadata.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_metadata<'e>(
        &self,
        env: &'e Env,
        metadata_json: String,
        target: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let md = parse(&metadata_json, "metadata")?;
        let target = match target {
            None => None,
            Some(t) => Some(
                MetadataTarget::parse(&t).ok_or_else(|| invalid("target must be default, bot, live or bot_live"))?,
            ),
        };
        settle(env, self.conversation.set_metadata(md, target))
    }

    /// Sets private metadata.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_private_metadata<'e>(&self, env: &'e Env, private_json: String) -> napi::Result<PromiseRaw<'e, ()>> {
        let v = parse(&private_json, "private metadata")?;
        settle(env, self.conversation.set_private_metadata(v))
    }

    /// Sets the files' time to live.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_time_to_live<'e>(&self, env: &'e Env, days: u32) -> napi::Result<PromiseRaw<'e, ()>> {
        settle(env, self.conversation.set_time_to_live(days))
    }

    /// Resolves to the metadata JSON.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn get_metadata<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let pending = self.conversation.get_metadata();
        settle(env, pending.map(|metadata| metadata.to_string()))
    }

    /// Sends an action.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_action<'e>(
        &self,
        env: &'e Env,
        action_id: String,
        data_json: String,
        action_type: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let data = parse(&data_json, "data")?;
        settle(env, self.conversation.send_action(&action_id, data, action_type.as_deref()))
    }

    /// Edits a message.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn edit_message<'e>(
        &self,
        env: &'e Env,
        message_id: String,
        text: Option<String>,
        files_json: Option<String>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let m = message(text, files_json)?;
        settle(env, self.conversation.edit_message(&message_id, m))
    }

    /// Resolves to the transcript JSON.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn get_transcript<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let pending = self.conversation.get_transcript();
        settle(env, pending.map(|transcript| transcript.to_json().to_string()))
    }

    /// Deletes the conversation.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete<'e>(&self, env: &'e Env, hard: bool) -> napi::Result<PromiseRaw<'e, ()>> {
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        settle(env, self.conversation.delete(mode))
    }
}

/// The library's version.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
