//! What a line typed in a chat means: a message, or a command starting with `/`.

use std::path::PathBuf;
use std::time::Duration;

use captivate::{DeleteMode, MetadataTarget};
use serde_json::Value;

/// The commands of a chat, as `/help` shows them.
pub(crate) const HELP: &str = "\
Lines you type are sent as messages; a number chooses one of the buttons shown last.
Commands:
  /meta [TARGET] {json}   set metadata (TARGET: default, bot, live or bot_live)
  /private {json}         set private metadata (for back-ends only)
  /getmeta                show the conversation's metadata
  /transcript             show the conversation's transcript
  /action ID [{json}]     send an action, e.g. /action escalateToHuman
  /ttl DAYS               keep the conversation's files 1, 7, 30 or 90 days
  /edit MESSAGE_ID TEXT   edit a message you sent (MESSAGE_ID `last`: the last one)
  /upload PATH            upload a file and send it
  /say TEXT               send TEXT as it is (a number, or text starting with /)
  /wait [SECONDS]         wait for the next message of the bot or an agent (one per /wait,
                          counted from your last message; at most 30 s unless told)
  /delete [hard]          delete the conversation and end the chat
  /help                   show this help
  /quit                   end the chat (so does the end of the input)";

/// How long `/wait` waits when not told.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// One line of chat input, understood.
#[derive(Debug, PartialEq)]
pub(crate) enum Input {
    /// An empty line: nothing to do.
    Nothing,
    /// Text to send. A bare number (not `literal`) chooses a button when one has that number.
    Say {
        /// The text.
        text: String,
        /// Sent as typed (`/say`), even when it is a button's number.
        literal: bool,
    },
    /// `/meta [TARGET] {json}`.
    SetMetadata {
        /// The metadata object.
        metadata: Value,
        /// Who it is for.
        target: Option<MetadataTarget>,
    },
    /// `/private {json}`.
    SetPrivate(Value),
    /// `/getmeta`.
    GetMetadata,
    /// `/transcript`.
    Transcript,
    /// `/action ID [json]`.
    Action {
        /// The action's id.
        id: String,
        /// Its data (an object; `{}` when not given).
        data: Value,
    },
    /// `/ttl DAYS`.
    TimeToLive(u32),
    /// `/edit MESSAGE_ID TEXT`.
    Edit {
        /// Which message.
        message: MessageRef,
        /// Its new text.
        text: String,
    },
    /// `/upload PATH`.
    Upload(PathBuf),
    /// `/wait [SECONDS]`.
    Wait(Duration),
    /// `/delete [hard]`.
    Delete(DeleteMode),
    /// `/help`.
    Help,
    /// `/quit`.
    Quit,
}

/// A message of the user's, named in `/edit`.
#[derive(Debug, PartialEq)]
pub(crate) enum MessageRef {
    /// The last message sent in this chat.
    Last,
    /// A message id (as the transcript shows it).
    Id(String),
}

/// Understands one line of input. An error says what is wrong with a command; the chat goes on.
pub(crate) fn parse(line: &str) -> Result<Input, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(Input::Nothing);
    }
    let Some(command) = line.strip_prefix('/') else {
        return Ok(Input::Say { text: line.to_owned(), literal: false });
    };
    let (name, rest) = match command.split_once(char::is_whitespace) {
        Some((n, r)) => (n, r.trim()),
        None => (command, ""),
    };
    let none = |input: Input| if rest.is_empty() { Ok(input) } else { Err(format!("/{name} takes nothing after it")) };
    match name {
        "meta" => {
            let (target, json) = match rest.split_once(char::is_whitespace) {
                Some((t, json)) if t.chars().all(|c| c.is_ascii_alphabetic() || c == '_') => {
                    let target = MetadataTarget::parse(t)
                        .ok_or_else(|| format!("unknown target {t:?}: default, bot, live or bot_live"))?;
                    (Some(target), json.trim())
                }
                _ => (None, rest),
            };
            Ok(Input::SetMetadata { metadata: object("/meta", json)?, target })
        }
        "private" => Ok(Input::SetPrivate(object("/private", rest)?)),
        "getmeta" => none(Input::GetMetadata),
        "transcript" => none(Input::Transcript),
        "action" => {
            let (id, json) = match rest.split_once(char::is_whitespace) {
                Some((id, json)) => (id, json.trim()),
                None => (rest, ""),
            };
            if id.is_empty() {
                return Err("/action needs an action id, e.g. /action escalateToHuman".into());
            }
            let data = if json.is_empty() { Value::Object(Default::default()) } else { object("/action", json)? };
            Ok(Input::Action { id: id.to_owned(), data })
        }
        "ttl" => {
            rest.parse().map(Input::TimeToLive).map_err(|_| "/ttl needs a number of days: 1, 7, 30 or 90".to_owned())
        }
        "edit" => match rest.split_once(char::is_whitespace) {
            Some((id, text)) if !text.trim().is_empty() => {
                let message = if id == "last" { MessageRef::Last } else { MessageRef::Id(id.to_owned()) };
                Ok(Input::Edit { message, text: text.trim().to_owned() })
            }
            _ => Err("/edit needs a message id (or `last`) and the new text".into()),
        },
        "upload" if rest.is_empty() => Err("/upload needs the path of a file".into()),
        "upload" => Ok(Input::Upload(PathBuf::from(rest))),
        "say" if rest.is_empty() => Err("/say needs the text to send".into()),
        "say" => Ok(Input::Say { text: rest.to_owned(), literal: true }),
        "wait" if rest.is_empty() => Ok(Input::Wait(DEFAULT_WAIT)),
        "wait" => rest
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| Input::Wait(Duration::from_secs_f64(s.min(86_400.0))))
            .ok_or_else(|| "/wait takes a number of seconds".to_owned()),
        "delete" => match rest {
            "" | "soft" => Ok(Input::Delete(DeleteMode::Soft)),
            "hard" => Ok(Input::Delete(DeleteMode::Hard)),
            _ => Err("/delete takes nothing, `soft` or `hard`".into()),
        },
        "help" | "?" => Ok(Input::Help),
        "quit" | "exit" => none(Input::Quit),
        _ => Err(format!("unknown command /{name} (/help lists the commands; /say sends text as it is)")),
    }
}

/// Parses the JSON object a command takes.
fn object(command: &str, json: &str) -> Result<Value, String> {
    if json.is_empty() {
        return Err(format!("{command} needs a JSON object, e.g. {command} {{\"plan\": \"gold\"}}"));
    }
    match serde_json::from_str::<Value>(json) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(format!("{command} needs a JSON object ({{...}})")),
        Err(e) => Err(format!("bad JSON in {command}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_and_commands() {
        assert_eq!(parse("  "), Ok(Input::Nothing));
        assert_eq!(parse("hello there"), Ok(Input::Say { text: "hello there".into(), literal: false }));
        assert_eq!(parse("/say /not a command"), Ok(Input::Say { text: "/not a command".into(), literal: true }));
        assert_eq!(
            parse("/meta {\"plan\": \"gold\"}"),
            Ok(Input::SetMetadata { metadata: json!({"plan": "gold"}), target: None })
        );
        assert_eq!(
            parse("/meta bot_live {\"a\":1}"),
            Ok(Input::SetMetadata { metadata: json!({"a": 1}), target: Some(MetadataTarget::BotLive) })
        );
        assert_eq!(parse("/private {\"crm\":1}"), Ok(Input::SetPrivate(json!({"crm": 1}))));
        assert_eq!(
            parse("/action escalateToHuman"),
            Ok(Input::Action { id: "escalateToHuman".into(), data: json!({}) })
        );
        assert_eq!(parse("/action go {\"to\": 2}"), Ok(Input::Action { id: "go".into(), data: json!({"to": 2}) }));
        assert_eq!(parse("/ttl 30"), Ok(Input::TimeToLive(30)));
        assert_eq!(
            parse("/edit last new text"),
            Ok(Input::Edit { message: MessageRef::Last, text: "new text".into() })
        );
        assert_eq!(parse("/edit m-1 x"), Ok(Input::Edit { message: MessageRef::Id("m-1".into()), text: "x".into() }));
        assert_eq!(parse("/upload my file.pdf"), Ok(Input::Upload(PathBuf::from("my file.pdf"))));
        assert_eq!(parse("/wait"), Ok(Input::Wait(DEFAULT_WAIT)));
        assert_eq!(parse("/wait 2.5"), Ok(Input::Wait(Duration::from_millis(2500))));
        assert_eq!(parse("/delete hard"), Ok(Input::Delete(DeleteMode::Hard)));
        assert_eq!(parse("/quit"), Ok(Input::Quit));
    }

    #[test]
    fn mistakes_are_explained() {
        let err = |s: &str| parse(s).unwrap_err();
        assert!(err("/meta {\"plan\": ").starts_with("bad JSON in /meta"));
        assert!(err("/meta [1]").contains("JSON object"));
        assert!(err("/meta").contains("needs a JSON object"));
        assert!(err("/meta vip {\"a\":1}").contains("unknown target"));
        assert!(err("/action").contains("action id"));
        assert!(err("/ttl soon").contains("1, 7, 30 or 90"));
        assert!(err("/edit last").contains("new text"));
        assert!(err("/frob").contains("unknown command /frob"));
        assert!(err("/quit now").contains("takes nothing"));
    }
}
