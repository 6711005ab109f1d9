//! How events, transcripts and lists read as lines of text.
//!
//! Pure functions from the library's types to [`Line`]s: the chat loop and the one-shot
//! commands print what these return.

use std::time::Duration;

use captivate::{
    Action, ButtonOption, ConnectionState, ContentItem, ConversationList, ConversationUpdate, Event, HubError,
    HubEvent, Inbound, MessageBody, Sender, StateChange, Transcript, UpdateKind,
};
use serde_json::Value;

use crate::output::{Line, Tone};

/// The buttons shown last, numbered from 1: typing a number chooses one.
#[derive(Debug, Default)]
pub(crate) struct Choices {
    options: Vec<ButtonOption>,
}

impl Choices {
    /// The button numbered `n` (from 1), if it is shown.
    pub(crate) fn get(&self, n: usize) -> Option<&ButtonOption> {
        n.checked_sub(1).and_then(|i| self.options.get(i))
    }
}

/// The lines of an event of the conversation. A message with buttons replaces `choices`.
pub(crate) fn event(event: &Event, choices: &mut Choices) -> Vec<Line> {
    match event {
        Event::Hub(inbound) => hub_event(inbound, choices),
        Event::State(change) => state(change).into_iter().collect(),
        Event::Discontinuity { .. } => vec![Line::note(
            "reconnected: events sent while the connection was down may be missing \
             (messages recovered from the transcript are marked \"recovered\")",
        )],
        Event::Malformed(m) => vec![Line::alert(format!("the hub sent a frame that could not be read: {}", m.error))],
        Event::Delivery(r) if r.delivered => vec![Line::note(format!("message {} was delivered", r.client_msg_id))],
        Event::Delivery(r) => {
            vec![Line::alert(format!("message {} may not have been delivered", r.client_msg_id))]
        }
        Event::Lagged { missed } => vec![Line::alert(format!("{missed} events were dropped (too many at once)"))],
        other => vec![Line::note(format!("{}: {}", other.kind_name(), compact(&other.to_json())))],
    }
}

/// True for the bot's and agents' messages (what `/wait` waits for).
pub(crate) fn is_message(event: &Event) -> bool {
    matches!(event.hub().map(|i| &i.body), Some(HubEvent::BotMessage(_) | HubEvent::LivechatMessage(_)))
}

fn hub_event(inbound: &Inbound, choices: &mut Choices) -> Vec<Line> {
    match &inbound.body {
        HubEvent::BotMessage(m) => live_message("bot", Tone::Bot, m, choices),
        HubEvent::LivechatMessage(m) => live_message("agent", Tone::Agent, m, choices),
        HubEvent::Action(actions) => actions.iter().map(|a| Line::note(action(a))).collect(),
        HubEvent::ConversationUpdate(u) => vec![update(u)],
        HubEvent::Error(e) => vec![Line::alert(hub_error(e))],
        _ => vec![Line::note(format!("event {}: {}", inbound.event_type, compact(inbound.payload())))],
    }
}

/// A message as it arrives: its buttons are numbered and become the choices.
fn live_message(who: &str, tone: Tone, m: &MessageBody, choices: &mut Choices) -> Vec<Line> {
    let who = if m.recovered { format!("{who} (recovered)") } else { who.to_owned() };
    let mut numbered = Vec::new();
    let lines = items(&who, tone, &m.content, Some(&mut numbered));
    if !numbered.is_empty() {
        choices.options = numbered;
    }
    lines
}

/// The lines of content items said by `who`. With `numbered`, buttons are shown as `[n] label`
/// and collected there in order; without, as `[label]`.
fn items(who: &str, tone: Tone, content: &[ContentItem], mut numbered: Option<&mut Vec<ButtonOption>>) -> Vec<Line> {
    let mut lines = Vec::new();
    let indent = " ".repeat(who.chars().count() + 2);
    let mut say = |text: &str| {
        for (i, part) in text.split('\n').enumerate() {
            let lead = if i == 0 { format!("{who}: ") } else { indent.clone() };
            lines.push(Line::new(tone, format!("{lead}{part}")));
        }
    };
    for item in content {
        match item {
            ContentItem::Text { text } => say(text),
            ContentItem::Buttons(b) => {
                if let Some(title) = &b.title {
                    say(title);
                }
                say(&buttons(&b.options, numbered.as_deref_mut()));
            }
            ContentItem::Cards { cards } => {
                let all = match cards {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                for c in all {
                    say(&format!("card: {}", card(c)));
                    let options = card_buttons(c);
                    if !options.is_empty() {
                        say(&buttons(&options, numbered.as_deref_mut()));
                    }
                }
            }
            ContentItem::Files { files } => {
                for f in files {
                    let about: Vec<&str> =
                        [f.filename.as_deref(), f.mime_type.as_deref()].into_iter().flatten().collect();
                    let about = if about.is_empty() { String::new() } else { format!(" ({})", about.join(", ")) };
                    say(&format!("file: {}{about}", f.url));
                }
            }
            other => say(&format!("[{}] {}", other.kind(), compact(&other.to_json()))),
        }
    }
    if content.is_empty() {
        say("(an empty message)");
    }
    lines
}

/// `[1] A  [2] B` (numbering on from those already in `numbered`), or `[A] [B]`.
fn buttons(options: &[ButtonOption], numbered: Option<&mut Vec<ButtonOption>>) -> String {
    match numbered {
        Some(list) => {
            let mut shown = Vec::new();
            for o in options {
                list.push(o.clone());
                shown.push(format!("[{}] {}", list.len(), o.label));
            }
            shown.join("  ")
        }
        None => options.iter().map(|o| format!("[{}]", o.label)).collect::<Vec<_>>().join(" "),
    }
}

/// A card's title, description and link when it has any, else its JSON.
fn card(c: &Value) -> String {
    let field = |k: &str| c.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let link = field("link").or_else(|| field("url"));
    let parts: Vec<&str> = [field("title"), field("description")].into_iter().flatten().collect();
    match (parts.is_empty(), link) {
        (true, None) => compact(c),
        (true, Some(l)) => l.to_owned(),
        (false, None) => parts.join(" - "),
        (false, Some(l)) => format!("{} <{l}>", parts.join(" - ")),
    }
}

/// The buttons of a card (`buttons: [{label, value}]`).
fn card_buttons(c: &Value) -> Vec<ButtonOption> {
    let Some(list) = c.get("buttons").and_then(Value::as_array) else { return Vec::new() };
    list.iter()
        .filter_map(|b| {
            let text = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
            let label = text("label").or_else(|| text("title")).or_else(|| text("value"))?;
            let value = text("value").unwrap_or_else(|| label.clone());
            Some(ButtonOption { label, value })
        })
        .collect()
}

fn action(a: &Action) -> String {
    let mut text = format!("action {}", a.id);
    if a.action_type != "normal" {
        text.push_str(&format!(" ({})", a.action_type));
    }
    if !is_empty(&a.data) {
        text.push_str(&format!(" {}", compact(&a.data)));
    }
    text
}

fn update(u: &ConversationUpdate) -> Line {
    match &u.kind {
        UpdateKind::AgentConnected => {
            let d = &u.data;
            let name = [&d["agentInfo"]["name"], &d["agent"]["name"], &d["agentName"], &d["name"]]
                .into_iter()
                .find_map(|v| v.as_str().filter(|s| !s.is_empty()));
            Line::note(match name {
                Some(n) => format!("agent connected: {n}"),
                None => "agent connected".to_owned(),
            })
        }
        UpdateKind::AgentDisconnected => Line::note("agent disconnected"),
        UpdateKind::FailedAgentAssignment => Line::alert("no agent could take the conversation (failed assignment)"),
        _ if is_empty(&u.data) => Line::note(format!("conversation update {}", u.update_type)),
        _ => Line::note(format!("conversation update {}: {}", u.update_type, compact(&u.data))),
    }
}

fn hub_error(e: &HubError) -> String {
    let code = e.code.as_ref().map(|c| format!(" {c}")).unwrap_or_default();
    let link = e.message_link.as_ref().map(|l| format!(" (message at {l})")).unwrap_or_default();
    format!("hub error{code}: {}{link}", e.description)
}

/// The line of a connection state change, if it is worth one.
pub(crate) fn state(change: &StateChange) -> Option<Line> {
    let reason = change.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
    let waiting = match change.queued {
        0 => String::new(),
        n => format!(" ({n} waiting to be sent)"),
    };
    Some(match &change.current {
        ConnectionState::Disconnected { retry_in, .. } => {
            Line::alert(format!("disconnected{reason}; reconnecting in {}{waiting}", seconds(*retry_in)))
        }
        ConnectionState::Connecting { attempt } if change.previous != ConnectionState::Initialized => {
            Line::note(format!("reconnecting (attempt {attempt})"))
        }
        ConnectionState::Connected { .. } => Line::note("connected"),
        ConnectionState::Suspended { retry_in } => Line::alert(format!(
            "still disconnected{reason}: waiting sends were dropped; trying again in {}",
            seconds(*retry_in)
        )),
        ConnectionState::Failed => Line::alert(format!("the connection failed for good{reason}")),
        _ => return None,
    })
}

/// A conversation's transcript.
pub(crate) fn transcript(conversation_id: &str, t: &Transcript) -> Vec<Line> {
    let count = match t.entries.len() {
        1 => "1 entry".to_owned(),
        n => format!("{n} entries"),
    };
    let mut lines = vec![Line::note(format!("transcript of {conversation_id}: {count}"))];
    for e in &t.entries {
        let tone = match e.from {
            Sender::User => Tone::You,
            Sender::Bot => Tone::Bot,
            Sender::Agent => Tone::Agent,
            _ => Tone::Plain,
        };
        let mut who = e.from.as_str().to_owned();
        if e.from == Sender::User
            && let Some(id) = &e.message_id
        {
            who.push_str(&format!(" [{id}]"));
        }
        if e.raw.get("edited").and_then(Value::as_bool) == Some(true) {
            who.push_str(" (edited)");
        }
        if !e.messages.is_empty() || (e.files.is_empty() && e.actions.is_empty()) {
            lines.extend(items(&who, tone, &e.messages, None));
        }
        for f in &e.files {
            lines.push(Line::new(tone, format!("{who}: file: {}", f.url)));
        }
        for a in &e.actions {
            lines.push(Line::new(tone, format!("{who}: {}", action(a))));
        }
    }
    lines
}

/// A page of a user's conversations: a summary line, then one line per conversation (its id,
/// then its metadata when it has any).
pub(crate) fn conversations(user: &str, list: &ConversationList) -> Vec<Line> {
    let shown = list.conversations.len();
    let summary = match &list.pagination {
        Some(p) if p.total_pages > 1 => {
            format!("conversations of {user}: {} in all, page {} of {}", p.total, p.page, p.total_pages)
        }
        _ => format!("conversations of {user}: {shown}"),
    };
    let mut lines = vec![Line::note(summary)];
    for c in &list.conversations {
        let text = if is_empty(&c.metadata) {
            c.conversation_id.clone()
        } else {
            format!("{}  {}", c.conversation_id, compact(&c.metadata))
        };
        lines.push(Line::new(Tone::Plain, text));
    }
    lines
}

/// JSON on one line.
pub(crate) fn compact(v: &Value) -> String {
    v.to_string()
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use captivate::protocol::inbound::decode_value;
    use serde_json::json;

    fn frame(event_type: &str, payload: Value) -> Event {
        Event::Hub(decode_value(json!({"event": {"event_type": event_type, "event_payload": payload}})).unwrap())
    }

    fn texts(lines: Vec<Line>) -> Vec<String> {
        lines.into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn buttons_are_numbered_and_become_the_choices() {
        let mut choices = Choices::default();
        let e = frame(
            "bot_message",
            json!({"content": [
                {"type": "text", "text": "Hi.\nHow can I help?"},
                {"type": "buttons", "buttons": {"title": "Choose:", "options": [
                    {"label": "Leave Contact Details", "value": "contact"}, {"label": "Chat to Agent", "value": "agent"}]}}
            ]}),
        );
        assert_eq!(
            texts(event(&e, &mut choices)),
            ["bot: Hi.", "     How can I help?", "bot: Choose:", "bot: [1] Leave Contact Details  [2] Chat to Agent"]
        );
        assert_eq!(choices.get(2).map(|b| b.value.as_str()), Some("agent"));
        assert!(choices.get(0).is_none() && choices.get(3).is_none());
        // A message without buttons leaves them as they are.
        event(&frame("bot_message", json!({"content": [{"type": "text", "text": "ok"}]})), &mut choices);
        assert_eq!(choices.get(1).map(|b| b.value.as_str()), Some("contact"));
    }

    #[test]
    fn cards_files_and_unknown_items() {
        let mut choices = Choices::default();
        let e = frame(
            "livechat_message",
            json!({"content": [
                {"type": "cards", "cards": [
                    {"title": "Plan A", "description": "Small", "link": "https://x/a", "buttons": [{"label": "Choose A", "value": "a"}]},
                    {"image": "i.png"}]},
                {"type": "files", "files": [{"url": "https://x/f.pdf", "type": "application/pdf", "filename": "f.pdf"}]},
                {"type": "poll", "q": 1}
            ]}),
        );
        assert_eq!(
            texts(event(&e, &mut choices)),
            [
                "agent: card: Plan A - Small <https://x/a>",
                "agent: [1] Choose A",
                "agent: card: {\"image\":\"i.png\"}",
                "agent: file: https://x/f.pdf (f.pdf, application/pdf)",
                "agent: [poll] {\"q\":1,\"type\":\"poll\"}",
            ]
        );
        assert_eq!(choices.get(1).map(|b| b.value.as_str()), Some("a"));
    }

    #[test]
    fn hand_over_actions_errors_and_unknown_events() {
        let mut c = Choices::default();
        let one = |e: Event, c: &mut Choices| texts(event(&e, c)).join("|");
        let connected = json!({"type": "livechatAgentConnected", "data": {"agentInfo": {"name": "Sam"}}});
        assert_eq!(one(frame("conversation_update", connected), &mut c), "-- agent connected: Sam");
        let gone = json!({"type": "livechatAgentDisconnected"});
        assert_eq!(one(frame("conversation_update", gone), &mut c), "-- agent disconnected");
        let action = json!({"id": "redirectToContactUs", "data": {"page": "/contact"}});
        assert_eq!(one(frame("action", action), &mut c), "-- action redirectToContactUs {\"page\":\"/contact\"}");
        let error = json!({"error_code": 400, "error_desc": "Invalid conversation_id"});
        assert_eq!(one(frame("general_error", error), &mut c), "!! hub error 400: Invalid conversation_id");
        assert_eq!(one(frame("mystery_event", json!({"a": 1})), &mut c), "-- event mystery_event: {\"a\":1}");
    }

    #[test]
    fn connection_states() {
        let change = |previous, current| StateChange { previous, current, reason: None, queued: 0 };
        let initial = change(ConnectionState::Initialized, ConnectionState::Connecting { attempt: 1 });
        assert_eq!(state(&initial), None);
        let again = change(
            ConnectionState::Disconnected { attempt: 1, retry_in: Duration::from_millis(1500) },
            ConnectionState::Connecting { attempt: 2 },
        );
        assert_eq!(state(&again).unwrap().text, "-- reconnecting (attempt 2)");
        let lost = StateChange {
            previous: ConnectionState::Connected { socket_id: "s".into() },
            current: ConnectionState::Disconnected { attempt: 1, retry_in: Duration::from_millis(1500) },
            reason: Some("reset".into()),
            queued: 2,
        };
        assert_eq!(state(&lost).unwrap().text, "!! disconnected: reset; reconnecting in 1.5 s (2 waiting to be sent)");
    }
}
