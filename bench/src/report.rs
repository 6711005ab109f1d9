//! The Markdown report: the machine, the method, one table per comparison (medians over the
//! rounds, ratios, targets met or not), and what went wrong.

use std::fmt::Write;
use std::process::Command;
use std::time::Duration;

use crate::driver::Results;

/// A figure whose hub ran at least this busy is not a measurement of the client.
const SATURATED: f64 = 0.85;

/// Facts about the machine and the tools, for the report's head.
pub struct Meta {
    cores: usize,
    cpu: String,
    kernel: String,
    pinning: Option<(String, String)>,
    rounds: usize,
    load_before: String,
    versions: Vec<(String, String)>,
}

fn first_line(program: &str, args: &[&str], dir: Option<&str>) -> String {
    let mut c = Command::new(program);
    c.args(args);
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(|l| l.trim().to_owned()))
        .unwrap_or_else(|| "unknown".into())
}

impl Meta {
    /// Reads the machine and asks each tool its version; `load_before` is the load average
    /// when the run began.
    pub fn gather(
        load_before: String,
        node: &str,
        python: Option<&str>,
        node_script: Option<&str>,
        hub_core: Option<&str>,
        client_core: Option<&str>,
        rounds: usize,
    ) -> Meta {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
            .unwrap_or_else(|| "unknown".into());
        let mut versions = vec![("Rust".to_owned(), first_line("rustc", &["--version"], None))];
        if let Some(py) = python {
            versions.push(("Python".into(), first_line(py, &["--version"], None)));
            let ws = first_line(py, &["-c", "import websockets; print(websockets.__version__)"], None);
            versions.push(("websockets".into(), ws));
        }
        if let Some(script) = node_script {
            versions.push(("Node".into(), first_line(node, &["--version"], None)));
            let dir = std::path::Path::new(script).parent().and_then(|p| p.to_str()).unwrap_or(".");
            versions.push(("ws".into(), first_line(node, &["-p", "require('ws/package.json').version"], Some(dir))));
        }
        Meta {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            pinning: hub_core.zip(client_core).map(|(h, c)| (h.to_owned(), c.to_owned())),
            rounds,
            load_before,
            versions,
        }
    }
}

/// The 1, 5 and 15 minute load averages of the machine.
pub fn load_average() -> String {
    let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    l.split_whitespace().take(3).collect::<Vec<_>>().join(", ")
}

/// Where a figure comes from: a program's job and the figure's name.
#[derive(Clone, Copy)]
struct Ref {
    program: &'static str,
    job: &'static str,
    key: &'static str,
}

const fn r(program: &'static str, job: &'static str, key: &'static str) -> Ref {
    Ref { program, job, key }
}

/// What a figure should be.
#[derive(Clone, Copy)]
enum Target {
    /// ratio <= x
    AtMost(f64),
    /// ratio >= x
    AtLeast(f64),
    /// our figure <= x (in the figure's unit)
    OursAtMost(f64),
}

struct Row {
    label: &'static str,
    base: Ref,
    ours: Ref,
    target: Option<Target>,
}

const fn row(label: &'static str, base: Ref, ours: Ref, target: Option<Target>) -> Row {
    Row { label, base, ours, target }
}

struct Table {
    title: &'static str,
    intro: &'static str,
    base_header: &'static str,
    ours_header: &'static str,
    rows: Vec<Row>,
}

fn tables() -> Vec<Table> {
    use Target::*;
    let both = |label, job, key, target| row(label, r("rust-bare", job, key), r("rust-lib", job, key), target);
    let front = |base: &'static str, ours: &'static str, vs_core_mem: bool, targets: [Option<Target>; 4]| {
        // A table with no target (a mode only reported) has none for memory either.
        let targeted = targets.iter().any(Option::is_some);
        let [p50, p99, cpu, piped] = targets;
        let mut rows = vec![
            row("round trip p50 (µs)", r(base, "roundtrip", "rt_p50_us"), r(ours, "roundtrip", "rt_p50_us"), p50),
            row("round trip p99 (µs)", r(base, "roundtrip", "rt_p99_us"), r(ours, "roundtrip", "rt_p99_us"), p99),
            row("CPU per round trip (µs)", r(base, "roundtrip", "rt_cpu_us"), r(ours, "roundtrip", "rt_cpu_us"), cpu),
            row(
                "pipelined, 20,000 on one conversation (messages/s)",
                r(base, "pipelined", "msgs_per_s"),
                r(ours, "pipelined", "msgs_per_s"),
                piped,
            ),
            row(
                "CPU per pipelined message (µs)",
                r(base, "pipelined", "cpu_per_msg_us"),
                r(ours, "pipelined", "cpu_per_msg_us"),
                None,
            ),
            row(
                "connect, to `socket_connected` (p50, µs)",
                r(base, "connect", "connect_p50_us"),
                r(ours, "connect", "connect_p50_us"),
                None,
            ),
            row(
                "memory per idle connected client (KiB, 1,000 clients)",
                r(base, "connect", "rss_per_client_kib"),
                r(ours, "connect", "rss_per_client_kib"),
                if vs_core_mem || !targeted { None } else { Some(AtMost(1.2)) },
            ),
        ];
        if vs_core_mem {
            rows.push(row(
                "memory per idle connected client, against the Rust core's (KiB)",
                r("rust-lib", "connect", "rss_per_client_kib"),
                r(ours, "connect", "rss_per_client_kib"),
                Some(AtMost(1.2)),
            ));
        }
        rows
    };
    vec![
        Table {
            title: "Rust core against a bare tokio-tungstenite client",
            intro: "The library (`captivate::Client`) and a hand-written tokio-tungstenite client doing the same \
                    exchange, on the same runtime and core.",
            base_header: "bare",
            ours_header: "captivate",
            rows: vec![
                both("connect, to `socket_connected` (p50, µs)", "connect", "connect_p50_us", Some(AtMost(1.2))),
                both("CPU per connect (µs)", "connect", "connect_cpu_us", None),
                both("round trip p50 (µs)", "roundtrip", "rt_p50_us", Some(AtMost(1.10))),
                both("round trip p99 (µs)", "roundtrip", "rt_p99_us", None),
                both("CPU per round trip (µs)", "roundtrip", "rt_cpu_us", Some(AtMost(1.3))),
                both(
                    "pipelined, 20,000 on one conversation (messages/s)",
                    "pipelined",
                    "msgs_per_s",
                    Some(AtLeast(0.9)),
                ),
                both("CPU per pipelined message (µs)", "pipelined", "cpu_per_msg_us", None),
                both(
                    "memory per idle connected client (KiB, 1,000 clients)",
                    "connect",
                    "rss_per_client_kib",
                    Some(OursAtMost(32.0)),
                ),
                both("10,000 conversations on one client: time per start (µs)", "conversations", "start_us", None),
                both("10,000 conversations: CPU per start (µs)", "conversations", "start_cpu_us", None),
                both(
                    "10,000 conversations: memory per conversation (KiB)",
                    "conversations",
                    "rss_per_conv_kib",
                    Some(OursAtMost(6.0)),
                ),
                both("CPU per message, 1,000 in flight, 40 batches (µs)", "inflight-1k", "cpu_per_msg_us", None),
                both("CPU per message, 40,000 in flight (µs)", "inflight-40k", "cpu_per_msg_us", None),
            ],
        },
        Table {
            title: "CPU per message as more messages are in flight",
            intro: "Each client's CPU per message with 40,000 messages submitted before any is awaited, against \
                    the same with 1,000 (40 batches).",
            base_header: "at 1,000",
            ours_header: "at 40,000",
            rows: vec![
                row(
                    "captivate (µs)",
                    r("rust-lib", "inflight-1k", "cpu_per_msg_us"),
                    r("rust-lib", "inflight-40k", "cpu_per_msg_us"),
                    Some(AtMost(1.2)),
                ),
                row(
                    "bare tokio-tungstenite (µs)",
                    r("rust-bare", "inflight-1k", "cpu_per_msg_us"),
                    r("rust-bare", "inflight-40k", "cpu_per_msg_us"),
                    None,
                ),
            ],
        },
        Table {
            title: "The hubs",
            intro: "A bare client's round trip of a user message to the bot's echo against a WebSocket ping/pong on \
                    the same socket, interleaved: for the minimal hub (how far its answers are from the floor of \
                    this machine, and that floor itself: the ping/pong column), and for the local hub \
                    (`captivate-sim --port 0`, release build).",
            base_header: "ping/pong",
            ours_header: "user message to echo",
            rows: vec![
                row(
                    "minimal hub: round trip p50 (µs)",
                    r("rust-bare", "hubcheck", "ping_p50_us"),
                    r("rust-bare", "hubcheck", "msg_p50_us"),
                    None,
                ),
                row(
                    "minimal hub: round trip p99 (µs)",
                    r("rust-bare", "hubcheck", "ping_p99_us"),
                    r("rust-bare", "hubcheck", "msg_p99_us"),
                    None,
                ),
                row(
                    "local hub: round trip p50 (µs)",
                    r("sim", "hubcheck", "ping_p50_us"),
                    r("sim", "hubcheck", "msg_p50_us"),
                    Some(AtMost(1.5)),
                ),
                row(
                    "local hub: round trip p99 (µs)",
                    r("sim", "hubcheck", "ping_p99_us"),
                    r("sim", "hubcheck", "msg_p99_us"),
                    None,
                ),
            ],
        },
        Table {
            title: "C front end, callbacks on the library's own thread, against the Rust core",
            intro: "A C program (`bench/c/bench.c`, `-O2`) on the release libcaptivate, asynchronous calls with \
                    callbacks run on the library's own thread (`CAPTIVATE_CALLBACKS_LIBRARY_THREAD`), the main \
                    thread waiting on a condition variable, against the Rust core's figures of this run.",
            base_header: "Rust core",
            ours_header: "C",
            rows: front(
                "rust-lib",
                "c-lib-library",
                false,
                [Some(AtMost(1.05)), None, Some(AtMost(1.05)), Some(AtLeast(0.95))],
            ),
        },
        Table {
            title: "C front end, callbacks polled from the application's loop, against the Rust core",
            intro: "The same program with `CAPTIVATE_CALLBACKS_POLLED`: its main thread waits in poll(2) on \
                    `captivate_client_fd` and runs the callbacks with `captivate_client_dispatch`, no thread of \
                    the library's own for callbacks.",
            base_header: "Rust core",
            ours_header: "C",
            rows: front(
                "rust-lib",
                "c-lib-polled",
                false,
                [Some(AtMost(1.05)), None, Some(AtMost(1.05)), Some(AtLeast(0.95))],
            ),
        },
        Table {
            title: "C front end, callbacks on the client's dispatch thread (the default), against the Rust core",
            intro: "The same program with the default mode: callbacks on a thread of the client's own, reported \
                    beside the other two (one more thread hop per event and per completion).",
            base_header: "Rust core",
            ours_header: "C",
            rows: front("rust-lib", "c-lib", false, [None, None, None, None]),
        },
        Table {
            title: "Node front end against raw `ws`",
            intro: "`captivate-chat` (bindings/node, release addon) against a script on the `ws` package doing the \
                    same exchange (`bench/node/bench.mjs`).",
            base_header: "ws",
            ours_header: "captivate-chat",
            rows: front("node-raw", "node-lib", true, [Some(AtMost(1.0)), Some(AtMost(0.3)), None, Some(AtLeast(1.0))]),
        },
        Table {
            title: "Python front end against raw `websockets`",
            intro: "`import captivate` (bindings/python, release build) against a script on `websockets` (asyncio) \
                    doing the same exchange (`bench/python/bench.py`).",
            base_header: "websockets",
            ours_header: "captivate",
            rows: front("py-raw", "py-lib", true, [Some(AtMost(0.8)), None, None, Some(AtLeast(1.5))]),
        },
        Table {
            title: "Decoding a hub frame",
            intro: "The library's typed decode against parsing the same text into a `serde_json::Value` (five \
                    fixture frames, 10,000 decodes).",
            base_header: "serde_json::Value",
            ours_header: "typed event",
            rows: vec![row(
                "µs per frame",
                r("rust-lib", "decode", "value_us"),
                r("rust-lib", "decode", "typed_us"),
                None,
            )],
        },
    ]
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// Why a figure has no value.
enum Missing {
    /// Its job was left out of this run (`--only`).
    NotRun,
    /// Its job failed, or printed no such figure.
    Failed,
}

/// The median of a figure over the rounds, or why there is none.
fn value(results: &Results, at: Ref) -> Result<f64, Missing> {
    let outcome = results.get(&(at.program.to_owned(), at.job.to_owned())).ok_or(Missing::NotRun)?;
    if outcome.error.is_some() {
        return Err(Missing::Failed);
    }
    median(outcome.runs.iter().filter_map(|r| r.get(at.key).copied()).collect()).ok_or(Missing::Failed)
}

fn hub_load(results: &Results, at: Ref) -> Option<f64> {
    let outcome = results.get(&(at.program.to_owned(), at.job.to_owned()))?;
    median(outcome.runs.iter().filter_map(|r| r.get("hub_load").copied()).collect())
}

fn number(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        let s = format!("{:.0}", v);
        let (sign, digits) = s.split_at(if s.starts_with('-') { 1 } else { 0 });
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// One target's outcome, for the summary.
struct Verdict {
    table: &'static str,
    label: &'static str,
    said: String,
    met: Option<bool>,
}

/// Renders the report; also returns the problems that make the run fail (failed runs,
/// missing front ends, invalid figures).
pub fn render(results: &Results, meta: &Meta, elapsed: Duration) -> (String, Vec<String>) {
    let mut problems: Vec<String> = Vec::new();
    for ((program, job), outcome) in results {
        if let Some(e) = &outcome.error {
            problems.push(format!("{program}/{job}: {e}"));
        }
        match median(outcome.runs.iter().filter_map(|r| r.get("hub_load").copied()).collect()) {
            Some(load) if load >= SATURATED => problems.push(format!(
                "{program}/{job}: the hub was {:.0}% busy, so its figures measure the hub: invalid",
                load * 100.0
            )),
            // The hub works for every measured stretch: no CPU time means it was not read.
            Some(load) if load <= 0.0 => {
                problems.push(format!("{program}/{job}: the hub's CPU time could not be read: its load is unknown"))
            }
            _ => {}
        }
    }
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmark results\n");
    let _ = writeln!(
        md,
        "Written by `make bench`. Every figure is the median of {} {} of one run, and every ratio sets \
         figures of that same run side by side.\n",
        meta.rounds,
        if meta.rounds == 1 { "round" } else { "rounds" }
    );
    let _ = writeln!(md, "## Machine\n");
    let _ = writeln!(md, "- {} cores: {}; Linux {}", meta.cores, meta.cpu, meta.kernel);
    match &meta.pinning {
        Some((hub, client)) => {
            let _ = writeln!(
                md,
                "- the hubs run on core {hub}, every client on core {client} (`taskset -c`), so a client's threads \
                 share one core and the hub never competes with it"
            );
        }
        None => {
            let _ = writeln!(
                md,
                "- **one core (or no `taskset`)**: the hubs and the clients share the CPU, so hub work is \
                 interleaved with client work and the figures are less clean"
            );
        }
    }
    let versions: Vec<String> = meta.versions.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let _ = writeln!(md, "- {}", versions.join("; "));
    let _ = writeln!(
        md,
        "- load average (1, 5, 15 min) when the run began: {}; when it ended: {} (the machine is shared: \
         other work on the clients' core shows in wall times and p99s first)",
        meta.load_before,
        load_average()
    );
    let _ = writeln!(md, "- the measuring part of the run took {:.0} s\n", elapsed.as_secs_f64());
    md.push_str(METHOD);

    let mut verdicts = Vec::new();
    for table in tables() {
        let _ = writeln!(md, "## {}\n\n{}\n", table.title, table.intro);
        let _ = writeln!(
            md,
            "| figure | {} | {} | ratio | target | verdict | hub load |\n| --- | ---: | ---: | ---: | --- | --- | ---: |",
            table.base_header, table.ours_header
        );
        for row in &table.rows {
            let base = value(results, row.base);
            let ours = value(results, row.ours);
            let load =
                [hub_load(results, row.base), hub_load(results, row.ours)].into_iter().flatten().reduce(f64::max);
            let cell = |v: &Result<f64, Missing>| match v {
                Ok(v) => number(*v),
                Err(Missing::NotRun) => "not run".to_owned(),
                Err(Missing::Failed) => "failed".to_owned(),
            };
            let ratio = match (&base, &ours) {
                (Ok(b), Ok(o)) if *b > 0.0 => Some(o / b),
                _ => None,
            };
            let target = row.target.map(|t| match t {
                Target::AtMost(x) => format!("≤ {x:.2}x"),
                Target::AtLeast(x) => format!("≥ {x:.2}x"),
                Target::OursAtMost(x) => format!("≤ {} (ours)", number(x)),
            });
            let failed = matches!(base, Err(Missing::Failed)) || matches!(ours, Err(Missing::Failed));
            let not_run = !failed && (base.is_err() || ours.is_err());
            let saturated = load.is_some_and(|l| l >= SATURATED);
            let met = match (row.target, ratio, &ours) {
                (Some(Target::AtMost(x)), Some(q), _) => Some(q <= x),
                (Some(Target::AtLeast(x)), Some(q), _) => Some(q >= x),
                (Some(Target::OursAtMost(x)), _, Ok(v)) => Some(*v <= x),
                _ => None,
            };
            let verdict = if failed {
                "**failed**".to_owned()
            } else if saturated {
                "**invalid** (hub saturated)".to_owned()
            } else if not_run {
                "not run".to_owned()
            } else {
                match met {
                    Some(true) => "met".to_owned(),
                    Some(false) => "not met".to_owned(),
                    None => String::new(),
                }
            };
            if let Some(t) = &target {
                verdicts.push(Verdict {
                    table: table.title,
                    label: row.label,
                    said: match row.target {
                        Some(Target::OursAtMost(_)) => format!("{} (target {t})", cell(&ours)),
                        _ => format!("{} (target {t})", ratio.map_or_else(|| cell(&ours), |q| format!("{q:.2}x"))),
                    },
                    met: if failed || saturated || not_run { None } else { met },
                });
            }
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.label,
                cell(&base),
                cell(&ours),
                ratio.map_or(String::new(), |q| format!("{q:.2}x")),
                target.unwrap_or_default(),
                verdict,
                load.map_or(String::new(), |l| format!("{:.0}%", l * 100.0)),
            );
        }
        md.push('\n');
    }

    let met = verdicts.iter().filter(|v| v.met == Some(true)).count();
    let _ = writeln!(md, "## Targets\n\n{met} of {} targets met.\n", verdicts.len());
    for v in &verdicts {
        let mark = match v.met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "**no valid figure**",
        };
        let _ = writeln!(md, "- {mark}: {} — {}: {}", v.table, v.label, v.said);
    }
    md.push('\n');
    problems.sort();
    problems.dedup();
    if !problems.is_empty() {
        let _ = writeln!(md, "## Problems\n\nThese make `make bench` fail:\n");
        for p in &problems {
            let _ = writeln!(md, "- {p}");
        }
        md.push('\n');
    }
    (md, problems)
}

const METHOD: &str = "## Method

- **Hub.** The comparisons run against a minimal hub (`bench hub`, bench/src/hub.rs): a one-thread \
tokio-tungstenite server that sends `socket_connected`, answers `conversation_start` and echoes each \
`user_message` as a `bot_message` (`You said: …`), reading every frame that is ready and flushing once per \
batch. It runs in its own process on its own core. Each client program reads the hub's CPU time \
(`/proc/<pid>/schedstat`) around its measured stretch; the *hub load* column is that time over the wall \
time (the busier of the two sides), and a figure whose hub was at least 85% busy is marked invalid and \
fails the run. The table \"The hubs\" gives the floor of this machine (a WebSocket ping/pong with the \
minimal hub) and checks the local hub (`captivate-sim`, release build) on its own.
- **Clients.** Each figure comes from a fresh process per round, pinned to the client core (a client's \
threads, the library's included, share that core). Rust: the library and a hand-written \
tokio-tungstenite client (`bench client rust-lib|rust-bare`), both on a multi-thread tokio runtime \
(one worker under the pinning) with the scenario in a spawned task, as in a server application; the \
hand-written client sets TCP_NODELAY (as the library does), types its frames with serde, makes a UUID per \
message, keeps a read task per idle connection and pipelines with buffered writes and one flush per \
batch. C: `bench/c/bench.c` (`-O2`) on the release libcaptivate, asynchronous sends with completion \
callbacks, echoes counted in the event callback. Python: `captivate` from bindings/python (release) on \
asyncio, against `websockets` (its asyncio client, default options). Node: `captivate-chat` from \
bindings/node (release addon), `onMessage` for echoes, against `ws` (default options). Conversations \
start user-first.
- **Figures.** Wall time on a monotonic clock. CPU time of the client process over the measured \
stretch, all threads (CLOCK_PROCESS_CPUTIME_ID; `process.cpuUsage()` in Node); the hub's is not \
counted. Memory: resident set (VmRSS) after minus before, over the count, one warm-up client (or \
conversation) made before the first reading (after a garbage collection in Python and Node). Round \
trips: 200 warm-up, then 2,000 timed one by one (send a message, wait for its echo and for the send's \
completion where the API has one), p50 and p99 by nearest rank; a p99 also catches the moments the \
client's core was lent to other work on this shared machine (compare the ping/pong floor). Pipelined: \
every message of a batch sent before any is awaited, then every echo (checked in order) and every \
completion awaited; 20,000 in one batch, and for the in-flight scaling 40 batches of 1,000 against one \
of 40,000. Connect: 1,000 clients made one after another, each kept open and idle. Conversations: \
10,000 started one after another on one client, all kept.
- **Ratios** are medians over medians (the library's figure over its baseline's; each table names its \
baseline). Targets are reported, not asserted.

";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{Outcome, Run};

    fn meta() -> Meta {
        Meta {
            cores: 2,
            cpu: "cpu".into(),
            kernel: "k".into(),
            pinning: Some(("1".into(), "0".into())),
            rounds: 3,
            load_before: "0, 0, 0".into(),
            versions: Vec::new(),
        }
    }

    fn runs(figures: &[(&str, f64)], rounds: usize) -> Outcome {
        let run: Run = figures.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        Outcome { runs: vec![run; rounds], error: None }
    }

    fn round_trips(bare: f64, lib: f64, hub_load: f64) -> Results {
        let mut r = Results::new();
        r.insert(("rust-bare".into(), "roundtrip".into()), runs(&[("rt_p50_us", bare), ("hub_load", hub_load)], 3));
        r.insert(("rust-lib".into(), "roundtrip".into()), runs(&[("rt_p50_us", lib), ("hub_load", 0.1)], 3));
        r
    }

    fn line<'a>(md: &'a str, start: &str) -> &'a str {
        md.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no line {start:?} in\n{md}"))
    }

    #[test]
    fn a_ratio_within_its_target_is_met_and_one_beyond_is_not() {
        let (md, problems) = render(&round_trips(100.0, 105.0, 0.2), &meta(), Duration::ZERO);
        assert!(line(&md, "| round trip p50").contains("| 1.05x | ≤ 1.10x | met |"), "{md}");
        assert!(problems.is_empty(), "{problems:?}");
        let (md, _) = render(&round_trips(100.0, 120.0, 0.2), &meta(), Duration::ZERO);
        assert!(line(&md, "| round trip p50").contains("| 1.20x | ≤ 1.10x | not met |"), "{md}");
    }

    #[test]
    fn a_saturated_hub_makes_the_figure_invalid_and_the_run_fail() {
        let (md, problems) = render(&round_trips(100.0, 105.0, 0.9), &meta(), Duration::ZERO);
        assert!(line(&md, "| round trip p50").contains("**invalid**"), "{md}");
        assert!(problems.iter().any(|p| p.starts_with("rust-bare/roundtrip") && p.contains("90%")), "{problems:?}");
    }

    #[test]
    fn a_failed_run_is_reported_and_makes_the_run_fail() {
        let mut r = round_trips(100.0, 105.0, 0.2);
        r.insert(
            ("node-lib".into(), "roundtrip".into()),
            Outcome { runs: Vec::new(), error: Some("exit status: 1: boom".into()) },
        );
        let (md, problems) = render(&r, &meta(), Duration::ZERO);
        assert!(problems.iter().any(|p| p.starts_with("node-lib/roundtrip") && p.contains("boom")), "{problems:?}");
        let node = md.split("## Node front end").nth(1).expect("a Node table");
        let row = line(node, "| round trip p50");
        assert!(row.contains("| failed |") && row.contains("**failed**"), "{row}");
        assert!(md.contains("## Problems"));
    }

    #[test]
    fn figures_are_medians_over_the_rounds() {
        let mut r = Results::new();
        let outcome = Outcome {
            runs: [120.0, 100.0, 9000.0].iter().map(|v| [("rt_p50_us".to_owned(), *v)].into_iter().collect()).collect(),
            error: None,
        };
        r.insert(("rust-bare".into(), "roundtrip".into()), outcome);
        assert_eq!(value(&r, Ref { program: "rust-bare", job: "roundtrip", key: "rt_p50_us" }).ok(), Some(120.0));
    }
}
