//! Capturing every log record of the test process, TRACE included, as text.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// The text of every record written so far.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Installs the process's subscriber, at TRACE, writing here (once per test binary).
    pub fn install() -> Captured {
        Captured::install_filtered("trace")
    }

    /// As [`Captured::install`], keeping only the records that `directives` (as in
    /// `captivate=trace,tungstenite=debug`) let through.
    pub fn install_filtered(directives: &str) -> Captured {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let logs = Captured::default();
        let writer = logs.clone();
        let targets: tracing_subscriber::filter::Targets = directives.parse().expect("valid directives");
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish()
            .with(targets)
            .init();
        logs
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
