//! What every front end of captivate shares — the C library, the Python module and the Node
//! addon use this crate, and nothing else does:
//!
//! - [`runtime`]: one tokio runtime per process, and blocking waits for callers outside it;
//! - options from one schema ([`captivate::options`], re-exported as [`options`]);
//! - [`errors`]: one error model (kind, stable code, message, details) and the table of
//!   kinds every front end turns into its own classes or codes;
//! - [`Session`]: a client with its conversation cache, every operation taking the loosely
//!   typed arguments a host language passes and checking their values once, and the reconnect
//!   and close semantics;
//! - [`Filter`]: which listener gets which event of the one ordered feed of a client
//!   ([`captivate::Client::all_events`]), so that each event reaches each listener once and
//!   in order;
//! - [`hub`]: the local hub in the host process, for testing applications offline, with its
//!   bot script, controls and inspection;
//! - [`logs`]: the library's log records (and those dependencies write through the `log`
//!   crate) delivered to the host, with every API key in use removed.
//!
//! The front ends only convert types and threads.

pub mod errors;
mod filter;
pub mod hub;
pub mod logs;
pub mod runtime;
mod session;

pub use captivate::options;
pub use errors::BindingError;
pub use filter::Filter;
pub use session::{Across, AcrossEntry, Session};
