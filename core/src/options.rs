//! The options of a client as JSON: one schema, the form every front end (C, Python, Node)
//! passes to [`crate::Config::from_json`], with the same names everywhere.
//!
//! Names are snake_case; each also answers to its camelCase spelling (`request_timeout_ms` or
//! `requestTimeoutMs`), so that JavaScript code reads naturally. Durations are milliseconds.
//! Unknown names are an error, so that a typo does not pass silently; `null` leaves an option
//! at its default. [`OPTIONS`] lists them all.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::{Config, Delivery, Endpoint, TlsRoots, Transport};
use crate::error::{Error, Result};
use crate::protocol::Dialect;

/// What an option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionType {
    /// A string.
    Text,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
    /// A non-negative number of milliseconds.
    Millis,
    /// A boolean.
    Flag,
    /// A non-negative integer.
    Count,
    /// A list of strings.
    TextList,
}

type Setter = fn(&mut Config, &Value, &str) -> Result<()>;

/// One option: its name, what it takes, what it means.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    /// Its snake_case name; reconnect options are nested under `reconnect` (`reconnect.enabled`
    /// is `{"reconnect": {"enabled": ...}}`).
    pub name: &'static str,
    /// What it takes.
    pub kind: OptionType,
    /// What it sets.
    pub doc: &'static str,
    set: Setter,
}

fn bad(m: String) -> Error {
    Error::InvalidArgument(m)
}

fn ms(v: &Value, name: &str) -> Result<Duration> {
    v.as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0 && *n < 1e15)
        .map(|n| Duration::from_micros((n * 1000.0) as u64))
        .ok_or_else(|| bad(format!("{name} must be a non-negative number of milliseconds")))
}

fn flag(v: &Value, name: &str) -> Result<bool> {
    v.as_bool().ok_or_else(|| bad(format!("{name} must be a boolean")))
}

fn count(v: &Value, name: &str) -> Result<usize> {
    v.as_u64().map(|n| n as usize).ok_or_else(|| bad(format!("{name} must be a non-negative integer")))
}

fn text(v: &Value, name: &str) -> Result<String> {
    v.as_str().map(str::to_owned).ok_or_else(|| bad(format!("{name} must be a string")))
}

fn one_of<'a>(v: &'a Value, name: &str, allowed: &[&str]) -> Result<&'a str> {
    let s = v.as_str().ok_or_else(|| bad(format!("{name} must be a string")))?;
    if allowed.contains(&s) {
        Ok(s)
    } else {
        Err(bad(format!("{name} must be one of {}, not {s:?}", allowed.join(", "))))
    }
}

macro_rules! opt {
    ($name:literal, $kind:expr, $doc:literal, |$c:ident, $v:ident, $n:ident| $body:expr) => {
        OptionSpec {
            name: $name,
            kind: $kind,
            doc: $doc,
            set: |$c: &mut Config, $v: &Value, $n: &str| {
                $body;
                Ok(())
            },
        }
    };
}

const DELIVERY: &[&str] = &["at-most-once", "at-least-once"];
const ROOTS: &[&str] = &["webpki", "system", "both", "none"];
const DIALECTS: &[&str] = &["current", "legacy"];
const MODES: &[&str] = &["prod", "dev"];
const TRANSPORTS: &[&str] = &["socket", "http"];

/// Every option, with its type and meaning.
pub const OPTIONS: &[OptionSpec] = &[
    opt!("api_key", OptionType::Text, "The API key (required; never logged or shown).", |c, v, n| c.api_key =
        crate::ApiKey::new(text(v, n)?)),
    opt!("mode", OptionType::OneOf(MODES), "The hub: `prod` (default) or `dev`.", |c, v, n| c.endpoint =
        Endpoint::parse(one_of(v, n, MODES)?)?),
    opt!(
        "url",
        OptionType::Text,
        "Any hub's `ws://` or `wss://` URL, without the apiKey query (wins over `mode`).",
        |c, v, n| c.endpoint = Endpoint::parse(&text(v, n)?)?
    ),
    opt!("endpoint", OptionType::Text, "`prod`, `dev` or a URL: `mode` and `url` in one.", |c, v, n| c.endpoint =
        Endpoint::parse(&text(v, n)?)?),
    opt!(
        "connect_timeout_ms",
        OptionType::Millis,
        "From starting a connection to `socket_connected` (10000).",
        |c, v, n| c.timings.connect_timeout = ms(v, n)?
    ),
    opt!(
        "request_timeout_ms",
        OptionType::Millis,
        "The wait for a reply or a delivery proof, from the write (10000).",
        |c, v, n| c.timings.request_timeout = ms(v, n)?
    ),
    opt!("metadata_timeout_ms", OptionType::Millis, "The wait for `metadata_update_success` (15000).", |c, v, n| c
        .timings
        .metadata_timeout =
        ms(v, n)?),
    opt!("ping_interval_ms", OptionType::Millis, "A WebSocket ping every this long (25000).", |c, v, n| c
        .timings
        .ping_interval =
        ms(v, n)?),
    opt!(
        "liveness_grace_ms",
        OptionType::Millis,
        "The link is dead when nothing arrives this long after a ping (10000).",
        |c, v, n| c.timings.liveness_grace = ms(v, n)?
    ),
    opt!("close_timeout_ms", OptionType::Millis, "The wait for the closing handshake (2000).", |c, v, n| c
        .timings
        .close_timeout =
        ms(v, n)?),
    opt!("reconnect.enabled", OptionType::Flag, "Reconnect after a drop (true).", |c, v, n| c
        .timings
        .reconnect
        .enabled = flag(v, n)?),
    opt!("reconnect.initial_delay_ms", OptionType::Millis, "The first backoff step (1000).", |c, v, n| c
        .timings
        .reconnect
        .initial_delay =
        ms(v, n)?),
    opt!("reconnect.max_delay_ms", OptionType::Millis, "The backoff's cap (30000).", |c, v, n| c
        .timings
        .reconnect
        .max_delay =
        ms(v, n)?),
    opt!(
        "reconnect.max_attempts",
        OptionType::Count,
        "Give up after this many failed attempts in a row (0: never).",
        |c, v, n| {
            let k = count(v, n)?;
            c.timings.reconnect.max_attempts = (k > 0).then_some(k.min(u32::MAX as usize) as u32);
        }
    ),
    opt!(
        "reconnect.reset_after_ms",
        OptionType::Millis,
        "The attempt count resets after being connected this long (30000).",
        |c, v, n| c.timings.reconnect.reset_after = ms(v, n)?
    ),
    opt!(
        "reconnect.suspend_after_ms",
        OptionType::Millis,
        "After this long without a connection, queued sends fail and retries slow down (120000).",
        |c, v, n| c.timings.reconnect.suspend_after = ms(v, n)?
    ),
    opt!(
        "reconnect.suspended_retry_ms",
        OptionType::Millis,
        "The retry interval while suspended (30000).",
        |c, v, n| c.timings.reconnect.suspended_retry = ms(v, n)?
    ),
    opt!("queue_while_offline", OptionType::Flag, "Queue sends made while not connected (true).", |c, v, n| c
        .timings
        .queue_while_offline =
        flag(v, n)?),
    opt!("max_queued_events", OptionType::Count, "The most sends queued (1000).", |c, v, n| c
        .timings
        .max_queued_events =
        count(v, n)?),
    opt!("max_queued_bytes", OptionType::Count, "The most bytes queued (1048576).", |c, v, n| c
        .timings
        .max_queued_bytes =
        count(v, n)?),
    opt!("delivery", OptionType::OneOf(DELIVERY), "`at-most-once` (default) or `at-least-once`.", |c, v, n| c
        .timings
        .delivery =
        match one_of(v, n, DELIVERY)? {
            "at-least-once" => Delivery::AtLeastOnce,
            _ => Delivery::AtMostOnce,
        }),
    opt!(
        "dedupe_window",
        OptionType::Count,
        "Recent event ids remembered to drop duplicates (1024; 0: off).",
        |c, v, n| c.timings.dedupe_window = count(v, n)?
    ),
    opt!(
        "catch_up",
        OptionType::Flag,
        "Recover missed messages from the transcript after a reconnect (true).",
        |c, v, n| c.timings.catch_up = flag(v, n)?
    ),
    opt!(
        "max_backlog",
        OptionType::Count,
        "Events kept for a stream not opened yet, or waiting in one read too slowly (10000).",
        |c, v, n| c.timings.max_backlog = count(v, n)?
    ),
    opt!(
        "tls_roots",
        OptionType::OneOf(ROOTS),
        "Roots trusted for wss: webpki (default), system, both, none.",
        |c, v, n| c.tls.roots = match one_of(v, n, ROOTS)? {
            "system" => TlsRoots::System,
            "both" => TlsRoots::Both,
            "none" => TlsRoots::None,
            _ => TlsRoots::Webpki,
        }
    ),
    opt!("ca_file", OptionType::Text, "A PEM file of extra CA certificates (a private hub).", |c, v, n| c
        .tls
        .extra_ca_file =
        Some(text(v, n)?.into())),
    opt!("ca_pem", OptionType::Text, "Extra CA certificates as PEM text.", |c, v, n| c.tls.extra_ca_pem =
        Some(text(v, n)?)),
    opt!("max_frame_size", OptionType::Count, "The largest frame sent or accepted, in bytes (1048576).", |c, v, n| c
        .max_frame_size =
        count(v, n)?),
    opt!("dialect", OptionType::OneOf(DIALECTS), "Operation names: current (default) or legacy.", |c, v, n| c
        .dialect =
        match one_of(v, n, DIALECTS)? {
            "legacy" => Dialect::Legacy,
            _ => Dialect::Current,
        }),
    opt!("socket_per_conversation", OptionType::Flag, "Give every conversation its own socket (false).", |c, v, n| c
        .socket_per_conversation =
        flag(v, n)?),
    opt!("fetch_large_messages", OptionType::Flag, "Fetch 413 large messages from their link (true).", |c, v, n| c
        .fetch_large_messages =
        flag(v, n)?),
    opt!(
        "transport",
        OptionType::OneOf(TRANSPORTS),
        "How requests travel: `socket` (default) or `http` (POSTed with the socket's id, as the official client).",
        |c, v, n| c.timings.transport =
            if one_of(v, n, TRANSPORTS)? == "http" { Transport::Http } else { Transport::Socket }
    ),
    opt!(
        "http_url",
        OptionType::Text,
        "The HTTP base of the hub's services (default: by mode, or the hub's own host).",
        |c, v, n| c.http_url = Some(text(v, n)?)
    ),
    opt!(
        "files_url",
        OptionType::Text,
        "The base of the file-to-text service (default: the official one, or the hub's own host).",
        |c, v, n| c.files_url = Some(text(v, n)?)
    ),
    opt!("trusted_hosts", OptionType::TextList, "More hosts that may receive the API key.", |c, v, n| c
        .trusted_hosts =
        texts(v, n)?),
    opt!(
        "refresh_file_links",
        OptionType::Flag,
        "Refresh file links about to expire when reading a transcript (true).",
        |c, v, n| c.refresh_file_links = flag(v, n)?
    ),
];

fn texts(v: &Value, name: &str) -> Result<Vec<String>> {
    v.as_array()
        .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
        .ok_or_else(|| bad(format!("{name} must be an array of strings")))
}

/// `request_timeout_ms` from `requestTimeoutMs` (and any snake_case name from itself): how
/// every option name of the library (client options, upload options, the binding layer's
/// arguments) answers to its camelCase spelling.
pub fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn spec(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|s| s.name == name)
}

/// Reads options from JSON (see the module docs); the result is validated.
pub fn parse(v: &Value) -> Result<Config> {
    let mut c = Config::new("");
    apply(&mut c, v)?;
    Ok(c)
}

/// Sets the options `v` names (an object, as for [`parse`]) on an existing configuration and
/// leaves the others as they are (`null` leaves one unchanged); the result is validated. On
/// error `config` is unchanged. For front ends that build a configuration step by step.
pub fn apply(config: &mut Config, v: &Value) -> Result<()> {
    let o = v.as_object().ok_or_else(|| bad("the options must be an object".into()))?;
    let mut c = config.clone();
    let mut url = None;
    set_all(&mut c, o, "", &mut url)?;
    if let Some(u) = url {
        c.endpoint = Endpoint::parse(&u)?;
    }
    if c.api_key.expose().is_empty() {
        return Err(bad("api_key must be a non-empty string".into()));
    }
    c.validate()?;
    *config = c;
    Ok(())
}

fn set_all(c: &mut Config, o: &Map<String, Value>, prefix: &str, url: &mut Option<String>) -> Result<()> {
    for (k, v) in o {
        let name = format!("{prefix}{}", snake(k));
        if v.is_null() {
            if spec(&name).is_none() && !(prefix.is_empty() && name == "reconnect") {
                return Err(bad(format!("unknown option {k:?}")));
            }
            continue;
        }
        if prefix.is_empty() && name == "reconnect" {
            let r = v.as_object().ok_or_else(|| bad("reconnect must be an object".into()))?;
            set_all(c, r, "reconnect.", url)?;
            continue;
        }
        let s = spec(&name).ok_or_else(|| bad(format!("unknown option {k:?}")))?;
        if name == "url" {
            // Applied last: it wins over `mode`.
            *url = Some(text(v, k)?);
            continue;
        }
        (s.set)(c, v, k)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A value of the right type for an option, different from its default.
    fn sample(s: &OptionSpec) -> Value {
        match (s.name, s.kind) {
            ("api_key", _) => json!("k2"),
            ("url", _) | ("endpoint", _) => json!("ws://127.0.0.1:9/dev"),
            ("mode", _) => json!("dev"),
            ("ca_file", _) => json!("/nonexistent.pem"),
            ("ca_pem", _) => json!("-----BEGIN CERTIFICATE-----"),
            ("http_url", _) | ("files_url", _) => json!("http://127.0.0.1:9"),
            (_, OptionType::OneOf(v)) => json!(v[v.len() - 1]),
            (_, OptionType::Millis) => json!(1234),
            // The opposite of the default.
            (_, OptionType::Flag) => {
                json!(!matches!(
                    s.name,
                    "reconnect.enabled"
                        | "catch_up"
                        | "fetch_large_messages"
                        | "queue_while_offline"
                        | "refresh_file_links"
                ))
            }
            (_, OptionType::Count) => json!(4096),
            (_, OptionType::Text) => json!("x"),
            (_, OptionType::TextList) => json!(["h.example"]),
        }
    }

    fn with(name: &str, value: Value) -> Value {
        let mut o = json!({"api_key": "k"});
        match name.strip_prefix("reconnect.") {
            Some(sub) => o["reconnect"] = json!({ sub: value }),
            None => o[name] = value,
        }
        o
    }

    #[test]
    fn every_option_is_read_and_changes_the_configuration() {
        let seen = |c: &Config| format!("{c:?} {}", c.api_key.expose());
        let default = seen(&parse(&json!({"api_key": "k"})).unwrap());
        for s in OPTIONS {
            let v = with(s.name, sample(s));
            let c = Config::from_json(&v).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert_ne!(seen(&c), default, "{} changed nothing", s.name);
        }
    }

    #[test]
    fn camel_case_names_null_defaults_and_typos() {
        let c = parse(&json!({"apiKey": "k", "requestTimeoutMs": 1500, "reconnect": {"maxAttempts": 3}})).unwrap();
        assert_eq!(c.timings.request_timeout, Duration::from_millis(1500));
        assert_eq!(c.timings.reconnect.max_attempts, Some(3));
        assert!(parse(&json!({"api_key": "k", "request_timeout_ms": null})).is_ok());
        assert!(parse(&json!({"api_key": "k", "request_timout_ms": 1})).is_err(), "typos are refused");
        assert!(parse(&json!({"api_key": "k", "reconnect": {"enable": true}})).is_err());
        assert!(parse(&json!({"api_key": "k", "endpoint": "ftp://x"})).is_err());
        assert!(parse(&json!({"endpoint": "dev"})).is_err(), "the key is required");
        assert!(parse(&json!({"api_key": "k", "request_timeout_ms": 0})).is_err());
        assert!(parse(&json!({"api_key": "k", "delivery": "sometimes"})).is_err());
        let url = parse(&json!({"api_key": "k", "url": "ws://h:1/dev", "mode": "dev"})).unwrap();
        assert_eq!(url.endpoint, Endpoint::Url("ws://h:1/dev".into()), "url wins over mode");
        assert!(!format!("{url:?}").contains("\"k\""));
    }

    #[test]
    fn apply_changes_only_what_it_names_and_nothing_on_error() {
        let mut c = parse(&json!({"api_key": "k", "request_timeout_ms": 1500})).unwrap();
        apply(&mut c, &json!({"reconnect": {"maxAttempts": 2}, "endpoint": "dev"})).unwrap();
        assert_eq!(c.timings.request_timeout, Duration::from_millis(1500), "kept");
        assert_eq!(c.timings.reconnect.max_attempts, Some(2));
        assert_eq!(c.endpoint, Endpoint::Dev);
        let before = format!("{c:?}");
        assert!(apply(&mut c, &json!({"connect_timeout_ms": 5, "request_timeout_ms": 0})).is_err());
        assert!(apply(&mut c, &json!({"api_key": ""})).is_err());
        assert!(apply(&mut c, &json!([1])).is_err());
        assert_eq!(format!("{c:?}"), before, "unchanged on error");
    }
}
