//! Keeping each conversation's events in order while something earlier is still on its way:
//! the catch-up from the transcript after a reconnect, and large (413) messages being fetched.

use std::collections::{HashSet, VecDeque};

use serde_json::{Value, json};

use super::types::{Action, Completion, Expect, Output, ReplyMatch, RequestId, Route, Submit};
use super::{Engine, INTERNAL, MAX_CATCH_UPS_IN_FLIGHT, MAX_HELD};
use crate::error::Error;
use crate::event::Event;
use crate::protocol::{self, ContentItem, HubEvent, Inbound, MessageBody, RawFrame, Sender, Transcript, outbound};

/// A conversation's events held back, in order.
#[derive(Debug, Default)]
pub(super) struct Hold {
    catch_up: Option<CatchUp>,
    queue: VecDeque<Held>,
}

/// A conversation's catch-up: its transcript request (`None` while waiting for its turn),
/// where in the hold's queue the recovered messages go, the last message delivered when it
/// began (where the missed ones start), and the first message that arrived live since (where
/// they end). Both hold even when held events went out meanwhile, past `MAX_HELD`.
#[derive(Debug, Clone)]
struct CatchUp {
    request: Option<RequestId>,
    at: usize,
    from: Option<String>,
    first_live: Option<String>,
}

#[derive(Debug)]
enum Held {
    Ready(Box<(Event, Route)>),
    /// The place of a large message still being fetched.
    Fetching(u64),
}

impl Engine {
    /// Delivers an event, behind the conversation's held events if it has any.
    pub(super) fn deliver(&mut self, event: Event, route: Route) {
        if !self.holds.is_empty()
            && let Some(c) = route.conversation()
            && let Some(h) = self.holds.get_mut(c)
        {
            let c = c.to_owned();
            if let Some(cu) = &mut h.catch_up
                && cu.first_live.is_none()
                && let Event::Hub(i) = &event
                && matches!(i.body, HubEvent::BotMessage(_) | HubEvent::LivechatMessage(_))
            {
                cu.first_live.clone_from(&i.event_id);
            }
            h.queue.push_back(Held::Ready(Box::new((event, route))));
            if h.queue.len() > MAX_HELD {
                self.release(&c, true);
            }
            return;
        }
        self.deliver_now(event, route);
    }

    fn deliver_now(&mut self, event: Event, route: Route) {
        if let Some(c) = route.conversation()
            && let Event::Hub(i) = &event
            && matches!(i.body, HubEvent::BotMessage(_) | HubEvent::LivechatMessage(_))
            && let Some(id) = &i.event_id
        {
            // Where this conversation's catch-up would start; the strings are reused.
            match self.last_message.get_mut(c) {
                Some(last) => {
                    last.clear();
                    last.push_str(id);
                }
                None => {
                    self.last_message.insert(c.to_owned(), id.clone());
                }
            }
        }
        self.outputs.push(Output::Deliver { event, route });
    }

    /// Delivers a conversation's held events from the front, up to the first one still on its
    /// way; during a catch-up only when `overflow` (down to `MAX_HELD` events).
    fn release(&mut self, conversation: &str, overflow: bool) {
        let Some(mut h) = self.holds.remove(conversation) else { return };
        if h.catch_up.is_none() || overflow {
            while let Some(Held::Ready(..)) = h.queue.front() {
                if overflow && h.queue.len() <= MAX_HELD {
                    break;
                }
                if let Some(Held::Ready(held)) = h.queue.pop_front() {
                    let (event, route) = *held;
                    if let Some(cu) = &mut h.catch_up {
                        cu.at = cu.at.saturating_sub(1);
                    }
                    self.deliver_now(event, route);
                }
            }
        }
        if h.catch_up.is_some() || !h.queue.is_empty() {
            self.holds.insert(conversation.to_owned(), h);
        }
    }

    /// After a reconnect: asks for the transcript of each conversation that has a place to
    /// start from, holding its live events back until the answer.
    pub(super) fn start_catch_up(&mut self, ids: &[String]) {
        if !self.t.catch_up {
            return;
        }
        for id in ids {
            if self.holds.get(id).is_some_and(|h| h.catch_up.is_some())
                || !(self.last_message.contains_key(id) || self.started_here.contains(id))
            {
                continue;
            }
            let from = self.last_message.get(id).cloned();
            let h = self.holds.entry(id.clone()).or_default();
            h.catch_up = Some(CatchUp { request: None, at: h.queue.len(), from, first_live: None });
            self.catch_ups_waiting.push_back(id.clone());
        }
        self.next_catch_ups();
    }

    /// Sends the transcript requests of waiting catch-ups, up to the limit in flight; when
    /// not connected any more, the waiting ones are given up (their held events go out).
    pub(super) fn next_catch_ups(&mut self) {
        let connected = self.transport_open && self.state.is_connected();
        while let Some(id) = self.catch_ups_waiting.front().cloned() {
            if connected && self.catch_ups.len() >= MAX_CATCH_UPS_IN_FLIGHT {
                return;
            }
            self.catch_ups_waiting.pop_front();
            let Some(cu) = self.holds.get_mut(&id).and_then(|h| h.catch_up.as_mut()) else { continue };
            if !connected {
                if let Some(h) = self.holds.get_mut(&id) {
                    h.catch_up = None;
                }
                self.release(&id, false);
                continue;
            }
            let request = self.next_internal;
            self.next_internal += 1;
            cu.request = Some(request);
            let matcher = ReplyMatch {
                event_type: "conversation_transcript".into(),
                conversation_id: Some(id.clone()),
                ..Default::default()
            };
            let submit = Submit {
                id: request,
                operation: "catch-up transcript request".into(),
                frame: outbound::transcript_request(&id).to_string(),
                expect: Expect::Reply(matcher),
                timeout: self.t.request_timeout,
            };
            self.catch_ups.insert(request, id);
            let now = self.now;
            self.write(submit, now);
        }
    }

    /// A request of the engine's own completed: a catch-up's transcript arrived (or could not
    /// be had), and the messages missed go before the live events held back meanwhile.
    pub(super) fn caught_up(&mut self, request: RequestId, result: Result<Completion, Error>) {
        debug_assert!(request >= INTERNAL);
        let Some(id) = self.catch_ups.remove(&request) else { return };
        let Some(mut h) = self.holds.remove(&id) else { return };
        let Some(CatchUp { at, from, first_live, .. }) = h.catch_up.take() else {
            self.holds.insert(id, h);
            return;
        };
        match result.map(|c| match c {
            Completion::Reply(i) => Some(i.body),
            _ => None,
        }) {
            Ok(Some(HubEvent::Transcript(t))) => {
                let held_ids: HashSet<&str> = h
                    .queue
                    .iter()
                    .skip(at)
                    .filter_map(|e| match e {
                        Held::Ready(held) => held.0.hub().and_then(|i| i.event_id.as_deref()),
                        Held::Fetching(_) => None,
                    })
                    .collect();
                let missed = self.missed(&id, (from.as_deref(), first_live.as_deref()), &t, &held_ids);
                if !missed.is_empty() {
                    tracing::info!(count = missed.len(), "messages recovered from the transcript");
                }
                let route = self.route(Some(&id));
                for (k, inbound) in missed.into_iter().enumerate() {
                    h.queue.insert(at + k, Held::Ready(Box::new((Event::Hub(inbound), route.clone()))));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::info!(error = %e, "no catch-up after the reconnect"),
        }
        self.holds.insert(id.clone(), h);
        self.release(&id, false);
        self.next_catch_ups();
    }

    /// A frame answering one of the engine's own catch-up requests is read only as far back as
    /// the catch-up needs: the entries after the last message delivered in the conversation,
    /// whatever the length of its history. True when `text` was such an answer and has been
    /// handled; anything else (and every frame while raw frames are asked for, which need the
    /// whole event) goes the usual way.
    pub(super) fn catch_up_answer(&mut self, text: &str) -> bool {
        if self.catch_ups.is_empty() || self.raw_frames {
            return false;
        }
        let Some(frame) = protocol::inbound::peek_transcript(text) else { return false };
        let Some(seq) =
            self.written.find_reply("conversation_transcript", frame.conversation_id.as_deref(), None, None)
        else {
            return false;
        };
        let conversation = match self.written.reply(seq) {
            Some(a) if !a.cancelled => match self.catch_ups.get(&a.id) {
                Some(c) => c.clone(),
                None => return false,
            },
            _ => return false,
        };
        if let Some(id) = &frame.event_id
            && !self.dedupe.insert("conversation_transcript", id)
        {
            tracing::debug!(event_type = "conversation_transcript", "duplicate event dropped");
            return true;
        }
        let Some(a) = self.written.remove_reply(seq) else { return false };
        let last = self.holds.get(&conversation).and_then(|h| h.catch_up.as_ref()).and_then(|c| c.from.as_deref());
        let t = Transcript::tail_from_raw_entries(&frame.entries, |e| {
            last.is_some_and(|l| e.event_id.as_deref() == Some(l))
        });
        let answer = Inbound {
            event_type: "conversation_transcript".into(),
            event_id: frame.event_id,
            conversation_id: frame.conversation_id,
            body: HubEvent::Transcript(t),
            // The engine's own request: only the entries are read.
            raw: RawFrame::from_value(Value::Null),
        };
        self.complete(a.id, Ok(Completion::Reply(Box::new(answer))));
        true
    }

    /// The bot and agent messages of `t` after `from` (the last one delivered in conversation
    /// `id` when its catch-up began) and before `until` (the first that arrived live since),
    /// not delivered already and not among the live events `held`.
    fn missed(
        &mut self,
        id: &str,
        (from, until): (Option<&str>, Option<&str>),
        t: &Transcript,
        held: &HashSet<&str>,
    ) -> Vec<Inbound> {
        let start = match from {
            Some(last) => match t.entries.iter().rposition(|e| e.event_id.as_deref() == Some(last)) {
                Some(i) => i + 1,
                None => {
                    tracing::info!("the last message delivered is not in the transcript; nothing recovered");
                    return Vec::new();
                }
            },
            None => 0,
        };
        let mut out = Vec::new();
        for e in &t.entries[start..] {
            if until.is_some_and(|u| e.event_id.as_deref() == Some(u)) {
                break;
            }
            let event_type = match e.from {
                Sender::Bot => "bot_message",
                Sender::Agent => "livechat_message",
                _ => continue,
            };
            if let Some(eid) = &e.event_id
                && (held.contains(eid.as_str()) || !self.dedupe.insert(event_type, eid))
            {
                continue;
            }
            let content = match e.raw.get("messages") {
                Some(Value::Object(o)) => o.get("messages").cloned().unwrap_or(Value::Array(Vec::new())),
                Some(v) => v.clone(),
                None => Value::Array(Vec::new()),
            };
            let raw = json!({
                "action": "receiveMessage",
                "event": {
                    "event_type": event_type,
                    "event_payload": {"type": "message_create", "conversation_id": id, "content": content},
                    "event_id": e.event_id,
                },
                "recovered_from": e.raw,
            });
            let body = MessageBody {
                message_id: e.message_id.clone(),
                content: e.messages.clone(),
                fetched_from_link: false,
                recovered: true,
            };
            let body = if e.from == Sender::Bot { HubEvent::BotMessage(body) } else { HubEvent::LivechatMessage(body) };
            out.push(Inbound {
                event_type: event_type.to_owned(),
                event_id: e.event_id.clone(),
                conversation_id: Some(id.to_owned()),
                body,
                raw: RawFrame::from_value(raw),
            });
        }
        out
    }

    /// A 413 announcement arrived: the message is fetched from its link, and the
    /// conversation's later events wait for it.
    pub(super) fn fetch_large_message(&mut self, url: String, announcement: Inbound) {
        let fetch = self.next_fetch;
        self.next_fetch += 1;
        if let Some(c) = self.route(announcement.conversation_id.as_deref()).conversation() {
            self.holds.entry(c.to_owned()).or_default().queue.push_back(Held::Fetching(fetch));
            self.fetching.insert(fetch, c.to_owned());
        }
        self.actions.push_back(Action::FetchLargeMessage { fetch, url, announcement: Box::new(announcement) });
    }

    /// The result of [`Action::FetchLargeMessage`] `fetch`: the message's content array, or why
    /// it could not be fetched (then the 413 error itself is delivered). It takes the place of
    /// its announcement among the conversation's events.
    pub fn large_message_fetched(&mut self, fetch: u64, announcement: Inbound, result: Result<Value, String>) {
        let route = self.route(announcement.conversation_id.as_deref());
        let event = fetched_event(announcement, result);
        if let Some(c) = self.fetching.remove(&fetch)
            && let Some(slot) = self
                .holds
                .get_mut(&c)
                .and_then(|h| h.queue.iter_mut().find(|e| matches!(e, Held::Fetching(f) if *f == fetch)))
        {
            *slot = Held::Ready(Box::new((event, route)));
            self.release(&c, false);
            // During a catch-up, what waited behind it past the limit goes out now.
            if self.holds.get(&c).is_some_and(|h| h.queue.len() > MAX_HELD) {
                self.release(&c, true);
            }
            return;
        }
        self.deliver(event, route);
    }
}

/// The event a large message fetch yields: the message, or its announcement on failure.
fn fetched_event(announcement: Inbound, result: Result<Value, String>) -> Event {
    match result {
        Ok(content) => {
            let link = match &announcement.body {
                HubEvent::Error(e) => e.message_link.clone(),
                _ => None,
            };
            let mut payload = serde_json::Map::new();
            payload.insert("type".into(), json!("message_create"));
            if let Some(c) = &announcement.conversation_id {
                payload.insert("conversation_id".into(), json!(c));
            }
            let items = ContentItem::list_from_json(Some(&content));
            payload.insert("content".into(), content);
            payload.insert("message_link".into(), json!(link));
            let raw = json!({
                "action": "receiveMessage",
                "event": {
                    "event_type": "bot_message",
                    "event_payload": payload,
                    "event_id": announcement.event_id,
                }
            });
            Event::Hub(Inbound {
                event_type: "bot_message".into(),
                event_id: announcement.event_id,
                conversation_id: announcement.conversation_id,
                body: HubEvent::BotMessage(MessageBody {
                    message_id: None,
                    content: items,
                    fetched_from_link: true,
                    recovered: false,
                }),
                raw: RawFrame::from_value(raw),
            })
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not fetch a large message");
            Event::Hub(announcement)
        }
    }
}
