//! The run's results as text for a terminal, JSON, or JUnit XML.

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use crate::run::{Outcome, RunReport, TestResult};

/// Version of the JSON document's layout; it changes when a field is removed or changes
/// meaning.
pub const JSON_VERSION: u32 = 1;

/// Renders a header, one line per test and a summary line. Without `include_passed` only
/// failed tests and errors are listed, for a terminal that already showed progress lines.
pub fn render_human(report: &RunReport, include_passed: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "suite {} ({})", report.suite, report.path.display());
    for result in &report.results {
        if include_passed || result.outcome != Outcome::Passed {
            let _ = writeln!(out, "{}", progress_line(result));
        }
    }
    let _ = writeln!(out, "{}", summary_line(report));
    out
}

/// `PASS name (kind target): message`, as printed for each finished test.
pub fn progress_line(result: &TestResult) -> String {
    let label = match result.outcome {
        Outcome::Passed => "PASS ",
        Outcome::Failed => "FAIL ",
        Outcome::Error => "ERROR",
    };
    let retries = if result.attempts > 1 {
        format!(", {} attempts", result.attempts)
    } else {
        String::new()
    };
    format!(
        "{label} {} [{} {}] {} ({} ms{retries})",
        result.name,
        result.kind,
        result.target,
        result.message,
        result.duration.as_millis()
    )
}

/// Renders `N tests: P passed, F failed, E errors in S s`.
pub fn summary_line(report: &RunReport) -> String {
    let total = report.results.len();
    let noun = if total == 1 { "test" } else { "tests" };
    let errors = report.count(Outcome::Error);
    let error_noun = if errors == 1 { "error" } else { "errors" };
    format!(
        "{total} {noun}: {} passed, {} failed, {errors} {error_noun} in {:.1} s",
        report.count(Outcome::Passed),
        report.count(Outcome::Failed),
        report.duration.as_secs_f64()
    )
}

/// Renders the JSON document described in docs/live-tests.md.
pub fn render_json(report: &RunReport) -> Result<String, serde_json::Error> {
    let tests: Vec<serde_json::Value> = report
        .results
        .iter()
        .map(|result| {
            json!({
                "name": result.name,
                "kind": result.kind.as_str(),
                "target": result.target,
                "line": result.line,
                "outcome": result.outcome.as_str(),
                "message": result.message,
                "attempts": result.attempts,
                "duration_ms": result.duration.as_millis() as u64,
            })
        })
        .collect();
    let document = json!({
        "version": JSON_VERSION,
        "suite": { "name": report.suite, "path": report.path.display().to_string() },
        "started_at": report.started_at.to_string(),
        "duration_ms": report.duration.as_millis() as u64,
        "summary": {
            "total": report.results.len(),
            "passed": report.count(Outcome::Passed),
            "failed": report.count(Outcome::Failed),
            "errors": report.count(Outcome::Error),
        },
        "tests": tests,
    });
    let mut text = serde_json::to_string_pretty(&document)?;
    text.push('\n');
    Ok(text)
}

/// JUnit XML: one test suite, one test case per test with the kind as its class name.
/// Failed tests are `<failure>`, errors are `<error>`.
pub fn render_junit(report: &RunReport) -> Result<String, quick_junit::SerializeError> {
    let mut junit = Report::new("nexafi test");
    let mut suite = TestSuite::new(report.suite.clone());
    suite.add_property(Property::new(
        "suite_file",
        report.path.display().to_string(),
    ));
    suite.add_property(Property::new("started_at", report.started_at.to_string()));
    suite.set_time(report.duration);
    for result in &report.results {
        let status = match result.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed | Outcome::Error => {
                let kind = if result.outcome == Outcome::Failed {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut status = TestCaseStatus::non_success(kind);
                status.set_message(result.message.clone());
                status.set_type(result.outcome.as_str());
                status
            }
        };
        let mut case = TestCase::new(result.name.clone(), status);
        case.set_classname(result.kind.as_str());
        case.set_time(result.duration);
        case.add_property(Property::new("target", result.target.clone()));
        case.add_property(Property::new("attempts", result.attempts.to_string()));
        if result.outcome == Outcome::Passed {
            case.set_system_out(result.message.clone());
        }
        suite.add_test_case(case);
    }
    junit.add_test_suite(suite);
    junit.to_string()
}
