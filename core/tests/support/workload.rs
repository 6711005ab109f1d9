//! A workload for fault tests: one real [`Client`] reaching the local hub through the
//! fault-injecting proxy, several conversations on it sending numbered messages at once, and a
//! record of what the application saw: every call's outcome and every event, with when it came.
//! [`super::verdict`] checks that record against what the hub received.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use captivate::{Client, Config, Conversation, Delivery, Error, Event, EventStream, StartMode, StartOptions};
use captivate_sim::proxy::Proxy;
use captivate_sim::{Sim, SimConfig};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long a call may take before it counts as hung: far longer than any timeout of
/// [`config`], so a call still pending then never completed.
pub const CALL_WAIT: Duration = Duration::from_secs(60);

/// How long the tests wait for something that must happen (a reconnect, a late delivery).
pub const WAIT: Duration = Duration::from_secs(20);

/// The client's configuration: small timings, so that a dead link is noticed within seconds.
pub fn config(sim: &Sim, proxy: &Proxy, delivery: Delivery) -> Config {
    let mut c = Config::new(sim.api_key()).url(proxy.url_for(&sim.base_url()));
    let t = &mut c.timings;
    t.ping_interval = Duration::from_secs(1);
    t.liveness_grace = Duration::from_secs(1);
    t.request_timeout = Duration::from_secs(2);
    t.connect_timeout = Duration::from_secs(2);
    t.reconnect.initial_delay = Duration::from_millis(50);
    t.reconnect.max_delay = Duration::from_millis(500);
    t.delivery = delivery;
    c
}

/// Events taken from one stream as they came, each with when it was taken.
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<(Instant, Event)>>>);

impl Seen {
    /// A copy of what was seen so far.
    pub fn all(&self) -> Vec<(Instant, Event)> {
        self.0.lock().unwrap().clone()
    }

    /// The events seen so far, without their times.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().iter().map(|(_, e)| e.clone()).collect()
    }

    /// The first event seen after `since` (or at all, for `None`) satisfying `f`, with when
    /// it was seen, if there is one.
    pub fn find_after(&self, since: Option<Instant>, f: impl Fn(&Event) -> bool) -> Option<(Instant, Event)> {
        let log = self.0.lock().unwrap();
        log.iter().find(|(t, e)| since.is_none_or(|s| *t >= s) && f(e)).cloned()
    }

    /// When the first event seen after `since` (or at all, for `None`) satisfying `f` was
    /// seen, if it was.
    pub fn first_after(&self, since: Option<Instant>, f: impl Fn(&Event) -> bool) -> Option<Instant> {
        self.find_after(since, f).map(|(t, _)| t)
    }

    /// Waits (at most [`WAIT`]) for an event seen after `since` (or at all, for `None`)
    /// satisfying `f`; the event and when it was seen.
    pub async fn wait_event(&self, what: &str, since: Option<Instant>, f: impl Fn(&Event) -> bool) -> (Instant, Event) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = self.find_after(since, &f) {
                return found;
            }
            assert!(Instant::now() < deadline, "no {what} within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// As [`Seen::wait_event`], only when.
    pub async fn wait_after(&self, what: &str, since: Option<Instant>, f: impl Fn(&Event) -> bool) -> Instant {
        self.wait_event(what, since, f).await.0
    }
}

/// Reads a stream into a [`Seen`] until the stream ends or the listener is dropped.
pub struct Listener {
    /// What it has seen.
    pub seen: Seen,
    task: JoinHandle<()>,
}

impl Listener {
    /// Starts reading `stream`.
    pub fn start(mut stream: EventStream) -> Listener {
        let seen = Seen::default();
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Some(e) = stream.next().await {
                log.0.lock().unwrap().push((Instant::now(), e));
            }
        });
        Listener { seen, task }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// True for a state change to the state named `name`.
pub fn is_state(e: &Event, name: &str) -> bool {
    matches!(e, Event::State(s) if s.current.name() == name)
}

/// The hub, the proxy in front of it, a client connected through the proxy, its conversations
/// and their listeners.
pub struct Rig {
    /// The hub.
    pub sim: Sim,
    /// The proxy between the client and the hub.
    pub proxy: Proxy,
    /// The client under test.
    pub client: Client,
    /// Its conversations, started by the client (user first: no greeting).
    pub convs: Vec<Conversation>,
    /// One listener per conversation, in the order of `convs`.
    pub listeners: Vec<Listener>,
    /// The client-level events (connection states).
    pub states: Listener,
    /// The delivery mode of the client.
    pub delivery: Delivery,
}

impl Rig {
    /// Starts a hub, a proxy and a client with `conversations` conversations.
    pub async fn start(delivery: Delivery, conversations: usize) -> Rig {
        Rig::start_with(delivery, conversations, |_, _| {}).await
    }

    /// As [`Rig::start`], with the client's configuration adjusted by `adjust` (which sees the
    /// hub, for its HTTP side).
    pub async fn start_with(delivery: Delivery, conversations: usize, adjust: impl FnOnce(&mut Config, &Sim)) -> Rig {
        let sim = Sim::start(SimConfig::default()).await.expect("the hub starts");
        let proxy = Proxy::start(format!("127.0.0.1:{}", sim.port())).await.expect("the proxy starts");
        let mut config = config(&sim, &proxy, delivery);
        adjust(&mut config, &sim);
        let client = Client::connect(config).await.expect("connects through the proxy");
        let states = Listener::start(client.events());
        let mut convs = Vec::new();
        let mut listeners = Vec::new();
        for i in 0..conversations {
            let options = StartOptions { mode: StartMode::UserFirst, ..StartOptions::new(format!("faults-{i}")) };
            let conv = client.start_conversation(options).await.expect("a conversation starts");
            listeners.push(Listener::start(conv.events()));
            convs.push(conv);
        }
        Rig { sim, proxy, client, convs, listeners, states, delivery }
    }

    /// Waits until the client is connected again after `since`; when it was seen.
    pub async fn reconnected_after(&self, since: Instant) -> Instant {
        self.states.seen.wait_after("reconnect", Some(since), |e| is_state(e, "connected")).await
    }

    /// The reconnects so far: the `connected` state changes after the first (the client's
    /// first stream gets the changes from before it was made too).
    pub fn reconnects(&self) -> usize {
        self.states.seen.events().iter().filter(|e| is_state(e, "connected")).count().saturating_sub(1)
    }
}

/// Resets every connection through the proxy and waits until each reset was carried out (the
/// proxy does it on each connection's own task), so that nothing held back is forwarded after
/// this returns.
pub async fn reset_all(proxy: &Proxy) -> usize {
    let before = proxy.stats().resets;
    let n = proxy.reset_all();
    let deadline = Instant::now() + WAIT;
    while proxy.stats().resets < before + n as u64 {
        assert!(Instant::now() < deadline, "the proxy did not reset {n} connections within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    n
}

/// The text of message `n` of conversation `conv`.
pub fn label(conv: usize, n: usize) -> String {
    format!("c{conv} m{n:04}")
}

/// Reads a [`label`] back: the conversation and the number.
pub fn parse_label(text: &str) -> Option<(usize, usize)> {
    let (c, m) = text.strip_prefix('c')?.split_once(" m")?;
    Some((c.parse().ok()?, m.parse().ok()?))
}

/// How many messages each conversation sends and how fast.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Messages per conversation.
    pub per_conversation: usize,
    /// The pause between two sends of one conversation.
    pub pace: Duration,
}

/// How many sends the workload has made so far, for a fault script to wait on.
#[derive(Clone)]
pub struct Progress {
    tx: Arc<watch::Sender<usize>>,
    /// The sends the workload makes in all.
    pub total: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress { tx: Arc::new(watch::channel(0).0), total }
    }

    fn add(&self) {
        self.tx.send_modify(|n| *n += 1);
    }

    /// Waits until `fraction` of the sends were made.
    pub async fn reached(&self, fraction: f64) {
        let want = ((self.total as f64) * fraction).ceil() as usize;
        let _ = self.tx.subscribe().wait_for(|n| *n >= want).await;
    }
}

/// One `send_message` call and how it ended.
#[derive(Clone, Debug)]
pub struct Call {
    /// Its conversation (an index into [`Rig::convs`]).
    pub conv: usize,
    /// Its number in the conversation's sequence.
    pub n: usize,
    /// The text sent ([`label`]).
    pub text: String,
    /// When the call was made.
    pub made: Instant,
    /// When it completed and with what; `None` if it did not within [`CALL_WAIT`] (hung).
    pub outcome: Option<(Instant, Result<String, Error>)>,
}

impl Call {
    /// The `client_msg_id` the outcome names, if it names one.
    pub fn client_msg_id(&self) -> Option<&str> {
        match &self.outcome {
            Some((_, Ok(id))) => Some(id),
            Some((_, Err(Error::Unconfirmed { client_msg_id, .. })))
            | Some((_, Err(Error::PossiblyNotDelivered { client_msg_id }))) => Some(client_msg_id),
            _ => None,
        }
    }

    /// The error the call ended with, if it failed.
    pub fn error(&self) -> Option<&Error> {
        match &self.outcome {
            Some((_, Err(e))) => Some(e),
            _ => None,
        }
    }
}

/// Each conversation sends `plan.per_conversation` numbered messages, paced, all conversations
/// at once, each call awaited on its own task (so that calls overlap); `fault` runs alongside
/// with the workload's [`Progress`]. Returns every call once all have completed (or hung), and
/// what `fault` returned.
pub async fn run<F, Fut, T>(rig: &Rig, plan: Plan, fault: F) -> (Vec<Call>, T)
where
    F: FnOnce(Progress) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let progress = Progress::new(plan.per_conversation * rig.convs.len());
    let senders: Vec<_> = rig
        .convs
        .iter()
        .enumerate()
        .map(|(i, conv)| {
            let (conv, progress) = (conv.clone(), progress.clone());
            tokio::spawn(async move { send_sequence(conv, i, 0..plan.per_conversation, plan.pace, progress).await })
        })
        .collect();
    let injected = fault(progress).await;
    let mut calls = Vec::new();
    for s in senders {
        for call in s.await.expect("a sender task") {
            calls.push(call.await.expect("a call task"));
        }
    }
    (calls, injected)
}

/// Sends messages `range` of conversation `i`, `pace` apart; the calls' tasks, in order.
async fn send_sequence(
    conv: Conversation,
    i: usize,
    range: std::ops::Range<usize>,
    pace: Duration,
    progress: Progress,
) -> Vec<JoinHandle<Call>> {
    let mut calls = Vec::new();
    for n in range {
        calls.push(send(&conv, i, n));
        progress.add();
        tokio::time::sleep(pace).await;
    }
    calls
}

/// Sends message `n` of conversation `i`; the task that awaits the call.
pub fn send(conv: &Conversation, i: usize, n: usize) -> JoinHandle<Call> {
    let text = label(i, n);
    let made = Instant::now();
    let pending = conv.send_message(text.as_str());
    tokio::spawn(async move {
        let outcome = tokio::time::timeout(CALL_WAIT, pending).await.ok().map(|r| (Instant::now(), r));
        Call { conv: i, n, text, made, outcome }
    })
}

/// After the fault: one more message per conversation (number `n`), which must succeed and be
/// echoed to its own conversation's listener: the conversations work again. The calls.
pub async fn closing_round(rig: &Rig, n: usize) -> Vec<Call> {
    let tasks: Vec<_> = rig.convs.iter().enumerate().map(|(i, conv)| send(conv, i, n)).collect();
    let mut calls = Vec::new();
    for t in tasks {
        let call = t.await.expect("a call task");
        match &call.outcome {
            Some((_, Ok(_))) => {}
            other => panic!("after the fault, {:?} ended with {other:?}", call.text),
        }
        calls.push(call);
    }
    for (i, l) in rig.listeners.iter().enumerate() {
        let want = format!("You said: {}", label(i, n));
        l.seen.wait_after(&format!("echo {want:?}"), None, |e| e.text().as_deref() == Some(want.as_str())).await;
    }
    calls
}
