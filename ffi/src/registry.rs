//! Handles: opaque ids handed to C, never pointers into memory. Looking one up takes a
//! short lock and clones an `Arc`, so a freed or never-created handle is detected, and no
//! lock is held while working or calling back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::result::{Fail, R, captivate_result};

static NEXT_ID: AtomicU64 = AtomicU64::new(0x10);

/// A table of live handles of one kind.
pub(crate) struct Registry<T> {
    map: Mutex<HashMap<u64, Arc<T>>>,
    what: &'static str,
}

impl<T> Registry<T> {
    pub(crate) fn new(what: &'static str) -> Self {
        Registry { map: Mutex::new(HashMap::new()), what }
    }

    /// Stores a value; returns its id (never 0, never reused).
    pub(crate) fn insert(&self, v: Arc<T>) -> u64 {
        let id = NEXT_ID.fetch_add(0x10, Ordering::Relaxed);
        self.map.lock().unwrap_or_else(|e| e.into_inner()).insert(id, v);
        id
    }

    pub(crate) fn get(&self, id: u64) -> R<Arc<T>> {
        if id == 0 {
            return Err(Fail::new(captivate_result::NullPointer, format!("the {} handle is NULL", self.what)));
        }
        self.map.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned().ok_or_else(|| self.invalid())
    }

    pub(crate) fn remove(&self, id: u64) -> R<Arc<T>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(&id).ok_or_else(|| self.invalid())
    }

    fn invalid(&self) -> Fail {
        Fail::new(
            captivate_result::InvalidHandle,
            format!("the {} handle is not valid (freed, or never created)", self.what),
        )
    }
}
