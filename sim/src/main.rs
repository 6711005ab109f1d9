//! `captivate-sim`: the local Captivate hub as a program.

use std::io::Write;
use std::time::Duration;

use captivate_sim::{Sim, SimConfig};

const USAGE: &str =
    "usage: captivate-sim [--port N] [--host ADDR] [--api-key KEY] [--tls] [--cert-out FILE] [--agent-delay-ms N]

Starts a local Captivate-compatible hub and prints the URL a client connects to as the first
line of standard output (ws://127.0.0.1:PORT/dev?apiKey=KEY, or wss://localhost:... with --tls).
Runs until interrupted. Control endpoints on the same port: POST /control/faults, /control/drop,
/control/close?code=N, /control/restart?down_ms=N, /control/push, /control/push_text,
/control/say ({conversation_id, text, send}: a bot message, recorded in the transcript and sent
unless send is false); GET /control/faults, /control/received, /control/stats.";

fn main() {
    let mut config = SimConfig::default();
    let mut host = "127.0.0.1".to_owned();
    let mut cert_out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value\n{USAGE}");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--port" => config.port = value("--port").parse().unwrap_or_else(|_| bad("--port")),
            "--host" => host = value("--host"),
            "--api-key" => config.api_key = value("--api-key"),
            "--tls" => config.tls = true,
            "--cert-out" => cert_out = Some(value("--cert-out")),
            "--agent-delay-ms" => {
                config.agent_delay =
                    Duration::from_millis(value("--agent-delay-ms").parse().unwrap_or_else(|_| bad("--agent-delay-ms")))
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => {
                eprintln!("unknown argument {other}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async move {
        let sim = match Sim::start_on(&host, config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("captivate-sim: cannot start: {e}");
                std::process::exit(1);
            }
        };
        if let (Some(path), Some(pem)) = (cert_out, sim.ca_pem())
            && let Err(e) = std::fs::write(&path, pem)
        {
            eprintln!("captivate-sim: cannot write {path}: {e}");
            std::process::exit(1);
        }
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{}", sim.url());
        let _ = out.flush();
        eprintln!("captivate-sim: listening on port {}", sim.port());
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        sim.shutdown().await;
    });
}

fn bad(flag: &str) -> ! {
    eprintln!("{flag}: not a number\n{USAGE}");
    std::process::exit(2)
}
