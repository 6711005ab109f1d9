//! Drops hub events already seen, by `(event_type, event_id)`, within a bounded window.
//!
//! Only a keyed 64-bit hash of each pair is kept: no string is copied per event. Two different
//! events are taken for one with a probability of about `window / 2^64` per event, far below
//! anything observable.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// A hasher for keys that are hashes already: it passes them through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Debug)]
pub(super) struct Dedupe {
    window: usize,
    keys: RandomState,
    order: VecDeque<u64>,
    seen: HashSet<u64, BuildHasherDefault<PassThrough>>,
}

impl Dedupe {
    pub(super) fn new(window: usize) -> Dedupe {
        Dedupe { window, keys: RandomState::new(), order: VecDeque::new(), seen: HashSet::default() }
    }

    fn key(&self, event_type: &str, event_id: &str) -> u64 {
        let mut h = self.keys.build_hasher();
        h.write(event_type.as_bytes());
        h.write_u8(0xff);
        h.write(event_id.as_bytes());
        h.finish()
    }

    /// Records an event; false when it was seen already (a duplicate).
    pub(super) fn insert(&mut self, event_type: &str, event_id: &str) -> bool {
        if self.window == 0 {
            return true;
        }
        let key = self.key(event_type, event_id);
        if !self.seen.insert(key) {
            return false;
        }
        if self.order.len() >= self.window
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.order.push_back(key);
        true
    }
}
