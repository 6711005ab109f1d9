//! The command line: which command to run, against which hub, with which options.
//!
//! Parsed by hand: the surface is a handful of subcommands and flags. Options may come before
//! or after the subcommand (`captivate --dev chat` and `captivate chat --dev` are the same).
//! The API key is never an argument: it is read from `CAPTIVATE_API_KEY` (see `main.rs`).

use std::ffi::OsString;
use std::path::PathBuf;

use captivate::{DeleteMode, Endpoint, StartMode};

/// The text of `captivate --help`.
pub(crate) const USAGE: &str = "\
captivate: chat with a Captivate chat flow from a terminal

Usage:
  captivate chat [--user ID] [--user-first] [HUB]
  captivate conversations USER [--json] [--page N] [--limit N] [HUB]
  captivate transcript CONVERSATION_ID [--json] [HUB]
  captivate delete CONVERSATION_ID [--hard] [HUB]
  captivate --help | --version

Commands:
  chat            start a conversation and hold it: lines you type are sent as messages, a
                  number chooses one of the buttons shown last, lines starting with / are
                  commands (/help lists them); ends with /quit or at the end of the input
  conversations   list a user's conversations
  transcript      print a conversation's transcript
  delete          delete a conversation (soft unless --hard)

Options:
  --user ID       the user id of the conversation (default: captivate-cli)
  --user-first    start without the greeting trigger: the user speaks first
  --json          print the hub's answer as JSON
  --page N        the page of the list (from 1)
  --limit N       conversations per page
  --hard          delete for good instead of a soft delete

HUB (the production hub by default):
  --dev           the development hub
  --url URL       any hub, e.g. the local one: ws://127.0.0.1:8080/dev (without the apiKey query)
  --ca-file PATH  also trust the CA certificates of this PEM file (a hub with its own certificate)

Environment:
  CAPTIVATE_API_KEY  the API key (required; it is never taken from the command line)
  CAPTIVATE_LOG      write the library's logs to stderr, with a filter such as `debug` or
                     `captivate=trace` (RUST_LOG is read when CAPTIVATE_LOG is not set)
  NO_COLOR           never colour the output (it is only coloured on a terminal anyway)

Exit status:
  0  done
  1  a request failed (an error from the hub, a timeout, the connection lost for good)
  2  bad usage, or CAPTIVATE_API_KEY is not set
  3  the hub rejected the API key
  4  the hub could not be reached";

/// What the user asked for.
#[derive(Debug, PartialEq)]
pub(crate) enum Command {
    /// Hold an interactive conversation.
    Chat {
        /// The conversation's user id.
        user: String,
        /// Bot-first (the flow greets) or user-first.
        mode: StartMode,
    },
    /// List a user's conversations.
    Conversations {
        /// Whose conversations.
        user: String,
        /// Print JSON instead of text.
        json: bool,
        /// The page, from 1.
        page: Option<u32>,
        /// Conversations per page.
        limit: Option<u32>,
    },
    /// Print a conversation's transcript.
    Transcript {
        /// The conversation.
        conversation_id: String,
        /// Print JSON instead of text.
        json: bool,
    },
    /// Delete a conversation.
    Delete {
        /// The conversation.
        conversation_id: String,
        /// Soft or hard.
        mode: DeleteMode,
    },
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
}

/// Where the hub is and how to trust it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Hub {
    /// The hub's endpoint.
    pub(crate) endpoint: Endpoint,
    /// A PEM file of extra CA certificates to trust.
    pub(crate) ca_file: Option<PathBuf>,
}

/// A parsed command line.
#[derive(Debug, PartialEq)]
pub(crate) struct Args {
    /// What to do.
    pub(crate) command: Command,
    /// Where.
    pub(crate) hub: Hub,
}

/// A command line that cannot be run; the message says why.
#[derive(Debug, PartialEq)]
pub(crate) struct UsageError(pub(crate) String);

/// The user id of a chat when `--user` is not given.
pub(crate) const DEFAULT_USER: &str = "captivate-cli";

/// The options as they were given, before they are checked against the command.
#[derive(Default)]
struct Given {
    dev: bool,
    url: Option<String>,
    ca_file: Option<PathBuf>,
    user: Option<String>,
    user_first: bool,
    json: bool,
    hard: bool,
    page: Option<u32>,
    limit: Option<u32>,
    /// Options that only some commands take, in the order given, to refuse them elsewhere.
    specific: Vec<&'static str>,
}

/// Parses the arguments (without the program name).
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, UsageError> {
    let mut args = args.into_iter().map(|a| a.into_string().map_err(|_| bad("an argument is not valid UTF-8")));
    let mut given = Given::default();
    let mut positional = Vec::new();
    while let Some(arg) = args.next() {
        let arg = arg?;
        if !arg.starts_with('-') || arg == "-" {
            positional.push(arg);
            continue;
        }
        // `--name=value` or `--name value`. Only the name is ever repeated in an error, so that a
        // secret pasted as a value is not echoed.
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, UsageError> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().transpose()?.ok_or_else(|| bad(&format!("{name} needs {what}"))),
            }
        };
        let flag = |inline: &Option<String>| match inline {
            Some(_) => Err(bad(&format!("{name} takes no value"))),
            None => Ok(true),
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Args { command: Command::Help, hub: Hub::default() }),
            "-V" | "--version" => return Ok(Args { command: Command::Version, hub: Hub::default() }),
            "--dev" => given.dev = flag(&inline)?,
            "--url" => given.url = Some(value("a URL")?),
            "--ca-file" => given.ca_file = Some(PathBuf::from(value("a file")?)),
            "--user" => {
                given.user = Some(value("a user id")?);
                given.specific.push("--user");
            }
            "--user-first" => {
                given.user_first = flag(&inline)?;
                given.specific.push("--user-first");
            }
            "--json" => {
                given.json = flag(&inline)?;
                given.specific.push("--json");
            }
            "--hard" => {
                given.hard = flag(&inline)?;
                given.specific.push("--hard");
            }
            "--page" => {
                given.page = Some(number(&name, &value("a number")?)?);
                given.specific.push("--page");
            }
            "--limit" => {
                given.limit = Some(number(&name, &value("a number")?)?);
                given.specific.push("--limit");
            }
            n if n.to_ascii_lowercase().contains("key") => {
                return Err(bad(
                    "the API key is never given on the command line: set the environment variable CAPTIVATE_API_KEY",
                ));
            }
            n => return Err(bad(&format!("unknown option {n}"))),
        }
    }
    let hub = hub(&given)?;
    let mut positional = positional.into_iter();
    let Some(name) = positional.next() else { return Err(bad("no command given")) };
    let (command, allowed): (Command, &[&str]) = match name.as_str() {
        "chat" => (
            Command::Chat {
                user: nonempty(given.user.unwrap_or_else(|| DEFAULT_USER.to_owned()), "--user")?,
                mode: if given.user_first { StartMode::UserFirst } else { StartMode::BotFirst },
            },
            &["--user", "--user-first"],
        ),
        "conversations" => (
            Command::Conversations {
                user: required(positional.next(), "conversations needs a USER")?,
                json: given.json,
                page: given.page,
                limit: given.limit,
            },
            &["--json", "--page", "--limit"],
        ),
        "transcript" => (
            Command::Transcript {
                conversation_id: required(positional.next(), "transcript needs a CONVERSATION_ID")?,
                json: given.json,
            },
            &["--json"],
        ),
        "delete" => (
            Command::Delete {
                conversation_id: required(positional.next(), "delete needs a CONVERSATION_ID")?,
                mode: if given.hard { DeleteMode::Hard } else { DeleteMode::Soft },
            },
            &["--hard"],
        ),
        "help" => (Command::Help, &[]),
        other => return Err(bad(&format!("unknown command {other:?}"))),
    };
    if positional.next().is_some() {
        return Err(bad(&format!("too many arguments for {name}")));
    }
    if let Some(option) = given.specific.iter().find(|o| !allowed.contains(o)) {
        return Err(bad(&format!("{name} does not take {option}")));
    }
    Ok(Args { command, hub })
}

fn hub(given: &Given) -> Result<Hub, UsageError> {
    let endpoint = match (&given.url, given.dev) {
        (Some(_), true) => return Err(bad("give --dev or --url, not both")),
        (Some(url), false) => {
            if url.to_ascii_lowercase().contains("apikey") {
                return Err(bad(
                    "give the URL without the apiKey query: the key is read from CAPTIVATE_API_KEY and appended",
                ));
            }
            Endpoint::parse(url).map_err(|_| bad("--url must be a ws:// or wss:// URL (or prod, dev)"))?
        }
        (None, true) => Endpoint::Dev,
        (None, false) => Endpoint::Prod,
    };
    Ok(Hub { endpoint, ca_file: given.ca_file.clone() })
}

fn number(name: &str, v: &str) -> Result<u32, UsageError> {
    v.parse().ok().filter(|n| *n > 0).ok_or_else(|| bad(&format!("{name} must be a whole number from 1")))
}

fn required(v: Option<String>, message: &str) -> Result<String, UsageError> {
    let v = v.ok_or_else(|| bad(message))?;
    nonempty(v, message)
}

fn nonempty(v: String, what: &str) -> Result<String, UsageError> {
    if v.trim().is_empty() { Err(bad(&format!("{what}: the value must not be empty"))) } else { Ok(v) }
}

fn bad(message: &str) -> UsageError {
    UsageError(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Args, UsageError> {
        parse(s.split_whitespace().map(OsString::from))
    }

    #[test]
    fn options_before_or_after_the_command() {
        let a = parse_str("--dev chat --user ada --user-first").unwrap();
        assert_eq!(a.hub.endpoint, Endpoint::Dev);
        assert_eq!(a.command, Command::Chat { user: "ada".into(), mode: StartMode::UserFirst });
        let b = parse_str("chat --url=ws://127.0.0.1:9/dev").unwrap();
        assert_eq!(b.hub.endpoint, Endpoint::Url("ws://127.0.0.1:9/dev".into()));
        assert_eq!(b.command, Command::Chat { user: DEFAULT_USER.into(), mode: StartMode::BotFirst });
        let c = parse_str("delete c-1 --hard").unwrap();
        assert_eq!(c.command, Command::Delete { conversation_id: "c-1".into(), mode: DeleteMode::Hard });
        let d = parse_str("conversations ada --json --page 2 --limit 5").unwrap();
        assert_eq!(d.command, Command::Conversations { user: "ada".into(), json: true, page: Some(2), limit: Some(5) });
        assert_eq!(parse_str("transcript x --help").unwrap().command, Command::Help);
    }

    #[test]
    fn refusals_name_the_problem() {
        let err = |s: &str| parse_str(s).unwrap_err().0;
        assert!(err("").contains("no command"));
        assert!(err("chat --hard").contains("does not take --hard"));
        assert!(err("transcript").contains("needs a CONVERSATION_ID"));
        assert!(err("chat --dev --url ws://h/dev").contains("not both"));
        assert!(err("chat --url http://h").contains("ws://"));
        assert!(err("chat --frobnicate").contains("unknown option --frobnicate"));
        assert!(err("conversations ada --page 0").contains("from 1"));
        assert!(err("launch").contains("unknown command"));
    }

    #[test]
    fn a_key_on_the_command_line_is_refused_without_being_repeated() {
        for line in
            ["chat --api-key=s3cr3t-value", "chat --key s3cr3t-value", "chat --url ws://h/dev?apiKey=s3cr3t-value"]
        {
            let message = parse_str(line).unwrap_err().0;
            assert!(message.contains("CAPTIVATE_API_KEY"), "{message}");
            assert!(!message.contains("s3cr3t"), "{message}");
        }
    }
}
