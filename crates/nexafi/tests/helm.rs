//! `nexafi validate` on Helm charts: the real binary renders the chart and the
//! Kubernetes checks run on the rendered objects.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn nexafi() -> Command {
    let mut command = Command::cargo_bin("nexafi").unwrap();
    command.env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

fn chart(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/helm")
        .join(name)
}

/// Runs `validate --format json` with extra arguments and returns the exit status and
/// the report.
fn validate(args: &[&str]) -> (i32, Value) {
    let output = nexafi()
        .args(["validate", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("stdout is not JSON ({error}); stderr: {stderr}"));
    (output.status.code().unwrap_or(-1), report)
}

fn findings<'a>(report: &'a Value, verdict: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["verdict"] == verdict)
        .collect()
}

fn check_ids(findings: &[&Value]) -> Vec<String> {
    findings
        .iter()
        .map(|finding| finding["check_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn hardened_chart_passes() {
    let path = chart("hardened");
    let (status, report) = validate(&[path.to_str().unwrap()]);
    assert_eq!(check_ids(&findings(&report, "fail")), Vec::<String>::new());
    assert_eq!(check_ids(&findings(&report, "error")), Vec::<String>::new());
    assert_eq!(status, 0);
    let passed = check_ids(&findings(&report, "pass"));
    assert!(passed.contains(&"NXF-K8S-POD-001".to_owned()), "{passed:?}");
}

#[test]
fn privileged_chart_fails() {
    let path = chart("privileged");
    let (status, report) = validate(&[path.to_str().unwrap()]);
    assert_eq!(status, 1);
    let failed = findings(&report, "fail");
    let privileged = failed
        .iter()
        .find(|finding| finding["check_id"] == "NXF-K8S-POD-001")
        .unwrap_or_else(|| panic!("no privileged finding in {:?}", check_ids(&failed)));
    let file = privileged["file"].as_str().unwrap();
    assert!(
        file.ends_with("templates/deployment.yaml [values.yaml]"),
        "{file}"
    );
    let message = privileged["message"].as_str().unwrap();
    assert!(
        message.contains("privileged/values.yaml:10:15"),
        "{message}"
    );
}

#[test]
fn helm_set_makes_hardened_fail() {
    let path = chart("hardened");
    let (status, report) = validate(&[
        "--helm-set",
        "securityContext.privileged=true",
        path.to_str().unwrap(),
    ]);
    assert_eq!(status, 1);
    assert!(check_ids(&findings(&report, "fail")).contains(&"NXF-K8S-POD-001".to_owned()));
}

#[test]
fn helm_values_file_applies() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("override.yaml");
    std::fs::write(&values, "securityContext:\n  privileged: true\n").unwrap();
    let path = chart("hardened");
    let (status, report) = validate(&[
        "--helm-values",
        values.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_eq!(status, 1);
    let failed = findings(&report, "fail");
    let privileged = failed
        .iter()
        .find(|finding| finding["check_id"] == "NXF-K8S-POD-001")
        .unwrap();
    let message = privileged["message"].as_str().unwrap();
    assert!(message.contains("override.yaml:2:15"), "{message}");
}

#[test]
fn values_siblings_render_each() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("ledger");
    copy_dir(&chart("hardened"), &copy);
    std::fs::write(
        copy.join("values-debug.yaml"),
        "securityContext:\n  privileged: true\n",
    )
    .unwrap();

    let (status, _) = validate(&[copy.to_str().unwrap()]);
    assert_eq!(status, 0, "without the flag only the defaults render");

    let (status, report) = validate(&["--helm-values-siblings", copy.to_str().unwrap()]);
    assert_eq!(status, 1);
    let failed = findings(&report, "fail");
    let files: Vec<&str> = failed
        .iter()
        .map(|finding| finding["file"].as_str().unwrap())
        .collect();
    assert!(
        files.iter().all(|file| file.contains("values-debug.yaml")),
        "{files:?}"
    );
}

#[test]
fn broken_chart_is_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("broken");
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(
        root.join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        root.join("templates/cm.yaml"),
        "kind: ConfigMap\nname: {{ required \"set name\" .Values.name }}\n",
    )
    .unwrap();
    let (status, report) = validate(&[root.to_str().unwrap()]);
    assert_eq!(status, 1);
    let errors = findings(&report, "error");
    assert_eq!(check_ids(&errors), vec!["NXF-LOAD-ERROR".to_owned()]);
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains("set name"), "{message}");
    assert_eq!(errors[0]["line"], 2);
}

#[test]
fn invalid_helm_set_is_usage_error() {
    let path = chart("hardened");
    let output = nexafi()
        .args(["validate", "--helm-set", "novalue"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("expected KEY=VALUE"), "{stderr}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
