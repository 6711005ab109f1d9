//! `captivate chat`: a conversation held from a terminal or a pipe.
//!
//! One loop shows the conversation's events as they arrive and takes the input one line at a
//! time: a line's request runs to its end (while events keep showing) before the next line is
//! read, so requests reach the hub in the order typed, also when the lines come from a pipe.

use std::future::Future;
use std::io::{BufRead, IsTerminal};
use std::pin::Pin;
use std::time::Duration;

use captivate::{Client, ConnectionState, Conversation, Event, OutgoingMessage, StartMode, StartOptions};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::commands::{self, HELP, Input, MessageRef};
use crate::failure::{FAILED, Failure};
use crate::output::{Line, Output, Tone};
use crate::render::{self, Choices};
use crate::upload;

/// What a finished request has to show, and what it changes.
#[derive(Default)]
struct Effect {
    /// Lines to print.
    lines: Vec<Line>,
    /// The id of the message it sent.
    sent: Option<String>,
    /// The chat is over (the conversation was deleted).
    end: bool,
}

impl Effect {
    fn note(text: impl std::fmt::Display) -> Effect {
        Effect { lines: vec![Line::note(text)], ..Effect::default() }
    }
}

/// A request on its way: its effect, or what went wrong.
type Request = Pin<Box<dyn Future<Output = Result<Effect, String>> + Send>>;

/// What a line of input asks the loop to do.
enum Step {
    /// Nothing more (done already, or a mistake that was reported).
    Nothing,
    /// Wait for this request before reading on.
    Run(Request),
    /// Wait until the bot or an agent says something new, at most this long.
    Wait(Duration),
    /// End the chat.
    Quit,
}

/// The state of a chat.
struct Chat<'a> {
    conversation: Conversation,
    out: &'a Output,
    /// The buttons shown last.
    choices: Choices,
    /// The id of the last message sent, for `/edit last`.
    last_sent: Option<String>,
    /// Show the lines sent as `you: ...` (when the input is not a terminal, where they would
    /// already be visible).
    echo: bool,
    /// Messages from the bot or agents since the user last spoke, not yet waited for: each
    /// `/wait` accounts for one, so that a script's waits do not depend on how fast the replies
    /// come.
    unseen: usize,
}

/// Starts a conversation for `user` and holds it until `/quit`, the end of the input, Ctrl-C,
/// `/delete`, or a connection that fails for good.
pub(crate) async fn run(client: &Client, out: &Output, user: &str, mode: StartMode) -> Result<(), Failure> {
    out.line(Line::note(format!("connected to {}", client.config().endpoint.base_url())));
    let conversation = client.start_conversation(StartOptions { mode, ..StartOptions::new(user) }).await?;
    out.line(Line::note(format!(
        "conversation {} started for user {user}; /help lists the commands",
        conversation.id()
    )));
    let mut events = conversation.events();
    let mut client_events = client.events();
    let mut client_open = true;
    let mut chat = Chat {
        conversation,
        out,
        choices: Choices::default(),
        last_sent: None,
        echo: !std::io::stdin().is_terminal(),
        unseen: 0,
    };
    let mut input = stdin_lines();
    let mut running: Option<Request> = None;
    let mut waiting: Option<(Instant, Duration)> = None;
    let interrupted = interrupted();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            biased;
            () = &mut interrupted => return Ok(()),
            event = events.next() => {
                let Some(event) = event else { return Ok(()) };
                chat.show(&event)?;
                if waiting.is_some() && chat.unseen > 0 {
                    waiting = None;
                    chat.unseen -= 1;
                }
            }
            event = client_events.next(), if client_open => match event {
                Some(event) if only_on_the_client(&event, chat.conversation.id()) => chat.show_elsewhere(&event),
                Some(_) => {}
                None => client_open = false,
            },
            done = finish(&mut running) => {
                running = None;
                match done {
                    Ok(effect) => {
                        out.show(&effect.lines);
                        if effect.sent.is_some() {
                            chat.last_sent = effect.sent;
                        }
                        if effect.end {
                            return Ok(());
                        }
                    }
                    Err(message) => out.error(&message),
                }
            }
            () = deadline(waiting.map(|(at, _)| at)) => {
                let waited = waiting.take().map(|(_, d)| d).unwrap_or_default();
                out.error(&format!("nothing new from the bot or an agent within {:.1} s", waited.as_secs_f64()));
            }
            line = input.recv(), if running.is_none() && waiting.is_none() => {
                let Some(line) = line else { return Ok(()) };
                match chat.handle(&line) {
                    Step::Nothing => {}
                    Step::Run(request) => running = Some(request),
                    Step::Wait(_) if chat.unseen > 0 => chat.unseen -= 1,
                    Step::Wait(d) => waiting = Some((Instant::now() + d, d)),
                    Step::Quit => return Ok(()),
                }
            }
        }
    }
}

impl Chat<'_> {
    /// Shows an event. A connection that failed for good ends the chat.
    fn show(&mut self, event: &Event) -> Result<(), Failure> {
        self.out.show(&render::event(event, &mut self.choices));
        if render::is_message(event) {
            self.unseen += 1;
        }
        match event {
            Event::State(change) if change.current == ConnectionState::Failed => {
                Err(Failure::new(FAILED, "the connection to the hub failed for good"))
            }
            _ => Ok(()),
        }
    }

    /// Shows an event that is not about this conversation (its buttons are not choices here).
    fn show_elsewhere(&self, event: &Event) {
        let mut lines = render::event(event, &mut Choices::default());
        if let Some(id) = event.conversation_id() {
            for line in &mut lines {
                line.text = format!("(conversation {id}) {}", line.text);
            }
        }
        self.out.show(&lines);
    }

    /// Acts on a line of input.
    fn handle(&mut self, line: &str) -> Step {
        let input = match commands::parse(line) {
            Ok(input) => input,
            Err(message) => {
                self.out.error(&message);
                return Step::Nothing;
            }
        };
        let c = &self.conversation;
        match input {
            Input::Nothing => Step::Nothing,
            Input::Say { text, literal } => {
                let button = if literal { None } else { text.parse().ok().and_then(|n| self.choices.get(n)) };
                let (text, chosen) = match button {
                    Some(b) => (b.value.clone(), true),
                    None => (text, false),
                };
                if chosen || self.echo {
                    self.out.line(Line::new(Tone::You, format!("you: {text}")));
                }
                self.send(OutgoingMessage::text(text))
            }
            Input::SetMetadata { metadata, target } => {
                let request = c.set_metadata(metadata, target);
                step(async move { request.await.map(|()| Effect::note("metadata set")) })
            }
            Input::SetPrivate(private) => {
                let request = c.set_private_metadata(private);
                step(async move { request.await.map(|()| Effect::note("private metadata set")) })
            }
            Input::GetMetadata => {
                let request = c.get_metadata();
                step(async move { request.await.map(|m| Effect::note(format!("metadata: {}", render::compact(&m)))) })
            }
            Input::Transcript => {
                let (request, id) = (c.get_transcript(), c.id().to_owned());
                step(async move {
                    request.await.map(|t| Effect { lines: render::transcript(&id, &t), ..Effect::default() })
                })
            }
            Input::Action { id, data } => {
                self.unseen = 0;
                let request = c.send_action(&id, data, None);
                step(async move { request.await.map(|()| Effect::note(format!("action {id} sent"))) })
            }
            Input::TimeToLive(days) => {
                let request = c.set_time_to_live(days);
                step(async move { request.await.map(|()| Effect::note(format!("files are kept {days} days"))) })
            }
            Input::Edit { message, text } => {
                let id = match message {
                    MessageRef::Id(id) => id,
                    MessageRef::Last => match &self.last_sent {
                        Some(id) => id.clone(),
                        None => {
                            self.out.error("no message was sent in this chat yet");
                            return Step::Nothing;
                        }
                    },
                };
                let request = c.edit_message(&id, text);
                step(async move { request.await.map(|()| Effect::note(format!("message {id} edited"))) })
            }
            Input::Upload(path) => match upload::read(&path) {
                Ok(file) => {
                    let (uploading, conv) = (c.upload_file(file), c.clone());
                    step(async move {
                        let file = uploading.await?;
                        let line = upload::sent_line(&file);
                        conv.send_message(OutgoingMessage::files(vec![file])).await?;
                        Ok(Effect::note(line))
                    })
                }
                Err(e) => {
                    self.out.error(&e);
                    Step::Nothing
                }
            },
            Input::Wait(d) => Step::Wait(d),
            Input::Delete(mode) => {
                let (request, id) = (c.delete(mode), c.id().to_owned());
                step(async move {
                    request.await?;
                    Ok(Effect { end: true, ..Effect::note(format!("conversation {id} deleted; the chat is over")) })
                })
            }
            Input::Help => {
                self.out.show(&HELP.lines().map(|l| Line::new(Tone::Plain, l)).collect::<Vec<_>>());
                Step::Nothing
            }
            Input::Quit => Step::Quit,
        }
    }

    /// Sends a message; its id is kept for `/edit last`.
    fn send(&mut self, message: OutgoingMessage) -> Step {
        self.unseen = 0;
        let request = self.conversation.send_message(message);
        step(async move { request.await.map(|id| Effect { sent: Some(id), ..Effect::default() }) })
    }
}

/// True for the client's events that do not reach the conversation's stream too: frames that
/// could not be read, and hub events naming another conversation. (State changes, and hub
/// events naming none, reach both while one conversation is open.)
fn only_on_the_client(event: &Event, ours: &str) -> bool {
    match event {
        Event::Malformed(_) => true,
        Event::Hub(inbound) => inbound.conversation_id.as_deref().is_some_and(|id| id != ours),
        _ => false,
    }
}

/// A request as a step, its error as text.
fn step(request: impl Future<Output = captivate::Result<Effect>> + Send + 'static) -> Step {
    Step::Run(Box::pin(async move { request.await.map_err(|e| e.to_string()) }))
}

/// The outcome of the running request; never, when none runs.
async fn finish(running: &mut Option<Request>) -> Result<Effect, String> {
    match running {
        Some(request) => request.await,
        None => std::future::pending().await,
    }
}

/// Resolves at `at`; never, without one.
async fn deadline(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Resolves on Ctrl-C; never, where it cannot be caught.
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The lines of stdin, read on a thread of their own (a blocking read that nothing needs to
/// cancel: the process ends without waiting for it). The channel closes at the end of input.
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match stdin.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    if tx.send(line.trim_end_matches(['\n', '\r']).to_owned()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}
