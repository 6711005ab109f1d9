//! JSON text eight bytes at a time: the bytes of a string that need an escape, and a reader
//! for the few simple shapes the quickest decoding path takes.
//!
//! The reader is strict where it is not sure: anything it does not read exactly as a full JSON
//! parser would (an escaped key, a `\u` escape, nesting deeper than [`MAX_DEPTH`]) makes it
//! give up (`None`), and the caller falls back to the full parser. Whatever it accepts is valid
//! JSON.

use std::borrow::Cow;

/// The escape of each byte in a JSON string, as `serde_json` writes it: 0 none, `u` the
/// `\u00XX` form, any other the character after the backslash.
pub(super) const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The bytes of `w` (eight, in memory order) that are special in a JSON string: a control
/// character, `"` or `\\` (the bytes [`ESCAPE`] escapes). The lowest set bit is in the first
/// special byte (later bits may be set wrongly: only the first one counts).
pub(super) fn special_mask(w: u64) -> u64 {
    let below_space = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    (below_space | (quote.wrapping_sub(ONES) & !quote) | (backslash.wrapping_sub(ONES) & !backslash)) & HIGHS
}

/// Where the first special byte of `b` from `i` is, eight bytes at a time (the end of `b` if
/// there is none).
pub(super) fn next_special(b: &[u8], mut i: usize) -> usize {
    while let Some(w) = word(b, i) {
        let m = special_mask(w);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if ESCAPE[usize::from(c)] != 0 {
            return i;
        }
        i += 1;
    }
    i
}

/// The eight bytes of `b` from `i`, if there are eight.
pub(super) fn word(b: &[u8], i: usize) -> Option<u64> {
    let chunk = b.get(i..i + 8)?;
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    Some(u64::from_le_bytes(w))
}

/// Containers nested deeper than this make the reader give up.
pub(super) const MAX_DEPTH: usize = 32;

/// A reader of JSON text. Each method skips the whitespace before what it reads.
pub(super) struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Reader { text, at: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes().get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte that is not whitespace, not consumed.
    pub(super) fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.at).copied()
    }

    /// Consumes `b`, the next byte that is not whitespace.
    pub(super) fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// Nothing but whitespace is left.
    pub(super) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// After a member of an object: `true` when another follows (`,`), `false` at its end.
    pub(super) fn more(&mut self, close: u8) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.at += 1;
                Some(true)
            }
            b if b == close => {
                self.at += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// Opens an object: `true` when it has members (read each with [`Reader::key`], the value,
    /// then [`Reader::more`]).
    pub(super) fn open_object(&mut self) -> Option<bool> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(false);
        }
        Some(true)
    }

    /// Opens an array: `true` when it has elements (each followed by [`Reader::more`]).
    pub(super) fn open_array(&mut self) -> Option<bool> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(false);
        }
        Some(true)
    }

    /// A member's key and the colon after it. A key with an escape gives up.
    pub(super) fn key(&mut self) -> Option<&'a str> {
        match self.string()? {
            Cow::Borrowed(k) => {
                self.eat(b':')?;
                Some(k)
            }
            Cow::Owned(_) => None,
        }
    }

    /// A string, borrowed from the text unless it has escapes. A `\u` escape gives up.
    pub(super) fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let b = self.bytes();
        let start = self.at;
        let i = next_special(b, start);
        match *b.get(i)? {
            b'"' => {
                self.at = i + 1;
                self.text.get(start..i).map(Cow::Borrowed)
            }
            b'\\' => {
                self.at = i;
                self.escaped(start).map(Cow::Owned)
            }
            _ => None,
        }
    }

    /// The rest of a string from its first escape at `self.at`; `start` is where it began.
    fn escaped(&mut self, start: usize) -> Option<String> {
        let b = self.bytes();
        let mut out = String::with_capacity(self.at - start + 16);
        out.push_str(self.text.get(start..self.at)?);
        let mut run = self.at;
        let mut i = self.at;
        loop {
            match *b.get(i)? {
                b'"' => {
                    out.push_str(self.text.get(run..i)?);
                    self.at = i + 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(self.text.get(run..i)?);
                    out.push(match *b.get(i + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        _ => return None,
                    });
                    i += 2;
                    run = i;
                }
                c if c < 0x20 => return None,
                _ => i += 1,
            }
        }
    }

    /// Skips any value, checking that it is valid JSON.
    pub(super) fn skip_value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => {
                if self.open_object()? {
                    loop {
                        self.key()?;
                        self.skip_value(depth + 1)?;
                        if !self.more(b'}')? {
                            break;
                        }
                    }
                }
                Some(())
            }
            b'[' => {
                if self.open_array()? {
                    loop {
                        self.skip_value(depth + 1)?;
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
                Some(())
            }
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number(),
        }
    }

    /// `null`, consumed, or nothing consumed.
    pub(super) fn null(&mut self) -> Option<bool> {
        if self.peek()? == b'n' {
            self.literal("null")?;
            return Some(true);
        }
        Some(false)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        self.skip_ws();
        self.text.get(self.at..)?.starts_with(word).then(|| self.at += word.len())
    }

    /// A number as JSON writes it: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        self.skip_ws();
        let b = self.bytes();
        let mut i = self.at;
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i).then_some(())?;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            digits(&mut i).then_some(())?;
        }
        self.at = i;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_test_finds_exactly_the_special_bytes() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut w = [b'a'; 8];
                w[at] = b;
                assert_eq!(
                    special_mask(u64::from_le_bytes(w)) != 0,
                    ESCAPE[usize::from(b)] != 0,
                    "byte {b:#x} at {at}"
                );
            }
        }
        for first in 0..8 {
            for b in [0u8, 0x1f, b'"', b'\\'] {
                let mut w = [b'a'; 8];
                w[first] = b;
                // Whatever comes after the first one.
                for later in first + 1..8 {
                    w[later] = [0u8, b'"', 0xff, b'\\', 0x20][later % 5];
                }
                assert_eq!(next_special(&w, 0), first, "{w:?}");
            }
        }
        assert_eq!(next_special(b"no special bytes at all, none", 0), 29);
        assert_eq!(next_special(b"abc\"", 1), 3);
        assert_eq!(special_mask(u64::from_le_bytes([0xff, 0x80, 0xc3, 0xa9, b' ', b'~', 0x7f, 0xa0])), 0);
        assert_ne!(special_mask(u64::from_le_bytes([0xff, 0x80, 0xc3, 0xa9, 0x1f, b'~', 0x7f, 0xa0])), 0);
    }

    /// Skips a whole text as one value: `Some` exactly for the texts a full parser reads, but
    /// for those the reader leaves to it.
    fn skips(text: &str) -> bool {
        let mut r = Reader::new(text);
        r.skip_value(0).is_some() && r.at_end()
    }

    #[test]
    fn what_the_reader_accepts_is_json() {
        let valid = [
            "0",
            "-0",
            "12.5e-3",
            "1E+9",
            "\"\"",
            "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
            "\"é 中文 🎉\"",
            " { \"a\" : [ 1 , true , false , null , { } , [ ] ] } ",
            "{\"long key of more than eight bytes\":\"and a long value of more than eight bytes\"}",
        ];
        for t in valid {
            assert!(skips(t), "{t}");
            assert!(serde_json::from_str::<serde_json::Value>(t).is_ok(), "{t}");
        }
        let invalid = [
            "",
            "01",
            "1.",
            ".5",
            "1e",
            "-",
            "+1",
            "\"unterminated",
            "\"bad \\x escape\"",
            "\"raw \u{1} control\"",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "[1,]",
            "[1 2]",
            "{1:2}",
            "tru",
            "nul",
            "{\"a\":1} x",
        ];
        for t in invalid {
            assert!(!skips(t), "{t}");
        }
        // Left to the full parser, though valid.
        assert!(!skips("\"\\u00e9\""));
        assert!(!skips(&format!("{}{}", "[".repeat(40), "]".repeat(40))));
    }

    #[test]
    fn strings_are_read_as_a_full_parser_reads_them() {
        for t in ["\"plain\"", "\"exactly8\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t end of a longer string\"", "\"é🎉\""]
        {
            let mut r = Reader::new(t);
            let got = r.string().unwrap();
            assert!(r.at_end());
            assert_eq!(got, serde_json::from_str::<String>(t).unwrap(), "{t}");
        }
    }
}
