//! The JUnit XML report: one test case per check and resource, read back by quick-junit's
//! parser, and a snapshot.

mod common;

use nexafi_report::render_junit;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus};

fn parsed() -> Report {
    let text = render_junit(&common::audit_fixture().result);
    match Report::deserialize_from_str(&text) {
        Ok(report) => report,
        Err(error) => panic!("render_junit wrote unreadable XML: {error}\n{text}"),
    }
}

fn case(report: &Report, check: &str, name: &str) -> TestCase {
    let found = report
        .test_suites
        .iter()
        .filter(|suite| suite.name.as_str().starts_with(check))
        .flat_map(|suite| suite.test_cases.iter())
        .find(|case| case.name.as_str() == name);
    match found {
        Some(case) => case.clone(),
        None => panic!("no test case {check} / {name}"),
    }
}

fn message(status: &TestCaseStatus) -> String {
    match status {
        TestCaseStatus::NonSuccess { message, .. } | TestCaseStatus::Skipped { message, .. } => {
            message
                .as_ref()
                .map(|text| text.as_str().to_owned())
                .unwrap_or_default()
        }
        TestCaseStatus::Success { .. } => String::new(),
    }
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!(render_junit(&common::audit_fixture().result));
}

#[test]
fn one_suite_per_check() {
    let report = parsed();
    assert_eq!(report.test_suites.len(), 6);
    assert_eq!(report.tests, 6);
    assert_eq!(report.failures, 2);
    assert_eq!(report.errors, 1);
    assert_eq!(report.skipped, 2);
}

#[test]
fn fail_is_failure() {
    let report = parsed();
    let rotation = case(&report, "NXF-AWS-KMS-001", "aws_kms_key.ledger");
    assert!(
        matches!(
            rotation.status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ..
            }
        ),
        "{:?}",
        rotation.status
    );
    assert_eq!(
        rotation.classname.as_ref().map(|name| name.as_str()),
        Some("NXF-AWS-KMS-001")
    );
}

#[test]
fn load_error_is_error() {
    let report = parsed();
    let chart = case(&report, "NXF-LOAD-ERROR", "charts/payments");
    assert!(
        matches!(
            chart.status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                ..
            }
        ),
        "{:?}",
        chart.status
    );
}

#[test]
fn waived_is_skipped_with_reason() {
    let report = parsed();
    let waived = case(&report, "NXF-AWS-KMS-002", "aws_kms_key.ledger");
    assert!(matches!(waived.status, TestCaseStatus::Skipped { .. }));
    assert_eq!(
        message(&waived.status),
        "waived: key is recreated by the ledger migration"
    );
}

#[test]
fn unknown_is_skipped() {
    let report = parsed();
    let unknown = case(&report, "NXF-AWS-S3-004", "aws_s3_bucket.audit_logs");
    assert!(matches!(unknown.status, TestCaseStatus::Skipped { .. }));
    assert!(message(&unknown.status).contains("no default"));
}

#[test]
fn expired_waiver_fails_again() {
    let report = parsed();
    let privileged = case(
        &report,
        "NXF-K8S-POD-001",
        "apps/v1/Deployment/payments/ledger",
    );
    assert!(matches!(
        privileged.status,
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            ..
        }
    ));
    assert!(
        message(&privileged.status).contains("waiver expired on 2026-10-01"),
        "{:?}",
        privileged.status
    );
}

#[test]
fn pass_is_success() {
    let report = parsed();
    let root = case(
        &report,
        "NXF-K8S-POD-002",
        "apps/v1/Deployment/payments/ledger",
    );
    assert!(matches!(root.status, TestCaseStatus::Success { .. }));
}
