//! The scripted chat flow and the request/reply handling of the hub.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::frames::{self, Object, new_id};
use crate::script::{Content, Facts, Step, Trigger, Vars};
use crate::transcript::Entry;
use crate::{Conv, Shared, deliver};

fn s<'a>(p: &'a Value, key: &str) -> Option<&'a str> {
    p.get(key).and_then(Value::as_str).filter(|v| !v.is_empty())
}

fn text_item(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

/// Handles one frame from connection `conn`.
pub(crate) fn handle(shared: &Arc<Shared>, conn: u64, frame: Value) {
    let Value::Object(mut frame) = frame else { return no_event_type(shared) };
    let Some(Value::Object(mut event)) = frame.remove("event") else { return no_event_type(shared) };
    let Some(Value::String(et)) = event.remove("event_type") else { return no_event_type(shared) };
    let et = et.as_str();
    if shared.faults.borrow().never_answer.iter().any(|t| t == et) {
        note!(shared, "sim: not answering {et} (fault)");
        return;
    }
    let payload = match event.remove("event_payload") {
        Some(p @ Value::Object(_)) => p,
        _ => json!({}),
    };
    let p = &payload;
    match et {
        "conversation_start" => start(shared, conn, p),
        "user_message" => user_message(shared, conn, p),
        "metadata" => {
            let Some(id) = touch(shared, conn, p) else { return };
            if let Some(m) = p.get("metadata").and_then(Value::as_object) {
                let mut st = shared.state.lock().unwrap();
                if let Some(c) = st.convs.iter_mut().find(|c| c.id == id) {
                    for (k, v) in m {
                        c.metadata.insert(k.clone(), v.clone());
                    }
                }
            }
            shared.send_event(conn, "metadata_update_success", json!({"conversation_id": id}), true);
            if let Some(m) = p.get("metadata").and_then(Value::as_object) {
                answer(shared, &id, &Trigger::Metadata(m), false, Vars::default());
            }
        }
        "metadata_request" => {
            let Some(id) = touch(shared, conn, p) else { return };
            let md = conv_field(shared, &id, |c| Value::Object(c.metadata.clone()));
            shared.send_event(conn, "conversation_metadata", json!({"conversation_id": id, "content": md}), true);
        }
        "conversation_transcript_request" => {
            let Some(id) = touch(shared, conn, p) else { return };
            let t = conv_field(shared, &id, |c| c.transcript.iter().map(Entry::to_json).collect());
            let key = if shared.faults().transcript_as_messages { "messages" } else { "transcript" };
            shared.send_event(conn, "conversation_transcript", json!({"conversation_id": id, key: t}), true);
        }
        "edit_message" => {
            let Some(id) = touch(shared, conn, p) else { return };
            let message_id = s(p, "message_id").unwrap_or_default().to_owned();
            let content = p.get("content").unwrap_or(&Value::Null);
            {
                let mut st = shared.state.lock().unwrap();
                if let Some(c) = st.convs.iter_mut().find(|c| c.id == id)
                    && let Some(e) = c.transcript.iter_mut().find(|e| e.is_message(&message_id))
                {
                    e.edit(content);
                }
            }
            shared.send_event(
                conn,
                "message_edited_success",
                json!({"conversation_id": id, "message_id": message_id}),
                true,
            );
        }
        "action" => {
            let Some(id) = touch(shared, conn, p) else { return };
            if let Some(action) = s(p, "id") {
                answer(shared, &id, &Trigger::Action(action), false, Vars::default());
            }
        }
        "delete_conversation" => delete(shared, conn, p),
        "delete_user_conversations" => match s(p, "userId") {
            Some(u) => delete_user(shared, conn, u, None),
            None => note!(shared, "sim: delete_user_conversations without userId"),
        },
        "get_conversations" | "get_user_conversations" | "get_user_conversations_v2" => list(shared, conn, et, p),
        other => note!(shared, "sim: unknown event type {other} ignored"),
    }
}

fn no_event_type(shared: &Shared) {
    note!(shared, "sim: a frame without event_type ignored");
}

fn start(shared: &Arc<Shared>, conn: u64, p: &Value) {
    let user = s(p, "userId").unwrap_or("anon").to_owned();
    let id = format!("{user}_{}", new_id());
    let metadata = p.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
    {
        let mut st = shared.state.lock().unwrap();
        let api_key = st.keys.get(&conn).cloned().unwrap_or_default();
        st.convs.push(Conv { id: id.clone(), user_id: user, metadata, conn, api_key, ..Conv::default() });
    }
    shared.send_event(conn, "conversation_start_success", json!({"conversation_id": id}), true);
}

/// Finds the conversation a request names and records `conn` as its connection; answers the
/// hub's 400 when it does not exist.
fn touch(shared: &Arc<Shared>, conn: u64, p: &Value) -> Option<String> {
    let id = s(p, "conversation_id").unwrap_or_default().to_owned();
    let found = {
        let mut st = shared.state.lock().unwrap();
        match st.convs.iter_mut().find(|c| c.id == id) {
            Some(c) => {
                c.conn = conn;
                true
            }
            None => false,
        }
    };
    if found {
        Some(id)
    } else {
        invalid_conversation(shared, conn, &id);
        None
    }
}

/// The live hub's answer to a request naming a conversation it does not know.
fn invalid_conversation(shared: &Shared, conn: u64, id: &str) {
    let payload = json!({"conversation_id": id, "error_code": 400, "error_desc": "Invalid conversation_id"});
    shared.send_event(conn, "general_error", payload, true);
}

fn conv_field(shared: &Shared, id: &str, f: impl Fn(&Conv) -> Value) -> Value {
    let st = shared.state.lock().unwrap();
    st.convs.iter().find(|c| c.id == id).map(f).unwrap_or(Value::Null)
}

/// Sends an event to a conversation's connection and records it in its transcript.
fn push(shared: &Shared, id: &str, event_type: &str, payload: Value) {
    push_to(shared, id, event_type, payload, true);
}

/// As `push`; with `send` false only the transcript gets it. False if there is no such
/// conversation.
fn push_to(shared: &Shared, id: &str, event_type: &str, mut payload: Value, send: bool) -> bool {
    let messages = payload.get("content").map(Value::to_string);
    push_event(shared, id, event_type, messages, send, |with_id| {
        if with_id {
            payload["conversation_id"] = json!(id);
        }
        payload.to_string()
    })
}

/// Pushes an event to a conversation: its frame goes to the conversation's connection (unless
/// `send` is false) and, for a bot or agent message, `messages` (JSON text) goes in its
/// transcript, both with the same `event_id`. `payload` writes the payload as JSON text, with
/// the conversation id if told to. False if there is no such conversation.
fn push_event(
    shared: &Shared,
    id: &str,
    event_type: &str,
    messages: Option<String>,
    send: bool,
    payload: impl FnOnce(bool) -> String,
) -> bool {
    let event_id = new_id();
    // Written before the lock is taken, so that the lock covers only the bookkeeping.
    let texts = if send {
        let with_id = !shared.faults.borrow().omit_conversation_id;
        shared.event_frames(event_type, &payload(with_id), false, &event_id)
    } else {
        Vec::new()
    };
    let from = match event_type {
        "bot_message" => Some("bot"),
        "livechat_message" => Some("livechat"),
        _ => None,
    };
    let mut st = shared.state.lock().unwrap();
    let Some(c) = st.convs.iter_mut().find(|c| c.id == id) else { return false };
    if let Some(from) = from {
        c.transcript.push(Entry::event(from, messages.unwrap_or_else(|| "[]".to_owned()), event_id));
    }
    let conv_conn = c.conn;
    if send && let Some(conn) = shared.route(&st, conv_conn) {
        deliver(&st, conn, texts);
    }
    true
}

/// See [`crate::Sim::say`].
pub(crate) fn say(shared: &Shared, id: &str, text: &str, send: bool) -> bool {
    bot_text_to(shared, id, text, send)
}

fn bot_payload(content: Vec<Value>) -> Value {
    json!({"type": "message_create", "ch_msg_id": new_id(), "bot": {}, "content": content})
}

fn bot(shared: &Shared, id: &str, content: Vec<Value>) {
    push(shared, id, "bot_message", bot_payload(content));
}

/// A bot message of one text item: the common reply, written without building `Value`s.
fn bot_text(shared: &Shared, id: &str, text: &str) {
    bot_text_to(shared, id, text, true);
}

fn bot_text_to(shared: &Shared, id: &str, text: &str, send: bool) -> bool {
    let content = frames::text_content(text);
    push_event(shared, id, "bot_message", Some(content.clone()), send, |with_id| {
        let mut p = Object::new();
        p.str("type", "message_create").str("ch_msg_id", &new_id()).raw("bot", "{}").raw("content", &content);
        if with_id {
            p.str("conversation_id", id);
        }
        p.finish()
    })
}

/// Answers what a client sent with the script's rules (after its greeting, when `greet`).
fn answer(shared: &Arc<Shared>, id: &str, trigger: &Trigger<'_>, greet: bool, vars: Vars) {
    let script = shared.script();
    let matching = {
        let st = shared.state.lock().unwrap();
        let Some(c) = st.convs.iter().find(|c| c.id == id) else { return };
        script.matching(trigger, &Facts { live: c.agent, state: &c.state })
    };
    let mut plan = Vec::with_capacity(matching.len() + 1);
    if greet && !script.greeting.is_empty() {
        plan.push((script.greeting.clone(), vars.clone()));
    }
    for (steps, mut groups) in matching {
        let mut all = vars.clone();
        all.0.append(&mut groups.0);
        plan.push((steps, all));
    }
    if !plan.is_empty() {
        run(shared, id.to_owned(), Arc::new(plan), (0, 0), false);
    }
}

type Plan = Arc<Vec<(Arc<[Step]>, Vars)>>;

/// Runs the steps of `plan` from `pos` (rule, step) in order; a step that waits hands the rest
/// to a task (`waited`: the wait of the step at `pos` is over). Steps without a wait run at
/// once, so that a reply goes out as soon as the frame it answers is handled.
fn run(shared: &Arc<Shared>, id: String, plan: Plan, mut pos: (usize, usize), mut waited: bool) {
    loop {
        let Some((steps, vars)) = plan.get(pos.0) else { return };
        let Some(step) = steps.get(pos.1) else {
            pos = (pos.0 + 1, 0);
            continue;
        };
        if !waited {
            if let Step::Handover(name) = step
                && let Some(c) = shared.state.lock().unwrap().convs.iter_mut().find(|c| c.id == id)
            {
                c.agent = true;
                c.agent_name = name.clone();
            }
            let wait = match step {
                Step::Delay(d) => *d,
                Step::Agent(_, after) => after.unwrap_or(shared.config.agent_delay),
                Step::Handover(_) => shared.config.agent_delay,
                _ => Duration::ZERO,
            };
            if !wait.is_zero() {
                let shared = shared.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    run(&shared, id, plan, pos, true);
                });
                return;
            }
        }
        waited = false;
        perform(shared, &id, step, vars);
        pos.1 += 1;
    }
}

/// The variables of a conversation: `{agent}`, `{user_id}`, `{conversation_id}`, `{http}`,
/// `{state.KEY}`.
fn conversation_var(shared: &Shared, id: &str, name: &str) -> Option<String> {
    if name == "http" {
        return Some(shared.http_url());
    }
    if name == "conversation_id" {
        return Some(id.to_owned());
    }
    let st = shared.state.lock().unwrap();
    let c = st.convs.iter().find(|c| c.id == id)?;
    match name {
        "agent" => Some(c.agent_name.clone()),
        "user_id" => Some(c.user_id.clone()),
        _ => name.strip_prefix("state.").and_then(|k| c.state.get(k)).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
    }
}

/// Carries out one step.
fn perform(shared: &Shared, id: &str, step: &Step, vars: &Vars) {
    let more = |name: &str| conversation_var(shared, id, name);
    let with = |f: &mut dyn FnMut(&mut Conv)| {
        if let Some(c) = shared.state.lock().unwrap().convs.iter_mut().find(|c| c.id == id) {
            f(c);
        }
    };
    match step {
        Step::Bot(Content::Text(t)) => bot_text(shared, id, &vars.fill(t, &more)),
        Step::Bot(c) => bot(shared, id, vars.items(c, &more)),
        Step::Agent(c, _) => agent(shared, id, vars.items(c, &more)),
        Step::Delay(_) => {}
        Step::Handover(name) => push(
            shared,
            id,
            "conversation_update",
            json!({"type": "livechatAgentConnected", "data": {"agentInfo": {"name": name}}}),
        ),
        Step::EndHandover => {
            with(&mut |c| c.agent = false);
            push(shared, id, "conversation_update", json!({"type": "livechatAgentDisconnected", "data": {}}));
        }
        Step::Update(u) => push(shared, id, "conversation_update", vars.fill_value(u, &more)),
        Step::Action(a) => push(shared, id, "action", vars.fill_value(a, &more)),
        Step::Error(code, desc) => {
            push(shared, id, "general_error", json!({"error_code": code, "error_desc": vars.fill(desc, &more)}))
        }
        Step::LargeMessage(c, repeat) => {
            let items = match c {
                Content::Text(t) => vec![text_item(&vars.fill(t, &more).repeat(*repeat))],
                items => {
                    let one = vars.items(items, &more);
                    (0..*repeat).flat_map(|_| one.iter().cloned()).collect()
                }
            };
            large_message(shared, id, items);
        }
        Step::Set(m) => {
            let m = vars.fill_value(&Value::Object(m.clone()), &more);
            with(&mut |c| c.state.extend(m.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone()))));
        }
        Step::Metadata(m) => {
            let m = vars.fill_value(&Value::Object(m.clone()), &more);
            with(&mut |c| c.metadata.extend(m.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone()))));
        }
    }
}

/// The hub's 413: the message is kept behind a link the client fetches.
fn large_message(shared: &Shared, id: &str, content: Vec<Value>) {
    let key = new_id();
    shared.state.lock().unwrap().big.insert(key.clone(), json!({"botMessage": {"content": content}}));
    let link = format!("{}/messages/{key}", shared.http_url());
    push(
        shared,
        id,
        "general_error",
        json!({"error_code": 413, "error_desc": "Message too large", "message_link": link}),
    );
}

/// A live agent's message.
fn agent(shared: &Shared, id: &str, content: Vec<Value>) {
    push(shared, id, "livechat_message", json!({"type": "message_create", "content": content}));
}

/// See [`crate::Sim::bot_says`] and [`crate::Sim::agent_says`].
pub(crate) fn speak(shared: &Shared, id: &str, as_agent: bool, content: Vec<Value>, send: bool) -> bool {
    let event_type = if as_agent { "livechat_message" } else { "bot_message" };
    let payload = if as_agent { json!({"type": "message_create", "content": content}) } else { bot_payload(content) };
    push_to(shared, id, event_type, payload, send)
}

/// See [`crate::Sim::update`].
pub(crate) fn update(shared: &Shared, id: &str, update: Value) -> bool {
    push_to(shared, id, "conversation_update", update, true)
}

fn user_message(shared: &Arc<Shared>, conn: u64, p: &Value) {
    let id = s(p, "conversation_id").unwrap_or_default();
    let empty = json!({});
    let content = p.get("content").unwrap_or(&empty);
    let text = content.get("text").and_then(Value::as_str).unwrap_or("").trim();
    let files = content.get("files").and_then(Value::as_array).map_or(0, Vec::len);
    // One look-up does what `touch` does and records the message.
    let greet = {
        let mut st = shared.state.lock().unwrap();
        st.convs.iter_mut().find(|c| c.id == id).map(|c| {
            c.conn = conn;
            if !(text.is_empty() && files == 0) {
                c.transcript.push(Entry::user(content, s(p, "client_msg_id")));
            }
            let greet = !c.greeted;
            c.greeted = true;
            greet
        })
    };
    let Some(greet) = greet else { return invalid_conversation(shared, conn, id) };
    let mut vars = Vars::default();
    vars.set("text", text);
    vars.set("files", files.to_string());
    let lower = text.to_lowercase();
    answer(shared, id, &Trigger::Message { text, lower: &lower, files }, greet, vars);
}

fn delete(shared: &Arc<Shared>, conn: u64, p: &Value) {
    if let Some(u) = s(p, "userId")
        && s(p, "conversation_id").is_none()
    {
        return delete_user(shared, conn, u, None);
    }
    let id = s(p, "conversation_id").unwrap_or_default().to_owned();
    let removed = {
        let mut st = shared.state.lock().unwrap();
        st.convs.iter().position(|c| c.id == id).map(|pos| st.convs.remove(pos))
    };
    match removed {
        Some(c) => shared.send_event(
            conn,
            "delete_conversation_success",
            json!({"conversation_id": id, "userId": c.user_id}),
            true,
        ),
        None => {
            // The seed's "delete all of a user": the user id in place of a conversation id.
            let owns = shared.state.lock().unwrap().convs.iter().any(|c| c.user_id == id);
            if owns {
                delete_user(shared, conn, &id, Some(&id));
            } else {
                invalid_conversation(shared, conn, &id);
            }
        }
    }
}

fn delete_user(shared: &Arc<Shared>, conn: u64, user: &str, as_conversation: Option<&str>) {
    shared.state.lock().unwrap().convs.retain(|c| c.user_id != user);
    let mut payload = json!({"userId": user});
    if let Some(c) = as_conversation {
        payload["conversation_id"] = json!(c);
    }
    shared.send_event(conn, "delete_conversation_success", payload, true);
}

fn num(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn matches(metadata: &Map<String, Value>, filter: Option<&Value>, search: Option<&Value>) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string().to_lowercase(),
    };
    let f_ok = filter.and_then(Value::as_object).is_none_or(|f| f.iter().all(|(k, v)| metadata.get(k) == Some(v)));
    let s_ok = search
        .and_then(Value::as_object)
        .is_none_or(|f| f.iter().all(|(k, v)| metadata.get(k).is_some_and(|m| text(m).contains(&text(v)))));
    f_ok && s_ok
}

fn list(shared: &Arc<Shared>, conn: u64, et: &str, p: &Value) {
    let user = s(p, "userId").unwrap_or_default();
    let all: Vec<Value> = {
        let st = shared.state.lock().unwrap();
        // The keys listed: those asked for (`apiKeys`, keys the hub accepts), else the
        // asking client's own.
        let own = st.keys.get(&conn).cloned().unwrap_or_default();
        let keys: Vec<String> = match p.get("apiKeys").and_then(Value::as_array) {
            Some(a) => {
                a.iter().filter_map(Value::as_str).filter(|k| shared.config.accepts(k)).map(str::to_owned).collect()
            }
            None => vec![own],
        };
        st.convs
            .iter()
            .filter(|c| c.user_id == user && keys.contains(&c.api_key))
            .filter(|c| matches(&c.metadata, p.get("filter"), p.get("search")))
            .map(|c| json!({"conversation_id": c.id, "metadata": c.metadata, "apiKey": c.api_key}))
            .collect()
    };
    let pg = p.get("pagination");
    let paged = et == "get_user_conversations_v2" || pg.is_some();
    let limit = num(pg.and_then(|g| g.get("limit"))).filter(|l| *l > 0).unwrap_or(if paged {
        10
    } else {
        all.len().max(1) as u64
    });
    let page = num(pg.and_then(|g| g.get("page"))).filter(|p| *p > 0).unwrap_or(1);
    let total = all.len() as u64;
    let total_pages = total.div_ceil(limit).max(1);
    let items: Vec<Value> = all.into_iter().skip(((page - 1) * limit) as usize).take(limit as usize).collect();
    shared.send_event(
        conn,
        "user_conversations",
        json!({
            "conversations": items,
            "pagination": {
                "hasNextPage": page < total_pages, "hasPrevPage": page > 1, "page": page,
                "pageSize": limit, "total": total, "totalPages": total_pages
            }
        }),
        true,
    );
}
