//! The queue of what the engine hands out. Completions are kept apart from events and state
//! changes, small (an error boxed), since one pong may complete thousands of messages at once;
//! [`Engine::poll_output`](super::Engine::poll_output) hands both out in the order they came,
//! the driver takes each kind on its own.

use std::collections::VecDeque;

use super::types::{Completion, Out, Output, RequestId};
use crate::error::Error;

/// A request's outcome, as the queue keeps it.
pub(crate) type Done = (RequestId, Result<Completion, Box<Error>>);

#[derive(Debug, Default)]
pub(super) struct Outputs {
    /// Numbers the outputs of both kinds in order.
    next: u64,
    outs: VecDeque<(u64, Out)>,
    done: VecDeque<(u64, Done)>,
}

impl Outputs {
    fn number(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    pub(super) fn push(&mut self, out: Out) {
        let n = self.number();
        self.outs.push_back((n, out));
    }

    pub(super) fn complete(&mut self, id: RequestId, result: Result<Completion, Error>) {
        let n = self.number();
        self.done.push_back((n, (id, result.map_err(Box::new))));
    }

    /// The next output of either kind, in order.
    pub(super) fn pop(&mut self) -> Option<Output> {
        let out_first = match (self.outs.front(), self.done.front()) {
            (Some((a, _)), Some((b, _))) => a < b,
            (a, _) => a.is_some(),
        };
        if out_first {
            return self.outs.pop_front().map(|(_, o)| o.into());
        }
        let (_, (id, result)) = self.done.pop_front()?;
        Some(Output::Complete { id, result: result.map_err(|e| *e) })
    }

    /// The next event or state change.
    pub(super) fn pop_out(&mut self) -> Option<Out> {
        self.outs.pop_front().map(|(_, o)| o)
    }

    /// The next completion.
    pub(super) fn pop_done(&mut self) -> Option<Done> {
        self.done.pop_front().map(|(_, d)| d)
    }
}
