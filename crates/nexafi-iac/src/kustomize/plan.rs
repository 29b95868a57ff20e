//! The plan of a scan's overlays: the ones to build and the files they consume.
//!
//! Only kustomization files are read here, and only the paths they list. A file that a
//! broken overlay lists still counts as consumed, so that a patch (a partial object) is
//! never scanned on its own as if it were a whole manifest.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use nexafi_model::{FileId, Node};

use super::paths::{file_key, looks_remote, normalize};
use super::{is_kustomization_file, kustomization_file};
use crate::kubernetes::yaml;

/// The overlays of a scan.
#[derive(Debug, Default)]
pub struct Plan {
    /// Overlays that no other overlay includes, in path order: each is built once.
    pub leaves: Vec<PathBuf>,
    /// Comparison keys ([`file_key`]) of every kustomization file and every file an
    /// overlay lists.
    consumed: HashSet<PathBuf>,
}

impl Plan {
    /// Returns true when an overlay reads `path`, so it must not be scanned as a raw
    /// manifest.
    pub fn consumes(&self, path: &Path) -> bool {
        is_kustomization_file(path) || self.consumed.contains(&file_key(path))
    }
}

/// The paths one kustomization file lists.
#[derive(Debug, Default)]
struct Listing {
    is_component: bool,
    /// Directories included as resources, bases or components.
    directories: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

/// Plans the build of the overlays in `dirs`, the directories discovery found holding a
/// kustomization file. Overlays outside `dirs` that they include are read too.
pub fn plan(dirs: &[PathBuf]) -> Plan {
    let mut listings: BTreeMap<PathBuf, Listing> = BTreeMap::new();
    let mut pending: Vec<PathBuf> = dirs.iter().map(|dir| normalize(dir)).collect();
    while let Some(dir) = pending.pop() {
        if listings.contains_key(&dir) {
            continue;
        }
        let listing = list(&dir);
        pending.extend(listing.directories.iter().cloned());
        listings.insert(dir, listing);
    }

    let mut consumed = HashSet::new();
    for (dir, listing) in &listings {
        if let Some(file) = kustomization_file(dir) {
            consumed.insert(file_key(&file));
        }
        consumed.extend(listing.files.iter().map(|file| file_key(file)));
    }

    let reach: BTreeMap<&PathBuf, BTreeSet<PathBuf>> = listings
        .keys()
        .map(|dir| (dir, reachable(dir, &listings)))
        .collect();
    let scanned: BTreeSet<PathBuf> = dirs.iter().map(|dir| normalize(dir)).collect();

    // A leaf is an overlay that only overlays it includes itself (a cycle) include. Of the
    // members of such a cycle, the first in path order is built, and reports the cycle.
    let mut leaves = Vec::new();
    for dir in &scanned {
        let Some(listing) = listings.get(dir) else {
            continue;
        };
        if listing.is_component {
            tracing::debug!(dir = %dir.display(), "skipped a kustomize Component that no overlay includes");
            continue;
        }
        let own_reach = reach.get(dir).cloned().unwrap_or_default();
        let includers: Vec<&PathBuf> = reach
            .iter()
            .filter(|(other, reached)| *other != &dir && reached.contains(dir))
            .map(|(other, _)| *other)
            .collect();
        let only_cycle = includers.iter().all(|other| own_reach.contains(*other));
        let first_of_cycle = includers
            .iter()
            .all(|other| *other > dir || !scanned.contains(*other));
        if only_cycle && first_of_cycle {
            leaves.push(dir.clone());
        }
    }
    Plan { leaves, consumed }
}

/// Returns every overlay directory reachable from `dir` through its includes, `dir`
/// excluded unless a cycle leads back to it.
fn reachable(dir: &Path, listings: &BTreeMap<PathBuf, Listing>) -> BTreeSet<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<&PathBuf> = listings
        .get(dir)
        .map(|listing| listing.directories.iter().collect())
        .unwrap_or_default();
    while let Some(next) = pending.pop() {
        if seen.insert(next.clone())
            && let Some(listing) = listings.get(next)
        {
            pending.extend(listing.directories.iter());
        }
    }
    seen
}

/// Reads the paths a kustomization lists. A file that cannot be read or parsed lists
/// nothing here; the build reports it.
fn list(dir: &Path) -> Listing {
    let mut listing = Listing::default();
    let Some(file) = kustomization_file(dir) else {
        return listing;
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        return listing;
    };
    let stream = yaml::read_stream(&text, FileId(0));
    let Some(root) = stream.documents.first() else {
        return listing;
    };
    listing.is_component = root.get("kind").and_then(Node::as_str) == Some("Component");

    let mut add = |entry: &str| {
        if entry.contains('\n') || entry.is_empty() {
            return;
        }
        let path = normalize(&dir.join(entry));
        if path.is_dir() {
            listing.directories.push(path);
        } else if !looks_remote(entry) {
            listing.files.push(path);
        }
    };

    for field in [
        "resources",
        "bases",
        "components",
        "patchesStrategicMerge",
        "crds",
        "configurations",
    ] {
        for item in root.get(field).and_then(Node::as_list).unwrap_or_default() {
            if let Some(entry) = item.as_str() {
                add(entry);
            }
        }
    }
    for field in ["patches", "patchesJson6902"] {
        for item in root.get(field).and_then(Node::as_list).unwrap_or_default() {
            if let Some(entry) = item.get("path").and_then(Node::as_str) {
                add(entry);
            }
        }
    }
    for field in ["configMapGenerator", "secretGenerator"] {
        for item in root.get(field).and_then(Node::as_list).unwrap_or_default() {
            for key in ["files", "envs"] {
                for file in item.get(key).and_then(Node::as_list).unwrap_or_default() {
                    if let Some(entry) = file.as_str() {
                        // A file source may be written `key=path`.
                        add(entry.split_once('=').map_or(entry, |(_, path)| path));
                    }
                }
            }
            if let Some(entry) = item.get("env").and_then(Node::as_str) {
                add(entry);
            }
        }
    }
    listing
}
