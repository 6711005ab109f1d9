//! What a client process measures about itself and the hub while it works: wall time, its own
//! CPU time (every thread), its resident memory, and the hub process's CPU time, plus the
//! statistics every client program of the benchmark computes the same way.

use std::time::{Duration, Instant};

use rustix::time::{ClockId, clock_gettime};
use serde_json::{Map, Value};

/// CPU time of this process, all threads (CLOCK_PROCESS_CPUTIME_ID), in nanoseconds.
pub fn cpu_ns() -> u64 {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Resident memory of this process (VmRSS), in KiB.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time of the hub's main thread (the minimal hub does all its work there), in ns.
pub fn hub_cpu_ns(hub_pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{hub_pid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// A measured stretch of work.
pub struct Phase {
    hub_pid: u32,
    wall: Instant,
    cpu: u64,
    hub: u64,
}

/// What a [`Phase`] measured.
pub struct Measured {
    /// Wall time.
    pub wall: Duration,
    /// This process's CPU time, ns.
    pub cpu_ns: u64,
    /// The hub's CPU time divided by the wall time (1.0: the hub never rested).
    pub hub_load: f64,
}

impl Phase {
    /// Starts measuring.
    pub fn start(hub_pid: u32) -> Phase {
        let hub = hub_cpu_ns(hub_pid);
        let cpu = cpu_ns();
        Phase { hub_pid, wall: Instant::now(), cpu, hub }
    }

    /// Stops measuring.
    pub fn finish(self) -> Measured {
        let wall = self.wall.elapsed();
        let cpu_ns = cpu_ns() - self.cpu;
        let hub = hub_cpu_ns(self.hub_pid).saturating_sub(self.hub);
        Measured { wall, cpu_ns, hub_load: hub as f64 / wall.as_nanos().max(1) as f64 }
    }
}

/// The nearest-rank percentile `q` (0..1) of `samples` (sorted here), in µs.
pub fn percentile_us(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort_unstable();
    if samples.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1].as_secs_f64() * 1e6
}

/// The figures a client program prints: one JSON object on one line.
#[derive(Default)]
pub struct Figures(Map<String, Value>);

impl Figures {
    /// Adds a figure.
    pub fn set(mut self, name: &str, value: f64) -> Self {
        self.0.insert(name.to_owned(), Value::from(value));
        self
    }

    /// Prints the figures to standard output.
    pub fn print(self) {
        println!("{}", Value::Object(self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        assert_eq!(percentile_us(&mut samples, 0.5), 50.0);
        assert_eq!(percentile_us(&mut samples, 0.99), 99.0);
        assert_eq!(percentile_us(&mut [Duration::from_micros(7)], 0.99), 7.0);
    }

    #[test]
    fn this_process_has_memory_and_cpu_time() {
        let before = cpu_ns();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        assert!(cpu_ns() > before);
        assert!(rss_kib() > 0);
    }
}
