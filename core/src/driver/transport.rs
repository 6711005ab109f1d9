//! Opening connections: TCP, TLS (rustls with the ring provider) and the WebSocket handshake.

use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, http::Uri};

use super::readahead::ReadAhead;
use crate::config::{Config, TlsConfig, TlsRoots};
use crate::engine::TransportError;
use crate::error::{Error, Result, redact};

/// A byte stream, plain or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {
    /// Makes dropping the stream reset the TCP connection (`SO_LINGER` 0) instead of closing it:
    /// what is still unsent in this host's socket buffer is discarded rather than delivered
    /// late, after the link was given up for dead and its calls were failed.
    fn reset_on_drop(&self);

    /// Says whether answers are awaited (see [`ReadAhead::set_busy`]).
    fn set_busy(&mut self, busy: bool);

    /// Says the handshake is over, and puts back what was read past its response (see
    /// [`ReadAhead::handshake_done`]).
    fn handshake_done(&mut self, rest: Vec<u8>);

    /// True when what was read ends between frames (see [`ReadAhead::at_rest`]).
    fn at_rest(&self) -> bool;

    /// The largest frame read and the largest write since the last call (see
    /// [`ReadAhead::take_largest`]).
    fn take_largest(&mut self) -> (u64, usize);

    /// The largest frame read and the largest write so far (see [`ReadAhead::largest`]).
    fn largest(&self) -> (u64, usize);
}

/// A stream over one TCP connection.
pub(crate) trait OverTcp {
    /// The TCP connection.
    fn tcp(&self) -> &TcpStream;
}

impl OverTcp for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl OverTcp for tokio_rustls::client::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

impl<S: OverTcp + AsyncRead + AsyncWrite + Unpin + Send> Io for ReadAhead<S> {
    fn reset_on_drop(&self) {
        let _ = self.get_ref().tcp().set_zero_linger();
    }

    fn set_busy(&mut self, busy: bool) {
        ReadAhead::set_busy(self, busy);
    }

    fn handshake_done(&mut self, rest: Vec<u8>) {
        ReadAhead::handshake_done(self, rest);
    }

    fn at_rest(&self) -> bool {
        ReadAhead::at_rest(self)
    }

    fn take_largest(&mut self) -> (u64, usize) {
        ReadAhead::take_largest(self)
    }

    fn largest(&self) -> (u64, usize) {
        ReadAhead::largest(self)
    }
}

/// A WebSocket over a plain or TLS stream.
pub(crate) type Ws = WebSocketStream<Box<dyn Io>>;

/// The read buffer a socket starts with; it grows for larger frames (and the driver lets it
/// go again once the connection is quiet). Small, so that an idle connection costs little
/// memory.
pub(crate) const READ_BUFFER: usize = 4 * 1024;

/// Frames are buffered up to this size before the socket is written without a flush (the
/// driver flushes once per batch anyway).
pub(crate) const WRITE_BUFFER: usize = 64 * 1024;

/// The TLS configuration of a client: for the built-in root sets, one per process (built on
/// first use); with an extra CA, one for this configuration.
pub(crate) fn tls_config(config: &Config) -> Result<Arc<ClientConfig>> {
    let tls = &config.tls;
    if tls.extra_ca_file.is_some() || tls.extra_ca_pem.is_some() {
        return build_tls(tls);
    }
    static SHARED: [OnceLock<Arc<ClientConfig>>; 4] = [const { OnceLock::new() }; 4];
    let cell = &SHARED[match tls.roots {
        TlsRoots::Webpki => 0,
        TlsRoots::System => 1,
        TlsRoots::Both => 2,
        TlsRoots::None => 3,
    }];
    if let Some(c) = cell.get() {
        return Ok(c.clone());
    }
    let built = build_tls(tls)?;
    Ok(cell.get_or_init(|| built).clone())
}

/// The TLS configuration a client needs from the start: for a `wss://` hub, or to check an
/// extra CA at once. Otherwise it is built when first needed (an `https` link).
pub(crate) fn tls_upfront(config: &Config) -> Result<Option<Arc<ClientConfig>>> {
    let tls = &config.tls;
    let wss = config.endpoint.base_url().starts_with("wss://");
    if wss || tls.extra_ca_file.is_some() || tls.extra_ca_pem.is_some() {
        return tls_config(config).map(Some);
    }
    Ok(None)
}

fn build_tls(tls: &TlsConfig) -> Result<Arc<ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    if matches!(tls.roots, TlsRoots::Webpki | TlsRoots::Both) {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if matches!(tls.roots, TlsRoots::System | TlsRoots::Both) {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!(error = %e, "could not load a system root certificate");
        }
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 && tls.roots == TlsRoots::System {
            return Err(Error::InvalidArgument("no usable certificate in the system's root store".into()));
        }
    }
    let mut extra: Vec<CertificateDer<'static>> = Vec::new();
    if let Some(path) = &tls.extra_ca_file {
        for c in CertificateDer::pem_file_iter(path)
            .map_err(|e| Error::InvalidArgument(format!("cannot read CA file {}: {e}", path.display())))?
        {
            extra.push(c.map_err(|e| Error::InvalidArgument(format!("bad certificate in {}: {e}", path.display())))?);
        }
    }
    if let Some(pem) = &tls.extra_ca_pem {
        for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            extra.push(c.map_err(|e| Error::InvalidArgument(format!("bad CA certificate PEM: {e}")))?);
        }
    }
    if (tls.extra_ca_file.is_some() || tls.extra_ca_pem.is_some()) && extra.is_empty() {
        return Err(Error::InvalidArgument("the extra CA contains no certificate".into()));
    }
    for c in extra {
        roots.add(c).map_err(|e| Error::InvalidArgument(format!("unusable CA certificate: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// Host, port and TLS flag of a `ws`/`wss`/`http`/`https` URL.
pub(crate) fn target(url: &str) -> Result<(String, u16, bool, Uri), String> {
    let uri: Uri = url.parse().map_err(|e| format!("invalid URL: {e}"))?;
    let tls = match uri.scheme_str() {
        Some("wss") | Some("https") => true,
        Some("ws") | Some("http") => false,
        _ => return Err("the URL scheme must be ws, wss, http or https".into()),
    };
    let host = uri.host().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Ok((host, port, tls, uri))
}

/// Opens TCP (and TLS) to `host:port`.
pub(crate) async fn open_stream(host: &str, port: u16, tls: Option<&Arc<ClientConfig>>) -> Result<Box<dyn Io>, String> {
    let tcp =
        TcpStream::connect((host, port)).await.map_err(|e| format!("TCP connect to {host}:{port} failed: {e}"))?;
    let _ = tcp.set_nodelay(true);
    match tls {
        None => Ok(Box::new(ReadAhead::new(tcp))),
        Some(cfg) => {
            let name =
                ServerName::try_from(host.to_owned()).map_err(|e| format!("invalid TLS server name {host}: {e}"))?;
            let stream = tokio_rustls::TlsConnector::from(cfg.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS handshake with {host} failed: {e}"))?;
            Ok(Box::new(ReadAhead::new(stream)))
        }
    }
}

/// Connects the WebSocket at `url` (which carries the API key: errors are redacted).
pub(crate) async fn connect(
    url: &str,
    api_key: &str,
    tls: Option<&Arc<ClientConfig>>,
    max_frame_size: usize,
) -> Result<Ws, TransportError> {
    let safe = |s: String| TransportError::Other(redact(&s, api_key));
    let (host, port, is_tls, uri) = target(url).map_err(safe)?;
    let tls = if is_tls { Some(tls.ok_or_else(|| safe("TLS is not configured".into()))?) } else { None };
    let io = open_stream(&host, port, tls).await.map_err(safe)?;
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(max_frame_size))
        .max_frame_size(Some(max_frame_size))
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER);
    handshake(io, &uri, &host, port, is_tls, ws_config).await.map_err(|e| match e {
        TransportError::Other(m) => safe(m),
        rejected => rejected,
    })
}

/// The WebSocket opening handshake (RFC 6455 4.1), written here rather than by tungstenite,
/// whose client logs the whole request (the URL, with the API key in its query) at TRACE.
async fn handshake(
    mut io: Box<dyn Io>,
    uri: &Uri,
    host: &str,
    port: u16,
    is_tls: bool,
    ws_config: WebSocketConfig,
) -> Result<Ws, TransportError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let other = |m: String| TransportError::Other(m);
    let key = tungstenite::handshake::client::generate_key();
    // `ws://host:port?apiKey=…` has an empty path: the request target starts with `/` anyway.
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let slash = if path.starts_with('/') { "" } else { "/" };
    let name = if host.contains(':') { format!("[{host}]") } else { host.to_owned() };
    let host_header = if port == if is_tls { 443 } else { 80 } { name } else { format!("{name}:{port}") };
    let request = format!(
        "GET {slash}{path} HTTP/1.1\r\nHost: {host_header}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\nUser-Agent: captivate-rust/{}\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    io.write_all(request.as_bytes()).await.map_err(|e| other(format!("WebSocket handshake failed: {e}")))?;
    io.flush().await.map_err(|e| other(format!("WebSocket handshake failed: {e}")))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let (status, head_len) = loop {
        let n = io.read(&mut chunk).await.map_err(|e| other(format!("WebSocket handshake failed: {e}")))?;
        if n == 0 {
            return Err(other("WebSocket handshake failed: the connection closed during the handshake".into()));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let status = resp.code.unwrap_or(0);
                if status == 101 {
                    let header =
                        |name: &str| resp.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value);
                    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
                    if header("Sec-WebSocket-Accept") != Some(accept.as_bytes()) {
                        return Err(other("WebSocket handshake failed: wrong Sec-WebSocket-Accept".into()));
                    }
                    let upgrade = header("Upgrade").is_some_and(|v| v.eq_ignore_ascii_case(b"websocket"));
                    if !upgrade {
                        return Err(other("WebSocket handshake failed: no Upgrade: websocket".into()));
                    }
                }
                break (status, len);
            }
            Ok(httparse::Status::Partial) if buf.len() < 16 * 1024 => continue,
            Ok(httparse::Status::Partial) => {
                return Err(other("WebSocket handshake failed: the response head is too large".into()));
            }
            Err(e) => return Err(other(format!("WebSocket handshake failed: bad HTTP response: {e}"))),
        }
    };
    match status {
        101 => {}
        401 | 403 => return Err(TransportError::Rejected { status }),
        _ => return Err(other(format!("the WebSocket handshake was refused with HTTP {status}"))),
    }
    // What came after the response head is the first frames: it is read through the stream,
    // whose account of frame boundaries then covers every byte the codec gets.
    io.handshake_done(buf.split_off(head_len));
    Ok(WebSocketStream::from_raw_socket(io, Role::Client, Some(ws_config)).await)
}
