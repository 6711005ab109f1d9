//! What the application saw in a fault test, checked against what the hub received: nothing
//! lost silently (with at-most-once, every message missing at the hub was reported to its
//! caller as maybe not delivered or never sent; with at-least-once, none is missing), nothing
//! the caller was told was never sent at the hub, nothing duplicated beyond what the delivery
//! mode allows, nothing reordered, every event in its own conversation, every call completed
//! once with a documented outcome. The figures of a run are returned for the test to print.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use captivate::{Delivery, Error, Event, HubEvent};
use serde_json::Value;
use tokio::time::Instant;

use super::workload::{Call, Rig, WAIT, parse_label};

/// One `user_message` the hub received.
#[derive(Clone, Debug)]
pub struct HubMessage {
    /// Its text.
    pub text: String,
    /// Its `client_msg_id`.
    pub client_msg_id: String,
    /// Its conversation.
    pub conversation_id: String,
}

/// The `user_message` frames with text the hub received, in the order it handled them.
pub fn hub_messages(rig: &Rig) -> Vec<HubMessage> {
    let field = |p: &Value, k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    rig.sim
        .received()
        .iter()
        .filter(|f| f["event"]["event_type"] == "user_message")
        .map(|f| {
            let p = &f["event"]["event_payload"];
            HubMessage {
                text: p["content"]["text"].as_str().unwrap_or_default().to_owned(),
                client_msg_id: field(p, "client_msg_id"),
                conversation_id: field(p, "conversation_id"),
            }
        })
        .filter(|m| !m.text.is_empty())
        .collect()
}

/// The late delivery reports each conversation's stream delivered.
fn reports(rig: &Rig) -> Vec<(usize, captivate::DeliveryReport)> {
    let mut out = Vec::new();
    for (i, l) in rig.listeners.iter().enumerate() {
        for e in l.seen.events() {
            if let Event::Delivery(r) = e {
                out.push((i, r));
            }
        }
    }
    out
}

fn unconfirmed(call: &Call) -> bool {
    matches!(call.error(), Some(Error::Unconfirmed { .. }))
}

/// Whether an outcome is one the delivery mode documents for `send_message` under a fault.
fn documented(delivery: Delivery, e: &Error) -> bool {
    match delivery {
        // Not proven in time, written to a connection that died, or queued when suspended.
        Delivery::AtMostOnce => {
            matches!(e, Error::Timeout { .. } | Error::PossiblyNotDelivered { .. } | Error::ConnectionLost)
        }
        // Not proven in time: kept and resent, and a delivery report tells the rest.
        Delivery::AtLeastOnce => matches!(e, Error::Unconfirmed { .. }),
    }
}

/// Whether a failed `send_message` admits that its message is missing at the hub. With
/// at-most-once: written to a connection that died (`PossiblyNotDelivered`), not proven in
/// time (`Timeout`), or never written (`ConnectionLost`, queued when the client was
/// suspended). With at-least-once, none: every message reaches the hub.
fn may_be_missing(delivery: Delivery, e: &Error) -> bool {
    delivery == Delivery::AtMostOnce
        && matches!(e, Error::PossiblyNotDelivered { .. } | Error::Timeout { .. } | Error::ConnectionLost)
}

/// Whether a failed `send_message` says its message was never written (so it can never reach
/// the hub): queued and failed when the client was suspended, closed or failed, or refused.
fn never_written(e: &Error) -> bool {
    matches!(e, Error::ConnectionLost | Error::QueueFull(_) | Error::Closed | Error::Failed(_))
}

/// The figures of one run.
#[derive(Debug, Default)]
pub struct Figures {
    /// Calls made.
    pub calls: usize,
    /// Calls by outcome: `ok` or the error's kind (`timeout/unconfirmed` for at-least-once).
    pub outcomes: Vec<(String, usize)>,
    /// Messages the hub received more than once.
    pub duplicated: usize,
    /// Messages the hub never received.
    pub missing: usize,
    /// Messages reported possibly not delivered that reached the hub after later ones.
    pub late_out_of_order: usize,
    /// Late delivery reports.
    pub reports: usize,
    /// Echoes the conversations' streams delivered (recovered ones included).
    pub echoes: usize,
    /// Reconnects the client made.
    pub reconnects: usize,
    /// The longest a call took.
    pub slowest_call: Duration,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcomes: Vec<String> = self.outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
        write!(
            f,
            "{} calls ({}); at the hub: {} missing, {} duplicated, {} out of order (possibly not delivered, arrived late); {} late reports; {} echoes; {} reconnects; slowest call {:?}",
            self.calls,
            outcomes.join(", "),
            self.missing,
            self.duplicated,
            self.late_out_of_order,
            self.reports,
            self.echoes,
            self.reconnects,
            self.slowest_call
        )
    }
}

/// Waits (at most [`WAIT`]) for what must still come after the calls completed: with
/// at-least-once, every message at the hub and a delivery report for every call that ended
/// `Unconfirmed`. Returns as soon as that holds, or when the wait is over (the checks then say
/// what is missing).
pub async fn settle(rig: &Rig, calls: &[Call]) {
    if rig.delivery != Delivery::AtLeastOnce {
        return;
    }
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let texts: HashSet<String> = hub_messages(rig).into_iter().map(|m| m.text).collect();
        let reported = reports(rig).len();
        let unconfirmed = calls.iter().filter(|c| unconfirmed(c)).count();
        if calls.iter().all(|c| texts.contains(&c.text)) && reported >= unconfirmed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks everything a user would check after a run (see the module docs); panics with the
/// details of the first broken promise. `all_ok` demands that every call succeeded.
pub fn check(rig: &Rig, calls: &[Call], all_ok: bool) -> Figures {
    let delivery = rig.delivery;
    let ids: Vec<&str> = rig.convs.iter().map(|c| c.id()).collect();
    let mut fig = Figures { calls: calls.len(), reconnects: rig.reconnects(), ..Figures::default() };

    // Every call completed, once (a future completes at most once), with a documented outcome.
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for c in calls {
        let Some((done, result)) = &c.outcome else { panic!("the call sending {:?} never completed", c.text) };
        fig.slowest_call = fig.slowest_call.max(done.duration_since(c.made));
        let name = match result {
            Ok(_) => "ok".to_owned(),
            Err(Error::Unconfirmed { .. }) => "timeout/unconfirmed".to_owned(),
            Err(e) => e.kind().as_str().to_owned(),
        };
        *outcomes.entry(name).or_default() += 1;
        if let Err(e) = result {
            assert!(!all_ok, "{:?} failed: {e}", c.text);
            assert!(
                documented(delivery, e),
                "{:?} ended with an outcome {delivery:?} does not document: {e:?}",
                c.text
            );
        }
    }
    let mut outcomes: Vec<(String, usize)> = outcomes.into_iter().collect();
    outcomes.sort();
    fig.outcomes = outcomes;

    // The hub's record: where each text is, under which id, in which conversation.
    let hub = hub_messages(rig);
    let mut at_hub: HashMap<&str, Vec<&HubMessage>> = HashMap::new();
    for m in &hub {
        at_hub.entry(m.text.as_str()).or_default().push(m);
    }
    for c in calls {
        let seen = at_hub.get(c.text.as_str()).map(Vec::as_slice).unwrap_or_default();
        // One message, one id: a resend keeps it, and it is the one the outcome names.
        for m in seen {
            assert_eq!(m.conversation_id, ids[c.conv], "{:?} reached the hub in another conversation", c.text);
            assert_eq!(m.client_msg_id, seen[0].client_msg_id, "{:?} reached the hub under two ids", c.text);
        }
        if let (Some(id), Some(first)) = (c.client_msg_id(), seen.first()) {
            assert_eq!(id, first.client_msg_id, "the call for {:?} names another id than the hub got", c.text);
        }
        // Nothing lost: a call that succeeded was read by the hub; with at-least-once, every
        // message not cancelled (none is here) reaches it, the unconfirmed ones included.
        if matches!(c.outcome, Some((_, Ok(_)))) {
            assert!(!seen.is_empty(), "{:?} was confirmed but the hub never received it", c.text);
        }
        if delivery == Delivery::AtLeastOnce {
            assert!(
                !seen.is_empty(),
                "with at-least-once, {:?} (call: {:?}) never reached the hub",
                c.text,
                c.error().map(ToString::to_string)
            );
        }
        if seen.is_empty() {
            fig.missing += 1;
            // No silent loss: a message the hub never got was reported to its caller as maybe
            // not delivered (written to a link that died, or not proven in time) or as never
            // sent.
            assert!(
                c.error().is_some_and(|e| may_be_missing(delivery, e)),
                "{:?} never reached the hub, but its call ended {:?}",
                c.text,
                c.outcome
            );
        }
        // A call that failed before its message was written never lets it reach the hub.
        if let Some(e) = c.error().filter(|e| never_written(e)) {
            assert!(seen.is_empty(), "{:?} failed as never sent ({e:?}) but the hub received it", c.text);
        }
        // Duplicates: never with at-most-once; a resend at most once with at-least-once.
        let most = if delivery == Delivery::AtLeastOnce { 2 } else { 1 };
        assert!(seen.len() <= most, "{:?} reached the hub {} times with {delivery:?}", c.text, seen.len());
        if seen.len() > 1 {
            fig.duplicated += 1;
        }
    }
    // Nothing the application did not send.
    for m in &hub {
        assert!(calls.iter().any(|c| c.text == m.text), "the hub received {:?}, which was never sent", m.text);
    }

    // No reordering at the hub: per conversation, first arrivals in the order sent. A message
    // the client reported possibly not delivered (at-most-once) is the exception: the
    // connection it was written to may still hand it over after the client gave up on it (a
    // half-open link that resumes forwards what it held), after messages sent since on the new
    // connection. Such late arrivals are counted.
    let unordered: HashSet<&str> = calls
        .iter()
        .filter(|c| matches!(c.error(), Some(Error::PossiblyNotDelivered { .. })))
        .map(|c| c.text.as_str())
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let texts: Vec<&String> = hub.iter().filter(|m| m.conversation_id == *id).map(|m| &m.text).collect();
        fig.late_out_of_order += out_of_order(&first_occurrences(texts.iter().copied()));
        let ordered = texts.into_iter().filter(|t| !unordered.contains(t.as_str()));
        assert_increasing(&first_occurrences(ordered), &format!("the hub's record of conversation {i}"));
    }

    // Late delivery reports: one per call that ended unconfirmed, in its conversation, and
    // saying delivered (the message did reach the hub, checked above).
    let reports = reports(rig);
    fig.reports = reports.len();
    for (i, r) in &reports {
        assert_eq!(r.conversation_id.as_deref(), Some(ids[*i]), "a delivery report in the wrong conversation: {r:?}");
        let call = calls.iter().find(|c| c.client_msg_id() == Some(r.client_msg_id.as_str()));
        let call = call.unwrap_or_else(|| panic!("a delivery report for a message no call names: {r:?}"));
        assert_eq!(call.conv, *i, "the report for {:?} came to conversation {i}", call.text);
        assert!(unconfirmed(call), "a delivery report for {:?}, whose call ended {:?}", call.text, call.outcome);
        assert!(r.delivered, "the report for {:?} says not delivered", call.text);
    }
    for c in calls.iter().filter(|c| unconfirmed(c)) {
        let n = reports.iter().filter(|(_, r)| Some(r.client_msg_id.as_str()) == c.client_msg_id()).count();
        assert_eq!(n, 1, "{:?} ended unconfirmed and got {n} delivery reports", c.text);
    }

    // Each conversation's stream: only its own events, echoes in order. A message the hub
    // received twice (at-least-once) is echoed twice, and an echo goes to the connection that
    // last named the conversation: when a half-open connection resumes after the reconnect, the
    // echoes of its stale copies are lost or come among those of the resends, wherever the hub
    // handled them. Such messages are left out of the order of echoes (the hub's own order,
    // checked above, covers them).
    let twice: HashSet<&str> = at_hub.iter().filter(|(_, copies)| copies.len() > 1).map(|(t, _)| *t).collect();
    for (i, l) in rig.listeners.iter().enumerate() {
        let mut echoed = Vec::new();
        for e in l.seen.events() {
            match &e {
                Event::Hub(h) => {
                    assert_eq!(h.conversation_id.as_deref(), Some(ids[i]), "conversation {i} got {e:?}");
                    if let HubEvent::BotMessage(m) = &h.body
                        && let Some(said) = m.text().as_deref().and_then(|t| t.strip_prefix("You said: "))
                    {
                        let (conv, _) = parse_label(said).unwrap_or_else(|| panic!("an unknown echo {said:?}"));
                        assert_eq!(conv, i, "conversation {i} got the echo of {said:?}");
                        assert!(at_hub.contains_key(said), "an echo of {said:?}, which the hub never received");
                        echoed.push(said.to_owned());
                    }
                }
                Event::Discontinuity { conversation_id } => assert_eq!(conversation_id, ids[i]),
                Event::State(_) | Event::Delivery(_) => {}
                other => panic!("conversation {i} got {other:?}"),
            }
        }
        fig.echoes += echoed.len();
        let ordered = echoed.iter().filter(|t| !unordered.contains(t.as_str()) && !twice.contains(t.as_str()));
        assert_increasing(&first_occurrences(ordered), &format!("the echoes on conversation {i}'s stream"));
    }
    fig
}

/// The message numbers of `texts`, each at its first occurrence.
fn first_occurrences<'a>(texts: impl Iterator<Item = &'a String>) -> Vec<usize> {
    let mut seen = HashSet::new();
    texts.filter_map(|t| parse_label(t).map(|(_, n)| n)).filter(|n| seen.insert(*n)).collect()
}

/// How many numbers of `order` come after a greater one.
fn out_of_order(order: &[usize]) -> usize {
    let mut max = None;
    order
        .iter()
        .filter(|&&n| {
            let late = max.is_some_and(|m| n < m);
            max = max.max(Some(n));
            late
        })
        .count()
}

fn assert_increasing(order: &[usize], what: &str) {
    if let Some(w) = order.windows(2).find(|w| w[0] >= w[1]) {
        panic!("{what} is out of order: message {} before message {}; the whole order: {order:?}", w[0], w[1]);
    }
}
