//! Drops hub events already seen, by `(event_type, event_id)`, within a bounded window.

use std::collections::{HashSet, VecDeque};

#[derive(Debug)]
pub(super) struct Dedupe {
    window: usize,
    order: VecDeque<(String, String)>,
    seen: HashSet<(String, String)>,
}

impl Dedupe {
    pub(super) fn new(window: usize) -> Dedupe {
        Dedupe { window, order: VecDeque::new(), seen: HashSet::new() }
    }

    /// Records an event; false when it was seen already (a duplicate).
    pub(super) fn insert(&mut self, event_type: &str, event_id: &str) -> bool {
        if self.window == 0 {
            return true;
        }
        let key = (event_type.to_owned(), event_id.to_owned());
        if self.seen.contains(&key) {
            return false;
        }
        if self.order.len() >= self.window
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.seen.insert(key.clone());
        self.order.push_back(key);
        true
    }
}
