//! Who listens to a connection's events, and what is kept for listeners not there yet.

use std::collections::VecDeque;

use crate::engine::Route;
use crate::event::{Event, Routed};
use crate::hash::FastMap;
use crate::protocol::Inbound;
use crate::queue;

/// Who a subscription listens to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// Client-level events: state changes, events naming no open conversation.
    Client,
    /// One conversation's events (and state changes).
    Conversation(String),
    /// Every frame from the hub, as decoded, before deduplication and routing.
    Raw,
}

/// Where a routed event goes, as [`Routed`] says it.
fn routed(event: Event, route: &Route) -> Routed {
    let (conversation_id, to_client) = match route {
        Route::Client => (None, true),
        Route::Conversation(c) => (Some(c.to_string()), false),
        Route::Both(c) => (Some(c.to_string()), true),
    };
    Routed { event, conversation_id, to_client }
}

type Sender = queue::Sender<Event>;

/// The listeners of one scope, and the events kept while it has none.
#[derive(Default)]
struct Slot {
    subs: Vec<Sender>,
    backlog: VecDeque<Event>,
    dropped: u64,
}

/// Every listener of a connection.
pub(super) struct Subscribers {
    max_backlog: usize,
    client: Slot,
    conversations: FastMap<String, Slot>,
    raw: Vec<Sender>,
    /// Listeners of every event (`Client::all_events`); while there is one, nothing is kept
    /// for scopes nobody listens to.
    all: Vec<queue::Sender<Routed>>,
}

/// Sends to every listener, the last one getting the event itself (no copy when there is one),
/// and forgets the listeners gone. Gives the event back when nobody is left to hear it.
fn send_all(subs: &mut Vec<Sender>, event: Event) -> Option<Event> {
    if subs.len() > 1 {
        subs.retain(|s| !s.is_closed());
    }
    let Some((last, rest)) = subs.split_last() else { return Some(event) };
    for s in rest {
        let _ = s.send(event.clone());
    }
    match last.send(event) {
        Ok(()) => None,
        Err(event) => {
            subs.pop();
            subs.is_empty().then_some(event)
        }
    }
}

impl Subscribers {
    pub(super) fn new(max_backlog: usize) -> Self {
        Subscribers {
            max_backlog,
            client: Slot::default(),
            conversations: FastMap::default(),
            raw: Vec::new(),
            all: Vec::new(),
        }
    }

    /// A new listener gets what was kept for its scope first. When `ended` (the client is
    /// closed) it gets only that, and its stream ends.
    pub(super) fn subscribe(&mut self, scope: Scope, tx: Sender, ended: bool) {
        let slot = match scope {
            Scope::Raw => {
                if !ended {
                    self.raw.push(tx);
                }
                return;
            }
            Scope::Client => &mut self.client,
            Scope::Conversation(id) => self.conversations.entry(id).or_default(),
        };
        if slot.dropped > 0 {
            let _ = tx.send(Event::Lagged { missed: slot.dropped });
            slot.dropped = 0;
        }
        for e in slot.backlog.drain(..) {
            let _ = tx.send(e);
        }
        if !ended {
            slot.subs.push(tx);
        }
    }

    /// A listener of every event. It gets what was kept for every scope first (the client's,
    /// then each conversation's), which is then no longer kept for a later stream of that
    /// scope. When `ended` it gets only that, and its stream ends.
    pub(super) fn subscribe_all(&mut self, tx: queue::Sender<Routed>, ended: bool) {
        let mut ids: Vec<&String> = self.conversations.keys().collect();
        ids.sort();
        let ids: Vec<String> = ids.into_iter().cloned().collect();
        let client = &mut self.client;
        let mut backlog =
            vec![(Route::Client, std::mem::take(&mut client.backlog), std::mem::take(&mut client.dropped))];
        for id in ids {
            if let Some(slot) = self.conversations.get_mut(&id) {
                backlog.push((
                    Route::Conversation(id.into()),
                    std::mem::take(&mut slot.backlog),
                    std::mem::take(&mut slot.dropped),
                ));
            }
        }
        for (route, events, dropped) in backlog {
            if dropped > 0 {
                let _ = tx.send(routed(Event::Lagged { missed: dropped }, &route));
            }
            for e in events {
                let _ = tx.send(routed(e, &route));
            }
        }
        if !ended {
            self.all.push(tx);
        }
    }

    /// Sends to the listeners of every event; false when there are none.
    fn send_to_all(&mut self, event: &Event, route: &Route) -> bool {
        self.all.retain(|s| !s.is_closed());
        for s in &self.all {
            let _ = s.send(routed(event.clone(), route));
        }
        !self.all.is_empty()
    }

    /// A state change: to the listeners of every event, to every conversation's listeners, and
    /// to the client's (kept for them when nobody at all listens).
    pub(super) fn state(&mut self, event: Event) {
        let heard = self.send_to_all(&event, &Route::Client);
        for slot in self.conversations.values_mut() {
            if !slot.subs.is_empty() {
                send_all(&mut slot.subs, event.clone());
            }
        }
        let max = if heard { 0 } else { self.max_backlog };
        Self::to_slot(&mut self.client, event, max);
    }

    /// An event, to the listeners of every event and to the scope its route names (kept for
    /// that scope when nobody at all listens).
    pub(super) fn deliver(&mut self, event: Event, route: Route) {
        let heard = !self.all.is_empty() && self.send_to_all(&event, &route);
        let max = if heard { 0 } else { self.max_backlog };
        match route {
            Route::Client => Self::to_slot(&mut self.client, event, max),
            Route::Conversation(id) => self.send_to_conversation(&id, event, max),
            Route::Both(id) => {
                self.send_to_conversation(&id, event.clone(), max);
                Self::to_slot(&mut self.client, event, max);
            }
        }
    }

    /// To a conversation's listeners (its id is copied only when it is new here).
    fn send_to_conversation(&mut self, id: &str, event: Event, max: usize) {
        match self.conversations.get_mut(id) {
            Some(slot) => Self::to_slot(slot, event, max),
            None => Self::to_slot(self.conversations.entry(id.to_owned()).or_default(), event, max),
        }
    }

    fn to_slot(slot: &mut Slot, event: Event, max: usize) {
        let Some(event) = send_all(&mut slot.subs, event) else { return };
        if max > 0 {
            if slot.backlog.len() >= max {
                slot.backlog.pop_front();
                slot.dropped += 1;
            }
            slot.backlog.push_back(event);
        }
    }

    /// A decoded frame, to the raw listeners; false when there are none left.
    pub(super) fn raw(&mut self, inbound: Inbound) -> bool {
        send_all(&mut self.raw, Event::Hub(inbound));
        !self.raw.is_empty()
    }

    /// Ends every stream (the client was closed).
    pub(super) fn end_all(&mut self) {
        self.client.subs.clear();
        for slot in self.conversations.values_mut() {
            slot.subs.clear();
        }
        self.raw.clear();
        self.all.clear();
    }
}
