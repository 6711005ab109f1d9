//! The engine's clock: the time its deadlines (request timeouts, liveness, reconnect delays)
//! are measured in. It counts the time the machine spends suspended, so that a link that died
//! during a sleep is noticed at the first look after waking, and it never reads the wall clock,
//! so that a step of the wall clock (NTP correcting a device that booted with a wrong date, a
//! user setting the time) expires nothing.
//!
//! It is the tokio clock (the monotonic clock, or the test clock when tokio's time is paused)
//! plus the time spent suspended since the first reading, measured as how much further a
//! boot-time clock has gone than the monotonic clock since then:
//!
//! - Linux and Android: `CLOCK_BOOTTIME` against `CLOCK_MONOTONIC` (std's `Instant`), which
//!   stops during a suspend.
//! - Apple platforms: `CLOCK_MONOTONIC`, which keeps counting while asleep (it is
//!   `mach_continuous_time`), against std's `Instant` (`CLOCK_UPTIME_RAW`, which stops).
//! - Windows: std's `Instant` is `QueryPerformanceCounter`, which already counts sleep, standby
//!   and hibernation; nothing is added.
//! - Elsewhere: no boot-time clock is read, and the clock is the monotonic clock alone (what it
//!   counts across a suspend is what the platform's `CLOCK_MONOTONIC` counts).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Now, on the engine's clock. Never goes back, moves with tokio's clock, and jumps forward by
/// the time the machine was suspended.
pub(super) fn now() -> Instant {
    tokio::time::Instant::now().into_std() + suspended()
}

/// A reading of both clocks. The boot-time clock is read after the monotonic clock at the start
/// and before it afterwards, so that the time between the two reads can only make a suspend
/// look shorter, never make one up.
#[derive(Clone, Copy, Debug)]
struct Reading {
    /// The monotonic clock (std's, never tokio's paused one).
    monotonic: Instant,
    /// The boot-time clock, from its own origin.
    boot: Duration,
}

/// The readings at the first use, on a platform with a boot-time clock.
static START: LazyLock<Option<Reading>> = LazyLock::new(|| {
    let monotonic = Instant::now();
    boot_time().map(|boot| Reading { monotonic, boot })
});

/// The longest suspend measured so far, in nanoseconds: what `now` adds never shrinks.
static SUSPENDED: AtomicU64 = AtomicU64::new(0);

/// The time spent suspended since the first reading.
fn suspended() -> Duration {
    let Some(start) = *START else { return Duration::ZERO };
    let Some(boot) = boot_time() else { return Duration::ZERO };
    let later = Reading { monotonic: Instant::now(), boot };
    let nanos = u64::try_from(suspended_between(start, later).as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(SUSPENDED.fetch_max(nanos, Ordering::Relaxed).max(nanos))
}

/// How much further the boot-time clock went than the monotonic clock from `start` to `later`.
fn suspended_between(start: Reading, later: Reading) -> Duration {
    let boot = later.boot.saturating_sub(start.boot);
    boot.saturating_sub(later.monotonic.saturating_duration_since(start.monotonic))
}

/// The boot-time clock: `CLOCK_BOOTTIME`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn boot_time() -> Option<Duration> {
    timespec(rustix::time::clock_gettime(rustix::time::ClockId::Boottime))
}

/// The boot-time clock: Apple's `CLOCK_MONOTONIC`, which counts the time asleep.
#[cfg(target_vendor = "apple")]
fn boot_time() -> Option<Duration> {
    timespec(rustix::time::clock_gettime(rustix::time::ClockId::Monotonic))
}

/// No boot-time clock is read here: the engine's clock is the monotonic clock.
#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn boot_time() -> Option<Duration> {
    None
}

#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn timespec(t: rustix::time::Timespec) -> Option<Duration> {
    let secs = u64::try_from(t.tv_sec).ok()?;
    let nanos = u32::try_from(t.tv_nsec).ok()?;
    Some(Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(monotonic: Instant, boot_secs: u64) -> Reading {
        Reading { monotonic, boot: Duration::from_secs(boot_secs) }
    }

    // A real suspend cannot be made here; what the clock adds for one is checked on readings
    // such a suspend produces (the boot-time clock ahead of the monotonic clock), and the
    // boot-time clock it reads is checked to be a live clock that runs at least as fast as the
    // monotonic clock.

    #[test]
    fn a_suspend_is_the_boot_time_gone_beyond_the_monotonic_time() {
        let t0 = Instant::now();
        let start = reading(t0, 1_000);
        // Five seconds awake, then an hour asleep: the boot-time clock went 3605 s.
        let later = reading(t0 + Duration::from_secs(5), 4_605);
        assert_eq!(suspended_between(start, later), Duration::from_secs(3600));
        // Awake all along: nothing added.
        assert_eq!(suspended_between(start, reading(t0 + Duration::from_secs(5), 1_005)), Duration::ZERO);
        // Readings taken in the wrong order (the boot-time clock behind): nothing, not a panic.
        assert_eq!(suspended_between(start, reading(t0 + Duration::from_secs(5), 999)), Duration::ZERO);
    }

    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    #[test]
    fn the_boot_time_clock_runs_at_least_as_fast_as_the_monotonic_clock() {
        let boot_before = boot_time().expect("this platform has a boot-time clock");
        let mono_before = Instant::now();
        std::thread::sleep(Duration::from_millis(30));
        let mono_after = Instant::now();
        let boot_after = boot_time().expect("this platform has a boot-time clock");
        let mono = mono_after - mono_before;
        assert!(mono >= Duration::from_millis(30));
        assert!(boot_after - boot_before >= mono, "boot time {:?}, monotonic {mono:?}", boot_after - boot_before);
        assert!(START.is_some(), "the first reading holds a boot time");
    }

    #[test]
    fn the_clock_never_goes_back_and_keeps_up_with_the_monotonic_clock() {
        let first = now();
        let mono_before = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        let mono = Instant::now() - mono_before;
        let second = now();
        assert!(second - first >= mono, "{:?} on the clock for {mono:?} elapsed", second - first);
        for _ in 0..1000 {
            let a = now();
            assert!(now() >= a);
        }
    }
}
