//! The request table: requests not written yet (the offline queue, and conversation starts,
//! which go out one at a time), written requests waiting for their reply, and messages waiting
//! for a proof of delivery, with one queue of deadlines over the written ones.
//!
//! Every operation costs the same however many requests are in flight: replies are found
//! through an index by event type and conversation, proofs are confirmed from the oldest (in
//! one queue, touched in order), and deadlines are kept in order ([`Deadlines`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::deadlines::{Deadlines, Lane};
use super::types::{Expect, ReplyMatch, RequestId, Submit};
use crate::config::Timings;
use crate::error::Error;
use crate::hash::{FastHasher, FastMap};

/// The write order of written requests: the older, the lower.
pub(super) type Seq = u64;

/// Requests waiting to be written, with their size in bytes.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    events: VecDeque<Submit>,
    /// Conversation starts: at most one is in flight per socket.
    starts: VecDeque<Submit>,
    bytes: usize,
}

impl Outbox {
    /// Requests waiting.
    pub(super) fn len(&self) -> usize {
        self.events.len() + self.starts.len()
    }

    /// Whether one more frame of `len` bytes fits within the queue's limits, with `others`
    /// (sends and bytes) waiting elsewhere: posts in line, messages waiting for a resend.
    pub(super) fn room_for(&self, len: usize, others: (usize, usize), t: &Timings) -> Result<(), Error> {
        if self.len() + others.0 >= t.max_queued_events {
            return Err(Error::QueueFull(format!("{} events", t.max_queued_events)));
        }
        if self.bytes + others.1 + len > t.max_queued_bytes {
            return Err(Error::QueueFull(format!("{} bytes", t.max_queued_bytes)));
        }
        Ok(())
    }

    pub(super) fn push(&mut self, s: Submit, start: bool) {
        self.bytes += s.frame.len();
        if start { self.starts.push_back(s) } else { self.events.push_back(s) }
    }

    /// Puts requests taken back from a cut connection at the head of the queue, in order.
    pub(super) fn push_front_all(&mut self, taken_back: Vec<Submit>) {
        for s in taken_back.into_iter().rev() {
            self.bytes += s.frame.len();
            match &s.expect {
                Expect::Reply(m) if m.start => self.starts.push_front(s),
                _ => self.events.push_front(s),
            }
        }
    }

    pub(super) fn pop_event(&mut self) -> Option<Submit> {
        let s = self.events.pop_front()?;
        self.bytes -= s.frame.len();
        Some(s)
    }

    pub(super) fn pop_start(&mut self) -> Option<Submit> {
        let s = self.starts.pop_front()?;
        self.bytes -= s.frame.len();
        Some(s)
    }

    /// Removes a request; false when it is not here.
    pub(super) fn remove(&mut self, id: RequestId) -> bool {
        for q in [&mut self.events, &mut self.starts] {
            if let Some(pos) = q.iter().position(|s| s.id == id)
                && let Some(s) = q.remove(pos)
            {
                self.bytes -= s.frame.len();
                return true;
            }
        }
        false
    }

    /// Takes every request, events first.
    pub(super) fn drain(&mut self) -> Vec<Submit> {
        self.bytes = 0;
        self.events.drain(..).chain(self.starts.drain(..)).collect()
    }
}

/// A written request waiting for its reply.
#[derive(Debug)]
pub(super) struct Awaiting {
    pub(super) id: RequestId,
    pub(super) operation: Cow<'static, str>,
    pub(super) matcher: ReplyMatch,
    pub(super) deadline: Instant,
    pub(super) timeout: Duration,
    /// The caller went away (or the call timed out): the reply, when it comes, is delivered as
    /// an unsolicited event, and is not taken for the answer to a newer request.
    pub(super) cancelled: bool,
    /// A reply of this request's kind that a ghost (an older request of the same kind whose
    /// caller gave up) took while this one waited. Replies carry no request id: it was either
    /// the ghost's late reply or this request's own, the hub having dropped the ghost's
    /// request. Should this request's deadline come without another reply, it was its own, and
    /// the call completes with it rather than timing out (otherwise each new request's answer
    /// would go to the ghost of the one before, and every request of the kind would time out).
    pub(super) provisional: Option<Box<crate::protocol::Inbound>>,
}

/// A written message waiting for the proof that the hub read it.
#[derive(Debug)]
pub(super) struct Unproven {
    pub(super) id: RequestId,
    pub(super) operation: Cow<'static, str>,
    pub(super) client_msg_id: String,
    /// When the call times out (or, once it has, nothing: the message waits for its proof or
    /// for the connection's end).
    pub(super) deadline: Option<Instant>,
    pub(super) timeout: Duration,
    /// The first ping number written after this frame: its pong proves the frame was read.
    pub(super) needs_ping: u64,
    /// The frame, kept for a resend (at-least-once).
    pub(super) frame: Option<String>,
    /// Written a second time already.
    pub(super) resent: bool,
    /// The call ended already (timed out); a late outcome is reported as an event.
    pub(super) call_done: bool,
    /// The connection it was written to is gone: it is written again after reconnecting.
    pub(super) awaiting_resend: bool,
    /// The conversation its frame names, as a [`conversation_key`]: a hub error about that
    /// conversation may be its answer.
    pub(super) conversation: Option<u64>,
    /// A hub error was taken for its answer already.
    pub(super) error_taken: bool,
}

/// A conversation id as messages waiting for their proof keep it: a hash (no copy of the id
/// per message; looked at only when a hub error comes).
pub(super) fn conversation_key(c: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = FastHasher::default();
    h.write(c.as_bytes());
    h.finish()
}

/// Written requests: replies awaited and proofs of delivery awaited.
#[derive(Debug, Default)]
pub(super) struct Written {
    next: Seq,
    replies: BTreeMap<Seq, Awaiting>,
    /// Proofs awaited, in write order; a proof taken out of the middle leaves a hole that is
    /// dropped once it reaches the front.
    proofs: VecDeque<ProofSlot>,
    /// Proofs awaited (the entries of `proofs` that are not holes).
    live_proofs: usize,
    /// Replies awaited, by request id.
    reply_ids: FastMap<RequestId, Seq>,
    /// Proofs awaited, by request id, only while the ids in `proofs` are not in increasing
    /// order (callers number their requests in order, and then a proof is found by its id
    /// with a binary search).
    proof_ids: Option<FastMap<RequestId, Seq>>,
    deadlines: Deadlines,
    /// Replies awaited, by reply type, oldest first. May hold entries already gone, which are
    /// skipped (and dropped from the front).
    by_kind: FastMap<String, KindIndex>,
    /// Replies awaited, by named conversation, oldest first (same caveat).
    by_conversation: FastMap<String, VecDeque<Seq>>,
    /// Messages waiting for a resend, and their bytes.
    resend_load: (usize, usize),
}

/// A place in the queue of proofs: a proof awaited, or the hole it left.
#[derive(Debug)]
struct ProofSlot {
    seq: Seq,
    id: RequestId,
    proof: Option<Unproven>,
}

/// The replies awaited of one type: by the conversation they name, and those naming none.
#[derive(Debug, Default)]
struct KindIndex {
    named: FastMap<String, VecDeque<Seq>>,
    unnamed: VecDeque<Seq>,
}

fn same(want: Option<&str>, got: Option<&str>) -> bool {
    match (want, got) {
        (Some(w), Some(g)) => w == g,
        _ => true,
    }
}

impl Written {
    fn seq(&mut self) -> Seq {
        self.next += 1;
        self.next
    }

    /// Replies awaited (ghosts included) and proofs awaited.
    pub(super) fn counts(&self) -> (usize, usize) {
        (self.replies.len(), self.live_proofs)
    }

    pub(super) fn insert_reply(&mut self, a: Awaiting) -> Seq {
        let seq = self.seq();
        self.reply_ids.insert(a.id, seq);
        self.deadlines.insert(Lane::Reply, a.timeout, a.deadline, seq);
        if !a.matcher.start {
            let idx = self.by_kind.entry(a.matcher.event_type.clone()).or_default();
            match &a.matcher.conversation_id {
                Some(c) => idx.named.entry(c.clone()).or_default().push_back(seq),
                None => idx.unnamed.push_back(seq),
            }
            if let Some(c) = &a.matcher.conversation_id {
                let q = self.by_conversation.entry(c.clone()).or_default();
                // Requests mostly end in order: those answered since are dropped from the front,
                // so that the index stays the size of what waits.
                while q.front().is_some_and(|s| !self.replies.contains_key(s)) {
                    q.pop_front();
                }
                q.push_back(seq);
            }
        }
        self.replies.insert(seq, a);
        seq
    }

    pub(super) fn insert_proof(&mut self, u: Unproven) -> Seq {
        let seq = self.seq();
        let id = u.id;
        if let Some(d) = u.deadline {
            self.deadlines.insert(Lane::Proof, u.timeout, d, seq);
        }
        match &mut self.proof_ids {
            Some(ids) => {
                ids.insert(id, seq);
            }
            None if self.proofs.back().is_some_and(|p| p.id >= id) => {
                // Out of order: found by a map from now on, until no proof is left.
                let mut ids: FastMap<RequestId, Seq> =
                    self.proofs.iter().filter(|p| p.proof.is_some()).map(|p| (p.id, p.seq)).collect();
                ids.insert(id, seq);
                self.proof_ids = Some(ids);
            }
            None => {}
        }
        self.proofs.push_back(ProofSlot { seq, id, proof: Some(u) });
        self.live_proofs += 1;
        seq
    }

    /// Where proof `seq` is in `proofs`.
    fn proof_index(&self, seq: Seq) -> Option<usize> {
        // Proofs mostly end oldest first: the front needs no search.
        let i = match self.proofs.front() {
            Some(p) if p.seq == seq => 0,
            _ => self.proofs.partition_point(|p| p.seq < seq),
        };
        (self.proofs.get(i).is_some_and(|p| p.seq == seq && p.proof.is_some())).then_some(i)
    }

    pub(super) fn seq_of(&self, id: RequestId) -> Option<Seq> {
        if let Some(seq) = self.reply_ids.get(&id) {
            return Some(*seq);
        }
        match &self.proof_ids {
            Some(ids) => ids.get(&id).copied(),
            None => {
                let i = self.proofs.partition_point(|p| p.id < id);
                self.proofs.get(i).filter(|p| p.id == id && p.proof.is_some()).map(|p| p.seq)
            }
        }
    }

    pub(super) fn reply(&self, seq: Seq) -> Option<&Awaiting> {
        self.replies.get(&seq)
    }

    pub(super) fn reply_mut(&mut self, seq: Seq) -> Option<&mut Awaiting> {
        self.replies.get_mut(&seq)
    }

    pub(super) fn remove_reply(&mut self, seq: Seq) -> Option<Awaiting> {
        let a = self.replies.remove(&seq)?;
        self.reply_ids.remove(&a.id);
        self.deadlines.remove(a.deadline, seq);
        self.clean_deadlines();
        Some(a)
    }

    pub(super) fn remove_proof(&mut self, seq: Seq) -> Option<Unproven> {
        let i = self.proof_index(seq)?;
        let u = self.proofs[i].proof.take()?;
        self.live_proofs -= 1;
        while self.proofs.front().is_some_and(|p| p.proof.is_none()) {
            self.proofs.pop_front();
        }
        if self.live_proofs == 0 {
            self.proofs.clear();
            self.proof_ids = None;
        }
        if let Some(ids) = &mut self.proof_ids {
            ids.remove(&u.id);
        }
        if u.awaiting_resend {
            self.resend_load.0 -= 1;
            self.resend_load.1 -= u.frame.as_ref().map_or(0, String::len);
        }
        if let Some(d) = u.deadline {
            self.deadlines.remove(d, seq);
            self.clean_deadlines();
        }
        Some(u)
    }

    /// Drops the deadlines of requests that ended from the fronts of the deadline queues.
    fn clean_deadlines(&mut self) {
        let Written { deadlines, replies, proofs, live_proofs, .. } = self;
        let live = replies.len() + *live_proofs;
        deadlines.clean(live, |lane, d, seq| match lane {
            Lane::Reply => replies.get(&seq).is_some_and(|a| a.deadline == d),
            Lane::Proof => {
                let i = match proofs.front() {
                    // Older than the oldest proof: gone (the usual case, proofs end in order).
                    Some(p) if seq < p.seq => return false,
                    Some(p) if p.seq == seq => 0,
                    _ => proofs.partition_point(|p| p.seq < seq),
                };
                proofs.get(i).is_some_and(|p| p.seq == seq && p.proof.as_ref().is_some_and(|u| u.deadline == Some(d)))
            }
        });
    }

    /// Moves a reply's deadline (a ghost lives one more period).
    pub(super) fn extend_reply(&mut self, seq: Seq, deadline: Instant) {
        if let Some(a) = self.replies.get_mut(&seq) {
            self.deadlines.remove(a.deadline, seq);
            a.deadline = deadline;
            self.deadlines.insert(Lane::Reply, a.timeout, deadline, seq);
            self.clean_deadlines();
        }
    }

    /// Ends a proof's call deadline: it now waits only for its proof or its connection's end.
    pub(super) fn end_proof_deadline(&mut self, seq: Seq) {
        if let Some(d) = self.proof_mut(seq).and_then(|u| u.deadline.take()) {
            self.deadlines.remove(d, seq);
            self.clean_deadlines();
        }
    }

    /// The earliest deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(d, _)| d)
    }

    /// The request whose deadline is the earliest, if it is due at `now`. The caller ends the
    /// request or moves its deadline (until then it stays the earliest).
    pub(super) fn due(&self, now: Instant) -> Option<Seq> {
        let (d, seq) = self.deadlines.first()?;
        (d <= now).then_some(seq)
    }

    /// The oldest reply awaited that `event_type` naming these ids answers (a start's reply
    /// is matched on its own, through the start in flight).
    pub(super) fn find_reply(
        &mut self,
        event_type: &str,
        conversation: Option<&str>,
        user: Option<&str>,
        message: Option<&str>,
    ) -> Option<Seq> {
        let Written { by_kind, replies, .. } = self;
        let idx = by_kind.get_mut(event_type)?;
        let first = |q: &mut VecDeque<Seq>| {
            while q.front().is_some_and(|s| !replies.contains_key(s)) {
                q.pop_front();
            }
            q.iter().enumerate().find_map(|(pos, s)| {
                let a = replies.get(s)?;
                (same(a.matcher.user_id.as_deref(), user) && same(a.matcher.message_id.as_deref(), message))
                    .then_some((*s, pos))
            })
        };
        // Which queue the best candidate is in: `None` for requests naming no conversation.
        let mut best: Option<(Seq, Option<String>, usize)> = None;
        let mut consider = |found: Option<(Seq, usize)>, queue: Option<&str>| {
            if let Some((seq, pos)) = found
                && best.as_ref().is_none_or(|(b, _, _)| seq < *b)
            {
                best = Some((seq, queue.map(str::to_owned), pos));
            }
        };
        match conversation {
            Some(c) => {
                if let Some(q) = idx.named.get_mut(c) {
                    consider(first(q), Some(c));
                }
            }
            // A reply naming no conversation answers the oldest of its type, whichever it names.
            None => {
                for (c, q) in idx.named.iter_mut() {
                    consider(first(q), Some(c));
                }
            }
        }
        consider(first(&mut idx.unnamed), None);
        let (seq, queue, pos) = best?;
        match queue {
            Some(c) => {
                if let Some(q) = idx.named.get_mut(&c) {
                    q.remove(pos);
                    if q.is_empty() {
                        idx.named.remove(&c);
                    }
                }
            }
            None => {
                idx.unnamed.remove(pos);
            }
        }
        if idx.named.is_empty() && idx.unnamed.is_empty() {
            by_kind.remove(event_type);
        }
        Some(seq)
    }

    /// The oldest request still awaited by its caller that a reply of `event_type` naming these
    /// ids would answer (see [`Written::find_reply`]); nothing is removed.
    pub(super) fn oldest_live(
        &self,
        event_type: &str,
        conversation: Option<&str>,
        user: Option<&str>,
        message: Option<&str>,
    ) -> Option<Seq> {
        let idx = self.by_kind.get(event_type)?;
        let live = |q: &VecDeque<Seq>| {
            q.iter().copied().find(|s| {
                self.replies.get(s).is_some_and(|a| {
                    !a.cancelled
                        && same(a.matcher.user_id.as_deref(), user)
                        && same(a.matcher.message_id.as_deref(), message)
                })
            })
        };
        let named: Vec<Option<Seq>> = match conversation {
            Some(c) => vec![idx.named.get(c).and_then(live)],
            None => idx.named.values().map(live).collect(),
        };
        named.into_iter().chain([live(&idx.unnamed)]).flatten().min()
    }

    /// The replies awaited that name conversation `c`, oldest first.
    pub(super) fn replies_naming(&mut self, c: &str) -> Vec<Seq> {
        let Some(q) = self.by_conversation.get_mut(c) else { return Vec::new() };
        q.retain(|s| self.replies.contains_key(s));
        if q.is_empty() {
            self.by_conversation.remove(c);
            return Vec::new();
        }
        q.iter().copied().collect()
    }

    /// Every reply awaited, oldest first.
    pub(super) fn reply_seqs(&self) -> Vec<Seq> {
        self.replies.keys().copied().collect()
    }

    /// The messages waiting for their proof that a hub error may still answer: those naming
    /// the conversation of key `c` (any, when `None`), oldest first.
    pub(super) fn messages_naming(&self, c: Option<u64>) -> Vec<Seq> {
        self.proofs
            .iter()
            .filter(|p| p.proof.as_ref().is_some_and(|u| !u.error_taken && (c.is_none() || u.conversation == c)))
            .map(|p| p.seq)
            .collect()
    }

    /// Takes every reply awaited, oldest first.
    pub(super) fn take_replies(&mut self) -> Vec<Awaiting> {
        let replies = std::mem::take(&mut self.replies);
        for (seq, a) in &replies {
            self.deadlines.remove(a.deadline, *seq);
        }
        self.reply_ids.clear();
        self.clean_deadlines();
        self.by_kind.clear();
        self.by_conversation.clear();
        replies.into_values().collect()
    }

    /// The oldest proof awaited if the pong of ping `k` proves it.
    pub(super) fn pop_proven(&mut self, k: u64) -> Option<Unproven> {
        let front = self.proofs.front()?;
        let u = front.proof.as_ref()?;
        if u.awaiting_resend || u.needs_ping > k {
            return None;
        }
        let seq = front.seq;
        self.remove_proof(seq)
    }

    /// Proofs awaited, oldest first.
    pub(super) fn proof_seqs(&self) -> Vec<Seq> {
        self.proofs.iter().filter(|p| p.proof.is_some()).map(|p| p.seq).collect()
    }

    pub(super) fn proof(&self, seq: Seq) -> Option<&Unproven> {
        let i = self.proof_index(seq)?;
        self.proofs[i].proof.as_ref()
    }

    pub(super) fn proof_mut(&mut self, seq: Seq) -> Option<&mut Unproven> {
        let i = self.proof_index(seq)?;
        self.proofs[i].proof.as_mut()
    }

    pub(super) fn has_proofs(&self) -> bool {
        self.live_proofs > 0
    }

    /// Messages waiting to be written again.
    pub(super) fn awaiting_resend(&self) -> usize {
        self.resend_load.0
    }

    /// Messages waiting to be written again, and their bytes.
    pub(super) fn resend_load(&self) -> (usize, usize) {
        self.resend_load
    }

    /// Proof `seq`'s connection is gone: the message is written again after reconnecting.
    pub(super) fn mark_for_resend(&mut self, seq: Seq) {
        let Some(u) = self.proof_mut(seq) else { return };
        if !u.awaiting_resend {
            u.awaiting_resend = true;
            let len = u.frame.as_ref().map_or(0, String::len);
            self.resend_load.0 += 1;
            self.resend_load.1 += len;
        }
    }

    /// Takes the messages waiting to be written again, oldest first, as written now: their
    /// proof is the pong of ping `needs_ping`. Returns their ids and frames, to be written in
    /// order.
    pub(super) fn resend(&mut self, needs_ping: u64) -> Vec<(RequestId, String)> {
        let seqs: Vec<Seq> =
            self.proofs.iter().filter(|p| p.proof.as_ref().is_some_and(|u| u.awaiting_resend)).map(|p| p.seq).collect();
        let mut frames = Vec::with_capacity(seqs.len());
        for seq in seqs {
            if let Some(mut u) = self.remove_proof(seq) {
                u.awaiting_resend = false;
                u.resent = true;
                u.needs_ping = needs_ping;
                frames.push((u.id, u.frame.clone().unwrap_or_default()));
                self.insert_proof(u);
            }
        }
        frames
    }
}
