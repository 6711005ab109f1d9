//! A whole conversation with the hub, printed readably: the greeting and its buttons, a
//! button choice, the hand-over to a live agent, metadata, the transcript, and deletion.
//!
//! Runs against the local hub by default (`make demo` starts one); set `CAPTIVATE_URL`
//! (without the key) and `CAPTIVATE_API_KEY` to talk to another hub.

use std::time::Duration;

use captivate::{
    Client, Config, ContentItem, Conversation, DeleteMode, Event, EventStream, HubEvent, StartOptions, UpdateKind,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

/// Prints one event the way a chat window would show it.
fn show(event: &Event) {
    match event {
        Event::Hub(inbound) => match &inbound.body {
            HubEvent::BotMessage(m) | HubEvent::LivechatMessage(m) => {
                let who = if inbound.event_type == "bot_message" { "bot  " } else { "agent" };
                for item in &m.content {
                    match item {
                        ContentItem::Text { text } => println!("  {who} › {text}"),
                        ContentItem::Buttons(b) => {
                            if let Some(t) = &b.title {
                                println!("  {who} › {t}");
                            }
                            let labels: Vec<String> = b.options.iter().map(|o| format!("[{}]", o.label)).collect();
                            println!("          {}", labels.join(" "));
                        }
                        ContentItem::Files { files } => {
                            for f in files {
                                println!("  {who} › file {} ({})", f.url, f.mime_type.as_deref().unwrap_or("?"));
                            }
                        }
                        other => println!("  {who} › ({} item)", other.kind()),
                    }
                }
            }
            HubEvent::ConversationUpdate(u) => match &u.kind {
                UpdateKind::AgentConnected => {
                    let name = u.data["agentInfo"]["name"].as_str().unwrap_or("an agent");
                    println!("  ···· {name} joined the conversation");
                }
                UpdateKind::AgentDisconnected => println!("  ···· the agent left the conversation"),
                _ => println!("  ···· update: {}", u.update_type),
            },
            HubEvent::Action(actions) => {
                for a in actions {
                    println!("  ···· action from the flow: {} {}", a.id, a.data);
                }
            }
            HubEvent::Error(e) => println!("  ···· hub error: {}", e.description),
            _ => println!("  ···· {}", inbound.event_type),
        },
        Event::State(s) => println!("  ···· connection: {}", s.current.name()),
        Event::Discontinuity { .. } => println!("  ···· reconnected; some events may be missing"),
        other => println!("  ···· {}", other.kind_name()),
    }
}

/// Shows events until one satisfies `done`.
async fn until(events: &mut EventStream, what: &str, done: impl Fn(&Event) -> bool) -> Result<(), String> {
    loop {
        match events.next_timeout(WAIT).await {
            Some(e) => {
                show(&e);
                if done(&e) {
                    return Ok(());
                }
            }
            None => return Err(format!("no {what} within {WAIT:?}")),
        }
    }
}

fn is_livechat(e: &Event) -> bool {
    matches!(e.hub().map(|i| &i.body), Some(HubEvent::LivechatMessage(_)))
}

async fn say(conversation: &Conversation, text: &str) -> Result<(), Box<dyn std::error::Error>> {
    println!("  you   › {text}");
    conversation.send_message(text).await?;
    Ok(())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("CAPTIVATE_URL").unwrap_or_else(|_| "ws://127.0.0.1:8080/dev".into());
    let key = std::env::var("CAPTIVATE_API_KEY").unwrap_or_else(|_| "test-key".into());
    let mut config = Config::new(key).url(url);
    if let Ok(ca) = std::env::var("CAPTIVATE_CA_FILE") {
        config.tls.extra_ca_file = Some(ca.into());
    }

    println!("== Rust: connecting to {}", config.endpoint.base_url());
    let client = Client::connect(config).await?;
    println!("  connected, socket {}", client.socket_id().unwrap_or_default());

    let options = StartOptions {
        user_basic_info: Some(json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"})),
        metadata: Some(json!({"channel": "rust-demo"})),
        ..StartOptions::new("demo-user")
    };
    let conversation = client.start_conversation(options).await?;
    println!("  conversation {}", conversation.id());
    let mut events = conversation.events();

    until(&mut events, "greeting", |e| {
        matches!(e.hub().map(|i| &i.body), Some(HubEvent::BotMessage(m)) if m.content.iter().any(|c| matches!(c, ContentItem::Buttons(_))))
    })
    .await?;

    say(&conversation, "Hello there!").await?;
    until(&mut events, "bot reply", |e| e.text().is_some()).await?;

    println!("  you   › (chooses [Chat to Agent])");
    conversation.send_message("Chat to Agent").await?;
    until(&mut events, "live agent", is_livechat).await?;

    say(&conversation, "My order #1234 has not arrived.").await?;
    until(&mut events, "agent reply", is_livechat).await?;
    say(&conversation, "bye").await?;
    until(&mut events, "agent leaving", |e| {
        matches!(e.hub().map(|i| &i.body), Some(HubEvent::ConversationUpdate(u)) if u.kind == UpdateKind::AgentDisconnected)
    })
    .await?;

    conversation.set_metadata(json!({"plan": "gold", "page": "/checkout"}), None).await?;
    conversation.set_private_metadata(json!({"crm_id": "C-981"})).await?;
    conversation.set_time_to_live(30).await?;
    println!("  metadata: {}", conversation.get_metadata().await?);

    let transcript = conversation.get_transcript().await?;
    println!("  transcript ({} entries):", transcript.entries.len());
    for entry in &transcript.entries {
        if let Some(text) = entry.text() {
            println!("    {:<5} {}", entry.from.as_str(), text.replace('\n', " / "));
        }
    }

    conversation.delete(DeleteMode::Soft).await?;
    println!("  conversation deleted");
    client.close().await;
    println!("  closed");
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("chat failed: {e}");
        std::process::exit(1);
    }
}
