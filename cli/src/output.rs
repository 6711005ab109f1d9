//! Where text goes: conversation lines to stdout, errors to stderr, colours only on a terminal
//! (and never with `NO_COLOR`), and the API key replaced wherever it would appear.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

/// What a line is, which decides its colour on a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Said by the chat flow.
    Bot,
    /// Said by a live agent.
    Agent,
    /// Said by the user.
    You,
    /// About the conversation or the connection (hand-over, actions, states, results).
    Note,
    /// Something went wrong, shown in the conversation.
    Alert,
    /// Printed as is (JSON, lists).
    Plain,
}

/// One line of output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    /// Its kind.
    pub(crate) tone: Tone,
    /// Its text (without the newline).
    pub(crate) text: String,
}

impl Line {
    /// A line of the given kind.
    pub(crate) fn new(tone: Tone, text: impl Into<String>) -> Line {
        Line { tone, text: text.into() }
    }

    /// A note: `-- text`.
    pub(crate) fn note(text: impl std::fmt::Display) -> Line {
        Line::new(Tone::Note, format!("-- {text}"))
    }

    /// An alert: `!! text`.
    pub(crate) fn alert(text: impl std::fmt::Display) -> Line {
        Line::new(Tone::Alert, format!("!! {text}"))
    }
}

/// Prints lines, redacting the API key.
#[derive(Clone, Debug)]
pub(crate) struct Output {
    color_out: bool,
    color_err: bool,
    secret: Option<String>,
}

impl Output {
    /// Output for this process: colours when the stream is a terminal and `NO_COLOR` is unset,
    /// and every occurrence of `secret` (the API key) replaced.
    pub(crate) fn new(secret: Option<&str>) -> Output {
        let allowed = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
        Output {
            color_out: allowed && std::io::stdout().is_terminal(),
            color_err: allowed && std::io::stderr().is_terminal(),
            secret: secret.filter(|s| !s.is_empty()).map(str::to_owned),
        }
    }

    /// Prints lines to stdout.
    pub(crate) fn show(&self, lines: &[Line]) {
        let mut out = std::io::stdout().lock();
        for line in lines {
            let text = self.redact(&line.text);
            // A closed stdout (the reader went away) is not worth a panic: nothing can be shown.
            let _ = if self.color_out {
                writeln!(out, "{}{text}\x1b[0m", color(line.tone))
            } else {
                writeln!(out, "{text}")
            };
        }
        let _ = out.flush();
    }

    /// Prints one line to stdout.
    pub(crate) fn line(&self, line: Line) {
        self.show(std::slice::from_ref(&line));
    }

    /// Prints an error to stderr: `error: message`.
    pub(crate) fn error(&self, message: &str) {
        self.stderr(&format!("error: {message}"));
    }

    /// Prints a line to stderr.
    pub(crate) fn stderr(&self, text: &str) {
        let text = self.redact(text);
        let mut err = std::io::stderr().lock();
        let _ = if self.color_err { writeln!(err, "\x1b[31m{text}\x1b[0m") } else { writeln!(err, "{text}") };
    }

    /// The text with the API key replaced.
    pub(crate) fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        redact(text, self.secret.as_deref())
    }
}

/// `text` with `secret` replaced in every form it can take ([`captivate::error::redact`]).
pub(crate) fn redact<'a>(text: &'a str, secret: Option<&str>) -> Cow<'a, str> {
    match secret {
        Some(s) if !s.is_empty() => match captivate::error::redact(text, s) {
            out if out == text => Cow::Borrowed(text),
            out => Cow::Owned(out),
        },
        _ => Cow::Borrowed(text),
    }
}

fn color(tone: Tone) -> &'static str {
    match tone {
        Tone::Bot => "\x1b[36m",
        Tone::Agent => "\x1b[32m",
        Tone::You => "\x1b[2m",
        Tone::Note => "\x1b[33m",
        Tone::Alert => "\x1b[31m",
        Tone::Plain => "\x1b[0m",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_replaced_everywhere() {
        assert_eq!(redact("a k3y b k3y", Some("k3y")), "a [redacted] b [redacted]");
        assert_eq!(redact("nothing here", Some("k3y")), "nothing here");
        assert_eq!(redact("k3y", None), "k3y");
        assert_eq!(redact("k3y", Some("")), "k3y");
    }
}
