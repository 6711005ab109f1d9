//! Unit tests of how hub errors are matched (see `Engine::claim_error`): no sockets, a fake
//! clock.

use serde_json::json;

use super::tests::{H, bot, delivered, heard_e1, hub, reconnect, reply, sends, timings, transcript};
use super::*;
use crate::protocol::outbound;

/// A `general_error` frame, naming `conversation` when given.
fn error(conversation: Option<&str>, code: u16, description: &str, event_id: &str) -> serde_json::Value {
    let mut payload = json!({"error_code": code, "error_desc": description});
    if let Some(c) = conversation {
        payload["conversation_id"] = json!(c);
    }
    hub("general_error", payload, Some(event_id))
}

/// The hub errors delivered as events: (event_id, the conversation they went to).
fn errors_delivered(outputs: &[Output]) -> Vec<(String, Option<String>)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Deliver { event: Event::Hub(i), route } if matches!(i.body, HubEvent::Error(_)) => {
                Some((i.event_id.clone().unwrap_or_default(), route.conversation().map(str::to_owned)))
            }
            _ => None,
        })
        .collect()
}

/// The completions among `outputs`: (request, the hub error's description, or `None` for a
/// success).
fn completed(outputs: Vec<Output>) -> Vec<(RequestId, Option<String>)> {
    outputs
        .into_iter()
        .filter_map(|o| match o {
            Output::Complete { id, result: Ok(_) } => Some((id, None)),
            Output::Complete { id, result: Err(e) } => match *e {
                Error::Hub { description, .. } => Some((id, Some(description))),
                other => Some((id, Some(format!("not a hub error: {other}")))),
            },
            _ => None,
        })
        .collect()
}

fn get_metadata(h: &mut H, c: &str) -> RequestId {
    h.submit_as("metadata_request", &outbound::metadata_request(c), reply("conversation_metadata", c))
}

fn set_metadata(h: &mut H, c: &str) -> RequestId {
    let frame = outbound::metadata(c, "m", &json!({"a": 1}), None);
    h.submit_as("metadata", &frame, reply("metadata_update_success", c))
}

fn send_message(h: &mut H, c: &str, client_msg_id: &str) -> RequestId {
    let frame = outbound::text_message(c, client_msg_id, "hi");
    h.submit_as("user_message", &frame, Expect::Delivered { client_msg_id: client_msg_id.into() })
}

fn metadata_reply(c: &str, event_id: &str) -> serde_json::Value {
    hub("conversation_metadata", json!({"conversation_id": c, "content": {}}), Some(event_id))
}

#[test]
fn the_error_of_a_cancelled_request_is_delivered_as_an_event() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    let gone = get_metadata(&mut h, "c");
    let waiting = get_metadata(&mut h, "c");
    h.e.cancel(gone);
    h.take_outputs();
    // The hub answers the requests of a kind in order: the first error is the cancelled one's.
    h.frame(error(Some("c"), 500, "boom", "e1"));
    let outs = h.take_outputs();
    assert_eq!(errors_delivered(&outs), [("e1".to_owned(), Some("c".to_owned()))], "{outs:?}");
    assert!(completed(outs).is_empty(), "nobody's call ends with the cancelled request's error");
    h.frame(error(Some("c"), 500, "boom again", "e2"));
    let outs = h.take_outputs();
    assert!(errors_delivered(&outs).is_empty(), "{outs:?}");
    assert_eq!(completed(outs), [(waiting, Some("boom again".to_owned()))]);
    // With nothing waiting, an error is delivered as well.
    h.frame(error(Some("c"), 500, "unclaimed", "e3"));
    assert_eq!(errors_delivered(&h.take_outputs()), [("e3".to_owned(), Some("c".to_owned()))]);
    assert_eq!(h.e.in_flight(), (0, 0, 0), "the cancelled request stopped waiting");
}

#[test]
fn an_error_a_message_may_have_caused_does_not_fail_another_request() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    send_message(&mut h, "c", "m1");
    let metadata = get_metadata(&mut h, "c");
    h.take_outputs();
    // A message or the metadata request: the hub does not say which, so neither is failed.
    h.frame(error(Some("c"), 422, "rejected", "e1"));
    let outs = h.take_outputs();
    assert_eq!(errors_delivered(&outs), [("e1".to_owned(), Some("c".to_owned()))]);
    assert!(completed(outs).is_empty(), "the metadata request did not cause it");
    h.frame(metadata_reply("c", "r1"));
    assert_eq!(completed(h.take_outputs()), [(metadata, None)], "it gets its own answer");

    // An unknown conversation: every frame naming it draws the error, in order; the message's
    // is delivered as an event, the request fails with its own.
    h.e.attach("gone");
    send_message(&mut h, "gone", "m2");
    let doomed = get_metadata(&mut h, "gone");
    h.take_outputs();
    h.frame(error(Some("gone"), 400, "Invalid conversation_id", "e2"));
    let outs = h.take_outputs();
    assert_eq!(errors_delivered(&outs), [("e2".to_owned(), Some("gone".to_owned()))]);
    assert!(completed(outs).is_empty(), "the first error is the message's");
    h.frame(error(Some("gone"), 400, "Invalid conversation_id", "e3"));
    assert_eq!(completed(h.take_outputs()), [(doomed, Some("Invalid conversation_id".to_owned()))]);
}

#[test]
fn an_error_naming_its_operation_fails_that_request() {
    let mut h = H::new(timings());
    h.connect();
    h.e.attach("c");
    let set = set_metadata(&mut h, "c");
    let get = get_metadata(&mut h, "c");
    h.take_outputs();
    h.frame(error(Some("c"), 403, "metadata_request is not allowed", "e1"));
    assert_eq!(completed(h.take_outputs()), [(get, Some("metadata_request is not allowed".to_owned()))]);
    h.frame(hub("metadata_update_success", json!({"conversation_id": "c"}), Some("r1")));
    assert_eq!(completed(h.take_outputs()), [(set, None)], "the older request gets its own answer");
}

#[test]
fn the_catch_up_is_never_ended_by_a_callers_error_nor_a_callers_request_by_the_catch_ups() {
    let mut h = heard_e1(timings());
    let sent = sends(&reconnect(&mut h));
    assert!(sent[0].contains("conversation_transcript_request"), "the catch-up is on its way: {sent:?}");
    let metadata = get_metadata(&mut h, "c");
    h.take_outputs();

    // Either the catch-up's or the caller's: neither ends, the error is delivered (after the
    // messages the catch-up recovers, as every event of the conversation meanwhile).
    h.frame(error(Some("c"), 500, "boom", "e-boom"));
    assert!(completed(h.take_outputs()).is_empty());
    // The caller's, by its operation: the catch-up goes on.
    h.frame(error(Some("c"), 500, "metadata_request failed", "e-meta"));
    assert_eq!(completed(h.take_outputs()), [(metadata, Some("metadata_request failed".to_owned()))]);
    h.frame(transcript("c", &[("bot", "e1"), ("bot", "e2")]));
    let outs = h.take_outputs();
    assert_eq!(errors_delivered(&outs), [("e-boom".to_owned(), Some("c".to_owned()))]);
    let recovered: Vec<_> = outs
        .iter()
        .filter_map(|o| match o {
            Output::Deliver { event: Event::Hub(i), .. } if i.event_type == "bot_message" => i.event_id.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(recovered, ["e2"], "the catch-up got its transcript");

    // The catch-up's, by its operation: it ends, the error is delivered (the engine's request
    // has no caller to tell), and the caller's request waits for its own answer.
    h.frame(bot("c", "e3"));
    delivered(&mut h);
    reconnect(&mut h);
    let metadata = get_metadata(&mut h, "c");
    h.take_outputs();
    h.frame(error(Some("c"), 500, "conversation_transcript_request failed", "e-cu"));
    h.frame(bot("c", "e4"));
    let outs = h.take_outputs();
    assert_eq!(errors_delivered(&outs), [("e-cu".to_owned(), Some("c".to_owned()))]);
    assert!(completed(outs).is_empty(), "the caller's request is not failed with the catch-up's error");
    h.frame(metadata_reply("c", "r1"));
    assert_eq!(completed(h.take_outputs()), [(metadata, None)]);
}

#[test]
fn an_error_without_conversation_id_fails_the_one_request_that_could_have_caused_it() {
    let mut h = H::new(timings());
    h.connect();
    let start = h.submit_as(
        "conversation_start",
        "start",
        Expect::Reply(ReplyMatch {
            event_type: "conversation_start_success".into(),
            user_id: Some("u".into()),
            start: true,
            ..Default::default()
        }),
    );
    h.take_outputs();
    h.frame(error(None, 500, "no", "e1"));
    let outs = h.take_outputs();
    assert!(errors_delivered(&outs).is_empty());
    assert_eq!(completed(outs), [(start, Some("no".to_owned()))], "failed at once, not timed out");

    // Two could have: neither is failed, the error is delivered, both get their own answer.
    let a = get_metadata(&mut h, "a");
    let b = get_metadata(&mut h, "b");
    h.take_outputs();
    h.frame(error(None, 500, "which?", "e2"));
    let outs = h.take_outputs();
    assert_eq!(errors_delivered(&outs), [("e2".to_owned(), None)]);
    assert!(completed(outs).is_empty());
    h.frame(metadata_reply("a", "r1"));
    h.frame(metadata_reply("b", "r2"));
    assert_eq!(completed(h.take_outputs()), [(a, None), (b, None)]);
}
