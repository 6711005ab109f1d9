//! The hub's HTTP services, driven by a real HTTP client (hyper) over loopback, with real
//! WebSocket clients beside it: sends over HTTP whose replies arrive on a socket, the
//! transcript over REST, the file-to-text service, presigned URLs and their expiry, and the
//! HTTP faults.

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use captivate_sim::{Faults, Sim, SimConfig};
use futures_util::{FutureExt, SinkExt, StreamExt};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

// --- An HTTP client -------------------------------------------------------------------------

/// An HTTP answer.
#[derive(Debug)]
struct Resp {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

type Body = BoxBody<Bytes, Infallible>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// Sends one request to `url` (absolute) over a new connection.
async fn call(method: &str, url: &str, headers: &[(&str, &str)], body: Body) -> Resp {
    let uri: hyper::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().clone();
    let tcp = tokio::net::TcpStream::connect(authority.as_str()).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(conn);
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(uri.path_and_query().unwrap().as_str())
        .header("host", authority.as_str());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = sender.send_request(req.body(body).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp { status, content_type, body }
}

async fn get(url: &str, headers: &[(&str, &str)]) -> Resp {
    call("GET", url, headers, full(Bytes::new())).await
}

async fn post_json(url: &str, headers: &[(&str, &str)], v: &Value) -> Resp {
    let mut h = vec![("content-type", "application/json"), ("accept", "application/json")];
    h.extend_from_slice(headers);
    call("POST", url, &h, full(v.to_string())).await
}

/// A `multipart/form-data` body: text fields, and the file (field name, file name, type, bytes).
fn form(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----captivate-test-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((name, filename, content_type, bytes)) = file.map(|(f, t, b)| ("file", f, t, b)) {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(sim: &Sim, fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Resp {
    let (content_type, body) = form(fields, file);
    call("POST", &format!("{}/api/file-to-text", sim.http_url()), &[("content-type", &content_type)], full(body)).await
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

// --- A socket -------------------------------------------------------------------------------

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Opens a socket and reads its `socket_connected`: the socket and its socket id.
async fn open(sim: &Sim) -> (Ws, String) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", sim.port())).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(sim.url(), tcp).await.unwrap();
    let hello = recv(&mut ws).await;
    assert_eq!(hello["event"]["event_type"], "socket_connected");
    let id = hello["event"]["event_payload"]["socket_id"].as_str().unwrap().to_owned();
    (ws, id)
}

async fn recv(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a frame").unwrap().unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// The payload of the next event of this type (others on the way are skipped).
async fn recv_type(ws: &mut Ws, event_type: &str) -> Value {
    loop {
        let v = recv(ws).await;
        if v["event"]["event_type"] == event_type {
            return v["event"]["event_payload"].clone();
        }
    }
}

/// The envelope of a send, as the official client posts it.
fn envelope(socket_id: &str, event_type: &str, payload: Value) -> Value {
    json!({"action": "sendMessage", "event": {"event_type": event_type, "event_payload": payload, "socket_id": socket_id}})
}

/// A send over HTTP with the hub's key.
async fn send(sim: &Sim, socket_id: &str, event_type: &str, payload: Value) -> Resp {
    let url = format!("{}/api/custom-channel/sockets/message", sim.http_url());
    post_json(&url, &[("x-api-key", sim.api_key())], &envelope(socket_id, event_type, payload)).await
}

/// Starts a conversation over HTTP for `user`; gives its id.
async fn start(sim: &Sim, ws: &mut Ws, socket_id: &str, user: &str) -> String {
    let r = send(sim, socket_id, "conversation_start", json!({"userId": user})).await;
    assert_eq!(r.status, 200, "{r:?}");
    recv_type(ws, "conversation_start_success").await["conversation_id"].as_str().unwrap().to_owned()
}

fn user_message(conversation_id: &str, msg_id: &str, content: Value) -> Value {
    json!({"type": "message_create", "client_msg_id": msg_id, "conversation_id": conversation_id, "content": content})
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

// --- Sends over HTTP ------------------------------------------------------------------------

#[tokio::test]
async fn an_http_send_is_handled_as_if_it_came_on_its_socket_and_answered_there_only() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (mut a, a_id) = open(&sim).await;
    let (mut b, b_id) = open(&sim).await;
    assert_ne!(a_id, b_id);

    let r = send(&sim, &a_id, "conversation_start", json!({"userId": "ann"})).await;
    assert_eq!((r.status, r.content_type.as_str()), (200, "application/json"));
    assert_eq!(r.json(), json!({"status": "success"}));
    let id = recv_type(&mut a, "conversation_start_success").await["conversation_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ann_"));

    let r = send(&sim, &a_id, "user_message", user_message(&id, "m1", text("hello"))).await;
    assert_eq!(r.status, 200);
    let greeting = recv_type(&mut a, "bot_message").await;
    assert_eq!(greeting["content"][0]["text"], "Hi. I'm the Captivate Bot.");
    let echo = recv_type(&mut a, "bot_message").await;
    assert_eq!(echo["content"], json!([text("You said: hello")]));
    assert_eq!(echo["conversation_id"], id.as_str());

    // Socket b got none of that: the first thing it hears is the reply to its own request.
    let r = send(&sim, &b_id, "metadata_request", json!({"conversation_id": id})).await;
    assert_eq!(r.status, 200);
    let first = recv(&mut b).await;
    assert_eq!(first["event"]["event_type"], "conversation_metadata", "{first}");

    // The log has the sends as they came, marked as HTTP.
    let log = sim.received();
    let sends: Vec<&Value> = log.iter().filter(|f| f["via"] == "http").collect();
    assert_eq!(sends.len(), 3);
    assert_eq!(sends[1]["event"]["event_type"], "user_message");
    assert_eq!(sends[1]["event"]["socket_id"], a_id.as_str());
    assert_eq!(sends[1]["event"]["event_payload"]["content"], text("hello"));

    // A send on the socket itself still works beside them, and is logged without the mark.
    let frame = json!({"action": "sendMessage", "event": {"event_type": "conversation_start", "event_payload": {"userId": "sock"}}});
    a.send(Message::Text(frame.to_string().into())).await.unwrap();
    recv_type(&mut a, "conversation_start_success").await;
    let last = sim.received().pop().unwrap();
    assert_eq!(last, frame);
}

#[tokio::test]
async fn sends_with_a_wrong_key_an_unknown_socket_or_a_bad_body_are_refused() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (ws, socket_id) = open(&sim).await;
    let url = format!("{}/api/custom-channel/sockets/message", sim.http_url());
    let start = envelope(&socket_id, "conversation_start", json!({"userId": "x"}));

    let no_key = post_json(&url, &[], &start).await;
    assert_eq!(no_key.status, 401);
    assert!(no_key.json()["error"].is_string());
    assert_eq!(post_json(&url, &[("x-api-key", "wrong")], &start).await.status, 401);

    let key = [("x-api-key", sim.api_key())];
    let unknown = post_json(&url, &key, &envelope("no-such-socket", "conversation_start", json!({}))).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["error"].as_str().unwrap().contains("socket_id"));
    let mut missing = start.clone();
    missing["event"].as_object_mut().unwrap().remove("socket_id");
    assert_eq!(post_json(&url, &key, &missing).await.status, 400);
    let mut null_id = start.clone();
    null_id["event"]["socket_id"] = Value::Null;
    assert_eq!(post_json(&url, &key, &null_id).await.status, 400);

    let not_json = call("POST", &url, &[("x-api-key", sim.api_key())], full("{not json")).await;
    assert_eq!(not_json.status, 400);
    assert!(not_json.json()["error"].is_string());
    assert_eq!(post_json(&url, &key, &json!([1, 2])).await.status, 400);
    assert_eq!(post_json(&url, &key, &json!({"action": "sendMessage"})).await.status, 400);
    assert_eq!(post_json(&url, &key, &json!({"event": {"socket_id": socket_id}})).await.status, 400);
    assert!(sim.received().is_empty(), "nothing refused is handled");

    // The socket id dies with its socket.
    drop(ws);
    while sim.live_connections() > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(post_json(&url, &key, &start).await.status, 404);
}

#[tokio::test]
async fn metadata_over_http_answers_with_the_metadata_and_replies_on_the_socket_too() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (mut ws, socket_id) = open(&sim).await;
    let id = start(&sim, &mut ws, &socket_id, "meta").await;

    let md = json!({"plan": "gold", "private": {"crm": 42}});
    let r = send(&sim, &socket_id, "metadata", json!({"conversation_id": id, "metadata": md, "client_msg_id": "md1"}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(recv_type(&mut ws, "metadata_update_success").await["conversation_id"], id.as_str());

    let r = send(&sim, &socket_id, "metadata_request", json!({"conversation_id": id})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["metadata"], md);
    let pushed = recv_type(&mut ws, "conversation_metadata").await;
    assert_eq!(pushed["content"], md);

    let r = send(&sim, &socket_id, "metadata_request", json!({"conversation_id": "nope"})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "Invalid conversation_id");
    assert_eq!(recv_type(&mut ws, "general_error").await["error_code"], 400);
}

// --- The transcript over REST ---------------------------------------------------------------

#[tokio::test]
async fn the_transcript_over_rest_is_the_one_the_socket_gives() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (mut ws, socket_id) = open(&sim).await;
    let id = start(&sim, &mut ws, &socket_id, "tr").await;
    send(&sim, &socket_id, "user_message", user_message(&id, "u1", text("hi"))).await;
    recv_type(&mut ws, "bot_message").await;
    recv_type(&mut ws, "bot_message").await;

    let url = format!("{}/api/transcript?conversation_id={id}", sim.http_url());
    let rest = get(&url, &[("x-api-key", sim.api_key()), ("accept", "application/json")]).await;
    assert_eq!(rest.status, 200);
    let rest = rest.json()["transcript"].clone();
    assert_eq!(rest.as_array().unwrap().len(), 3, "{rest}");
    assert_eq!(rest[0]["message_id"], "u1");
    assert_eq!(rest[0]["messages"], json!([text("hi")]));

    send(&sim, &socket_id, "conversation_transcript_request", json!({"conversation_id": id})).await;
    assert_eq!(recv_type(&mut ws, "conversation_transcript").await["transcript"], rest);

    assert_eq!(get(&url, &[("x-api-key", "wrong")]).await.status, 401);
    assert_eq!(get(&url, &[]).await.status, 401);
    let unknown =
        get(&format!("{}/api/transcript?conversation_id=nope", sim.http_url()), &[("x-api-key", sim.api_key())]).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["error"].is_string());
    assert_eq!(get(&format!("{}/api/transcript", sim.http_url()), &[("x-api-key", sim.api_key())]).await.status, 400);
}

// --- The file service -----------------------------------------------------------------------

#[tokio::test]
async fn a_text_upload_with_storage_gives_its_text_and_a_link_to_its_bytes() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let content = "name,qty\nwidget,3\nnaïve café,1\n";
    let path = format!("{}/conv_1", sim.api_key());
    let fields = [("includeMetadata", "true"), ("storage", "true"), ("path", path.as_str()), ("ttlDays", "7")];
    let r = upload(&sim, &fields, Some(("stock list.csv", "text/csv", content.as_bytes()))).await;
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["success"], true);
    assert_eq!(v["text"], content);
    assert_eq!(v["fileSize"], content.len());
    assert!(v["processingTime"].is_u64());
    assert_eq!(v["metadata"]["fileName"], "stock list.csv");
    let key = v["fileKey"].as_str().unwrap();
    assert!(key.starts_with(&format!("{path}/")) && key.ends_with("-stock list.csv"), "{key}");
    let expires = v["expiresIn"].as_u64().unwrap();
    let t = now();
    assert!(expires > t + 7000 && expires <= t + 7200, "{expires} vs now {t}");

    let url = v["presignedUrl"].as_str().unwrap();
    assert!(url.starts_with(&sim.http_url()), "{url}");
    let file = get(url, &[]).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.content_type, "text/csv");
    assert_eq!(file.body, content.as_bytes());
    let stored = sim.files();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].key.as_str(), stored[0].ttl_days), (key, Some(7)));
    assert_eq!(stored[0].bytes, content.as_bytes());

    // The control endpoint lists it too; the URL without its signature does not open it.
    let listed = get(&format!("{}/control/files", sim.http_url()), &[]).await.json();
    assert_eq!(listed[0]["fileKey"], key);
    assert_eq!(listed[0]["fileSize"], content.len());
    assert_eq!(get(url.split('?').next().unwrap(), &[]).await.status, 403);

    // Without storage: the text, and nothing kept.
    let r =
        upload(&sim, &[("includeMetadata", "true"), ("storage", "false")], Some(("a.md", "text/markdown", b"# Title")))
            .await;
    let v = r.json();
    assert_eq!((r.status, &v["success"], &v["text"]), (200, &json!(true), &json!("# Title")));
    for absent in ["fileKey", "presignedUrl", "expiresIn"] {
        assert!(v.get(absent).is_none(), "{absent} in {v}");
    }
    assert_eq!(sim.files().len(), 1);
}

#[tokio::test]
async fn binary_uploads_are_kept_byte_for_byte_and_give_no_text() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).chain(*b"\r\n------captivate-test").collect();
    let r = upload(&sim, &[("storage", "true")], Some(("pic.png", "image/png", &bytes))).await;
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["success"], true);
    assert_eq!(v["text"], "");
    assert!(v["note"].as_str().unwrap().contains("image/png"));
    assert_eq!(v["fileSize"], bytes.len());
    let key = v["fileKey"].as_str().unwrap();
    assert!(key.starts_with("uploads/"), "{key}");
    let file = get(v["presignedUrl"].as_str().unwrap(), &[]).await;
    assert_eq!((file.status, file.content_type.as_str()), (200, "image/png"));
    assert_eq!(file.body, bytes);

    // A generic type whose bytes are UTF-8 text is read as text; with NUL bytes it is not.
    let r =
        upload(&sim, &[("storage", "false")], Some(("blob", "application/octet-stream", "plain ✓".as_bytes()))).await;
    assert_eq!(r.json()["text"], "plain ✓");
    let r = upload(&sim, &[("storage", "false")], Some(("blob", "application/octet-stream", b"a\0b"))).await;
    assert_eq!(r.json()["text"], "");
}

#[tokio::test]
async fn a_chunked_upload_is_read_like_any_other() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (content_type, body) = form(&[("storage", "true")], Some(("notes.txt", "text/plain", b"chunk by chunk")));
    let chunks: Vec<Result<Frame<Bytes>, Infallible>> =
        body.chunks(7).map(|c| Ok(Frame::data(Bytes::copy_from_slice(c)))).collect();
    let stream = BodyExt::boxed(StreamBody::new(futures_util::stream::iter(chunks)));
    let r =
        call("POST", &format!("{}/api/file-to-text", sim.http_url()), &[("content-type", &content_type)], stream).await;
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["text"], "chunk by chunk");
    assert_eq!(get(v["presignedUrl"].as_str().unwrap(), &[]).await.body, b"chunk by chunk");
}

#[tokio::test]
async fn malformed_forms_and_oversized_bodies_are_refused() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let url = format!("{}/api/file-to-text", sim.http_url());
    let refused = |r: Resp, status: u16| {
        assert_eq!(r.status, status, "{r:?}");
        let v = r.json();
        assert_eq!(v["success"], false);
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    };
    let (ct, body) = form(&[("storage", "true")], Some(("a.txt", "text/plain", b"x")));
    refused(call("POST", &url, &[("content-type", "multipart/form-data")], full(body.clone())).await, 400);
    refused(call("POST", &url, &[("content-type", "application/json")], full(body.clone())).await, 400);
    refused(call("POST", &url, &[], full(body.clone())).await, 400);
    let cut = body[..body.len() - 20].to_vec();
    refused(call("POST", &url, &[("content-type", &ct)], full(cut)).await, 400);
    refused(upload(&sim, &[("storage", "true")], None).await, 400);
    refused(upload(&sim, &[("ttlDays", "2")], Some(("a.txt", "text/plain", b"x"))).await, 400);
    refused(upload(&sim, &[("storage", "yes")], Some(("a.txt", "text/plain", b"x"))).await, 400);
    assert!(sim.files().is_empty());

    let big = vec![b'a'; (20 << 20) + 1];
    refused(upload(&sim, &[("storage", "true")], Some(("big.txt", "text/plain", &big))).await, 413);
    assert!(sim.files().is_empty());
}

#[tokio::test]
async fn presigned_urls_are_renewed_and_expire_on_demand() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (mut ws, socket_id) = open(&sim).await;
    let id = start(&sim, &mut ws, &socket_id, "files").await;
    let path = format!("{}/{id}", sim.api_key());
    let up =
        upload(&sim, &[("storage", "true"), ("path", &path)], Some(("r.txt", "text/plain", b"report"))).await.json();
    let key = up["fileKey"].as_str().unwrap().to_owned();
    let old_url = up["presignedUrl"].as_str().unwrap().to_owned();

    // A message carrying the file object, as the official client builds it.
    let storage = json!({"fileKey": key, "presignedUrl": old_url, "expiresIn": up["expiresIn"], "fileSize": up["fileSize"], "processingTime": up["processingTime"]});
    let file_object = json!({"filename": "r.txt", "type": "text/plain", "storage": storage,
        "textContent": {"type": "file_content", "text": "report", "metadata": {"source": "file_attachment", "originalFileName": "r.txt", "storageType": "direct"}}});
    let content = json!({"type": "text", "text": "see attached", "files": [file_object]});
    send(&sim, &socket_id, "user_message", user_message(&id, "with-file", content.clone())).await;
    assert_eq!(recv_type(&mut ws, "bot_message").await["content"][0]["text"], "Hi. I'm the Captivate Bot.");
    assert_eq!(recv_type(&mut ws, "bot_message").await["content"][0]["text"], "Thanks, I received 1 file(s).");

    let transcript_url = format!("{}/api/transcript?conversation_id={id}", sim.http_url());
    let transcript =
        || async { get(&transcript_url, &[("x-api-key", sim.api_key())]).await.json()["transcript"].clone() };
    let t = transcript().await;
    let entry = t.as_array().unwrap().iter().find(|e| e["from"] == "user").unwrap().clone();
    assert_eq!(entry["message_id"], "with-file");
    assert_eq!(entry["files"], json!([file_object]), "the file objects as sent");
    assert_eq!(entry["content"], content);

    // Renewal: a new URL that works beside the old one.
    let presign = format!("{}/api/presigned-url", sim.http_url());
    let renewed = post_json(&presign, &[], &json!({"fileKey": key, "expiresIn": 600})).await;
    assert_eq!(renewed.status, 200);
    let renewed = renewed.json();
    assert_eq!(renewed["success"], true);
    let new_url = renewed["presignedUrl"].as_str().unwrap().to_owned();
    assert_ne!(new_url, old_url);
    assert_eq!(get(&new_url, &[]).await.body, b"report");
    assert_eq!(get(&old_url, &[]).await.body, b"report");
    let default_expiry = post_json(&presign, &[], &json!({"fileKey": key})).await.json();
    assert!(default_expiry["expiresAt"].as_u64().unwrap() > now() + 7000);
    let unknown = post_json(&presign, &[], &json!({"fileKey": "nope"})).await;
    assert_eq!((unknown.status, &unknown.json()["success"]), (404, &json!(false)));
    assert_eq!(post_json(&presign, &[], &json!({"expiresIn": 5})).await.status, 400);
    assert_eq!(post_json(&presign, &[], &json!({"fileKey": key, "expiresIn": -1})).await.status, 400);
    let tampered = old_url.replace("sig=", "sig=0");
    assert_eq!(get(&tampered, &[]).await.status, 403);

    // Expiry on demand: the old links die, the transcript's copy is due for a refresh.
    let expired = post_json(&format!("{}/control/expire-file", sim.http_url()), &[], &json!({"fileKey": key})).await;
    assert_eq!((expired.status, &expired.json()["expired"]), (200, &json!(1)));
    assert_eq!(get(&old_url, &[]).await.status, 403);
    assert_eq!(get(&new_url, &[]).await.status, 403);
    let t = transcript().await;
    let entry = t.as_array().unwrap().iter().find(|e| e["from"] == "user").unwrap().clone();
    let due = entry["files"][0]["storage"]["expiresIn"].as_u64().unwrap();
    assert!(due < now() + 300, "{due}");
    let unknown = post_json(&format!("{}/control/expire-file", sim.http_url()), &[], &json!({"fileKey": "nope"})).await;
    assert_eq!(unknown.status, 404);

    // What the official client does then: a new link, pushed back with edit_message.
    let fresh = post_json(&presign, &[], &json!({"fileKey": key, "expiresIn": 7200})).await.json();
    let fresh_url = fresh["presignedUrl"].as_str().unwrap().to_owned();
    assert_eq!(get(&fresh_url, &[]).await.body, b"report");
    let mut refreshed = entry["files"].clone();
    refreshed[0]["storage"]["presignedUrl"] = json!(fresh_url);
    refreshed[0]["storage"]["expiresIn"] = json!(now() + 7200);
    let mut edited = entry["content"].clone();
    edited["files"] = refreshed.clone();
    let message_id = entry["message_id"].as_str().unwrap();
    let payload = json!({"type": "message_create", "client_msg_id": "edit-1", "conversation_id": id, "message_id": message_id, "content": edited});
    assert_eq!(send(&sim, &socket_id, "edit_message", payload).await.status, 200);
    assert_eq!(recv_type(&mut ws, "message_edited_success").await["message_id"], "with-file");
    let t = transcript().await;
    let entry = t.as_array().unwrap().iter().find(|e| e["from"] == "user").unwrap().clone();
    assert_eq!(entry["files"], refreshed);
    assert_eq!(entry["content"]["text"], "see attached");
    assert_eq!(entry["edited"], true);

    // The Rust side: every file at once.
    assert_eq!(sim.expire_files(None), 1);
    assert_eq!(get(&fresh_url, &[]).await.status, 403);
    assert_eq!(sim.expire_files(Some("nope")), 0);
}

// --- HTTP faults ----------------------------------------------------------------------------

#[tokio::test]
async fn http_status_faults_refuse_the_next_requests_then_clear() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (mut ws, socket_id) = open(&sim).await;
    let set = post_json(
        &format!("{}/control/faults", sim.http_url()),
        &[],
        &json!({"http_status": 503, "http_status_count": 2}),
    )
    .await;
    assert_eq!(set.status, 200, "control endpoints are never faulted");
    for _ in 0..2 {
        let r = send(&sim, &socket_id, "conversation_start", json!({"userId": "f"})).await;
        assert_eq!(r.status, 503);
        assert!(r.json()["error"].is_string());
    }
    assert!(sim.received().is_empty(), "a refused request is not handled");
    assert_eq!(sim.faults(), Faults::default(), "the fault cleared itself");
    let id = start(&sim, &mut ws, &socket_id, "f").await;

    // Only the paths named: uploads fail, sends and transcripts go through.
    sim.set_faults(Faults {
        http_status: Some(500),
        http_paths: vec!["/api/file-to-text".into()],
        ..Faults::default()
    });
    let r = upload(&sim, &[("storage", "true")], Some(("a.txt", "text/plain", b"x"))).await;
    assert_eq!((r.status, &r.json()["success"]), (500, &json!(false)));
    assert_eq!(send(&sim, &socket_id, "metadata_request", json!({"conversation_id": id})).await.status, 200);
    let r = upload(&sim, &[("storage", "true")], Some(("a.txt", "text/plain", b"x"))).await;
    assert_eq!(r.status, 500, "no count: until cleared");
    sim.set_faults(Faults::default());
    assert_eq!(upload(&sim, &[("storage", "true")], Some(("a.txt", "text/plain", b"x"))).await.status, 200);
}

#[tokio::test]
async fn a_delayed_answer_comes_after_the_replies_it_caused() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (mut ws, socket_id) = open(&sim).await;
    let id = start(&sim, &mut ws, &socket_id, "slow").await;
    sim.set_faults(Faults { http_delay: Duration::from_secs(600), ..Faults::default() });
    let mut answer = Box::pin(send(&sim, &socket_id, "user_message", user_message(&id, "m", text("hi"))));
    // The request is handled at once: its replies arrive while its answer is held back.
    let replies = async {
        recv_type(&mut ws, "bot_message").await;
        recv_type(&mut ws, "bot_message").await
    };
    let echo = tokio::select! {
        echo = replies => echo,
        r = &mut answer => panic!("answered before the delay: {r:?}"),
    };
    assert_eq!(echo["content"], json!([text("You said: hi")]));
    assert!((&mut answer).now_or_never().is_none());
    drop(answer); // a client that gives up

    sim.set_faults(Faults { http_delay: Duration::from_millis(20), ..Faults::default() });
    let r = send(&sim, &socket_id, "metadata_request", json!({"conversation_id": id})).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn never_answer_drops_the_handling_of_http_sends() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (mut ws, socket_id) = open(&sim).await;
    let id = start(&sim, &mut ws, &socket_id, "silent").await;
    sim.set_faults(Faults {
        never_answer: vec!["user_message".into(), "metadata_request".into()],
        ..Faults::default()
    });

    // Acknowledged, logged, but the flow never sees it.
    let r = send(&sim, &socket_id, "user_message", user_message(&id, "m", text("hi"))).await;
    assert_eq!(r.status, 200);
    assert!(sim.received().iter().any(|f| f["via"] == "http" && f["event"]["event_type"] == "user_message"));

    // A request whose answer is its reply gets no answer at all.
    let mut held = Box::pin(send(&sim, &socket_id, "metadata_request", json!({"conversation_id": id})));
    let logged = async {
        while !sim.received().iter().any(|f| f["via"] == "http" && f["event"]["event_type"] == "metadata_request") {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        () = logged => {}
        r = &mut held => panic!("the held request was answered: {r:?}"),
    }
    let r = tokio::select! {
        r = send(&sim, &socket_id, "metadata", json!({"conversation_id": id, "metadata": {"k": 1}})) => r,
        r = &mut held => panic!("the held request was answered: {r:?}"),
    };
    assert_eq!(r.status, 200);
    // The first frame on the socket since then is the metadata reply: no bot message came.
    let first = recv(&mut ws).await;
    assert_eq!(first["event"]["event_type"], "metadata_update_success", "{first}");
    assert!((&mut held).now_or_never().is_none());
    drop(held);
}

#[test]
fn http_faults_travel_as_json() {
    let f = Faults {
        http_status: Some(503),
        http_status_count: Some(3),
        http_delay: Duration::from_millis(250),
        http_paths: vec!["/api/transcript".into(), "/files/".into()],
        ..Faults::default()
    };
    assert_eq!(Faults::from_json(&f.to_json()), f);
    let v = json!({"http_status": 503, "http_status_count": 3, "http_delay_ms": 250, "http_paths": ["/api/transcript", "/files/"]});
    assert_eq!(Faults::from_json(&v), f);
    assert_eq!(Faults::from_json(&json!({"http_status": 42})).http_status, None, "not a status");
}
