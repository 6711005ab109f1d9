//! Deterministic mutations of the hub's frames, seeded from the receive fixtures: structure
//! (dropped, duplicated, swapped and renamed keys and values), wrong types for every field,
//! empty and null values, sizes, deep nesting, huge numbers, duplicate keys, invalid UTF-8,
//! truncation. No randomness from outside: a seed gives the same inputs every run.

use std::path::PathBuf;

use serde_json::{Value, json};

/// SplitMix64: small, fast, and good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The receive fixtures, `(file name, text)`, sorted by name.
pub fn fixtures() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/receive");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.expect("a directory entry").path();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

/// Values of the wrong type (or empty, or at the edges) to put in place of any field.
pub fn wrong_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(""),
        json!("   "),
        json!("text"),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(f64::MAX),
        json!(true),
        json!(false),
        json!([]),
        json!({}),
        json!([null, 1, "x"]),
        json!({"unexpected": [{}]}),
    ]
}

/// One step of a path into a JSON value.
#[derive(Clone, Debug)]
pub enum Step {
    /// An object's key.
    Key(String),
    /// An array's index.
    Index(usize),
}

/// Every path in `v`, the root (empty path) first.
pub fn paths(v: &Value) -> Vec<Vec<Step>> {
    fn walk(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(here.clone());
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    here.push(Step::Key(k.clone()));
                    walk(child, here, out);
                    here.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    here.push(Step::Index(i));
                    walk(child, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// The node at `path`.
pub fn at_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for step in path {
        cur = match (step, cur) {
            (Step::Key(k), Value::Object(o)) => o.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// `v` with the node at `path` replaced by `with`.
pub fn replaced(v: &Value, path: &[Step], with: Value) -> Value {
    let mut out = v.clone();
    if let Some(node) = at_mut(&mut out, path) {
        *node = with;
    }
    out
}

/// Every node of `v` replaced by every one of [`wrong_values`], and every key of every
/// object dropped: an exhaustive sweep.
pub fn every_field_wrong(v: &Value) -> Vec<Value> {
    let wrong = wrong_values();
    let mut out = Vec::new();
    for path in paths(v) {
        for w in &wrong {
            out.push(replaced(v, &path, w.clone()));
        }
        if let Some((Step::Key(k), parent)) = path.split_last() {
            let mut dropped = v.clone();
            if let Some(Value::Object(o)) = at_mut(&mut dropped, parent) {
                o.remove(k);
            }
            out.push(dropped);
        }
    }
    out
}

/// A random structural mutation of `v`: a key dropped, renamed to another key of the frame,
/// a node copied over another, two nodes swapped, a key added with a copy of another node, a
/// string made very long, an array made big, a node wrapped in nesting. Up to `rounds` in a
/// row; a change of size is always the last.
pub fn structural(v: &Value, rng: &mut Rng, rounds: usize) -> Value {
    let mut out = v.clone();
    for _ in 0..rounds {
        let all = paths(&out);
        let keys: Vec<String> = all
            .iter()
            .filter_map(|p| p.last())
            .filter_map(|s| if let Step::Key(k) = s { Some(k.clone()) } else { None })
            .collect();
        let a = rng.pick(&all).clone();
        let b = rng.pick(&all).clone();
        let node_b = at_mut(&mut out, &b).cloned().unwrap_or(Value::Null);
        match rng.below(9) {
            0 => {
                if let Some((Step::Key(k), parent)) = a.split_last()
                    && let Some(Value::Object(o)) = at_mut(&mut out, parent)
                {
                    o.remove(k);
                }
            }
            1 => {
                if let Some((Step::Key(k), parent)) = a.split_last()
                    && !keys.is_empty()
                {
                    let new_key = rng.pick(&keys).clone();
                    if let Some(Value::Object(o)) = at_mut(&mut out, parent)
                        && let Some(val) = o.remove(k)
                    {
                        o.insert(new_key, val);
                    }
                }
            }
            2 => {
                // Copy b over a (b may contain a: the copy was taken first).
                if let Some(n) = at_mut(&mut out, &a) {
                    *n = node_b;
                }
            }
            3 => {
                let node_a = at_mut(&mut out, &a).cloned().unwrap_or(Value::Null);
                if let Some(n) = at_mut(&mut out, &a) {
                    *n = node_b;
                }
                if let Some(n) = at_mut(&mut out, &b) {
                    *n = node_a;
                }
            }
            4 => {
                if let Some(Value::Object(o)) = at_mut(&mut out, &a)
                    && !keys.is_empty()
                {
                    o.insert(rng.pick(&keys).clone(), node_b);
                }
            }
            5 => {
                let len = *rng.pick(&[1_000, 10_000, 64 * 1024]);
                let s: String = "é漢x".chars().cycle().take(len).collect();
                if let Some(n) = at_mut(&mut out, &a) {
                    *n = Value::String(s);
                }
                // Sizes grow no further: the frame stays cheap to walk.
                return out;
            }
            6 => {
                let len = *rng.pick(&[100, 1_000, 10_000]);
                if let Some(n) = at_mut(&mut out, &a) {
                    let item = if n.is_object() || n.is_array() { json!(1) } else { n.take() };
                    *n = Value::Array(vec![item; len]);
                }
                return out;
            }
            7 => {
                if let Some(n) = at_mut(&mut out, &a) {
                    let mut inner = n.take();
                    for _ in 0..rng.below(60) + 1 {
                        inner = if rng.below(2) == 0 { json!([inner]) } else { json!({ "n": inner }) };
                    }
                    *n = inner;
                }
                return out;
            }
            _ => {
                if let Some(n) = at_mut(&mut out, &a) {
                    *n = rng.pick(&wrong_values()).clone();
                }
            }
        }
    }
    out
}

/// Frames nested `depth` levels deep: bare arrays and objects, and nesting inside an
/// otherwise valid envelope.
pub fn deep(depth: usize) -> Vec<String> {
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let in_payload = format!(
        r#"{{"action":"receiveMessage","event":{{"event_type":"bot_message","event_payload":{{"content":{arrays}}},"event_id":"deep"}}}}"#
    );
    let unclosed = "[".repeat(depth);
    vec![arrays, objects, in_payload, unclosed]
}

/// Number literals that do not fit the usual types, as JSON text.
pub const HUGE_NUMBERS: [&str; 12] = [
    "1e400",
    "-1e400",
    "-0",
    "-0.0",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "5e-324",
    "123456789012345678901234567890.5e-3",
];

/// `v` with the node at every path replaced by every one of [`HUGE_NUMBERS`], as text (serde's
/// `Value` cannot hold some of them, so they are spliced into the text).
pub fn huge_numbers(v: &Value) -> Vec<String> {
    const MARK: &str = "\u{1}number-goes-here\u{1}";
    let mut out = Vec::new();
    for path in paths(v) {
        let text = replaced(v, &path, Value::String(MARK.into())).to_string();
        let quoted = serde_json::to_string(MARK).expect("a string serializes");
        for n in HUGE_NUMBERS {
            out.push(text.replace(&quoted, n));
        }
    }
    out
}

/// `v` as text with one key of one object given twice: for every key of every object, an odd
/// copy (null, a string, an array) before the real one (the real value wins in most parsers)
/// or after it (the odd one wins).
pub fn duplicate_keys(v: &Value) -> Vec<String> {
    let odd = [Value::Null, json!("dup"), json!([1, 2])];
    let mut out = Vec::new();
    for path in paths(v) {
        let mut probe = v.clone();
        let Some(Value::Object(o)) = at_mut(&mut probe, &path) else { continue };
        let keys: Vec<String> = o.keys().cloned().collect();
        for key in &keys {
            for value in &odd {
                for last in [false, true] {
                    let dup = Duplicate { path: &path, key, value, last };
                    let mut text = String::new();
                    write_with(v, &mut Vec::new(), &dup, &mut text);
                    out.push(text);
                }
            }
        }
    }
    out
}

struct Duplicate<'a> {
    path: &'a [Step],
    key: &'a str,
    value: &'a Value,
    last: bool,
}

/// Serializes `v`, adding the duplicate entry to the object at `dup.path`.
fn write_with(v: &Value, here: &mut Vec<Step>, dup: &Duplicate<'_>, out: &mut String) {
    let same_path = here.len() == dup.path.len()
        && here.iter().zip(dup.path).all(|(a, b)| match (a, b) {
            (Step::Key(x), Step::Key(y)) => x == y,
            (Step::Index(x), Step::Index(y)) => x == y,
            _ => false,
        });
    match v {
        Value::Object(o) => {
            let mut entries: Vec<String> = Vec::new();
            for (k, child) in o {
                here.push(Step::Key(k.clone()));
                let mut s = serde_json::to_string(k).expect("a key serializes");
                s.push(':');
                write_with(child, here, dup, &mut s);
                here.pop();
                entries.push(s);
            }
            if same_path {
                let extra = format!("{}:{}", serde_json::to_string(dup.key).expect("a key serializes"), dup.value);
                if dup.last {
                    entries.push(extra);
                } else {
                    entries.insert(0, extra);
                }
            }
            out.push('{');
            out.push_str(&entries.join(","));
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, child) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                here.push(Step::Index(i));
                write_with(child, here, dup, out);
                here.pop();
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Invalid UTF-8 sequences.
pub const BAD_UTF8: [&[u8]; 7] =
    [b"\xFF", b"\xC0\x80", b"\xED\xA0\x80", b"\xE2\x82", b"\xF4\x90\x80\x80", b"\x80\x80\x80", b"\xF0\x9F\x98"];

/// `text` with invalid UTF-8 spliced in at `count` random places (inside strings and between
/// tokens alike).
pub fn invalid_utf8(text: &str, rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let mut bytes = text.as_bytes().to_vec();
            let at = rng.below(bytes.len() + 1);
            let bad = rng.pick(&BAD_UTF8);
            bytes.splice(at..at, bad.iter().copied());
            bytes
        })
        .collect()
}
