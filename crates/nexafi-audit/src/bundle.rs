//! Period export bundles, verifiable offline with only the log's public key.
//!
//! A bundle is a directory:
//!
//! - `manifest.json`: format, origin, log key, period sizes, entry count and the SHA-256
//!   of every other file;
//! - `checkpoint.start` (absent when the period starts at 0) and `checkpoint.end`: the
//!   signed checkpoints at the period bounds;
//! - `consistency.json`: the consistency proof from the start to the end checkpoint;
//! - `tile/...`: the tiles (C2SP tlog-tiles paths, at the end size) that hold the
//!   period's leaf hashes and the tree's right edge at the start;
//! - `entries.jsonl`: one entry per line, `{"index", "leaf", "payload", "salt"}`, with
//!   `payload` and `salt` null once erased;
//! - `erasures.jsonl`: for each erased entry, the erasure event that recorded it, with
//!   its inclusion proof in the end checkpoint.
//!
//! The verifier re-derives the tree from the start edge through every entry and must land
//! on the end checkpoint's root, so a changed, missing, extra or reordered entry fails.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::event::Envelope;
use crate::ledger::hash::{Hash, empty_root, leaf_hash, to_hex};
use crate::ledger::note::{Checkpoint, NoteVerifier};
use crate::ledger::proof::{needed_nodes, root_hash, verify_consistency, verify_inclusion};
use crate::ledger::tiles::{
    MemoNodes, TILE_WIDTH, TileId, TileSet, TreeState, decode_tile, encode_tile, entries_at_level,
    tiles_for_nodes,
};
use crate::retention::{ERASE_ACTION, PURGE_ACTION};
use crate::sequencer::build_proofs;
use crate::store::AuditStore;
use crate::verify::Auditor;

/// Format name written in every manifest.
pub const FORMAT: &str = "nexafi-audit-bundle/1";

/// Failure to write or verify a bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Export(String),
    #[error("bundle is invalid: {0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> BundleError {
    BundleError::Invalid(message.into())
}

/// Summary of a verified bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleReport {
    pub origin: String,
    pub from_size: u64,
    pub to_size: u64,
    pub entries: u64,
    pub payloads_checked: u64,
    pub payloads_erased: u64,
}

/// Lists the tiles of the tree at `to` that a bundle for `[from, to)` carries.
fn bundle_tiles(from: u64, to: u64) -> Vec<TileId> {
    let mut wanted: BTreeMap<(u8, u64), ()> = BTreeMap::new();
    if to > from {
        for index in from / TILE_WIDTH as u64..=(to - 1) / TILE_WIDTH as u64 {
            wanted.insert((0, index), ());
        }
    }
    for (level, index, _) in tiles_for_nodes(&needed_nodes(None, None, from)) {
        wanted.insert((level, index), ());
    }
    wanted
        .into_keys()
        .map(|(level, index)| {
            let entries = entries_at_level(to, level);
            let width = (entries - index * TILE_WIDTH as u64).min(TILE_WIDTH as u64) as u16;
            TileId {
                level,
                index,
                width,
            }
        })
        .collect()
}

/// Writes the bundle for entries `[from, to)` into `dir` (created; must be empty).
/// `from` must be 0 or a size with a stored checkpoint, `to` a size with one.
pub async fn export<S: AuditStore>(
    store: &S,
    log_key: &NoteVerifier,
    from: u64,
    to: u64,
    dir: &Path,
) -> Result<BundleReport, BundleError> {
    let store_error = |error: crate::store::StoreError| BundleError::Export(error.to_string());
    if from > to {
        return Err(BundleError::Export(format!(
            "--from {from} is larger than --to {to}"
        )));
    }
    let end = store
        .checkpoint_at(to)
        .await
        .map_err(store_error)?
        .ok_or_else(|| BundleError::Export(format!("no checkpoint was signed at size {to}; use a size at which a checkpoint exists, such as the latest")))?;
    let start = if from == 0 {
        None
    } else {
        Some(
            store
                .checkpoint_at(from)
                .await
                .map_err(store_error)?
                .ok_or_else(|| {
                    BundleError::Export(format!("no checkpoint was signed at size {from}"))
                })?,
        )
    };
    Checkpoint::open(&end.note, log_key).map_err(|error| {
        BundleError::Export(format!(
            "the end checkpoint does not verify with the given key: {error}"
        ))
    })?;

    create_dir(dir)?;
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut write = |name: &str, bytes: &[u8]| -> Result<(), BundleError> {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            create_dir(parent)?;
        }
        std::fs::write(&path, bytes).map_err(|source| BundleError::Io {
            action: "write",
            path,
            source,
        })?;
        files.insert(name.to_owned(), to_hex(&Sha256::digest(bytes)));
        Ok(())
    };

    write("checkpoint.end", end.note.as_bytes())?;
    if let Some(start) = &start {
        write("checkpoint.start", start.note.as_bytes())?;
    }

    // Tiles, and the consistency proof computed from them.
    let tile_ids = bundle_tiles(from, to);
    let wanted: Vec<(u8, u64)> = tile_ids.iter().map(|t| (t.level, t.index)).collect();
    let mut consistency_nodes = needed_nodes(None, Some(from), to);
    consistency_nodes.extend(needed_nodes(None, None, to));
    let mut all_wanted = wanted.clone();
    all_wanted.extend(
        tiles_for_nodes(&consistency_nodes)
            .into_iter()
            .map(|(l, i, _)| (l, i)),
    );
    let tiles = store.tiles(&all_wanted).await.map_err(store_error)?;
    for tile in &tile_ids {
        let hashes = tiles
            .get(tile.level, tile.index)
            .filter(|hashes| hashes.len() >= usize::from(tile.width))
            .ok_or_else(|| {
                BundleError::Export(format!("tile {} is missing from the store", tile.path()))
            })?;
        write(
            &tile.path(),
            &encode_tile(&hashes[..usize::from(tile.width)]),
        )?;
    }
    let mut source = MemoNodes::new(&tiles);
    let proof = crate::ledger::proof::consistency_proof(from, to, &mut source)
        .map_err(|error| BundleError::Export(error.to_string()))?;
    let proof_json = json!({"from": from, "to": to, "proof": proof.iter().map(|h| BASE64.encode(h)).collect::<Vec<_>>()});
    write(
        "consistency.json",
        &serde_json::to_vec_pretty(&proof_json).unwrap_or_default(),
    )?;

    // Entries, and the erasure events of erased payloads.
    let mut entries = String::new();
    let mut erased: Vec<u64> = Vec::new();
    let mut erasure_of: HashMap<u64, (u64, Vec<u8>)> = HashMap::new();
    let mut payloads_checked = 0;
    let mut start_index = from;
    while start_index < to {
        let page_end = (start_index + 10_000).min(to);
        for event in store
            .entries(start_index, page_end)
            .await
            .map_err(store_error)?
        {
            let (payload, salt) = match &event.payload {
                Some(p) => {
                    payloads_checked += 1;
                    (
                        Value::String(p.payload.clone()),
                        Value::String(to_hex(&p.salt)),
                    )
                }
                None => {
                    erased.push(event.index);
                    (Value::Null, Value::Null)
                }
            };
            let line = json!({"index": event.index, "leaf": String::from_utf8_lossy(&event.leaf), "payload": payload, "salt": salt});
            entries.push_str(&line.to_string());
            entries.push('\n');
        }
        start_index = page_end;
    }
    write("entries.jsonl", entries.as_bytes())?;

    if !erased.is_empty() {
        // Erasure events name their target in `resource`; scan the log up to `to`.
        for page in (0..to).step_by(10_000) {
            for event in store
                .entries(page, (page + 10_000).min(to))
                .await
                .map_err(store_error)?
            {
                let action = event.columns.action.as_str();
                if (action == ERASE_ACTION || action == PURGE_ACTION)
                    && let Some(target) = event
                        .columns
                        .resource
                        .strip_prefix("event/")
                        .and_then(|t| t.parse::<u64>().ok())
                {
                    erasure_of
                        .entry(target)
                        .or_insert((event.index, event.leaf.clone()));
                }
            }
        }
    }
    let erasure_indexes: Vec<u64> = erased
        .iter()
        .filter_map(|i| erasure_of.get(i).map(|e| e.0))
        .collect();
    let proofs = build_proofs(store, TileSet::default(), &erasure_indexes, to)
        .await
        .map_err(BundleError::Export)?;
    let mut erasures = String::new();
    for index in &erased {
        let Some((erasure_index, leaf)) = erasure_of.get(index) else {
            return Err(BundleError::Export(format!(
                "entry {index} has no payload but no erasure event records it"
            )));
        };
        let proof = proofs.get(erasure_index).cloned().unwrap_or_default();
        let line = json!({
            "erased_index": index,
            "erasure_index": erasure_index,
            "erasure_leaf": String::from_utf8_lossy(leaf),
            "inclusion_proof": proof.iter().map(|h| BASE64.encode(h)).collect::<Vec<_>>(),
        });
        erasures.push_str(&line.to_string());
        erasures.push('\n');
    }
    write("erasures.jsonl", erasures.as_bytes())?;

    let manifest = json!({
        "format": FORMAT,
        "origin": log_key.name,
        "log_key": log_key.to_text(),
        "from_size": from,
        "to_size": to,
        "entries": to - from,
        "files": files,
    });
    let manifest_path = dir.join("manifest.json");
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    )
    .map_err(|source| BundleError::Io {
        action: "write",
        path: manifest_path,
        source,
    })?;
    Ok(BundleReport {
        origin: log_key.name.clone(),
        from_size: from,
        to_size: to,
        entries: to - from,
        payloads_checked,
        payloads_erased: erased.len() as u64,
    })
}

fn create_dir(path: &Path) -> Result<(), BundleError> {
    std::fs::create_dir_all(path).map_err(|source| BundleError::Io {
        action: "create directory",
        path: path.to_owned(),
        source,
    })
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, BundleError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|source| BundleError::Io {
        action: "read",
        path,
        source,
    })
}

fn hashes_from(value: &Value, what: &str) -> Result<Vec<Hash>, BundleError> {
    value
        .as_array()
        .ok_or_else(|| invalid(format!("{what} is not a list")))?
        .iter()
        .map(|item| {
            item.as_str()
                .and_then(|text| BASE64.decode(text).ok())
                .and_then(|bytes| <Hash>::try_from(bytes).ok())
                .ok_or_else(|| {
                    invalid(format!(
                        "{what} holds a value that is not a base64 SHA-256 hash"
                    ))
                })
        })
        .collect()
}

/// Verifies a bundle directory with only the log's public key; no network, no store.
pub fn verify_bundle(dir: &Path, log_key: &NoteVerifier) -> Result<BundleReport, BundleError> {
    // 1. Every file listed in the manifest is present and unchanged.
    let manifest: Value = serde_json::from_slice(&read(dir, "manifest.json")?)
        .map_err(|error| invalid(format!("manifest.json is not JSON: {error}")))?;
    if manifest["format"] != FORMAT {
        return Err(invalid(format!(
            "manifest format is {}, expected {FORMAT}",
            manifest["format"]
        )));
    }
    let files = manifest["files"]
        .as_object()
        .ok_or_else(|| invalid("manifest.json has no file list"))?;
    for (name, digest) in files {
        if name.contains("..") || name.starts_with('/') {
            return Err(invalid(format!(
                "manifest names a file outside the bundle: {name}"
            )));
        }
        let bytes = read(dir, name)?;
        if Some(to_hex(&Sha256::digest(&bytes)).as_str()) != digest.as_str() {
            return Err(invalid(format!(
                "{name} does not match its SHA-256 in manifest.json"
            )));
        }
    }
    let from = manifest["from_size"]
        .as_u64()
        .ok_or_else(|| invalid("manifest has no from_size"))?;
    let to = manifest["to_size"]
        .as_u64()
        .ok_or_else(|| invalid("manifest has no to_size"))?;
    let listed = |name: &str| files.contains_key(name);

    // 2. Signed checkpoints at both ends, and the consistency proof between them.
    if !listed("checkpoint.end") || !listed("entries.jsonl") || !listed("consistency.json") {
        return Err(invalid(
            "manifest must list checkpoint.end, entries.jsonl and consistency.json",
        ));
    }
    let open = |name: &str| -> Result<Checkpoint, BundleError> {
        let bytes = read(dir, name)?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| invalid(format!("{name} is not UTF-8")))?;
        Checkpoint::open(text, log_key).map_err(|error| invalid(format!("{name}: {error}")))
    };
    let end = open("checkpoint.end")?;
    if end.size != to {
        return Err(invalid(format!(
            "checkpoint.end has size {}, the manifest says {to}",
            end.size
        )));
    }
    let start_root = if from == 0 {
        empty_root()
    } else {
        if !listed("checkpoint.start") {
            return Err(invalid(
                "manifest must list checkpoint.start for a period that starts after 0",
            ));
        }
        let start = open("checkpoint.start")?;
        if start.size != from {
            return Err(invalid(format!(
                "checkpoint.start has size {}, the manifest says {from}",
                start.size
            )));
        }
        start.root
    };
    let consistency: Value = serde_json::from_slice(&read(dir, "consistency.json")?)
        .map_err(|error| invalid(format!("consistency.json is not JSON: {error}")))?;
    let proof = hashes_from(&consistency["proof"], "consistency.json proof")?;
    verify_consistency(from, to, &start_root, &end.root, &proof)
        .map_err(|error| invalid(format!("consistency proof from {from} to {to}: {error}")))?;

    // 3. Tiles give the tree's right edge at the start and the period's leaf hashes.
    let mut tiles = TileSet::default();
    for tile in bundle_tiles(from, to) {
        let name = tile.path();
        if !listed(&name) {
            return Err(invalid(format!("manifest does not list tile {name}")));
        }
        let hashes = decode_tile(&read(dir, &name)?)
            .filter(|h| h.len() == usize::from(tile.width))
            .ok_or_else(|| invalid(format!("{name} has the wrong length")))?;
        tiles.insert(tile.level, tile.index, hashes);
    }
    let mut source = MemoNodes::new(&tiles);
    let edge_root = root_hash(from, &mut source)
        .map_err(|error| invalid(format!("tiles lack the start edge: {error}")))?;
    if edge_root != start_root {
        return Err(invalid("the tiles do not match checkpoint.start"));
    }
    let mut partial = Vec::new();
    let mut level: u8 = 0;
    while entries_at_level(from, level) > 0 {
        let entries = entries_at_level(from, level);
        let width = (entries % TILE_WIDTH as u64) as usize;
        let index = entries / TILE_WIDTH as u64;
        let hashes = match width {
            0 => Vec::new(),
            _ => tiles
                .get(level, index)
                .map(|h| h[..width].to_vec())
                .ok_or_else(|| invalid(format!("tile {level}/{index} is missing")))?,
        };
        partial.push(hashes);
        level += 1;
    }
    let state = TreeState::from_partial_tiles(from, partial).map_err(invalid)?;

    // 4. Every entry, in order, re-derives the end root.
    let entries_text = String::from_utf8(read(dir, "entries.jsonl")?)
        .map_err(|_| invalid("entries.jsonl is not UTF-8"))?;
    let mut auditor = Auditor::resume(&log_key.name, state);
    let mut erased: Vec<u64> = Vec::new();
    for (line_number, line) in entries_text.lines().enumerate() {
        let entry: Value = serde_json::from_str(line)
            .map_err(|error| invalid(format!("entries.jsonl line {}: {error}", line_number + 1)))?;
        let index = entry["index"].as_u64().ok_or_else(|| {
            invalid(format!(
                "entries.jsonl line {} has no index",
                line_number + 1
            ))
        })?;
        let leaf = entry["leaf"]
            .as_str()
            .ok_or_else(|| invalid(format!("entry {index} has no leaf")))?;
        let tile_hash = tiles
            .get(0, index / TILE_WIDTH as u64)
            .and_then(|tile| tile.get((index % TILE_WIDTH as u64) as usize));
        if tile_hash != Some(&leaf_hash(leaf.as_bytes())) {
            return Err(invalid(format!(
                "entry {index} does not match its hash in tile 0/{}",
                index / TILE_WIDTH as u64
            )));
        }
        let salt = entry["salt"].as_str().map(|hex| {
            (0..hex.len() / 2)
                .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect::<Vec<u8>>()
        });
        let payload = match (&salt, entry["payload"].as_str()) {
            (Some(salt), Some(payload)) => Some((salt.as_slice(), payload)),
            _ => {
                erased.push(index);
                None
            }
        };
        auditor
            .push(
                index,
                leaf.as_bytes(),
                None,
                crate::verify::PayloadCheck::from_parts(payload),
            )
            .map_err(|failure| invalid(failure.to_string()))?;
    }
    let report = auditor
        .finish(&end)
        .map_err(|failure| invalid(failure.to_string()))?;

    // 5. Each erased payload is explained by an erasure event in the log.
    let erasures_text = if listed("erasures.jsonl") {
        String::from_utf8(read(dir, "erasures.jsonl")?)
            .map_err(|_| invalid("erasures.jsonl is not UTF-8"))?
    } else {
        String::new()
    };
    let mut explained: HashMap<u64, ()> = HashMap::new();
    for line in erasures_text.lines() {
        let record: Value = serde_json::from_str(line)
            .map_err(|error| invalid(format!("erasures.jsonl: {error}")))?;
        let target = record["erased_index"]
            .as_u64()
            .ok_or_else(|| invalid("erasure record without erased_index"))?;
        let index = record["erasure_index"]
            .as_u64()
            .ok_or_else(|| invalid("erasure record without erasure_index"))?;
        let leaf = record["erasure_leaf"]
            .as_str()
            .ok_or_else(|| invalid("erasure record without erasure_leaf"))?;
        let envelope = Envelope::from_leaf(leaf.as_bytes())
            .map_err(|error| invalid(format!("erasure of {target}: {error}")))?;
        if (envelope.action != ERASE_ACTION && envelope.action != PURGE_ACTION)
            || envelope.resource != format!("event/{target}")
        {
            return Err(invalid(format!(
                "erasure record for {target} is not an erasure event for that entry"
            )));
        }
        let proof = hashes_from(&record["inclusion_proof"], "erasure inclusion proof")?;
        verify_inclusion(index, to, &leaf_hash(leaf.as_bytes()), &proof, &end.root).map_err(
            |error| {
                invalid(format!(
                    "erasure event {index} is not in checkpoint.end: {error}"
                ))
            },
        )?;
        explained.insert(target, ());
    }
    if let Some(missing) = erased.iter().find(|index| !explained.contains_key(index)) {
        return Err(invalid(format!(
            "entry {missing} has no payload and no erasure event explains it"
        )));
    }
    Ok(BundleReport {
        origin: log_key.name.clone(),
        from_size: from,
        to_size: to,
        entries: to - from,
        payloads_checked: report.payloads_checked,
        payloads_erased: report.payloads_erased,
    })
}
