//! Hub errors (`general_error`): which request one answers, or to whom it goes as an event.
//!
//! The hub's error frames carry `conversation_id` (not always), `error_code` and `error_desc`,
//! and nothing that names the request they answer; the one error documented, 400 "Invalid
//! conversation_id", is about a conversation, not about an operation. So an error is matched by
//! the conversation it names, by the operation when its description names one, and by the order
//! of the requests, as [`Engine::claim_error`] sets out.

use std::time::Instant;

use super::requests::{Seq, conversation_key};
use super::{Engine, INTERNAL};
use crate::error::Error;
use crate::protocol::{HubError, HubEvent, Inbound};

/// A written frame a hub error may answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Candidate {
    /// A request waiting for its reply (its caller's, one whose caller went away, or the
    /// engine's own catch-up).
    Reply(Seq),
    /// A message or action waiting for its proof of delivery (it gets no reply of its own).
    Message(Seq),
}

impl Candidate {
    fn seq(self) -> Seq {
        match self {
            Candidate::Reply(s) | Candidate::Message(s) => s,
        }
    }
}

/// The wire event type of the engine's own requests (the catch-up's transcript request).
const CATCH_UP_OPERATION: &str = "conversation_transcript_request";

/// Whether `text` holds `word` as a whole word (letters, digits and `_` around it do not
/// count as a boundary), ASCII case ignored.
fn names(text: &str, word: &str) -> bool {
    if word.is_empty() || word.len() > text.len() {
        return false;
    }
    let (t, w) = (text.as_bytes(), word.as_bytes());
    let part = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (0..=t.len() - w.len()).any(|i| {
        t[i..i + w.len()].eq_ignore_ascii_case(w)
            && (i == 0 || !part(t[i - 1]))
            && t.get(i + w.len()).is_none_or(|b| !part(*b))
    })
}

/// Whether the error is about the conversation it names rather than about one operation: the
/// hub then answers every request naming that conversation with it, whatever their kind.
fn about_the_conversation(err: &HubError) -> bool {
    err.description.to_ascii_lowercase().contains("invalid conversation")
}

impl Engine {
    /// Matches a hub error to what caused it. Returns the error back when it is to be
    /// delivered as an event (to the conversation it names, or to the client).
    ///
    /// The rule, in order:
    ///
    /// 1. A 413 with a `message_link` announces a large bot message: never an answer.
    /// 2. The candidates are the frames written on this connection that may still draw an
    ///    error: requests waiting for their reply (including those whose caller went away or
    ///    timed out, kept for one more period, and the engine's own catch-up transcript
    ///    requests) and messages and actions waiting for their proof of delivery. An error
    ///    naming a conversation keeps those naming it.
    /// 3. When the error's description names the operation of some candidates (their event
    ///    type as a whole word, e.g. `metadata_request`), only those are kept.
    /// 4. With a conversation: the hub answers the requests of one kind in order, so the error
    ///    is the oldest candidate's when the candidates left are all of one kind (the same
    ///    operation, all the caller's or all the engine's), or when the error is about the
    ///    conversation itself (400 "Invalid conversation_id": the hub gives it to every
    ///    request naming that conversation). Otherwise it could be either of two kinds, and
    ///    it is given to neither: the engine's catch-up is never ended by an error that may be a
    ///    caller's, nor a caller's request by the catch-up's.
    /// 5. Without a conversation: the error is the candidate's when exactly one is left
    ///    (whatever it names: a conversation start, a listing, ...); with none or several, it is
    ///    nobody's.
    ///
    /// Then: a caller's request fails with the error. A request whose caller went away stops
    /// waiting, and the error is delivered as an event. The engine's catch-up ends (without
    /// its transcript), and the error is delivered as an event too. A message or action keeps
    /// waiting for its proof (its call is not failed, as before), is not taken for the cause of
    /// a later error, and the error is delivered as an event. An error that is nobody's is
    /// delivered as an event, and the requests go on waiting for their own answer.
    pub(super) fn claim_error(&mut self, inbound: Inbound, now: Instant) -> Option<Inbound> {
        let HubEvent::Error(err) = &inbound.body else { return Some(inbound) };
        if err.message_link.is_some() {
            return Some(inbound);
        }
        let conversation = inbound.conversation_id.as_deref();
        let mut candidates: Vec<Candidate> = match conversation {
            Some(c) => {
                let key = conversation_key(c);
                let replies = self.written.replies_naming(c).into_iter().map(Candidate::Reply);
                replies.chain(self.written.messages_naming(Some(key)).into_iter().map(Candidate::Message)).collect()
            }
            None => {
                let replies = self.written.reply_seqs().into_iter().map(Candidate::Reply);
                replies.chain(self.written.messages_naming(None).into_iter().map(Candidate::Message)).collect()
            }
        };
        candidates.sort_unstable_by_key(|c| c.seq());
        if candidates.iter().any(|c| self.kind(*c).is_some_and(|(_, op)| names(&err.description, op))) {
            candidates.retain(|c| self.kind(*c).is_some_and(|(_, op)| names(&err.description, op)));
        }
        let chosen = match (conversation, candidates.first()) {
            (_, None) => None,
            (None, Some(first)) => (candidates.len() == 1).then_some(*first),
            (Some(_), Some(first)) => {
                let kind = self.kind(*first);
                (about_the_conversation(err) || candidates.iter().all(|c| self.kind(*c) == kind)).then_some(*first)
            }
        };
        let error = Error::from_hub(err, conversation.map(str::to_owned));
        match chosen {
            None => {
                tracing::debug!(candidates = candidates.len(), "a hub error no request can be told to have caused");
                Some(inbound)
            }
            Some(Candidate::Message(seq)) => {
                if let Some(u) = self.written.proof_mut(seq) {
                    u.error_taken = true;
                }
                Some(inbound)
            }
            Some(Candidate::Reply(seq)) => {
                let Some(a) = self.written.remove_reply(seq) else { return Some(inbound) };
                let start = a.matcher.start && self.start_in_flight == Some(a.id);
                let delivered = if a.cancelled {
                    Some(inbound)
                } else {
                    self.complete(a.id, Err(error));
                    // The engine's own request has no caller to tell.
                    (a.id >= INTERNAL).then_some(inbound)
                };
                if start {
                    self.start_in_flight = None;
                    self.pump_starts(now);
                }
                delivered
            }
        }
    }

    /// A candidate's kind: whether it is the engine's own request, and its operation.
    fn kind(&self, c: Candidate) -> Option<(bool, &str)> {
        match c {
            Candidate::Reply(seq) => self
                .written
                .reply(seq)
                .map(|a| if a.id >= INTERNAL { (true, CATCH_UP_OPERATION) } else { (false, a.operation.as_ref()) }),
            Candidate::Message(seq) => self.written.proof(seq).map(|u| (false, u.operation.as_ref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn an_operation_is_named_as_a_whole_word() {
        assert!(names("metadata_request failed", "metadata_request"));
        assert!(names("Bad METADATA", "metadata"));
        assert!(!names("metadata_request failed", "metadata"));
        assert!(!names("xmetadata", "metadata"));
        assert!(!names("", "metadata"));
        assert!(!names("anything", ""));
    }
}
