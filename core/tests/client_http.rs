//! The end-to-end suite of `client.rs` again, with every request POSTed over the HTTP transport
//! (the official client's since 5.0) instead of the socket: the same operations, faults and
//! outcomes.

/// The transport of the suite below.
const TRANSPORT: captivate::Transport = captivate::Transport::Http;

#[path = "client.rs"]
mod suite;
