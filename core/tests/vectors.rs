//! Every frame of the shared protocol vectors: `receive/` frames decode into the right typed
//! event, `emit/` frames equal what the library encodes for the matching call.

use std::path::PathBuf;

use captivate::protocol::{self, outbound};
use captivate::{
    ContentItem, DeleteMode, Dialect, ErrorCode, FileRef, HubEvent, ListOptions, MetadataTarget, OutgoingMessage,
    Sender, StartOptions, UpdateKind,
};
use serde_json::{Value, json};

fn fixture(dir: &str, name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir).join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn decode(name: &str) -> captivate::Inbound {
    let text = fixture("receive", name);
    let inbound = protocol::decode(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let raw: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(*inbound.raw, raw, "{name}: the raw frame is kept whole");
    inbound
}

#[test]
fn every_receive_vector_is_covered_and_decodes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/receive");
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 17, "a vector was added or removed: cover it below");
    for n in &names {
        let i = decode(n);
        assert!(!matches!(i.body, HubEvent::Unknown { .. }), "{n} decoded as unknown");
    }
}

#[test]
fn socket_connected() {
    let i = decode("socket_connected.json");
    assert_eq!(i.body, HubEvent::SocketConnected { socket_id: "Vp6roemHLPECFOQ=".into() });
    assert_eq!(i.event_id.as_deref(), Some("Vp6roFYZLPEFfcg="));
}

#[test]
fn conversation_start_success() {
    let i = decode("conversation_start_success.json");
    assert_eq!(i.body, HubEvent::ConversationStarted);
    assert_eq!(i.conversation_id.as_deref(), Some("super-unique-user-id-d1816568-2b18-4e8b-a09e-ec6f86eeccfd"));
}

#[test]
fn bot_message_with_text_and_button_items() {
    let i = decode("bot_message_text_and_buttons.json");
    let HubEvent::BotMessage(m) = &i.body else { panic!("{:?}", i.body) };
    assert_eq!(m.message_id.as_deref(), Some("f14efe6e-773a-4a52-85f5-90b6d801f2d1"));
    assert_eq!(m.content.len(), 3);
    assert_eq!(m.content[0].text(), Some("Hi. I'm the Captivate Bot."));
    let ContentItem::Buttons(b) = &m.content[2] else { panic!("`button` item: {:?}", m.content[2]) };
    assert_eq!(b.title.as_deref(), Some("Please choose from one of the following:"));
    assert_eq!(
        b.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(),
        ["Leave Contact Details", "Chat to Agent"]
    );
    assert_eq!(
        i.text().as_deref(),
        Some("Hi. I'm the Captivate Bot.\nYou can leave us your contact details or you can chat to us directly now!")
    );
}

#[test]
fn livechat_message_with_text_and_files_and_an_empty_conversation_id() {
    let i = decode("livechat_message_text_and_files.json");
    assert_eq!(i.conversation_id, None, "an empty id counts as none");
    let HubEvent::LivechatMessage(m) = &i.body else { panic!() };
    assert_eq!(m.content[0].text(), Some("hello"));
    let ContentItem::Files { files } = &m.content[1] else { panic!() };
    assert_eq!(files[0].url, "https://example.invalid/pics/img_37o2ah9f8j.jpeg");
    assert_eq!(files[0].mime_type.as_deref(), Some("image"));
    assert_eq!(files[0].filename, None);
}

#[test]
fn actions_single_and_list() {
    let i = decode("action_single.json");
    let HubEvent::Action(a) = &i.body else { panic!() };
    assert_eq!((a.len(), a[0].id.as_str(), a[0].action_type.as_str()), (1, "redirectToContactUs", "normal"));
    assert_eq!(i.conversation_id.as_deref(), Some("temp123-aaaaa-aaaa"));
    let i = decode("action_list.json");
    let HubEvent::Action(a) = &i.body else { panic!() };
    assert_eq!(a[0].id, "redirectToContactUs");
    assert_eq!(a[0].data, json!({"page": "/contact"}));
}

#[test]
fn conversation_update() {
    let i = decode("conversation_update.json");
    let HubEvent::ConversationUpdate(u) = &i.body else { panic!() };
    assert_eq!(u.kind, UpdateKind::AgentConnected);
    assert_eq!(u.data["agentInfo"]["name"], "Sam");
    assert_eq!(i.conversation_id.as_deref(), Some("hart_acb3b13e-4818-40fa-b57e-d8a80feba5c1"));
}

#[test]
fn general_errors_plain_nested_and_413() {
    let i = decode("general_error.json");
    let HubEvent::Error(e) = &i.body else { panic!() };
    assert_eq!(e.code, Some(ErrorCode::Number(400)));
    assert_eq!(e.description, "Invalid conversation_id");
    assert!(!e.nested);

    let i = decode("general_error_nested_in_update.json");
    assert_eq!(i.event_type, "general_error");
    assert_eq!(i.conversation_id.as_deref(), Some("Conversation ID"));
    assert_eq!(i.event_id.as_deref(), Some("event_id"));
    let HubEvent::Error(e) = &i.body else { panic!("{:?}", i.body) };
    assert!(e.nested);
    assert_eq!(e.code, Some(ErrorCode::Text("Error code".into())));
    assert_eq!(e.code.as_ref().unwrap().as_number(), None);

    let i = decode("general_error_413_large_message.json");
    let HubEvent::Error(e) = &i.body else { panic!() };
    assert_eq!(e.code.as_ref().and_then(ErrorCode::as_number), Some(413));
    assert_eq!(e.message_link.as_deref(), Some("https://example.invalid/messages/abc"));
}

#[test]
fn replies() {
    let i = decode("metadata_update_success.json");
    assert_eq!(i.body, HubEvent::MetadataUpdated);
    let i = decode("conversation_metadata.json");
    assert_eq!(
        i.body,
        HubEvent::Metadata { metadata: json!({"sample_metadata": "Sample metadata", "private": {"tier": "gold"}}) }
    );
    let i = decode("message_edited_success.json");
    assert_eq!(i.body, HubEvent::MessageEdited { message_id: Some("m-42".into()) });
    let i = decode("delete_conversation_success.json");
    assert_eq!(i.body, HubEvent::ConversationDeleted { user_id: Some("hart".into()) });
    assert_eq!(i.conversation_id.as_deref(), Some("hart_0bf45c1c-dbf7-4ece-ac17-abb2a41e160b"));
    let i = decode("user_conversations.json");
    let HubEvent::UserConversations(l) = &i.body else { panic!() };
    assert_eq!(l.conversations.len(), 2);
    assert_eq!(l.conversations[1].api_key.as_deref(), Some("key-2"));
    assert_eq!(l.conversations[0].metadata, json!({"mode": "dbfred"}));
    let p = l.pagination.as_ref().unwrap();
    assert_eq!((p.page, p.page_size, p.total, p.total_pages, p.has_next_page), (1, 10, 2, 1, false));
}

#[test]
fn transcripts_in_both_shapes() {
    let i = decode("conversation_transcript_example.json");
    let HubEvent::Transcript(t) = &i.body else { panic!() };
    assert_eq!(t.entries.len(), 7);
    let froms: Vec<Sender> = t.entries.iter().map(|e| e.from.clone()).collect();
    assert_eq!(
        froms,
        [Sender::User, Sender::Bot, Sender::User, Sender::Bot, Sender::User, Sender::User, Sender::Agent],
        "`agent ` with a stray space is an agent"
    );
    assert_eq!(t.entries[1].text().as_deref(), Some("Hi. I'm the Captivate Bot."));
    assert_eq!(t.entries[3].actions[0].id, "escalateToHuman");
    assert_eq!(t.entries[6].text().as_deref(), Some("Our agents are currently busy at the moment."));
    assert_eq!(t.entries[0].chatbot_name.as_deref(), Some("AWS-LEX-QORBITAL-DEMO"));

    let i = decode("conversation_transcript_model.json");
    let HubEvent::Transcript(t) = &i.body else { panic!() };
    assert_eq!(t.entries.len(), 1, "the wrapping entry is flattened");
    let e = &t.entries[0];
    assert_eq!(e.from, Sender::User);
    assert_eq!(e.event_id.as_deref(), Some("event id"));
    assert_eq!(e.livechat_name.as_deref(), Some("Name of livechat"));
    assert!(matches!(&e.messages[0], ContentItem::Buttons(b) if b.options[0].label == "button label 1"));
}

fn emitted(name: &str) -> Value {
    serde_json::from_str(&fixture("emit", name)).unwrap()
}

/// Compares ignoring `client_msg_id` values.
fn same(ours: String, name: &str) {
    let mut ours: Value = serde_json::from_str(&ours).expect("an encoded frame is JSON");
    let mut theirs = emitted(name);
    for v in [&mut ours, &mut theirs] {
        if let Some(p) = v.pointer_mut("/event/event_payload/client_msg_id") {
            *p = json!("X");
        }
    }
    assert_eq!(ours, theirs, "{name}");
}

#[test]
fn every_emit_vector_matches_the_encoder() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/emit");
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 16, "an emit vector was added or removed: cover it below");
    same(outbound::action("temp123-aaaaa-aaaa", "escalateToHuman", &json!({}), "normal"), "action_escalate.json");
    let basic = json!({"firstName": "John", "lastName": "Doe", "email": "john@sample.io"});
    same(
        outbound::conversation_start(&StartOptions {
            user_basic_info: Some(basic.clone()),
            user_metadata: Some(json!({})),
            ..StartOptions::new("super-unique-user-id")
        }),
        "conversation_start.json",
    );
    same(
        outbound::conversation_start(&StartOptions {
            user_basic_info: Some(basic),
            user_data: Some(json!({})),
            metadata: Some(json!({"sample": "sample"})),
            ..StartOptions::new("super-unique-user-id")
        }),
        "conversation_start_with_metadata.json",
    );
    same(outbound::transcript_request("assigned conversation id"), "conversation_transcript_request.json");
    same(
        outbound::delete_conversation("hart_0bf45c1c-dbf7-4ece-ac17-abb2a41e160b", DeleteMode::Soft, Dialect::Legacy),
        "delete_conversation.json",
    );
    same(
        outbound::delete_user_conversations("hart", DeleteMode::Soft, Dialect::Legacy),
        "delete_conversation_all_of_user.json",
    );
    same(
        outbound::edit_message("temp123-aaaaa-aaaa", "id", "m-42", &OutgoingMessage::text("Updated message text")),
        "edit_message.json",
    );
    same(outbound::list_conversations(&ListOptions::new("aidan"), Dialect::Legacy), "get_conversations.json");
    same(
        outbound::list_conversations(
            &ListOptions {
                filter: Some(json!({"mode": "dbfred"})),
                search: Some(json!({"title": "meeting"})),
                page: Some(1),
                limit: Some(10),
                ..ListOptions::new("user123")
            },
            Dialect::Current,
        ),
        "get_user_conversations_v2.json",
    );
    same(
        outbound::metadata(
            "temp123-aaaaa-aaaa",
            "id",
            &json!({"sample_metadata": "Sample metadata"}),
            Some(MetadataTarget::Default),
        ),
        "metadata.json",
    );
    same(outbound::metadata_request("6f61b997-6e2c-471e-8481-27a584c5dcdc"), "metadata_request.json");
    same(
        outbound::user_message(
            "6f61b997-6e2c-471e-8481-27a584c5dcdc",
            "id",
            &OutgoingMessage::files(vec![FileRef::new("https://sample.pdf", "application/pdf", "sample.pdf")]),
        ),
        "user_message_files.json",
    );
    same(outbound::user_message("temp123-aaaaa-aaaa", "id", &OutgoingMessage::text("hello")), "user_message_text.json");
    // As the official client sends them: text with files carries no `type`; a plain listing
    // is `get_user_conversations`; an uploaded file has no url.
    same(
        outbound::user_message(
            "6f61b997-6e2c-471e-8481-27a584c5dcdc",
            "id",
            &OutgoingMessage {
                text: Some("Here is the file".into()),
                files: vec![FileRef::new("https://sample.pdf", "application/pdf", "sample.pdf")],
            },
        ),
        "user_message_text_and_files.json",
    );
    same(outbound::list_conversations(&ListOptions::new("aidan"), Dialect::Current), "get_user_conversations.json");
    let uploaded = FileRef::from_json(
        &emitted("user_message_uploaded_file.json")["event"]["event_payload"]["content"]["files"][0],
    )
    .expect("a file object");
    assert!(uploaded.url.is_empty() && uploaded.storage.is_some() && uploaded.text_content.is_some());
    same(
        outbound::user_message("c-1", "id", &OutgoingMessage::files(vec![uploaded])),
        "user_message_uploaded_file.json",
    );
}

#[test]
fn the_current_dialect_sends_an_explicit_softdelete() {
    let json = |s: String| -> Value { serde_json::from_str(&s).expect("JSON") };
    let v = json(outbound::delete_conversation("c", DeleteMode::Soft, Dialect::Current));
    assert_eq!(v["event"]["event_payload"], json!({"conversation_id": "c", "softdelete": true}));
    let v = json(outbound::delete_user_conversations("u", DeleteMode::Hard, Dialect::Current));
    assert_eq!(v["event"]["event_type"], "delete_user_conversations");
    assert_eq!(v["event"]["event_payload"], json!({"userId": "u", "softdelete": false}));
}

#[test]
fn lenient_decoding_of_odd_shapes() {
    let f = |v: Value| protocol::decode(&v.to_string()).unwrap();
    // error_code as a numeric string, unknown content items kept, bare-string content.
    let i =
        f(json!({"event": {"event_type": "general_error", "event_payload": {"error_code": "400", "error_desc": "x"}}}));
    assert!(matches!(&i.body, HubEvent::Error(e) if e.code == Some(ErrorCode::Number(400))));
    let i = f(json!({"event": {"event_type": "bot_message", "event_payload": {"content": [
        {"type": "carousel", "slides": [1, 2]}, "plain text", {"type": "file", "file": {"url": "u"}}
    ]}}}));
    let HubEvent::BotMessage(m) = &i.body else { panic!() };
    assert!(
        matches!(&m.content[0], ContentItem::Unknown { item_type: Some(t), raw } if t == "carousel" && raw["slides"] == json!([1, 2]))
    );
    assert_eq!(m.content[1].text(), Some("plain text"));
    assert!(matches!(&m.content[2], ContentItem::Files { files } if files[0].url == "u"));
    // An unknown event type passes through with its payload.
    let i = f(
        json!({"action": "receiveMessage", "event": {"event_type": "typing_indicator", "event_payload": {"on": true}}}),
    );
    assert_eq!(i.event_type, "typing_indicator");
    assert_eq!(i.body, HubEvent::Unknown { payload: json!({"on": true}) });
    // Not envelopes.
    assert!(protocol::decode("{nope").is_err());
    assert!(protocol::decode("[]").is_err());
    assert!(protocol::decode(r#"{"event": {"event_payload": {}}}"#).is_err());
    assert!(protocol::decode(r#"{"event": 5}"#).is_err());
}

/// Truncated, bit-flipped and spliced frames never panic the decoder: they decode (leniently)
/// or fail with a [`protocol::DecodeError`].
#[test]
fn mangled_frames_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/receive");
    let frames: Vec<Vec<u8>> =
        std::fs::read_dir(dir).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut decoded = 0;
    for round in 0..20_000 {
        let base = &frames[round % frames.len()];
        let mut f = base.clone();
        match rand() % 4 {
            0 => f.truncate((rand() as usize) % (f.len() + 1)),
            1 => {
                for _ in 0..1 + rand() % 4 {
                    let i = (rand() as usize) % f.len();
                    f[i] ^= 1 << (rand() % 8);
                }
            }
            2 => {
                let other = &frames[(rand() as usize) % frames.len()];
                let cut = (rand() as usize) % f.len();
                f.truncate(cut);
                f.extend_from_slice(&other[(rand() as usize) % other.len()..]);
            }
            _ => {
                let i = (rand() as usize) % f.len();
                let j = (rand() as usize) % f.len();
                f.swap(i, j);
            }
        }
        if let Ok(text) = std::str::from_utf8(&f)
            && protocol::decode(text).is_ok()
        {
            decoded += 1;
        }
    }
    assert!(decoded > 100, "some mangled frames are still valid envelopes and decode ({decoded})");
}
