//! The hub's HTTP services: sends over HTTP, the REST transcript and the refresh of file links,
//! file uploads to the file-to-text service and presigned URLs, and the large (413) messages.
//!
//! One HTTP client (connection pool) per process and TLS configuration; redirects, compressed
//! answers and the usual proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`) are
//! honoured. The API key (`x-api-key`) goes only to hosts the configuration trusts
//! ([`crate::Config::trusts_host`]); a request that would carry it elsewhere, or be redirected
//! elsewhere with it, is refused.

mod files;
mod large;
pub(crate) mod send;
mod transcript;
mod upload_options;

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Url};
use rustls::ClientConfig;
use serde_json::Value;

use crate::config::Config;
use crate::driver::transport;
use crate::error::{Error, Result, redact};

pub use files::Upload;
pub(crate) use files::{presigned_url, upload, upload_all};
pub(crate) use large::fetch_large_message;
pub(crate) use transcript::{refresh_links, rest_transcript};
pub use upload_options::{HostFile, UPLOAD_OPTIONS, UploadOptionSpec, default_file_name};

/// The most redirects followed by a request carrying the API key (each to a trusted host).
const MAX_KEYED_REDIRECTS: usize = 5;

/// The HTTP clients of one TLS configuration: one for requests carrying the key (it follows
/// no redirect by itself), one for the others.
#[derive(Clone)]
struct Clients {
    keyed: reqwest::Client,
    plain: reqwest::Client,
}

/// The HTTP side of a client: its configuration and the process's HTTP clients.
#[derive(Clone)]
pub(crate) struct Http {
    clients: Clients,
    config: Arc<Config>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Http")
    }
}

fn clients_for(tls: &Arc<ClientConfig>) -> Result<Clients> {
    static CACHE: Mutex<Vec<(Weak<ClientConfig>, Clients)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    cache.retain(|(w, _)| w.strong_count() > 0);
    if let Some((_, c)) = cache.iter().find(|(w, _)| w.upgrade().is_some_and(|t| Arc::ptr_eq(&t, tls))) {
        return Ok(c.clone());
    }
    let build = |redirects: reqwest::redirect::Policy| {
        reqwest::Client::builder()
            .use_preconfigured_tls((**tls).clone())
            .redirect(redirects)
            .user_agent(concat!("captivate-rust/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
    };
    let clients = Clients {
        keyed: build(reqwest::redirect::Policy::none())?,
        plain: build(reqwest::redirect::Policy::limited(10))?,
    };
    cache.push((Arc::downgrade(tls), clients.clone()));
    Ok(clients)
}

impl Http {
    /// The HTTP side of a client with this configuration.
    pub(crate) fn new(config: Arc<Config>) -> Result<Http> {
        let tls = transport::tls_config(&config)?;
        Ok(Http { clients: clients_for(&tls)?, config })
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    fn fail(&self, what: &str, e: impl std::fmt::Display) -> Error {
        Error::Http(self.redact(&format!("{what}: {e}")))
    }

    /// `text` without the API key.
    fn redact(&self, text: &str) -> String {
        redact(text, self.config.api_key.expose())
    }

    /// A request without the key.
    fn plain(&self, method: Method, url: &str) -> Result<RequestBuilder> {
        let url = Url::parse(url).map_err(|e| self.fail("invalid URL", e))?;
        Ok(self.clients.plain.request(method, url).timeout(self.config.timings.request_timeout))
    }

    /// Sends a request carrying the key to a trusted host, following redirects only to
    /// trusted hosts. `body` builds the request's body for each attempt.
    async fn keyed(
        &self,
        method: Method,
        url: &str,
        body: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<reqwest::Response> {
        self.keyed_send(method, url, body).await.map_err(|e| match e {
            KeyedError::Untrusted(m) | KeyedError::Unusable(m) => Error::Http(self.redact(&m)),
            KeyedError::Send(e) => self.fail("HTTP request failed", e),
        })
    }

    async fn keyed_send(
        &self,
        method: Method,
        url: &str,
        body: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> std::result::Result<reqwest::Response, KeyedError> {
        let mut url = Url::parse(url).map_err(|e| KeyedError::Unusable(format!("invalid URL: {e}")))?;
        for _ in 0..=MAX_KEYED_REDIRECTS {
            let host = url.host_str().unwrap_or_default();
            if !self.config.trusts_host(host) {
                return Err(KeyedError::Untrusted(format!(
                    "{host} is not a trusted host: the API key is not sent there (see trusted_hosts)"
                )));
            }
            if url.scheme() != "https" && self.config.endpoint.base_url().starts_with("wss://") {
                return Err(KeyedError::Untrusted(format!(
                    "the API key is not sent over plain http to {host} while the hub is reached over wss"
                )));
            }
            let req = self
                .clients
                .keyed
                .request(method.clone(), url.clone())
                .timeout(self.config.timings.request_timeout)
                .header("x-api-key", self.config.api_key.expose())
                .header("accept", "application/json");
            let resp = body(req).send().await.map_err(KeyedError::Send)?;
            if !resp.status().is_redirection() {
                return Ok(resp);
            }
            let next = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| KeyedError::Unusable(format!("HTTP {} without a usable Location", resp.status())))?;
            url = next;
        }
        Err(KeyedError::Unusable(format!("more than {MAX_KEYED_REDIRECTS} redirects")))
    }

    /// Reads a JSON answer (plain text is wrapped as the official client does:
    /// `{"status": "success", "message": TEXT}`); a status other than 2xx is an error naming it.
    async fn json(&self, what: &str, resp: reqwest::Response) -> Result<Value> {
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.fail(what, e))?;
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| serde_json::json!({"status": "success", "message": text.trim()}));
        if !status.is_success() {
            // The answer may quote the request, the key with it.
            return Err(Error::Http(self.redact(&format!("{what}: HTTP {}: {}", status.as_u16(), error_text(&value)))));
        }
        Ok(value)
    }
}

/// Why a request carrying the key got no answer.
enum KeyedError {
    /// It would have gone to a host that is not trusted: nothing was sent.
    Untrusted(String),
    /// It could not be made (bad URL, a redirect without a location, too many redirects).
    Unusable(String),
    /// Sending it failed (connection, timeout).
    Send(reqwest::Error),
}

/// The error an answer names (`error`, `message`), or the answer itself.
fn error_text(v: &Value) -> String {
    for k in ["error", "message", "error_desc"] {
        if let Some(s) = v.get(k).and_then(Value::as_str) {
            return s.to_owned();
        }
    }
    let s = v.to_string();
    if s.len() <= 300 {
        return s;
    }
    let mut cut = 300;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &s[..cut])
}

/// Unix seconds now.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// How long a presigned link lives by default, as the official client asks.
pub(crate) const LINK_LIFETIME: Duration = Duration::from_secs(7200);
