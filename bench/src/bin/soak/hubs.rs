//! The local hub and the fault-injecting proxy in front of it, each a `captivate-sim` process of
//! its own (so that their memory is not counted as the client's), and their HTTP controls.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A child process, killed when dropped.
pub struct Process {
    child: Child,
    /// Kept open: the child may write more to it.
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program args`, its log discarded, and reads the first line it prints.
fn start(program: &Path, args: &[&str]) -> Result<(Process, String), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no standard output")?);
    let mut line = String::new();
    let read = stdout.read_line(&mut line);
    let process = Process { child, _stdout: stdout };
    match read {
        Ok(n) if n > 0 => Ok((process, line.trim().to_owned())),
        _ => Err(format!("{} {args:?} printed nothing", program.display())),
    }
}

/// The hub and the proxy in front of it.
pub struct Hubs {
    _sim: Process,
    _proxy: Process,
    /// The hub's `host:port` (its HTTP controls).
    pub sim_addr: String,
    /// The proxy's `host:port`: clients connect here.
    pub proxy_addr: String,
    /// The API key the hub wants.
    pub api_key: String,
    /// With TLS, the PEM of the hub's self-signed certificate.
    pub ca_pem: Option<String>,
}

impl Hubs {
    /// Starts `captivate-sim` (the program at `sim`), serving TLS when `tls`, and
    /// `captivate-sim proxy` in front of it.
    pub fn start(sim: &Path, tls: bool) -> Result<Hubs, String> {
        let cert = std::env::temp_dir().join(format!("captivate-soak-{}.pem", std::process::id()));
        let cert_arg = cert.to_string_lossy().into_owned();
        let args: &[&str] = if tls { &["--port", "0", "--tls", "--cert-out", &cert_arg] } else { &["--port", "0"] };
        let (sim_process, url) = start(sim, args)?;
        // ws://127.0.0.1:PORT/dev?apiKey=KEY, or wss://localhost:PORT/...
        let rest = url.split_once("://").map(|(_, r)| r).ok_or_else(|| format!("unexpected hub URL {url}"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let port = authority.rsplit_once(':').map(|(_, p)| p).unwrap_or_default();
        let sim_addr = format!("127.0.0.1:{port}");
        let api_key = rest.split_once("apiKey=").map(|(_, k)| k.to_owned()).unwrap_or_default();
        let ca_pem = if tls {
            let pem = std::fs::read_to_string(&cert).map_err(|e| format!("{}: {e}", cert.display()))?;
            let _ = std::fs::remove_file(&cert);
            Some(pem)
        } else {
            None
        };
        let (proxy, proxy_addr) = start(sim, &["proxy", "--port", "0", "--upstream", &sim_addr])?;
        Ok(Hubs { _sim: sim_process, _proxy: proxy, sim_addr, proxy_addr, api_key, ca_pem })
    }

    /// The URL a client uses (through the proxy), without the key; with TLS, by the name on
    /// the hub's certificate.
    pub fn client_url(&self) -> String {
        match self.ca_pem {
            None => format!("ws://{}/dev", self.proxy_addr),
            Some(_) => {
                let port = self.proxy_addr.rsplit_once(':').map(|(_, p)| p).unwrap_or_default();
                format!("wss://localhost:{port}/dev")
            }
        }
    }

    /// The hub drops every connection abruptly (no close frame).
    pub async fn hub_drop(&self) -> Result<(), String> {
        post(&self.sim_addr, "/control/drop").await
    }

    /// The proxy closes every connection (an ordinary close, no close frame) and refuses new
    /// ones for 20 ms: the way to end a connection from the hub's side over TLS, where this
    /// program does not speak to the hub's controls.
    pub async fn proxy_restart(&self) -> Result<(), String> {
        post(&self.proxy_addr, "/proxy/restart?ms=20").await
    }

    /// The proxy resets every connection (TCP RST).
    pub async fn proxy_reset(&self) -> Result<(), String> {
        post(&self.proxy_addr, "/proxy/reset").await
    }
}

/// `POST path` with no body; an error unless the answer is 200.
async fn post(addr: &str, path: &str) -> Result<(), String> {
    let mut tcp = TcpStream::connect(addr).await.map_err(|e| format!("{addr}: {e}"))?;
    let request = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.map_err(|e| format!("{addr}{path}: {e}"))?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.map_err(|e| format!("{addr}{path}: {e}"))?;
    if answer.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("{addr}{path}: {}", String::from_utf8_lossy(&answer[..answer.len().min(80)])))
    }
}
