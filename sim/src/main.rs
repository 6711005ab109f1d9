//! `captivate-sim`: the local Captivate hub as a program, and (`captivate-sim proxy`) the
//! fault-injecting proxy that tests put between a client and a hub.

use std::io::Write;
use std::time::Duration;

use captivate_sim::proxy::Proxy;
use captivate_sim::{Sim, SimConfig};

const USAGE: &str =
    "usage: captivate-sim [--port N] [--host ADDR] [--api-key KEY] [--extra-api-key KEY]... [--tls] [--cert-out FILE] [--agent-delay-ms N] [--script FILE]
       captivate-sim proxy --upstream HOST:PORT|URL [--port N] [--host ADDR]

Starts a local Captivate-compatible hub and prints the URL a client connects to as the first
line of standard output (ws://127.0.0.1:PORT/dev?apiKey=KEY, or wss://localhost:... with --tls).
Runs until interrupted. HTTP on the same port (http://127.0.0.1:PORT, the HTTP base and the
file service base of a client):
  POST /api/custom-channel/sockets/message  header x-api-key; body {\"action\": \"sendMessage\",
       \"event\": {\"event_type\", \"event_payload\", \"socket_id\"}}: handled as if sent on the socket
       socket_connected named; 200 {\"status\": \"success\"} (metadata_request: {\"metadata\": {...}}),
       400 bad body or no socket_id, 401 bad key, 404 unknown socket (or conversation, for
       metadata_request)
  GET  /api/transcript?conversation_id=ID  header x-api-key; {\"transcript\": [...]}; 401, 404
  POST /api/file-to-text  multipart: file, includeMetadata, storage, path, ttlDays (1|7|30|90);
       {success, text, fileSize, processingTime[, fileKey, presignedUrl, expiresIn]}; 400, 413
  POST /api/presigned-url  {fileKey, expiresIn?}: {success, presignedUrl, expiresAt}; 404
  GET  /files/KEY?expires=T&sig=S  a stored file through a presigned URL; 403 when expired
  GET  /messages/ID  header x-api-key; a large message's content
Control endpoints: POST /control/faults (JSON: reply_delay_ms, never_answer, stall, ...,
http_status, http_status_count, http_delay_ms, http_paths), /control/drop,
/control/close?code=N, /control/restart?down_ms=N, /control/push, /control/push_text,
/control/say ({conversation_id, text, send}: a bot message, recorded in the transcript and sent
unless send is false), /control/expire-file ({fileKey} or {} for all: presigned URLs expire
now), /control/renew-socket-ids (a new socket id for every connection, told by a second
socket_connected), /control/script (the bot's script as JSON; empty: back to the first),
/control/bot and /control/agent ({conversation_id, content, send}), /control/update
({conversation_id, update}), /control/reset (forget conversations, frames, requests and files;
clear faults; the first script again); GET /control/faults, /control/received
(?conversation_id=&event_type=), /control/requests, /control/conversations, /control/script,
/control/files, /control/stats.

--script FILE: the bot's script (JSON: greeting and rules; see the captivate-sim crate's docs)
in place of the usual flow.

captivate-sim proxy starts a TCP proxy to the upstream (the hub, or any server; a ws:// URL may
be given for it) and prints its address, ADDR:PORT, as the first line of standard output. A
client connects through it by using that address in place of the hub's. Faults and actions, over
HTTP on the same port (every other request is forwarded): POST /proxy/faults with
{\"latency_ms\": N, \"bandwidth_bps\": N, \"blackhole\": true|false} (missing fields are off;
latency and bandwidth apply to each direction), POST /proxy/reset (reset every connection with a
TCP RST), POST /proxy/truncate (cut every connection inside the next WebSocket frame from the
server), POST /proxy/restart?ms=N (close every connection, refuse new ones for N ms);
GET /proxy/faults, /proxy/stats (accepted, live, bytes_up, bytes_down, resets, truncated).";

fn main() {
    if std::env::args().nth(1).as_deref() == Some("proxy") {
        return proxy_main();
    }
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
            "--extra-api-key" => config.extra_api_keys.push(value("--extra-api-key")),
            "--tls" => config.tls = true,
            "--cert-out" => cert_out = Some(value("--cert-out")),
            "--agent-delay-ms" => {
                config.agent_delay =
                    Duration::from_millis(value("--agent-delay-ms").parse().unwrap_or_else(|_| bad("--agent-delay-ms")))
            }
            "--script" => {
                let path = value("--script");
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                    eprintln!("captivate-sim: cannot read {path}: {e}");
                    std::process::exit(2)
                });
                config.script = captivate_sim::Script::from_json_text(&text).unwrap_or_else(|e| {
                    eprintln!("captivate-sim: {path}: {e}");
                    std::process::exit(2)
                });
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
    runtime().block_on(async move {
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
        interrupted().await;
        sim.shutdown().await;
    });
}

/// `captivate-sim proxy ...`
fn proxy_main() {
    let mut host = "127.0.0.1".to_owned();
    let mut port = 0u16;
    let mut upstream = None;
    let mut args = std::env::args().skip(2);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value\n{USAGE}");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--port" => port = value("--port").parse().unwrap_or_else(|_| bad("--port")),
            "--host" => host = value("--host"),
            "--upstream" => upstream = Some(value("--upstream")),
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
    let Some(upstream) = upstream else {
        eprintln!("captivate-sim proxy: --upstream is required\n{USAGE}");
        std::process::exit(2);
    };
    runtime().block_on(async move {
        let proxy = match Proxy::start_on(&host, port, &upstream).await {
            Ok(p) => p,
            Err(e) => {
                eprintln!("captivate-sim proxy: cannot start: {e}");
                std::process::exit(1);
            }
        };
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{}", proxy.addr());
        let _ = out.flush();
        eprintln!("captivate-sim proxy: forwarding {} to {}", proxy.addr(), proxy.upstream());
        interrupted().await;
        drop(proxy);
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// Waits for Ctrl-C or SIGTERM.
async fn interrupted() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn bad(flag: &str) -> ! {
    eprintln!("{flag}: not a number\n{USAGE}");
    std::process::exit(2)
}
