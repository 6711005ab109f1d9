//! Large (413) messages: fetched from their `message_link`.

use reqwest::Method;
use serde_json::Value;

use super::Http;

/// The largest large-message body accepted.
const MAX_BODY: usize = 16 << 20;

/// GETs a large message's link and returns the bot message's content array
/// (`botMessage.content` of the JSON body). The API key goes along only to a trusted host (the
/// hub's own); a link elsewhere is fetched without it.
pub(crate) async fn fetch_large_message(http: &Http, url: &str) -> Result<Value, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid message link: {e}"))?;
    let trusted = parsed.host_str().is_some_and(|h| http.config().trusts_host(h));
    let resp = if trusted {
        http.keyed(Method::GET, url, |r| r).await.map_err(|e| e.to_string())?
    } else {
        tracing::info!("the large message's link is on a host that is not trusted: fetched without the API key");
        let req = http.plain(Method::GET, url).map_err(|e| e.to_string())?.header("accept", "application/json");
        req.send().await.map_err(|e| http.fail("fetch", e).to_string())?
    };
    if resp.content_length().is_some_and(|n| n as usize > MAX_BODY) {
        return Err(format!("the large message exceeds {MAX_BODY} bytes"));
    }
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| http.fail("fetch", e).to_string())?;
    if !status.is_success() {
        return Err(format!("the message link answered HTTP {}", status.as_u16()));
    }
    if body.len() > MAX_BODY {
        return Err(format!("the large message exceeds {MAX_BODY} bytes"));
    }
    let json: Value = serde_json::from_slice(&body).map_err(|e| format!("the body is not JSON: {e}"))?;
    content_of(json).ok_or_else(|| "the body has no botMessage.content".to_owned())
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::content_of;

    #[test]
    fn finds_the_content_array() {
        assert_eq!(content_of(json!({"botMessage": {"content": [{"type": "text"}]}})), Some(json!([{"type": "text"}])));
        assert_eq!(content_of(json!({"content": {"type": "text"}})), Some(json!([{"type": "text"}])));
        assert_eq!(content_of(json!({"x": 1})), None);
    }
}
