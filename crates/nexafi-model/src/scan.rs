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
