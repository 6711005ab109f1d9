//! The client under network faults: a real hub, the fault-injecting proxy in front of it, and a
//! real client connected through the proxy, with three conversations sending numbered messages
//! at once while a fault strikes in the middle: latency, a bandwidth limit, connection resets,
//! frames cut in half, a link that stops forwarding without closing (a half-open link, then
//! resuming, or reset), and the proxy restarting. For each fault and each delivery mode, what the
//! application saw is checked against what the hub received (see `support::verdict`): nothing
//! lost, nothing duplicated beyond what the mode allows, nothing reordered, every event in its
//! own conversation, every call completed once with a documented outcome. Two exceptions to the
//! order, both from a half-open connection that resumes after the client gave up on it and
//! hands over what it held: with at-most-once, a message the client reported possibly not
//! delivered may reach the hub after later ones (the figures count these late arrivals); with
//! at-least-once, a message the hub received twice may be echoed where either copy was handled
//! (the hub's order of first arrivals is still checked for it).
//!
//! Then the case of at-least-once on a half-open link (each call says in time that its message
//! is not confirmed, and every message reaches the hub once the link is back, whether the link
//! resumes or is reset), the offline queue while the hub is unreachable (the state changes
//! count what waits, and it all goes in order when the hub is back), and the suspension that
//! fails what waits.
//!
//! Times (how long a dead link took to notice, how long the reconnect took) are printed, not
//! asserted. `cargo test -p captivate --test faults -- --nocapture` shows them.

mod support;

use std::time::Duration;

use captivate::{Delivery, Error, Event, Transport};
use captivate_sim::proxy::ProxyFaults;
use support::verdict::{check, hub_messages, settle};
use support::workload::{self, Call, Plan, Progress, Rig, WAIT, closing_round, is_state, reset_all, send};
use tokio::time::Instant;

/// Three conversations of 80 messages each, one every 25 ms: 240 messages over two seconds.
const PLAN: Plan = Plan { per_conversation: 80, pace: Duration::from_millis(25) };

/// How long the link stays silent in the blackhole tests: longer than it takes to notice
/// (`ping_interval` and `liveness_grace` are 1 s) and than `request_timeout` (2 s).
const BLACKHOLE: Duration = Duration::from_secs(3);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// 50 ms each way, for the middle third of the sends.
    Latency,
    /// 8 kB/s each way, from a third of the sends until a second after the last.
    Bandwidth,
    /// Three TCP resets, a quarter of the sends apart, each once the client is back.
    Resets,
    /// The next frame from the hub cut in half, and the connection closed.
    Truncation,
    /// Nothing forwarded either way for [`BLACKHOLE`], sockets kept open; then forwarding
    /// resumes with what was held back.
    Blackhole,
    /// As `Blackhole`, but the proxy resets the connections before forwarding again: what was
    /// held back is gone.
    BlackholeThenReset,
    /// The proxy closes every connection and refuses new ones for 1.5 s.
    Restart,
}

impl Fault {
    /// Strikes once a third of the sends were made (Resets: at each quarter).
    async fn inject(self, rig: &Rig, progress: Progress) {
        let proxy = &rig.proxy;
        match self {
            Fault::Latency => {
                progress.reached(1.0 / 3.0).await;
                proxy.set_faults(ProxyFaults { latency: Duration::from_millis(50), ..ProxyFaults::default() });
                progress.reached(2.0 / 3.0).await;
                proxy.set_faults(ProxyFaults::default());
            }
            Fault::Bandwidth => {
                progress.reached(1.0 / 3.0).await;
                proxy.set_faults(ProxyFaults { bandwidth: 8_000, ..ProxyFaults::default() });
                progress.reached(1.0).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
                proxy.set_faults(ProxyFaults::default());
            }
            Fault::Resets => {
                for k in 1..=3 {
                    progress.reached(f64::from(k) / 4.0).await;
                    let at = Instant::now();
                    assert_eq!(reset_all(proxy).await, 1, "one connection to reset");
                    rig.reconnected_after(at).await;
                }
            }
            Fault::Truncation => {
                progress.reached(1.0 / 3.0).await;
                let at = Instant::now();
                assert_eq!(proxy.truncate_next_frame(), 1, "one connection to cut");
                rig.reconnected_after(at).await;
            }
            Fault::Blackhole | Fault::BlackholeThenReset => {
                progress.reached(1.0 / 3.0).await;
                let on = Instant::now();
                proxy.set_faults(ProxyFaults { blackhole: true, ..ProxyFaults::default() });
                tokio::time::sleep(BLACKHOLE).await;
                if self == Fault::BlackholeThenReset {
                    reset_all(proxy).await;
                }
                let off = Instant::now();
                proxy.set_faults(ProxyFaults::default());
                report_outage(rig, self, on, off).await;
            }
            Fault::Restart => {
                progress.reached(1.0 / 3.0).await;
                let at = Instant::now();
                proxy.restart(Duration::from_millis(1500)).await;
                rig.reconnected_after(at).await;
            }
        }
    }
}

/// Prints how long the client took to notice the link was dead, and to be connected again once
/// the link was back.
async fn report_outage(rig: &Rig, fault: Fault, on: Instant, off: Instant) {
    let back = rig.reconnected_after(off).await;
    let noticed = rig.states.seen.first_after(Some(on), |e| is_state(e, "disconnected"));
    let noticed = noticed.map_or("not before it ended".to_owned(), |t| format!("after {:?}", t - on));
    eprintln!(
        "{fault:?} ({:?} delivery): dead link noticed {noticed}; connected again {:?} after the link came back",
        rig.delivery,
        back - off
    );
}

/// The workload under `fault` with `delivery` over `transport`, then a closing message per
/// conversation, then every check; prints the figures. Over HTTP the requests are posted to the
/// hub's HTTP side directly, and the faults strike the socket that brings the events and the
/// socket id the posts name.
async fn under(fault: Fault, delivery: Delivery, transport: Transport) {
    let rig = Rig::start_with(delivery, 3, |c, sim| {
        if transport == Transport::Http {
            c.timings.transport = Transport::Http;
            c.http_url = Some(sim.http_url());
        }
    })
    .await;
    let (mut calls, ()) = workload::run(&rig, PLAN, |progress| fault.inject(&rig, progress)).await;
    calls.extend(closing_round(&rig, PLAN.per_conversation).await);
    settle(&rig, &calls).await;
    // Only latency leaves every proof in time; the other faults may fail calls as documented.
    let figures = check(&rig, &calls, fault == Fault::Latency);
    eprintln!("{fault:?} ({delivery:?} delivery, {transport:?}): {figures}; proxy {:?}", rig.proxy.stats());
}

macro_rules! fault_tests {
    ($($name:ident: $fault:expr, $delivery:expr, $transport:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            under($fault, $delivery, $transport).await;
        }
    )*};
}

fault_tests! {
    latency_at_most_once: Fault::Latency, Delivery::AtMostOnce, Transport::Socket;
    latency_at_least_once: Fault::Latency, Delivery::AtLeastOnce, Transport::Socket;
    bandwidth_limit_at_most_once: Fault::Bandwidth, Delivery::AtMostOnce, Transport::Socket;
    bandwidth_limit_at_least_once: Fault::Bandwidth, Delivery::AtLeastOnce, Transport::Socket;
    connection_resets_at_most_once: Fault::Resets, Delivery::AtMostOnce, Transport::Socket;
    connection_resets_at_least_once: Fault::Resets, Delivery::AtLeastOnce, Transport::Socket;
    truncated_frames_at_most_once: Fault::Truncation, Delivery::AtMostOnce, Transport::Socket;
    truncated_frames_at_least_once: Fault::Truncation, Delivery::AtLeastOnce, Transport::Socket;
    blackhole_at_most_once: Fault::Blackhole, Delivery::AtMostOnce, Transport::Socket;
    blackhole_at_least_once: Fault::Blackhole, Delivery::AtLeastOnce, Transport::Socket;
    blackhole_then_reset_at_most_once: Fault::BlackholeThenReset, Delivery::AtMostOnce, Transport::Socket;
    blackhole_then_reset_at_least_once: Fault::BlackholeThenReset, Delivery::AtLeastOnce, Transport::Socket;
    proxy_restart_at_most_once: Fault::Restart, Delivery::AtMostOnce, Transport::Socket;
    proxy_restart_at_least_once: Fault::Restart, Delivery::AtLeastOnce, Transport::Socket;
    http_connection_resets_at_most_once: Fault::Resets, Delivery::AtMostOnce, Transport::Http;
    http_connection_resets_at_least_once: Fault::Resets, Delivery::AtLeastOnce, Transport::Http;
    http_truncated_frames_at_most_once: Fault::Truncation, Delivery::AtMostOnce, Transport::Http;
    http_blackhole_then_reset_at_most_once: Fault::BlackholeThenReset, Delivery::AtMostOnce, Transport::Http;
    http_blackhole_then_reset_at_least_once: Fault::BlackholeThenReset, Delivery::AtLeastOnce, Transport::Http;
    http_proxy_restart_at_most_once: Fault::Restart, Delivery::AtMostOnce, Transport::Http;
    http_proxy_restart_at_least_once: Fault::Restart, Delivery::AtLeastOnce, Transport::Http;
}

/// Awaits call tasks in order.
async fn calls_of(tasks: Vec<tokio::task::JoinHandle<Call>>) -> Vec<Call> {
    let mut calls = Vec::new();
    for t in tasks {
        calls.push(t.await.expect("a call task"));
    }
    calls
}

/// One message per conversation, numbered `n`, each confirmed: the link is healthy.
async fn one_round(rig: &Rig, n: usize) -> Vec<Call> {
    let calls = calls_of(rig.convs.iter().enumerate().map(|(i, c)| send(c, i, n)).collect()).await;
    for c in &calls {
        assert!(matches!(c.outcome, Some((_, Ok(_)))), "{:?} on a healthy link: {:?}", c.text, c.outcome);
    }
    calls
}

/// At-least-once on a half-open link: messages written into a link that stops forwarding
/// without closing. Each call tells the application while the link is still down that its
/// message is not confirmed (the blackhole is lifted only once every call has completed), and
/// every one of those messages reaches the hub once the link is back, with a delivery report
/// saying so. With `reset`, what the proxy held back is thrown away before the link comes
/// back, so only the client's resend can deliver them.
async fn half_open_at_least_once(reset: bool) {
    const BURST: usize = 10;
    let rig = Rig::start(Delivery::AtLeastOnce, 3).await;
    let mut calls = one_round(&rig, 0).await;

    let on = Instant::now();
    rig.proxy.set_faults(ProxyFaults { blackhole: true, ..ProxyFaults::default() });
    // Written at once, before the client can notice anything: all into the blackhole.
    let mut tasks = Vec::new();
    for n in 1..=BURST {
        for (i, c) in rig.convs.iter().enumerate() {
            tasks.push(send(c, i, n));
        }
    }
    let burst = tokio::time::timeout(WAIT, calls_of(tasks))
        .await
        .expect("every call sent into the dead link completes while the link is still dead");
    let request_timeout = rig.client.config().timings.request_timeout;
    let slowest = burst.iter().filter_map(|c| c.outcome.as_ref().map(|(t, _)| *t - c.made)).max().unwrap_or_default();
    eprintln!(
        "half-open (reset {reset}): the calls reported `unconfirmed` within {slowest:?} (request_timeout {request_timeout:?})"
    );
    for c in &burst {
        assert!(
            matches!(c.error(), Some(Error::Unconfirmed { .. })),
            "{:?}, written into a dead link, ended {:?}",
            c.text,
            c.outcome
        );
    }
    // The link is still dead: the client noticed (the lift comes only after this).
    let noticed = rig.states.seen.wait_after("the dead link noticed", Some(on), |e| is_state(e, "disconnected")).await;
    if reset {
        reset_all(&rig.proxy).await;
    }
    let off = Instant::now();
    rig.proxy.set_faults(ProxyFaults::default());
    let back = rig.reconnected_after(off).await;
    eprintln!(
        "half-open (reset {reset}): dead link noticed after {:?}; connected again {:?} after the link came back",
        noticed - on,
        back - off
    );

    calls.extend(burst);
    calls.extend(closing_round(&rig, BURST + 1).await);
    settle(&rig, &calls).await;
    let figures = check(&rig, &calls, false);
    if reset {
        // What the proxy held is gone: each message arrived once, by the resend.
        let hub = hub_messages(&rig);
        for c in calls.iter().filter(|c| (1..=BURST).contains(&c.n)) {
            let copies = hub.iter().filter(|m| m.text == c.text).count();
            assert_eq!(copies, 1, "{:?} reached the hub {copies} times after the reset", c.text);
        }
    }
    eprintln!("half-open (reset {reset}): {figures}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_least_once_on_a_half_open_link_delivers_after_it_resumes() {
    half_open_at_least_once(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_least_once_on_a_half_open_link_resends_after_a_reset() {
    half_open_at_least_once(true).await;
}

/// While the hub cannot be reached (the proxy refuses connections), sends are queued and the
/// state changes say how many wait; once the hub is reachable they all go, in order, and are
/// confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_wait_in_the_queue_while_the_hub_is_unreachable() {
    const PER_CONVERSATION: usize = 10;
    let rig = Rig::start(Delivery::AtMostOnce, 3).await;
    let mut calls = one_round(&rig, 0).await;

    let down = Instant::now();
    rig.proxy.restart(Duration::from_secs(4)).await;
    rig.states.seen.wait_after("the drop", Some(down), |e| is_state(e, "disconnected")).await;
    let mut tasks = Vec::new();
    for n in 1..=PER_CONVERSATION {
        for (i, c) in rig.convs.iter().enumerate() {
            tasks.push(send(c, i, n));
        }
    }
    let total = PER_CONVERSATION * rig.convs.len();
    let queued = |e: &Event| matches!(e, Event::State(s) if s.queued == total);
    rig.states.seen.wait_after("a state change counting every send as queued", Some(down), queued).await;
    calls.extend(calls_of(tasks).await);
    let back = rig.reconnected_after(down).await;

    // From the drop to the reconnect, the number queued only grows, from 0 to every send.
    let counts: Vec<usize> = rig
        .states
        .seen
        .all()
        .into_iter()
        .filter(|(t, _)| *t >= down && *t < back)
        .filter_map(|(_, e)| match e {
            Event::State(s) => Some(s.queued),
            _ => None,
        })
        .collect();
    assert_eq!(counts.first(), Some(&0), "nothing was waiting when the link dropped: {counts:?}");
    assert_eq!(counts.last(), Some(&total), "every send waited: {counts:?}");
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "the queue only grew while down: {counts:?}");
    eprintln!("unreachable hub: queued counts in the state changes {counts:?}");

    calls.extend(closing_round(&rig, PER_CONVERSATION + 1).await);
    let figures = check(&rig, &calls, true);
    eprintln!("unreachable hub: {figures}");
}

/// When the hub stays unreachable past `suspend_after`, the client is suspended: the sends
/// waiting in the queue fail with `connection_lost` and are never sent, the state change says
/// none waits any more, and the conversations work again once the hub is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_sends_fail_with_connection_lost_when_the_client_is_suspended() {
    let rig = Rig::start_with(Delivery::AtMostOnce, 3, |c, _| {
        c.timings.reconnect.suspend_after = Duration::from_secs(1);
        c.timings.reconnect.suspended_retry = Duration::from_millis(200);
    })
    .await;
    let mut calls = one_round(&rig, 0).await;

    let down = Instant::now();
    rig.proxy.restart(Duration::from_secs(3)).await;
    rig.states.seen.wait_after("the drop", Some(down), |e| is_state(e, "disconnected")).await;
    let queued = calls_of(rig.convs.iter().enumerate().map(|(i, c)| send(c, i, 1)).collect()).await;
    for c in &queued {
        assert!(matches!(c.error(), Some(Error::ConnectionLost)), "{:?} ended {:?}", c.text, c.outcome);
    }
    let (_, suspended) = rig.states.seen.wait_event("the suspension", Some(down), |e| is_state(e, "suspended")).await;
    let Event::State(suspended) = suspended else { unreachable!("a state change") };
    assert_eq!(suspended.queued, 0, "nothing waits once suspended: {suspended:?}");
    rig.reconnected_after(down).await;

    calls.extend(closing_round(&rig, 2).await);
    check(&rig, &calls, true);
    let hub = hub_messages(&rig);
    for c in &queued {
        assert!(hub.iter().all(|m| m.text != c.text), "{:?} failed but was sent", c.text);
    }
}
