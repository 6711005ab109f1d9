//! The one-shot commands: `conversations`, `transcript` and `delete`.

use captivate::{Client, DeleteMode, ListOptions};

use crate::failure::Failure;
use crate::output::{Line, Output, Tone};
use crate::render;

/// Lists a user's conversations.
pub(crate) async fn conversations(
    client: &Client,
    out: &Output,
    user: &str,
    json: bool,
    page: Option<u32>,
    limit: Option<u32>,
) -> Result<(), Failure> {
    let list = client.list_conversations(ListOptions { page, limit, ..ListOptions::new(user) }).await?;
    if json {
        out.line(pretty(&list.to_json()));
    } else {
        out.show(&render::conversations(user, &list));
    }
    Ok(())
}

/// Prints a conversation's transcript.
pub(crate) async fn transcript(
    client: &Client,
    out: &Output,
    conversation_id: &str,
    json: bool,
) -> Result<(), Failure> {
    let transcript = client.conversation(conversation_id)?.get_transcript().await?;
    if json {
        out.line(pretty(&transcript.to_json()));
    } else {
        out.show(&render::transcript(conversation_id, &transcript));
    }
    Ok(())
}

/// Deletes a conversation.
pub(crate) async fn delete(
    client: &Client,
    out: &Output,
    conversation_id: &str,
    mode: DeleteMode,
) -> Result<(), Failure> {
    client.conversation(conversation_id)?.delete(mode).await?;
    let how = if mode == DeleteMode::Hard { "for good" } else { "(soft delete)" };
    out.line(Line::note(format!("conversation {conversation_id} deleted {how}")));
    Ok(())
}

/// JSON for a person and for `jq`: indented.
fn pretty(v: &serde_json::Value) -> Line {
    Line::new(Tone::Plain, serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()))
}
