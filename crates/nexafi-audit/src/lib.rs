//! A tamper-evident audit trail for financial events.
//!
//! Events are encoded canonically (RFC 8785), hashed into an RFC 6962 Merkle tree stored
//! as C2SP tlog-tiles, and committed under Ed25519-signed C2SP checkpoints. Any reader
//! with the log's public key can check that an event is in the log (inclusion proof),
//! that the log only grew (consistency proof), and re-derive the whole tree.

pub mod bundle;
pub mod client;
pub mod event;
pub mod ledger;
pub mod metrics;
pub mod retention;
pub mod sequencer;
pub mod service;
pub mod store;
pub mod tls;
pub mod verify;
