//! Inclusion and consistency proofs: generation as defined in RFC 6962 section 2.1.1 and
//! 2.1.2, verification with the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2.
//!
//! Generation asks a [`NodeSource`] for the hashes of perfect subtrees only (a subtree of
//! 2^level leaves starting at a multiple of 2^level). Tiles store exactly those, so a
//! proof needs no other storage. [`needed_nodes`] lists them up front, so a store can
//! fetch every tile a proof needs in one query.

use super::hash::{Hash, node_hash};

/// The address of a perfect subtree: 2^`level` leaves starting at leaf `index << level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u32,
    pub index: u64,
}

/// Supplies the hashes of perfect subtrees that lie wholly inside the tree.
pub trait NodeSource {
    type Error;
    fn node(&mut self, id: NodeId) -> Result<Hash, Self::Error>;
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizesReversed { old: u64, new: u64 },
    #[error("a proof of {found} hashes does not fit these tree sizes")]
    WrongLength { found: usize },
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
    #[error("trees of equal size have different roots")]
    EqualSizeRootMismatch,
}

/// Builds the inclusion proof (audit path) for leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof<S: NodeSource>(
    index: u64,
    size: u64,
    source: &mut S,
) -> Result<Vec<Hash>, InclusionRangeError<S::Error>> {
    if index >= size {
        return Err(InclusionRangeError::Range(ProofError::IndexOutOfRange {
            index,
            size,
        }));
    }
    let mut proof = Vec::new();
    path(index, 0, size, source, &mut proof).map_err(InclusionRangeError::Source)?;
    Ok(proof)
}

/// Builds the consistency proof between the trees of `old_size` and `new_size` leaves.
/// The proof is empty when either size is zero or both are equal.
pub fn consistency_proof<S: NodeSource>(
    old_size: u64,
    new_size: u64,
    source: &mut S,
) -> Result<Vec<Hash>, InclusionRangeError<S::Error>> {
    if old_size > new_size {
        return Err(InclusionRangeError::Range(ProofError::SizesReversed {
            old: old_size,
            new: new_size,
        }));
    }
    let mut proof = Vec::new();
    if old_size == 0 || old_size == new_size {
        return Ok(proof);
    }
    subproof(old_size, 0, new_size, true, source, &mut proof)
        .map_err(InclusionRangeError::Source)?;
    Ok(proof)
}

/// A proof request outside the tree, or a failure of the node source.
#[derive(Debug, thiserror::Error)]
pub enum InclusionRangeError<E> {
    #[error(transparent)]
    Range(ProofError),
    #[error("cannot read a tree node: {0}")]
    Source(E),
}

/// Computes the root hash of the tree of `size` leaves from perfect subtrees.
pub fn root_hash<S: NodeSource>(size: u64, source: &mut S) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(super::hash::empty_root());
    }
    range_hash(0, size, source)
}

/// Lists the perfect subtrees an inclusion proof (`inclusion = Some(index)`) or a
/// consistency proof from `old_size` needs, plus the new root's subtrees.
pub fn needed_nodes(inclusion: Option<u64>, old_size: Option<u64>, size: u64) -> Vec<NodeId> {
    let mut collector = Collector::default();
    if let Some(index) = inclusion {
        let _ = inclusion_proof(index, size, &mut collector);
    }
    if let Some(old) = old_size {
        let _ = consistency_proof(old, size, &mut collector);
        if old > 0 && old <= size {
            let _ = root_hash(old, &mut collector);
        }
    }
    let _ = root_hash(size, &mut collector);
    collector.nodes.sort_unstable();
    collector.nodes.dedup();
    collector.nodes
}

#[derive(Default)]
struct Collector {
    nodes: Vec<NodeId>,
}

impl NodeSource for Collector {
    type Error = std::convert::Infallible;
    fn node(&mut self, id: NodeId) -> Result<Hash, Self::Error> {
        self.nodes.push(id);
        Ok([0; 32])
    }
}

/// Largest power of two strictly below `n` (n >= 2).
fn split_point(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start..end]) where the range is a subtree of the RFC 6962 recursion, so `start`
/// is a multiple of the largest power of two not above `end - start`.
fn range_hash<S: NodeSource>(start: u64, end: u64, source: &mut S) -> Result<Hash, S::Error> {
    let len = end - start;
    if len.is_power_of_two() {
        let level = len.trailing_zeros();
        return source.node(NodeId {
            level,
            index: start >> level,
        });
    }
    let k = split_point(len);
    let left = range_hash(start, start + k, source)?;
    let right = range_hash(start + k, end, source)?;
    Ok(node_hash(&left, &right))
}

/// PATH(m, D[start..end]) of RFC 6962 section 2.1.1, leaf first.
fn path<S: NodeSource>(
    m: u64,
    start: u64,
    end: u64,
    source: &mut S,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if m < k {
        path(m, start, start + k, source, out)?;
        out.push(range_hash(start + k, end, source)?);
    } else {
        path(m - k, start + k, end, source, out)?;
        out.push(range_hash(start, start + k, source)?);
    }
    Ok(())
}

/// SUBPROOF(m, D[start..end], b) of RFC 6962 section 2.1.2.
fn subproof<S: NodeSource>(
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    source: &mut S,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(range_hash(start, end, source)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, start, start + k, complete, source, out)?;
        out.push(range_hash(start + k, end, source)?);
    } else {
        subproof(m - k, start + k, end, false, source, out)?;
        out.push(range_hash(start, start + k, source)?);
    }
    Ok(())
}

/// Verifies an inclusion proof with the algorithm of RFC 9162 section 2.1.3.2.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion(index, size, leaf, proof)?;
    if &computed == root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Recomputes the root an inclusion proof leads to.
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongLength { found: proof.len() });
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength { found: proof.len() });
    }
    Ok(r)
}

/// Verifies a consistency proof with the algorithm of RFC 9162 section 2.1.4.2.
///
/// Equal sizes need an empty proof and equal roots; an old size of zero is consistent
/// with every tree and needs an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesReversed {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength { found: proof.len() });
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::EqualSizeRootMismatch)
        };
    }
    if old_size == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength { found: proof.len() })
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength { found: 0 });
    }

    // Step 2: a power-of-two old tree is itself a node of the new tree, so its root
    // starts the path.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);

    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut f_r = path[0];
    let mut s_r = path[0];
    for c in &path[1..] {
        if s_n == 0 {
            return Err(ProofError::WrongLength { found: proof.len() });
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength { found: proof.len() });
    }
    if &f_r != old_root || &s_r != new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// A [`NodeSource`] over all leaf hashes in memory; for tests and small trees.
pub struct MemoryTree<'a> {
    pub leaves: &'a [Hash],
}

impl NodeSource for MemoryTree<'_> {
    type Error = std::convert::Infallible;
    fn node(&mut self, id: NodeId) -> Result<Hash, Self::Error> {
        let width = 1usize << id.level;
        let start = id.index as usize * width;
        Ok(super::hash::root_of(&self.leaves[start..start + width]))
    }
}
