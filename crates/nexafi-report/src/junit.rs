//! The JUnit XML report, for CI systems that show test results.
//!
//! Each check is a test suite and each (check, resource) pair a test case, so a CI page
//! lists every resource a check looked at. When a check returns several findings for one
//! resource (one per container, say), the test case takes the worst verdict and lists
//! every finding. A fail is a `failure`, an input that failed to load an `error`, and an
//! unknown or waived result is `skipped` with the reason.

use std::collections::BTreeMap;

use nexafi_model::{Finding, ScanResult, Verdict};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

/// Renders the scan result as JUnit XML ending with a newline.
pub fn render_junit(result: &ScanResult) -> String {
    let mut report = Report::new(format!("{} validate", result.tool.name));

    let mut by_check: BTreeMap<&str, BTreeMap<&str, Vec<&Finding>>> = BTreeMap::new();
    for finding in &result.findings {
        by_check
            .entry(&finding.check_id)
            .or_default()
            .entry(test_case_name(finding))
            .or_default()
            .push(finding);
    }

    for (check_id, cases) in by_check {
        let title = cases
            .values()
            .flatten()
            .next()
            .map_or("", |finding| finding.title.as_str());
        let mut suite = TestSuite::new(format!("{check_id} {title}"));
        for (name, mut findings) in cases {
            findings.sort_by(crate::by_location);
            suite.add_test_case(test_case(check_id, name, &findings));
        }
        report.add_test_suite(suite);
    }

    let mut text = match report.to_string() {
        Ok(text) => text,
        // quick-junit escapes every string and writes to memory here, so no error is
        // expected. The fallback still keeps the output well-formed XML.
        Err(error) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nexafi validate\" tests=\"0\" failures=\"0\" errors=\"1\"><!-- failed to write the report: {} --></testsuites>",
            error.to_string().replace("--", "- -")
        ),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Returns the resource address, or the file for a finding about a whole input.
fn test_case_name(finding: &Finding) -> &str {
    if finding.resource.is_empty() {
        &finding.file
    } else {
        &finding.resource
    }
}

/// Ranks verdicts so that a test case shows the worst of its findings.
fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Waived => 1,
        Verdict::Unknown => 2,
        Verdict::Fail => 3,
        Verdict::Error => 4,
    }
}

fn test_case(check_id: &str, name: &str, findings: &[&Finding]) -> TestCase {
    let worst = findings
        .iter()
        .map(|finding| finding.verdict)
        .max_by_key(|verdict| rank(*verdict))
        .unwrap_or(Verdict::Pass);
    let relevant: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|finding| finding.verdict == worst)
        .collect();
    let message = relevant
        .iter()
        .map(|finding| summary_line(finding))
        .collect::<Vec<_>>()
        .join("; ");
    let description = findings
        .iter()
        .map(|finding| detail(finding))
        .collect::<Vec<_>>()
        .join("\n\n");

    let mut status = match worst {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
        Verdict::Unknown | Verdict::Waived => TestCaseStatus::skipped(),
    };
    status
        .set_type(worst.as_str())
        .set_message(message)
        .set_description(description.clone());

    let mut case = TestCase::new(name, status);
    case.set_classname(check_id);
    if worst == Verdict::Pass {
        case.set_system_out(description);
    }
    if let Some(first) = findings.first() {
        case.add_property(Property::new("severity", first.severity.as_str()));
        case.add_property(Property::new(
            "location",
            format!("{}:{}:{}", first.file, first.line, first.column),
        ));
        for (framework, ids) in &first.controls {
            case.add_property(Property::new(
                format!("controls.{framework}"),
                ids.join(", "),
            ));
        }
    }
    case
}

/// Returns one line per finding for the `message` attribute: the reason for a waived finding,
/// the finding's message otherwise.
fn summary_line(finding: &Finding) -> String {
    match (&finding.suppression, finding.verdict) {
        (Some(suppression), Verdict::Waived) => format!("waived: {}", suppression.reason),
        (Some(suppression), Verdict::Fail) if suppression.expired => format!(
            "{} (waiver expired on {})",
            finding.message,
            suppression.expires.as_deref().unwrap_or("an unknown day")
        ),
        _ => finding.message.clone(),
    }
}

/// Describes everything about one finding, for the text of the failure or skip element.
fn detail(finding: &Finding) -> String {
    let mut lines = vec![
        format!(
            "{} {} at {}:{}:{}",
            finding.verdict, finding.check_id, finding.file, finding.line, finding.column
        ),
        format!("message: {}", finding.message),
    ];
    let optional = [
        ("attribute", &finding.attribute),
        ("expected", &finding.expected),
        ("found", &finding.found),
    ];
    for (label, value) in optional {
        if let Some(value) = value {
            lines.push(format!("{label}: {value}"));
        }
    }
    if let Some(suppression) = &finding.suppression {
        let state = if suppression.expired {
            "expired waiver"
        } else {
            "waiver"
        };
        let mut line = format!(
            "{state}: {} ({}:{})",
            suppression.reason, suppression.file, suppression.line
        );
        if let Some(owner) = &suppression.owner {
            line.push_str(&format!(", owner {owner}"));
        }
        if let Some(expires) = &suppression.expires {
            line.push_str(&format!(", expires {expires}"));
        }
        if let Some(ticket) = &suppression.ticket {
            line.push_str(&format!(", ticket {ticket}"));
        }
        lines.push(line);
    }
    lines.push(format!("fingerprint: {}", finding.fingerprint));
    lines.join("\n")
}
