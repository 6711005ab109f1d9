//! The minimal hub: a small, fast WebSocket server that answers exactly what the benchmark
//! asks and nothing else, so that the client under test is what gets measured.
//!
//! - On connect: `socket_connected` with a fresh `socket_id`.
//! - `conversation_start` -> `conversation_start_success` with a fresh `conversation_id`
//!   (the userId, `-`, a UUID-shaped counter).
//! - `user_message` with text -> `bot_message` `You said: <text>` naming the conversation, as
//!   its first text item, followed in turn by the other item kinds the hub sends (buttons,
//!   files, cards), in each key order the hub uses (see [`bot_echo`]).
//! - Pings get pongs (tungstenite queues them; they go out with the next flush).
//!
//! It reads every frame that is ready, answers them all, then flushes once, on one thread
//! (a current-thread runtime on the main thread, so that `/proc/<pid>/schedstat` holds all of
//! its CPU time). Run as `bench hub`: prints its URL and serves until killed, or until its
//! standard input closes when that is a pipe (the driver's).

use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt, future::poll_fn};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::wire::{self, ClientFrame, ECHO_PREFIX};

/// The most frames read before answering them.
const MAX_BATCH: usize = 1024;

/// Ids: sockets, conversations, events (one counter; unique within the hub's life).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Serves until standard input closes (the driver holds it open). `spin` is CPU time burnt per
/// frame answered (zero but to check that the driver catches a saturated hub).
pub fn main(spin: Duration) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let mut out = std::io::stdout();
        writeln!(out, "ws://127.0.0.1:{port}/dev")?;
        out.flush()?;
        // Started by the driver (standard input is its pipe): end with it, whatever way it
        // ends. A blocked read on its own thread costs no CPU.
        if std::fs::metadata("/proc/self/fd/0").is_ok_and(|m| m.file_type().is_fifo()) {
            std::thread::spawn(|| {
                let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
                std::process::exit(0);
            });
        }
        loop {
            let (tcp, _) = listener.accept().await?;
            let _ = tcp.set_nodelay(true);
            tokio::spawn(serve(tcp, spin));
        }
    })
}

async fn serve(tcp: TcpStream, spin: Duration) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
    let hello = hub_frame("socket_connected", &format!(r#"{{"socket_id":"bench-socket-{}"}}"#, next_id()));
    if ws.send(Message::text(hello)).await.is_err() {
        return;
    }
    let mut batch = Vec::with_capacity(64);
    loop {
        let closed = poll_fn(|cx| read_ready(&mut ws, cx, &mut batch)).await;
        for message in batch.drain(..) {
            if !spin.is_zero() {
                let until = Instant::now() + spin;
                while Instant::now() < until {}
            }
            if let Message::Text(text) = message
                && let Some(reply) = answer(text.as_str())
                && ws.feed(Message::text(reply)).await.is_err()
            {
                return;
            }
        }
        if ws.flush().await.is_err() || closed {
            return;
        }
    }
}

/// Moves every frame that is ready into `batch`; ready once there is at least one (or the
/// connection ended: `true`).
fn read_ready(ws: &mut WebSocketStream<TcpStream>, cx: &mut Context<'_>, batch: &mut Vec<Message>) -> Poll<bool> {
    loop {
        match ws.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(m))) => {
                batch.push(m);
                if batch.len() >= MAX_BATCH {
                    return Poll::Ready(false);
                }
            }
            Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(true),
            Poll::Pending if batch.is_empty() => return Poll::Pending,
            Poll::Pending => return Poll::Ready(false),
        }
    }
}

/// The hub's answer to a client frame, if it has one.
fn answer(text: &str) -> Option<String> {
    quick_echo(text).or_else(|| parsed_answer(text))
}

/// The echo of a `user_message` in its usual shape, read without a parser: the conversation id
/// and the text are copied as the JSON string literals they are (escapes kept), so the echo says
/// exactly what a parsed one would. Anything unusual (a member missing or there twice, an empty
/// text) is left to [`parsed_answer`]. A JSON string cannot hold an unescaped `"`, so a member
/// name found with its quotes is a member name, not text inside a value.
fn quick_echo(text: &str) -> Option<String> {
    fn once<'a>(text: &'a str, name: &str) -> Option<&'a str> {
        let at = text.find(name)?;
        let rest = &text[at + name.len()..];
        (!rest.contains(name)).then_some(rest)
    }
    /// The body of the string literal `rest` starts with (after its opening quote).
    fn literal(rest: &str) -> Option<&str> {
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return Some(&rest[..i]),
                _ => i += 1,
            }
        }
        None
    }
    once(text, r#""event_type":"user_message""#)?;
    let conversation = literal(once(text, r#""conversation_id":""#)?)?;
    let said = literal(once(text, r#""text":""#)?)?;
    if said.is_empty() || text.contains(r#""files""#) {
        return None;
    }
    Some(bot_echo(conversation, said))
}

/// The hub's answer to a client frame, read by the parser.
fn parsed_answer(text: &str) -> Option<String> {
    let frame: ClientFrame = serde_json::from_str(text).ok()?;
    let payload = &frame.event.event_payload;
    match &*frame.event.event_type {
        "conversation_start" => {
            let user = payload.user_id.as_deref().unwrap_or("anon");
            let id = format!("{user}-{:08x}-0000-4000-8000-000000000000", next_id());
            Some(hub_frame(
                "conversation_start_success",
                &format!(r#"{{"conversation_id":{}}}"#, wire::json_string(&id)),
            ))
        }
        "user_message" => {
            let conversation = payload.conversation_id.as_deref()?;
            let said = payload.content.as_ref()?.text.as_deref().filter(|t| !t.is_empty())?;
            Some(bot_echo(string_body(&wire::json_string(conversation)), string_body(&wire::json_string(said))))
        }
        _ => None,
    }
}

/// The body of a JSON string literal (without its quotes).
fn string_body(literal: &str) -> &str {
    &literal[1..literal.len() - 1]
}

/// `{"action": "receiveMessage", "event": {...}}` with a fresh `event_id`, around `payload`
/// (written into `out` by `payload`).
fn frame_with(event_type: &str, capacity: usize, payload: impl FnOnce(&mut String, &str)) -> String {
    let id = next_id().to_string();
    let mut out = String::with_capacity(120 + capacity);
    out.push_str(r#"{"action":"receiveMessage","event":{"event_type":""#);
    out.push_str(event_type);
    out.push_str(r#"","event_id":"e"#);
    out.push_str(&id);
    out.push_str(r#"","event_payload":"#);
    payload(&mut out, &id);
    out.push_str(r#","accepts_response_payload":false}}"#);
    out
}

/// A hub frame whose payload is the JSON text `payload`.
fn hub_frame(event_type: &str, payload: &str) -> String {
    frame_with(event_type, payload.len(), |out, _| out.push_str(payload))
}

/// The item kinds that follow the echo's text, in turn: none, the hub's `button` spelling,
/// files, cards, `buttons`, and several at once (as the hub's greeting and agents' messages).
/// The core's fast-path test reads the same sets.
static EXTRA_ITEMS: LazyLock<Vec<String>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../core/tests/fixtures/content_item_sets.json"))
        .expect("the item sets are a JSON list of strings")
});

/// The bot's echo (`You said: …`) in `conversation`; both are bodies of JSON string literals,
/// escapes kept. The echo is the message's first text item, as the clients read it, and the
/// frame takes each shape the hub sends in turn: the item kinds of [`EXTRA_ITEMS`], each in
/// the key order of the client's usual expectation, in the hub's own order (as
/// `vectors/receive/bot_message_text_and_buttons.json`: `text` before `type`, the payload
/// before the event's id) and with every object's keys sorted, so that a client's fast path for
/// one shape is measured on all of them.
fn bot_echo(conversation: &str, said: &str) -> String {
    let id = next_id();
    let extra = EXTRA_ITEMS[(id % EXTRA_ITEMS.len() as u64) as usize].as_str();
    let order = (id / EXTRA_ITEMS.len() as u64) % 3;
    let mut out = String::with_capacity(260 + conversation.len() + said.len() + extra.len());
    let text_item = |out: &mut String, text_first: bool| {
        let text = |out: &mut String| {
            out.push_str(r#""text":""#);
            out.push_str(ECHO_PREFIX);
            out.push_str(said);
            out.push('"');
        };
        out.push('{');
        if text_first {
            text(out);
            out.push_str(r#","type":"text""#);
        } else {
            out.push_str(r#""type":"text","#);
            text(out);
        }
        out.push('}');
    };
    let id = id.to_string();
    match order {
        // The order the clients' fast paths expect.
        0 => {
            out.push_str(r#"{"action":"receiveMessage","event":{"event_type":"bot_message","event_id":"e"#);
            out.push_str(&id);
            out.push_str(r#"","event_payload":{"type":"message_create","ch_msg_id":"m"#);
            out.push_str(&id);
            out.push_str(r#"","conversation_id":""#);
            out.push_str(conversation);
            out.push_str(r#"","content":["#);
            text_item(&mut out, false);
            out.push_str(extra);
            out.push_str(r#"]},"accepts_response_payload":false}}"#);
        }
        // The hub's own order.
        1 => {
            out.push_str(r#"{"action":"receiveMessage","event":{"event_type":"bot_message","event_payload":{"type":"message_create","ch_msg_id":"m"#);
            out.push_str(&id);
            out.push_str(r#"","bot":{},"conversation_id":""#);
            out.push_str(conversation);
            out.push_str(r#"","content":["#);
            text_item(&mut out, true);
            out.push_str(extra);
            out.push_str(r#"]},"event_id":""#);
            out.push_str(&id);
            out.push_str(r#"=","accepts_response_payload":false}}"#);
        }
        // Every object's keys sorted.
        _ => {
            out.push_str(r#"{"action":"receiveMessage","event":{"accepts_response_payload":false,"event_id":"e"#);
            out.push_str(&id);
            out.push_str(r#"","event_payload":{"bot":{},"ch_msg_id":"m"#);
            out.push_str(&id);
            out.push_str(r#"","content":["#);
            text_item(&mut out, true);
            out.push_str(extra);
            out.push_str(r#"],"conversation_id":""#);
            out.push_str(conversation);
            out.push_str(r#"","type":"message_create"},"event_type":"bot_message"}}"#);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The echo's fields, parsed.
    fn fields(reply: &str) -> (String, String, String) {
        let v: serde_json::Value = serde_json::from_str(reply).expect("the reply is JSON");
        let e = &v["event"];
        let p = &e["event_payload"];
        (
            e["event_type"].as_str().unwrap().to_owned(),
            p["conversation_id"].as_str().unwrap().to_owned(),
            p["content"][0]["text"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn the_quick_echo_says_what_the_parsed_one_says() {
        let frames = [
            r#"{"action":"sendMessage","event":{"event_type":"user_message","event_payload":{"client_msg_id":"1","conversation_id":"c-1","content":{"type":"text","text":"hi"}}}}"#,
            r#"{"action":"sendMessage","event":{"event_type":"user_message","event_payload":{"conversation_id":"c\"2","content":{"text":"a \"quoted\" \\ \u00e9 line\n","type":"text"}}}}"#,
            r#"{"event":{"event_payload":{"content":{"type":"text","text":"x\\"},"conversation_id":"c3"},"event_type":"user_message"}}"#,
        ];
        for frame in frames {
            let quick = quick_echo(frame).expect("the usual shape is read quickly");
            let parsed = parsed_answer(frame).expect("and by the parser");
            let (q, p) = (fields(&quick), fields(&parsed));
            assert_eq!(q, p, "{frame}");
            assert_eq!(q.0, "bot_message");
        }
    }

    #[test]
    fn echoes_take_every_shape_the_hub_sends() {
        let mut kinds = std::collections::BTreeSet::new();
        let mut orders = std::collections::BTreeSet::new();
        for i in 0..36 {
            let reply = bot_echo("c\\\"1", &format!("m{i} \\u00e9"));
            let (event_type, conversation, text) = fields(&reply);
            assert_eq!(event_type, "bot_message");
            assert_eq!(conversation, "c\"1");
            assert_eq!(text, format!("You said: m{i} \u{e9}"));
            let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
            for item in v["event"]["event_payload"]["content"].as_array().unwrap() {
                kinds.insert(item["type"].as_str().unwrap().to_owned());
            }
            // Where the payload's content stands among its keys tells the order apart.
            let at = |k: &str| reply.find(k).unwrap();
            orders.insert((
                at(r#""event_type""#) < at(r#""event_payload""#),
                at(r#""event_id""#) < at(r#""event_payload""#),
                at(r#""content""#) < at(r#""conversation_id""#),
            ));
        }
        assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["button", "buttons", "cards", "files", "text"]);
        assert_eq!(orders.len(), 2 + 1, "three key orders: {orders:?}");
    }

    #[test]
    fn anything_unusual_goes_to_the_parser() {
        for frame in [
            r#"{"event":{"event_type":"user_message","event_payload":{"conversation_id":"c","content":{"type":"text","text":""}}}}"#,
            r#"{"event":{"event_type":"conversation_start","event_payload":{"userId":"u","text":"t","conversation_id":"c"}}}"#,
            r#"{"event":{"event_type":"user_message","event_payload":{"conversation_id":"c","content":{"text":"a","files":[{"text":"b"}]}}}}"#,
            r#"{"event":{"event_type":"user_message","event_payload":{"conversation_id":"c","content":{"type":"text","text":"unterminated}}}}"#,
        ] {
            assert!(quick_echo(frame).is_none(), "{frame}");
        }
        let start = r#"{"event":{"event_type":"conversation_start","event_payload":{"userId":"u"}}}"#;
        assert!(answer(start).is_some_and(|r| r.contains("conversation_start_success")));
    }
}
