//! For the package's own tests: a batch of chosen events, written exactly as a client's batches
//! are, so that the JavaScript side reads it with the same code. Hub events come from frames
//! (decoded by the library); the events the library makes itself from their canonical JSON
//! (`core/tests/fixtures/canonical/events.json`).

use std::time::Duration;

use captivate::{ConnectionState, DeliveryReport, Event, MalformedFrame, Routed, StateChange};
use napi::bindgen_prelude::{External, Float64Array};
use napi_derive::napi;
use serde_json::Value;

use crate::encode::Writer;
use crate::pump::Raws;

/// A batch as the dispatcher receives it, as one object.
#[napi(object, object_from_js = false)]
pub struct TestBatch {
    /// The numbers.
    pub nums: Float64Array,
    /// The text fields.
    pub text: String,
    /// The JSON-shaped fields.
    pub vals: Vec<Value>,
    /// The raw frames.
    pub raws: Option<External<Raws>>,
}

fn state_of(v: &Value) -> Option<ConnectionState> {
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    Some(match v.get("state")?.as_str()? {
        "initialized" => ConnectionState::Initialized,
        "connecting" => ConnectionState::Connecting { attempt: n("attempt")? as u32 },
        "connected" => ConnectionState::Connected { socket_id: v.get("socket_id")?.as_str()?.to_owned() },
        "disconnected" => ConnectionState::Disconnected {
            attempt: n("attempt")? as u32,
            retry_in: Duration::from_millis(n("retry_in_ms")?),
        },
        "suspended" => ConnectionState::Suspended { retry_in: Duration::from_millis(n("retry_in_ms")?) },
        "closing" => ConnectionState::Closing,
        "closed" => ConnectionState::Closed,
        "failed" => ConnectionState::Failed,
        _ => return None,
    })
}

/// The library's own event from its canonical JSON.
fn library_event(v: &Value) -> Option<Event> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(match v.get("kind")?.as_str()? {
        "state" => Event::State(StateChange {
            previous: state_of(v.get("previous")?)?,
            current: state_of(v.get("current")?)?,
            reason: s("reason"),
            queued: v.get("queued")?.as_u64()? as usize,
        }),
        "discontinuity" => Event::Discontinuity { conversation_id: s("conversation_id")? },
        "malformed" => Event::Malformed(MalformedFrame { error: s("error")?, text: s("text")? }),
        "delivery" => Event::Delivery(DeliveryReport {
            client_msg_id: s("client_msg_id")?,
            conversation_id: s("conversation_id"),
            delivered: v.get("delivered")?.as_bool()?,
        }),
        "lagged" => Event::Lagged { missed: v.get("missed")?.as_u64()? },
        _ => return None,
    })
}

/// A batch of the hub events decoded from `frames` followed by the library's events given as
/// canonical JSON, each routed to the conversation it names and to the client.
#[napi]
pub fn encode_for_test(frames: Vec<String>, library: Vec<Value>) -> napi::Result<TestBatch> {
    let mut events = Vec::new();
    for f in &frames {
        let inbound = captivate::protocol::decode(f).map_err(|e| napi::Error::from_reason(e.to_string()))?;
        events.push(Event::Hub(inbound));
    }
    for v in &library {
        events.push(library_event(v).ok_or_else(|| napi::Error::from_reason(format!("not a library event: {v}")))?);
    }
    let mut w = Writer::default();
    for event in events {
        let conversation_id = event.conversation_id().map(str::to_owned);
        w.routed(Routed { event, conversation_id, to_client: true });
    }
    let b = w.finish();
    let raws = if b.raws.is_empty() { None } else { Some(External::new(b.raws)) };
    Ok(TestBatch { nums: Float64Array::new(b.nums), text: b.text, vals: b.vals, raws })
}
