//! Kustomize overlays built in process, following `kustomize build` of kustomize v5.
//!
//! A directory holding `kustomization.yaml`, `kustomization.yml` or `Kustomization` is an
//! overlay. [`plan`] reads only the kustomization files under the scanned paths to find the
//! overlays that no other overlay includes (the leaves) and every file the overlays
//! consume. [`Builder::build`] then builds one leaf into Kubernetes objects whose nodes
//! keep the spans of the file that set each value. A value kept from a base points into
//! the base manifest, and a value a patch set points into the patch. A value written by a
//! transformer (namespace, labels, images, replicas) or a generator points at its
//! kustomization entry.
//!
//! Nothing is fetched: a remote resource (a URL or a Git address) is an unknown
//! diagnostic, and the overlay is built without it.

mod build;
mod generate;
mod json_patch;
mod merge;
mod names;
mod object;
mod paths;
mod plan;
mod select;
mod spec;
mod transform;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use nexafi_model::{FileId, SourceMap};

use crate::Loaded;

pub use plan::{Plan, plan};

/// File names kustomize accepts for a kustomization, in the order it looks for them.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Returns the kustomization file of `dir`, when it has one.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// Returns true when the file name is one kustomize reads as a kustomization.
pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| FILE_NAMES.contains(&name))
}

/// Builds overlays into Kubernetes resources. One builder serves every overlay of a scan,
/// so a base shared by several overlays is stored once in the [`SourceMap`]. It is `Sync`:
/// overlays may be built in parallel.
pub struct Builder<'a> {
    sources: &'a SourceMap,
    /// Files already stored in `sources`, by normalised path.
    files: Mutex<HashMap<PathBuf, FileId>>,
}

impl<'a> Builder<'a> {
    pub fn new(sources: &'a SourceMap) -> Self {
        Self {
            sources,
            files: Mutex::new(HashMap::new()),
        }
    }

    /// Builds the overlay in `dir` the way `kustomize build dir` does. A problem that stops
    /// the build is an error diagnostic naming the kustomization file, the entry and the
    /// fix. Parts that cannot be resolved offline are unknown diagnostics.
    pub fn build(&self, dir: &Path) -> Loaded {
        build::build(self, dir)
    }

    /// Reads a file into the source map once and returns its id and text.
    fn read(
        &self,
        path: &Path,
    ) -> std::io::Result<(FileId, std::sync::Arc<nexafi_model::SourceFile>)> {
        let key = paths::normalize(path);
        let mut files = self
            .files
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(id) = files.get(&key).copied()
            && let Some(file) = self.sources.get(id)
        {
            return Ok((id, file));
        }
        let bytes = std::fs::read(&key)?;
        let text = String::from_utf8(bytes).map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the file is not valid UTF-8 (invalid byte at offset {})",
                    error.utf8_error().valid_up_to()
                ),
            )
        })?;
        let id = self.sources.add(&key, text);
        files.insert(key, id);
        let file = self
            .sources
            .get(id)
            .ok_or_else(|| std::io::Error::other("the source map lost a file it just stored"))?;
        Ok((id, file))
    }
}
