//! Hub frames and ids written straight as JSON text, so that a reply costs no intermediate
//! `serde_json::Value` (every JSON object built as a `Value` is a map allocation, and the hot
//! path of a benchmark sends tens of thousands of replies).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

const WRITE: &str = "writing JSON to memory cannot fail";

/// A JSON object written field by field.
pub(crate) struct Object(Vec<u8>);

impl Object {
    pub(crate) fn new() -> Object {
        let mut out = Vec::with_capacity(256);
        out.push(b'{');
        Object(out)
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(b',');
        }
        serde_json::to_writer(&mut self.0, key).expect(WRITE);
        self.0.push(b':');
    }

    /// A string field.
    pub(crate) fn str(&mut self, key: &str, value: &str) -> &mut Object {
        self.key(key);
        serde_json::to_writer(&mut self.0, value).expect(WRITE);
        self
    }

    /// A field whose value is already JSON text.
    pub(crate) fn raw(&mut self, key: &str, json: &str) -> &mut Object {
        self.key(key);
        self.0.extend_from_slice(json.as_bytes());
        self
    }

    pub(crate) fn finish(mut self) -> String {
        self.0.push(b'}');
        String::from_utf8(self.0).expect("JSON text is UTF-8")
    }
}

/// The text of a hub event frame (`receiveMessage`) whose payload is the JSON text `payload`.
pub(crate) fn event_frame(event_type: &str, payload: &str, event_id: &str) -> String {
    let mut event = Object::new();
    event.str("event_type", event_type).raw("event_payload", payload).str("event_id", event_id);
    event.raw("accepts_response_payload", "false");
    let mut frame = Object::new();
    frame.str("action", "receiveMessage").raw("event", &event.finish());
    frame.finish()
}

/// The content of a message of one text item: `[{"type":"text","text":...}]`.
pub(crate) fn text_content(text: &str) -> String {
    let mut item = Object::new();
    item.str("type", "text").str("text", text);
    format!("[{}]", item.finish())
}

/// A fresh random UUID (version 4) as text, for the ids the hub makes up.
///
/// The bits come from a generator seeded once from the operating system: these ids must be
/// unique, not secret, and a system call per id costs more than the rest of a reply.
pub(crate) fn new_id() -> String {
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let hi = mix(seed ^ n);
    let lo = mix(hi ^ seed.rotate_left(32));
    let bytes = ((u128::from(hi) << 64) | u128::from(lo)).to_be_bytes();
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

/// SplitMix64's finaliser: a bijection that scatters the bits of a counter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
