//! [`Session`]: a client as every front end uses it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use captivate::{
    Client, Config, ConnectionState, Conversation, ConversationList, DeleteMode, Error, EventStream, FileRef, HostFile,
    Inbound, ListOptions, MetadataTarget, OutgoingMessage, Pending, RoutedStream, StartOptions, Transcript, Upload,
};
use serde_json::Value;

use crate::errors::BindingError;
use crate::logs;
use crate::runtime;

/// Conversations listed across several sessions' keys, each with the session of its own key,
/// and the paging information.
/// A listing across keys ([`Session::list_across`]): each conversation, attached to the session
/// of its own key, with what the hub's listing said of it; the paging.
#[derive(Debug)]
pub struct Across {
    /// The conversations, in the hub's order.
    pub entries: Vec<AcrossEntry>,
    /// Paging information, when the hub sent it.
    pub pagination: Option<captivate::Pagination>,
}

/// One conversation of a listing across keys.
#[derive(Debug)]
pub struct AcrossEntry {
    /// The place, in the sessions given, of the session of the conversation's key (the first
    /// such session).
    pub session: usize,
    /// The conversation, attached to that session (and kept in its cache).
    pub conversation: Conversation,
    /// What the hub's listing said of it: its id, metadata and key.
    pub summary: captivate::ConversationSummary,
}

/// A client, its conversations by id, and every operation with the arguments a host language
/// passes (strings, JSON values, flags), checked here once for every front end.
///
/// Requests return a [`Pending`]: already on their way when the method returns (so calls made
/// one after another reach the hub in that order), settled exactly once. Calls after
/// [`Session::close`] fail at once with `closed`.
pub struct Session {
    client: Client,
    conversations: Mutex<HashMap<String, Conversation>>,
    /// Keeps the API key known to the log bridge while the session lives.
    _key: logs::KeyGuard,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("client", &self.client).finish_non_exhaustive()
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::InvalidArgument(message.into())
}

fn invalid<T: Send + 'static>(message: impl Into<String>) -> Pending<T> {
    Pending::failed(bad(message))
}

/// A JSON object, or `null` for none.
fn object(v: Option<&Value>, name: &str) -> Result<Option<Value>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(o @ Value::Object(_)) => Ok(Some(o.clone())),
        Some(_) => Err(bad(format!("{name} must be a JSON object"))),
    }
}

impl Session {
    fn new(client: Client) -> Arc<Session> {
        let key = logs::KeyGuard::new(client.config().api_key.expose());
        Arc::new(Session { client, conversations: Mutex::new(HashMap::new()), _key: key })
    }

    /// Connects and waits for `socket_connected`, failing with the first attempt's error.
    pub async fn connect(config: Config) -> Result<Arc<Session>, BindingError> {
        let client = runtime::handle()
            .spawn(Client::connect(config))
            .await
            .map_err(|e| BindingError::internal(format!("the connect task failed: {e}")))??;
        Ok(Session::new(client))
    }

    /// Returns at once and connects in the background.
    pub fn connect_lazy(config: Config) -> Result<Arc<Session>, BindingError> {
        let _rt = runtime::handle().enter();
        Ok(Session::new(Client::connect_lazy(config)?))
    }

    /// Reads options (see [`captivate::options`]) and connects.
    pub async fn connect_json(options: &Value) -> Result<Arc<Session>, BindingError> {
        Session::connect(Config::from_json(options)?).await
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The connection's state.
    pub fn state(&self) -> ConnectionState {
        self.client.state()
    }

    /// The one ordered feed of every event of the client and its conversations (see
    /// [`crate::Filter`] for which listener gets what).
    pub fn all_events(&self) -> RoutedStream {
        self.client.all_events()
    }

    /// Every frame from the hub, before deduplication and routing.
    pub fn raw_events(&self) -> EventStream {
        self.client.raw_events()
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Conversation>> {
        self.conversations.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The conversation with this id, attached on first use.
    pub fn conversation(&self, id: &str) -> Result<Conversation, BindingError> {
        Ok(self.cached(id)?)
    }

    fn cached(&self, id: &str) -> Result<Conversation, Error> {
        if let Some(c) = self.cache().get(id) {
            return Ok(c.clone());
        }
        let c = self.client.conversation(id)?;
        Ok(self.cache().entry(c.id().to_owned()).or_insert(c).clone())
    }

    fn with_conversation<T: Send + 'static>(
        &self,
        id: &str,
        call: impl FnOnce(Conversation) -> Pending<T>,
    ) -> Pending<T> {
        match self.cached(id) {
            Ok(c) => call(c),
            Err(e) => Pending::failed(e),
        }
    }

    /// Starts a conversation: options as JSON `{"user_id", "user_basic_info", "metadata",
    /// "private_metadata", "user_metadata", "user_data", "start": "bot-first" | "user-first"}`
    /// (camelCase names too), every field optional.
    pub fn start_conversation(self: &Arc<Self>, options: &Value) -> Pending<Conversation> {
        let options = match StartOptions::from_json(&snake_keys(options)) {
            Ok(o) => o,
            Err(e) => return Pending::failed(e),
        };
        let me = self.clone();
        self.client.start_conversation(options).map(move |c| {
            me.cache().insert(c.id().to_owned(), c.clone());
            c
        })
    }

    /// Lists a user's conversations: `{"user_id", "filter", "search", "page", "limit",
    /// "api_keys"}`.
    pub fn list_conversations(&self, options: &Value) -> Pending<ConversationList> {
        match ListOptions::from_json(&snake_keys(options)) {
            Ok(o) => self.client.list_conversations(o),
            Err(e) => Pending::failed(e),
        }
    }

    /// Deletes all of a user's conversations.
    pub fn delete_user_conversations(&self, user_id: &str, hard: bool) -> Pending<()> {
        self.client.delete_user_conversations(user_id, if hard { DeleteMode::Hard } else { DeleteMode::Soft })
    }

    /// The escape hatch: sends any event; with `reply_type`, waits for the first event of that
    /// type (naming `conversation_id`, when given) and returns it, else completes once written.
    pub fn request(
        &self,
        event_type: &str,
        payload: Option<&Value>,
        reply_type: Option<&str>,
        conversation_id: Option<&str>,
    ) -> Pending<Option<Inbound>> {
        let payload = payload.cloned().unwrap_or(Value::Object(Default::default()));
        match reply_type {
            None => self.client.send_raw(event_type, payload).map(|()| None),
            Some(reply) => self.client.request_raw(event_type, payload, reply, conversation_id).map(Some),
        }
    }

    /// Sends a message (text, files as a JSON array of file objects, or both); completes with
    /// its `client_msg_id`.
    pub fn send_message(&self, conversation_id: &str, text: Option<String>, files: Option<&Value>) -> Pending<String> {
        match OutgoingMessage::from_parts(text, files) {
            Ok(m) => self.with_conversation(conversation_id, |c| c.send_message(m)),
            Err(e) => Pending::failed(e),
        }
    }

    /// Sets metadata (a JSON object) for an optional target: `default`, `bot`, `live`,
    /// `bot_live`.
    pub fn set_metadata(&self, conversation_id: &str, metadata: &Value, target: Option<&str>) -> Pending<()> {
        let target = match target.map(|t| MetadataTarget::parse(t).ok_or(t)).transpose() {
            Ok(t) => t,
            Err(t) => return invalid(format!("target must be default, bot, live or bot_live, not {t:?}")),
        };
        let metadata = metadata.clone();
        self.with_conversation(conversation_id, |c| c.set_metadata(metadata, target))
    }

    /// Sets private metadata.
    pub fn set_private_metadata(&self, conversation_id: &str, private: &Value) -> Pending<()> {
        let private = private.clone();
        self.with_conversation(conversation_id, |c| c.set_private_metadata(private))
    }

    /// Sets the time-to-live of the conversation's files: 1, 7, 30 or 90 days.
    pub fn set_time_to_live(&self, conversation_id: &str, days: i64) -> Pending<()> {
        match u32::try_from(days) {
            Ok(d) => self.with_conversation(conversation_id, |c| c.set_time_to_live(d)),
            Err(_) => invalid(format!("time to live must be 1, 7, 30 or 90 days, not {days}")),
        }
    }

    /// The conversation's metadata.
    pub fn get_metadata(&self, conversation_id: &str) -> Pending<Value> {
        self.with_conversation(conversation_id, |c| c.get_metadata())
    }

    /// Sends an action with its data (`null`: `{}`); the type defaults to `normal`.
    pub fn send_action(
        &self,
        conversation_id: &str,
        action_id: &str,
        data: Option<&Value>,
        action_type: Option<&str>,
    ) -> Pending<()> {
        let data = data.cloned().unwrap_or(Value::Null);
        let action_type = action_type.map(str::to_owned);
        self.with_conversation(conversation_id, |c| c.send_action(action_id, data, action_type.as_deref()))
    }

    /// Edits a message the user sent.
    pub fn edit_message(
        &self,
        conversation_id: &str,
        message_id: &str,
        text: Option<String>,
        files: Option<&Value>,
    ) -> Pending<()> {
        match OutgoingMessage::from_parts(text, files) {
            Ok(m) => self.with_conversation(conversation_id, |c| c.edit_message(message_id, m)),
            Err(e) => Pending::failed(e),
        }
    }

    /// The conversation's transcript.
    pub fn get_transcript(&self, conversation_id: &str) -> Pending<Transcript> {
        self.with_conversation(conversation_id, |c| c.get_transcript())
    }

    /// Deletes the conversation (soft, or hard); it leaves the cache once deleted.
    pub fn delete_conversation(self: &Arc<Self>, conversation_id: &str, hard: bool) -> Pending<()> {
        let me = self.clone();
        let id = conversation_id.to_owned();
        self.with_conversation(conversation_id, |c| c.delete(if hard { DeleteMode::Hard } else { DeleteMode::Soft }))
            .map(move |()| {
                me.cache().remove(&id);
            })
    }

    /// Connects again (after `close` or a failure) or retries now (while waiting to
    /// reconnect), and waits until connected, at most the connect timeout; fails with the
    /// reason when it is not (the client keeps trying in the background unless closed or
    /// failed). Listen again after a close: streams ended by it stay ended.
    pub async fn reconnect(&self) -> Result<(), BindingError> {
        self.client.reconnect()?;
        let wait = self.client.config().timings.connect_timeout;
        let client = self.client.clone();
        runtime::handle()
            .spawn(async move { client.wait_connected(wait).await })
            .await
            .map_err(|e| BindingError::internal(format!("the reconnect task failed: {e}")))??;
        Ok(())
    }

    /// Closes gracefully and waits until closed: every stream ends, and calls made afterwards
    /// fail at once with `closed`.
    pub async fn close(&self) {
        let client = self.client.clone();
        let _ = runtime::handle().spawn(async move { client.close().await }).await;
    }

    /// Uploads a file through the file-to-text service: `options` are the upload schema's
    /// (`{"file_name", "content_type", "storage", "url", "ttl_days"}`, their aliases and
    /// defaults: [`captivate::UPLOAD_OPTIONS`]), read by [`Upload::from_json`]. With a
    /// conversation id, the file is filed under it and kept as long as its last time-to-live.
    /// Completes with the file object to send in a message (`FileRef::to_json`).
    /// `file` is what the front end read (its bytes, and the name and type it knows of
    /// itself, which options that name none take).
    pub fn upload_file(&self, conversation_id: Option<&str>, file: HostFile, options: &Value) -> Pending<FileRef> {
        match Upload::from_host(file, options) {
            Ok(upload) => self.upload(conversation_id, upload),
            Err(e) => Pending::failed(e),
        }
    }

    /// Uploads a file already read from its options (for front ends that check the options
    /// at the call: `Upload::from_host`), as [`Session::upload_file`] does.
    pub fn upload(&self, conversation_id: Option<&str>, upload: Upload) -> Pending<FileRef> {
        match conversation_id {
            Some(id) => self.with_conversation(id, |c| c.upload_file(upload)),
            None => self.client.upload_file(upload),
        }
    }

    /// Uploads several files at once, each its bytes and its options (as for
    /// [`Session::upload_file`]). The policy is the core's
    /// ([`captivate::Client::upload_files`]): every upload is checked before any starts (a bad
    /// one fails the call naming its position, and nothing is uploaded); then all run, each to
    /// its end; the file objects come back in the files' order, or the call fails with the
    /// error of the first that failed in that order (those that succeeded stay stored).
    pub fn upload_files(&self, conversation_id: Option<&str>, files: Vec<(HostFile, Value)>) -> Pending<Vec<FileRef>> {
        let uploads = match Upload::from_hosts(files) {
            Ok(u) => u,
            Err(e) => return Pending::failed(e),
        };
        match conversation_id {
            Some(id) => self.with_conversation(id, |c| c.upload_files(uploads)),
            None => self.client.upload_files(uploads),
        }
    }

    /// A new presigned link to a stored file (default lifetime two hours).
    pub fn presigned_url(&self, file_key: &str, expires_in_secs: Option<u64>) -> Pending<String> {
        let lifetime = std::time::Duration::from_secs(expires_in_secs.unwrap_or(7200));
        self.client.presigned_url(file_key, lifetime)
    }

    /// Lists a user's conversations across the keys of several sessions (`options` as for
    /// [`Session::list_conversations`]; `api_keys` defaults to every session's key), asking
    /// through the first; each conversation comes back with the session of its own key.
    pub fn list_across(sessions: &[Arc<Session>], options: &Value) -> Pending<Across> {
        let options = match ListOptions::from_json(&snake_keys(options)) {
            Ok(o) => o,
            Err(e) => return Pending::failed(e),
        };
        if sessions.is_empty() {
            return invalid("at least one client is needed");
        }
        let manager = captivate::Manager::from_clients(sessions.iter().map(|s| s.client.clone()));
        let sessions = sessions.to_vec();
        Pending::new(async move {
            let list = manager.list_conversations(options).await?;
            let mut entries = Vec::with_capacity(list.conversations.len());
            for (conversation, summary) in list.conversations.into_iter().zip(list.summaries) {
                let key = &conversation.client().config().api_key;
                let session = sessions
                    .iter()
                    .position(|s| &s.client.config().api_key == key)
                    .ok_or_else(|| Error::Internal("a conversation of no session".into()))?;
                sessions[session].cache().insert(conversation.id().to_owned(), conversation.clone());
                entries.push(AcrossEntry { session, conversation, summary });
            }
            Ok(Across { entries, pagination: list.pagination })
        })
    }

    /// Validates a JSON object argument (`null` is none).
    pub fn object(v: Option<&Value>, name: &str) -> Result<Option<Value>, BindingError> {
        Ok(object(v, name)?)
    }
}

/// `{"userId": ..}` as `{"user_id": ..}`: the front ends' option objects take either spelling
/// (top-level keys only; values such as metadata are passed as given).
fn snake_keys(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (captivate::options::snake(k), v.clone())).collect()),
        other => other.clone(),
    }
}
