//! The C2SP tlog-tiles layout: the tree stored as tiles of 256 consecutive hashes.
//!
//! A tile at level `L` contains hashes of perfect subtrees of 256^L leaves: entry `e` of
//! level `L` is the perfect subtree at tree level `8 * L` with index `e`. Full tiles
//! contain 256 hashes and never change. The rightmost tile of each level is partial (1 to 255
//! hashes) and grows with the tree, so one stored copy of it serves every older size as a
//! prefix.

use std::collections::HashMap;

use super::hash::{Hash, node_hash, root_of};
use super::proof::{NodeId, NodeSource};

/// Hashes in a full tile.
pub const TILE_WIDTH: usize = 256;
/// Tree levels covered by one tile level (256 = 2^8).
pub const TILE_HEIGHT: u32 = 8;
/// Highest tile level the path format allows.
pub const MAX_TILE_LEVEL: u8 = 63;

/// A tile's address; `width` is 256 for a full tile and 1 to 255 for a partial one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    pub level: u8,
    pub index: u64,
    pub width: u16,
}

impl TileId {
    /// Formats the path below the log prefix: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let mut path = format!("tile/{}/{}", self.level, encode_index(self.index));
        if usize::from(self.width) < TILE_WIDTH {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Parses `tile/<L>/<N>[.p/<W>]`; entry bundles (`tile/entries/...`) are parsed by
    /// [`parse_entries_path`].
    pub fn parse(path: &str) -> Result<TileId, TilePathError> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| TilePathError::new(path, "must start with tile/"))?;
        let (level_text, rest) = rest
            .split_once('/')
            .ok_or_else(|| TilePathError::new(path, "missing tile index"))?;
        let level = parse_decimal(level_text)
            .filter(|level| *level <= u64::from(MAX_TILE_LEVEL))
            .ok_or_else(|| TilePathError::new(path, "level must be a decimal from 0 to 63"))?;
        let (index, width) = parse_index_and_width(path, rest)?;
        Ok(TileId {
            level: level as u8,
            index,
            width,
        })
    }
}

/// Parses `tile/entries/<N>[.p/<W>]` into the bundle index and width.
pub fn parse_entries_path(path: &str) -> Result<(u64, u16), TilePathError> {
    let rest = path
        .strip_prefix("tile/entries/")
        .ok_or_else(|| TilePathError::new(path, "must start with tile/entries/"))?;
    parse_index_and_width(path, rest)
}

/// Formats the path of an entry bundle.
pub fn entries_path(index: u64, width: u16) -> String {
    let mut path = format!("tile/entries/{}", encode_index(index));
    if usize::from(width) < TILE_WIDTH {
        path.push_str(&format!(".p/{width}"));
    }
    path
}

/// An invalid tile path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid tile path `{path}`: {reason}")]
pub struct TilePathError {
    pub path: String,
    pub reason: &'static str,
}

impl TilePathError {
    fn new(path: &str, reason: &'static str) -> Self {
        TilePathError {
            path: path.to_owned(),
            reason,
        }
    }
}

/// Encodes a tile index as zero-padded 3-digit path elements, all but the last prefixed
/// with `x`: 1234067 becomes `x001/x234/067`.
pub fn encode_index(index: u64) -> String {
    let mut groups = vec![index % 1000];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let mut out = String::new();
    for (i, group) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            out.push_str(&format!("x{group:03}/"));
        } else {
            out.push_str(&format!("{group:03}"));
        }
    }
    out
}

fn parse_index_and_width(path: &str, text: &str) -> Result<(u64, u16), TilePathError> {
    let (index_text, width) = match text.split_once(".p/") {
        Some((index_text, width_text)) => {
            let width = parse_decimal(width_text)
                .filter(|width| (1..TILE_WIDTH as u64).contains(width))
                .ok_or_else(|| {
                    TilePathError::new(path, "partial width must be a decimal from 1 to 255")
                })?;
            (index_text, width as u16)
        }
        None => (text, TILE_WIDTH as u16),
    };
    let elements: Vec<&str> = index_text.split('/').collect();
    let mut index: u64 = 0;
    for (i, element) in elements.iter().enumerate() {
        let last = i + 1 == elements.len();
        let digits = if last {
            *element
        } else {
            element
                .strip_prefix('x')
                .ok_or_else(|| TilePathError::new(path, "inner index elements need an x"))?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TilePathError::new(
                path,
                "index elements must be three decimal digits",
            ));
        }
        let group: u64 = digits
            .parse()
            .map_err(|_| TilePathError::new(path, "index element is not a number"))?;
        index = index
            .checked_mul(1000)
            .and_then(|value| value.checked_add(group))
            .ok_or_else(|| TilePathError::new(path, "index is too large"))?;
    }
    if elements.len() > 1 && elements[0] == "x000" {
        return Err(TilePathError::new(path, "index has a leading zero element"));
    }
    Ok((index, width))
}

fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Number of entries at tile level `level` in a tree of `size` leaves:
/// floor(size / 256^level).
pub fn entries_at_level(size: u64, level: u8) -> u64 {
    let shift = u32::from(level) * TILE_HEIGHT;
    if shift >= 64 { 0 } else { size >> shift }
}

/// Lists every tile (full and partial) of a tree of `size` leaves, level by level.
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut tiles = Vec::new();
    let mut level: u8 = 0;
    loop {
        let entries = entries_at_level(size, level);
        if entries == 0 {
            break;
        }
        for index in 0..entries / TILE_WIDTH as u64 {
            tiles.push(TileId {
                level,
                index,
                width: TILE_WIDTH as u16,
            });
        }
        let partial = (entries % TILE_WIDTH as u64) as u16;
        if partial > 0 {
            tiles.push(TileId {
                level,
                index: entries / TILE_WIDTH as u64,
                width: partial,
            });
        }
        level += 1;
    }
    tiles
}

/// Maps a perfect subtree to the tile that contains its hashes and the range of entries
/// in that tile that hash together into it.
pub fn locate(node: NodeId) -> (u8, u64, std::ops::Range<usize>) {
    let level = (node.level / TILE_HEIGHT) as u8;
    let depth = node.level % TILE_HEIGHT;
    let first_entry = node.index << depth;
    let tile_index = first_entry / TILE_WIDTH as u64;
    let start = (first_entry % TILE_WIDTH as u64) as usize;
    (level, tile_index, start..start + (1usize << depth))
}

/// A completed or grown tile produced by [`TreeState::append`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileUpdate {
    pub level: u8,
    pub index: u64,
    pub hashes: Vec<Hash>,
}

impl TileUpdate {
    pub fn is_full(&self) -> bool {
        self.hashes.len() == TILE_WIDTH
    }
}

/// The right edge of the tree: the partial tile of every level. It is all the state the
/// sequencer needs to append leaves, emit new tiles and compute the root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeState {
    size: u64,
    partial: Vec<Vec<Hash>>,
}

impl TreeState {
    /// Rebuilds the state from the partial tiles of a tree of `size` leaves, where
    /// `partial[L]` contains floor(size / 256^L) mod 256 hashes.
    pub fn from_partial_tiles(size: u64, partial: Vec<Vec<Hash>>) -> Result<Self, String> {
        let mut state = TreeState { size, partial };
        let mut level: u8 = 0;
        loop {
            let expected = (entries_at_level(size, level) % TILE_WIDTH as u64) as usize;
            let found = state.partial.get(usize::from(level)).map_or(0, Vec::len);
            if expected != found {
                return Err(format!(
                    "partial tile at level {level} has {found} hashes, a tree of size {size} needs {expected}"
                ));
            }
            if entries_at_level(size, level) < TILE_WIDTH as u64 {
                break;
            }
            level += 1;
        }
        state.partial.truncate(usize::from(level) + 1);
        Ok(state)
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns the partial tile of each level, level 0 first.
    pub fn partial_tiles(&self) -> &[Vec<Hash>] {
        &self.partial
    }

    /// Appends leaf hashes and returns the tiles that changed: every tile that became full
    /// and the final partial tile of each level that changed, which is empty when the
    /// level's last tile just filled up.
    pub fn append(&mut self, leaves: &[Hash]) -> Vec<TileUpdate> {
        let mut full = Vec::new();
        let mut touched: Vec<bool> = Vec::new();
        for leaf in leaves {
            self.push(0, *leaf, &mut full, &mut touched);
            self.size += 1;
        }
        let mut updates = full;
        for (level, grew) in touched.iter().enumerate() {
            if *grew {
                updates.push(TileUpdate {
                    level: level as u8,
                    index: entries_at_level(self.size, level as u8) / TILE_WIDTH as u64,
                    hashes: self.partial[level].clone(),
                });
            }
        }
        updates
    }

    fn push(
        &mut self,
        level: usize,
        hash: Hash,
        full: &mut Vec<TileUpdate>,
        touched: &mut Vec<bool>,
    ) {
        if self.partial.len() <= level {
            self.partial.resize(level + 1, Vec::new());
        }
        if touched.len() <= level {
            touched.resize(level + 1, false);
        }
        touched[level] = true;
        self.partial[level].push(hash);
        if self.partial[level].len() == TILE_WIDTH {
            let hashes = std::mem::take(&mut self.partial[level]);
            let root = root_of(&hashes);
            // Entries at this level after the append that completes the tile.
            let entries = entries_at_level(self.size + 1, level as u8);
            full.push(TileUpdate {
                level: level as u8,
                index: entries / TILE_WIDTH as u64 - 1,
                hashes,
            });
            self.push(level + 1, root, full, touched);
        }
    }

    /// Computes the root hash of the current tree from the partial tiles alone.
    pub fn root(&self) -> Hash {
        let mut source = TileSet::default();
        for (level, hashes) in self.partial.iter().enumerate() {
            if !hashes.is_empty() {
                let index = entries_at_level(self.size, level as u8) / TILE_WIDTH as u64;
                source.insert(level as u8, index, hashes.clone());
            }
        }
        // The root's subtrees all lie in the partial tiles.
        match super::proof::root_hash(self.size, &mut source) {
            Ok(root) => root,
            Err(_) => super::hash::empty_root(),
        }
    }
}

/// A set of tiles in memory, used as the [`NodeSource`] for proofs.
#[derive(Clone, Debug, Default)]
pub struct TileSet {
    tiles: HashMap<(u8, u64), Vec<Hash>>,
}

/// A proof needs a tile that is not in the set, or is shorter than needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tile {level}/{index} is missing or has fewer than {needed} hashes")]
pub struct MissingTile {
    pub level: u8,
    pub index: u64,
    pub needed: usize,
}

impl TileSet {
    /// Adds a tile, keeping the wider copy when one is already present.
    pub fn insert(&mut self, level: u8, index: u64, hashes: Vec<Hash>) {
        let slot = self.tiles.entry((level, index)).or_default();
        if hashes.len() > slot.len() {
            *slot = hashes;
        }
    }

    pub fn get(&self, level: u8, index: u64) -> Option<&Vec<Hash>> {
        self.tiles.get(&(level, index))
    }

    /// Keeps only the tiles for which `keep(level, index)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(u8, u64) -> bool) {
        self.tiles.retain(|(level, index), _| keep(*level, *index));
    }

    /// Moves every tile of `other` into this set.
    pub fn merge(&mut self, other: TileSet) {
        for ((level, index), hashes) in other.tiles {
            self.insert(level, index, hashes);
        }
    }

    pub fn contains(&self, level: u8, index: u64, width: usize) -> bool {
        self.tiles
            .get(&(level, index))
            .is_some_and(|tile| tile.len() >= width)
    }
}

impl NodeSource for TileSet {
    type Error = MissingTile;

    fn node(&mut self, id: NodeId) -> Result<Hash, MissingTile> {
        let (level, index, range) = locate(id);
        let tile = self
            .tiles
            .get(&(level, index))
            .filter(|tile| tile.len() >= range.end)
            .ok_or(MissingTile {
                level,
                index,
                needed: range.end,
            })?;
        Ok(perfect_root(&tile[range]))
    }
}

/// A [`NodeSource`] over a [`TileSet`] that remembers every node it computed, so many
/// proofs against the same tree share their hashing work.
pub struct MemoNodes<'a> {
    tiles: &'a TileSet,
    memo: HashMap<NodeId, Hash>,
}

impl<'a> MemoNodes<'a> {
    pub fn new(tiles: &'a TileSet) -> Self {
        MemoNodes {
            tiles,
            memo: HashMap::new(),
        }
    }
}

impl NodeSource for MemoNodes<'_> {
    type Error = MissingTile;

    fn node(&mut self, id: NodeId) -> Result<Hash, MissingTile> {
        if let Some(hash) = self.memo.get(&id) {
            return Ok(*hash);
        }
        let hash = if id.level.is_multiple_of(TILE_HEIGHT) {
            let (level, index, range) = locate(id);
            let tile = self
                .tiles
                .get(level, index)
                .filter(|tile| tile.len() >= range.end)
                .ok_or(MissingTile {
                    level,
                    index,
                    needed: range.end,
                })?;
            tile[range.start]
        } else {
            let left = self.node(NodeId {
                level: id.level - 1,
                index: id.index * 2,
            })?;
            let right = self.node(NodeId {
                level: id.level - 1,
                index: id.index * 2 + 1,
            })?;
            node_hash(&left, &right)
        };
        self.memo.insert(id, hash);
        Ok(hash)
    }
}

/// Root of a power-of-two run of hashes.
fn perfect_root(hashes: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

/// Lists the tiles (level, index, minimum width) that contain the given perfect subtrees.
pub fn tiles_for_nodes(nodes: &[NodeId]) -> Vec<(u8, u64, usize)> {
    let mut needed: HashMap<(u8, u64), usize> = HashMap::new();
    for node in nodes {
        let (level, index, range) = locate(*node);
        let width = needed.entry((level, index)).or_default();
        *width = (*width).max(range.end);
    }
    let mut list: Vec<(u8, u64, usize)> = needed
        .into_iter()
        .map(|((level, index), width)| (level, index, width))
        .collect();
    list.sort_unstable();
    list
}

/// Encodes tile hashes as the 32-byte concatenation served at tile paths.
pub fn encode_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

/// Decodes a tile body; `None` when its length is not a multiple of 32 bytes.
pub fn decode_tile(bytes: &[u8]) -> Option<Vec<Hash>> {
    if !bytes.len().is_multiple_of(32) || bytes.len() > TILE_WIDTH * 32 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(32)
            .map(|chunk| {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::hash::leaf_hash;
    use crate::ledger::proof::{inclusion_proof, verify_inclusion};

    #[test]
    fn index_encoding_matches_spec_example() {
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(1000), "x001/000");
    }

    #[test]
    fn tile_path_round_trip() {
        for tile in [
            TileId {
                level: 0,
                index: 0,
                width: 256,
            },
            TileId {
                level: 2,
                index: 1_234_067,
                width: 17,
            },
            TileId {
                level: 63,
                index: 999,
                width: 1,
            },
        ] {
            assert_eq!(TileId::parse(&tile.path()), Ok(tile));
        }
        assert_eq!(
            TileId {
                level: 1,
                index: 5,
                width: 3
            }
            .path(),
            "tile/1/005.p/3"
        );
    }

    #[test]
    fn tile_path_rejects_malformed() {
        for path in [
            "tile/0/5",
            "tile/01/005",
            "tile/64/005",
            "tile/0/001/005",
            "tile/0/005.p/0",
            "tile/0/005.p/256",
            "tile/0/x000/005",
            "tiles/0/005",
        ] {
            assert!(TileId::parse(path).is_err(), "{path} should be rejected");
        }
    }

    #[test]
    fn spec_example_size_70000() {
        let tiles = tiles_for_size(70_000);
        let level0_full = tiles
            .iter()
            .filter(|t| t.level == 0 && t.width == 256)
            .count();
        assert_eq!(level0_full, 273);
        assert!(tiles.contains(&TileId {
            level: 0,
            index: 273,
            width: 112
        }));
        assert!(tiles.contains(&TileId {
            level: 1,
            index: 0,
            width: 256
        }));
        assert!(tiles.contains(&TileId {
            level: 1,
            index: 1,
            width: 17
        }));
        assert!(tiles.contains(&TileId {
            level: 2,
            index: 0,
            width: 1
        }));
        assert_eq!(tiles.len(), 273 + 1 + 1 + 1 + 1);
    }

    #[test]
    fn tree_state_root_matches_memory_root() {
        let leaves: Vec<Hash> = (0u32..70_000)
            .map(|i| leaf_hash(&i.to_be_bytes()))
            .collect();
        let mut state = TreeState::default();
        let mut tiles = TileSet::default();
        for (number, chunk) in leaves.chunks(997).enumerate() {
            for update in state.append(chunk) {
                tiles.insert(update.level, update.index, update.hashes);
            }
            // Recomputing the reference root is O(n), so compare at a few sizes only.
            if number % 10 == 0 {
                let size = state.size() as usize;
                assert_eq!(state.root(), root_of(&leaves[..size]), "size {size}");
            }
        }
        assert_eq!(state.root(), root_of(&leaves));
        // Every tile of the final tree was emitted with its final width.
        for tile in tiles_for_size(state.size()) {
            assert!(tiles.contains(tile.level, tile.index, usize::from(tile.width)));
        }
        let root = state.root();
        for index in [0u64, 255, 256, 65_535, 65_536, 69_999] {
            let proof = inclusion_proof(index, state.size(), &mut tiles).unwrap();
            verify_inclusion(index, state.size(), &leaves[index as usize], &proof, &root).unwrap();
        }
    }

    #[test]
    fn tree_state_reloads_from_partial_tiles() {
        let leaves: Vec<Hash> = (0u32..600).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut state = TreeState::default();
        state.append(&leaves);
        let reloaded =
            TreeState::from_partial_tiles(state.size(), state.partial_tiles().to_vec()).unwrap();
        assert_eq!(reloaded, state);
        assert!(TreeState::from_partial_tiles(601, state.partial_tiles().to_vec()).is_err());
    }
}
