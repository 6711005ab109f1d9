//! The native part of the Node package `captivate-chat`: a thin transport over the binding
//! layer (`captivate-binding`), which checks arguments, maps errors, routes events and keeps
//! the conversations of a client for every front end.
//!
//! - [`client::NativeClient`]: a session; each operation takes its arguments as JavaScript
//!   gives them and returns a slot number at once, its outcome following in a batch;
//! - [`pump`]: the batches, one call of a thread-safe function per batch of ready events and
//!   outcomes, polled on the JavaScript thread;
//! - [`encode`]: the form of a batch (numbers, one string, JSON values, raw frames kept
//!   native), read back by `lib/events.js`;
//! - [`logs`]: the library's log records, to a JavaScript function;
//! - [`hub`]: the local hub in this process, for `captivate-chat/testing`;
//! - the tables the JavaScript side builds itself from: error kinds, event kinds, options.
//!
//! An error thrown by a call here is an `Error` whose message is the JSON of a
//! [`captivate_binding::BindingError`] (`{"kind", "code", "message", "details"}`);
//! `lib/errors.js` turns it into the class of its kind.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod client;
pub mod encode;
pub mod hub;
pub mod logs;
pub mod pump;
pub mod testing;

use captivate::options::{OPTIONS, OptionType};
use captivate::protocol::RawFrame;
use captivate_binding::BindingError;
use napi::bindgen_prelude::External;
use napi_derive::napi;

/// An error for JavaScript: the JSON of the binding's error as the message.
pub(crate) fn js_error(e: BindingError) -> napi::Error {
    napi::Error::from_reason(e.to_json().to_string())
}

/// The library's version.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// One kind of error: its stable code, the name of its class, what it means.
#[napi(object)]
pub struct ErrorKindInfo {
    /// The stable code, e.g. `timeout`.
    pub code: String,
    /// The class name, e.g. `Timeout` (the same in Python).
    pub class_name: String,
    /// What it means.
    pub doc: String,
}

/// Every kind of error, in the order the batches number them.
#[napi]
pub fn error_kinds() -> Vec<ErrorKindInfo> {
    captivate_binding::errors::kinds()
        .into_iter()
        .map(|k| ErrorKindInfo { code: k.code.to_owned(), class_name: k.class.to_owned(), doc: k.doc.to_owned() })
        .collect()
}

/// Every kind of event, in the order of their codes in the batches.
#[napi]
pub fn event_kinds() -> Vec<String> {
    encode::KINDS.iter().map(|k| (*k).to_owned()).collect()
}

/// One option of a client (see `captivate::options`).
#[napi(object)]
pub struct OptionInfo {
    /// Its name in the schema (snake_case; reconnect options as `reconnect.name`).
    pub name: String,
    /// What it takes: `text`, `one_of`, `millis`, `flag`, `count`.
    pub kind: String,
    /// The values a `one_of` option takes.
    pub values: Option<Vec<String>>,
    /// What it sets.
    pub doc: String,
}

/// Every option a client takes, from the one schema every front end reads.
#[napi]
pub fn options_schema() -> Vec<OptionInfo> {
    OPTIONS
        .iter()
        .map(|s| {
            let (kind, values) = match s.kind {
                OptionType::Text => ("text", None),
                OptionType::OneOf(v) => ("one_of", Some(v.iter().map(|x| (*x).to_owned()).collect())),
                OptionType::Millis => ("millis", None),
                OptionType::Flag => ("flag", None),
                OptionType::Count => ("count", None),
                OptionType::TextList => ("text_list", None),
            };
            OptionInfo { name: s.name.to_owned(), kind: kind.to_owned(), values, doc: s.doc.to_owned() }
        })
        .collect()
}

/// The text of the raw frame of the `index`-th hub event of a batch, as received.
#[napi(ts_args_type = "raws: unknown, index: number")]
pub fn raw_text(raws: &External<Vec<RawFrame>>, index: u32) -> Option<String> {
    raws.get(index as usize).map(|r| r.text().into_owned())
}

/// The file time-to-live values the hub accepts, in days.
#[napi]
pub fn time_to_live_days() -> Vec<u32> {
    captivate::TIME_TO_LIVE_DAYS.to_vec()
}
