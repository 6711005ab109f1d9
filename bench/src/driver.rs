//! The driver (`bench run`): starts the minimal hub and the local hub pinned to one core, runs
//! every client program pinned to the other, several rounds in alternating order, keeps each
//! run's figures, and writes the report.
//!
//! Options: `--out FILE` (the report; default bench/RESULTS.md), `--logs DIR` (each run's output;
//! default build/bench/logs), `--rounds N` (default 5, or BENCH_ROUNDS), `--only TEXT` (only the
//! runs whose `program/job` contains TEXT), `--c PROGRAM`, `--python INTERPRETER`,
//! `--python-script FILE`, `--node INTERPRETER`, `--node-script FILE`, `--sim PROGRAM`,
//! `--broken FRONT_END:REASON` (a front end that could not be built: c, python or node),
//! `--hub-spin-us N` (the minimal hub burns N µs per frame: checks that a saturated hub is
//! caught).
//! A front end not given is reported as not built. Exits non-zero when a run failed, a front
//! end is missing, or a figure is invalid (the hub near saturation).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::probe::hub_cpu_ns;
use crate::report::{self, Meta};
use crate::scenario::Scenario;
use crate::wire::API_KEY;

/// The figures of one run, by name.
pub type Run = BTreeMap<String, f64>;

/// What became of one job over the rounds.
#[derive(Default)]
pub struct Outcome {
    /// The figures of each successful run.
    pub runs: Vec<Run>,
    /// The first failure, if any run failed.
    pub error: Option<String>,
}

/// Every job's outcome, by (program, job).
pub type Results = BTreeMap<(String, String), Outcome>;

/// What a job runs.
#[derive(Clone, Copy)]
enum Work {
    Scenario(Scenario),
    Decode,
    /// A message's round trip against a ping/pong on one socket: the minimal hub's, or the
    /// local hub's (`sim`).
    HubCheck {
        sim: bool,
    },
}

#[derive(Clone, Copy)]
struct Job {
    program: &'static str,
    name: &'static str,
    work: Work,
}

/// The jobs of one round, in order: the Rust core and its hand-written twin on every
/// scenario, the front ends on connect, round trip and pipelined, then the hubs' checks and
/// the decode comparison.
fn jobs() -> Vec<Job> {
    use Scenario::*;
    let connect = Connect { n: 1000 };
    let round_trip = RoundTrip { n: 2000, warmup: 200 };
    let pipelined = Pipelined { n: 20_000, batches: 1 };
    let mut jobs = Vec::new();
    let mut add = |programs: &[&'static str], name: &'static str, s: Scenario| {
        for &program in programs {
            jobs.push(Job { program, name, work: Work::Scenario(s) });
        }
    };
    let rust = ["rust-lib", "rust-bare"];
    let everyone =
        ["rust-lib", "rust-bare", "c-lib", "c-lib-library", "c-lib-polled", "py-lib", "py-raw", "node-lib", "node-raw"];
    add(&everyone, "connect", connect);
    add(&everyone, "roundtrip", round_trip);
    add(&everyone, "pipelined", pipelined);
    add(&rust, "inflight-1k", Pipelined { n: 1000, batches: 40 });
    add(&rust, "inflight-40k", Pipelined { n: 40_000, batches: 1 });
    add(&rust, "conversations", Conversations { n: 10_000 });
    jobs.push(Job { program: "rust-bare", name: "hubcheck", work: Work::HubCheck { sim: false } });
    jobs.push(Job { program: "sim", name: "hubcheck", work: Work::HubCheck { sim: true } });
    jobs.push(Job { program: "rust-lib", name: "decode", work: Work::Decode });
    jobs
}

struct Options {
    out: PathBuf,
    logs: PathBuf,
    rounds: usize,
    only: Option<String>,
    c: Option<String>,
    python: Option<String>,
    python_script: String,
    node: String,
    node_script: Option<String>,
    sim: Option<String>,
    broken: Vec<(String, String)>,
    hub_spin_us: u64,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        out: "bench/RESULTS.md".into(),
        logs: "build/bench/logs".into(),
        rounds: std::env::var("BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(5),
        only: None,
        c: None,
        python: None,
        python_script: "bench/python/bench.py".into(),
        node: "node".into(),
        node_script: None,
        sim: None,
        broken: Vec::new(),
        hub_spin_us: 0,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => o.out = value()?.into(),
            "--logs" => o.logs = value()?.into(),
            "--rounds" => o.rounds = value()?.parse().map_err(|_| "--rounds: not a number")?,
            "--only" => o.only = Some(value()?),
            "--c" => o.c = Some(value()?),
            "--python" => o.python = Some(value()?),
            "--python-script" => o.python_script = value()?,
            "--node" => o.node = value()?,
            "--node-script" => o.node_script = Some(value()?),
            "--sim" => o.sim = Some(value()?),
            "--hub-spin-us" => o.hub_spin_us = value()?.parse().map_err(|_| "--hub-spin-us: not a number")?,
            "--broken" => {
                let v = value()?;
                let (which, why) = v.split_once(':').ok_or("--broken FRONT_END:REASON")?;
                o.broken.push((which.to_owned(), why.trim().to_owned()));
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(o)
}

/// How each program is started (before its scenario arguments), or why it cannot be.
fn programs(o: &Options, me: &str) -> BTreeMap<&'static str, Result<Vec<String>, String>> {
    let broken = |front: &str| o.broken.iter().find(|(w, _)| w == front).map(|(_, why)| why.clone());
    let given = |front: &str, argv: Option<Vec<String>>| -> Result<Vec<String>, String> {
        if let Some(why) = broken(front) {
            return Err(why);
        }
        argv.ok_or_else(|| format!("the {front} front end was not given to the driver (see `make bench`)"))
    };
    let py = |which: &str| o.python.clone().map(|p| vec![p, o.python_script.clone(), which.to_owned()]);
    let node =
        |which: &str| o.node_script.clone().map(|s| vec![o.node.clone(), "--expose-gc".into(), s, which.to_owned()]);
    let mut m = BTreeMap::new();
    m.insert("rust-lib", Ok(vec![me.to_owned(), "client".into(), "rust-lib".into()]));
    m.insert("rust-bare", Ok(vec![me.to_owned(), "client".into(), "rust-bare".into()]));
    for mode in ["c-lib", "c-lib-library", "c-lib-polled"] {
        m.insert(mode, given("c", o.c.clone().map(|c| vec![c, mode.into()])));
    }
    m.insert("py-lib", given("python", py("py-lib")));
    m.insert("py-raw", given("python", py("py-raw")));
    m.insert("node-lib", given("node", node("node-lib")));
    m.insert("node-raw", given("node", node("node-raw")));
    m.insert("sim", o.sim.clone().map(|_| vec![me.to_owned()]).ok_or_else(|| "no local hub given (--sim)".into()));
    m
}

/// A server process pinned to the hub's core, and its URL (first line of its output).
struct Server {
    child: Child,
    _stdin: ChildStdin,
    url: String,
}

impl Server {
    fn start(argv: &[String], pin: Option<&str>, log: &Path) -> Result<Server, String> {
        let mut cmd = command(argv, pin);
        let err = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", argv[0]))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        out.read_line(&mut line).map_err(|e| format!("{}: {e}", argv[0]))?;
        // Keep draining its output so that it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let url = line.trim().to_owned();
        if !url.starts_with("ws://") {
            let _ = child.kill();
            return Err(format!("{} did not print its URL (see {})", argv[0], log.display()));
        }
        Ok(Server { child, _stdin: stdin, url })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(argv: &[String], pin: Option<&str>) -> Command {
    match pin {
        Some(core) => {
            let mut c = Command::new("taskset");
            c.args(["-c", core]).args(argv);
            c
        }
        None => {
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
    }
}

/// Runs a client program to completion (at most `timeout`) and reads its figures.
fn run_client(argv: &[String], pin: Option<&str>, log: &Path, timeout: Duration) -> Result<Run, String> {
    let out_path = log.with_extension("out");
    let err_path = log.with_extension("err");
    let out = File::create(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
    let err = File::create(&err_path).map_err(|e| format!("{}: {e}", err_path.display()))?;
    let mut child = command(argv, pin)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", argv[0]))?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {} s (see {})", timeout.as_secs(), err_path.display()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    if !status.success() {
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("{status}: {}", tail.join(" / ")));
    }
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let value: Value = serde_json::from_str(last).map_err(|_| format!("no figures in its output: {last:?}"))?;
    let object = value.as_object().ok_or("its figures are not a JSON object")?;
    let run: Run = object.iter().filter_map(|(k, v)| v.as_f64().map(|f| (k.clone(), f))).collect();
    if run.is_empty() || run.values().any(|v| !v.is_finite()) {
        return Err(format!("bad figures: {last}"));
    }
    Ok(run)
}

/// Waits (at most 10 s) until the hub has been idle for 100 ms, so that one run's leftovers
/// (a thousand connections closing) do not land in the next.
fn wait_idle(hub_pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let before = hub_cpu_ns(hub_pid);
        std::thread::sleep(Duration::from_millis(100));
        if hub_cpu_ns(hub_pid).saturating_sub(before) < 2_000_000 || Instant::now() > deadline {
            return;
        }
    }
}

/// Where the hub and the clients run: cores 1 and 0 when there are two and `taskset` works.
fn pinning() -> (Option<&'static str>, Option<&'static str>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let works = Command::new("taskset")
        .args(["-c", "0", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if cores >= 2 && works { (Some("1"), Some("0")) } else { (None, None) }
}

/// `bench run`.
pub fn main(args: &[String]) -> i32 {
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench run: {e}");
            2
        }
    }
}

fn run(args: &[String]) -> Result<i32, String> {
    let started = Instant::now();
    let load_before = report::load_average();
    let o = parse_options(args)?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?.to_string_lossy().into_owned();
    std::fs::create_dir_all(&o.logs).map_err(|e| format!("{}: {e}", o.logs.display()))?;
    let (hub_core, client_core) = pinning();
    let programs = programs(&o, &me);

    let hub_argv = [me.clone(), "hub".into(), "--spin-us".into(), o.hub_spin_us.to_string()];
    let hub = Server::start(&hub_argv, hub_core, &o.logs.join("hub.err"))?;
    let sim = match &o.sim {
        Some(path) => Server::start(
            &[path.clone(), "--port".into(), "0".into(), "--api-key".into(), API_KEY.into()],
            hub_core,
            &o.logs.join("sim.err"),
        )
        .map_err(|e| format!("the local hub: {e}")),
        None => Err("no local hub given (--sim)".into()),
    };
    eprintln!("bench: minimal hub at {} (pid {}), clients on core {:?}", hub.url, hub.pid(), client_core);

    let jobs: Vec<Job> = jobs()
        .into_iter()
        .filter(|j| o.only.as_ref().is_none_or(|only| format!("{}/{}", j.program, j.name).contains(only.as_str())))
        .collect();
    let mut results = Results::new();
    for round in 0..o.rounds {
        // Alternate the order of the programs from round to round, so that a drift of the
        // machine's speed does not favour one side.
        let mut order = jobs.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        for job in order {
            let outcome = results.entry((job.program.to_owned(), job.name.to_owned())).or_default();
            if outcome.error.is_some() {
                continue;
            }
            let argv = match (&programs[job.program], job.work) {
                (Err(why), _) => {
                    outcome.error = Some(why.clone());
                    continue;
                }
                (Ok(base), Work::Scenario(s)) => {
                    let (n, m) = s.counts();
                    let mut argv = base.clone();
                    argv.extend([
                        s.name().into(),
                        hub.url.clone(),
                        hub.pid().to_string(),
                        n.to_string(),
                        m.to_string(),
                    ]);
                    argv
                }
                (Ok(base), Work::Decode) => [base[0].clone(), "decode".into(), "10000".into()].to_vec(),
                (Ok(base), Work::HubCheck { sim: false }) => {
                    [base[0].clone(), "hubcheck".into(), hub.url.clone(), "2000".into(), "200".into()].to_vec()
                }
                (Ok(base), Work::HubCheck { sim: true }) => match &sim {
                    Ok(s) => [base[0].clone(), "hubcheck".into(), s.url.clone(), "2000".into(), "200".into()].to_vec(),
                    Err(why) => {
                        outcome.error = Some(why.clone());
                        continue;
                    }
                },
            };
            wait_idle(hub.pid());
            let log = o.logs.join(format!("{}-{}-{round}", job.program, job.name));
            let t = Instant::now();
            let result = run_client(&argv, client_core, &log, Duration::from_secs(180));
            eprintln!(
                "bench: round {}/{} {}/{}: {} ({:.1} s)",
                round + 1,
                o.rounds,
                job.program,
                job.name,
                match &result {
                    Ok(r) => serde_json::to_string(r).unwrap_or_default(),
                    Err(e) => format!("FAILED: {e}"),
                },
                t.elapsed().as_secs_f64()
            );
            match result {
                Ok(r) => outcome.runs.push(r),
                Err(e) => outcome.error = Some(e),
            }
        }
    }
    drop(sim);
    drop(hub);

    let meta = Meta::gather(
        load_before,
        &o.node,
        o.python.as_deref(),
        o.node_script.as_deref(),
        hub_core,
        client_core,
        o.rounds,
    );
    let (markdown, problems) = report::render(&results, &meta, started.elapsed());
    std::fs::write(&o.out, &markdown).map_err(|e| format!("{}: {e}", o.out.display()))?;
    print!("{markdown}");
    if problems.is_empty() {
        Ok(0)
    } else {
        eprintln!("bench: {} problem(s):", problems.len());
        for p in &problems {
            eprintln!("  - {p}");
        }
        Ok(1)
    }
}
