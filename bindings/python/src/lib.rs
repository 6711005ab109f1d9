//! The native part of the Python package `captivate`: thin wrappers over the Rust core.
//! Arguments and results cross as JSON strings; the Python layer
//! (`python/captivate/__init__.py`) turns them into typed objects and exceptions.
//!
//! Asynchronous calls never touch Python from the runtime's threads. Each call is started with
//! a [`Completions`] object (one per asyncio loop) and returns a token at once; when the call
//! is done its outcome, still a Rust value, goes into that object's queue and one byte into its
//! pipe. The loop watches the pipe and, on its own thread with the GIL, takes the outcomes and
//! settles its futures. So no runtime thread ever waits for the GIL, and nothing can run into
//! an interpreter that is shutting down.
#![deny(unsafe_op_in_unsafe_fn)]

mod completions;

use std::sync::Arc;
use std::time::Duration;

use captivate::{
    Client, Config, Conversation, DeleteMode, Error, EventStream, ListOptions, MetadataTarget, OutgoingMessage,
    StartOptions,
};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use serde_json::Value;

use completions::{Completions, Done, runtime};

pyo3::create_exception!(
    _native,
    NativeError,
    PyException,
    "An error of the native layer; args are (kind, message, details_json)."
);

/// The arguments of a [`NativeError`] for a core error.
pub(crate) fn error_args(e: &Error) -> (String, String, String) {
    (e.kind().as_str().to_owned(), e.to_string(), e.details().to_string())
}

fn err(e: Error) -> PyErr {
    NativeError::new_err(error_args(&e))
}

fn invalid(message: impl Into<String>) -> PyErr {
    NativeError::new_err(("invalid_argument", message.into(), "{}".to_owned()))
}

fn parse(json_text: &str, what: &str) -> PyResult<Value> {
    serde_json::from_str(json_text).map_err(|e| invalid(format!("{what} is not valid JSON: {e}")))
}

fn message(text: Option<String>, files_json: Option<&str>) -> PyResult<OutgoingMessage> {
    let files = files_json.map(|t| parse(t, "files")).transpose()?;
    OutgoingMessage::from_parts(text, files.as_ref()).map_err(err)
}

/// A stream of events as JSON strings.
#[pyclass(frozen)]
struct NativeEventStream {
    inner: Arc<tokio::sync::Mutex<EventStream>>,
}

#[pymethods]
impl NativeEventStream {
    /// Starts waiting for the next event's JSON, at most `timeout` seconds (None: no limit);
    /// completes with the JSON, or None on timeout or once the stream has ended.
    #[pyo3(signature = (completions, timeout=None))]
    fn next(&self, completions: &Completions, timeout: Option<f64>) -> u64 {
        let inner = self.inner.clone();
        completions.spawn(async move {
            let mut s = inner.lock().await;
            let next = match timeout {
                Some(t) => tokio::time::timeout(Duration::from_secs_f64(t.max(0.0)), s.next()).await.ok().flatten(),
                None => s.next().await,
            };
            Done::OptStr(next.map(|e| e.to_json().to_string()))
        })
    }

    /// Blocks (without the GIL) for the next event's JSON, at most `timeout` seconds (None:
    /// no limit). Returns (json, ended): (None, False) on timeout, (None, True) once the
    /// stream has ended.
    fn next_blocking(&self, py: Python<'_>, timeout: Option<f64>) -> (Option<String>, bool) {
        let inner = self.inner.clone();
        py.detach(move || {
            runtime().block_on(async move {
                let mut s = inner.lock().await;
                let next = match timeout {
                    Some(t) => match tokio::time::timeout(Duration::from_secs_f64(t.max(0.0)), s.next()).await {
                        Ok(next) => next,
                        Err(_) => return (None, false),
                    },
                    None => s.next().await,
                };
                match next {
                    Some(e) => (Some(e.to_json().to_string()), false),
                    None => (None, true),
                }
            })
        })
    }
}

fn stream(s: EventStream) -> NativeEventStream {
    NativeEventStream { inner: Arc::new(tokio::sync::Mutex::new(s)) }
}

/// A connection to the hub.
#[pyclass(frozen)]
struct NativeClient {
    client: Client,
}

#[pymethods]
impl NativeClient {
    /// Starts connecting (`lazy`: completes at once and connects in the background); completes
    /// with the client.
    #[staticmethod]
    fn connect(completions: &Completions, config_json: String, lazy: bool) -> PyResult<u64> {
        let config = Config::from_json(&parse(&config_json, "options")?).map_err(err)?;
        Ok(completions.spawn(async move {
            let client = if lazy { Client::connect_lazy(config) } else { Client::connect(config).await };
            client.map_or_else(Done::Err, Done::Client)
        }))
    }

    /// The connection state as JSON.
    fn state_json(&self) -> String {
        self.client.state().to_json().to_string()
    }

    /// The hub's id of the current socket, while connected.
    fn socket_id(&self) -> Option<String> {
        self.client.socket_id()
    }

    /// Client-level events.
    fn events(&self) -> NativeEventStream {
        stream(self.client.events())
    }

    /// Every frame from the hub.
    fn raw_events(&self) -> NativeEventStream {
        stream(self.client.raw_events())
    }

    /// Starts a conversation; completes with it.
    fn start_conversation(&self, completions: &Completions, options_json: String) -> PyResult<u64> {
        let opts = StartOptions::from_json(&parse(&options_json, "options")?).map_err(err)?;
        Ok(completions.spawn_pending(self.client.start_conversation(opts)))
    }

    /// A handle to an existing conversation.
    fn conversation(&self, conversation_id: &str) -> PyResult<NativeConversation> {
        Ok(NativeConversation { conversation: self.client.conversation(conversation_id).map_err(err)? })
    }

    /// Lists a user's conversations; completes with JSON.
    fn list_conversations(&self, completions: &Completions, options_json: String) -> PyResult<u64> {
        let opts = ListOptions::from_json(&parse(&options_json, "options")?).map_err(err)?;
        Ok(completions.spawn_pending(self.client.list_conversations(opts).map(|l| l.to_json().to_string())))
    }

    /// Deletes all of a user's conversations.
    fn delete_user_conversations(&self, completions: &Completions, user_id: String, hard: bool) -> u64 {
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        completions.spawn_pending(self.client.delete_user_conversations(&user_id, mode))
    }

    /// Sends any event; with a reply type, completes with the reply's JSON (else None).
    #[pyo3(signature = (completions, event_type, payload_json, reply_event_type=None, conversation_id=None))]
    fn send_raw(
        &self,
        completions: &Completions,
        event_type: String,
        payload_json: String,
        reply_event_type: Option<String>,
        conversation_id: Option<String>,
    ) -> PyResult<u64> {
        let payload = parse(&payload_json, "payload")?;
        let pending = match reply_event_type {
            None => self.client.send_raw(&event_type, payload).map(|()| None),
            Some(r) => self
                .client
                .request_raw(&event_type, payload, &r, conversation_id.as_deref())
                .map(|reply| Some(reply.to_json().to_string())),
        };
        Ok(completions.spawn_pending(pending))
    }

    /// Connects again, or retries at once.
    fn reconnect(&self) -> PyResult<()> {
        self.client.reconnect().map_err(err)
    }

    /// Closes gracefully.
    fn close(&self, completions: &Completions) -> u64 {
        let client = self.client.clone();
        completions.spawn(async move {
            client.close().await;
            Done::Unit
        })
    }
}

/// A conversation.
#[pyclass(frozen)]
struct NativeConversation {
    conversation: Conversation,
}

#[pymethods]
impl NativeConversation {
    /// The conversation's id.
    #[getter]
    fn id(&self) -> String {
        self.conversation.id().to_owned()
    }

    /// This conversation's events.
    fn events(&self) -> NativeEventStream {
        stream(self.conversation.events())
    }

    /// Sends a message; completes with its client_msg_id.
    #[pyo3(signature = (completions, text=None, files_json=None))]
    fn send_message(
        &self,
        completions: &Completions,
        text: Option<String>,
        files_json: Option<String>,
    ) -> PyResult<u64> {
        let msg = message(text, files_json.as_deref())?;
        Ok(completions.spawn_pending(self.conversation.send_message(msg)))
    }

    /// Sets metadata.
    #[pyo3(signature = (completions, metadata_json, target=None))]
    fn set_metadata(&self, completions: &Completions, metadata_json: String, target: Option<String>) -> PyResult<u64> {
        let md = parse(&metadata_json, "metadata")?;
        let target = match target {
            None => None,
            Some(t) => Some(
                MetadataTarget::parse(&t).ok_or_else(|| invalid("target must be default, bot, live or bot_live"))?,
            ),
        };
        Ok(completions.spawn_pending(self.conversation.set_metadata(md, target)))
    }

    /// Sets private metadata.
    fn set_private_metadata(&self, completions: &Completions, private_json: String) -> PyResult<u64> {
        let v = parse(&private_json, "private metadata")?;
        Ok(completions.spawn_pending(self.conversation.set_private_metadata(v)))
    }

    /// Sets the files' time to live.
    fn set_time_to_live(&self, completions: &Completions, days: u32) -> u64 {
        completions.spawn_pending(self.conversation.set_time_to_live(days))
    }

    /// Completes with the metadata JSON.
    fn get_metadata(&self, completions: &Completions) -> u64 {
        completions.spawn_pending(self.conversation.get_metadata().map(|v| v.to_string()))
    }

    /// Sends an action.
    #[pyo3(signature = (completions, action_id, data_json, action_type=None))]
    fn send_action(
        &self,
        completions: &Completions,
        action_id: String,
        data_json: String,
        action_type: Option<String>,
    ) -> PyResult<u64> {
        let data = parse(&data_json, "data")?;
        Ok(completions.spawn_pending(self.conversation.send_action(&action_id, data, action_type.as_deref())))
    }

    /// Edits a message.
    #[pyo3(signature = (completions, message_id, text=None, files_json=None))]
    fn edit_message(
        &self,
        completions: &Completions,
        message_id: String,
        text: Option<String>,
        files_json: Option<String>,
    ) -> PyResult<u64> {
        let msg = message(text, files_json.as_deref())?;
        Ok(completions.spawn_pending(self.conversation.edit_message(&message_id, msg)))
    }

    /// Completes with the transcript JSON.
    fn get_transcript(&self, completions: &Completions) -> u64 {
        completions.spawn_pending(self.conversation.get_transcript().map(|t| t.to_json().to_string()))
    }

    /// Deletes the conversation.
    fn delete(&self, completions: &Completions, hard: bool) -> u64 {
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        completions.spawn_pending(self.conversation.delete(mode))
    }
}

/// A call's outcome as Python objects: `(error_args, None)` or `(None, value)`.
#[allow(clippy::type_complexity)]
pub(crate) fn into_py(py: Python<'_>, done: Done) -> PyResult<(Option<(String, String, String)>, Py<PyAny>)> {
    let value = match done {
        Done::Err(e) => return Ok((Some(error_args(&e)), py.None())),
        Done::Unit => py.None(),
        Done::Str(s) => s.into_pyobject(py)?.into_any().unbind(),
        Done::OptStr(s) => s.into_pyobject(py)?.into_any().unbind(),
        Done::Client(client) => Py::new(py, NativeClient { client })?.into_any(),
        Done::Conversation(conversation) => Py::new(py, NativeConversation { conversation })?.into_any(),
    };
    Ok((None, value))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add_class::<Completions>()?;
    m.add_class::<NativeClient>()?;
    m.add_class::<NativeConversation>()?;
    m.add_class::<NativeEventStream>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
