//! Check metadata and what a check returns for one resource.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::resource::InputKind;
use crate::source::Span;

/// How bad a failing check is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                format!("invalid severity {text:?}: expected info, low, medium, high or critical")
            })
    }
}

/// Maturity of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Preview,
    Stable,
    Deprecated,
}

/// The documentation sections every check carries; `nexafi checks explain` prints them.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CheckDocs {
    /// What the check reads and when it fails.
    pub what: &'static str,
    /// Why it matters on a regulated platform.
    pub why: &'static str,
    /// How to fix a failure, usually with a snippet.
    pub fix: &'static str,
    /// Cases the check cannot decide or gets wrong.
    pub limitations: &'static str,
}

/// Everything a check declares about itself.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CheckMeta {
    /// Short hierarchical id, never reused: `NXF-AWS-S3-001`.
    pub id: &'static str,
    /// Kebab-case name of the problem: `s3-bucket-unencrypted`.
    pub slug: &'static str,
    /// One line stating the rule: "S3 buckets encrypt objects at rest".
    pub title: &'static str,
    pub severity: Severity,
    pub input: InputKind,
    /// Resource kinds the check evaluates.
    pub kinds: &'static [&'static str],
    /// Category ids of the control catalog; they map the check to framework controls.
    pub categories: &'static [&'static str],
    /// Control ids beyond those of the categories, as `framework:control`.
    pub extra_controls: &'static [&'static str],
    pub status: CheckStatus,
    /// Former ids and ids of other tools for the same rule (`CKV_AWS_19`).
    pub aliases: &'static [&'static str],
    /// Links to the provider or standard documentation behind the rule.
    pub references: &'static [&'static str],
    pub docs: CheckDocs,
}

/// The outcome of one check on one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// Could not be decided offline; never counted as a pass.
    Unknown,
    /// A waiver with reason, owner and expiry applies.
    Waived,
    /// The input could not be loaded, so nothing in it was checked.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Unknown => "unknown",
            Verdict::Waived => "waived",
            Verdict::Error => "error",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What a check returns for one resource; a check may return several, one per
/// container or per rule, each with its own attribute path.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// For a failure, what is wrong and how to fix it in a sentence; for an unknown,
    /// why the value cannot be known; for a pass, what was found.
    pub message: String,
    /// Dotted attribute path the verdict is about (`spec.template.spec.containers.0.securityContext.privileged`).
    pub attribute: Option<String>,
    pub expected: Option<String>,
    pub found: Option<String>,
    /// What to point at: the attribute's value, or the resource's name when the attribute
    /// is missing.
    pub span: Span,
}

impl Evaluation {
    pub fn pass(span: Span, message: impl Into<String>) -> Self {
        Self::new(Verdict::Pass, span, message)
    }

    pub fn fail(span: Span, message: impl Into<String>) -> Self {
        Self::new(Verdict::Fail, span, message)
    }

    pub fn unknown(span: Span, message: impl Into<String>) -> Self {
        Self::new(Verdict::Unknown, span, message)
    }

    fn new(verdict: Verdict, span: Span, message: impl Into<String>) -> Self {
        Self {
            verdict,
            message: message.into(),
            attribute: None,
            expected: None,
            found: None,
            span,
        }
    }

    pub fn attribute(mut self, path: impl Into<String>) -> Self {
        self.attribute = Some(path.into());
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_parses_any_case() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
    }

    #[test]
    fn severity_orders_by_weight() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
    }
}
