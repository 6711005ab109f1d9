//! The queue of what the engine hands out. Completions are kept apart from events and state
//! changes, small (an error boxed), since one pong may complete thousands of messages at once;
//! [`Engine::poll_output`](super::Engine::poll_output) hands out every event and state change
//! ready before the completions: a caller learns of a request's end after the events that came
//! with it (a reply's conversation is registered, a state change is published, first).

use std::collections::VecDeque;

use super::types::{Completion, Output, RequestId};
use crate::error::Error;

/// A request's outcome, as the driver keeps it until its caller takes it.
pub(crate) type Done = (RequestId, Result<Completion, Box<Error>>);

#[derive(Debug, Default)]
pub(super) struct Outputs {
    /// Events, state changes and raw frames, in order.
    outs: VecDeque<Output>,
    /// Completions, in order.
    done: VecDeque<Done>,
}

impl Outputs {
    pub(super) fn push(&mut self, out: Output) {
        self.outs.push_back(out);
    }

    pub(super) fn complete(&mut self, id: RequestId, result: Result<Completion, Error>) {
        self.done.push_back((id, result.map_err(Box::new)));
    }

    /// The next output: an event or state change while any is ready, then a completion.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<Output> {
        if let Some(o) = self.outs.pop_front() {
            return Some(o);
        }
        let (id, result) = self.done.pop_front()?;
        Some(Output::Complete { id, result })
    }
}
