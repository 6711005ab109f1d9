//! Arbitrary bytes through the frame decoder, as UTF-8 when they are and as a lossy string
//! always: it never panics, a valid envelope always decodes, and the decoder's quick paths
//! read a frame exactly as the lenient path does.

#![no_main]

use captivate::protocol::decode;
use captivate::protocol::inbound::decode_value;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The contract: `{"event": {"event_type": "<not blank>", ...}}`, or a bare event object.
fn is_envelope(v: &Value) -> bool {
    let Some(top) = v.as_object() else { return false };
    let event = match top.get("event") {
        Some(Value::Object(e)) => e,
        Some(_) => return false,
        None => top,
    };
    matches!(event.get("event_type"), Some(Value::String(s)) if !s.trim().is_empty())
}

fn check(text: &str) {
    let decoded = decode(text);
    if let Ok(v) = serde_json::from_str::<Value>(text)
        && is_envelope(&v)
    {
        let inbound = decoded.unwrap_or_else(|e| panic!("a valid envelope did not decode: {e}"));
        assert_eq!(*inbound.raw, v, "the raw frame is kept whole");
        let lenient = decode_value(v).unwrap_or_else(|e| panic!("a valid envelope did not decode: {e}"));
        assert_eq!(inbound, lenient, "the quick paths read the frame as the lenient path does");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    check(&String::from_utf8_lossy(data));
});
