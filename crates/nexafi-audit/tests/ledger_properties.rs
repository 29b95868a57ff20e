//! Property tests: proofs generated from tiles verify for random trees and sizes, and
//! any change to a proof, root or size makes verification fail.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use nexafi_audit::ledger::hash::{Hash, leaf_hash, root_of};
use nexafi_audit::ledger::proof::{
    MemoryTree, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};
use nexafi_audit::ledger::tiles::{TileSet, TreeState};
use proptest::prelude::*;

fn leaves(count: u64) -> Vec<Hash> {
    (0..count).map(|i| leaf_hash(&i.to_le_bytes())).collect()
}

/// Builds tiles by appending in batches, like the sequencer does.
fn tiles_for(leaves: &[Hash], batch: usize) -> (TreeState, TileSet) {
    let mut state = TreeState::default();
    let mut tiles = TileSet::default();
    for chunk in leaves.chunks(batch.max(1)) {
        for update in state.append(chunk) {
            tiles.insert(update.level, update.index, update.hashes);
        }
    }
    (state, tiles)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn inclusion_from_tiles_verifies(size in 1u64..3000, seed in any::<u64>(), batch in 1usize..700) {
        let all = leaves(size);
        let (state, mut tiles) = tiles_for(&all, batch);
        let root = state.root();
        prop_assert_eq!(root, root_of(&all));
        let index = seed % size;
        let from_tiles = inclusion_proof(index, size, &mut tiles).unwrap();
        let from_memory = inclusion_proof(index, size, &mut MemoryTree { leaves: &all }).unwrap();
        prop_assert_eq!(&from_tiles, &from_memory);
        prop_assert!(verify_inclusion(index, size, &all[index as usize], &from_tiles, &root).is_ok());
    }

    #[test]
    fn consistency_from_tiles_verifies(new_size in 1u64..3000, seed in any::<u64>()) {
        let all = leaves(new_size);
        let (_, mut tiles) = tiles_for(&all, 97);
        let old_size = seed % (new_size + 1);
        let proof = consistency_proof(old_size, new_size, &mut tiles).unwrap();
        let old_root = root_of(&all[..old_size as usize]);
        let new_root = root_of(&all);
        prop_assert!(verify_consistency(old_size, new_size, &old_root, &new_root, &proof).is_ok());
        // A proof for older sizes comes out of the same (newer) tiles as a prefix.
        let from_memory = consistency_proof(old_size, new_size, &mut MemoryTree { leaves: &all }).unwrap();
        prop_assert_eq!(proof, from_memory);
    }

    #[test]
    fn tampered_inclusion_fails(size in 2u64..600, seed in any::<u64>(), bit in 0usize..256) {
        let all = leaves(size);
        let root = root_of(&all);
        let index = seed % size;
        let proof = inclusion_proof(index, size, &mut MemoryTree { leaves: &all }).unwrap();
        let leaf = all[index as usize];

        let position = (seed as usize / 7) % proof.len();
        let mut flipped = proof.clone();
        flipped[position][bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify_inclusion(index, size, &leaf, &flipped, &root).is_err());

        let mut truncated = proof.clone();
        truncated.pop();
        prop_assert!(verify_inclusion(index, size, &leaf, &truncated, &root).is_err());

        let other = (index + 1) % size;
        let moved = verify_inclusion(other, size, &leaf, &proof, &root);
        prop_assert!(moved.is_err());
    }

    #[test]
    fn tampered_consistency_fails(new_size in 3u64..600, seed in any::<u64>(), bit in 0usize..256) {
        let all = leaves(new_size);
        let old_size = 1 + seed % (new_size - 1);
        let proof = consistency_proof(old_size, new_size, &mut MemoryTree { leaves: &all }).unwrap();
        let old_root = root_of(&all[..old_size as usize]);
        let new_root = root_of(&all);
        prop_assert!(!proof.is_empty());

        let position = (seed as usize / 11) % proof.len();
        let mut flipped = proof.clone();
        flipped[position][bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify_consistency(old_size, new_size, &old_root, &new_root, &flipped).is_err());

        let mut bad_root = new_root;
        bad_root[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify_consistency(old_size, new_size, &old_root, &bad_root, &proof).is_err());
        prop_assert!(verify_consistency(old_size, new_size, &new_root, &old_root, &proof).is_err());

        let mut extended = proof.clone();
        extended.push(new_root);
        prop_assert!(verify_consistency(old_size, new_size, &old_root, &new_root, &extended).is_err());
    }
}
