//! The deadlines of written requests, earliest first, at a constant cost per request however
//! many are in flight.
//!
//! A deadline is the write time plus the request's timeout, and few timeouts are in use: the
//! deadlines of one kind of request with one timeout come in order of time. Each such run is a
//! queue; an entry whose request ended or moved its deadline is not looked for, it is dropped
//! when it reaches the front (or when dead entries outnumber live ones). The few deadlines that
//! would break a queue's order (a ghost's extra period, more distinct timeouts than queues) go
//! to an ordered tree.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use super::requests::Seq;

/// What kind of request a deadline belongs to (each kind has its own queues, so that replies
/// that take long do not hold up the proofs behind them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lane {
    /// A reply awaited.
    Reply,
    /// A proof of delivery awaited.
    Proof,
}

/// At most this many queues; deadlines of further timeouts go to the tree.
const MAX_QUEUES: usize = 8;

/// Dead entries beyond twice the live requests (and this slack) start a compaction.
const SLACK: usize = 64;

#[derive(Debug)]
struct Queue {
    lane: Lane,
    timeout: Duration,
    entries: VecDeque<(Instant, Seq)>,
}

/// The deadlines. See the module docs.
#[derive(Debug, Default)]
pub(super) struct Deadlines {
    queues: Vec<Queue>,
    others: BTreeSet<(Instant, Seq)>,
    /// Entries in the queues, dead ones included.
    queued: usize,
}

impl Deadlines {
    /// Adds the deadline `at` of request `seq`, of kind `lane`, written with `timeout`.
    pub(super) fn insert(&mut self, lane: Lane, timeout: Duration, at: Instant, seq: Seq) {
        let i = match self.queues.iter().position(|q| q.lane == lane && q.timeout == timeout) {
            Some(i) => Some(i),
            None if self.queues.len() < MAX_QUEUES => {
                self.queues.push(Queue { lane, timeout, entries: VecDeque::new() });
                Some(self.queues.len() - 1)
            }
            // Every queue is taken: an empty one serves this timeout from now on.
            None => self.queues.iter_mut().position(|q| q.entries.is_empty()).inspect(|&i| {
                let q = &mut self.queues[i];
                (q.lane, q.timeout) = (lane, timeout);
            }),
        };
        match i.map(|i| &mut self.queues[i].entries) {
            Some(q) if q.back().is_none_or(|(d, _)| *d <= at) => {
                q.push_back((at, seq));
                self.queued += 1;
            }
            _ => {
                self.others.insert((at, seq));
            }
        }
    }

    /// The request `seq` no longer has the deadline `at` (it ended, or its deadline moved).
    /// Call [`Deadlines::clean`] before reading the next deadline.
    pub(super) fn remove(&mut self, at: Instant, seq: Seq) {
        self.others.remove(&(at, seq));
    }

    /// Drops the dead entries at the fronts of the queues (those for which `valid` says the
    /// request no longer has that deadline), and every dead entry once they outnumber the
    /// `live` requests.
    pub(super) fn clean(&mut self, live: usize, valid: impl Fn(Lane, Instant, Seq) -> bool) {
        let compact = self.queued > 2 * live + SLACK;
        for q in &mut self.queues {
            let before = q.entries.len();
            if compact {
                q.entries.retain(|&(d, s)| valid(q.lane, d, s));
            } else {
                while q.entries.front().is_some_and(|&(d, s)| !valid(q.lane, d, s)) {
                    q.entries.pop_front();
                }
            }
            self.queued -= before - q.entries.len();
        }
        while let Some(&(d, s)) = self.others.first()
            && !valid(Lane::Reply, d, s)
            && !valid(Lane::Proof, d, s)
        {
            self.others.pop_first();
        }
    }

    /// The earliest deadline, and its request (after [`Deadlines::clean`]).
    pub(super) fn first(&self) -> Option<(Instant, Seq)> {
        self.queues.iter().filter_map(|q| q.entries.front().copied()).chain(self.others.first().copied()).min()
    }
}
