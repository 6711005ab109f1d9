//! The same scenarios written by hand on tokio-tungstenite, as a user without the library
//! would: TCP_NODELAY, typed `serde` frames, a UUID per message, one read loop per idle connection, and a
//! writer joined with the reader when pipelining (buffered writes, one flush per batch).
//! Also the check of a hub (the minimal one, or the local hub `captivate-sim`): a message's
//! round trip against a WebSocket ping/pong on the same socket.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::probe::{Figures, Phase, percentile_us, rss_kib};
use crate::scenario::{Args, Scenario, message};
use crate::wire::{self, API_KEY, HubFrame};

type Result<T> = std::result::Result<T, String>;
type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Runs one scenario.
pub async fn run(args: Args) -> Result<Figures> {
    match args.scenario {
        Scenario::Connect { n } => connect(&args, n).await,
        Scenario::RoundTrip { n, warmup } => round_trips(&args, n, warmup).await,
        Scenario::Pipelined { n, batches } => pipelined(&args, n, batches).await,
        Scenario::Conversations { n } => conversations(&args, n).await,
    }
}

/// The next text frame.
async fn next_text<S>(ws: &mut S) -> Result<Utf8Bytes>
where
    S: futures_util::Stream<Item = std::result::Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("the hub closed the connection".into()),
        }
    }
}

fn parse(text: &str) -> Result<HubFrame<'_>> {
    serde_json::from_str(text).map_err(|e| format!("bad frame {text:?}: {e}"))
}

/// Connects and waits for `socket_connected`; `url` may carry its key already.
async fn connect_ws(url: &str) -> Result<Ws> {
    let url = if url.contains('?') { url.to_owned() } else { format!("{url}?apiKey={API_KEY}") };
    // TCP_NODELAY, as the library sets it.
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(url, None, true).await.map_err(|e| format!("connect: {e}"))?;
    loop {
        let text = next_text(&mut ws).await?;
        let frame = parse(&text)?;
        if frame.event.event_type == "socket_connected" {
            frame.event.event_payload.socket_id.ok_or("socket_connected without a socket_id")?;
            return Ok(ws);
        }
    }
}

async fn send(ws: &mut Ws, frame: String) -> Result<()> {
    ws.send(Message::text(frame)).await.map_err(|e| format!("write: {e}"))
}

async fn start(ws: &mut Ws, user: &str) -> Result<String> {
    send(ws, wire::conversation_start(user)).await?;
    loop {
        let text = next_text(ws).await?;
        let frame = parse(&text)?;
        if frame.event.event_type == "conversation_start_success" {
            return frame
                .event
                .event_payload
                .conversation_id
                .map(|c| c.into_owned())
                .ok_or("no conversation_id".into());
        }
    }
}

fn user_message(conversation: &str, text: &str) -> Message {
    Message::text(wire::user_message(conversation, &uuid::Uuid::new_v4().to_string(), text))
}

/// Reads up to the bot's echo `want`; an other echo first means one was lost or reordered.
async fn echo<S>(ws: &mut S, want: &str) -> Result<()>
where
    S: futures_util::Stream<Item = std::result::Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let text = next_text(ws).await?;
        let frame = parse(&text)?;
        if frame.event.event_type == "bot_message"
            && let Some(said) = frame.text()
        {
            if said == want {
                return Ok(());
            }
            if said.starts_with(wire::ECHO_PREFIX) {
                return Err(format!("expected {want:?}, got {said:?}"));
            }
        }
    }
}

async fn connect(args: &Args, n: usize) -> Result<Figures> {
    // An idle connection, as a user keeps it: a task reading it (and so answering pings).
    let idle = |ws: Ws| tokio::spawn(ws.for_each(|_| async {}));
    let _warm = idle(connect_ws(&args.url).await?);
    let before = rss_kib();
    let mut clients = Vec::with_capacity(n);
    let mut samples = Vec::with_capacity(n);
    let phase = Phase::start(args.hub_pid);
    for _ in 0..n {
        let t = Instant::now();
        let ws = connect_ws(&args.url).await?;
        samples.push(t.elapsed());
        clients.push(idle(ws));
    }
    let m = phase.finish();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = rss_kib();
    Ok(Figures::default()
        .set("connect_p50_us", percentile_us(&mut samples, 0.5))
        .set("connect_cpu_us", m.cpu_ns as f64 / n as f64 / 1e3)
        .set("rss_per_client_kib", after.saturating_sub(before) as f64 / n as f64)
        .set("hub_load", m.hub_load))
}

async fn round_trips(args: &Args, n: usize, warmup: usize) -> Result<Figures> {
    let mut ws = connect_ws(&args.url).await?;
    let conversation = start(&mut ws, "bench-user").await?;
    let mut samples = Vec::with_capacity(n);
    let mut phase = None;
    for i in 0..warmup + n {
        if i == warmup {
            phase = Some(Phase::start(args.hub_pid));
        }
        let (text, want) = message('r', i);
        let t = Instant::now();
        ws.send(user_message(&conversation, &text)).await.map_err(|e| format!("write: {e}"))?;
        echo(&mut ws, &want).await?;
        if i >= warmup {
            samples.push(t.elapsed());
        }
    }
    let m = phase.ok_or("no timed round trip")?.finish();
    let _ = ws.close(None).await;
    Ok(Figures::default()
        .set("rt_p50_us", percentile_us(&mut samples, 0.5))
        .set("rt_p99_us", percentile_us(&mut samples, 0.99))
        .set("rt_cpu_us", m.cpu_ns as f64 / n as f64 / 1e3)
        .set("hub_load", m.hub_load))
}

type Sink = futures_util::stream::SplitSink<Ws, Message>;
type Stream = futures_util::stream::SplitStream<Ws>;

/// Writes `n` messages (buffered, one flush at the end) while reading their echoes.
async fn batch(sink: &mut Sink, stream: &mut Stream, conversation: &str, tag: char, n: usize) -> Result<()> {
    let write = async {
        for i in 0..n {
            sink.feed(user_message(conversation, &message(tag, i).0)).await.map_err(|e| format!("write: {e}"))?;
        }
        sink.flush().await.map_err(|e| format!("write: {e}"))
    };
    let read = async {
        for i in 0..n {
            echo(stream, &message(tag, i).1).await?;
        }
        Ok(())
    };
    let (w, r): (Result<()>, Result<()>) = tokio::join!(write, read);
    w.and(r)
}

async fn pipelined(args: &Args, n: usize, batches: usize) -> Result<Figures> {
    let mut ws = connect_ws(&args.url).await?;
    let conversation = start(&mut ws, "bench-user").await?;
    let (mut sink, mut stream) = ws.split();
    batch(&mut sink, &mut stream, &conversation, 'w', n.min(1000)).await?;
    let phase = Phase::start(args.hub_pid);
    for _ in 0..batches {
        batch(&mut sink, &mut stream, &conversation, 'p', n).await?;
    }
    let m = phase.finish();
    let _ = sink.close().await;
    let total = (n * batches) as f64;
    Ok(Figures::default()
        .set("msgs_per_s", total / m.wall.as_secs_f64())
        .set("cpu_per_msg_us", m.cpu_ns as f64 / total / 1e3)
        .set("hub_load", m.hub_load))
}

async fn conversations(args: &Args, n: usize) -> Result<Figures> {
    let mut ws = connect_ws(&args.url).await?;
    let _warm = start(&mut ws, "warm-up").await?;
    let before = rss_kib();
    let mut kept = Vec::with_capacity(n);
    let phase = Phase::start(args.hub_pid);
    for i in 0..n {
        kept.push(start(&mut ws, &format!("user{i}")).await?);
    }
    let m = phase.finish();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = rss_kib();
    Ok(Figures::default()
        .set("start_us", m.wall.as_secs_f64() * 1e6 / n as f64)
        .set("start_cpu_us", m.cpu_ns as f64 / n as f64 / 1e3)
        .set("rss_per_conv_kib", after.saturating_sub(before) as f64 / n as f64)
        .set("hub_load", m.hub_load))
}

/// A hub's check: `n` round trips of a user message to its echo, interleaved with `n` ping/pong
/// round trips on the same socket, after `warmup` of each. `url` may carry the key.
pub async fn hub_check(url: &str, n: usize, warmup: usize) -> Result<Figures> {
    let mut ws = connect_ws(url).await?;
    let conversation = start(&mut ws, "bench-user").await?;
    let (mut messages, mut pings) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..warmup + n {
        let (text, want) = message('s', i);
        let t = Instant::now();
        ws.send(user_message(&conversation, &text)).await.map_err(|e| format!("write: {e}"))?;
        echo(&mut ws, &want).await?;
        let m = t.elapsed();
        let payload = Bytes::from(i.to_string());
        let t = Instant::now();
        ws.send(Message::Ping(payload.clone())).await.map_err(|e| format!("write: {e}"))?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Pong(p))) if p == payload => break,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(format!("read: {e}")),
                None => return Err("the hub closed the connection".into()),
            }
        }
        let p = t.elapsed();
        if i >= warmup {
            messages.push(m);
            pings.push(p);
        }
    }
    let _ = ws.close(None).await;
    Ok(Figures::default()
        .set("msg_p50_us", percentile_us(&mut messages, 0.5))
        .set("msg_p99_us", percentile_us(&mut messages, 0.99))
        .set("ping_p50_us", percentile_us(&mut pings, 0.5))
        .set("ping_p99_us", percentile_us(&mut pings, 0.99)))
}
