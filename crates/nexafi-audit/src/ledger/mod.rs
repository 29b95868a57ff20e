//! The ledger: an RFC 6962 Merkle tree stored as C2SP tlog-tiles, checkpoints as C2SP
//! signed notes, and inclusion and consistency proofs.

pub mod hash;
pub mod note;
pub mod proof;
pub mod tiles;

pub use hash::{Hash, leaf_hash, node_hash};
