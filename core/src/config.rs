//! Client configuration: endpoint, API key, timeouts, reconnect policy, TLS, limits.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result, redact};
use crate::protocol::Dialect;

/// Where the hub is.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Endpoint {
    /// The production hub, `wss://channel.wss.captivatechat.ai/dev`.
    #[default]
    Prod,
    /// The development hub, `wss://channel-dev.wss.captivatechat.ai/dev`.
    Dev,
    /// Any `ws://` or `wss://` URL, given without the `apiKey` query (it is appended).
    Url(String),
}

impl Endpoint {
    /// Parses `prod`, `dev`, or a `ws://` / `wss://` URL.
    pub fn parse(s: &str) -> Result<Endpoint> {
        match s.trim() {
            "prod" | "production" => Ok(Endpoint::Prod),
            "dev" | "development" => Ok(Endpoint::Dev),
            u if u.starts_with("ws://") || u.starts_with("wss://") => Ok(Endpoint::Url(u.to_owned())),
            _ => Err(Error::InvalidArgument("endpoint must be \"prod\", \"dev\" or a ws:// or wss:// URL".into())),
        }
    }

    /// The URL without the API key.
    pub fn base_url(&self) -> &str {
        match self {
            Endpoint::Prod => "wss://channel.wss.captivatechat.ai/dev",
            Endpoint::Dev => "wss://channel-dev.wss.captivatechat.ai/dev",
            Endpoint::Url(u) => u,
        }
    }
}

impl Endpoint {
    /// The HTTP base of the hub's services (HTTP sends, the REST transcript): the official
    /// hosts for prod and dev, and for a URL the same host and port over `http`/`https`.
    pub fn http_base(&self) -> String {
        match self {
            Endpoint::Prod => "https://channel.prod.captivat.io".into(),
            Endpoint::Dev => "https://channel.dev.captivat.io".into(),
            Endpoint::Url(u) => origin_of(u),
        }
    }

    /// The base of the file-to-text service (uploads and presigned URLs): the official host
    /// for prod and dev, and for a URL the same host and port over `http`/`https`.
    pub fn files_base(&self) -> String {
        match self {
            Endpoint::Prod | Endpoint::Dev => "https://file-to-text.prod.captivat.io".into(),
            Endpoint::Url(u) => origin_of(u),
        }
    }
}

/// `wss://host:port/path?q` as `https://host:port` (`ws` as `http`).
fn origin_of(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some(("wss", rest)) => ("https", rest),
        Some((_, rest)) => ("http", rest),
        None => ("http", url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

/// How requests travel to the hub. Events always arrive on the WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Transport {
    /// Every request is written on the WebSocket (the published Socket API).
    #[default]
    Socket,
    /// Every request is POSTed to the hub's HTTP send endpoint with the socket's id, as the
    /// official client does since 5.0; each 2xx answer acknowledges that one request.
    /// Requests go one at a time, in call order.
    Http,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Prod => f.write_str("Prod"),
            Endpoint::Dev => f.write_str("Dev"),
            Endpoint::Url(u) => f.debug_tuple("Url").field(&redact(u, "")).finish(),
        }
    }
}

/// The API key. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself; handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// When and how to reconnect after an unexpected drop.
#[derive(Clone, Debug, PartialEq)]
pub struct ReconnectPolicy {
    /// Reconnect at all. When false, a drop moves the client to `Failed`.
    pub enabled: bool,
    /// The first backoff step: retry `n` (from 0) waits a random time in `[d/2, d]`,
    /// `d = min(max_delay, initial_delay * 2^n)`.
    pub initial_delay: Duration,
    /// The cap of the backoff.
    pub max_delay: Duration,
    /// Give up (go to `Failed`) after this many consecutive failed attempts; `None` never gives up.
    pub max_attempts: Option<u32>,
    /// The attempt counter resets after being connected this long.
    pub reset_after: Duration,
    /// After this long without a connection the client is `Suspended`: queued sends fail, and
    /// retries continue every `suspended_retry`.
    pub suspend_after: Duration,
    /// The retry interval while suspended.
    pub suspended_retry: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            enabled: true,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_attempts: None,
            reset_after: Duration::from_secs(30),
            suspend_after: Duration::from_secs(120),
            suspended_retry: Duration::from_secs(30),
        }
    }
}

/// What to do with a message written to a connection that died before proving alive again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Delivery {
    /// Never resend: the call fails with `PossiblyNotDelivered` (the default, since the hub
    /// is not known to deduplicate by `client_msg_id`).
    #[default]
    AtMostOnce,
    /// Resend once after reconnecting, with the same `client_msg_id`.
    AtLeastOnce,
}

/// Which root certificates to trust for `wss://`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TlsRoots {
    /// The Mozilla roots compiled into the library (works everywhere, needs no system store).
    #[default]
    Webpki,
    /// The operating system's store.
    System,
    /// Both.
    Both,
    /// Neither: only `extra_ca_file` / `extra_ca_pem` (a private hub).
    None,
}

/// TLS settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsConfig {
    /// Which roots to trust.
    pub roots: TlsRoots,
    /// A PEM file with extra CA certificates to trust (a private hub).
    pub extra_ca_file: Option<PathBuf>,
    /// Extra CA certificates in PEM form.
    pub extra_ca_pem: Option<String>,
}

/// Engine timings and limits (the parts of [`Config`] the protocol engine needs).
#[derive(Clone, Debug, PartialEq)]
pub struct Timings {
    /// From starting a connection to `socket_connected` (default 10 s).
    pub connect_timeout: Duration,
    /// The wait for a reply, counted from the write (default 10 s).
    pub request_timeout: Duration,
    /// The wait for `metadata_update_success` (default 15 s, as the official client).
    pub metadata_timeout: Duration,
    /// A WebSocket ping is sent after this long without writing (default 25 s).
    pub ping_interval: Duration,
    /// The link is declared dead when nothing arrives for `ping_interval + liveness_grace`
    /// (default 10 s).
    pub liveness_grace: Duration,
    /// The wait for the close handshake when closing (default 2 s).
    pub close_timeout: Duration,
    /// Reconnect policy.
    pub reconnect: ReconnectPolicy,
    /// Queue sends made while not connected (default true); when false they fail at once.
    pub queue_while_offline: bool,
    /// The most events the offline queue holds (default 1000).
    pub max_queued_events: usize,
    /// The most bytes the offline queue holds (default 1 MiB).
    pub max_queued_bytes: usize,
    /// Resend policy for messages.
    pub delivery: Delivery,
    /// How many recent `event_id`s are remembered to drop duplicates (default 1024; 0 = off).
    pub dedupe_window: usize,
    /// After a reconnect, fetch each conversation's transcript and deliver the bot and agent
    /// messages missed while the connection was down, in order, before newer live events
    /// (default true); at most eight transcript requests are in flight at once, the other
    /// conversations wait their turn. They carry [`crate::MessageBody::recovered`]. Messages
    /// are placed by `event_id`, so the transcript entries must carry the `event_id`s of the
    /// live events; when the last message delivered is not found in the transcript, nothing is
    /// recovered (never a duplicate), and the conversation's `Discontinuity` event still tells
    /// of the gap.
    pub catch_up: bool,
    /// The most events kept for a conversation (or the client) nobody is listening to yet, and
    /// waiting in a stream read more slowly than they come (default 10 000); older ones are
    /// dropped and a `Lagged` event says how many.
    pub max_backlog: usize,
    /// Seed of the backoff jitter; `None` seeds from the OS.
    pub jitter_seed: Option<u64>,
    /// How requests travel (default [`Transport::Socket`]).
    pub transport: Transport,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            metadata_timeout: Duration::from_secs(15),
            ping_interval: Duration::from_secs(25),
            liveness_grace: Duration::from_secs(10),
            close_timeout: Duration::from_secs(2),
            reconnect: ReconnectPolicy::default(),
            queue_while_offline: true,
            max_queued_events: 1000,
            max_queued_bytes: 1 << 20,
            delivery: Delivery::AtMostOnce,
            dedupe_window: 1024,
            catch_up: true,
            max_backlog: 10_000,
            jitter_seed: None,
            transport: Transport::Socket,
        }
    }
}

/// Everything a [`crate::Client`] needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The hub.
    pub endpoint: Endpoint,
    /// The API key (never logged or shown).
    pub api_key: ApiKey,
    /// Timings, limits and policies of the protocol engine.
    pub timings: Timings,
    /// TLS settings for `wss://`.
    pub tls: TlsConfig,
    /// The largest frame accepted from the hub or sent to it (default 1 MiB).
    pub max_frame_size: usize,
    /// Operation names the hub understands.
    pub dialect: Dialect,
    /// Give every conversation its own socket, so routing never depends on what the hub puts
    /// in an event (default false: one socket per client).
    pub socket_per_conversation: bool,
    /// Fetch 413 large messages from their `message_link` and deliver them as bot messages
    /// (default true).
    pub fetch_large_messages: bool,
    /// The HTTP base of the hub's services; `None`: [`Endpoint::http_base`].
    pub http_url: Option<String>,
    /// The base of the file-to-text service; `None`: [`Endpoint::files_base`].
    pub files_url: Option<String>,
    /// Hosts, besides the hub's own (its WebSocket host, its HTTP base, and the official
    /// hosts), that may receive the API key: a large message's link on another host is
    /// fetched without it.
    pub trusted_hosts: Vec<String>,
    /// Refresh the links of files about to expire when reading a transcript, and push them
    /// back with `edit_message`, as the official client does (default true).
    pub refresh_file_links: bool,
}

impl Config {
    /// The defaults for an API key: production hub, the timings of [`Timings::default`].
    pub fn new(api_key: impl Into<String>) -> Self {
        Config {
            endpoint: Endpoint::Prod,
            api_key: ApiKey::new(api_key),
            timings: Timings::default(),
            tls: TlsConfig::default(),
            max_frame_size: 1 << 20,
            dialect: Dialect::Current,
            socket_per_conversation: false,
            fetch_large_messages: true,
            http_url: None,
            files_url: None,
            trusted_hosts: Vec::new(),
            refresh_file_links: true,
        }
    }

    /// Sets the endpoint.
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Sets the endpoint to a URL.
    pub fn url(self, url: impl Into<String>) -> Self {
        self.endpoint(Endpoint::Url(url.into()))
    }

    /// The URL to connect to, with the API key appended.
    pub(crate) fn connect_url(&self) -> Result<String> {
        let base = self.endpoint.base_url();
        if !(base.starts_with("ws://") || base.starts_with("wss://")) {
            return Err(Error::InvalidArgument("the URL must start with ws:// or wss://".into()));
        }
        if base.to_ascii_lowercase().contains("apikey=") {
            return Err(Error::InvalidArgument(
                "give the URL without the apiKey query; the client appends the key".into(),
            ));
        }
        if self.api_key.expose().is_empty() {
            return Err(Error::InvalidArgument("the API key is empty".into()));
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        Ok(format!("{base}{sep}apiKey={}", percent_encode(self.api_key.expose())))
    }

    /// The HTTP base of the hub's services, without a trailing slash.
    pub fn http_base(&self) -> String {
        self.http_url.clone().unwrap_or_else(|| self.endpoint.http_base()).trim_end_matches('/').to_owned()
    }

    /// The base of the file-to-text service, without a trailing slash.
    pub fn files_base(&self) -> String {
        self.files_url.clone().unwrap_or_else(|| self.endpoint.files_base()).trim_end_matches('/').to_owned()
    }

    /// Whether `host` may receive the API key: the hub's WebSocket host, the host of its HTTP
    /// base, the official hosts (the hub's and the file service's), and
    /// [`Config::trusted_hosts`].
    pub fn trusts_host(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let host_of = |url: &str| {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
            let name = if let Some(v6) = authority.strip_prefix('[') {
                v6.split(']').next().unwrap_or(v6)
            } else {
                authority.split(':').next().unwrap_or(authority)
            };
            name.to_ascii_lowercase()
        };
        let official = [
            "channel.wss.captivatechat.ai",
            "channel-dev.wss.captivatechat.ai",
            "channel.prod.captivat.io",
            "channel.dev.captivat.io",
            "file-to-text.prod.captivat.io",
        ];
        host == host_of(self.endpoint.base_url())
            || host == host_of(&self.http_base())
            || official.contains(&host.as_str())
            || self.trusted_hosts.iter().any(|t| t.trim().eq_ignore_ascii_case(&host))
    }

    /// Checks the configuration for values that cannot work.
    pub fn validate(&self) -> Result<()> {
        self.connect_url()?;
        for (name, url) in [("http_url", &self.http_url), ("files_url", &self.files_url)] {
            if let Some(u) = url
                && !(u.starts_with("http://") || u.starts_with("https://"))
            {
                return Err(Error::InvalidArgument(format!("{name} must start with http:// or https://")));
            }
        }
        let t = &self.timings;
        let positive = [
            ("connect_timeout", t.connect_timeout),
            ("request_timeout", t.request_timeout),
            ("metadata_timeout", t.metadata_timeout),
            ("ping_interval", t.ping_interval),
            ("reconnect.initial_delay", t.reconnect.initial_delay),
            ("reconnect.max_delay", t.reconnect.max_delay),
            ("reconnect.suspended_retry", t.reconnect.suspended_retry),
        ];
        for (name, d) in positive {
            if d.is_zero() {
                return Err(Error::InvalidArgument(format!("{name} must be greater than zero")));
            }
        }
        if self.max_frame_size < 1024 {
            return Err(Error::InvalidArgument("max_frame_size must be at least 1024 bytes".into()));
        }
        Ok(())
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Config {
    /// Builds a configuration from JSON, the form every front end passes; see
    /// [`crate::options`] for every option, its type and its meaning.
    pub fn from_json(v: &serde_json::Value) -> Result<Config> {
        crate::options::parse(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_from_json() {
        let c = Config::from_json(&json!({
            "api_key": "k", "endpoint": "ws://127.0.0.1:1/dev", "request_timeout_ms": 1500,
            "reconnect": {"max_attempts": 3, "initial_delay_ms": 10}, "delivery": "at-least-once", "tls_roots": "none"
        }))
        .unwrap();
        assert_eq!(c.timings.request_timeout, Duration::from_millis(1500));
        assert_eq!(c.timings.reconnect.max_attempts, Some(3));
        assert_eq!(c.timings.delivery, Delivery::AtLeastOnce);
        assert!(Config::from_json(&json!({"api_key": "k", "request_timout_ms": 1})).is_err(), "typos are refused");
        assert!(Config::from_json(&json!({"api_key": "k", "endpoint": "ftp://x"})).is_err());
        assert!(Config::from_json(&json!({"endpoint": "dev"})).is_err());
        assert!(Config::from_json(&json!({"api_key": "k", "request_timeout_ms": 0})).is_err());
        assert!(!format!("{c:?}").contains("\"k\""));
    }
}
