//! The library's logs, on stderr, only when `CAPTIVATE_LOG` (or `RUST_LOG`) asks for them.

use std::io::Write;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

use crate::output::redact;

/// Turns logging on when `CAPTIVATE_LOG` or `RUST_LOG` is set (`CAPTIVATE_LOG` first), with
/// its value as the filter (`debug`, `captivate=trace,warn`, ...). The library never logs the
/// API key; as a second guard, `secret` is replaced in every line written. Returns a warning
/// when the filter cannot be read (then nothing is logged).
pub(crate) fn init(secret: Option<&str>) -> Option<String> {
    let (name, spec) = ["CAPTIVATE_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(|v| (name, v)))?;
    let filter: Targets = match spec.parse() {
        Ok(f) => f,
        Err(e) => return Some(format!("{name} is not a log filter ({e}); logging stays off")),
    };
    let secret = secret.filter(|s| !s.is_empty()).map(str::to_owned);
    let writer = move || Redacting { secret: secret.clone() };
    tracing_subscriber::registry().with(tracing_subscriber::fmt::layer().with_writer(writer)).with(filter).init();
    None
}

/// Stderr, with the API key replaced. The formatter writes each log line in one piece, so the
/// key cannot be split between two writes.
struct Redacting {
    secret: Option<String>,
}

impl Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact(&text, self.secret.as_deref()).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
