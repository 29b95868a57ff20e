//! `nexafi validate` on a Terraform tree with variables, tfvars, a local module called with
//! `count` and split S3 resources: the verdict of each S3 check on each bucket.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const VERSIONING: &str = "NXF-AWS-S3-004";
const ENCRYPTION: &str = "NXF-AWS-S3-001";
const CUSTOMER_KEY: &str = "NXF-AWS-S3-002";

/// Runs the scan on the fixture and returns resource -> verdict for one check.
fn verdicts(check_id: &str, extra: &[&str]) -> BTreeMap<String, String> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/acceptance");
    let output = Command::cargo_bin("nexafi")
        .unwrap()
        .current_dir(&fixture)
        .args(["validate", "--format", "json"])
        .args(extra)
        .arg(".")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["check_id"] == check_id)
        .map(|finding| {
            (
                finding["resource"].as_str().unwrap().to_owned(),
                finding["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn expected(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(resource, verdict)| ((*resource).to_owned(), (*verdict).to_owned()))
        .collect()
}

#[test]
fn versioning_follows_tfvars_module_count_and_split_resources() {
    // terraform.tfvars turns the variable's "Suspended" default into "Enabled", and
    // prod.auto.tfvars raises the module's count from 1 to 2.
    assert_eq!(
        verdicts(VERSIONING, &[]),
        expected(&[
            ("aws_s3_bucket.reports", "fail"),
            ("aws_s3_bucket.suspended", "fail"),
            ("aws_s3_bucket.unversioned", "fail"),
            ("aws_s3_bucket.versioned", "pass"),
            ("module.ledger[0].aws_s3_bucket.this", "pass"),
            ("module.ledger[1].aws_s3_bucket.this", "pass"),
        ])
    );
}

#[test]
fn var_flag_overrides_tfvars_in_module() {
    assert_eq!(
        verdicts(
            VERSIONING,
            &[
                "--var",
                "versioning_status=Suspended",
                "--var",
                "ledger_bucket_count=3"
            ]
        ),
        expected(&[
            ("aws_s3_bucket.reports", "fail"),
            ("aws_s3_bucket.suspended", "fail"),
            ("aws_s3_bucket.unversioned", "fail"),
            ("aws_s3_bucket.versioned", "fail"),
            ("module.ledger[0].aws_s3_bucket.this", "fail"),
            ("module.ledger[1].aws_s3_bucket.this", "fail"),
            ("module.ledger[2].aws_s3_bucket.this", "fail"),
        ])
    );
}

#[test]
fn encryption_found_through_split_resources() {
    assert_eq!(
        verdicts(ENCRYPTION, &[]),
        expected(&[
            ("aws_s3_bucket.reports", "pass"),
            ("aws_s3_bucket.suspended", "fail"),
            ("aws_s3_bucket.unversioned", "fail"),
            ("aws_s3_bucket.versioned", "fail"),
            ("module.ledger[0].aws_s3_bucket.this", "pass"),
            ("module.ledger[1].aws_s3_bucket.this", "pass"),
        ])
    );
}

#[test]
fn customer_key_unknown_without_variable_value() {
    // The reports key comes from a variable with no value: unknown, never pass. The module
    // buckets get a key managed in the same configuration.
    assert_eq!(
        verdicts(CUSTOMER_KEY, &[]),
        expected(&[
            ("aws_s3_bucket.reports", "unknown"),
            ("aws_s3_bucket.suspended", "fail"),
            ("aws_s3_bucket.unversioned", "fail"),
            ("aws_s3_bucket.versioned", "fail"),
            ("module.ledger[0].aws_s3_bucket.this", "pass"),
            ("module.ledger[1].aws_s3_bucket.this", "pass"),
        ])
    );
    let with_key = verdicts(
        CUSTOMER_KEY,
        &[
            "--var",
            "reports_kms_key_arn=arn:aws:kms:eu-west-1:111122223333:key/example",
        ],
    );
    assert_eq!(
        with_key.get("aws_s3_bucket.reports").map(String::as_str),
        Some("pass")
    );
}
