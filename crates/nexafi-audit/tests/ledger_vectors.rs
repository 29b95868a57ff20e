//! RFC 6962 proof verification against the transparency-dev/merkle test vectors, kept in
//! data/merkle_vectors.json (transcribed by data/transcribe_vectors.py).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use nexafi_audit::ledger::hash::{Hash, from_hex, leaf_hash, root_of};
use nexafi_audit::ledger::proof::{
    MemoryTree, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};
use serde_json::Value;

fn vectors() -> Value {
    let text = include_str!("data/merkle_vectors.json");
    serde_json::from_str(text).expect("merkle_vectors.json is valid JSON")
}

/// Decodes hex; `None` for a value that is not a 32-byte hash (some invalid cases use
/// such values on purpose).
fn hash(value: &Value) -> Option<Hash> {
    from_hex(value.as_str()?)
}

fn proof(value: &Value) -> Option<Vec<Hash>> {
    value.as_array()?.iter().map(hash).collect()
}

/// Hashes the eight leaves of the RFC 6962 reference tests, which the vectors use.
fn rfc_leaves() -> Vec<Hash> {
    let inputs: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];
    inputs.iter().map(|data| leaf_hash(data)).collect()
}

#[test]
fn inclusion_vectors() {
    let vectors = vectors();
    let cases = vectors["inclusion"].as_array().expect("inclusion cases");
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let valid = case["expect"] == "valid";
        let index = case["leaf_index"].as_u64().expect("leaf_index");
        let size = case["tree_size"].as_u64().expect("tree_size");
        let outcome = match (
            hash(&case["leaf_hash"]),
            hash(&case["root"]),
            proof(&case["proof"]),
        ) {
            (Some(leaf), Some(root), Some(path)) => {
                verify_inclusion(index, size, &leaf, &path, &root).is_ok()
            }
            _ => false,
        };
        assert_eq!(outcome, valid, "inclusion case {name}");
    }
}

#[test]
fn consistency_vectors() {
    let vectors = vectors();
    let cases = vectors["consistency"]
        .as_array()
        .expect("consistency cases");
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let valid = case["expect"] == "valid";
        let old = case["old_size"].as_u64().expect("old_size");
        let new = case["new_size"].as_u64().expect("new_size");
        let outcome = match (
            hash(&case["old_root"]),
            hash(&case["new_root"]),
            proof(&case["proof"]),
        ) {
            (Some(old_root), Some(new_root), Some(path)) => {
                verify_consistency(old, new, &old_root, &new_root, &path).is_ok()
            }
            _ => false,
        };
        assert_eq!(outcome, valid, "consistency case {name}");
    }
}

/// Our generator must produce exactly the proofs in the valid vectors.
#[test]
fn generated_proofs_equal_vectors() {
    let leaves = rfc_leaves();
    let vectors = vectors();
    for case in vectors["inclusion"].as_array().expect("inclusion cases") {
        if case["expect"] != "valid" {
            continue;
        }
        let index = case["leaf_index"].as_u64().expect("leaf_index");
        let size = case["tree_size"].as_u64().expect("tree_size");
        let tree = &leaves[..size as usize];
        assert_eq!(Some(root_of(tree)), hash(&case["root"]), "root of {size}");
        let generated = inclusion_proof(index, size, &mut MemoryTree { leaves: tree }).unwrap();
        assert_eq!(Some(generated), proof(&case["proof"]), "{}", case["name"]);
    }
    for case in vectors["consistency"]
        .as_array()
        .expect("consistency cases")
    {
        if case["expect"] != "valid" {
            continue;
        }
        let old = case["old_size"].as_u64().expect("old_size");
        let new = case["new_size"].as_u64().expect("new_size");
        let tree = &leaves[..new as usize];
        let generated = consistency_proof(old, new, &mut MemoryTree { leaves: tree }).unwrap();
        assert_eq!(Some(generated), proof(&case["proof"]), "{}", case["name"]);
    }
}

/// Every single-bit change of a valid proof, root or leaf must fail.
#[test]
fn bit_flips_of_vectors_fail() {
    let vectors = vectors();
    for case in vectors["inclusion"].as_array().expect("inclusion cases") {
        if case["expect"] != "valid" {
            continue;
        }
        let index = case["leaf_index"].as_u64().expect("leaf_index");
        let size = case["tree_size"].as_u64().expect("tree_size");
        let leaf = hash(&case["leaf_hash"]).expect("leaf");
        let root = hash(&case["root"]).expect("root");
        let path = proof(&case["proof"]).expect("proof");
        for bit in 0..256 {
            let mut bad_leaf = leaf;
            bad_leaf[bit / 8] ^= 1 << (bit % 8);
            assert!(verify_inclusion(index, size, &bad_leaf, &path, &root).is_err());
            for position in 0..path.len() {
                let mut bad = path.clone();
                bad[position][bit / 8] ^= 1 << (bit % 8);
                assert!(verify_inclusion(index, size, &leaf, &bad, &root).is_err());
            }
        }
        let mut longer = path.clone();
        longer.push(root);
        assert!(verify_inclusion(index, size, &leaf, &longer, &root).is_err());
    }
}
