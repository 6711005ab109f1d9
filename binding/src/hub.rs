//! The local hub ([`captivate_sim`]) inside the host process, for testing an application
//! offline: every front end (the C library, the Python module, the Node addon) starts it
//! through this one type, in its own thread with its own runtime, so that the hub's work never
//! competes with the clients' and stopping it stops everything it started.
//!
//! A started [`Hub`] tells its WebSocket URL (without the key) and its API key, runs a bot
//! script given as data ([`captivate_sim::Script`]), answers typed controls (faults, drops,
//! restarts, speaking as the bot or the agent) and tells what it received (frames, HTTP
//! requests, conversations, stored files). Options and values come as JSON, as everywhere in
//! the binding layer, and are checked: an unknown name is an error.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use captivate_sim::proxy::{Proxy, ProxyFaults};
use captivate_sim::{Faults, Script, Sim, SimConfig};
use serde_json::{Map, Value, json};

use crate::errors::BindingError;
use captivate::options::snake;

/// The options [`Hub::start`] takes, with what each means.
pub const HUB_OPTIONS: &[(&str, &str)] = &[
    ("api_key", "The API key clients must present (default `test-key`)."),
    ("extra_api_keys", "More keys the hub accepts (for listings across keys)."),
    ("tls", "Serve `wss://` with a generated self-signed certificate (`ca_pem` to trust)."),
    ("agent_delay_ms", "How long the live agent takes to answer (default 50)."),
    ("script", "The bot's script (JSON: `greeting`, `rules`); default: the usual flow."),
    ("port", "The port (default 0: a free one)."),
    ("proxy", "Put a fault-injecting TCP proxy in front of the hub; clients connect through it."),
    ("log", "Print the hub's notes (connections, faults, frames ignored) on standard error (default false)."),
];

/// The fault names [`Hub::set_faults`] takes (the hub's `/control/faults`).
pub const FAULTS: &[&str] = &[
    "reply_delay_ms",
    "never_answer",
    "omit_conversation_id",
    "stall",
    "drop_after_frames",
    "malformed_before_replies",
    "unknown_event_before_replies",
    "duplicate_events",
    "transcript_as_messages",
    "no_socket_connected",
    "http_status",
    "http_status_count",
    "http_delay_ms",
    "http_paths",
];

/// The fault names [`Hub::set_proxy_faults`] takes.
pub const PROXY_FAULTS: &[&str] = &["latency_ms", "bandwidth_bps", "blackhole"];

/// A local hub running in this process. Stops when dropped (or with [`Hub::stop`]).
pub struct Hub {
    sim: Option<Arc<Sim>>,
    /// The fault proxy in front of it, when asked for.
    proxy: Option<Arc<Proxy>>,
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("url", &self.sim.as_ref().map(|s| s.base_url())).finish()
    }
}

fn bad(m: impl Into<String>) -> BindingError {
    BindingError::invalid(m)
}

/// An object's entries with snake_case names, each checked against `known`.
fn entries(v: &Value, what: &str, known: &[&str]) -> Result<Vec<(String, Value)>, BindingError> {
    let o = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Object(o) => o,
        _ => return Err(bad(format!("{what} must be an object"))),
    };
    o.iter()
        .map(|(k, v)| {
            let name = snake(k);
            if known.contains(&name.as_str()) {
                Ok((name, v.clone()))
            } else {
                Err(bad(format!("{k:?} is not one of the {what} ({})", known.join(", "))))
            }
        })
        .collect()
}

/// The hub's configuration, and whether a fault proxy goes in front of it.
fn config(options: &Value) -> Result<(SimConfig, bool), BindingError> {
    let known: Vec<&str> = HUB_OPTIONS.iter().map(|(n, _)| *n).collect();
    let mut c = SimConfig { quiet: true, ..SimConfig::default() };
    let mut proxy = false;
    for (name, v) in entries(options, "hub options", &known)? {
        if v.is_null() {
            continue;
        }
        let text = || v.as_str().map(str::to_owned).ok_or_else(|| bad(format!("{name} must be a string")));
        match name.as_str() {
            "api_key" => c.api_key = text()?.trim().to_owned(),
            "extra_api_keys" => {
                c.extra_api_keys = v
                    .as_array()
                    .and_then(|a| a.iter().map(|k| k.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| bad("extra_api_keys must be a list of strings"))?;
            }
            "tls" => c.tls = v.as_bool().ok_or_else(|| bad("tls must be a boolean"))?,
            "agent_delay_ms" => {
                c.agent_delay =
                    Duration::from_millis(v.as_u64().ok_or_else(|| bad("agent_delay_ms must be a whole number"))?);
            }
            "script" => c.script = Script::from_json(&v).map_err(bad)?,
            "log" => c.quiet = !v.as_bool().ok_or_else(|| bad("log must be a boolean"))?,
            "proxy" => proxy = v.as_bool().ok_or_else(|| bad("proxy must be a boolean"))?,
            "port" => {
                c.port =
                    v.as_u64().and_then(|p| u16::try_from(p).ok()).ok_or_else(|| bad("port must be 0 to 65535"))?;
            }
            _ => unreachable!("checked by entries()"),
        }
    }
    if c.api_key.is_empty() {
        return Err(bad("api_key must not be empty"));
    }
    Ok((c, proxy))
}

/// Content given as a string (one text item) or a list of items and strings.
fn items(content: &Value) -> Result<Vec<Value>, BindingError> {
    captivate_sim::content_items(content).map_err(bad)
}

impl Hub {
    /// Starts a hub on 127.0.0.1 with `options` (an object of [`HUB_OPTIONS`], camelCase names
    /// too, or `null`), in a thread of its own, and returns once it listens.
    pub fn start(options: &Value) -> Result<Hub, BindingError> {
        let (config, with_proxy) = config(options)?;
        let quiet = config.quiet;
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("captivate-hub".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot start the hub's runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    let sim = match Sim::start(config).await {
                        Ok(sim) => sim,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("cannot start the hub: {e}")));
                            return;
                        }
                    };
                    let proxy = if with_proxy {
                        match Proxy::start(format!("127.0.0.1:{}", sim.port())).await {
                            Ok(p) => {
                                p.set_quiet(quiet);
                                Some(Arc::new(p))
                            }
                            Err(e) => {
                                let _ = ready_tx.send(Err(format!("cannot start the hub's proxy: {e}")));
                                return;
                            }
                        }
                    } else {
                        None
                    };
                    let _ = ready_tx.send(Ok((Arc::new(sim), proxy, tokio::runtime::Handle::current())));
                    let _ = stop_rx.await;
                });
            })
            .map_err(|e| BindingError::internal(format!("cannot start the hub's thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok((sim, proxy, handle))) => {
                Ok(Hub { sim: Some(sim), proxy, handle, stop: Some(stop_tx), thread: Some(thread) })
            }
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(BindingError { kind: captivate::ErrorKind::Connect, message: e, details: json!({}) })
            }
            Err(_) => {
                let _ = thread.join();
                Err(BindingError::internal("the hub's thread ended before the hub started"))
            }
        }
    }

    fn sim(&self) -> Result<&Arc<Sim>, BindingError> {
        self.sim.as_ref().ok_or_else(|| BindingError {
            kind: captivate::ErrorKind::Closed,
            message: "the hub is stopped".into(),
            details: json!({}),
        })
    }

    /// Whether it still runs.
    pub fn is_running(&self) -> bool {
        self.sim.is_some()
    }

    /// The WebSocket URL a client is given, without the key (`ws://127.0.0.1:PORT/dev`, or
    /// `wss://localhost:PORT/dev` with TLS).
    pub fn url(&self) -> Result<String, BindingError> {
        Ok(self.sim()?.base_url())
    }

    /// The HTTP base of the same port (the channel API, the file service, the controls).
    pub fn http_url(&self) -> Result<String, BindingError> {
        Ok(self.sim()?.http_url())
    }

    /// The API key clients present.
    pub fn api_key(&self) -> Result<String, BindingError> {
        Ok(self.sim()?.api_key().to_owned())
    }

    /// The port.
    pub fn port(&self) -> Result<u16, BindingError> {
        Ok(self.sim()?.port())
    }

    /// With TLS, the PEM of the certificate a client trusts (`ca_pem`); otherwise `None`.
    pub fn ca_pem(&self) -> Result<Option<String>, BindingError> {
        Ok(self.sim()?.ca_pem())
    }

    /// The options a client of this hub needs: `{"api_key", "url", "http_url", "files_url"}`
    /// (and `ca_pem` with TLS), to merge into the client's own; with the fault proxy, the URLs
    /// go through it.
    pub fn client_options(&self) -> Result<Value, BindingError> {
        let sim = self.sim()?;
        let through = |url: String| match &self.proxy {
            Some(p) => p.url_for(&url),
            None => url,
        };
        let mut o = json!({
            "api_key": sim.api_key(),
            "url": through(sim.base_url()),
            "http_url": through(sim.http_url()),
            "files_url": through(sim.http_url()),
        });
        if let Some(pem) = sim.ca_pem() {
            o["ca_pem"] = json!(pem);
        }
        Ok(o)
    }

    /// Replaces the bot's script (`null`: the usual flow, [`Script::default`]); conversations
    /// keep their state and live agents.
    pub fn set_script(&self, script: &Value) -> Result<(), BindingError> {
        let sim = self.sim()?;
        let script = if script.is_null() { Script::default() } else { Script::from_json(script).map_err(bad)? };
        sim.set_script(script);
        Ok(())
    }

    /// The bot's script now in force, as JSON.
    pub fn script(&self) -> Result<Value, BindingError> {
        Ok(self.sim()?.script().to_json())
    }

    /// Replaces the faults with those `faults` names ([`FAULTS`]; `null` or `{}`: none).
    pub fn set_faults(&self, faults: &Value) -> Result<(), BindingError> {
        let sim = self.sim()?;
        let checked: Map<String, Value> = entries(faults, "faults", FAULTS)?.into_iter().collect();
        for (name, v) in &checked {
            let fits = v.is_null()
                || match name.as_str() {
                    "never_answer" | "http_paths" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
                    "reply_delay_ms" | "http_delay_ms" | "drop_after_frames" | "http_status_count" => v.is_u64(),
                    "http_status" => v.as_u64().is_some_and(|s| (200..=599).contains(&s)),
                    _ => v.is_boolean(),
                };
            if !fits {
                let want = match name.as_str() {
                    "never_answer" | "http_paths" => "a list of strings",
                    "http_status" => "an HTTP status from 200 to 599",
                    "reply_delay_ms" | "http_delay_ms" => "a whole number of milliseconds",
                    "drop_after_frames" | "http_status_count" => "a whole number",
                    _ => "a boolean",
                };
                return Err(bad(format!("the fault {name} must be {want}, not {v}")));
            }
        }
        sim.set_faults(Faults::from_json(&Value::Object(checked)));
        Ok(())
    }

    /// The faults in force, as JSON.
    pub fn faults(&self) -> Result<Value, BindingError> {
        Ok(self.sim()?.faults().to_json())
    }

    /// Closes every connection abruptly (no close frame): clients see a dropped link.
    pub fn drop_connections(&self) -> Result<(), BindingError> {
        self.sim()?.drop_connections();
        Ok(())
    }

    /// Sends a close frame with `code` and `reason` on every connection, then closes it.
    pub fn close_connections(&self, code: u16, reason: &str) -> Result<(), BindingError> {
        self.sim()?.close_connections(code, reason);
        Ok(())
    }

    /// Closes every connection and refuses new ones for `down_for`, then listens again on the
    /// same port (conversations survive). Returns at once; the hub is back after `down_for`.
    pub fn restart(&self, down_for: Duration) -> Result<(), BindingError> {
        let sim = self.sim()?.clone();
        self.handle.spawn(async move { sim.restart(down_for).await });
        Ok(())
    }

    /// Sends this exact frame (JSON) to every connection.
    pub fn push(&self, frame: &Value) -> Result<(), BindingError> {
        self.sim()?.push(frame.clone());
        Ok(())
    }

    /// Sends raw text (e.g. malformed JSON) to every connection.
    pub fn push_text(&self, text: &str) -> Result<(), BindingError> {
        self.sim()?.push_text(text);
        Ok(())
    }

    /// The bot says `content` (a string, or a list of items and strings) in a conversation:
    /// recorded in its transcript and, when `send`, sent to its connection.
    pub fn bot_says(&self, conversation_id: &str, content: &Value, send: bool) -> Result<(), BindingError> {
        let content = items(content)?;
        self.found(self.sim()?.bot_says(conversation_id, content, send), conversation_id)
    }

    /// The live agent says `content` in a conversation (as [`Hub::bot_says`]).
    pub fn agent_says(&self, conversation_id: &str, content: &Value, send: bool) -> Result<(), BindingError> {
        let content = items(content)?;
        self.found(self.sim()?.agent_says(conversation_id, content, send), conversation_id)
    }

    /// Sends a `conversation_update` (`{"type", "data"}`) to a conversation.
    pub fn update(&self, conversation_id: &str, update: &Value) -> Result<(), BindingError> {
        if !update.get("type").is_some_and(Value::is_string) {
            return Err(bad("an update needs a \"type\" string"));
        }
        self.found(self.sim()?.update(conversation_id, update.clone()), conversation_id)
    }

    fn found(&self, found: bool, conversation_id: &str) -> Result<(), BindingError> {
        if found { Ok(()) } else { Err(bad(format!("the hub has no conversation {conversation_id:?}"))) }
    }

    /// Every frame the hub received, in order (HTTP sends with `"via": "http"`), narrowed to a
    /// conversation and an event type when given.
    pub fn received(
        &self,
        conversation_id: Option<&str>,
        event_type: Option<&str>,
    ) -> Result<Vec<Value>, BindingError> {
        Ok(self.sim()?.received_matching(conversation_id, event_type))
    }

    /// Every HTTP request the hub served but its controls': `{method, path, status}`.
    pub fn requests(&self) -> Result<Vec<Value>, BindingError> {
        Ok(self.sim()?.requests())
    }

    /// The conversations: `[{conversation_id, user_id, metadata, live, agent, state,
    /// transcript}]`.
    pub fn conversations(&self) -> Result<Value, BindingError> {
        Ok(self.sim()?.conversations())
    }

    /// The stored files: `[{fileKey, filename, contentType, fileSize, ttlDays}]`.
    pub fn files(&self) -> Result<Value, BindingError> {
        Ok(self.sim()?.files_json())
    }

    /// Makes the links of a stored file (of every one, when `None`) expire now; how many it
    /// touched.
    pub fn expire_files(&self, file_key: Option<&str>) -> Result<usize, BindingError> {
        Ok(self.sim()?.expire_files(file_key))
    }

    /// Connections open now.
    pub fn live_connections(&self) -> Result<usize, BindingError> {
        Ok(self.sim()?.live_connections())
    }

    /// Successful WebSocket handshakes so far.
    pub fn connections_accepted(&self) -> Result<usize, BindingError> {
        Ok(self.sim()?.connections_accepted())
    }

    /// Forgets conversations, frames, requests and files; clears the faults; puts back the
    /// script the hub started with (between tests). Connections stay open.
    pub fn reset(&self) -> Result<(), BindingError> {
        self.sim()?.reset();
        Ok(())
    }

    fn proxy(&self) -> Result<&Arc<Proxy>, BindingError> {
        self.sim()?;
        self.proxy.as_ref().ok_or_else(|| bad("this hub has no fault proxy: start it with the option proxy"))
    }

    /// With the fault proxy, the WebSocket URL through it (without the key): what
    /// [`Hub::client_options`] gives a client.
    pub fn proxy_url(&self) -> Result<String, BindingError> {
        Ok(self.proxy()?.url_for(&self.sim()?.base_url()))
    }

    /// Replaces the proxy's faults with those `faults` names ([`PROXY_FAULTS`]: `latency_ms`
    /// each way, `bandwidth_bps` per direction, `blackhole`; `null` or `{}`: none).
    pub fn set_proxy_faults(&self, faults: &Value) -> Result<(), BindingError> {
        let proxy = self.proxy()?;
        let checked: Map<String, Value> = entries(faults, "proxy faults", PROXY_FAULTS)?.into_iter().collect();
        for (name, v) in &checked {
            let fits = v.is_null() || if name == "blackhole" { v.is_boolean() } else { v.is_u64() };
            if !fits {
                let want = if name == "blackhole" { "a boolean" } else { "a whole number" };
                return Err(bad(format!("the proxy fault {name} must be {want}, not {v}")));
            }
        }
        proxy.set_faults(ProxyFaults::from_json(&Value::Object(checked)));
        Ok(())
    }

    /// The proxy's faults in force, as JSON.
    pub fn proxy_faults(&self) -> Result<Value, BindingError> {
        Ok(self.proxy()?.faults().to_json())
    }

    /// Resets every connection through the proxy (a TCP RST); how many.
    pub fn proxy_reset(&self) -> Result<usize, BindingError> {
        Ok(self.proxy()?.reset_all())
    }

    /// Cuts every connection through the proxy inside the next WebSocket frame the hub sends;
    /// how many were armed.
    pub fn proxy_truncate(&self) -> Result<usize, BindingError> {
        Ok(self.proxy()?.truncate_next_frame())
    }

    /// Closes every connection through the proxy and refuses new ones for `down_for` (the hub
    /// itself keeps running). Returns once the proxy refuses connections.
    pub fn proxy_restart(&self, down_for: Duration) -> Result<(), BindingError> {
        let proxy = self.proxy()?.clone();
        let (done_tx, done_rx) = mpsc::channel();
        self.handle.spawn(async move {
            proxy.restart(down_for).await;
            let _ = done_tx.send(());
        });
        done_rx.recv_timeout(Duration::from_secs(10)).map_err(|_| BindingError::internal("the proxy did not stop"))
    }

    /// The proxy's counters: `{accepted, live, bytes_up, bytes_down, resets, truncated}`.
    pub fn proxy_stats(&self) -> Result<Value, BindingError> {
        Ok(self.proxy()?.stats().to_json())
    }

    /// Stops the hub: every connection is closed, its thread ends. Calls made afterwards fail
    /// with `closed`; stopping again does nothing.
    pub fn stop(&mut self) {
        // The last handles go first, so that their own drops close their connections.
        drop(self.proxy.take());
        drop(self.sim.take());
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked() {
        let err = |v: Value| config(&v).unwrap_err().message;
        assert!(err(json!({"apiKey": 5})).contains("api_key must be a string"));
        assert!(err(json!({"api_kee": "x"})).contains("\"api_kee\" is not one of the hub options"));
        assert!(err(json!({"script": {"rules": 1}})).contains("rules must be a list"));
        assert!(err(json!({"api_key": " "})).contains("must not be empty"));
        let (c, proxy) =
            config(&json!({"apiKey": "k", "agentDelayMs": 5, "extraApiKeys": ["b"], "tls": true})).unwrap();
        assert!(!proxy);
        assert_eq!((c.api_key.as_str(), c.agent_delay, c.tls), ("k", Duration::from_millis(5), true));
        assert!(items(&json!(5)).is_err() && items(&json!([{"no": "type"}])).is_err());
        let hub = Hub::start(&json!(null)).unwrap();
        for (faults, want) in [
            (json!({"reply_delay_ms": 0.5}), "whole number of milliseconds"),
            (json!({"stall": "yes"}), "must be a boolean"),
            (json!({"never_answer": "metadata"}), "list of strings"),
            (json!({"httpStatus": 42}), "from 200 to 599"),
        ] {
            let e = hub.set_faults(&faults).unwrap_err();
            assert!(e.message.contains(want), "{faults}: {}", e.message);
        }
        hub.set_faults(&json!({"stall": true, "neverAnswer": ["x"], "httpStatus": 503})).unwrap();
        assert_eq!(hub.faults().unwrap()["http_status"], 503);
    }
}
