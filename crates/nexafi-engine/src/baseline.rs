//! Baseline files: the fingerprints of findings accepted as they are, so that only new
//! findings fail a run.
//!
//! A baseline is JSON:
//!
//! ```json
//! {
//!   "version": 1,
//!   "entries": [
//!     {
//!       "fingerprint": "5b0e2b0f4b1d9c7e8a6f3d2c1b0a9988",
//!       "check_id": "NXF-AWS-KMS-001",
//!       "resource": "aws_kms_key.ledger",
//!       "file": "infra/main.tf",
//!       "accepted": "2026-12-04"
//!     }
//!   ]
//! }
//! ```
//!
//! Only `fingerprint` decides a match. The other fields are there for the people who
//! review the file. Entries are sorted by file, check id and resource so that the file
//! diffs cleanly.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use nexafi_model::{Finding, Suppression, SuppressionKind, Verdict};
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::waiver::parse_date;

/// The `version` this code reads and writes.
pub const BASELINE_VERSION: u32 = 1;

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub check_id: String,
    pub resource: String,
    /// Path relative to the root the fingerprint uses, with `/` as separator.
    pub file: String,
    /// Day the entry was first written, `YYYY-MM-DD`.
    pub accepted: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    entries: Vec<Entry>,
}

/// A loaded baseline.
#[derive(Clone, Debug)]
pub struct Baseline {
    pub path: PathBuf,
    /// Fingerprint to entry.
    pub entries: HashMap<String, Entry>,
}

impl Baseline {
    /// Returns the suppression that a finding with this fingerprint gets, if any.
    pub fn suppression(&self, fingerprint: &str) -> Option<Suppression> {
        let entry = self.entries.get(fingerprint)?;
        Some(Suppression {
            kind: SuppressionKind::Baseline,
            file: self.path.display().to_string(),
            line: 0,
            reason: "accepted in the baseline".to_owned(),
            owner: None,
            expires: None,
            ticket: None,
            accepted: Some(entry.accepted.clone()),
            expired: false,
        })
    }
}

/// Reads a baseline file. A missing file, invalid JSON, an unknown `version` or an
/// invalid entry is an error naming the file and, where JSON gives one, the line.
pub fn load(path: &Path) -> Result<Baseline, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!(
            "cannot read the baseline: {error}; write one with --write-baseline {}",
            path.display()
        ),
    })?;
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> Result<Baseline, ConfigError> {
    let error = |line: usize, column: usize, message: String| ConfigError {
        path: path.to_path_buf(),
        line: u32::try_from(line.max(1)).unwrap_or(u32::MAX),
        column: u32::try_from(column.max(1)).unwrap_or(u32::MAX),
        message,
    };
    // Read the version first, so a newer file gets a clear message rather than a complaint
    // about a field this version does not know.
    let value: serde_json::Value = serde_json::from_str(text).map_err(|problem| {
        error(
            problem.line(),
            problem.column(),
            format!("invalid baseline JSON: {problem}"),
        )
    })?;
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(BASELINE_VERSION)) {
        return Err(error(
            1,
            1,
            format!(
                "unsupported baseline version {}; this nexafi reads version {BASELINE_VERSION}, so rewrite the file with --write-baseline",
                version.map_or_else(|| "(missing)".to_owned(), |version| version.to_string())
            ),
        ));
    }
    let file: BaselineFile = serde_json::from_str(text).map_err(|problem| {
        error(
            problem.line(),
            problem.column(),
            format!("invalid baseline: {problem}"),
        )
    })?;
    let mut entries = HashMap::with_capacity(file.entries.len());
    for (index, entry) in file.entries.into_iter().enumerate() {
        if parse_date(&entry.accepted).is_err() {
            return Err(error(
                1,
                1,
                format!(
                    "entry {index} has the invalid accepted date {:?}; write it as YYYY-MM-DD",
                    entry.accepted
                ),
            ));
        }
        entries.insert(entry.fingerprint.clone(), entry);
    }
    Ok(Baseline {
        path: path.to_path_buf(),
        entries,
    })
}

/// Builds the entries for the findings that a baseline accepts: those that fail or are
/// unknown, and those that a baseline already waived. Errors (inputs that did not load)
/// are left out, because a broken file must be fixed, not accepted.
///
/// `relative` turns a finding's file into the path its fingerprint used. An entry keeps
/// its accepted date from `earlier` or from the baseline suppression of its finding, and
/// gets `today` when it is new.
pub fn entries(
    findings: &[Finding],
    relative: impl Fn(&str) -> String,
    earlier: Option<&Baseline>,
    today: Date,
) -> Vec<Entry> {
    let mut by_fingerprint: BTreeMap<&str, Entry> = BTreeMap::new();
    for finding in findings {
        let baselined = finding
            .suppression
            .as_ref()
            .filter(|suppression| suppression.kind == SuppressionKind::Baseline);
        let accepts = matches!(finding.verdict, Verdict::Fail | Verdict::Unknown)
            || (finding.verdict == Verdict::Waived && baselined.is_some());
        if !accepts || by_fingerprint.contains_key(finding.fingerprint.as_str()) {
            continue;
        }
        let accepted = earlier
            .and_then(|baseline| baseline.entries.get(&finding.fingerprint))
            .map(|entry| entry.accepted.clone())
            .or_else(|| baselined.and_then(|suppression| suppression.accepted.clone()))
            .unwrap_or_else(|| today.to_string());
        by_fingerprint.insert(
            &finding.fingerprint,
            Entry {
                fingerprint: finding.fingerprint.clone(),
                check_id: finding.check_id.clone(),
                resource: finding.resource.clone(),
                file: relative(&finding.file),
                accepted,
            },
        );
    }
    let mut entries: Vec<Entry> = by_fingerprint.into_values().collect();
    entries.sort_by(|a, b| {
        (&a.file, &a.check_id, &a.resource, &a.fingerprint).cmp(&(
            &b.file,
            &b.check_id,
            &b.resource,
            &b.fingerprint,
        ))
    });
    entries
}

/// Writes a baseline file, replacing it only once the new text is complete.
pub fn write(path: &Path, entries: Vec<Entry>) -> std::io::Result<()> {
    let file = BaselineFile {
        version: BASELINE_VERSION,
        entries,
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    text.push('\n');

    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(directory).map_err(|error| {
        std::io::Error::new(
            error.kind(),
            format!("cannot create a file in {}: {error}", directory.display()),
        )
    })?;
    temporary.write_all(text.as_bytes())?;
    temporary.persist(path).map_err(|error| {
        std::io::Error::new(
            error.error.kind(),
            format!("cannot write {}: {}", path.display(), error.error),
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline_error(text: &str) -> ConfigError {
        match parse(Path::new("baseline.json"), text) {
            Ok(_) => panic!("accepted {text}"),
            Err(error) => error,
        }
    }

    #[test]
    fn parse_valid() {
        let text = r#"{"version": 1, "entries": [{"fingerprint": "ab", "check_id": "C", "resource": "r", "file": "main.tf", "accepted": "2026-01-02"}]}"#;
        let baseline = parse(Path::new("baseline.json"), text);
        let Ok(baseline) = baseline else {
            panic!("rejected")
        };
        let suppression = baseline.suppression("ab");
        assert_eq!(
            suppression.as_ref().and_then(|s| s.accepted.as_deref()),
            Some("2026-01-02")
        );
        assert_eq!(suppression.map(|s| s.kind), Some(SuppressionKind::Baseline));
        assert!(baseline.suppression("cd").is_none());
    }

    #[test]
    fn parse_rejects_other_version() {
        let error = baseline_error(r#"{"version": 2, "entries": []}"#);
        assert!(
            error.message.contains("unsupported baseline version 2"),
            "{error}"
        );
    }

    #[test]
    fn parse_rejects_bad_json() {
        let error = baseline_error("{\n  \"version\": 1,\n  \"entries\": [,]\n}");
        assert_eq!(error.line, 3);
        assert!(
            error.message.starts_with("invalid baseline JSON"),
            "{error}"
        );
    }

    #[test]
    fn parse_rejects_bad_date() {
        let error = baseline_error(
            r#"{"version": 1, "entries": [{"fingerprint": "ab", "check_id": "C", "resource": "r", "file": "f", "accepted": "soon"}]}"#,
        );
        assert!(error.message.contains("invalid accepted date"), "{error}");
    }
}
