//! The connection's timers: one slot per kind, so that finding the next deadline and checking
//! which are due costs the same however busy the connection is.

use std::time::Instant;

/// A kind of timer; each has at most one deadline at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// Opening a connection: `socket_connected` must arrive by then.
    Open,
    /// The next connection attempt.
    Retry,
    /// The close handshake must be over by then.
    Close,
    /// The next keep-alive ping.
    KeepAlive,
    /// Nothing received since `ping_interval + liveness_grace`: the link is dead.
    Silence,
    /// A ping was written and nothing has arrived since: the link is dead by then.
    PongDue,
    /// Connected long enough: the attempt counter resets.
    ResetAttempts,
    /// Disconnected long enough: the client is suspended.
    Suspend,
}

const COUNT: usize = 8;

impl Timer {
    fn slot(self) -> usize {
        self as usize
    }
}

/// The deadline of each [`Timer`].
#[derive(Debug, Default)]
pub(super) struct Timers {
    at: [Option<Instant>; COUNT],
}

impl Timers {
    pub(super) fn set(&mut self, t: Timer, at: Instant) {
        self.at[t.slot()] = Some(at);
    }

    pub(super) fn clear(&mut self, t: Timer) {
        self.at[t.slot()] = None;
    }

    pub(super) fn get(&self, t: Timer) -> Option<Instant> {
        self.at[t.slot()]
    }

    pub(super) fn is_set(&self, t: Timer) -> bool {
        self.at[t.slot()].is_some()
    }

    /// True when `t` is set and due at `now`.
    pub(super) fn due(&self, t: Timer, now: Instant) -> bool {
        self.at[t.slot()].is_some_and(|at| now >= at)
    }

    /// The earliest deadline of all.
    pub(super) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }
}
