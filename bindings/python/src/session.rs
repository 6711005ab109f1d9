//! [`Session`]: a client of the binding layer, each operation started on a [`Completions`]
//! (which returns a token, or raises at once when the call fails before anything is sent).
//! Arguments arrive as Python values: their types are checked by the conversion to JSON
//! ([`crate::values`]), their values once, by the binding layer.

use std::sync::Arc;

use captivate::{Config, ConversationList};
use captivate_binding::{BindingError, Session as Inner, runtime};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes};

use crate::calls::{Call, Completions, Done, call};
use crate::errors;
use crate::feed::Feed;
use crate::types::ConnectionState;
use crate::values::{to_json, to_json_opt};

/// A connected client and its conversations.
#[pyclass(frozen)]
pub(crate) struct Session {
    inner: Arc<Inner>,
}

impl From<Arc<Inner>> for Session {
    fn from(inner: Arc<Inner>) -> Self {
        Session { inner }
    }
}

fn ready(done: Result<Done, BindingError>) -> Call {
    Box::pin(std::future::ready(done))
}

#[pymethods]
impl Session {
    /// Connects with options (a dict of the schema's names, see `options()`); completes with
    /// the session. `lazy`: completes at once and connects in the background.
    #[staticmethod]
    #[pyo3(signature = (completions, options, lazy=false))]
    fn connect(completions: &Completions, options: &Bound<'_, PyAny>, lazy: bool) -> PyResult<u64> {
        let options = to_json(options, "options")?;
        let c: Call = if lazy {
            ready(
                Config::from_json(&options)
                    .map_err(BindingError::from)
                    .and_then(Inner::connect_lazy)
                    .map(Done::Session),
            )
        } else {
            // All of it on the runtime, so that what the client keeps is allocated where its
            // connection lives (the same allocator arena), not on the caller's thread.
            let task = runtime::handle().spawn(async move { Inner::connect_json(&options).await });
            Box::pin(async move {
                match task.await {
                    Ok(r) => r.map(Done::Session),
                    Err(e) => Err(BindingError::internal(format!("the connect task failed: {e}"))),
                }
            })
        };
        completions.start(c)
    }

    /// The connection's state.
    fn state(&self) -> ConnectionState {
        ConnectionState { state: self.inner.state() }
    }

    /// The hub's id of the current socket, while connected.
    fn socket_id(&self) -> Option<String> {
        self.inner.client().socket_id()
    }

    /// The feed of every event of the client and its conversations.
    fn feed(&self) -> Feed {
        Feed::all(&self.inner)
    }

    /// A feed of every frame from the hub, before deduplication and routing.
    fn raw_feed(&self) -> Feed {
        Feed::raw(&self.inner)
    }

    /// Starts a conversation (options: `user_id`, `user_basic_info`, `metadata`,
    /// `private_metadata`, `user_metadata`, `user_data`, `start`); completes with its id.
    fn start_conversation(&self, completions: &Completions, options: &Bound<'_, PyAny>) -> PyResult<u64> {
        let options = to_json(options, "options")?;
        let pending = self.inner.start_conversation(&options).map(|c| c.id().to_owned());
        completions.start(call(pending, Done::Text))
    }

    /// Attaches an existing conversation: its events are routed to it from now on. Returns its
    /// id.
    fn conversation(&self, conversation_id: &str) -> PyResult<String> {
        self.inner.conversation(conversation_id).map(|c| c.id().to_owned()).map_err(errors::to_py)
    }

    /// Lists a user's conversations (options: `user_id`, `filter`, `search`, `page`, `limit`,
    /// `api_keys`).
    fn list_conversations(&self, completions: &Completions, options: &Bound<'_, PyAny>) -> PyResult<u64> {
        let options = to_json(options, "options")?;
        completions.start(call(self.inner.list_conversations(&options), Done::List))
    }

    /// Deletes all of a user's conversations.
    fn delete_user_conversations(&self, completions: &Completions, user_id: &str, hard: bool) -> PyResult<u64> {
        completions.start(call(self.inner.delete_user_conversations(user_id, hard), |()| Done::Unit))
    }

    /// Sends any event; with `reply_type`, completes with the first event of that type (naming
    /// `conversation_id`, when given), else once written (with None).
    #[pyo3(signature = (completions, event_type, payload=None, reply_type=None, conversation_id=None))]
    fn request(
        &self,
        completions: &Completions,
        event_type: &str,
        payload: Option<&Bound<'_, PyAny>>,
        reply_type: Option<&str>,
        conversation_id: Option<&str>,
    ) -> PyResult<u64> {
        let payload = to_json_opt(payload, "payload")?;
        let pending = self.inner.request(event_type, payload.as_ref(), reply_type, conversation_id);
        completions.start(call(pending, Done::Reply))
    }

    /// Sends a message (text, files, or both); completes with its `client_msg_id`.
    #[pyo3(signature = (completions, conversation_id, text=None, files=None))]
    fn send_message(
        &self,
        completions: &Completions,
        conversation_id: &str,
        text: Option<String>,
        files: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let files = to_json_opt(files, "files")?;
        completions.start(call(self.inner.send_message(conversation_id, text, files.as_ref()), Done::Text))
    }

    /// Sets metadata (a dict) for an optional target.
    #[pyo3(signature = (completions, conversation_id, metadata, target=None))]
    fn set_metadata(
        &self,
        completions: &Completions,
        conversation_id: &str,
        metadata: &Bound<'_, PyAny>,
        target: Option<&str>,
    ) -> PyResult<u64> {
        let metadata = to_json(metadata, "metadata")?;
        completions.start(call(self.inner.set_metadata(conversation_id, &metadata, target), |()| Done::Unit))
    }

    /// Sets private metadata.
    fn set_private_metadata(
        &self,
        completions: &Completions,
        conversation_id: &str,
        private: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let private = to_json(private, "private")?;
        completions.start(call(self.inner.set_private_metadata(conversation_id, &private), |()| Done::Unit))
    }

    /// Sets the time to live of the conversation's files (1, 7, 30 or 90 days).
    fn set_time_to_live(
        &self,
        completions: &Completions,
        conversation_id: &str,
        days: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        if days.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err("days must be an int, not bool"));
        }
        let days: i64 = days.extract()?;
        completions.start(call(self.inner.set_time_to_live(conversation_id, days), |()| Done::Unit))
    }

    /// The conversation's metadata.
    fn get_metadata(&self, completions: &Completions, conversation_id: &str) -> PyResult<u64> {
        completions.start(call(self.inner.get_metadata(conversation_id), Done::Json))
    }

    /// Sends an action with its data (None: `{}`).
    #[pyo3(signature = (completions, conversation_id, action_id, data=None, action_type=None))]
    fn send_action(
        &self,
        completions: &Completions,
        conversation_id: &str,
        action_id: &str,
        data: Option<&Bound<'_, PyAny>>,
        action_type: Option<&str>,
    ) -> PyResult<u64> {
        let data = to_json_opt(data, "data")?;
        let pending = self.inner.send_action(conversation_id, action_id, data.as_ref(), action_type);
        completions.start(call(pending, |()| Done::Unit))
    }

    /// Edits a message sent earlier.
    #[pyo3(signature = (completions, conversation_id, message_id, text=None, files=None))]
    fn edit_message(
        &self,
        completions: &Completions,
        conversation_id: &str,
        message_id: &str,
        text: Option<String>,
        files: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let files = to_json_opt(files, "files")?;
        let pending = self.inner.edit_message(conversation_id, message_id, text, files.as_ref());
        completions.start(call(pending, |()| Done::Unit))
    }

    /// The conversation's transcript.
    fn get_transcript(&self, completions: &Completions, conversation_id: &str) -> PyResult<u64> {
        completions.start(call(self.inner.get_transcript(conversation_id), Done::Transcript))
    }

    /// Deletes the conversation.
    fn delete_conversation(&self, completions: &Completions, conversation_id: &str, hard: bool) -> PyResult<u64> {
        completions.start(call(self.inner.delete_conversation(conversation_id, hard), |()| Done::Unit))
    }

    /// Uploads a file through the file-to-text service (options: the upload schema's,
    /// `file_name`, `content_type`, `storage`, `url`, `ttl_days`, read and checked by the core),
    /// filed under the conversation when one is given; completes with the `File` to send.
    #[pyo3(signature = (completions, conversation_id, data, options))]
    fn upload_file(
        &self,
        completions: &Completions,
        conversation_id: Option<&str>,
        data: &[u8],
        options: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let options = to_json(options, "options")?;
        let pending = self.inner.upload_file(conversation_id, data.to_vec().into(), &options);
        completions.start(call(pending, |f| Done::File(Box::new(f))))
    }

    /// Uploads several files at once (each `(bytes, options)` as for `upload_file`), with the
    /// binding layer's policy: every upload is checked before any starts (a bad one fails the
    /// call naming its position, nothing is uploaded); then all run, each to its end; completes
    /// with their `File`s in the same order, or with the error of the first that failed in that
    /// order (those that succeeded stay stored).
    fn upload_files(
        &self,
        completions: &Completions,
        conversation_id: Option<&str>,
        files: Vec<(Bound<'_, PyBytes>, Bound<'_, PyAny>)>,
    ) -> PyResult<u64> {
        let mut each = Vec::with_capacity(files.len());
        for (data, options) in &files {
            each.push((data.as_bytes().to_vec().into(), to_json(options, "options")?));
        }
        completions.start(call(self.inner.upload_files(conversation_id, each), Done::Files))
    }

    /// A new presigned link to a stored file, living `expires_in` seconds (None: two hours).
    #[pyo3(signature = (completions, file_key, expires_in=None))]
    fn presigned_url(&self, completions: &Completions, file_key: &str, expires_in: Option<u64>) -> PyResult<u64> {
        completions.start(call(self.inner.presigned_url(file_key, expires_in), Done::Text))
    }

    /// Lists a user's conversations across the keys of several sessions (options as for
    /// `list_conversations`), asking through the first; completes with `([index of each
    /// conversation's session in sessions], listing)`: the listing is what the hub said of each
    /// conversation (id, metadata, key), in the same order, and the paging.
    #[staticmethod]
    fn list_across(
        completions: &Completions,
        sessions: Vec<PyRef<'_, Session>>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let options = to_json(options, "options")?;
        let sessions: Vec<Arc<Inner>> = sessions.iter().map(|s| s.inner.clone()).collect();
        let listed = Inner::list_across(&sessions, &options);
        completions.start(call(listed, |list| {
            let (clients, summaries) = list.entries.into_iter().map(|e| (e.session, e.summary)).unzip();
            Done::Across(clients, ConversationList { conversations: summaries, pagination: list.pagination })
        }))
    }

    /// Connects again (after a close or a failure) or retries now, and completes once
    /// connected (or fails with the reason).
    fn reconnect(&self, completions: &Completions) -> PyResult<u64> {
        let inner = self.inner.clone();
        completions.start(Box::pin(async move { inner.reconnect().await.map(|()| Done::Unit) }))
    }

    /// Closes gracefully; completes once closed.
    fn close(&self, completions: &Completions) -> PyResult<u64> {
        let inner = self.inner.clone();
        completions.start(Box::pin(async move {
            inner.close().await;
            Ok(Done::Unit)
        }))
    }
}
