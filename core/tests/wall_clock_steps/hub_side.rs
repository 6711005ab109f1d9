//! The test: the hub, the shim, and the client process whose wall clock is stepped.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, SystemTime};

use captivate_sim::{Faults, Sim, SimConfig};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::CHILD_URL;

/// How long the hub holds each reply: the requests are in flight across every step (which
/// take milliseconds), and it is well under the request timeout.
const REPLY_DELAY: Duration = Duration::from_secs(4);

/// The longest wait for anything the test expects.
const WAIT: Duration = Duration::from_secs(20);

/// The requests in flight before the first step.
const FIRST: usize = 8;

/// The steps, in seconds from the true time: an hour forward, back, an hour behind.
const STEPS: [(i64, &str); 3] = [(3600, "an hour forward"), (0, "back to the true time"), (-3600, "an hour behind")];

pub fn run() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    rt.block_on(steps_expire_nothing());
}

async fn steps_expire_nothing() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("wall-clock-steps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let shim = build_shim(&dir);
    let step_file = dir.join("step");
    set_step(&step_file, 0);

    let sim = Sim::start(SimConfig::default()).await.expect("the hub starts");
    let mut child = Command::new(std::env::current_exe().expect("this test's path"))
        .env(CHILD_URL, sim.base_url())
        .env("LD_PRELOAD", &shim)
        .env("CLOCK_STEP_FILE", &step_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the client process starts");
    let mut client = ClientProcess::new(&mut child);

    client.expect("connected").await;
    sim.set_faults(Faults { reply_delay: REPLY_DELAY, ..Faults::default() });
    client.order(&format!("send {FIRST}"));
    wait_received(&sim, FIRST).await;

    for (n, (offset, what)) in STEPS.into_iter().enumerate() {
        set_step(&step_file, offset);
        client.order("probe");
        let line = client.expect("wall ").await;
        let child_wall: i64 = line["wall ".len()..].parse().expect("seconds");
        let true_wall = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("after 1970").as_secs() as i64;
        assert!(
            (child_wall - true_wall - offset).abs() <= 5,
            "{what}: the client's wall clock reads {child_wall}, the true time is {true_wall}: the step did not take"
        );
        // The probe's request reached the hub: the client's driver took the time after the step.
        wait_received(&sim, FIRST + n + 1).await;
    }
    let early: Vec<&String> = client.seen.iter().filter(|l| l.starts_with("done ")).collect();
    assert!(early.is_empty(), "requests ended before the last step (the hub holds replies {REPLY_DELAY:?}): {early:?}");

    client.order("finish");
    client.expect("finished").await;
    let total = FIRST + STEPS.len();
    let ok = client.seen.iter().filter(|l| l.starts_with("done ") && l.ends_with(" ok")).count();
    let failed: Vec<&String> = client.seen.iter().filter(|l| l.starts_with("done ") && !l.ends_with(" ok")).collect();
    assert!(failed.is_empty(), "requests failed across the wall-clock steps: {failed:?}");
    assert_eq!(ok, total, "every request completed: {:?}", client.seen);
    let states: Vec<&String> = client.seen.iter().filter(|l| l.starts_with("state ")).collect();
    assert!(states.is_empty(), "the connection changed state across the steps: {states:?}");
    assert_eq!(sim.connections_accepted(), 1, "the client never reconnected");

    client.until_end().await;
    let status = child.wait().expect("the client process ends");
    assert!(status.success(), "the client process failed: {status}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Compiles the shim with `cc` into `dir`.
fn build_shim(dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wall_clock_steps/shim.c");
    let out = dir.join("libclockstep.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&out)
        .arg(&source)
        .arg("-ldl")
        .status()
        .expect("`cc` runs (a C compiler is needed for this test)");
    assert!(status.success(), "the shim compiles");
    out
}

/// Steps the client's wall clock to `offset` seconds from the true time (written whole, then
/// renamed over the file the shim reads).
fn set_step(file: &Path, offset: i64) {
    let part = file.with_extension("part");
    std::fs::write(&part, offset.to_string()).expect("the step file is written");
    std::fs::rename(&part, file).expect("the step file is replaced");
}

/// Waits until the hub has received `n` listing requests from the client.
async fn wait_received(sim: &Sim, n: usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = sim.received().iter().filter(|f| f.to_string().contains("clock-user-")).count();
        if got >= n {
            return;
        }
        assert!(Instant::now() < deadline, "the hub received {got} requests, not {n}, within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The client process's orders and reports.
struct ClientProcess {
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every report read so far, in order.
    seen: Vec<String>,
}

impl ClientProcess {
    fn new(child: &mut Child) -> ClientProcess {
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        ClientProcess { stdin, lines, seen: Vec::new() }
    }

    fn order(&mut self, order: &str) {
        writeln!(self.stdin, "{order}").expect("the client process takes orders");
    }

    /// Reads the reports until the client process closes its output.
    async fn until_end(&mut self) {
        while tokio::time::timeout(WAIT, self.lines.recv()).await.expect("the client process ends").is_some() {}
    }

    /// The next report starting with `prefix` (earlier ones are kept in `seen`).
    async fn expect(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.lines.recv()).await {
                Ok(Some(line)) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Ok(None) => panic!("the client process ended before `{prefix}`; it reported {:?}", self.seen),
                Err(_) => panic!("no `{prefix}` from the client process within {WAIT:?}; it reported {:?}", self.seen),
            }
        }
    }
}
