//! `captivate`: chat with a Captivate chat flow from a terminal, on the `captivate` library.
//!
//! `captivate chat` holds a conversation (bot messages with numbered buttons, cards and files,
//! the hand-over to live agents, actions, hub errors, connection changes; `/` commands for
//! metadata, transcripts, actions, edits, deletion); `conversations`, `transcript` and
//! `delete` are one-shot commands. The API key comes from `CAPTIVATE_API_KEY` only and is
//! never printed. See `captivate --help` and the crate's README.

mod args;
mod chat;
mod commands;
mod failure;
mod logging;
mod oneshot;
mod output;
mod render;
mod upload;

use std::process::ExitCode;

use captivate::{Client, Config};

use crate::args::{Args, Command, USAGE, UsageError};
use crate::failure::{FAILED, Failure};
use crate::output::{Line, Output, Tone};

/// The environment variable the API key is read from.
const KEY_VARIABLE: &str = "CAPTIVATE_API_KEY";

fn main() -> ExitCode {
    let key = std::env::var(KEY_VARIABLE).ok().filter(|k| !k.trim().is_empty());
    let out = Output::new(key.as_deref());
    let args = match args::parse(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(UsageError(message)) => {
            out.stderr(&format!("captivate: {message} (captivate --help shows the usage)"));
            return ExitCode::from(failure::USAGE);
        }
    };
    match args.command {
        Command::Help => {
            out.line(Line::new(Tone::Plain, USAGE));
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            out.line(Line::new(Tone::Plain, format!("captivate {}", env!("CARGO_PKG_VERSION"))));
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    if let Some(warning) = logging::init(key.as_deref()) {
        out.stderr(&format!("captivate: {warning}"));
    }
    let Some(key) = key else {
        out.stderr(&format!("captivate: {KEY_VARIABLE} is not set: export the API key of your Captivate channel"));
        return ExitCode::from(failure::USAGE);
    };
    match run(args, key, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            out.stderr(&format!("captivate: {}", f.message));
            ExitCode::from(f.status)
        }
    }
}

/// Connects and runs the command.
fn run(args: Args, key: String, out: &Output) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(FAILED, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let mut config = Config::new(key).endpoint(args.hub.endpoint);
        config.tls.extra_ca_file = args.hub.ca_file;
        let client = Client::connect(config).await?;
        let result = match args.command {
            Command::Chat { user, mode } => chat::run(&client, out, &user, mode).await,
            Command::Conversations { user, json, page, limit } => {
                oneshot::conversations(&client, out, &user, json, page, limit).await
            }
            Command::Transcript { conversation_id, json } => {
                oneshot::transcript(&client, out, &conversation_id, json).await
            }
            Command::Delete { conversation_id, mode } => oneshot::delete(&client, out, &conversation_id, mode).await,
            Command::Help | Command::Version => Ok(()),
        };
        client.close().await;
        result
    })
}
