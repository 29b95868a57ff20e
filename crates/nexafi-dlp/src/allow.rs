//! Allow-lists: values and paths accepted on purpose, such as a scheme's published test
//! card in a fixture. A value is listed by the SHA-256 of its normalised form, so the
//! allow-list file never contains the value itself.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::finding::Detector;
use crate::redact::normalise;

/// Values and path globs to skip.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    values: Arc<HashSet<[u8; 32]>>,
    paths: Option<Arc<GlobSet>>,
}

/// Error reading or parsing an allow-list file.
#[derive(Debug, thiserror::Error)]
pub enum AllowlistError {
    #[error("cannot read allow-list {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid allow-list {path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "invalid allow-list {path}: values[{index}].sha256 {value:?} is not 64 hex digits; \
         compute it with `printf %s VALUE | sha256sum`"
    )]
    Hash {
        path: String,
        index: usize,
        value: String,
    },
    #[error("invalid allow-list {path}: paths[{index}] {pattern:?} is not a valid glob: {message}")]
    Glob {
        path: String,
        index: usize,
        pattern: String,
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllowlist {
    #[serde(default)]
    values: Vec<RawValue>,
    #[serde(default)]
    paths: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue {
    sha256: String,
    /// Reason the value is accepted, for the reader of the file.
    #[serde(default)]
    #[allow(dead_code)]
    reason: Option<String>,
}

impl Allowlist {
    /// Reads an allow-list file (YAML with `values` and `paths`, see docs/dlp.md).
    pub fn from_file(path: &Path) -> Result<Self, AllowlistError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| AllowlistError::Read {
            path: display.clone(),
            source,
        })?;
        Self::from_yaml(&display, &text)
    }

    /// Parses allow-list YAML; `origin` names the file in errors.
    pub fn from_yaml(origin: &str, text: &str) -> Result<Self, AllowlistError> {
        let raw: RawAllowlist = if text.trim().is_empty() {
            RawAllowlist {
                values: Vec::new(),
                paths: Vec::new(),
            }
        } else {
            serde_saphyr::from_str(text).map_err(|error| AllowlistError::Parse {
                path: origin.to_owned(),
                message: error.to_string(),
            })?
        };

        let mut values = HashSet::new();
        for (index, entry) in raw.values.iter().enumerate() {
            let digest =
                parse_hex_digest(entry.sha256.trim()).ok_or_else(|| AllowlistError::Hash {
                    path: origin.to_owned(),
                    index,
                    value: entry.sha256.clone(),
                })?;
            values.insert(digest);
        }

        let mut builder = GlobSetBuilder::new();
        for (index, pattern) in raw.paths.iter().enumerate() {
            let glob = Glob::new(pattern).map_err(|error| AllowlistError::Glob {
                path: origin.to_owned(),
                index,
                pattern: pattern.clone(),
                message: error.kind().to_string(),
            })?;
            builder.add(glob);
        }
        let paths = builder.build().map_err(|error| AllowlistError::Parse {
            path: origin.to_owned(),
            message: error.to_string(),
        })?;

        Ok(Self {
            values: Arc::new(values),
            paths: (!raw.paths.is_empty()).then(|| Arc::new(paths)),
        })
    }

    /// Returns true when no value is listed. Paths are checked by the caller.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Returns true when the normalised value's SHA-256 is listed.
    pub fn allows_value(&self, detector: Detector, raw: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::digest(normalise(detector, raw)).into();
        self.values.contains(&digest)
    }

    /// Returns true when `path` matches one of the path globs.
    pub fn allows_path(&self, path: &Path) -> bool {
        self.paths.as_ref().is_some_and(|set| set.is_match(path))
    }
}

fn parse_hex_digest(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (index, pair) in text.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        digest[index] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-256 of "4111111111111111".
    const VISA_TEST_HASH: &str = "9bbef19476623ca56c17da75fd57734dbf82530686043a6e491c6d71befe8f6e";

    #[test]
    fn listed_value_is_allowed_in_any_grouping() {
        let text = format!("values:\n  - sha256: {VISA_TEST_HASH}\n    reason: test card\n");
        let list = Allowlist::from_yaml("allow.yaml", &text).unwrap();
        assert!(list.allows_value(Detector::CardNumber, b"4111111111111111"));
        assert!(list.allows_value(Detector::CardNumber, b"4111 1111 1111 1111"));
        assert!(!list.allows_value(Detector::CardNumber, b"5555555555554444"));
    }

    #[test]
    fn path_globs_match() {
        let list = Allowlist::from_yaml("allow.yaml", "paths: ['fixtures/**']").unwrap();
        assert!(list.allows_path(Path::new("fixtures/cards.txt")));
        assert!(!list.allows_path(Path::new("src/cards.txt")));
    }

    #[test]
    fn bad_hash_names_entry() {
        let error = Allowlist::from_yaml("allow.yaml", "values:\n  - sha256: abc\n").unwrap_err();
        assert!(error.to_string().contains("values[0].sha256"), "{error}");
    }

    #[test]
    fn unknown_field_is_rejected() {
        assert!(Allowlist::from_yaml("allow.yaml", "value: []").is_err());
    }
}
