//! The local hub in this process, for `captivate-chat/testing` (`lib/testing.js`): a thin
//! wrapper of the binding layer's [`captivate_binding::hub::Hub`], which runs the hub in a
//! thread of its own with its own runtime. Nothing here touches Node's event loop, so a hub
//! never keeps the process alive: it ends with the process, or when its object is collected.
//!
//! Starting and stopping (which waits for the hub's thread), and restarting its fault proxy
//! (which waits until the proxy refuses connections), run on the libuv thread pool and resolve
//! a Promise; every other call is a quick, synchronous call into the hub. Values come
//! and go as JSON; errors are those of the binding layer (see [`crate::js_error`]).

use std::sync::Arc;
use std::time::Duration;

use captivate_binding::BindingError;
use captivate_binding::hub::{FAULTS, HUB_OPTIONS, Hub};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use serde_json::{Value, json};

use crate::js_error;

/// A local hub running in this process (see `captivate-chat/testing`).
#[napi]
pub struct NativeHub {
    /// Shared with a proxy restart under way on the thread pool; `None` once closed.
    hub: Option<Arc<Hub>>,
}

/// Starting a hub, off the JavaScript thread.
pub struct StartHub {
    options: Value,
}

impl Task for StartHub {
    type Output = Hub;
    type JsValue = NativeHub;

    fn compute(&mut self) -> napi::Result<Hub> {
        Hub::start(&self.options).map_err(js_error)
    }

    fn resolve(&mut self, _env: Env, hub: Hub) -> napi::Result<NativeHub> {
        Ok(NativeHub { hub: Some(Arc::new(hub)) })
    }
}

/// Stopping a hub (its connections closed, its thread joined), off the JavaScript thread.
pub struct StopHub {
    hub: Option<Arc<Hub>>,
}

impl Task for StopHub {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let Some(mut shared) = self.hub.take() else { return Ok(()) };
        // A proxy restart under way holds the hub a moment longer (it waits 10 s at most).
        loop {
            match Arc::try_unwrap(shared) {
                Ok(mut hub) => {
                    hub.stop();
                    return Ok(());
                }
                Err(still_shared) => {
                    shared = still_shared;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}

/// Restarting the hub's fault proxy, off the JavaScript thread: resolves once it refuses
/// connections.
pub struct RestartProxy {
    hub: Arc<Hub>,
    down_for: Duration,
}

impl Task for RestartProxy {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        self.hub.proxy_restart(self.down_for).map_err(js_error)
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}

/// Starts a hub with `options` (the binding layer's hub options, camelCase names too); resolves
/// once it listens.
#[napi(ts_return_type = "Promise<NativeHub>")]
pub fn start_hub(options: Value) -> AsyncTask<StartHub> {
    AsyncTask::new(StartHub { options })
}

/// The names of the hub's options, with what each means.
#[napi]
pub fn hub_options() -> Vec<Vec<String>> {
    HUB_OPTIONS.iter().map(|(n, d)| vec![(*n).to_owned(), (*d).to_owned()]).collect()
}

/// The names of the hub's faults.
#[napi]
pub fn hub_faults() -> Vec<String> {
    FAULTS.iter().map(|f| (*f).to_owned()).collect()
}

fn closed() -> napi::Error {
    js_error(BindingError {
        kind: captivate::ErrorKind::Closed,
        message: "the hub is closed".into(),
        details: json!({}),
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl NativeHub {
    fn hub(&self) -> napi::Result<&Arc<Hub>> {
        self.hub.as_ref().ok_or_else(closed)
    }
}

#[napi]
impl NativeHub {
    /// Stops the hub (every connection closed, its thread ended); closing again does nothing.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&mut self) -> AsyncTask<StopHub> {
        AsyncTask::new(StopHub { hub: self.hub.take() })
    }

    /// Whether it still runs.
    #[napi]
    pub fn is_running(&self) -> bool {
        self.hub.as_ref().is_some_and(|h| h.is_running())
    }

    /// The client options of this hub: `{api_key, url, http_url, files_url, ca_pem?}`.
    #[napi]
    pub fn client_options(&self) -> napi::Result<Value> {
        self.hub()?.client_options().map_err(js_error)
    }

    /// The hub's own WebSocket URL, without the key (not through the fault proxy).
    #[napi]
    pub fn url(&self) -> napi::Result<String> {
        self.hub()?.url().map_err(js_error)
    }

    /// The hub's own HTTP base (not through the fault proxy).
    #[napi]
    pub fn http_url(&self) -> napi::Result<String> {
        self.hub()?.http_url().map_err(js_error)
    }

    /// The port.
    #[napi]
    pub fn port(&self) -> napi::Result<u32> {
        self.hub()?.port().map(u32::from).map_err(js_error)
    }

    /// Replaces the bot's script (`null`: the usual flow).
    #[napi]
    pub fn set_script(&self, script: Value) -> napi::Result<()> {
        self.hub()?.set_script(&script).map_err(js_error)
    }

    /// The script in force.
    #[napi]
    pub fn script(&self) -> napi::Result<Value> {
        self.hub()?.script().map_err(js_error)
    }

    /// Replaces the faults (`null` or `{}`: none).
    #[napi]
    pub fn set_faults(&self, faults: Value) -> napi::Result<()> {
        self.hub()?.set_faults(&faults).map_err(js_error)
    }

    /// The faults in force.
    #[napi]
    pub fn faults(&self) -> napi::Result<Value> {
        self.hub()?.faults().map_err(js_error)
    }

    /// Closes every connection abruptly.
    #[napi]
    pub fn drop_connections(&self) -> napi::Result<()> {
        self.hub()?.drop_connections().map_err(js_error)
    }

    /// Sends a close frame on every connection, then closes it.
    #[napi]
    pub fn close_connections(&self, code: u32, reason: String) -> napi::Result<()> {
        let code = u16::try_from(code).map_err(|_| js_error(BindingError::invalid("code must be 0 to 65535")))?;
        self.hub()?.close_connections(code, &reason).map_err(js_error)
    }

    /// Closes every connection and refuses new ones for `down_ms`, then listens again.
    #[napi]
    pub fn restart(&self, down_ms: u32) -> napi::Result<()> {
        self.hub()?.restart(Duration::from_millis(u64::from(down_ms))).map_err(js_error)
    }

    /// Sends a frame to every connection.
    #[napi]
    pub fn push(&self, frame: Value) -> napi::Result<()> {
        self.hub()?.push(&frame).map_err(js_error)
    }

    /// Sends raw text to every connection.
    #[napi]
    pub fn push_text(&self, text: String) -> napi::Result<()> {
        self.hub()?.push_text(&text).map_err(js_error)
    }

    /// The bot says `content` in a conversation.
    #[napi]
    pub fn bot_says(&self, conversation_id: String, content: Value, send: bool) -> napi::Result<()> {
        self.hub()?.bot_says(&conversation_id, &content, send).map_err(js_error)
    }

    /// The live agent says `content` in a conversation.
    #[napi]
    pub fn agent_says(&self, conversation_id: String, content: Value, send: bool) -> napi::Result<()> {
        self.hub()?.agent_says(&conversation_id, &content, send).map_err(js_error)
    }

    /// Sends a `conversation_update` (`{type, data}`) to a conversation.
    #[napi]
    pub fn update(&self, conversation_id: String, update: Value) -> napi::Result<()> {
        self.hub()?.update(&conversation_id, &update).map_err(js_error)
    }

    /// The frames received, narrowed to a conversation and an event type when given.
    #[napi]
    pub fn received(&self, conversation_id: Option<String>, event_type: Option<String>) -> napi::Result<Vec<Value>> {
        self.hub()?.received(conversation_id.as_deref(), event_type.as_deref()).map_err(js_error)
    }

    /// The HTTP requests served (but the controls').
    #[napi]
    pub fn requests(&self) -> napi::Result<Vec<Value>> {
        self.hub()?.requests().map_err(js_error)
    }

    /// The conversations.
    #[napi]
    pub fn conversations(&self) -> napi::Result<Value> {
        self.hub()?.conversations().map_err(js_error)
    }

    /// The stored files.
    #[napi]
    pub fn files(&self) -> napi::Result<Value> {
        self.hub()?.files().map_err(js_error)
    }

    /// Makes the links of a stored file (of every one, when `None`) expire now; how many.
    #[napi]
    pub fn expire_files(&self, file_key: Option<String>) -> napi::Result<u32> {
        self.hub()?.expire_files(file_key.as_deref()).map(count).map_err(js_error)
    }

    /// Connections open now.
    #[napi]
    pub fn live_connections(&self) -> napi::Result<u32> {
        self.hub()?.live_connections().map(count).map_err(js_error)
    }

    /// Successful WebSocket handshakes so far.
    #[napi]
    pub fn connections_accepted(&self) -> napi::Result<u32> {
        self.hub()?.connections_accepted().map(count).map_err(js_error)
    }

    /// Forgets conversations, frames, requests and files; clears the faults; puts the starting
    /// script back.
    #[napi]
    pub fn reset(&self) -> napi::Result<()> {
        self.hub()?.reset().map_err(js_error)
    }

    /// The WebSocket URL through the fault proxy (`invalid_argument` without one).
    #[napi]
    pub fn proxy_url(&self) -> napi::Result<String> {
        self.hub()?.proxy_url().map_err(js_error)
    }

    /// Replaces the proxy's faults (`latency_ms`, `bandwidth_bps`, `blackhole`; `null`: none).
    #[napi]
    pub fn set_proxy_faults(&self, faults: Value) -> napi::Result<()> {
        self.hub()?.set_proxy_faults(&faults).map_err(js_error)
    }

    /// The proxy's faults in force.
    #[napi]
    pub fn proxy_faults(&self) -> napi::Result<Value> {
        self.hub()?.proxy_faults().map_err(js_error)
    }

    /// Resets every connection through the proxy; how many.
    #[napi]
    pub fn proxy_reset(&self) -> napi::Result<u32> {
        self.hub()?.proxy_reset().map(count).map_err(js_error)
    }

    /// Cuts every connection through the proxy inside the next frame the hub sends; how many.
    #[napi]
    pub fn proxy_truncate(&self) -> napi::Result<u32> {
        self.hub()?.proxy_truncate().map(count).map_err(js_error)
    }

    /// Closes every connection through the proxy and refuses new ones for `down_ms`; resolves
    /// once it refuses. Fails at once on a closed hub or one without a proxy.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn proxy_restart(&self, down_ms: u32) -> napi::Result<AsyncTask<RestartProxy>> {
        let hub = self.hub()?;
        hub.proxy_url().map_err(js_error)?;
        Ok(AsyncTask::new(RestartProxy { hub: Arc::clone(hub), down_for: Duration::from_millis(u64::from(down_ms)) }))
    }

    /// The proxy's counters: `{accepted, live, bytes_up, bytes_down, resets, truncated}`.
    #[napi]
    pub fn proxy_stats(&self) -> napi::Result<Value> {
        self.hub()?.proxy_stats().map_err(js_error)
    }
}
