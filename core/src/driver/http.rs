//! A minimal HTTP/1.1 GET, used only to fetch 413 large messages from their `message_link`.

use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::transport::{open_stream, target};
use crate::error::redact;

/// The largest large-message body accepted.
const MAX_BODY: usize = 16 << 20;

/// GETs `url` with the `x-api-key` header and returns the bot message's content array
/// (`botMessage.content` of the JSON body). Plain `http` is refused when the client's own
/// connection is encrypted, so that the key never travels in the clear to a hub-supplied link.
pub(crate) async fn fetch_large_message(
    url: &str,
    api_key: &str,
    tls: Option<&Arc<ClientConfig>>,
    allow_plain: bool,
    timeout: Duration,
) -> Result<Value, String> {
    let fut = async {
        let (host, port, is_tls, uri) = target(url)?;
        if !is_tls && !allow_plain {
            return Err("refusing to send the API key to a plain http:// message link".to_owned());
        }
        let tls = if is_tls { Some(tls.ok_or("TLS is not configured")?) } else { None };
        let mut io = open_stream(&host, port, tls).await?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nx-api-key: {api_key}\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: captivate-rust\r\n\r\n"
        );
        io.write_all(req.as_bytes()).await.map_err(|e| format!("write failed: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = io.read(&mut chunk).await.map_err(|e| format!("read failed: {e}"))?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.len() > MAX_BODY {
                return Err(format!("the large message exceeds {MAX_BODY} bytes"));
            }
        }
        let body = parse_response(&buf)?;
        let json: Value = serde_json::from_slice(&body).map_err(|e| format!("the body is not JSON: {e}"))?;
        content_of(json).ok_or_else(|| "the body has no botMessage.content".to_owned())
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r.map_err(|e| redact(&e, api_key)),
        Err(_) => Err(format!("timed out after {} ms", timeout.as_millis())),
    }
}

fn content_of(json: Value) -> Option<Value> {
    let bm = json.get("botMessage").or_else(|| json.get("bot_message"));
    let content = match bm {
        Some(b) => b.get("content").cloned().or_else(|| b.get("event_payload").and_then(|p| p.get("content")).cloned()),
        None => json.get("content").cloned(),
    };
    match content? {
        v @ Value::Array(_) => Some(v),
        other => Some(Value::Array(vec![other])),
    }
}

/// Parses a whole HTTP/1.1 response; returns the body of a 200.
fn parse_response(buf: &[u8]) -> Result<Vec<u8>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let head_len = match resp.parse(buf).map_err(|e| format!("bad HTTP response: {e}"))? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return Err("incomplete HTTP response".into()),
    };
    let status = resp.code.unwrap_or(0);
    if status != 200 {
        return Err(format!("the message link answered HTTP {status}"));
    }
    let header = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    let rest = &buf[head_len..];
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        return dechunk(rest);
    }
    if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| "bad Content-Length".to_owned())?;
        if rest.len() < len {
            return Err("the response body is shorter than its Content-Length".into());
        }
        return Ok(rest[..len].to_vec());
    }
    Ok(rest.to_vec())
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").ok_or("bad chunked body")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if rest.len() < size + 2 {
            return Err("truncated chunked body".into());
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_length_and_chunked_bodies() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse_response(r).unwrap(), b"hello");
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n";
        assert_eq!(parse_response(r).unwrap(), b"hello");
        let r = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
        assert!(parse_response(r).unwrap_err().contains("401"));
    }

    #[test]
    fn finds_the_content_array() {
        let v = serde_json::json!({"botMessage": {"content": [{"type": "text", "text": "x"}]}});
        assert_eq!(content_of(v).unwrap()[0]["text"], "x");
        assert!(content_of(serde_json::json!({"nothing": 1})).is_none());
    }
}
