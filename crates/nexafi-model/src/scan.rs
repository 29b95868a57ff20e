//! The result of a whole scan, as renderers receive it.

use serde::Serialize;

use crate::check::{Severity, Verdict};
use crate::finding::Finding;

/// Version of the JSON report schema; bump it on any incompatible change.
pub const REPORT_SCHEMA_VERSION: &str = "1.0";

/// Everything a renderer needs: findings, compliance per framework and scan facts.
#[derive(Clone, Debug, Serialize)]
pub struct ScanResult {
    pub tool: ToolInfo,
    pub inputs: ScanInputs,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub frameworks: Vec<FrameworkResult>,
    /// Every declared waiver and inline suppression with how many findings it matched;
    /// unused ones are reported so stale risk acceptances get cleaned up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverUse>,
}

/// A declared waiver or inline suppression and its use in this scan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaiverUse {
    /// The declaration, as it appears on matched findings.
    pub declaration: crate::finding::Suppression,
    /// Check id or prefix it names.
    pub check: String,
    /// Resource address or path glob it is limited to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Findings it matched.
    pub matched: usize,
}

/// A manual control attested in `nexafi.toml`: the evidence an auditor can ask for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attestation {
    pub evidence: String,
    pub owner: String,
    /// Day of the attestation, `YYYY-MM-DD`.
    pub date: String,
    pub review_interval_days: u32,
    /// Day the next review is due, `YYYY-MM-DD`.
    pub due: String,
    /// True when the review is due before the scan's date.
    pub overdue: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// What was scanned.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanInputs {
    pub paths: Vec<String>,
    pub files: usize,
    pub resources: usize,
    pub checks: usize,
    /// Lowest severity that makes the run fail.
    pub severity_threshold: Option<Severity>,
    /// Git commit of the scanned work tree, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// When the scan started, RFC 3339 in UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// SHA-256 over the ids, versions and cases of the built-in checks, so an auditor can
    /// tell which rule set produced a report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_catalog_digest: Option<String>,
    /// The `nexafi.toml` that supplied waivers and attestations, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The baseline file given with `--baseline`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// The Git ref given with `--diff-base`. When set, findings that already existed at
    /// that ref are left out of the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_base: Option<String>,
}

/// Counts of findings per verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
    pub waived: usize,
    pub error: usize,
}

impl Summary {
    pub fn count(findings: &[Finding]) -> Self {
        let mut summary = Self::default();
        for finding in findings {
            match finding.verdict {
                Verdict::Pass => summary.pass += 1,
                Verdict::Fail => summary.fail += 1,
                Verdict::Unknown => summary.unknown += 1,
                Verdict::Waived => summary.waived += 1,
                Verdict::Error => summary.error += 1,
            }
        }
        summary
    }
}

/// Status of one control of a framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    /// Checks gave evidence and every one passed or was waived.
    Satisfied,
    /// At least one check failed.
    NotSatisfied,
    /// Checks apply, but every result was unknown.
    NotAssessed,
    /// No automated evidence: an auditor needs process or people evidence.
    Manual,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Satisfied => "satisfied",
            ControlStatus::NotSatisfied => "not_satisfied",
            ControlStatus::NotAssessed => "not_assessed",
            ControlStatus::Manual => "manual",
        }
    }
}

/// One control with its status and the evidence behind it.
#[derive(Clone, Debug, Serialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    /// Ids of the checks that give primary evidence for this control.
    pub checks: Vec<String>,
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
    pub waived: usize,
    /// Attestation of a manual control from `nexafi.toml`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Attestation>,
}

/// Compliance with one framework.
#[derive(Clone, Debug, Serialize)]
pub struct FrameworkResult {
    pub id: String,
    pub name: String,
    pub version: String,
    /// Satisfied controls as a percentage of the controls with a decided status
    /// (satisfied or not satisfied); `None` when none was decided.
    pub score: Option<f64>,
    /// Controls with automated evidence (any status but manual) as a percentage of all.
    pub coverage: f64,
    pub satisfied: usize,
    pub not_satisfied: usize,
    pub not_assessed: usize,
    pub manual: usize,
    pub controls: Vec<ControlResult>,
}
