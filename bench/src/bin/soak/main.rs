//! `soak`: a thousand reconnects of one client with ten conversations open, watching that the
//! conversations keep answering and that the process returns to where it started.
//!
//! ```text
//! soak [--cycles N] [--warmup N] [--conversations N] [--check-every N] [--print-every N]
//!      [--settle-ms N] [--catch-up on|off] [--tls on|off] [--sim PATH]
//! ```
//!
//! The local hub (`captivate-sim`, found next to this program unless `--sim` names it) and the
//! fault-injecting proxy in front of it run as processes of their own, so that what is measured
//! here is the client (`--tls on`: over TLS, the hub's self-signed certificate trusted). Each
//! cycle breaks the connection, alternately by the hub dropping it (no close frame; over TLS,
//! the proxy closing it) and by the proxy resetting it (TCP RST), and waits for the client to be
//! connected again. Every `--check-every` cycles each conversation sends a message and must
//! hear its echo on its own stream, and no other's. At the start (after `--warmup` cycles),
//! every `--print-every` cycles and at the end it prints the resident set size, the heap in use
//! and the most it has held at once (counted by this program's allocator), tokio tasks alive,
//! threads and open file descriptors; the start and end readings are taken after `--settle-ms`
//! of quiet, so that closing handshakes still lingering are over.
//!
//! Exits 1 when a conversation stops answering or hears another's echo, or when the heap, the
//! tasks or the file descriptors did not come back near their starting point; prints the RSS
//! growth against its target (within 5 %), which is reported, not enforced. `make soak` runs it.
//!
//! Each reconnect makes the client fetch the whole transcript of every conversation to catch
//! up (the protocol has no partial transcript; the client decodes it only back to the last
//! message it delivered), and each check adds two entries to every transcript: the frames a
//! reconnect brings grow with the conversations' history. `--catch-up off` leaves that out,
//! and `--check-every` above `--cycles` holds the history still, to tell their share of a
//! drift apart.

mod hubs;
mod listeners;
mod readings;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use captivate::{Client, Config, Conversation, StartMode, StartOptions, TlsRoots};
use hubs::Hubs;
use listeners::{Connections, Echoes, probe_text};
use readings::Reading;

#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// How long a reconnect, a send or an echo may take before the soak gives up.
const LIMIT: Duration = Duration::from_secs(10);

/// The heap may end this much above where it started (allocator-internal rounding, buffers
/// sized by the last messages seen), or 5 % of it, whichever is more.
const HEAP_SLACK: usize = 64 * 1024;

/// The RSS target: the end within this many percent of the start.
const RSS_TARGET_PERCENT: f64 = 5.0;

struct Options {
    cycles: u64,
    warmup: u64,
    conversations: usize,
    check_every: u64,
    print_every: u64,
    settle: Duration,
    catch_up: bool,
    tls: bool,
    sim: PathBuf,
}

const USAGE: &str = "usage: soak [--cycles N] [--warmup N] [--conversations N] [--check-every N] [--print-every N] \
                     [--settle-ms N] [--catch-up on|off] [--tls on|off] [--sim PATH]";

fn options() -> Result<Options, String> {
    let beside = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("captivate-sim");
    let mut o = Options {
        cycles: 1000,
        warmup: 100,
        conversations: 10,
        check_every: 50,
        print_every: 100,
        settle: Duration::from_millis(2500),
        catch_up: true,
        tls: false,
        sim: beside,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().ok_or_else(|| format!("{a} needs a value\n{USAGE}"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{a}: not a number: {value}"));
        match a.as_str() {
            "--cycles" => o.cycles = number()?,
            "--warmup" => o.warmup = number()?,
            "--conversations" => o.conversations = number()? as usize,
            "--check-every" => o.check_every = number()?.max(1),
            "--print-every" => o.print_every = number()?.max(1),
            "--settle-ms" => o.settle = Duration::from_millis(number()?),
            "--catch-up" => o.catch_up = value != "off",
            "--tls" => o.tls = value == "on",
            "--sim" => o.sim = PathBuf::from(&value),
            _ => return Err(format!("unknown argument {a}\n{USAGE}")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let result = options().and_then(|o| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(soak(o))
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::from(1)
        }
    }
}

/// One message per conversation, each confirmed and echoed to its own stream only.
async fn check(convs: &[Conversation], echoes: &[Echoes], round: u64) -> Result<(), String> {
    let sends: Vec<_> = convs.iter().enumerate().map(|(i, c)| c.send_message(probe_text(round, i))).collect();
    for (i, send) in sends.into_iter().enumerate() {
        match tokio::time::timeout(LIMIT, send).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("round {round}: conversation {i}'s message failed: {e}")),
            Err(_) => return Err(format!("round {round}: conversation {i}'s message not confirmed within {LIMIT:?}")),
        }
    }
    for (i, e) in echoes.iter().enumerate() {
        e.heard(&probe_text(round, i), LIMIT).await.map_err(|m| format!("round {round}: {m}"))?;
        if e.foreign() > 0 {
            return Err(format!("conversation {i} heard {} echoes of other conversations", e.foreign()));
        }
    }
    Ok(())
}

/// A reading of the process now.
fn reading() -> Reading {
    Reading::take(ALLOCATOR.allocated(), ALLOCATOR.max_allocated())
}

/// A reading after `settle` of quiet.
async fn settled_reading(settle: Duration) -> Reading {
    tokio::time::sleep(settle).await;
    reading()
}

async fn soak(o: Options) -> Result<bool, String> {
    let hubs = Hubs::start(&o.sim, o.tls)?;
    let mut config = Config::new(hubs.api_key.as_str()).url(hubs.client_url());
    if let Some(pem) = &hubs.ca_pem {
        config.tls.roots = TlsRoots::None;
        config.tls.extra_ca_pem = Some(pem.clone());
    }
    let t = &mut config.timings;
    t.reconnect.initial_delay = Duration::from_millis(10);
    t.reconnect.max_delay = Duration::from_millis(100);
    t.reconnect.reset_after = Duration::from_millis(50);
    t.catch_up = o.catch_up;
    let client = Client::connect(config).await.map_err(|e| format!("connect: {e}"))?;
    let connections = Connections::start(client.events());
    let mut convs = Vec::new();
    let mut echoes = Vec::new();
    for i in 0..o.conversations {
        let options = StartOptions { mode: StartMode::UserFirst, ..StartOptions::new(format!("soak-{i}")) };
        let conv = client.start_conversation(options).await.map_err(|e| format!("start conversation {i}: {e}"))?;
        echoes.push(Echoes::start(i, conv.events()));
        convs.push(conv);
    }
    check(&convs, &echoes, 0).await?;
    println!(
        "soak: {} reconnect cycles of one client with {} conversations, after {} warm-up cycles; a check every {} \
         cycles; catch-up {}; TLS {}; in-flight counters: not exposed by the client's API",
        o.cycles,
        o.conversations,
        o.warmup,
        o.check_every,
        if o.catch_up { "on" } else { "off" },
        if o.tls { "on" } else { "off" }
    );
    let mut start = if o.warmup == 0 { Some(settled_reading(o.settle).await) } else { None };
    if let Some(r) = &start {
        println!("start        {r}");
        println!("             {}", readings::rss_by_mapping_line());
    }
    let began = std::time::Instant::now();
    let total = o.warmup + o.cycles;
    for cycle in 1..=total {
        let before = connections.count();
        match (cycle % 2 == 1, o.tls) {
            (true, false) => hubs.hub_drop().await?,
            (true, true) => hubs.proxy_restart().await?,
            (false, _) => hubs.proxy_reset().await?,
        }
        connections.more_than(before, LIMIT).await.map_err(|e| format!("cycle {cycle}: {e}"))?;
        if cycle.is_multiple_of(o.check_every) || cycle == total {
            check(&convs, &echoes, cycle).await?;
        }
        if cycle == o.warmup {
            let r = settled_reading(o.settle).await;
            println!("start        {r}   (after {cycle} warm-up cycles)");
            println!("             {}", readings::rss_by_mapping_line());
            start = Some(r);
        } else if cycle > o.warmup && (cycle - o.warmup).is_multiple_of(o.print_every) && cycle != total {
            println!("cycle {:>5}  {}", cycle - o.warmup, reading());
        }
    }
    let elapsed = began.elapsed();
    let end = settled_reading(o.settle).await;
    println!("end   {:>5}  {end}   ({:.1} s, {} reconnects)", o.cycles, elapsed.as_secs_f64(), connections.count());
    println!("             {}", readings::rss_by_mapping_line());
    let start = start.ok_or("no starting reading")?;
    Ok(verdict(&start, &end))
}

/// Prints how the end compares with the start; true when the heap, the tasks and the file
/// descriptors came back near where they started.
fn verdict(start: &Reading, end: &Reading) -> bool {
    let growth = |a: u64, b: u64| (b as f64 - a as f64) * 100.0 / a.max(1) as f64;
    let rss_growth = growth(start.rss_kib, end.rss_kib);
    let met = if rss_growth <= RSS_TARGET_PERCENT { "met" } else { "missed" };
    println!(
        "RSS growth {rss_growth:+.2} % ({} -> {} KiB; target within {RSS_TARGET_PERCENT} %: {met}); anonymous part {:+.2} % ({} -> {} KiB)",
        start.rss_kib,
        end.rss_kib,
        growth(start.anon_kib, end.anon_kib),
        start.anon_kib,
        end.anon_kib
    );
    let heap_limit = start.heap + HEAP_SLACK.max(start.heap / 20);
    let checks = [
        ("heap in use", end.heap <= heap_limit, format!("{} -> {} B (limit {heap_limit})", start.heap, end.heap)),
        ("tokio tasks", end.tasks <= start.tasks, format!("{} -> {}", start.tasks, end.tasks)),
        ("file descriptors", end.fds <= start.fds, format!("{} -> {}", start.fds, end.fds)),
    ];
    let mut ok = true;
    for (what, fine, figures) in checks {
        println!("{what}: {figures}: {}", if fine { "back near the start" } else { "GREW" });
        ok &= fine;
    }
    println!("threads: {} -> {}", start.threads, end.threads);
    ok
}
