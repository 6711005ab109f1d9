//! JSON with numbers beyond the range of an `f64`: valid JSON (RFC 8259 sets no range), which
//! serde_json's tree refuses. Such a number is read as the largest finite `f64` of its sign, so
//! that a frame holding one decodes like any other, on every path.

use serde_json::Value;

/// The largest finite `f64`, as JSON.
const MAX: &str = "1.7976931348623157e308";

/// `text` parsed as JSON; a number out of the range of an `f64` reads as `±f64::MAX`.
pub(crate) fn parse(text: &str) -> serde_json::Result<Value> {
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(e) => match clamped(text) {
            // Only when the text is JSON by the grammar: any other error stands.
            Some(t) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => serde_json::from_str(&t),
            _ => Err(e),
        },
    }
}

/// `text` with every number outside its strings that an `f64` cannot hold written as the
/// largest one of its sign; `None` when there is none.
fn clamped(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if !(b.is_ascii_digit() || b == b'-') {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E')) {
            i += 1;
        }
        let token = &text[start..i];
        if token.parse::<f64>().is_ok_and(f64::is_infinite) {
            out.push_str(&text[copied..start]);
            if token.starts_with('-') {
                out.push('-');
            }
            out.push_str(MAX);
            copied = i;
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::parse;

    #[test]
    fn numbers_out_of_range_read_as_the_largest_f64() {
        let v = parse(r#"{"a":1e400,"b":[-1E+999,"1e400"],"c":0.5e-3}"#).unwrap();
        assert_eq!(v, json!({"a": f64::MAX, "b": [-f64::MAX, "1e400"], "c": 0.0005}));
        let digits = format!("[{}]", "9".repeat(400));
        assert_eq!(parse(&digits).unwrap(), json!([f64::MAX]));
    }

    #[test]
    fn anything_else_is_parsed_as_serde_json_does() {
        assert_eq!(parse(r#"{"t":true,"f":false,"n":null,"s":"-1e400\"x"}"#).unwrap()["s"], "-1e400\"x");
        assert!(parse("[1e400").is_err());
        assert!(parse("[01e400]").is_err());
        assert!(parse("{").is_err());
    }
}
