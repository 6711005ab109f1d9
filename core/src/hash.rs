//! Fast hashing for the maps on the hot path. Their keys are request ids the library makes and
//! ids the hub sends (conversation ids, event types), so flooding resistance (the standard
//! library's SipHash) buys nothing, and a multiply-rotate hash (as rustc's `FxHasher`) costs a
//! fraction of it.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-rotate hasher, word at a time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // Spread the high bits down: the table picks buckets from the low bits and control
        // bytes from the high ones.
        self.0.rotate_left(20)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// A hash map with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A hash set with [`FastHasher`].
pub(crate) type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_buckets() {
        // Sequential ids and similar strings land in many different low-bit buckets.
        let mut low = std::collections::HashSet::new();
        for i in 0u64..4096 {
            let mut h = FastHasher::default();
            h.write_u64(i);
            low.insert(h.finish() & 0xfff);
        }
        assert!(low.len() > 2500, "{}", low.len());
        let mut low = std::collections::HashSet::new();
        for i in 0..4096 {
            let mut h = FastHasher::default();
            h.write(format!("user-{i}-d1816568-2b18-4e8b").as_bytes());
            low.insert(h.finish() & 0xfff);
        }
        assert!(low.len() > 2500, "{}", low.len());
    }
}
