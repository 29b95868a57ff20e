//! The platform code under `infrastructure/` as CI checks it: `nexafi validate` must pass
//! on the whole tree and on the Terraform of every environment, and must fail when a
//! copy of the Terraform loses a control that the platform depends on.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `nexafi validate --format json` in `dir` with `args` and returns the exit status
/// and the report.
fn validate_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let output = Command::cargo_bin("nexafi")
        .unwrap()
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(["validate", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("stdout is not JSON ({error}); stderr: {stderr}"));
    (output.status.code().unwrap_or(-1), report)
}

/// Returns "check resource (verdict): message" for every finding with one of `verdicts`.
fn findings_with(report: &Value, verdicts: &[&str]) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| verdicts.contains(&finding["verdict"].as_str().unwrap()))
        .map(|finding| {
            format!(
                "{} {} ({}): {}",
                finding["check_id"].as_str().unwrap(),
                finding["resource"].as_str().unwrap_or("-"),
                finding["verdict"].as_str().unwrap(),
                finding["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Copies infrastructure/terraform into a temporary directory and replaces `from` by `to`
/// in the file `relative`. The test fails unless `from` occurs exactly once there.
fn mutated_terraform(relative: &str, from: &str, to: &str) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(
        &repository_root().join("infrastructure/terraform"),
        copy.path(),
    );

    let path = copy.path().join(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "{relative} no longer contains the text to mutate exactly once: {from}"
    );
    std::fs::write(&path, text.replace(from, to)).unwrap();
    copy
}

fn failing(report: &Value, check_id: &str, resource: &str) -> bool {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|finding| {
            finding["check_id"] == check_id
                && finding["resource"] == resource
                && finding["verdict"] == "fail"
        })
}

/// The README's main command: the chart renders as it is installed, with the CI values
/// standing in for the image digests a release sets, and once per environment's values.
const WHOLE_TREE: &[&str] = &[
    "infrastructure",
    "--var-file",
    "infrastructure/terraform/environments/prod.tfvars",
    "--helm-values",
    "infrastructure/helm/nexafi-financial-services/ci/test-values.yaml",
    "--helm-values-siblings",
    "--helm-namespace",
    "nexafi-financial",
    "--helm-release",
    "nexafi-financial-services",
];

#[test]
fn whole_tree_validates() {
    let (status, report) = validate_json(&repository_root(), WHOLE_TREE);

    let bad = findings_with(&report, &["fail", "error"]);
    assert!(bad.is_empty(), "failing findings:\n{}", bad.join("\n"));
    assert_eq!(status, 0, "summary: {}", report["summary"]);
    let rendered = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|finding| {
            finding["file"]
                .as_str()
                .unwrap_or("")
                .contains("templates/deployment.yaml")
        });
    assert!(rendered, "the Helm chart was not rendered");
}

#[test]
fn chart_without_values_fails_to_render() {
    // The chart requires image digests, so its defaults alone must not pass silently.
    let (status, report) = validate_json(
        &repository_root(),
        &["infrastructure/helm/nexafi-financial-services"],
    );
    let errors = findings_with(&report, &["error"]);
    assert!(!errors.is_empty(), "summary: {}", report["summary"]);
    assert_eq!(status, 1);
}

#[test]
fn every_environment_validates() {
    for environment in ENVIRONMENTS {
        let var_file = format!("infrastructure/terraform/environments/{environment}.tfvars");
        let (status, report) = validate_json(
            &repository_root(),
            &["--var-file", &var_file, "infrastructure/terraform"],
        );

        let bad = findings_with(&report, &["fail", "error"]);
        assert!(bad.is_empty(), "{environment}:\n{}", bad.join("\n"));
        assert_eq!(status, 0, "{environment}: {}", report["summary"]);

        // With an environment's values, every input the checks read is known offline.
        let unknown = findings_with(&report, &["unknown"]);
        assert!(unknown.is_empty(), "{environment}:\n{}", unknown.join("\n"));
    }
}

#[test]
fn financial_taint_removed_fails() {
    let taint = r#"  taint {
    key    = "nexafi.io/workload"
    value  = "financial"
    effect = "NO_SCHEDULE"
  }
"#;
    let copy = mutated_terraform("modules/eks-cluster/main.tf", taint, "");

    let (status, report) = validate_json(
        copy.path(),
        &["--var-file", "environments/prod.tfvars", "."],
    );

    assert_eq!(status, 1, "summary: {}", report["summary"]);
    for resource in [
        "module.eks_primary.aws_eks_node_group.financial",
        "module.eks_dr.aws_eks_node_group.financial",
    ] {
        assert!(
            failing(&report, "NXF-AWS-EKS-005", resource),
            "no NXF-AWS-EKS-005 failure for {resource}; failures:\n{}",
            findings_with(&report, &["fail"]).join("\n")
        );
    }
}

#[test]
fn key_rotation_disabled_fails() {
    let copy = mutated_terraform(
        "modules/kms-keys/main.tf",
        "enable_key_rotation      = true",
        "enable_key_rotation      = false",
    );

    let (status, report) = validate_json(
        copy.path(),
        &["--var-file", "environments/prod.tfvars", "."],
    );

    assert_eq!(status, 1, "summary: {}", report["summary"]);
    for resource in [
        r#"module.kms_primary.aws_kms_key.this["rds"]"#,
        r#"module.kms_primary.aws_kms_key.this["vault-unseal"]"#,
        r#"module.kms_dr.aws_kms_key.this["backup"]"#,
    ] {
        assert!(
            failing(&report, "NXF-AWS-KMS-001", resource),
            "no NXF-AWS-KMS-001 failure for {resource}; failures:\n{}",
            findings_with(&report, &["fail"]).join("\n")
        );
    }
}
