//! [`Hub`]: the local hub of the binding layer ([`captivate_binding::hub::Hub`]) in this
//! process, for testing an application offline. A thin layer: options, scripts, faults and
//! frames go through as JSON (checked by the binding layer) and what it tells comes back as
//! Python values; `captivate/testing.py` gives it Python's names, types and durations in
//! seconds.
//!
//! Starting and stopping wait for the hub's own thread, with the GIL released; every other
//! call is a short look at the hub's state (`proxy_restart` waits for the proxy to stop
//! listening, a matter of a task's abort on the hub's runtime, which never needs the GIL).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use captivate_binding::BindingError;
use captivate_binding::hub::{FAULTS, HUB_OPTIONS, Hub as Inner};
use pyo3::prelude::*;

use crate::errors;
use crate::values::{to_json, to_json_opt, to_py};

/// A local hub running in this process (stopped by `stop`, or when collected).
#[pyclass(frozen, module = "captivate._native")]
pub(crate) struct Hub {
    inner: Mutex<Option<Inner>>,
}

fn stopped() -> BindingError {
    BindingError {
        kind: captivate::ErrorKind::Closed,
        message: "the hub is stopped".into(),
        details: serde_json::json!({}),
    }
}

impl Hub {
    /// `f` on the running hub (its error as the package's exception), or `Closed` once stopped.
    /// The lock is held only while the GIL is, so that it never waits on a thread that waits
    /// for the GIL.
    fn with<T>(&self, f: impl FnOnce(&Inner) -> Result<T, BindingError>) -> PyResult<T> {
        let outcome = {
            let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            match guard.as_ref() {
                Some(hub) => f(hub),
                None => Err(stopped()),
            }
        };
        outcome.map_err(errors::to_py)
    }

    /// `f`'s JSON as Python values.
    fn json(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Inner) -> Result<serde_json::Value, BindingError>,
    ) -> PyResult<Py<PyAny>> {
        let v = self.with(f)?;
        to_py(py, &v)
    }
}

#[pymethods]
impl Hub {
    /// Starts a hub on 127.0.0.1 with `options` (a dict of `hub_options()`'s names, or None)
    /// and returns once it listens.
    #[new]
    #[pyo3(signature = (options=None))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let options = to_json_opt(options, "options")?.unwrap_or(serde_json::Value::Null);
        let hub = py.detach(move || Inner::start(&options)).map_err(errors::to_py)?;
        Ok(Hub { inner: Mutex::new(Some(hub)) })
    }

    /// Every option the hub takes, as `(name, meaning)`.
    #[staticmethod]
    fn hub_options() -> Vec<(&'static str, &'static str)> {
        HUB_OPTIONS.to_vec()
    }

    /// Every fault name `set_faults` takes.
    #[staticmethod]
    fn fault_names() -> Vec<&'static str> {
        FAULTS.to_vec()
    }

    /// Whether it still runs.
    fn is_running(&self) -> bool {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).as_ref().is_some_and(Inner::is_running)
    }

    /// The WebSocket URL, without the key.
    fn url(&self) -> PyResult<String> {
        self.with(Inner::url)
    }

    /// The HTTP base of the same port.
    fn http_url(&self) -> PyResult<String> {
        self.with(Inner::http_url)
    }

    /// The API key clients present.
    fn api_key(&self) -> PyResult<String> {
        self.with(Inner::api_key)
    }

    /// The port.
    fn port(&self) -> PyResult<u16> {
        self.with(Inner::port)
    }

    /// With TLS, the PEM of the certificate to trust; otherwise None.
    fn ca_pem(&self) -> PyResult<Option<String>> {
        self.with(Inner::ca_pem)
    }

    /// `{"api_key", "url", "http_url", "files_url"}` (and `ca_pem` with TLS).
    fn client_options(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.json(py, Inner::client_options)
    }

    /// Replaces the bot's script (None: the usual flow).
    #[pyo3(signature = (script=None))]
    fn set_script(&self, script: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let script = to_json_opt(script, "script")?.unwrap_or(serde_json::Value::Null);
        self.with(|h| h.set_script(&script))
    }

    /// The bot's script in force.
    fn script(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.json(py, Inner::script)
    }

    /// Replaces the faults with those of `faults` (a dict of `fault_names()`; None: none).
    #[pyo3(signature = (faults=None))]
    fn set_faults(&self, faults: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let faults = to_json_opt(faults, "faults")?.unwrap_or(serde_json::Value::Null);
        self.with(|h| h.set_faults(&faults))
    }

    /// The faults in force (delays in milliseconds).
    fn faults(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.json(py, Inner::faults)
    }

    /// Closes every connection abruptly.
    fn drop_connections(&self) -> PyResult<()> {
        self.with(Inner::drop_connections)
    }

    /// Closes every connection with a close frame of `code` and `reason`.
    fn close_connections(&self, code: u16, reason: &str) -> PyResult<()> {
        self.with(|h| h.close_connections(code, reason))
    }

    /// Closes every connection and refuses new ones for `down_for` seconds, then listens again.
    fn restart(&self, down_for: f64) -> PyResult<()> {
        let down_for = Duration::try_from_secs_f64(down_for)
            .map_err(|_| errors::to_py(BindingError::invalid("down_for must be a number of seconds, 0 or more")))?;
        self.with(|h| h.restart(down_for))
    }

    /// Sends this frame (JSON) to every connection.
    fn push(&self, frame: &Bound<'_, PyAny>) -> PyResult<()> {
        let frame = to_json(frame, "frame")?;
        self.with(|h| h.push(&frame))
    }

    /// Sends raw text to every connection.
    fn push_text(&self, text: &str) -> PyResult<()> {
        self.with(|h| h.push_text(text))
    }

    /// The bot says `content` (a str, or a list of items and str) in a conversation.
    fn bot_says(&self, conversation_id: &str, content: &Bound<'_, PyAny>, send: bool) -> PyResult<()> {
        let content = to_json(content, "content")?;
        self.with(|h| h.bot_says(conversation_id, &content, send))
    }

    /// The live agent says `content` in a conversation.
    fn agent_says(&self, conversation_id: &str, content: &Bound<'_, PyAny>, send: bool) -> PyResult<()> {
        let content = to_json(content, "content")?;
        self.with(|h| h.agent_says(conversation_id, &content, send))
    }

    /// Sends a `conversation_update` (`{"type", "data"}`) to a conversation.
    fn update(&self, conversation_id: &str, update: &Bound<'_, PyAny>) -> PyResult<()> {
        let update = to_json(update, "update")?;
        self.with(|h| h.update(conversation_id, &update))
    }

    /// Every frame the hub received, narrowed to a conversation and an event type when given.
    #[pyo3(signature = (conversation_id=None, event_type=None))]
    fn received(&self, py: Python<'_>, conversation_id: Option<&str>, event_type: Option<&str>) -> PyResult<Py<PyAny>> {
        self.json(py, |h| h.received(conversation_id, event_type).map(serde_json::Value::Array))
    }

    /// Every HTTP request the hub served but its controls': `{method, path, status}`.
    fn requests(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.json(py, |h| h.requests().map(serde_json::Value::Array))
    }

    /// The conversations the hub keeps.
    fn conversations(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.json(py, Inner::conversations)
    }

    /// The stored files.
    fn files(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.json(py, Inner::files)
    }

    /// Makes the links of a stored file (of every one, when None) expire now; how many.
    #[pyo3(signature = (file_key=None))]
    fn expire_files(&self, file_key: Option<&str>) -> PyResult<usize> {
        self.with(|h| h.expire_files(file_key))
    }

    /// Connections open now.
    fn live_connections(&self) -> PyResult<usize> {
        self.with(Inner::live_connections)
    }

    /// Successful WebSocket handshakes so far.
    fn connections_accepted(&self) -> PyResult<usize> {
        self.with(Inner::connections_accepted)
    }

    /// Forgets conversations, frames, requests and files; clears the faults; puts back the
    /// starting script. Connections stay open.
    fn reset(&self) -> PyResult<()> {
        self.with(Inner::reset)
    }

    /// With the fault proxy, the WebSocket URL through it (without the key).
    fn proxy_url(&self) -> PyResult<String> {
        self.with(Inner::proxy_url)
    }

    /// Replaces the proxy's faults with those of `faults` (`latency_ms`, `bandwidth_bps`,
    /// `blackhole`; None: none).
    #[pyo3(signature = (faults=None))]
    fn set_proxy_faults(&self, faults: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let faults = to_json_opt(faults, "faults")?.unwrap_or(serde_json::Value::Null);
        self.with(|h| h.set_proxy_faults(&faults))
    }

    /// The proxy's faults in force: `{latency_ms, bandwidth_bps, blackhole}` (0: no limit).
    fn proxy_faults(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.json(py, Inner::proxy_faults)
    }

    /// Resets every connection through the proxy; how many.
    fn proxy_reset(&self) -> PyResult<usize> {
        self.with(Inner::proxy_reset)
    }

    /// Cuts every connection through the proxy inside the next frame the hub sends; how many.
    fn proxy_truncate(&self) -> PyResult<usize> {
        self.with(Inner::proxy_truncate)
    }

    /// Closes every connection through the proxy and refuses new ones for `down_for` seconds;
    /// returns once it refuses.
    fn proxy_restart(&self, down_for: f64) -> PyResult<()> {
        let down_for = Duration::try_from_secs_f64(down_for)
            .map_err(|_| errors::to_py(BindingError::invalid("down_for must be a number of seconds, 0 or more")))?;
        self.with(|h| h.proxy_restart(down_for))
    }

    /// The proxy's counters: `{accepted, live, bytes_up, bytes_down, resets, truncated}`.
    fn proxy_stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.json(py, Inner::proxy_stats)
    }

    /// Stops the hub (its connections closed, its thread ended); again: nothing.
    fn stop(&self, py: Python<'_>) {
        let hub = self.inner.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(mut hub) = hub {
            py.detach(move || hub.stop());
        }
    }
}
