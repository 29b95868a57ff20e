//! The `nexafi` binary as users run it: real files in temporary directories, real exit
//! statuses, real output.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

mod common;

use common::{ACCOUNT_BASELINE, nexafi, write};

/// Runs `validate --format json` in `dir` on `.` and returns the exit status and report.
fn validate_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let output = nexafi()
        .current_dir(dir)
        .args(["validate", "--format", "json"])
        .args(extra)
        .arg(".")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("stdout is not JSON ({error}); stderr: {stderr}"));
    (output.status.code().unwrap_or(-1), report)
}

fn findings<'a>(report: &'a Value, check_id: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["check_id"] == check_id)
        .collect()
}

#[test]
fn validate_clean_tree_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "account.tf", ACCOUNT_BASELINE);
    write(
        dir.path(),
        "main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = true\n}\n",
    );
    let (status, report) = validate_json(dir.path(), &["--framework", "pci_dss"]);
    assert_eq!(status, 0, "report: {report:#}");
    let rotation = findings(&report, "NXF-AWS-KMS-001");
    assert_eq!(rotation.len(), 1);
    assert_eq!(rotation[0]["verdict"], "pass");
}

#[test]
fn validate_failure_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", "resource \"aws_kms_key\" \"k\" {}\n");
    let (status, report) = validate_json(dir.path(), &[]);
    assert_eq!(status, 1);
    let rotation = findings(&report, "NXF-AWS-KMS-001");
    assert_eq!(rotation[0]["verdict"], "fail");
    assert_eq!(rotation[0]["file"], "./main.tf");
    assert_eq!(rotation[0]["line"], 1);
    assert_eq!(rotation[0]["resource"], "aws_kms_key.k");
    assert_eq!(rotation[0]["attribute"], "enable_key_rotation");
}

#[test]
fn severity_threshold_above_failure_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", "resource \"aws_kms_key\" \"k\" {}\n");
    // Key rotation is a medium-severity check.
    let (status, _) = validate_json(dir.path(), &["--severity-threshold", "critical"]);
    assert_eq!(status, 0);
}

#[test]
fn unknown_fails_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "account.tf", ACCOUNT_BASELINE);
    write(
        dir.path(),
        "main.tf",
        "variable \"rotate\" {\n  type = bool\n}\nresource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = var.rotate\n}\n",
    );
    let (status, report) = validate_json(dir.path(), &[]);
    assert_eq!(
        findings(&report, "NXF-AWS-KMS-001")[0]["verdict"],
        "unknown"
    );
    assert_eq!(status, 0);
    let (status, _) = validate_json(dir.path(), &["--fail-on-unknown"]);
    assert_eq!(status, 1);
}

#[test]
fn var_flag_overrides_tfvars() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "variable \"rotate\" {\n  type = bool\n}\nresource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = var.rotate\n}\n",
    );
    write(dir.path(), "terraform.tfvars", "rotate = false\n");
    let (_, report) = validate_json(dir.path(), &[]);
    assert_eq!(findings(&report, "NXF-AWS-KMS-001")[0]["verdict"], "fail");
    let (_, report) = validate_json(dir.path(), &["--var", "rotate=true"]);
    assert_eq!(findings(&report, "NXF-AWS-KMS-001")[0]["verdict"], "pass");
}

#[test]
fn var_file_applies_after_tfvars() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "variable \"rotate\" {\n  type = bool\n}\nresource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = var.rotate\n}\n",
    );
    write(dir.path(), "terraform.tfvars", "rotate = false\n");
    write(dir.path(), "env/prod.tfvars", "rotate = true\n");
    let (_, report) = validate_json(dir.path(), &["--var-file", "env/prod.tfvars"]);
    assert_eq!(findings(&report, "NXF-AWS-KMS-001")[0]["verdict"], "pass");
}

#[test]
fn missing_var_file_is_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    nexafi()
        .current_dir(dir.path())
        .args(["validate", "--var-file", "absent.tfvars", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("absent.tfvars"));
}

#[test]
fn missing_path_is_usage_error() {
    nexafi()
        .args(["validate", "/nonexistent/nexafi-input"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/nexafi-input"));
}

#[test]
fn invalid_flag_is_usage_error() {
    nexafi()
        .args(["validate", "--severity-threshold", "urgent"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("urgent"));
}

#[test]
fn unknown_framework_is_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    nexafi()
        .current_dir(dir.path())
        .args(["validate", "--framework", "hipaa", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hipaa").and(predicate::str::contains("pci_dss")));
}

#[test]
fn framework_flag_limits_report() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", "resource \"aws_kms_key\" \"k\" {}\n");
    let (_, report) = validate_json(dir.path(), &["--framework", "pci,gdpr"]);
    let ids: Vec<&str> = report["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|framework| framework["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["pci_dss", "gdpr"]);
}

#[test]
fn output_flag_writes_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", "resource \"aws_kms_key\" \"k\" {}\n");
    nexafi()
        .current_dir(dir.path())
        .args([
            "validate",
            "--format",
            "json",
            "--output",
            "report.json",
            ".",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["schema_version"], "1.0");
}

#[test]
fn exclude_skips_matching_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "live/main.tf",
        "resource \"aws_kms_key\" \"live\" {}\n",
    );
    write(
        dir.path(),
        "fixtures/main.tf",
        "resource \"aws_kms_key\" \"fixture\" {}\n",
    );
    let (_, report) = validate_json(dir.path(), &["--exclude", "fixtures/**"]);
    let resources: Vec<&str> = findings(&report, "NXF-AWS-KMS-001")
        .iter()
        .map(|finding| finding["resource"].as_str().unwrap())
        .collect();
    assert_eq!(resources, vec!["aws_kms_key.live"]);
}

#[test]
fn gitignored_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "generated/\n");
    write(
        dir.path(),
        "main.tf",
        "resource \"aws_kms_key\" \"kept\" {}\n",
    );
    write(
        dir.path(),
        "generated/main.tf",
        "resource \"aws_kms_key\" \"ignored\" {}\n",
    );
    let (_, report) = validate_json(dir.path(), &[]);
    let resources: Vec<&str> = findings(&report, "NXF-AWS-KMS-001")
        .iter()
        .map(|finding| finding["resource"].as_str().unwrap())
        .collect();
    assert_eq!(resources, vec!["aws_kms_key.kept"]);
}

/// Asserts that a broken file yields one load error at the given place, that the run
/// fails, and that the good file beside it was still checked.
fn assert_load_error(broken_name: &str, broken_text: &str, line: u64) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), broken_name, broken_text);
    write(
        dir.path(),
        "good/main.tf",
        "resource \"aws_kms_key\" \"good\" {}\n",
    );
    let (status, report) = validate_json(dir.path(), &[]);
    assert_eq!(status, 1, "a load error must fail the run");
    let errors = findings(&report, "NXF-LOAD-ERROR");
    assert_eq!(errors.len(), 1, "errors: {errors:#?}");
    let error = errors[0];
    assert_eq!(error["verdict"], "error");
    assert_eq!(error["file"], format!("./{broken_name}"));
    assert_eq!(error["line"], line, "error: {error:#}");
    assert!(error["column"].as_u64().unwrap() >= 1);
    assert!(!error["message"].as_str().unwrap().is_empty());
    assert_eq!(
        findings(&report, "NXF-AWS-KMS-001").len(),
        1,
        "the good file was not scanned"
    );
}

#[test]
fn broken_terraform_is_reported() {
    assert_load_error(
        "broken/main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = \n}\n",
        2,
    );
}

#[test]
fn broken_yaml_is_reported() {
    assert_load_error(
        "deploy.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indentation\n",
        5,
    );
}

#[test]
fn broken_dockerfile_is_reported() {
    assert_load_error("Dockerfile", "FROM alpine:3.20\nRUNN echo hi\n", 2);
}

#[test]
fn non_utf8_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), b"kind: Pod\nname: \xff\xfe\n").unwrap();
    let (status, report) = validate_json(dir.path(), &[]);
    assert_eq!(status, 1);
    let errors = findings(&report, "NXF-LOAD-ERROR");
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["message"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(errors[0]["line"], 2, "the error points at the invalid byte");
    assert_eq!(errors[0]["column"], 7);
}

#[test]
fn non_kubernetes_yaml_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\njobs: {}\n",
    );
    write(dir.path(), "config.yaml", "log_level: debug\n");
    let (status, report) = validate_json(dir.path(), &[]);
    assert_eq!(status, 0, "report: {report:#}");
    assert!(report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn human_output_has_code_frame() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = false\n}\n",
    );
    nexafi()
        .current_dir(dir.path())
        .args(["validate", "."])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("./main.tf:2:")
                .and(predicate::str::contains("enable_key_rotation = false"))
                .and(predicate::str::contains("NXF-AWS-KMS-001"))
                .and(predicate::str::contains("PCI DSS")),
        );
}

#[test]
fn checks_list_has_sixty() {
    let output = nexafi()
        .args(["checks", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let checks: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(checks.as_array().unwrap().len() >= 60);
}

#[test]
fn checks_explain_every_check() {
    let output = nexafi()
        .args(["checks", "list", "--format", "json"])
        .output()
        .unwrap();
    let checks: Value = serde_json::from_slice(&output.stdout).unwrap();
    for check in checks.as_array().unwrap() {
        let id = check["id"].as_str().unwrap();
        nexafi()
            .args(["checks", "explain", id])
            .assert()
            .success()
            .stdout(
                predicate::str::contains(id)
                    .and(predicate::str::contains("What it checks"))
                    .and(predicate::str::contains("How to fix"))
                    .and(predicate::str::contains("Limitations")),
            );
    }
}

#[test]
fn checks_explain_by_slug_and_alias() {
    nexafi()
        .args(["checks", "explain", "kms-key-rotation-disabled"])
        .assert()
        .success()
        .stdout(predicate::str::contains("NXF-AWS-KMS-001"));
    nexafi()
        .args(["checks", "explain", "ckv_aws_7"])
        .assert()
        .success()
        .stdout(predicate::str::contains("NXF-AWS-KMS-001"));
}

#[test]
fn checks_explain_unknown_id() {
    nexafi()
        .args(["checks", "explain", "NXF-NOPE-001"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("checks list"));
}

#[test]
fn frameworks_list_shows_six_defaults() {
    let output = nexafi()
        .args(["frameworks", "list", "--format", "json"])
        .output()
        .unwrap();
    let frameworks: Value = serde_json::from_slice(&output.stdout).unwrap();
    let defaults: Vec<&str> = frameworks
        .as_array()
        .unwrap()
        .iter()
        .filter(|framework| framework["default"] == true)
        .map(|framework| framework["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        defaults,
        vec!["pci_dss", "soc2", "gdpr", "sox_itgc", "glba", "ffiec"]
    );
}

#[test]
fn frameworks_show_lists_controls() {
    nexafi()
        .args(["frameworks", "show", "pci"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("3.7.4")
                .and(predicate::str::contains("NXF-AWS-KMS-001"))
                .and(predicate::str::contains("manual evidence")),
        );
}

#[test]
fn completions_for_bash() {
    nexafi()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("validate")
                .and(predicate::str::contains("--severity-threshold")),
        );
}

#[test]
fn help_on_every_command() {
    for args in [
        vec!["--help"],
        vec!["validate", "--help"],
        vec!["checks", "--help"],
        vec!["checks", "list", "--help"],
        vec!["checks", "explain", "--help"],
        vec!["frameworks", "--help"],
        vec!["frameworks", "show", "--help"],
        vec!["completions", "--help"],
    ] {
        nexafi()
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage"));
    }
}

#[test]
fn broken_pipe_is_not_error() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nexafi"))
        .args(["checks", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once, as `| head -c0` would.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "status {status}, stderr: {stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn empty_directory_warns() {
    let dir = tempfile::tempdir().unwrap();
    nexafi()
        .current_dir(dir.path())
        .args(["validate", "."])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "found no Terraform, Kubernetes or Dockerfile input",
        ));
}
