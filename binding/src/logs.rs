//! The library's log records, delivered to the host: Python's `logging`, Node's console or a
//! hook, a C callback. Records come from the library (`tracing`) and from dependencies that
//! write through the `log` crate (tungstenite, rustls). Every API key in use is removed from
//! them before they leave, whatever wrote them.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::{Event, Metadata, Subscriber};

/// How much to log, from least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Nothing.
    Off = 0,
    /// Errors.
    Error = 1,
    /// Warnings and errors.
    Warn = 2,
    /// Information (connections, reconnects) and above.
    Info = 3,
    /// Debugging detail and above.
    Debug = 4,
    /// Everything, the dependencies' traces included.
    Trace = 5,
}

impl Level {
    /// The level of a number (0 off .. 5 trace); above 5 is trace.
    pub fn from_u8(n: u8) -> Level {
        match n {
            0 => Level::Off,
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            _ => Level::Trace,
        }
    }

    /// The lowercase name: `error`, `warn`, `info`, `debug`, `trace` (`off`).
    pub fn name(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }

    fn of_tracing(l: &tracing::Level) -> Level {
        match *l {
            tracing::Level::ERROR => Level::Error,
            tracing::Level::WARN => Level::Warn,
            tracing::Level::INFO => Level::Info,
            tracing::Level::DEBUG => Level::Debug,
            _ => Level::Trace,
        }
    }

    fn of_log(l: log::Level) -> Level {
        match l {
            log::Level::Error => Level::Error,
            log::Level::Warn => Level::Warn,
            log::Level::Info => Level::Info,
            log::Level::Debug => Level::Debug,
            log::Level::Trace => Level::Trace,
        }
    }
}

/// One log record, with the API keys in use already removed.
#[derive(Clone, Debug)]
pub struct Record {
    /// Its level.
    pub level: Level,
    /// Where it comes from: a module path such as `captivate::engine` or `tungstenite::handshake`.
    pub target: String,
    /// The message and its fields (`connection lost reason="..."`).
    pub message: String,
}

/// Where records go.
pub type Sink = Arc<dyn Fn(Record) + Send + Sync>;

static LEVEL: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Sends the records of level `level` and above to `sink` (`None`, or `Level::Off`: none).
/// The first call installs the bridge for the whole process: it fails (returns false) when the
/// process already has another global `tracing` subscriber or `log` logger, in which case the
/// records go there instead.
pub fn set_sink(level: Level, sink: Option<Sink>) -> bool {
    *SINK.write().unwrap_or_else(PoisonError::into_inner) = sink;
    LEVEL.store(level as u8, Ordering::Relaxed);
    *INSTALLED.get_or_init(|| {
        let t = tracing::subscriber::set_global_default(Bridge).is_ok();
        let l = log::set_logger(&LOG_BRIDGE).is_ok();
        log::set_max_level(log::LevelFilter::Trace);
        t && l
    })
}

/// The current level.
pub fn level() -> Level {
    Level::from_u8(LEVEL.load(Ordering::Relaxed))
}

fn enabled(level: Level) -> bool {
    level != Level::Off && level <= self::level()
}

// ----- the API keys in use -----

static KEYS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// Keeps an API key known to the bridge while it exists (one per session).
#[derive(Debug)]
pub struct KeyGuard(String);

impl KeyGuard {
    /// Registers `key`.
    pub fn new(key: &str) -> KeyGuard {
        if !key.is_empty() {
            *KEYS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(HashMap::new)
                .entry(key.to_owned())
                .or_default() += 1;
        }
        KeyGuard(key.to_owned())
    }
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        let mut keys = KEYS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(map) = keys.as_mut()
            && let Some(n) = map.get_mut(&self.0)
        {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.0);
            }
        }
    }
}

/// `text` without any API key in use, in any form ([`captivate::error::redact`]), nor any
/// `apiKey=` query value or `x-api-key` header.
pub fn redact(text: &str) -> String {
    match KEYS.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
        Some(map) => captivate::error::redact_keys(text, map.keys().map(String::as_str)),
        None => captivate::error::redact(text, ""),
    }
}

fn emit(level: Level, target: &str, message: String) {
    let sink = SINK.read().unwrap_or_else(PoisonError::into_inner).clone();
    if let Some(sink) = sink {
        sink(Record { level, target: target.to_owned(), message: redact(&message) });
    }
}

// ----- tracing -----

struct Bridge;

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            if !self.0.is_empty() {
                self.0.insert(0, ' ');
            }
            let mut m = String::new();
            let _ = write!(m, "{value:?}");
            self.0.insert_str(0, &m);
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        enabled(Level::of_tracing(metadata.level()))
    }

    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        // The level can change at any time: ask every time.
        tracing::subscriber::Interest::sometimes()
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &SpanRecord<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let m = event.metadata();
        let level = Level::of_tracing(m.level());
        if !enabled(level) {
            return;
        }
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        emit(level, m.target(), fields.0.trim_start().to_owned());
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

// ----- log -----

struct LogBridge;

static LOG_BRIDGE: LogBridge = LogBridge;

impl log::Log for LogBridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        enabled(Level::of_log(metadata.level()))
    }

    fn log(&self, record: &log::Record<'_>) {
        let level = Level::of_log(record.level());
        if enabled(level) {
            emit(level, record.target(), record.args().to_string());
        }
    }

    fn flush(&self) {}
}
