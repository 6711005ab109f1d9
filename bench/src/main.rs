//! `bench`: measures the captivate client and its front ends against the clients their users
//! would otherwise write by hand, in the same run, and writes a Markdown report.
//!
//! ```text
//! bench run [options]          the whole benchmark (see `driver`); `make bench` runs it
//! bench hub [--spin-us N]      the minimal hub: prints its URL, serves until killed
//! bench client IMPL SCENARIO URL HUB_PID N M
//!                              one scenario with the library (rust-lib) or by hand (rust-bare)
//! bench hubcheck URL N WARMUP  a hub's message round trip against ping/pong on one socket
//! bench decode N               typed decode against serde_json::Value, µs per frame
//! ```
//!
//! Every client program (this one, the C program, the Python and Node scripts) prints its
//! figures as one JSON line; the driver runs them pinned to one core, the hub on the other,
//! takes medians over rounds and writes the report.

mod client_bare;
mod client_lib;
mod decode;
mod driver;
mod hub;
mod probe;
mod report;
mod scenario;
mod wire;

use std::future::Future;

use probe::Figures;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("run") => driver::main(&args[1..]),
        Some("hub") => {
            let spin = match args.get(1).map(String::as_str) {
                Some("--spin-us") => num(args.get(2)),
                None => Some(0),
                Some(_) => None,
            };
            match spin {
                Some(us) => match hub::main(std::time::Duration::from_micros(us as u64)) {
                    Ok(()) => 0,
                    Err(e) => fail(format!("hub: {e}")),
                },
                None => fail("usage: bench hub [--spin-us N]".into()),
            }
        }
        Some("client") => client(&args[1..]),
        Some("hubcheck") => match (args.get(1), num(args.get(2)), num(args.get(3))) {
            (Some(url), Some(n), Some(warmup)) => {
                let url = url.clone();
                report_figures(on_runtime(async move { client_bare::hub_check(&url, n, warmup).await }))
            }
            _ => fail("usage: bench hubcheck URL N WARMUP".into()),
        },
        Some("decode") => match num(args.get(1)) {
            Some(n) => report_figures(decode::run(n)),
            None => fail("usage: bench decode N".into()),
        },
        _ => fail(
            "usage: bench run [options] | bench hub [--spin-us N] | bench client IMPL SCENARIO URL HUB_PID N M | \
             bench hubcheck URL N WARMUP | bench decode N"
                .into(),
        ),
    };
    // Exit at once: a scenario may leave a thousand connections open.
    std::process::exit(code);
}

fn num(s: Option<&String>) -> Option<usize> {
    s.and_then(|s| s.parse().ok())
}

fn fail(message: String) -> i32 {
    eprintln!("bench: {message}");
    2
}

fn report_figures(result: Result<Figures, String>) -> i32 {
    match result {
        Ok(f) => {
            f.print();
            0
        }
        Err(e) => {
            eprintln!("bench: {e}");
            1
        }
    }
}

/// Runs a scenario as an application would: on a multi-thread tokio runtime with one worker
/// per core it may use (one, when pinned), inside a spawned task.
fn on_runtime<F>(body: F) -> Result<Figures, String>
where
    F: Future<Output = Result<Figures, String>> + Send + 'static,
{
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(async { tokio::spawn(body).await.map_err(|e| format!("the scenario panicked: {e}"))? })
}

fn client(args: &[String]) -> i32 {
    let Some((which, rest)) = args.split_first() else {
        return fail("usage: bench client rust-lib|rust-bare SCENARIO URL HUB_PID N M".into());
    };
    let parsed = match scenario::Args::parse(rest) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    match which.as_str() {
        "rust-lib" => report_figures(on_runtime(client_lib::run(parsed))),
        "rust-bare" => report_figures(on_runtime(client_bare::run(parsed))),
        other => fail(format!("unknown client {other}")),
    }
}
