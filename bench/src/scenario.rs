//! The scenarios every client program of the benchmark runs (Rust, C, Python, Node alike),
//! and the command line they share:
//!
//! `<program> <impl> <scenario> <url> <hub-pid> <n> <m>`
//!
//! | scenario | what | n | m | figures printed (one JSON line) |
//! | --- | --- | --- | --- | --- |
//! | `connect` | connect `n` clients one after another and keep them idle | clients | - | `connect_p50_us`, `connect_cpu_us`, `rss_per_client_kib`, `hub_load` |
//! | `roundtrip` | on one conversation: send a message, wait for its echo | timed round trips | warm-up round trips | `rt_p50_us`, `rt_p99_us`, `rt_cpu_us`, `hub_load` |
//! | `pipelined` | on one conversation: send `n` messages without waiting, then wait for every echo (and every send's completion) | messages per batch | batches | `msgs_per_s`, `cpu_per_msg_us`, `hub_load` |
//! | `conversations` | start `n` conversations on one client, one after another, keeping them | conversations | - | `start_us`, `start_cpu_us`, `rss_per_conv_kib`, `hub_load` |
//!
//! The URL is the hub's, without the key (clients append `?apiKey=`, as the library does).
//! Conversations start user-first (the minimal hub sends no greeting). `hub_load` is the hub's
//! CPU time over the wall time of the measured stretch.

/// One run of a client program.
#[derive(Clone, Debug)]
pub struct Args {
    /// The scenario.
    pub scenario: Scenario,
    /// The hub's URL (without the key).
    pub url: String,
    /// The hub's process id, for its CPU time.
    pub hub_pid: u32,
}

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// `n` idle clients.
    Connect {
        /// How many.
        n: usize,
    },
    /// `n` timed round trips after `warmup` untimed ones.
    RoundTrip {
        /// Timed.
        n: usize,
        /// Untimed, first.
        warmup: usize,
    },
    /// `batches` batches of `n` messages in flight at once.
    Pipelined {
        /// Messages per batch.
        n: usize,
        /// Batches.
        batches: usize,
    },
    /// `n` conversations on one client.
    Conversations {
        /// How many.
        n: usize,
    },
}

impl Scenario {
    /// The scenario's name on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Connect { .. } => "connect",
            Scenario::RoundTrip { .. } => "roundtrip",
            Scenario::Pipelined { .. } => "pipelined",
            Scenario::Conversations { .. } => "conversations",
        }
    }

    /// `n` and `m` of the command line.
    pub fn counts(&self) -> (usize, usize) {
        match *self {
            Scenario::Connect { n } | Scenario::Conversations { n } => (n, 0),
            Scenario::RoundTrip { n, warmup } => (n, warmup),
            Scenario::Pipelined { n, batches } => (n, batches),
        }
    }

    /// Parses a name and its counts.
    pub fn parse(name: &str, n: usize, m: usize) -> Option<Scenario> {
        Some(match name {
            "connect" => Scenario::Connect { n },
            "roundtrip" => Scenario::RoundTrip { n, warmup: m },
            "pipelined" => Scenario::Pipelined { n, batches: m.max(1) },
            "conversations" => Scenario::Conversations { n },
            _ => return None,
        })
    }
}

impl Args {
    /// Reads `<scenario> <url> <hub-pid> <n> <m>`.
    pub fn parse(rest: &[String]) -> Result<Args, String> {
        let [scenario, url, pid, n, m] = rest else {
            return Err("expected <scenario> <url> <hub-pid> <n> <m>".into());
        };
        let num = |s: &str| s.parse::<usize>().map_err(|_| format!("not a number: {s}"));
        let scenario =
            Scenario::parse(scenario, num(n)?, num(m)?).ok_or_else(|| format!("unknown scenario {scenario}"))?;
        Ok(Args { scenario, url: url.clone(), hub_pid: pid.parse().map_err(|_| format!("not a pid: {pid}"))? })
    }
}

/// The text of message `i` of a run, and the echo the hub answers it with.
pub fn message(tag: char, i: usize) -> (String, String) {
    let text = format!("{tag}{i}");
    let echo = format!("{}{text}", crate::wire::ECHO_PREFIX);
    (text, echo)
}
