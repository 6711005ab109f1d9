//! The bot's script: what the local hub's bot and its live agent do, given as data (JSON, the
//! same in every language). The hub's usual flow is the default script,
//! `sim/scripts/default.json` ([`Script::default`]).
//!
//! ```json
//! {
//!   "greeting": [{"bot": "Hello! Ask me anything."}],
//!   "rules": [
//!     {"when": {"regex": "^order (?P<n>\\d+)$"}, "then": [{"bot": "Order {n} is on its way."}]},
//!     {"when": {"contains": "human"}, "then": [{"handover": {"agent": "Ada"}}, {"agent": "Ada here."}]},
//!     {"when": {"live": true}, "then": [{"agent": "{agent}: noted \"{text}\"."}]},
//!     {"then": [{"bot": "You said: {text}"}]}
//!   ]
//! }
//! ```
//!
//! # Rules
//! On each user message (and each `action` or `metadata` event a client sends), the rules are
//! tried in order; the first whose `when` holds runs its `then` steps, and matching stops unless
//! the rule says `"continue": true`. The `greeting` steps run once per conversation, before the
//! rules, on its first user message. Conditions of `when` (all must hold; none: any message
//! with text):
//! - `exact` (the text, trimmed, equal ignoring case), `button` (the same: a button sends its
//!   value as the text), `contains` (ignoring case), `regex` (on the trimmed text; its groups
//!   are the variables `{1}`, `{2}`, ... and `{name}`);
//! - `files`: true, the message carries files (a message with files and no text matches only
//!   such rules); false, it carries none;
//! - `action`: an `action` event with this `id` (such rules match only actions);
//! - `metadata`: a `metadata` event setting these keys (to these values, unless a value is
//!   `null`: any); such rules match only metadata events;
//! - `live`: whether a live agent has the conversation (after `handover`, until
//!   `end_handover`);
//! - `state`: the conversation's state (set by `set` steps) has these values.
//!
//! # Steps
//! - `{"bot": CONTENT}`: a bot message; CONTENT is a string (one text item) or a list of items
//!   (strings are text items; objects are items as they are: `buttons`, `cards`, `files`, or
//!   any other).
//! - `{"agent": CONTENT, "after_ms": N}`: a live agent's message, after N ms (default: the
//!   hub's agent delay, 50 ms, as a person typing).
//! - `{"delay_ms": N}`: waits before the next step.
//! - `{"handover": {"agent": NAME}}`: a live agent takes the conversation; after the agent
//!   delay, a `conversation_update` `livechatAgentConnected` with `agentInfo.name`.
//! - `{"end_handover": {}}`: the agent leaves: `livechatAgentDisconnected`.
//! - `{"update": {"type", "data"}}`: a `conversation_update`.
//! - `{"action": {"type", "id", "data"}}`: an `action` event to the client.
//! - `{"error": {"code": N, "desc": TEXT}}`: a `general_error` about the conversation.
//! - `{"large_message": CONTENT, "repeat": N}` (or `{"large_message": {"text", "repeat"}}`):
//!   the hub's 413 `general_error` with a `message_link` to a bot message of CONTENT (its
//!   text repeated N times).
//! - `{"set": {...}}`: merges into the conversation's state; `{"metadata": {...}}`: into its
//!   metadata.
//!
//! Strings in steps may use the variables `{text}` (the user's text), `{files}` (how many
//! files), `{agent}` (the live agent's name), `{user_id}`, `{conversation_id}`, `{http}` (the
//! hub's HTTP base, for file links), `{state.KEY}` and a regex's groups; other braces stay as
//! they are. Unknown keys anywhere in a script are refused, so that a typo does not pass.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use regex_lite::Regex;
use serde_json::{Map, Value, json};

/// The default script, as data.
pub const DEFAULT_SCRIPT_JSON: &str = include_str!("../scripts/default.json");

static DEFAULT: LazyLock<Script> =
    LazyLock::new(|| Script::from_json_text(DEFAULT_SCRIPT_JSON).expect("the default script is valid"));

/// A bot script (see the module docs): parsed and checked once, cheap to clone.
#[derive(Clone, Debug)]
pub struct Script {
    json: Arc<Value>,
    pub(crate) greeting: Arc<[Step]>,
    pub(crate) rules: Arc<[Rule]>,
}

impl Default for Script {
    fn default() -> Script {
        DEFAULT.clone()
    }
}

impl PartialEq for Script {
    fn eq(&self, other: &Script) -> bool {
        self.json == other.json
    }
}

/// One rule: when it applies, its steps, and whether the rules after it are tried too.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    when: When,
    pub(crate) then: Arc<[Step]>,
    pub(crate) continue_: bool,
}

#[derive(Clone, Debug, Default)]
struct When {
    exact: Option<String>,
    contains: Option<String>,
    regex: Option<Regex>,
    files: Option<bool>,
    action: Option<String>,
    metadata: Option<Map<String, Value>>,
    live: Option<bool>,
    state: Option<Map<String, Value>>,
}

/// Bot or agent content: one text, or items.
#[derive(Clone, Debug)]
pub(crate) enum Content {
    Text(String),
    Items(Vec<Value>),
}

/// One step of a rule.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    Bot(Content),
    Agent(Content, Option<Duration>),
    Delay(Duration),
    Handover(String),
    EndHandover,
    Update(Value),
    Action(Value),
    Error(u64, String),
    LargeMessage(Content, usize),
    Set(Map<String, Value>),
    Metadata(Map<String, Value>),
}

/// What a client sent that the rules are tried on.
pub(crate) enum Trigger<'a> {
    /// A user message: its text (trimmed), the same in lower case, how many files.
    Message {
        text: &'a str,
        lower: &'a str,
        files: usize,
    },
    Action(&'a str),
    Metadata(&'a Map<String, Value>),
}

/// The conversation as the conditions see it.
pub(crate) struct Facts<'a> {
    pub(crate) live: bool,
    pub(crate) state: &'a Map<String, Value>,
}

/// The variables of a rule's strings.
#[derive(Clone, Debug, Default)]
pub(crate) struct Vars(pub(crate) Vec<(String, String)>);

impl Vars {
    pub(crate) fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// `s` with `{name}` replaced by each variable's value (the last set wins), else by what
    /// `more` gives for the name; other braces stay as they are.
    pub(crate) fn fill(&self, s: &str, more: &dyn Fn(&str) -> Option<String>) -> String {
        if !s.contains('{') {
            return s.to_owned();
        }
        let mut out = String::with_capacity(s.len() + 16);
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let found = after.find('}').and_then(|close| {
                let name = &after[..close];
                let value = self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone()).or_else(|| more(name));
                value.map(|v| (v, close))
            });
            match found {
                Some((value, close)) => {
                    out.push_str(&value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Every string in `v` filled.
    pub(crate) fn fill_value(&self, v: &Value, more: &dyn Fn(&str) -> Option<String>) -> Value {
        match v {
            Value::String(s) => Value::String(self.fill(s, more)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.fill_value(x, more)).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), self.fill_value(x, more))).collect()),
            other => other.clone(),
        }
    }

    /// The content items, filled.
    pub(crate) fn items(&self, c: &Content, more: &dyn Fn(&str) -> Option<String>) -> Vec<Value> {
        match c {
            Content::Text(t) => vec![json!({"type": "text", "text": self.fill(t, more)})],
            Content::Items(items) => items.iter().map(|i| self.fill_value(i, more)).collect(),
        }
    }
}

impl When {
    fn text_conditions(&self) -> bool {
        self.exact.is_some() || self.contains.is_some() || self.regex.is_some()
    }

    /// Whether it holds; the regex's groups go to `vars`.
    fn holds(&self, trigger: &Trigger<'_>, facts: &Facts<'_>, vars: &mut Vars) -> bool {
        if self.live.is_some_and(|l| l != facts.live) {
            return false;
        }
        if let Some(want) = &self.state
            && !want.iter().all(|(k, v)| facts.state.get(k) == Some(v))
        {
            return false;
        }
        match trigger {
            Trigger::Action(id) => self.action.as_deref() == Some(*id),
            Trigger::Metadata(set) => self
                .metadata
                .as_ref()
                .is_some_and(|want| want.iter().all(|(k, v)| set.get(k).is_some_and(|got| v.is_null() || got == v))),
            Trigger::Message { text, lower, files } => {
                if self.action.is_some() || self.metadata.is_some() {
                    return false;
                }
                match self.files {
                    Some(true) if *files == 0 => return false,
                    Some(false) if *files > 0 => return false,
                    None if text.is_empty() => return false,
                    _ => {}
                }
                if text.is_empty() && self.text_conditions() {
                    return false;
                }
                // `exact` and `contains` are kept in lower case.
                if self.exact.as_deref().is_some_and(|e| e != *lower) {
                    return false;
                }
                if self.contains.as_deref().is_some_and(|c| !lower.contains(c)) {
                    return false;
                }
                if let Some(re) = &self.regex {
                    let Some(caps) = re.captures(text) else { return false };
                    for (i, name) in re.capture_names().enumerate().skip(1) {
                        let value = caps.get(i).map_or("", |m| m.as_str()).to_owned();
                        vars.set(i.to_string(), value.clone());
                        if let Some(name) = name {
                            vars.set(name, value);
                        }
                    }
                }
                true
            }
        }
    }
}

impl Script {
    /// The rules that apply to `trigger`, in order, each with its variables (the regex's
    /// groups): the first that holds, and those after it while each says `continue`.
    pub(crate) fn matching(&self, trigger: &Trigger<'_>, facts: &Facts<'_>) -> Vec<(Arc<[Step]>, Vars)> {
        let mut out = Vec::new();
        for rule in self.rules.iter() {
            let mut vars = Vars::default();
            if rule.when.holds(trigger, facts, &mut vars) {
                out.push((rule.then.clone(), vars));
                if !rule.continue_ {
                    break;
                }
            }
        }
        out
    }

    /// Reads a script from its JSON (see the module docs); the error says what is wrong and
    /// where.
    pub fn from_json(v: &Value) -> Result<Script, String> {
        let o = object(v, "the script")?;
        only(o, &["greeting", "rules"], "the script")?;
        let greeting = match o.get("greeting") {
            None | Some(Value::Null) => Vec::new(),
            Some(g) => steps(g, "greeting")?,
        };
        let rules = match o.get("rules") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(rules)) => {
                rules.iter().enumerate().map(|(i, r)| rule(r, &format!("rules[{i}]"))).collect::<Result<_, _>>()?
            }
            Some(_) => return Err("rules must be a list".into()),
        };
        Ok(Script { json: Arc::new(v.clone()), greeting: greeting.into(), rules: rules.into() })
    }

    /// Reads a script from JSON text.
    pub fn from_json_text(text: &str) -> Result<Script, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("the script is not JSON: {e}"))?;
        Script::from_json(&v)
    }

    /// The JSON it was read from.
    pub fn to_json(&self) -> Value {
        (*self.json).clone()
    }
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object().ok_or_else(|| format!("{what} must be an object"))
}

fn only(o: &Map<String, Value>, keys: &[&str], what: &str) -> Result<(), String> {
    match o.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(format!("{what}: unknown key {k:?} (known: {})", keys.join(", "))),
        None => Ok(()),
    }
}

fn text(v: &Value, what: &str) -> Result<String, String> {
    v.as_str().map(str::to_owned).ok_or_else(|| format!("{what} must be a string"))
}

fn millis(v: &Value, what: &str) -> Result<Duration, String> {
    v.as_u64().map(Duration::from_millis).ok_or_else(|| format!("{what} must be a whole number of milliseconds"))
}

fn rule(v: &Value, at: &str) -> Result<Rule, String> {
    let o = object(v, at)?;
    only(o, &["when", "then", "continue"], at)?;
    let when = match o.get("when") {
        None | Some(Value::Null) => When::default(),
        Some(w) => when(w, &format!("{at}.when"))?,
    };
    let then = steps(o.get("then").unwrap_or(&Value::Null), &format!("{at}.then"))?;
    let continue_ = match o.get("continue") {
        None | Some(Value::Null) => false,
        Some(c) => c.as_bool().ok_or_else(|| format!("{at}.continue must be a boolean"))?,
    };
    Ok(Rule { when, then: then.into(), continue_ })
}

fn when(v: &Value, at: &str) -> Result<When, String> {
    let o = object(v, at)?;
    only(o, &["exact", "button", "contains", "regex", "files", "action", "metadata", "live", "state"], at)?;
    let mut w = When::default();
    for (k, v) in o {
        let what = format!("{at}.{k}");
        match k.as_str() {
            "exact" | "button" => {
                if w.exact.is_some() {
                    return Err(format!("{at}: exact and button are one condition; give one"));
                }
                w.exact = Some(text(v, &what)?.trim().to_lowercase());
            }
            "contains" => w.contains = Some(text(v, &what)?.to_lowercase()),
            "regex" => {
                let re = text(v, &what)?;
                w.regex = Some(Regex::new(&re).map_err(|e| format!("{what}: {e}"))?);
            }
            "files" => w.files = Some(v.as_bool().ok_or_else(|| format!("{what} must be a boolean"))?),
            "action" => w.action = Some(text(v, &what)?),
            "metadata" => w.metadata = Some(object(v, &what)?.clone()),
            "live" => w.live = Some(v.as_bool().ok_or_else(|| format!("{what} must be a boolean"))?),
            "state" => w.state = Some(object(v, &what)?.clone()),
            _ => unreachable!("checked by only()"),
        }
    }
    if w.action.is_some() && w.metadata.is_some() {
        return Err(format!("{at}: a rule answers an action or a metadata event, not both"));
    }
    Ok(w)
}

fn content(v: &Value, at: &str) -> Result<Content, String> {
    match v {
        Value::String(s) => Ok(Content::Text(s.clone())),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(json!({"type": "text", "text": s})),
                Value::Object(o) if o.get("type").is_some_and(Value::is_string) => Ok(item.clone()),
                _ => Err(format!("{at}[{i}] must be a string or an item object with a \"type\"")),
            })
            .collect::<Result<_, _>>()
            .map(Content::Items),
        _ => Err(format!("{at} must be a string or a list of content items")),
    }
}

/// Content as a script step or a control gives it (a string: one text item; a list of items and
/// strings): its content items, or what is wrong with it.
pub fn content_items(v: &Value) -> Result<Vec<Value>, String> {
    Ok(Vars::default().items(&content(v, "content")?, &|_| None))
}

fn steps(v: &Value, at: &str) -> Result<Vec<Step>, String> {
    let list = v.as_array().ok_or_else(|| format!("{at} must be a list of steps"))?;
    list.iter().enumerate().map(|(i, s)| step(s, &format!("{at}[{i}]"))).collect()
}

const STEPS: &[&str] = &[
    "bot",
    "agent",
    "delay_ms",
    "handover",
    "end_handover",
    "update",
    "action",
    "error",
    "large_message",
    "set",
    "metadata",
];

fn step(v: &Value, at: &str) -> Result<Step, String> {
    let o = object(v, at)?;
    let kinds: Vec<&String> = o.keys().filter(|k| STEPS.contains(&k.as_str())).collect();
    let [kind] = kinds[..] else {
        return Err(format!("{at} must have exactly one of {}", STEPS.join(", ")));
    };
    let value = &o[kind.as_str()];
    let what = format!("{at}.{kind}");
    Ok(match kind.as_str() {
        "bot" => {
            only(o, &["bot"], at)?;
            Step::Bot(content(value, &what)?)
        }
        "agent" => {
            only(o, &["agent", "after_ms"], at)?;
            let after = o.get("after_ms").map(|a| millis(a, &format!("{at}.after_ms"))).transpose()?;
            Step::Agent(content(value, &what)?, after)
        }
        "delay_ms" => {
            only(o, &["delay_ms"], at)?;
            Step::Delay(millis(value, &what)?)
        }
        "handover" => {
            only(o, &["handover"], at)?;
            let h = object(value, &what)?;
            only(h, &["agent"], &what)?;
            Step::Handover(
                h.get("agent").map(|a| text(a, &format!("{what}.agent"))).transpose()?.unwrap_or("Sam".into()),
            )
        }
        "end_handover" => {
            only(o, &["end_handover"], at)?;
            only(object(value, &what)?, &[], &what)?;
            Step::EndHandover
        }
        "update" | "action" => {
            only(o, &[kind.as_str()], at)?;
            let u = object(value, &what)?;
            if !u.get("type").is_some_and(Value::is_string) {
                return Err(format!("{what} needs a \"type\" string"));
            }
            if kind == "update" { Step::Update(value.clone()) } else { Step::Action(value.clone()) }
        }
        "error" => {
            only(o, &["error"], at)?;
            let e = object(value, &what)?;
            only(e, &["code", "desc"], &what)?;
            let code = e.get("code").and_then(Value::as_u64).ok_or_else(|| format!("{what}.code must be a number"))?;
            let desc = e.get("desc").map(|d| text(d, &format!("{what}.desc"))).transpose()?.unwrap_or_default();
            Step::Error(code, desc)
        }
        "large_message" => {
            only(o, &["large_message", "repeat"], at)?;
            let (c, repeat) = match value {
                Value::Object(l) => {
                    only(l, &["text", "repeat"], &what)?;
                    let t = text(l.get("text").unwrap_or(&Value::Null), &format!("{what}.text"))?;
                    (Content::Text(t), l.get("repeat"))
                }
                other => (content(other, &what)?, o.get("repeat")),
            };
            let repeat = match repeat {
                None => 1,
                Some(r) => r
                    .as_u64()
                    .filter(|r| (1..=1_000_000).contains(r))
                    .ok_or_else(|| format!("{at}: repeat must be a whole number from 1 to 1000000"))?
                    as usize,
            };
            Step::LargeMessage(c, repeat)
        }
        "set" => {
            only(o, &["set"], at)?;
            Step::Set(object(value, &what)?.clone())
        }
        "metadata" => {
            only(o, &["metadata"], at)?;
            Step::Metadata(object(value, &what)?.clone())
        }
        _ => unreachable!("one of STEPS"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_script_reads() {
        let s = Script::default();
        assert!(!s.greeting.is_empty() && s.rules.len() > 5);
        assert_eq!(s.to_json(), serde_json::from_str::<Value>(DEFAULT_SCRIPT_JSON).unwrap());
    }

    #[test]
    fn rules_match_in_order_with_their_groups() {
        let s = Script::from_json(&json!({"rules": [
            {"when": {"files": true}, "then": [{"bot": "files"}], "continue": true},
            {"when": {"regex": "^order (?P<n>\\d+)$"}, "then": [{"bot": "Order {n} ({1})"}]},
            {"when": {"button": "Yes"}, "then": [{"bot": "yes"}]},
            {"when": {"live": true}, "then": [{"agent": "live"}]},
            {"when": {"action": "go"}, "then": [{"bot": "went"}]},
            {"when": {"metadata": {"plan": null}}, "then": [{"bot": "plan"}]},
            {"when": {"state": {"step": 2}}, "then": [{"bot": "two"}]},
            {"then": [{"bot": "else"}]}
        ]}))
        .unwrap();
        let state = Map::new();
        let idle = Facts { live: false, state: &state };
        let texts = |t: Trigger<'_>, f: &Facts<'_>| -> Vec<String> {
            s.matching(&t, f)
                .into_iter()
                .map(|(steps, vars)| match &steps[0] {
                    Step::Bot(c) | Step::Agent(c, _) => {
                        vars.items(c, &|_| None)[0]["text"].as_str().unwrap().to_owned()
                    }
                    other => format!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(texts(Trigger::Message { text: "order 42", lower: "order 42", files: 0 }, &idle), ["Order 42 (42)"]);
        assert_eq!(
            texts(Trigger::Message { text: "order 42", lower: "order 42", files: 2 }, &idle),
            ["files", "Order 42 (42)"]
        );
        assert_eq!(
            texts(Trigger::Message { text: "", lower: "", files: 2 }, &idle),
            ["files"],
            "no text: files rules only"
        );
        assert!(texts(Trigger::Message { text: "", lower: "", files: 0 }, &idle).is_empty());
        assert_eq!(texts(Trigger::Message { text: "yes", lower: "yes", files: 0 }, &idle), ["yes"]);
        assert_eq!(texts(Trigger::Message { text: "hi", lower: "hi", files: 0 }, &idle), ["else"]);
        assert_eq!(
            texts(Trigger::Message { text: "hi", lower: "hi", files: 0 }, &Facts { live: true, state: &state }),
            ["live"]
        );
        assert_eq!(texts(Trigger::Action("go"), &idle), ["went"]);
        assert!(texts(Trigger::Action("stop"), &idle).is_empty());
        let set = json!({"plan": "gold"});
        assert_eq!(texts(Trigger::Metadata(set.as_object().unwrap()), &idle), ["plan"]);
        let two = json!({"step": 2});
        assert_eq!(
            texts(
                Trigger::Message { text: "x", lower: "x", files: 0 },
                &Facts { live: false, state: two.as_object().unwrap() }
            ),
            ["two"]
        );
    }

    #[test]
    fn variables_fill_and_unknown_braces_stay() {
        let mut v = Vars::default();
        v.set("text", "hi {there}");
        v.set("n", "3");
        let more = |name: &str| (name == "agent").then(|| "Ada".to_owned());
        assert_eq!(v.fill("{text} x{n} {unknown} {agent} {", &more), "hi {there} x3 {unknown} Ada {");
        assert_eq!(v.fill_value(&json!({"a": ["{n}", 1]}), &more), json!({"a": ["3", 1]}));
    }

    #[test]
    fn mistakes_are_refused_with_where_they_are() {
        let err = |v: Value| Script::from_json(&v).unwrap_err();
        assert!(err(json!({"rule": []})).contains("unknown key \"rule\""));
        assert!(err(json!({"rules": [{"when": {"exactly": "x"}, "then": []}]})).contains("rules[0].when: unknown key"));
        assert!(err(json!({"rules": [{"then": [{"bot": 5}]}]})).contains("rules[0].then[0].bot must be"));
        assert!(err(json!({"rules": [{"then": [{"bot": "a", "agent": "b"}]}]})).contains("exactly one of"));
        assert!(err(json!({"rules": [{"when": {"regex": "("}, "then": []}]})).contains("rules[0].when.regex"));
        assert!(err(json!({"rules": [{"then": [{"delay_ms": -1}]}]})).contains("milliseconds"));
        assert!(err(json!({"greeting": [{"update": {"data": {}}}]})).contains("needs a \"type\""));
        assert!(err(json!([])).contains("must be an object"));
    }
}
