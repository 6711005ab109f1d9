//! The `captivate` program, run as a user runs it: its input through a pipe, its output read
//! line by line, against a local hub started by each test.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use captivate_sim::{Sim, SimConfig};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_captivate");

/// How long to wait for an expected line before giving up (a bound for a broken build, never
/// a measure of speed).
const PATIENCE: Duration = Duration::from_secs(60);

/// A local hub on a runtime of its own.
struct Hub {
    sim: Sim,
    /// Runs the hub; dropped after it.
    _runtime: tokio::runtime::Runtime,
}

impl Hub {
    fn start() -> Hub {
        Hub::with(SimConfig::default())
    }

    fn with(config: SimConfig) -> Hub {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let sim = runtime.block_on(Sim::start(config)).expect("the local hub starts");
        Hub { sim, _runtime: runtime }
    }

    /// `captivate ARGS --url <this hub>` with the hub's key.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = program(args);
        c.args(["--url", &self.sim.base_url()]).env("CAPTIVATE_API_KEY", self.sim.api_key());
        c
    }

    /// Starts `captivate chat ARGS` against this hub.
    fn chat(&self, args: &[&str]) -> Session {
        let mut all = vec!["chat"];
        all.extend_from_slice(args);
        Session::spawn(self.command(&all))
    }

    /// Runs a one-shot command against this hub.
    fn run(&self, args: &[&str]) -> Finished {
        Finished::of(self.command(args))
    }

    /// The frames of this type the hub received.
    fn received(&self, event_type: &str) -> Vec<Value> {
        self.sim.received().into_iter().filter(|f| f["event"]["event_type"] == event_type).collect()
    }
}

/// The program with no key and no logging unless a test sets them.
fn program(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    for v in ["CAPTIVATE_API_KEY", "CAPTIVATE_LOG", "RUST_LOG", "NO_COLOR"] {
        c.env_remove(v);
    }
    c
}

/// A finished run.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn of(mut command: Command) -> Finished {
        let out = command.stdin(Stdio::null()).output().expect("the program runs");
        Finished {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn code(&self) -> i32 {
        self.status.code().expect("an exit code")
    }

    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A running chat: lines in through stdin, stdout read line by line.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    /// Every stdout line so far.
    seen: Vec<String>,
    /// Lines before this index have been matched past.
    cursor: usize,
    stderr: Arc<Mutex<String>>,
}

impl Session {
    fn spawn(mut command: Command) -> Session {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdin = child.stdin.take();
        Session { child, stdin, lines, seen: Vec::new(), cursor: 0, stderr }
    }

    /// Types a line.
    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").expect("the program reads its input");
        stdin.flush().unwrap();
    }

    /// Waits for a line after the last one matched that contains `needle`; returns it.
    fn expect(&mut self, needle: &str) -> String {
        let at = self.wait_for(self.cursor, needle);
        self.cursor = at + 1;
        self.seen[at].clone()
    }

    /// Waits until each of `needles` is in a line after the last one matched, in any order.
    fn expect_all(&mut self, needles: &[&str]) {
        let from = self.cursor;
        let last = needles.iter().map(|n| self.wait_for(from, n)).max().unwrap_or(from);
        self.cursor = last + 1;
    }

    fn wait_for(&mut self, from: usize, needle: &str) -> usize {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(i) = self.seen.iter().skip(from).position(|l| l.contains(needle)) {
                return from + i;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no line with {needle:?}\n--- stdout:\n{}\n--- stderr:\n{}",
                    self.seen.join("\n"),
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    /// The conversation id from the line that announces it.
    fn conversation_id(&mut self) -> String {
        let line = self.expect("-- conversation ");
        line.split_whitespace().nth(2).expect("an id").to_owned()
    }

    /// Closes the input and waits for the program to end.
    fn finish(mut self) -> Finished {
        drop(self.stdin.take());
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the program did not end\n--- stdout:\n{}", self.seen.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader threads end with the pipes.
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.seen.push(line);
        }
        let mut stdout = self.seen.join("\n");
        stdout.push('\n');
        // Give the stderr reader its last bytes: it ends when the pipe closes.
        let deadline = Instant::now() + PATIENCE;
        while Arc::strong_count(&self.stderr) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let stderr = self.stderr.lock().unwrap().clone();
        Finished { status, stdout, stderr }
    }
}

const GREETING: &str = "bot: Hi. I'm the Captivate Bot.";
const BUTTONS: &str = "[1] Leave Contact Details  [2] Chat to Agent";

#[test]
fn help_and_version_need_no_key_or_hub() {
    let help = Finished::of(program(&["--help"]));
    assert_eq!(help.code(), 0, "{}", help.all());
    for needle in [
        "captivate chat",
        "captivate conversations USER",
        "captivate transcript CONVERSATION_ID",
        "captivate delete CONVERSATION_ID",
        "--dev",
        "--url URL",
        "CAPTIVATE_API_KEY",
    ] {
        assert!(help.stdout.contains(needle), "{needle:?} missing from the help:\n{}", help.stdout);
    }
    assert_eq!(help.stderr, "");
    let version = Finished::of(program(&["--version"]));
    assert_eq!(version.code(), 0);
    assert_eq!(version.stdout, format!("captivate {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_usage_exits_2_and_names_the_problem() {
    let cases = [
        (vec![], "no command"),
        (vec!["launch"], "unknown command"),
        (vec!["chat", "--hard"], "does not take --hard"),
        (vec!["transcript"], "needs a CONVERSATION_ID"),
        (vec!["chat", "--dev", "--url", "ws://127.0.0.1:9/dev"], "not both"),
        (vec!["chat", "--api-key", "Pasted-K3y-0451"], "CAPTIVATE_API_KEY"),
        (vec!["chat", "--url", "ws://127.0.0.1:9/dev?apiKey=Pasted-K3y-0451"], "without the apiKey"),
    ];
    for (args, needle) in cases {
        let run = Finished::of(program(&args));
        assert_eq!(run.code(), 2, "{args:?}: {}", run.all());
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(!run.all().contains("Pasted-K3y"), "{args:?} repeated the key: {}", run.all());
    }
}

#[test]
fn a_missing_key_is_a_clear_error() {
    let hub = Hub::start();
    for args in [vec!["chat"], vec!["conversations", "ada"]] {
        let mut command = hub.command(&args);
        command.env_remove("CAPTIVATE_API_KEY");
        let run = Finished::of(command);
        assert_eq!(run.code(), 2, "{}", run.all());
        assert!(run.stderr.contains("CAPTIVATE_API_KEY is not set"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    assert_eq!(hub.sim.connections_accepted(), 0, "nothing connects without a key");
}

#[test]
fn a_wrong_key_exits_3_and_is_never_shown() {
    let hub = Hub::start();
    let key = "Wr0ng-K3y-7f3a9c-do-not-print";
    let commands: [&[&str]; 4] = [&["chat"], &["conversations", "ada"], &["transcript", "c-1"], &["delete", "c-1"]];
    for args in commands {
        for log in [None, Some("trace")] {
            let mut command = hub.command(args);
            command.env("CAPTIVATE_API_KEY", key);
            if let Some(filter) = log {
                command.env("CAPTIVATE_LOG", filter);
            }
            let run = Finished::of(command);
            assert_eq!(run.code(), 3, "{args:?}: {}", run.all());
            assert!(run.stderr.contains("rejected the API key"), "{args:?}: {}", run.stderr);
            assert!(!run.all().contains(key), "{args:?} showed the key: {}", run.all());
            assert!(!run.all().contains("Wr0ng"), "{args:?} showed part of the key: {}", run.all());
        }
    }
}

#[test]
fn an_unreachable_hub_exits_4() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = program(&["conversations", "ada", "--url", &format!("ws://127.0.0.1:{port}/dev")]);
    command.env("CAPTIVATE_API_KEY", "test-key");
    let run = Finished::of(command);
    assert_eq!(run.code(), 4, "{}", run.all());
    assert!(run.stderr.contains("could not connect"), "{}", run.stderr);
}

#[test]
fn the_greeting_shows_numbered_buttons_and_a_number_sends_the_value() {
    let hub = Hub::start();
    let mut chat = hub.chat(&["--user", "ada"]);
    let id = chat.conversation_id();
    assert!(id.starts_with("ada"), "{id}");
    chat.expect(GREETING);
    chat.expect("bot: Please choose from one of the following:");
    chat.expect(BUTTONS);
    chat.send("1");
    chat.expect("you: Leave Contact Details");
    chat.expect("bot: Taking you to our contact page.");
    chat.expect("-- action redirectToContactUs {\"page\":\"/contact\"}");
    chat.send("hello");
    chat.expect("bot: You said: hello");
    chat.send("/quit");
    let done = chat.finish();
    assert_eq!(done.code(), 0, "{}", done.all());
    let said: Vec<Value> = hub
        .received("user_message")
        .into_iter()
        .map(|f| f["event"]["event_payload"].clone())
        .filter(|p| p["content"]["text"] != "")
        .collect();
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(said[0]["content"]["text"], "Leave Contact Details", "the button's value, not its number");
    assert_eq!(said[0]["conversation_id"], id.as_str());
    assert_eq!(said[1]["content"]["text"], "hello");
    assert!(!done.stdout.contains('\x1b'), "no colours when stdout is not a terminal");
    assert_eq!(done.stderr, "", "no logs unless asked for");
}

#[test]
fn cards_and_files_are_shown_and_card_buttons_numbered() {
    let hub = Hub::start();
    let mut chat = hub.chat(&[]);
    chat.expect(BUTTONS);
    chat.send("cards");
    chat.expect("bot: card: Plan A - For small teams");
    chat.expect("bot: [1] Choose A");
    chat.expect("bot: card: Plan B - For everyone else");
    chat.expect("bot: [2] Choose B");
    chat.send("2");
    chat.expect("you: plan b");
    chat.expect("bot: You said: plan b");
    chat.send("files");
    let file = chat.expect("bot: file: ");
    assert!(file.ends_with("/files/brochure.pdf (brochure.pdf, application/pdf)"), "{file}");
    assert!(file.contains(&hub.sim.http_url()), "{file}");
    chat.send("/quit");
    assert_eq!(chat.finish().code(), 0);
}

#[test]
fn metadata_private_metadata_ttl_edit_and_transcript() {
    let hub = Hub::start();
    let mut chat = hub.chat(&["--user", "meta-user"]);
    let id = chat.conversation_id();
    chat.expect(BUTTONS);
    chat.send(r#"/meta {"plan": "gold"}"#);
    chat.expect("-- metadata set");
    chat.send(r#"/meta bot {"page": "/pricing"}"#);
    chat.expect("-- metadata set");
    chat.send(r#"/private {"crm_id": "C-981"}"#);
    chat.expect("-- private metadata set");
    chat.send("/ttl 30");
    chat.expect("-- files are kept 30 days");
    chat.send("/getmeta");
    let line = chat.expect("-- metadata: ");
    let metadata: Value = serde_json::from_str(line.trim_start_matches("-- metadata: ")).expect("JSON");
    assert_eq!(metadata["plan"], "gold");
    assert_eq!(metadata["page"], "/pricing");
    assert_eq!(metadata["private"]["crm_id"], "C-981");
    assert_eq!(metadata["timeToLive"], 30);
    let targets: Vec<Value> =
        hub.received("metadata").iter().map(|f| f["event"]["event_payload"]["target"].clone()).collect();
    assert!(targets.contains(&Value::from("bot")), "{targets:?}");

    chat.send("hello");
    chat.expect("bot: You said: hello");
    chat.send("/edit last hello again");
    chat.expect("edited");
    chat.send("/transcript");
    chat.expect(&format!("-- transcript of {id}: "));
    chat.expect(GREETING);
    chat.expect("(edited): hello again");
    chat.expect("bot: You said: hello");
    chat.send("/quit");
    assert_eq!(chat.finish().code(), 0);
}

#[test]
fn mistakes_are_reported_and_the_chat_goes_on() {
    let hub = Hub::start();
    let mut chat = hub.chat(&[]);
    chat.expect(BUTTONS);
    for line in [
        r#"/meta {"plan": "#,
        "/meta [1, 2]",
        "/ttl 5",
        "/edit last too early",
        "/frobnicate",
        "/upload /no/such/file.pdf",
    ] {
        chat.send(line);
    }
    chat.send("still here?");
    chat.expect("bot: You said: still here?");
    chat.send("/say 1");
    chat.expect("bot: You said: 1");
    chat.send("/quit");
    let done = chat.finish();
    assert_eq!(done.code(), 0, "a mistake does not end the chat: {}", done.all());
    for needle in [
        "error: bad JSON in /meta",
        "error: /meta needs a JSON object",
        "error: invalid argument: time to live must be 1, 7, 30 or 90 days, not 5",
        "error: no message was sent in this chat yet",
        "error: unknown command /frobnicate",
        "error: cannot read /no/such/file.pdf",
    ] {
        assert!(done.stderr.contains(needle), "{needle:?} missing:\n{}", done.stderr);
    }
    assert!(hub.received("metadata").is_empty(), "nothing was sent for the bad commands");
}

#[test]
fn the_hand_over_to_an_agent_is_shown() {
    let hub = Hub::start();
    let mut chat = hub.chat(&[]);
    chat.expect(BUTTONS);
    chat.send("/action escalateToHuman");
    chat.expect_all(&[
        "-- action escalateToHuman sent",
        "bot: Please wait while I connect you to the support team.",
        "-- agent connected: Sam",
        "agent: Hi, this is Sam from support. How can I help?",
    ]);
    chat.send("my order is late");
    chat.expect(r#"agent: Sam here: I got "my order is late"."#);
    chat.send("bye");
    chat.expect("agent: Glad I could help. Bye!");
    chat.expect("-- agent disconnected");
    chat.send("/quit");
    assert_eq!(chat.finish().code(), 0);
    let actions = hub.received("action");
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["event"]["event_payload"]["id"], "escalateToHuman");
}

#[test]
fn a_dropped_connection_is_shown_and_missed_messages_recovered() {
    let hub = Hub::start();
    let mut chat = hub.chat(&[]);
    let id = chat.conversation_id();
    chat.expect(BUTTONS);
    // Said while the connection is (about to be) gone: only the transcript has it.
    assert!(hub.sim.say(&id, "While you were away", false));
    hub.sim.drop_connections();
    chat.expect("!! disconnected");
    chat.expect_all(&["-- connected", "-- reconnected", "bot (recovered): While you were away"]);
    chat.send("back again");
    chat.expect("bot: You said: back again");
    chat.send("/quit");
    assert_eq!(chat.finish().code(), 0);
}

#[test]
fn a_piped_script_runs_to_its_end() {
    let hub = Hub::start();
    let mut chat = hub.chat(&["--user", "script"]);
    // Each /wait waits for one message: the greeting, the echo, then the two of the hand-over.
    for line in ["/wait", "hello", "/wait", "2", "/wait", "/wait"] {
        chat.send(line);
    }
    // The end of the input ends the chat once the last line is done.
    let done = chat.finish();
    assert_eq!(done.code(), 0, "{}", done.all());
    assert_eq!(done.stderr, "", "no wait ran out");
    for needle in [
        GREETING,
        BUTTONS,
        "you: hello",
        "bot: You said: hello",
        "you: Chat to Agent",
        "bot: Please wait while I connect you to the support team.",
        "agent: Hi, this is Sam from support. How can I help?",
    ] {
        assert!(done.stdout.contains(needle), "{needle:?} missing:\n{}", done.stdout);
    }
    let said: Vec<String> = hub
        .received("user_message")
        .iter()
        .filter_map(|f| f["event"]["event_payload"]["content"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(said, ["", "hello", "Chat to Agent"], "the greeting trigger, then the lines in order");
}

#[test]
fn user_first_sends_nothing_until_the_user_speaks() {
    let hub = Hub::start();
    let mut chat = hub.chat(&["--user-first"]);
    chat.conversation_id();
    assert!(hub.received("user_message").is_empty(), "no greeting trigger");
    chat.send("hi");
    chat.expect(GREETING);
    chat.expect("bot: You said: hi");
    chat.send("/quit");
    assert_eq!(chat.finish().code(), 0);
    assert_eq!(hub.received("user_message").len(), 1);
}

#[test]
fn delete_in_a_chat_ends_it() {
    let hub = Hub::start();
    let mut chat = hub.chat(&["--user", "gone"]);
    let id = chat.conversation_id();
    chat.expect(BUTTONS);
    chat.send("/delete");
    chat.expect(&format!("-- conversation {id} deleted; the chat is over"));
    let done = chat.finish();
    assert_eq!(done.code(), 0);
    let list = hub.run(&["conversations", "gone"]);
    assert!(list.stdout.contains("conversations of gone: 0"), "{}", list.all());
}

#[test]
fn conversations_transcript_and_delete_one_shot() {
    let hub = Hub::start();
    let mut chat = hub.chat(&["--user", "bob"]);
    let id = chat.conversation_id();
    chat.expect(BUTTONS);
    chat.send(r#"/meta {"plan": "gold"}"#);
    chat.expect("-- metadata set");
    chat.send("/quit");
    assert_eq!(chat.finish().code(), 0);

    let list = hub.run(&["conversations", "bob"]);
    assert_eq!(list.code(), 0, "{}", list.all());
    assert!(list.stdout.contains("conversations of bob: 1"), "{}", list.stdout);
    assert!(list.stdout.contains(&format!("{id}  {{\"plan\":\"gold\"}}")), "{}", list.stdout);
    let json = hub.run(&["conversations", "bob", "--json"]);
    let json: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(json["conversations"][0]["conversation_id"], id.as_str());
    assert_eq!(json["conversations"][0]["metadata"]["plan"], "gold");

    let transcript = hub.run(&["transcript", &id]);
    assert_eq!(transcript.code(), 0, "{}", transcript.all());
    assert!(transcript.stdout.contains(&format!("-- transcript of {id}: ")), "{}", transcript.stdout);
    assert!(transcript.stdout.contains(GREETING), "{}", transcript.stdout);
    assert!(transcript.stdout.contains("bot: [Leave Contact Details] [Chat to Agent]"), "{}", transcript.stdout);
    let json = hub.run(&["transcript", &id, "--json"]);
    let json: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(json["entries"][0]["from"], "bot");
    assert_eq!(
        json["entries"][0]["text"],
        "Hi. I'm the Captivate Bot.\nYou can leave us your contact details or you can chat to us directly now!"
    );

    let delete = hub.run(&["delete", &id, "--hard"]);
    assert_eq!(delete.code(), 0, "{}", delete.all());
    assert!(delete.stdout.contains(&format!("conversation {id} deleted for good")), "{}", delete.stdout);
    let frames = hub.received("delete_conversation");
    assert_eq!(frames.last().unwrap()["event"]["event_payload"]["softdelete"], false);
    let list = hub.run(&["conversations", "bob"]);
    assert!(list.stdout.contains("conversations of bob: 0"), "{}", list.stdout);

    let again = hub.run(&["delete", &id]);
    assert_eq!(again.code(), 1, "{}", again.all());
    assert!(again.stderr.contains("hub error 400: Invalid conversation_id"), "{}", again.stderr);
    let missing = hub.run(&["transcript", "no-such-conversation"]);
    assert_eq!(missing.code(), 1, "{}", missing.all());
}

#[test]
fn logs_go_to_stderr_only_when_asked_and_never_hold_the_key() {
    let key = "L0gged-K3y-5e1d77-secret";
    let hub = Hub::with(SimConfig { api_key: key.into(), ..SimConfig::default() });
    for variable in ["CAPTIVATE_LOG", "RUST_LOG"] {
        let mut command = hub.command(&["conversations", "ada"]);
        command.env(variable, "trace");
        let run = Finished::of(command);
        assert_eq!(run.code(), 0, "{}", run.all());
        assert!(run.stderr.contains("captivate"), "{variable} turns the library's logs on: {}", run.stderr);
        assert!(!run.stdout.contains("TRACE") && !run.stdout.contains("DEBUG"), "logs stay off stdout");
        assert!(!run.all().contains(key), "{}", run.all());
    }
    let mut command = hub.command(&["chat"]);
    command.env("CAPTIVATE_LOG", "trace");
    let mut chat = Session::spawn(command);
    chat.expect(BUTTONS);
    chat.send("/transcript");
    chat.expect("-- transcript of");
    chat.send("/quit");
    let done = chat.finish();
    assert_eq!(done.code(), 0);
    assert!(!done.stderr.is_empty());
    assert!(!done.all().contains(key), "{}", done.all());

    let quiet = hub.run(&["conversations", "ada"]);
    assert_eq!(quiet.stderr, "", "no logs unless asked for");
}

#[test]
fn hub_errors_unknown_events_and_unreadable_frames_are_shown() {
    let hub = Hub::start();
    let mut chat = hub.chat(&[]);
    let id = chat.conversation_id();
    chat.expect(BUTTONS);
    let push = |event_type: &str, payload: Value| {
        hub.sim.push(serde_json::json!({"event": {"event_type": event_type, "event_payload": payload}}));
    };
    push("general_error", serde_json::json!({"conversation_id": id, "error_code": 500, "error_desc": "flow crashed"}));
    chat.expect("!! hub error 500: flow crashed");
    push("conversation_update", serde_json::json!({"conversation_id": id, "type": "failedAgentAssignment"}));
    chat.expect("!! no agent could take the conversation (failed assignment)");
    push("mystery_event", serde_json::json!({"conversation_id": id, "shape": [1, 2]}));
    chat.expect(r#"-- event mystery_event: {"conversation_id":""#);
    hub.sim.push_text("{not json");
    chat.expect("!! the hub sent a frame that could not be read");
    push(
        "bot_message",
        serde_json::json!({"conversation_id": "someone-else", "content": [{"type": "text", "text": "psst"}]}),
    );
    chat.expect("(conversation someone-else) bot: psst");
    chat.send("still fine?");
    chat.expect("bot: You said: still fine?");
    chat.send("/quit");
    assert_eq!(chat.finish().code(), 0);
}

#[test]
fn a_hub_with_its_own_certificate_is_trusted_with_ca_file() {
    let hub = Hub::with(SimConfig { tls: true, ..SimConfig::default() });
    let ca = std::env::temp_dir().join(format!("captivate-cli-test-{}-{}.pem", std::process::id(), hub.sim.port()));
    std::fs::write(&ca, hub.sim.ca_pem().expect("a certificate")).unwrap();
    let trusted = hub.run(&["conversations", "ada", "--ca-file", ca.to_str().unwrap()]);
    let untrusted = hub.run(&["conversations", "ada"]);
    std::fs::remove_file(&ca).unwrap();
    assert!(hub.sim.base_url().starts_with("wss://"));
    assert_eq!(trusted.code(), 0, "{}", trusted.all());
    assert!(trusted.stdout.contains("conversations of ada: 0"), "{}", trusted.stdout);
    assert_eq!(untrusted.code(), 4, "an unknown certificate is refused: {}", untrusted.all());
}

#[test]
fn upload_sends_a_file_with_its_text() {
    let hub = Hub::start();
    let mut chat = hub.chat(&[]);
    chat.expect(BUTTONS);
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    chat.send(&format!("/upload {manifest}"));
    chat.expect("sent Cargo.toml");
    chat.send("/quit");
    let done = chat.finish();
    assert_eq!(done.code(), 0, "{}", done.all());
    let sent = hub.received("user_message");
    let file = sent
        .iter()
        .find_map(|f| f["event"]["event_payload"]["content"]["files"].get(0).cloned())
        .expect("a message with the file");
    assert_eq!(file["filename"], "Cargo.toml");
    assert!(file["storage"]["fileKey"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(file["textContent"]["text"].as_str().is_some_and(|t| t.contains("captivate-cli")));
}
