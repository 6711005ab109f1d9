//! The delivery scenarios shared by every language (`tests/delivery/scenarios.json`): how
//! events and call outcomes reach an application. Each test runs one scenario of the table
//! against the local hub in this process, with one client: a "callback" listener is an event
//! stream a task reads as events come (dropping it after `remove_after` of them), a "stream"
//! listener is an event stream nobody reads until `drain` takes what is ready in it.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use captivate::{
    Client, Config, Conversation, DeleteMode, Event, EventStream, HubEvent, RoutedStream, StartMode, StartOptions,
};
use captivate_sim::{Faults, Script, Sim, SimConfig};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The table, read at run time.
fn table() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/delivery/scenarios.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn scenarios(table: &Value) -> &[Value] {
    table["scenarios"].as_array().map(Vec::as_slice).expect("`scenarios` is a list")
}

/// Whether a scenario applies to this library: no `only`, or an `only` naming "rust".
fn applies(scenario: &Value) -> bool {
    match scenario.get("only") {
        None => true,
        Some(only) => only.as_array().expect("`only` is a list").iter().any(|l| l == "rust"),
    }
}

fn text_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("`{key}` (a string) missing in {v}"))
}

/// What a listener records of an event (see the table's `about`); `None`: not recorded.
fn record(event: &Event) -> Option<Value> {
    match event {
        Event::Hub(inbound) => match &inbound.body {
            HubEvent::BotMessage(_) | HubEvent::LivechatMessage(_) => {
                Some(json!({"kind": inbound.body.kind(), "text": event.text()}))
            }
            HubEvent::Error(e) => Some(json!({"kind": "error", "code": e.code.as_ref().and_then(|c| c.as_number())})),
            _ => None,
        },
        Event::Lagged { missed } => Some(json!({"kind": "lagged", "missed": missed})),
        _ => None,
    }
}

/// How a listener hears its events.
enum Form {
    /// A task reads the stream as events come, until it has recorded `remove_after` of them.
    Callback(JoinHandle<()>),
    /// Nobody reads the stream until `drain`.
    Stream(EventStream),
}

struct Listener {
    form: Form,
    /// What it recorded so far, watched by the waits.
    seen: watch::Sender<Vec<Value>>,
}

/// One scenario being run.
struct Run {
    name: String,
    limit: Duration,
    sim: Sim,
    client: Client,
    conversations: HashMap<String, Conversation>,
    listeners: HashMap<String, Listener>,
    calls: HashMap<String, JoinHandle<captivate::Result<Value>>>,
}

impl Run {
    /// Waits for `what` at most the table's wait limit; the scenario fails when it runs out.
    async fn within<T>(&self, what: &str, fut: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(self.limit, fut)
            .await
            .unwrap_or_else(|_| panic!("{}: not within {:?}: {what}", self.name, self.limit))
    }

    fn conversation(&self, step: &Value) -> &Conversation {
        let name = text_of(step, "conversation");
        self.conversations.get(name).unwrap_or_else(|| panic!("{}: no conversation named `{name}`", self.name))
    }

    fn listener(&mut self, step: &Value) -> &mut Listener {
        let name = text_of(step, "listener");
        self.listeners.get_mut(name).unwrap_or_else(|| panic!("no listener named `{name}`"))
    }

    async fn step(&mut self, step: &Value) {
        let what = step.to_string();
        match text_of(step, "do") {
            "start" => {
                let mode = match text_of(step, "mode") {
                    "bot-first" => StartMode::BotFirst,
                    "user-first" => StartMode::UserFirst,
                    other => panic!("unknown mode `{other}`"),
                };
                let options = StartOptions { mode, ..StartOptions::new("delivery-user") };
                let c = self.within(&what, self.client.start_conversation(options)).await.expect("starts");
                self.conversations.insert(text_of(step, "conversation").to_owned(), c);
            }
            "listen" => {
                let on = text_of(step, "on");
                let scope = match on {
                    "client" => None,
                    _ => Some(self.conversations.get(on).unwrap_or_else(|| panic!("no conversation `{on}`")).clone()),
                };
                let (seen, _) = watch::channel(Vec::new());
                let form = match text_of(step, "form") {
                    "callback" => {
                        // As the front ends' callbacks: fed from the client's one ordered feed,
                        // each event where it was routed, with no queue of its own to overflow.
                        let remove_after = step.get("remove_after").map(|n| n.as_u64().expect("a count") as usize);
                        let id = scope.map(|c| c.id().to_owned());
                        Form::Callback(tokio::spawn(callback(self.client.all_events(), id, seen.clone(), remove_after)))
                    }
                    "stream" => Form::Stream(match scope {
                        None => self.client.events(),
                        Some(c) => c.events(),
                    }),
                    other => panic!("unknown listener form `{other}`"),
                };
                self.listeners.insert(text_of(step, "listener").to_owned(), Listener { form, seen });
            }
            "say" => {
                let sent = self.conversation(step).send_message(text_of(step, "text"));
                self.within(&what, sent).await.unwrap_or_else(|e| panic!("{}: {what}: {e}", self.name));
            }
            "bot" => {
                let id = self.conversation(step).id().to_owned();
                assert!(self.sim.say(&id, text_of(step, "text"), true), "{}: the hub knows {id}", self.name);
            }
            "sync" => {
                let call = self.conversation(step).get_metadata();
                self.within(&what, call).await.unwrap_or_else(|e| panic!("{}: {what}: {e}", self.name));
            }
            "wait_count" => {
                let count = step["count"].as_u64().expect("`count`") as usize;
                let (limit, name) = (self.limit, self.name.clone());
                let Listener { form, seen } = self.listener(step);
                let waited = match form {
                    Form::Callback(_) => {
                        let mut watching = seen.subscribe();
                        tokio::time::timeout(limit, async {
                            let _ = watching.wait_for(|v| v.len() >= count).await;
                        })
                        .await
                    }
                    // A stream is read here, until it has given `count` events to record.
                    Form::Stream(stream) => {
                        tokio::time::timeout(limit, async {
                            while seen.borrow().len() < count {
                                match stream.next().await {
                                    Some(e) => {
                                        keep(seen, &e);
                                    }
                                    None => break,
                                }
                            }
                        })
                        .await
                    }
                };
                let got = seen.borrow().clone();
                assert!(
                    waited.is_ok() && got.len() >= count,
                    "{name}: not within {limit:?}: {what}; recorded: {got:?}"
                );
            }
            "drain" => {
                let listener = self.listener(step);
                let Form::Stream(stream) = &mut listener.form else { panic!("{what}: not a stream listener") };
                while let Some(e) = stream.try_next() {
                    keep(&listener.seen, &e);
                }
            }
            "drop" => {
                let before = self.sim.connections_accepted();
                self.sim.drop_connections();
                // Connected again: a new connection was accepted (so the client saw the drop),
                // and the client is connected on it.
                let (sim, client) = (&self.sim, &self.client);
                self.within(&what, async {
                    while !(sim.connections_accepted() > before && client.is_connected()) {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                })
                .await;
            }
            "faults" => {
                self.sim.set_faults(Faults::from_json(&step["faults"]));
            }
            "call" => {
                assert_eq!(text_of(step, "call"), "get_metadata", "{what}: only get_metadata is a call here");
                let call = self.conversation(step).get_metadata();
                self.calls.insert(text_of(step, "as").to_owned(), tokio::spawn(call));
            }
            "close" => {
                let client = self.client.clone();
                self.within(&what, client.close()).await;
                assert_eq!(self.client.state().name(), "closed", "{}: {what}", self.name);
            }
            "call_fails" => {
                let name = text_of(step, "as");
                let kind = text_of(step, "error");
                let call = self.calls.remove(name).unwrap_or_else(|| panic!("no call named `{name}`"));
                let outcome = self.within(&what, call).await.expect("the call's task ends");
                match outcome {
                    Err(e) => assert_eq!(e.kind().as_str(), kind, "{}: {what}: failed with {e:?}", self.name),
                    Ok(v) => panic!("{}: {what}: succeeded ({v}), not failed with `{kind}`", self.name),
                }
            }
            "delete" => {
                let call = self.conversation(step).delete(DeleteMode::default());
                self.within(&what, call).await.unwrap_or_else(|e| panic!("{}: {what}: {e}", self.name));
            }
            "reopen" => {
                // `same`: Rust handles have no identity to compare.
                let id = self.conversation(step).id().to_owned();
                let again = self.client.conversation(&id).expect("a handle");
                self.conversations.insert(text_of(step, "as").to_owned(), again);
            }
            other => panic!("{}: the step `{other}` has no meaning in Rust", self.name),
        }
    }
}

/// Records `event` in `seen` if it is of a recorded kind; whether it was.
fn keep(seen: &watch::Sender<Vec<Value>>, event: &Event) -> bool {
    match record(event) {
        Some(r) => {
            seen.send_modify(|v| v.push(r));
            true
        }
        None => false,
    }
}

/// A callback listener: records each event as it comes; after `remove_after` recorded events it
/// drops its stream (it hears nothing more).
async fn callback(
    mut feed: RoutedStream,
    conversation: Option<String>,
    seen: watch::Sender<Vec<Value>>,
    remove_after: Option<usize>,
) {
    let mut recorded = 0;
    while remove_after.is_none_or(|n| recorded < n) {
        let Some(routed) = feed.next().await else { return };
        let mine = match &conversation {
            None => routed.to_client,
            Some(id) => routed.conversation_id.as_deref() == Some(id),
        };
        if mine && keep(&seen, &routed.event) {
            recorded += 1;
        }
    }
    drop(feed);
}

/// Runs the scenario named `name` and checks its `expect`.
async fn run(name: &str) {
    let table = table();
    let scenario = scenarios(&table)
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario named `{name}` in the table"));
    assert!(applies(scenario), "`{name}` does not apply to Rust");
    let limit = Duration::from_millis(table["wait_limit_ms"].as_u64().expect("`wait_limit_ms`"));

    let script = Script::from_json(&scenario["script"]).unwrap_or_else(|e| panic!("{name}: script: {e}"));
    let sim = Sim::start(SimConfig { script, quiet: true, ..SimConfig::default() }).await.expect("the hub starts");
    let mut options = json!({"api_key": sim.api_key(), "endpoint": sim.base_url()});
    for (k, v) in scenario["client"].as_object().expect("`client` is an object") {
        options[k] = v.clone();
    }
    let config = Config::from_json(&options).unwrap_or_else(|e| panic!("{name}: client options: {e}"));
    let client = tokio::time::timeout(limit, Client::connect(config))
        .await
        .unwrap_or_else(|_| panic!("{name}: not connected within {limit:?}"))
        .expect("connects");

    let mut run = Run {
        name: name.to_owned(),
        limit,
        sim,
        client,
        conversations: HashMap::new(),
        listeners: HashMap::new(),
        calls: HashMap::new(),
    };
    for step in scenario["steps"].as_array().expect("`steps` is a list") {
        run.step(step).await;
    }

    for (key, want) in scenario["expect"].as_object().expect("`expect` is an object") {
        let listener = run.listeners.get(key).unwrap_or_else(|| panic!("{name}: `expect` names no listener `{key}`"));
        let got = Value::Array(listener.seen.borrow().clone());
        assert_eq!(&got, want, "{name}: what listener `{key}` recorded");
    }

    for (_, listener) in run.listeners.drain() {
        if let Form::Callback(task) = listener.form {
            task.abort();
        }
    }
    run.client.close().await;
}

/// Every scenario of the table this file runs, by name.
const COVERED: [&str; 6] = [
    "listener added late",
    "backlog overflow",
    "unsubscribe inside a callback",
    "close with calls in flight",
    "reconnect",
    "delete, then the conversation again",
];

#[test]
fn every_scenario_for_rust_has_its_test() {
    let table = table();
    let for_rust: BTreeSet<&str> =
        scenarios(&table).iter().filter(|s| applies(s)).map(|s| s["name"].as_str().expect("a name")).collect();
    let covered: BTreeSet<&str> = COVERED.into_iter().collect();
    assert_eq!(for_rust, covered, "the scenarios for Rust in the table, and those with a test here");
}

#[tokio::test]
async fn listener_added_late() {
    run("listener added late").await;
}

#[tokio::test]
async fn backlog_overflow() {
    run("backlog overflow").await;
}

#[tokio::test]
async fn unsubscribe_inside_a_callback() {
    run("unsubscribe inside a callback").await;
}

#[tokio::test]
async fn close_with_calls_in_flight() {
    run("close with calls in flight").await;
}

#[tokio::test]
async fn reconnect() {
    run("reconnect").await;
}

#[tokio::test]
async fn delete_then_the_conversation_again() {
    run("delete, then the conversation again").await;
}
