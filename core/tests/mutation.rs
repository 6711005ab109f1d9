//! Deterministic mutation testing of what the hub can send, on stable Rust, bounded to a few
//! seconds: frames derived from the receive fixtures (see `support::mutate`) go through the
//! decoder, through a connected engine on a fake clock, and from a real local hub to a real
//! client. Nothing may panic, a valid envelope always decodes, and a bad frame never costs the
//! connection.

mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use captivate::engine::{Engine, Output};
use captivate::protocol::{self, HubEvent};
use captivate::{Client, Config, Event, StartMode, StartOptions, Timings};
use captivate_sim::{Sim, SimConfig};
use serde_json::Value;
use support::mutate::{self, Rng};
use support::session::probe;

/// The event types the decoder knows; any other makes a [`HubEvent::Unknown`].
const KNOWN: [&str; 13] = [
    "socket_connected",
    "conversation_start_success",
    "bot_message",
    "livechat_message",
    "action",
    "conversation_update",
    "general_error",
    "metadata_update_success",
    "conversation_metadata",
    "conversation_transcript",
    "message_edited_success",
    "delete_conversation_success",
    "user_conversations",
];

const SEED: u64 = 0x00C0_FFEE;

/// The start of `text`, for failure messages.
fn preview(text: &str) -> String {
    let mut cut = text.len().min(300);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{:?}{} ({} bytes)", &text[..cut], if cut < text.len() { "..." } else { "" }, text.len())
}

/// Every input of the sweep, in a fixed order, handed to `f` one at a time (they are made
/// on the fly: together they would take a lot of memory). Byte inputs that are not UTF-8 are
/// given as their lossy conversion.
fn for_each_input(mut f: impl FnMut(&str)) {
    let mut rng = Rng::new(SEED);
    for (_, text) in mutate::fixtures() {
        let value: Value = serde_json::from_str(&text).expect("fixtures are JSON");
        f(&text);
        for cut in 0..text.len() {
            if text.is_char_boundary(cut) {
                f(&text[..cut]);
            }
        }
        for v in mutate::every_field_wrong(&value) {
            f(&v.to_string());
        }
        for _ in 0..60 {
            let rounds = rng.below(4) + 1;
            f(&mutate::structural(&value, &mut rng, rounds).to_string());
        }
        for t in mutate::huge_numbers(&value) {
            f(&t);
        }
        for t in mutate::duplicate_keys(&value) {
            f(&t);
        }
        for bytes in mutate::invalid_utf8(&text, &mut rng, 20) {
            f(&String::from_utf8_lossy(&bytes));
        }
    }
    for t in mutate::deep(10_000) {
        f(&t);
    }
    for t in ["", " ", "null", "[]", "{}", "\"event\"", "{\"event\":null}", "{\"event\":{}}", "{\"event_type\":\"\"}"] {
        f(t);
    }
}

/// The contract's oracle: the event type of a valid envelope (`{"event": {"event_type": ...}}`,
/// or a bare event object, which the decoder tolerates), trimmed; `None` when `v` is not one.
fn envelope_type(v: &Value) -> Option<&str> {
    let top = v.as_object()?;
    let event = match top.get("event") {
        Some(e) => e.as_object()?,
        None => top,
    };
    match event.get("event_type")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim()),
        _ => None,
    }
}

/// Whether `text` must decode, by the contract alone (not by the decoder under test): it is
/// JSON by serde_json's own grammar check, and a valid envelope. Any number the grammar allows
/// is JSON, however large (`1e400`): serde_json's tree refuses those that overflow an `f64`, so
/// the envelope is read with every number replaced by `0`.
fn should_decode(text: &str) -> bool {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return false;
    }
    serde_json::from_str::<Value>(&numbers_as_zero(text)).ok().as_ref().and_then(envelope_type).is_some()
}

/// Valid JSON `text` with each number outside its strings written `0`.
fn numbers_as_zero(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped, mut in_number) = (false, false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        // A number starts with a digit or `-` (`e` also ends `true` and `false`).
        if in_number && (c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')) {
            continue;
        }
        in_number = c.is_ascii_digit() || c == '-';
        if in_number {
            out.push('0');
        } else {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// Decodes `text`, checking the contract: it decodes exactly when [`should_decode`] says so.
/// Returns that verdict.
fn check_decode(text: &str) -> bool {
    let result =
        catch_unwind(|| protocol::decode(text)).unwrap_or_else(|_| panic!("decode panicked on {}", preview(text)));
    let expected = should_decode(text);
    assert_eq!(
        result.is_ok(),
        expected,
        "decoded {:?}, the contract says {}: {}",
        result.as_ref().map(|_| ()),
        if expected { "it must" } else { "it must not" },
        preview(text)
    );
    if let Ok(v) = serde_json::from_str::<Value>(text)
        && let Some(event_type) = envelope_type(&v)
    {
        let inbound =
            result.as_ref().unwrap_or_else(|e| panic!("a valid envelope did not decode ({e}): {}", preview(text)));
        if !KNOWN.contains(&event_type) {
            assert!(
                matches!(inbound.body, HubEvent::Unknown { .. }),
                "unknown type {event_type:?} decoded as {:?}",
                inbound.body
            );
        }
        assert_eq!(*inbound.raw, v, "the raw frame is kept whole: {}", preview(text));
    }
    if let Ok(inbound) = &result {
        assert!(inbound.raw.is_object(), "the raw frame reads as JSON: {}", preview(text));
    }
    expected
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [10_000, 100_000] {
        for text in mutate::deep(depth) {
            assert!(protocol::decode(&text).is_err(), "{} levels decoded: {}", depth, preview(&text));
        }
    }
}

#[test]
fn huge_and_odd_numbers_in_every_field_decode_when_the_envelope_is_valid() {
    let text = &mutate::fixtures().into_iter().find(|(n, _)| n == "bot_message_text_and_buttons.json").unwrap().1;
    let value: Value = serde_json::from_str(text).unwrap();
    let mut decoded = 0;
    for t in mutate::huge_numbers(&value) {
        decoded += usize::from(check_decode(&t));
    }
    assert!(decoded > 0, "some frames with odd numbers in their payload decode");
}

/// An engine connected on a fake clock, with two conversations attached (so that events are
/// routed to conversations as well as to the client) and raw frames on.
struct Connected {
    engine: Engine,
    now: Instant,
    generation: u64,
    malformed: usize,
    delivered: usize,
}

impl Connected {
    fn new() -> Connected {
        let now = Instant::now();
        let mut engine = Engine::new(Timings { jitter_seed: Some(1), ..Timings::default() }, now);
        engine.connect(now);
        let generation = engine.generation();
        engine.transport_opened(generation, now);
        let socket = mutate::fixtures().into_iter().find(|(n, _)| n == "socket_connected.json").unwrap().1;
        engine.frame_received(generation, &socket, now);
        engine.attach("hart_acb3b13e-4818-40fa-b57e-d8a80feba5c1");
        engine.attach("temp123-aaaaa-aaaa");
        engine.set_raw_frames(true);
        let mut c = Connected { engine, now, generation, malformed: 0, delivered: 0 };
        c.drain();
        assert!(c.engine.state().is_connected(), "{:?}", c.engine.state());
        c
    }

    fn drain(&mut self) {
        while self.engine.poll_action().is_some() {}
        while let Some(o) = self.engine.poll_output() {
            if let Output::Deliver { event, .. } = o {
                self.delivered += 1;
                self.malformed += usize::from(matches!(event, Event::Malformed(_)));
            }
        }
    }

    /// Feeds one frame a millisecond after the last; the engine must not panic, must report a
    /// frame that does not decode (`decodes` false) as malformed, and must stay connected.
    fn feed(&mut self, text: &str, decodes: bool) {
        self.now += Duration::from_millis(1);
        let (g, now) = (self.generation, self.now);
        let before = self.malformed;
        catch_unwind(AssertUnwindSafe(|| {
            self.engine.frame_received(g, text, now);
            self.drain();
        }))
        .unwrap_or_else(|_| panic!("the engine panicked on {}", preview(text)));
        assert_eq!(self.malformed - before, usize::from(!decodes), "malformed events for {}", preview(text));
        assert!(self.engine.state().is_connected(), "{:?} after {}", self.engine.state(), preview(text));
    }
}

/// The whole sweep, in one pass: decode never panics and decodes every valid envelope (unknown
/// types as `Unknown`), and a connected engine fed the same frames never panics, reports each
/// frame that does not decode as malformed, stays connected, and still delivers a good frame
/// at the end.
#[test]
fn every_mutation_decodes_or_is_refused_and_the_engine_stays_connected() {
    let mut c = Connected::new();
    let (mut inputs, mut decoded) = (0usize, 0usize);
    for_each_input(|text| {
        inputs += 1;
        let ok = check_decode(text);
        decoded += usize::from(ok);
        c.feed(text, ok);
    });
    eprintln!("{inputs} inputs, {decoded} decoded");
    assert!(inputs > 10_000, "the sweep is not empty");
    assert!(decoded > 0 && decoded < inputs, "the sweep has both good and bad frames");
    let before = c.delivered;
    c.feed(&probe("after_the_sweep", 1), true);
    assert_eq!(c.delivered, before + 1, "a good frame is delivered after {inputs} mutated ones");
}

/// `n` mutated frames for the live check, all valid UTF-8 and under 128 KiB (a frame over the
/// client's limit is a protocol matter, tested elsewhere).
fn live_frames(n: usize) -> Vec<String> {
    let mut rng = Rng::new(SEED ^ 0x11FE);
    let mut pool: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for (_, text) in mutate::fixtures() {
        let value: Value = serde_json::from_str(&text).unwrap();
        pool.extend((0..text.len()).filter(|&cut| text.is_char_boundary(cut)).map(|cut| text[..cut].to_owned()));
        pool.extend(mutate::every_field_wrong(&value).iter().map(Value::to_string));
        pool.extend(mutate::huge_numbers(&value));
        pool.extend(mutate::duplicate_keys(&value));
        values.push(value);
    }
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let frame = if rng.below(4) == 0 {
            let value = rng.pick(&values).clone();
            mutate::structural(&value, &mut rng, 2).to_string()
        } else {
            rng.pick(&pool).clone()
        };
        if frame.len() < 128 * 1024 {
            out.push(frame);
        }
    }
    out
}

#[tokio::test]
async fn a_live_client_survives_mutated_frames_and_still_works() {
    const WAIT: Duration = Duration::from_secs(30);
    let sim = Sim::start(SimConfig::default()).await.expect("the hub starts");
    let mut config = Config::new(sim.api_key()).url(sim.base_url());
    config.fetch_large_messages = false;
    let client = Client::connect(config).await.expect("connects");
    let mut events = client.events();

    let frames = live_frames(2_000);
    let expected_malformed = frames.iter().filter(|f| !should_decode(f)).count();
    for f in &frames {
        sim.push_text(f);
    }
    sim.push_text(&probe("mutation_sentinel", 1));

    let (mut malformed, mut drops) = (0, 0);
    loop {
        match events.next_timeout(WAIT).await {
            Some(Event::Hub(i)) if i.event_type == "mutation_sentinel" => break,
            Some(Event::Malformed(_)) => malformed += 1,
            // A mutated `socket_connected` may rename the connection (Connected to Connected,
            // a new socket id); it must never drop it.
            Some(Event::State(s)) if s.previous.is_connected() && !s.current.is_connected() => {
                eprintln!("state change: {s:?}");
                drops += 1
            }
            Some(_) => {}
            None => panic!("the sentinel after the mutated frames did not arrive within {WAIT:?}"),
        }
    }
    assert_eq!(drops, 0, "the connection never dropped");
    assert_eq!(sim.connections_accepted(), 1, "no reconnect");
    assert_eq!(malformed, expected_malformed, "every frame that does not decode is reported, once");
    assert!(expected_malformed > 0 && expected_malformed < frames.len());

    // A normal round trip still works.
    let conversation = client
        .start_conversation(StartOptions { mode: StartMode::UserFirst, ..StartOptions::new("mutation-user") })
        .await
        .expect("a conversation starts");
    let mut conv_events = conversation.events();
    conversation.send_message("still here").await.expect("the message is sent");
    loop {
        match conv_events.next_timeout(WAIT).await {
            Some(e) if e.text().as_deref() == Some("You said: still here") => break,
            Some(_) => {}
            None => panic!("no echo within {WAIT:?}"),
        }
    }
    assert_eq!(sim.connections_accepted(), 1);
    client.close().await;
}
