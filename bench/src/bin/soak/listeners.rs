//! The listeners the soak keeps on the client: the client's own stream (counting reconnects)
//! and one per conversation (the last echo it heard, and any echo that was not its own). Every
//! stream is drained all the time, so that nothing piles up in it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use captivate::{Event, EventStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Aborts its task when dropped.
struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Counts the client's `connected` state changes.
pub struct Connections {
    connected: watch::Receiver<u64>,
    _task: Task,
}

impl Connections {
    /// Starts draining the client's stream.
    pub fn start(mut events: EventStream) -> Connections {
        let (tx, connected) = watch::channel(0);
        let task = tokio::spawn(async move {
            while let Some(e) = events.next().await {
                if matches!(&e, Event::State(s) if s.current.is_connected()) {
                    tx.send_modify(|n| *n += 1);
                }
            }
        });
        Connections { connected, _task: Task(task) }
    }

    /// `connected` state changes so far.
    pub fn count(&self) -> u64 {
        *self.connected.borrow()
    }

    /// Waits until there were more than `n` (at most `limit`).
    pub async fn more_than(&self, n: u64, limit: Duration) -> Result<(), String> {
        let mut rx = self.connected.clone();
        match tokio::time::timeout(limit, rx.wait_for(|c| *c > n)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(format!("not connected again within {limit:?}")),
        }
    }
}

/// What one conversation's listener heard.
pub struct Echoes {
    /// Its conversation's number.
    pub conv: usize,
    last: watch::Receiver<String>,
    foreign: Arc<AtomicU64>,
    _task: Task,
}

/// The text the soak sends to conversation `conv` in check round `round`.
pub fn probe_text(round: u64, conv: usize) -> String {
    format!("soak {round} c{conv}")
}

/// The conversation a probe text names.
fn probe_conv(text: &str) -> Option<usize> {
    text.rsplit_once(" c")?.1.parse().ok()
}

impl Echoes {
    /// Starts draining conversation `conv`'s stream.
    pub fn start(conv: usize, mut events: EventStream) -> Echoes {
        let (tx, last) = watch::channel(String::new());
        let foreign = Arc::new(AtomicU64::new(0));
        let wrong = foreign.clone();
        let task = tokio::spawn(async move {
            while let Some(e) = events.next().await {
                let Some(said) = e.text().and_then(|t| t.strip_prefix("You said: ").map(str::to_owned)) else {
                    continue;
                };
                if probe_conv(&said) != Some(conv) {
                    wrong.fetch_add(1, Ordering::Relaxed);
                }
                tx.send_replace(said);
            }
        });
        Echoes { conv, last, foreign, _task: Task(task) }
    }

    /// Waits (at most `limit`) until the last echo heard is `text`.
    pub async fn heard(&self, text: &str, limit: Duration) -> Result<(), String> {
        let mut rx = self.last.clone();
        match tokio::time::timeout(limit, rx.wait_for(|t| t == text)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(format!("conversation {} did not hear the echo of {text:?} within {limit:?}", self.conv)),
        }
    }

    /// Echoes of other conversations' messages it heard.
    pub fn foreign(&self) -> u64 {
        self.foreign.load(Ordering::Relaxed)
    }
}
