//! The scenarios with the library: `captivate::Client` and `Conversation`, used as the
//! documentation shows.

use std::time::{Duration, Instant};

use captivate::{Client, Config, Conversation, EventStream, StartMode, StartOptions};

use crate::probe::{Figures, Phase, percentile_us, rss_kib};
use crate::scenario::{Args, Scenario, message};
use crate::wire::{API_KEY, ECHO_PREFIX};

type Result<T> = std::result::Result<T, String>;

/// Runs one scenario.
pub async fn run(args: Args) -> Result<Figures> {
    match args.scenario {
        Scenario::Connect { n } => connect(&args, n).await,
        Scenario::RoundTrip { n, warmup } => round_trips(&args, n, warmup).await,
        Scenario::Pipelined { n, batches } => pipelined(&args, n, batches).await,
        Scenario::Conversations { n } => conversations(&args, n).await,
    }
}

async fn connect_client(url: &str) -> Result<Client> {
    let mut config = Config::new(API_KEY).url(url);
    // The pipelined runs put up to 40,000 echoes in one stream before it is read: a stream
    // keeps that many (the default, 10,000, would drop the oldest and the run would fail).
    config.timings.max_backlog = 100_000;
    Client::connect(config).await.map_err(|e| format!("connect: {e}"))
}

async fn start(client: &Client, user: String) -> Result<Conversation> {
    client
        .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new(user) })
        .await
        .map_err(|e| format!("start_conversation: {e}"))
}

/// Waits for the bot's echo `want`; an other echo first means one was lost or reordered.
async fn echo(events: &mut EventStream, want: &str) -> Result<()> {
    loop {
        let event = events.next().await.ok_or("the event stream ended")?;
        if let Some(text) = event.text() {
            if text == want {
                return Ok(());
            }
            if text.starts_with(ECHO_PREFIX) {
                return Err(format!("expected {want:?}, got {text:?}"));
            }
        }
    }
}

async fn connect(args: &Args, n: usize) -> Result<Figures> {
    let _warm = connect_client(&args.url).await?;
    let before = rss_kib();
    let mut clients = Vec::with_capacity(n);
    let mut samples = Vec::with_capacity(n);
    let phase = Phase::start(args.hub_pid);
    for _ in 0..n {
        let t = Instant::now();
        clients.push(connect_client(&args.url).await?);
        samples.push(t.elapsed());
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
    let client = connect_client(&args.url).await?;
    let conversation = start(&client, "bench-user".into()).await?;
    let mut events = conversation.events();
    let mut samples = Vec::with_capacity(n);
    let mut phase = None;
    for i in 0..warmup + n {
        if i == warmup {
            phase = Some(Phase::start(args.hub_pid));
        }
        let (text, want) = message('r', i);
        let t = Instant::now();
        let sent = conversation.send_message(text);
        echo(&mut events, &want).await?;
        sent.await.map_err(|e| format!("send_message: {e}"))?;
        if i >= warmup {
            samples.push(t.elapsed());
        }
    }
    let m = phase.ok_or("no timed round trip")?.finish();
    client.close().await;
    Ok(Figures::default()
        .set("rt_p50_us", percentile_us(&mut samples, 0.5))
        .set("rt_p99_us", percentile_us(&mut samples, 0.99))
        .set("rt_cpu_us", m.cpu_ns as f64 / n as f64 / 1e3)
        .set("hub_load", m.hub_load))
}

async fn batch(conversation: &Conversation, events: &mut EventStream, tag: char, n: usize) -> Result<()> {
    let sent: Vec<_> = (0..n).map(|i| conversation.send_message(message(tag, i).0)).collect();
    for i in 0..n {
        echo(events, &message(tag, i).1).await?;
    }
    for s in sent {
        s.await.map_err(|e| format!("send_message: {e}"))?;
    }
    Ok(())
}

async fn pipelined(args: &Args, n: usize, batches: usize) -> Result<Figures> {
    let client = connect_client(&args.url).await?;
    let conversation = start(&client, "bench-user".into()).await?;
    let mut events = conversation.events();
    batch(&conversation, &mut events, 'w', n.min(1000)).await?;
    let phase = Phase::start(args.hub_pid);
    for _ in 0..batches {
        batch(&conversation, &mut events, 'p', n).await?;
    }
    let m = phase.finish();
    client.close().await;
    let total = (n * batches) as f64;
    Ok(Figures::default()
        .set("msgs_per_s", total / m.wall.as_secs_f64())
        .set("cpu_per_msg_us", m.cpu_ns as f64 / total / 1e3)
        .set("hub_load", m.hub_load))
}

async fn conversations(args: &Args, n: usize) -> Result<Figures> {
    let client = connect_client(&args.url).await?;
    let _warm = start(&client, "warm-up".into()).await?;
    let before = rss_kib();
    let mut kept = Vec::with_capacity(n);
    let phase = Phase::start(args.hub_pid);
    for i in 0..n {
        kept.push(start(&client, format!("user{i}")).await?);
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
