//! Findings: evaluations joined with their check, resource and location.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::check::{Severity, Verdict};

/// One reported result: a check on a resource, or a file that failed to load.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub check_id: String,
    pub title: String,
    pub severity: Severity,
    pub verdict: Verdict,
    pub message: String,
    pub categories: Vec<String>,
    /// Control ids per framework id, for example `{"pci_dss": ["3.5.1"]}`.
    pub controls: BTreeMap<String, Vec<String>>,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub resource: String,
    pub resource_kind: String,
    pub attribute: Option<String>,
    pub expected: Option<String>,
    pub found: Option<String>,
    pub fingerprint: String,
    /// The waiver, inline suppression or baseline entry that matched this finding. A
    /// finding keeps it when the waiver has expired, so reports can say why it fails again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
}

/// Where a suppression was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    /// A `[[waiver]]` entry of `nexafi.toml`.
    Waiver,
    /// A `nexafi:ignore` comment in the scanned file.
    Inline,
    /// An entry of a baseline file written by `--write-baseline`.
    Baseline,
}

/// A suppression that matched a finding: who accepted the risk, why and until when.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// File that declares it (`nexafi.toml`, the scanned file, the baseline file).
    pub file: String,
    /// Line of the declaration, 1-based; 0 when the format has no lines.
    pub line: u32,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Last day the suppression applies, `YYYY-MM-DD`; baselines may have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Day a baseline entry was accepted, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
    /// True when the expiry date has passed: the finding fails again.
    pub expired: bool,
}

/// Computes a finding's fingerprint from the check id, the file path relative to the scan
/// root, the resource address and the attribute path. Line numbers are left out on purpose,
/// so the fingerprint survives edits elsewhere in the file.
pub fn fingerprint(check_id: &str, path: &str, resource: &str, attribute: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    for part in [check_id, path, resource, attribute.unwrap_or("")] {
        hasher.update(part.as_bytes());
        // A separator that cannot occur in any part keeps ("ab", "c") apart from ("a", "bc").
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable() {
        let first = fingerprint("NXF-AWS-S3-001", "main.tf", "aws_s3_bucket.b", None);
        let second = fingerprint("NXF-AWS-S3-001", "main.tf", "aws_s3_bucket.b", None);
        assert_eq!(first, second);
        assert_eq!(first.len(), 32);
    }

    #[test]
    fn fingerprint_separates_parts() {
        let joined = fingerprint("a", "bc", "r", None);
        let split = fingerprint("ab", "c", "r", None);
        assert_ne!(joined, split);
    }

    #[test]
    fn fingerprint_depends_on_attribute() {
        let none = fingerprint("c", "p", "r", None);
        let some = fingerprint("c", "p", "r", Some("versioning"));
        assert_ne!(none, some);
    }
}
