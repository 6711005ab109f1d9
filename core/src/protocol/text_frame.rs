//! The most frequent frame, a `user_message` of text alone, written directly: byte for byte
//! what the serializer writes for it (the tests hold the two equal), into a string of its exact
//! size, with JSON string escapes found eight bytes at a time.

use super::scan::{ESCAPE, next_special};

/// The length of `s` as a JSON string, quotes included.
fn escaped_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut len = s.len() + 2;
    let mut i = next_special(bytes, 0);
    while let Some(&b) = bytes.get(i) {
        len += if ESCAPE[usize::from(b)] == b'u' { 5 } else { 1 };
        i = next_special(bytes, i + 1);
    }
    len
}

/// Appends `s` as a JSON string.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = next_special(bytes, 0);
    while let Some(&b) = bytes.get(i) {
        // An ASCII byte: `i` is a character boundary.
        out.push_str(&s[start..i]);
        out.push('\\');
        match ESCAPE[usize::from(b)] {
            b'u' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            escape => out.push(char::from(escape)),
        }
        start = i + 1;
        i = next_special(bytes, start);
    }
    out.push_str(&s[start..]);
    out.push('"');
}

const HEAD: &str = r#"{"action":"sendMessage","event":{"event_type":"user_message","event_payload":{"type":"message_create","client_msg_id":"#;
const CONVERSATION: &str = r#","conversation_id":"#;
const TEXT: &str = r#","content":{"type":"text","text":"#;
const TAIL: &str = "}}}}";

/// The length of [`user_message`].
pub(super) fn user_message_len(conversation_id: &str, client_msg_id: &str, text: &str) -> usize {
    HEAD.len()
        + escaped_len(client_msg_id)
        + CONVERSATION.len()
        + escaped_len(conversation_id)
        + TEXT.len()
        + escaped_len(text)
        + TAIL.len()
}

/// `user_message` with `text` alone.
pub(super) fn user_message(conversation_id: &str, client_msg_id: &str, text: &str) -> String {
    let len = user_message_len(conversation_id, client_msg_id, text);
    let mut out = String::with_capacity(len);
    out.push_str(HEAD);
    push_str(&mut out, client_msg_id);
    out.push_str(CONVERSATION);
    push_str(&mut out, conversation_id);
    out.push_str(TEXT);
    push_str(&mut out, text);
    out.push_str(TAIL);
    debug_assert_eq!(out.len(), len);
    out
}

/// The conversation a frame of [`user_message`]'s shape names, found where that shape has it
/// (`None` for another shape, or ids with escapes).
pub(super) fn conversation_of(frame: &str) -> Option<&str> {
    let b = frame.as_bytes();
    let rest = b.strip_prefix(HEAD.as_bytes())?.strip_prefix(b"\"")?;
    let end = next_special(rest, 0);
    let at = b.len() - rest.len() + end;
    let conversation = b.get(at..)?.strip_prefix(b"\"")?.strip_prefix(CONVERSATION.as_bytes())?.strip_prefix(b"\"")?;
    let start = b.len() - conversation.len();
    let end = start + next_special(conversation, 0);
    (b.get(end) == Some(&b'"')).then(|| frame.get(start..end)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_come_out_as_the_serializer_writes_them() {
        let mut samples: Vec<String> = vec![
            String::new(),
            "hello".into(),
            "exactly8".into(),
            "a \"quoted\" \\ back\\slash / slash".into(),
            "tabs\tnew\nlines\r\u{8}\u{c}\u{0}\u{1f}\u{7f} end".into(),
            "é ü 中文 🎉 \u{2028}\u{2029} \u{fffd}".into(),
            "long text without anything to escape, long enough for many words of eight bytes".into(),
        ];
        samples.extend((0..=0x7fu8).map(|b| format!("{}x{}", "ab".repeat(usize::from(b) % 9), char::from(b))));
        for s in &samples {
            let mut out = String::new();
            push_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
            assert_eq!(escaped_len(s), out.len(), "{s:?}");
        }
    }
}
