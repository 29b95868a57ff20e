//! `nexafi validate --policy`: custom Rego policies from the command line.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;

fn nexafi() -> Command {
    let mut command = Command::cargo_bin("nexafi").unwrap();
    command.env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

const DOCKERFILE: &str = "FROM debian:12-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000\nUSER 10001\nHEALTHCHECK CMD [\"true\"]\nENTRYPOINT [\"/app\"]\n";

const POLICY: &str = r#"
package acme.images

__nexafi__ := {"id": "ACME-IMG-001", "severity": "high", "categories": ["image-provenance"]}

deny contains msg if {
  input.kind == "DockerfileStage"
  not startswith(input.body.from.reference, "registry.acme.example/")
  msg := sprintf("stage %s pulls %s from outside the company registry", [input.address, input.body.from.reference])
}
"#;

#[test]
fn policy_denial_fails_validate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), DOCKERFILE).unwrap();
    std::fs::write(dir.path().join("images.rego"), POLICY).unwrap();
    let output = nexafi()
        .args(["validate", "--format", "json", "--policy"])
        .arg(dir.path().join("images.rego"))
        .arg(dir.path().join("Dockerfile"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let denials: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["check_id"] == "ACME-IMG-001")
        .collect();
    assert_eq!(denials.len(), 1, "{report:#}");
    assert_eq!(denials[0]["verdict"], "fail");
    assert_eq!(denials[0]["severity"], "high");
    assert!(
        denials[0]["message"]
            .as_str()
            .unwrap()
            .contains("debian:12-slim")
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn missing_policy_path_is_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), DOCKERFILE).unwrap();
    let output = nexafi()
        .args(["validate", "--policy"])
        .arg(dir.path().join("absent"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read policy"), "{stderr}");
}

#[test]
fn config_policies_table_loads_policies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), DOCKERFILE).unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/images.rego"), POLICY).unwrap();
    std::fs::write(
        dir.path().join("nexafi.toml"),
        "[policies]\npaths = [\"policies\"]\n",
    )
    .unwrap();
    let output = nexafi()
        .args(["validate", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let denied = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|finding| finding["check_id"] == "ACME-IMG-001" && finding["verdict"] == "fail");
    assert!(denied, "{report:#}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn config_policies_table_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), DOCKERFILE).unwrap();
    std::fs::write(
        dir.path().join("nexafi.toml"),
        "[policies]\npath = [\"policies\"]\n",
    )
    .unwrap();
    let output = nexafi().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nexafi.toml:2"), "{stderr}");
}
