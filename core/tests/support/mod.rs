//! Helpers shared by the integration tests: a raw WebSocket server and a client session on it,
//! the mutation of hub frames, and log capture. Each test binary uses a part of them, so unused items are
//! allowed here.
#![allow(dead_code)]

pub mod logs;
pub mod mutate;
pub mod raw_ws;
pub mod session;
pub mod verdict;
pub mod wait;
pub mod workload;
