//! Exponential backoff with jitter.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::config::ReconnectPolicy;

/// Retry `n` (from 0) waits a uniformly random time in `[d/2, d]`, where
/// `d = min(max_delay, initial_delay * 2^n)`: never zero, never in lockstep with other clients.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    state: u64,
}

impl Backoff {
    /// A backoff for the policy; `seed` makes the jitter reproducible.
    pub fn new(policy: &ReconnectPolicy, seed: Option<u64>) -> Backoff {
        let seed = seed.unwrap_or_else(|| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0x9E37_79B9_7F4A_7C15);
            h.finish()
        });
        Backoff { initial: policy.initial_delay, max: policy.max_delay.max(policy.initial_delay), state: seed | 1 }
    }

    /// The cap `d` of retry `n`.
    pub fn ceiling(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX);
        self.initial.checked_mul(factor).unwrap_or(self.max).min(self.max)
    }

    /// The delay before retry `n`.
    pub fn delay(&mut self, n: u32) -> Duration {
        let d = self.ceiling(n);
        let half = d / 2;
        let span = (d - half).as_nanos() as u64;
        let r = if span == 0 { 0 } else { self.next() % (span + 1) };
        half + Duration::from_nanos(r)
    }

    /// xorshift64*: small, fast, good enough for jitter.
    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
