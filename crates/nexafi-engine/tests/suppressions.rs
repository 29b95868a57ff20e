//! How waivers, inline suppressions and baselines combine in a scan, on real files.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use jiff::civil::{Date, date};
use nexafi_engine::{EngineError, ScanOptions, scan};
use nexafi_model::{Finding, ScanResult, SuppressionKind, Verdict};

fn write(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn scan_on(root: &Path, today: Date, baseline: Option<&str>) -> Result<ScanResult, EngineError> {
    let options = ScanOptions {
        paths: vec![root.to_path_buf()],
        today: Some(today),
        baseline: baseline.map(|name| root.join(name)),
        ..ScanOptions::default()
    };
    scan(&options).map(|output| output.result)
}

fn key_findings<'a>(result: &'a ScanResult, resource: &str) -> Vec<&'a Finding> {
    result
        .findings
        .iter()
        .filter(|finding| finding.check_id == "NXF-AWS-KMS-001" && finding.resource == resource)
        .collect()
}

const KEY: &str = "resource \"aws_kms_key\" \"ledger\" {\n  enable_key_rotation = false\n}\n";

fn config_waiver(expires: &str) -> String {
    format!(
        "[[waiver]]\ncheck = \"NXF-AWS-KMS-001\"\nreason = \"HSM rotation\"\nowner = \"crypto\"\nexpires = {expires}\n"
    )
}

#[test]
fn expiry_day_still_applies() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", KEY);
    write(dir.path(), "nexafi.toml", &config_waiver("2027-01-01"));

    let last_day = scan_on(dir.path(), date(2027, 1, 1), None).unwrap();
    let finding = key_findings(&last_day, "aws_kms_key.ledger")[0];
    assert_eq!(finding.verdict, Verdict::Waived);

    let day_after = scan_on(dir.path(), date(2027, 1, 2), None).unwrap();
    let finding = key_findings(&day_after, "aws_kms_key.ledger")[0];
    assert_eq!(finding.verdict, Verdict::Fail);
    assert!(finding.suppression.as_ref().is_some_and(|s| s.expired));
    assert_eq!(day_after.waivers[0].matched, 1);
}

#[test]
fn waiver_in_force_beats_expired() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        &format!(
            "# nexafi:ignore NXF-AWS-KMS-001 reason=\"old exception\" expires=2020-01-01\n{KEY}"
        ),
    );
    write(dir.path(), "nexafi.toml", &config_waiver("2099-01-01"));
    let result = scan_on(dir.path(), date(2026, 6, 1), None).unwrap();
    let finding = key_findings(&result, "aws_kms_key.ledger")[0];
    assert_eq!(finding.verdict, Verdict::Waived);
    let suppression = finding.suppression.as_ref().unwrap();
    assert_eq!(suppression.kind, SuppressionKind::Waiver);

    // Configuration waivers are listed first, then inline ones.
    assert_eq!(result.waivers.len(), 2);
    assert_eq!(result.waivers[0].declaration.kind, SuppressionKind::Waiver);
    assert_eq!(result.waivers[0].matched, 1);
    assert_eq!(result.waivers[1].declaration.kind, SuppressionKind::Inline);
    assert_eq!(result.waivers[1].matched, 0);
}

#[test]
fn baseline_beats_expired_waiver() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", KEY);
    let written = scan(&ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        write_baseline: Some(dir.path().join("baseline.json")),
        today: Some(date(2026, 6, 1)),
        ..ScanOptions::default()
    })
    .unwrap();
    assert!(written.baseline_entries.is_some_and(|entries| entries >= 1));

    write(dir.path(), "nexafi.toml", &config_waiver("2020-01-01"));
    let result = scan_on(dir.path(), date(2026, 6, 1), Some("baseline.json")).unwrap();
    let finding = key_findings(&result, "aws_kms_key.ledger")[0];
    assert_eq!(finding.verdict, Verdict::Waived);
    let suppression = finding.suppression.as_ref().unwrap();
    assert_eq!(suppression.kind, SuppressionKind::Baseline);
    assert_eq!(suppression.accepted.as_deref(), Some("2026-06-01"));
    assert_eq!(result.waivers[0].matched, 0);
}

#[test]
fn inline_covers_every_module_instance() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "module \"keys\" {\n  source = \"./modules/key\"\n  count  = 2\n}\n\nmodule \"more\" {\n  source = \"./modules/key\"\n}\n",
    );
    write(
        dir.path(),
        "modules/key/main.tf",
        &format!("# nexafi:ignore NXF-AWS-KMS-001 reason=\"test keys\" expires=2099-01-01\n{KEY}"),
    );
    let result = scan_on(dir.path(), date(2026, 6, 1), None).unwrap();
    let keys: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|finding| finding.check_id == "NXF-AWS-KMS-001")
        .collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(
        keys.iter()
            .all(|finding| finding.verdict == Verdict::Waived)
    );
    // The module file is loaded once per call, but its comment is one declaration.
    assert_eq!(result.waivers.len(), 1);
    assert_eq!(result.waivers[0].matched, 3);
}

#[test]
fn load_errors_cannot_be_waived() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", KEY);
    write(
        dir.path(),
        "nexafi.toml",
        "[[waiver]]\ncheck = \"NXF-LOAD-ERROR\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2099-01-01\n",
    );
    let error = scan_on(dir.path(), date(2026, 6, 1), None).err().unwrap();
    let message = error.to_string();
    assert!(
        message.contains("nexafi.toml:2:9: unknown check id \"NXF-LOAD-ERROR\""),
        "{message}"
    );
}

#[test]
fn passing_findings_stay_passing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "resource \"aws_kms_key\" \"ledger\" {\n  enable_key_rotation = true\n}\n",
    );
    write(dir.path(), "nexafi.toml", &config_waiver("2099-01-01"));
    let result = scan_on(dir.path(), date(2026, 6, 1), None).unwrap();
    let finding = key_findings(&result, "aws_kms_key.ledger")[0];
    assert_eq!(finding.verdict, Verdict::Pass);
    assert!(finding.suppression.is_none());
    assert_eq!(result.waivers[0].matched, 0);
}
