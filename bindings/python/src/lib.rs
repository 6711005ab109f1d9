//! The native part of the Python package `captivate`: thin asynchronous wrappers over the
//! Rust core. Arguments and results cross as JSON strings; the Python layer
//! (`python/captivate/__init__.py`) turns them into typed objects and exceptions.
#![deny(unsafe_op_in_unsafe_fn)]

use std::sync::Arc;
use std::time::Duration;

use captivate::{
    Client, Config, Conversation, DeleteMode, Error, EventStream, ListOptions, MetadataTarget, OutgoingMessage,
    StartOptions,
};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3_async_runtimes::tokio::{future_into_py, get_runtime};
use serde_json::Value;

pyo3::create_exception!(
    _native,
    NativeError,
    PyException,
    "An error of the native layer; args are (kind, message, details_json)."
);

fn err(e: Error) -> PyErr {
    NativeError::new_err((e.kind().as_str(), e.to_string(), e.details().to_string()))
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
    /// Awaits the next event's JSON; None once the client is gone.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let mut s = inner.lock().await;
            Ok(s.next().await.map(|e| e.to_json().to_string()))
        })
    }

    /// Blocks (without the GIL) for the next event's JSON, at most `timeout` seconds (None:
    /// no limit). Returns (json, ended): (None, False) on timeout, (None, True) once the
    /// stream has ended.
    fn next_blocking(&self, py: Python<'_>, timeout: Option<f64>) -> (Option<String>, bool) {
        let inner = self.inner.clone();
        py.detach(move || {
            get_runtime().block_on(async move {
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
    /// Connects (`lazy`: returns at once and connects in the background).
    #[staticmethod]
    fn connect(py: Python<'_>, config_json: String, lazy: bool) -> PyResult<Bound<'_, PyAny>> {
        let config = Config::from_json(&parse(&config_json, "options")?).map_err(err)?;
        future_into_py(py, async move {
            let client =
                if lazy { Client::connect_lazy(config) } else { Client::connect(config).await }.map_err(err)?;
            Ok(NativeClient { client })
        })
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

    /// Starts a conversation.
    fn start_conversation<'py>(&self, py: Python<'py>, options_json: String) -> PyResult<Bound<'py, PyAny>> {
        let opts = StartOptions::from_json(&parse(&options_json, "options")?).map_err(err)?;
        let pending = self.client.start_conversation(opts);
        future_into_py(py, async move {
            let c = pending.await.map_err(err)?;
            Ok(NativeConversation { conversation: c })
        })
    }

    /// A handle to an existing conversation.
    fn conversation(&self, conversation_id: &str) -> PyResult<NativeConversation> {
        let _rt = get_runtime().enter();
        Ok(NativeConversation { conversation: self.client.conversation(conversation_id).map_err(err)? })
    }

    /// Lists a user's conversations; resolves to JSON.
    fn list_conversations<'py>(&self, py: Python<'py>, options_json: String) -> PyResult<Bound<'py, PyAny>> {
        let opts = ListOptions::from_json(&parse(&options_json, "options")?).map_err(err)?;
        let pending = self.client.list_conversations(opts);
        future_into_py(py, async move { Ok(pending.await.map_err(err)?.to_json().to_string()) })
    }

    /// Deletes all of a user's conversations.
    fn delete_user_conversations<'py>(
        &self,
        py: Python<'py>,
        user_id: String,
        hard: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        let pending = self.client.delete_user_conversations(&user_id, mode);
        future_into_py(py, async move { pending.await.map_err(err) })
    }

    /// Sends any event; with a reply type, resolves to the reply's JSON.
    #[pyo3(signature = (event_type, payload_json, reply_event_type=None, conversation_id=None))]
    fn send_raw<'py>(
        &self,
        py: Python<'py>,
        event_type: String,
        payload_json: String,
        reply_event_type: Option<String>,
        conversation_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let payload = parse(&payload_json, "payload")?;
        let pending = match reply_event_type {
            None => {
                let p = self.client.send_raw(&event_type, payload);
                p.map(|()| None)
            }
            Some(r) => {
                let p = self.client.request_raw(&event_type, payload, &r, conversation_id.as_deref());
                p.map(|reply| Some(reply.to_json().to_string()))
            }
        };
        future_into_py(py, async move { pending.await.map_err(err) })
    }

    /// Connects again, or retries at once.
    fn reconnect(&self) -> PyResult<()> {
        self.client.reconnect().map_err(err)
    }

    /// Closes gracefully.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        future_into_py(py, async move {
            client.close().await;
            Ok(())
        })
    }
}

/// A conversation.
#[pyclass(frozen)]
struct NativeConversation {
    conversation: Conversation,
}

impl NativeConversation {
    /// Resolves an awaitable with the outcome of `fut`, a call the core has already submitted
    /// (so calls reach the hub in the order Python made them).
    fn run<'py, T, F>(&self, py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: std::future::Future<Output = Result<T, Error>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        future_into_py(py, async move { fut.await.map_err(err) })
    }
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

    /// Sends a message; resolves to its client_msg_id.
    #[pyo3(signature = (text=None, files_json=None))]
    fn send_message<'py>(
        &self,
        py: Python<'py>,
        text: Option<String>,
        files_json: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let msg = message(text, files_json.as_deref())?;
        self.run(py, self.conversation.send_message(msg))
    }

    /// Sets metadata.
    #[pyo3(signature = (metadata_json, target=None))]
    fn set_metadata<'py>(
        &self,
        py: Python<'py>,
        metadata_json: String,
        target: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let md = parse(&metadata_json, "metadata")?;
        let target = match target {
            None => None,
            Some(t) => Some(
                MetadataTarget::parse(&t).ok_or_else(|| invalid("target must be default, bot, live or bot_live"))?,
            ),
        };
        self.run(py, self.conversation.set_metadata(md, target))
    }

    /// Sets private metadata.
    fn set_private_metadata<'py>(&self, py: Python<'py>, private_json: String) -> PyResult<Bound<'py, PyAny>> {
        let v = parse(&private_json, "private metadata")?;
        self.run(py, self.conversation.set_private_metadata(v))
    }

    /// Sets the files' time to live.
    fn set_time_to_live<'py>(&self, py: Python<'py>, days: u32) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, self.conversation.set_time_to_live(days))
    }

    /// Resolves to the metadata JSON.
    fn get_metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, self.conversation.get_metadata().map(|v| v.to_string()))
    }

    /// Sends an action.
    #[pyo3(signature = (action_id, data_json, action_type=None))]
    fn send_action<'py>(
        &self,
        py: Python<'py>,
        action_id: String,
        data_json: String,
        action_type: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data = parse(&data_json, "data")?;
        self.run(py, self.conversation.send_action(&action_id, data, action_type.as_deref()))
    }

    /// Edits a message.
    #[pyo3(signature = (message_id, text=None, files_json=None))]
    fn edit_message<'py>(
        &self,
        py: Python<'py>,
        message_id: String,
        text: Option<String>,
        files_json: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let msg = message(text, files_json.as_deref())?;
        self.run(py, self.conversation.edit_message(&message_id, msg))
    }

    /// Resolves to the transcript JSON.
    fn get_transcript<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, self.conversation.get_transcript().map(|t| t.to_json().to_string()))
    }

    /// Deletes the conversation.
    fn delete<'py>(&self, py: Python<'py>, hard: bool) -> PyResult<Bound<'py, PyAny>> {
        let mode = if hard { DeleteMode::Hard } else { DeleteMode::Soft };
        self.run(py, self.conversation.delete(mode))
    }
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add_class::<NativeClient>()?;
    m.add_class::<NativeConversation>()?;
    m.add_class::<NativeEventStream>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
