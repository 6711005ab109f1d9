//! Events as Python classes, built from the core's typed events without any JSON: each object
//! holds the core's [`captivate::Event`] and makes its attributes into Python objects when
//! they are read. The hub's frame (`raw`) is parsed only if someone reads it.
//!
//! The classes form one tree under `Event`: `HubEventBase` for events from the hub
//! (`Message` with `BotMessage` and `LivechatMessage`, `ActionEvent`, `ConversationUpdate`,
//! `HubErrorEvent`, and `RawEvent` for replies and unknown types), and `StateChange`,
//! `Discontinuity`, `MalformedFrame`, `DeliveryReport` and `Lagged` for the events the library
//! makes itself. Every key of an event's canonical JSON is an attribute of its class.

use captivate::{ErrorCode, Event as CoreEvent, HubEvent, Inbound, MessageBody, UpdateKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::pyclass_init::PyClassInitializer;
use pyo3::types::PyList;

use crate::types::{self, ConnectionState, Pagination};
use crate::values;

/// Base of every event. `kind` names it (the canonical JSON's `kind`); `json` is its whole
/// canonical JSON, made when read.
#[pyclass(frozen, subclass, module = "captivate")]
pub(crate) struct Event {
    pub(crate) event: CoreEvent,
}

#[pymethods]
impl Event {
    /// The kind: `bot_message`, `livechat_message`, `action`, `conversation_update`, `error`,
    /// `metadata`, `transcript`, ..., `unknown` for hub events; `state`, `discontinuity`,
    /// `malformed`, `delivery`, `lagged` for the library's own.
    #[getter]
    fn kind(&self) -> &'static str {
        self.event.kind()
    }

    /// The event's canonical JSON (the same form as every other front end's).
    #[getter]
    fn json(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &self.event.to_json())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let name = slf.get_type().name()?;
        let e = &slf.get().event;
        let mut s = format!("<captivate.{name}");
        if let Some(c) = e.conversation_id() {
            s.push_str(&format!(" conversation_id={c:?}"));
        }
        match e {
            CoreEvent::State(c) => s.push_str(&format!(" {} -> {}", c.previous.name(), c.current.name())),
            _ => {
                if let Some(t) = e.text() {
                    let short: String = t.chars().take(60).collect();
                    s.push_str(&format!(" text={short:?}"));
                }
            }
        }
        s.push('>');
        Ok(s)
    }
}

fn inbound<'a>(e: &'a Bound<'_, Event>) -> PyResult<&'a Inbound> {
    e.get().event.hub().ok_or_else(|| PyRuntimeError::new_err("not a hub event"))
}

fn hub_body<'a>(e: &'a Bound<'_, Event>) -> PyResult<&'a HubEvent> {
    inbound(e).map(|i| &i.body)
}

/// An event from the hub: its type, id and conversation, and the frame as received (`raw`,
/// parsed into a dict when read).
#[pyclass(frozen, subclass, extends = Event, module = "captivate")]
pub(crate) struct HubEventBase;

#[pymethods]
impl HubEventBase {
    /// The hub's event type (`bot_message`, ...).
    #[getter]
    fn event_type(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(inbound(slf.as_super())?.event_type.clone())
    }

    /// The hub's id of the event, when it sent one.
    #[getter]
    fn event_id(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(inbound(slf.as_super())?.event_id.clone())
    }

    /// The conversation the event is about, when it names one.
    #[getter]
    fn conversation_id(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(inbound(slf.as_super())?.conversation_id.clone())
    }

    /// The frame exactly as the hub sent it, as a dict (parsed on first read).
    #[getter]
    fn raw(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, inbound(slf.as_super())?.raw.value())
    }
}

fn message<'a>(e: &'a Bound<'_, Event>) -> PyResult<&'a MessageBody> {
    match hub_body(e)? {
        HubEvent::BotMessage(m) | HubEvent::LivechatMessage(m) => Ok(m),
        _ => Err(PyRuntimeError::new_err("not a message")),
    }
}

/// A bot or live-agent message. `fetched_from_link`: it came as a 413 `message_link` and was
/// fetched over HTTP; `recovered`: it was missed while the connection was down and recovered
/// from the transcript after the reconnect.
#[pyclass(frozen, subclass, extends = HubEventBase, module = "captivate")]
pub(crate) struct Message;

#[pymethods]
impl Message {
    /// The hub's message id, when given.
    #[getter]
    fn message_id(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(message(slf.as_super().as_super())?.message_id.clone())
    }

    /// The text items joined with newlines, if there is any.
    #[getter]
    fn text(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(message(slf.as_super().as_super())?.text())
    }

    /// The content items, in order (the canonical JSON's `content`).
    #[getter]
    fn items(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyList>> {
        types::items(py, &message(slf.as_super().as_super())?.content)
    }

    /// Every button option of the message.
    #[getter]
    fn buttons(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyList>> {
        types::button_options(py, &message(slf.as_super().as_super())?.content)
    }

    /// True when it came as a 413 `message_link` and was fetched over HTTP.
    #[getter]
    fn fetched_from_link(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(message(slf.as_super().as_super())?.fetched_from_link)
    }

    /// True when it was missed during a drop and recovered from the transcript.
    #[getter]
    fn recovered(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(message(slf.as_super().as_super())?.recovered)
    }
}

/// A message from the chat flow (`bot_message`).
#[pyclass(frozen, extends = Message, module = "captivate")]
pub(crate) struct BotMessage;

/// A message from a live agent in Slack, Teams, Freshdesk, ... (`livechat_message`).
#[pyclass(frozen, extends = Message, module = "captivate")]
pub(crate) struct LivechatMessage;

/// Actions sent by the flow, e.g. `redirectToContactUs`.
#[pyclass(frozen, extends = HubEventBase, module = "captivate")]
pub(crate) struct ActionEvent;

#[pymethods]
impl ActionEvent {
    /// The actions.
    #[getter]
    fn actions(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyList>> {
        match hub_body(slf.as_super().as_super())? {
            HubEvent::Action(a) => types::actions(py, a),
            _ => Ok(PyList::empty(py).unbind()),
        }
    }
}

fn update<'a>(e: &'a Bound<'_, Event>) -> PyResult<&'a captivate::ConversationUpdate> {
    match hub_body(e)? {
        HubEvent::ConversationUpdate(u) => Ok(u),
        _ => Err(PyRuntimeError::new_err("not a conversation update")),
    }
}

/// A conversation update. `update` is `agent_connected`, `agent_disconnected`,
/// `failed_agent_assignment` or `other`; `update_type` is the hub's own name.
#[pyclass(frozen, extends = HubEventBase, module = "captivate")]
pub(crate) struct ConversationUpdate;

#[pymethods]
impl ConversationUpdate {
    /// The hub's name of the update (`livechatAgentConnected`, ...).
    #[getter]
    fn update_type(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(update(slf.as_super().as_super())?.update_type.clone())
    }

    /// The update, classified.
    #[getter]
    fn update(slf: &Bound<'_, Self>) -> PyResult<&'static str> {
        Ok(match update(slf.as_super().as_super())?.kind {
            UpdateKind::AgentConnected => "agent_connected",
            UpdateKind::AgentDisconnected => "agent_disconnected",
            UpdateKind::FailedAgentAssignment => "failed_agent_assignment",
            _ => "other",
        })
    }

    /// Its data (the agent's info for `agent_connected`).
    #[getter]
    fn data(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        values::to_py(py, &update(slf.as_super().as_super())?.data)
    }
}

fn hub_error<'a>(e: &'a Bound<'_, Event>) -> PyResult<&'a captivate::HubError> {
    match hub_body(e)? {
        HubEvent::Error(h) => Ok(h),
        _ => Err(PyRuntimeError::new_err("not a hub error")),
    }
}

/// A `general_error` from the hub, on its own or nested in an update (`nested`).
#[pyclass(frozen, extends = HubEventBase, module = "captivate")]
pub(crate) struct HubErrorEvent;

#[pymethods]
impl HubErrorEvent {
    /// The hub's code: a number (400, 413, ...), or text when the hub sent text.
    #[getter]
    fn code(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match &hub_error(slf.as_super().as_super())?.code {
            Some(ErrorCode::Number(n)) => n.into_pyobject(py)?.into_any().unbind(),
            Some(ErrorCode::Text(t)) => t.into_pyobject(py)?.into_any().unbind(),
            None => py.None(),
        })
    }

    /// The hub's description.
    #[getter]
    fn description(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(hub_error(slf.as_super().as_super())?.description.clone())
    }

    /// For 413 errors: where the oversize message can be fetched.
    #[getter]
    fn message_link(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(hub_error(slf.as_super().as_super())?.message_link.clone())
    }

    /// True when the error came nested in a `conversation_update`.
    #[getter]
    fn nested(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(hub_error(slf.as_super().as_super())?.nested)
    }
}

/// Any other hub event: the replies to requests (when nobody waited for them, or from
/// `Client.request_raw`) and event types this library does not know. Each has its class.
#[pyclass(frozen, subclass, extends = HubEventBase, module = "captivate")]
pub(crate) struct RawEvent;

fn raw_body<'a>(r: &'a Bound<'_, RawEvent>) -> PyResult<&'a HubEvent> {
    hub_body(r.as_super().as_super())
}

/// `socket_connected`: the hub's session is ready.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct SocketConnected;

#[pymethods]
impl SocketConnected {
    /// The hub's id of the socket.
    #[getter]
    fn socket_id(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(match raw_body(slf.as_super())? {
            HubEvent::SocketConnected { socket_id } => Some(socket_id.clone()),
            _ => None,
        })
    }
}

/// `conversation_start_success`.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct ConversationStarted;

/// `metadata_update_success`.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct MetadataUpdated;

/// `conversation_metadata`: a conversation's metadata.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct MetadataEvent;

#[pymethods]
impl MetadataEvent {
    /// The metadata (private metadata under `private`).
    #[getter]
    fn metadata(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match raw_body(slf.as_super())? {
            HubEvent::Metadata { metadata } => values::to_py(py, metadata),
            _ => Ok(py.None()),
        }
    }
}

/// `conversation_transcript`: a conversation's transcript.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct TranscriptEvent;

#[pymethods]
impl TranscriptEvent {
    /// The transcript's entries, oldest first.
    #[getter]
    fn entries(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyList>> {
        match raw_body(slf.as_super())? {
            HubEvent::Transcript(t) => types::entries(py, t),
            _ => Ok(PyList::empty(py).unbind()),
        }
    }
}

/// `message_edited_success`.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct MessageEdited;

#[pymethods]
impl MessageEdited {
    /// The edited message's id.
    #[getter]
    fn message_id(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(match raw_body(slf.as_super())? {
            HubEvent::MessageEdited { message_id } => message_id.clone(),
            _ => None,
        })
    }
}

/// `delete_conversation_success`.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct ConversationDeleted;

#[pymethods]
impl ConversationDeleted {
    /// The user whose conversations were deleted, when the hub says.
    #[getter]
    fn user_id(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(match raw_body(slf.as_super())? {
            HubEvent::ConversationDeleted { user_id } => user_id.clone(),
            _ => None,
        })
    }
}

/// `user_conversations`: a page of a user's conversations.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct UserConversations;

#[pymethods]
impl UserConversations {
    /// The conversations.
    #[getter]
    fn conversations(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyList>> {
        match raw_body(slf.as_super())? {
            HubEvent::UserConversations(l) => types::summaries(py, l),
            _ => Ok(PyList::empty(py).unbind()),
        }
    }

    /// Paging information, when the hub sent it.
    #[getter]
    fn pagination(slf: &Bound<'_, Self>) -> PyResult<Option<Pagination>> {
        Ok(match raw_body(slf.as_super())? {
            HubEvent::UserConversations(l) => types::pagination(l),
            _ => None,
        })
    }
}

/// An event type this library does not know (`kind == "unknown"`), with its payload.
#[pyclass(frozen, extends = RawEvent, module = "captivate")]
pub(crate) struct UnknownEvent;

#[pymethods]
impl UnknownEvent {
    /// The event's payload.
    #[getter]
    fn payload(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match raw_body(slf.as_super())? {
            HubEvent::Unknown { payload } => values::to_py(py, payload),
            _ => Ok(py.None()),
        }
    }
}

/// The connection's state changed. `queued`: sends waiting to be written at that moment.
#[pyclass(frozen, extends = Event, module = "captivate")]
pub(crate) struct StateChange;

fn change<'a>(e: &'a Bound<'_, Event>) -> PyResult<&'a captivate::StateChange> {
    match &e.get().event {
        CoreEvent::State(c) => Ok(c),
        _ => Err(PyRuntimeError::new_err("not a state change")),
    }
}

#[pymethods]
impl StateChange {
    /// The state before.
    #[getter]
    fn previous(slf: &Bound<'_, Self>) -> PyResult<ConnectionState> {
        Ok(ConnectionState { state: change(slf.as_super())?.previous.clone() })
    }

    /// The state now.
    #[getter]
    fn current(slf: &Bound<'_, Self>) -> PyResult<ConnectionState> {
        Ok(ConnectionState { state: change(slf.as_super())?.current.clone() })
    }

    /// Why, for people (never contains the API key).
    #[getter]
    fn reason(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(change(slf.as_super())?.reason.clone())
    }

    /// Sends waiting to be written when it changed.
    #[getter]
    fn queued(slf: &Bound<'_, Self>) -> PyResult<usize> {
        Ok(change(slf.as_super())?.queued)
    }
}

/// The connection was re-established: events of this conversation may be missing (unless
/// recovered: see `Message.recovered`).
#[pyclass(frozen, extends = Event, module = "captivate")]
pub(crate) struct Discontinuity;

#[pymethods]
impl Discontinuity {
    /// The conversation concerned.
    #[getter]
    fn conversation_id(slf: &Bound<'_, Self>) -> Option<String> {
        slf.as_super().get().event.conversation_id().map(str::to_owned)
    }
}

/// The hub sent a frame that could not be decoded; the connection goes on.
#[pyclass(frozen, extends = Event, module = "captivate")]
pub(crate) struct MalformedFrame;

fn malformed<'a>(e: &'a Bound<'_, Event>) -> PyResult<&'a captivate::MalformedFrame> {
    match &e.get().event {
        CoreEvent::Malformed(m) => Ok(m),
        _ => Err(PyRuntimeError::new_err("not a malformed frame")),
    }
}

#[pymethods]
impl MalformedFrame {
    /// What was wrong.
    #[getter]
    fn error(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(malformed(slf.as_super())?.error.clone())
    }

    /// The frame's text (cut to 1 KiB).
    #[getter]
    fn text(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(malformed(slf.as_super())?.text.clone())
    }
}

/// The late outcome of a message whose call already ended with `Timeout` (at-least-once
/// delivery, not proven in time): the hub proved it read it (`delivered`), or the client gave
/// up on it.
#[pyclass(frozen, extends = Event, module = "captivate")]
pub(crate) struct DeliveryReport;

fn report<'a>(e: &'a Bound<'_, Event>) -> PyResult<&'a captivate::DeliveryReport> {
    match &e.get().event {
        CoreEvent::Delivery(r) => Ok(r),
        _ => Err(PyRuntimeError::new_err("not a delivery report")),
    }
}

#[pymethods]
impl DeliveryReport {
    /// The message's `client_msg_id`.
    #[getter]
    fn client_msg_id(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(report(slf.as_super())?.client_msg_id.clone())
    }

    /// Its conversation.
    #[getter]
    fn conversation_id(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(report(slf.as_super())?.conversation_id.clone())
    }

    /// True when the hub proved it read the message.
    #[getter]
    fn delivered(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(report(slf.as_super())?.delivered)
    }
}

/// Nobody listened and the backlog overflowed: `missed` events were dropped.
#[pyclass(frozen, extends = Event, module = "captivate")]
pub(crate) struct Lagged;

#[pymethods]
impl Lagged {
    /// How many events were dropped.
    #[getter]
    fn missed(slf: &Bound<'_, Self>) -> u64 {
        match slf.as_super().get().event {
            CoreEvent::Lagged { missed } => missed,
            _ => 0,
        }
    }
}

/// Which class an event gets.
enum Class {
    Bot,
    Livechat,
    Action,
    Update,
    Error,
    Socket,
    Started,
    MetadataUpdated,
    Metadata,
    Transcript,
    Edited,
    Deleted,
    Conversations,
    Unknown,
    State,
    Discontinuity,
    Malformed,
    Delivery,
    Lagged,
}

impl Class {
    fn of(event: &CoreEvent) -> Class {
        match event {
            CoreEvent::Hub(i) => match i.body {
                HubEvent::BotMessage(_) => Class::Bot,
                HubEvent::LivechatMessage(_) => Class::Livechat,
                HubEvent::Action(_) => Class::Action,
                HubEvent::ConversationUpdate(_) => Class::Update,
                HubEvent::Error(_) => Class::Error,
                HubEvent::SocketConnected { .. } => Class::Socket,
                HubEvent::ConversationStarted => Class::Started,
                HubEvent::MetadataUpdated => Class::MetadataUpdated,
                HubEvent::Metadata { .. } => Class::Metadata,
                HubEvent::Transcript(_) => Class::Transcript,
                HubEvent::MessageEdited { .. } => Class::Edited,
                HubEvent::ConversationDeleted { .. } => Class::Deleted,
                HubEvent::UserConversations(_) => Class::Conversations,
                _ => Class::Unknown,
            },
            CoreEvent::State(_) => Class::State,
            CoreEvent::Discontinuity { .. } => Class::Discontinuity,
            CoreEvent::Malformed(_) => Class::Malformed,
            CoreEvent::Delivery(_) => Class::Delivery,
            // `Lagged`, and a kind added to the core later (shown as its base class).
            _ => Class::Lagged,
        }
    }
}

/// An event as an object of its class.
pub(crate) fn to_py(py: Python<'_>, event: CoreEvent) -> PyResult<Py<PyAny>> {
    let class = Class::of(&event);
    if matches!(class, Class::Lagged) && !matches!(event, CoreEvent::Lagged { .. }) {
        return Ok(Py::new(py, Event { event })?.into_any());
    }
    let base = PyClassInitializer::from(Event { event });
    // One arm per class, each building the chain of its bases.
    macro_rules! new {
        ($($class:expr),+) => {
            Py::new(py, base$(.add_subclass($class))+)?.into_any()
        };
    }
    Ok(match class {
        Class::Bot => new!(HubEventBase, Message, BotMessage),
        Class::Livechat => new!(HubEventBase, Message, LivechatMessage),
        Class::Action => new!(HubEventBase, ActionEvent),
        Class::Update => new!(HubEventBase, ConversationUpdate),
        Class::Error => new!(HubEventBase, HubErrorEvent),
        Class::Socket => new!(HubEventBase, RawEvent, SocketConnected),
        Class::Started => new!(HubEventBase, RawEvent, ConversationStarted),
        Class::MetadataUpdated => new!(HubEventBase, RawEvent, MetadataUpdated),
        Class::Metadata => new!(HubEventBase, RawEvent, MetadataEvent),
        Class::Transcript => new!(HubEventBase, RawEvent, TranscriptEvent),
        Class::Edited => new!(HubEventBase, RawEvent, MessageEdited),
        Class::Deleted => new!(HubEventBase, RawEvent, ConversationDeleted),
        Class::Conversations => new!(HubEventBase, RawEvent, UserConversations),
        Class::Unknown => new!(HubEventBase, RawEvent, UnknownEvent),
        Class::State => new!(StateChange),
        Class::Discontinuity => new!(Discontinuity),
        Class::Malformed => new!(MalformedFrame),
        Class::Delivery => new!(DeliveryReport),
        Class::Lagged => new!(Lagged),
    })
}
