//! The native part of the Python package `captivate`: a thin layer over the binding layer
//! (`captivate-binding`), shared with the C and Node front ends.
//!
//! - [`session`]: a client and every operation, started on a [`calls::Completions`];
//! - [`calls`]: the calls in flight for one asyncio loop, completed on the loop's own thread
//!   with one wake-up per batch, or waited for by blocking callers;
//! - [`feed`]: a client's one ordered feed of events, dispatched to the package's streams and
//!   callbacks by filter;
//! - [`events`] and [`types`]: the typed events and values handed to Python, made from the
//!   core's typed values (no JSON in between);
//! - [`values`]: Python values and JSON, both ways;
//! - [`errors`]: the exceptions, one flat hierarchy under `CaptivateError`;
//! - [`logs`]: log records on their way to Python's `logging`;
//! - [`hub`]: the local hub in this process, for testing applications offline
//!   (`captivate.testing`).
//!
//! No thread of the library ever calls into Python: runtime threads only queue outcomes and
//! write one byte into a pipe, and Python takes what is queued on its own threads. So nothing
//! can deadlock on the GIL or run into an interpreter that is shutting down.

mod calls;
mod errors;
mod events;
mod feed;
mod hub;
mod logs;
mod session;
mod types;
mod values;

use captivate::options::{OPTIONS, OptionType};
use captivate_binding::BindingError;
use pyo3::prelude::*;

/// Every option of `connect`, as `(name, type, choices, meaning)`: `type` is `text`,
/// `one_of` (one of `choices`), `millis` (a number of milliseconds), `flag` or `count`. Names
/// under `reconnect.` go in the `reconnect` dict.
#[pyfunction]
fn options() -> Vec<(&'static str, &'static str, Vec<&'static str>, &'static str)> {
    OPTIONS
        .iter()
        .map(|o| {
            let (kind, choices) = match o.kind {
                OptionType::Text => ("text", Vec::new()),
                OptionType::OneOf(c) => ("one_of", c.to_vec()),
                OptionType::Millis => ("millis", Vec::new()),
                OptionType::Flag => ("flag", Vec::new()),
                OptionType::Count => ("count", Vec::new()),
                OptionType::TextList => ("text_list", Vec::new()),
            };
            (o.name, kind, choices, o.doc)
        })
        .collect()
}

/// Decodes a hub frame (its JSON text) into the event the library would deliver for it.
#[pyfunction]
fn decode_frame(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    match captivate::protocol::decode(text) {
        Ok(inbound) => events::to_py(py, captivate::Event::Hub(inbound)),
        Err(e) => Err(errors::to_py(BindingError {
            kind: captivate::ErrorKind::Protocol,
            message: e.to_string(),
            details: serde_json::json!({}),
        })),
    }
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(options, m)?)?;
    m.add_function(wrap_pyfunction!(decode_frame, m)?)?;
    m.add_function(wrap_pyfunction!(errors::error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(errors::register_errors, m)?)?;
    m.add_function(wrap_pyfunction!(logs::log_pipe, m)?)?;
    m.add_function(wrap_pyfunction!(logs::set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(logs::take_logs, m)?)?;
    m.add_class::<calls::Completions>()?;
    m.add_class::<feed::Feed>()?;
    m.add_class::<session::Session>()?;
    m.add_class::<hub::Hub>()?;
    m.add_class::<events::Event>()?;
    m.add_class::<events::HubEventBase>()?;
    m.add_class::<events::Message>()?;
    m.add_class::<events::BotMessage>()?;
    m.add_class::<events::LivechatMessage>()?;
    m.add_class::<events::ActionEvent>()?;
    m.add_class::<events::ConversationUpdate>()?;
    m.add_class::<events::HubErrorEvent>()?;
    m.add_class::<events::RawEvent>()?;
    m.add_class::<events::SocketConnected>()?;
    m.add_class::<events::ConversationStarted>()?;
    m.add_class::<events::MetadataUpdated>()?;
    m.add_class::<events::MetadataEvent>()?;
    m.add_class::<events::TranscriptEvent>()?;
    m.add_class::<events::MessageEdited>()?;
    m.add_class::<events::ConversationDeleted>()?;
    m.add_class::<events::UserConversations>()?;
    m.add_class::<events::UnknownEvent>()?;
    m.add_class::<events::StateChange>()?;
    m.add_class::<events::Discontinuity>()?;
    m.add_class::<events::MalformedFrame>()?;
    m.add_class::<events::DeliveryReport>()?;
    m.add_class::<events::Lagged>()?;
    m.add_class::<types::File>()?;
    m.add_class::<types::FileStorage>()?;
    m.add_class::<types::TextItem>()?;
    m.add_class::<types::ButtonOption>()?;
    m.add_class::<types::ButtonsItem>()?;
    m.add_class::<types::CardsItem>()?;
    m.add_class::<types::FilesItem>()?;
    m.add_class::<types::UnknownItem>()?;
    m.add_class::<types::Action>()?;
    m.add_class::<types::ConnectionState>()?;
    m.add_class::<types::Transcript>()?;
    m.add_class::<types::TranscriptEntry>()?;
    m.add_class::<types::ConversationList>()?;
    m.add_class::<types::ConversationSummary>()?;
    m.add_class::<types::Pagination>()?;
    Ok(())
}
