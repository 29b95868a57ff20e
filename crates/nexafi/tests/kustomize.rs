//! `nexafi validate` on Kustomize overlays, run as a user runs it: the real binary on
//! files in a temporary directory.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const PRIVILEGED: &str = "NXF-K8S-POD-001";

const BASE_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger
  namespace: payments
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.invalid/ledger:1.4.2
          securityContext:
            privileged: false
";

const PRIVILEGED_PATCH: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger
spec:
  template:
    spec:
      containers:
        - name: app
          securityContext:
            privileged: true
";

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Writes a base, and an overlay whose patch makes the container privileged.
fn overlay_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "base/kustomization.yaml",
                "resources:\n  - deployment.yaml\n",
            ),
            ("base/deployment.yaml", BASE_DEPLOYMENT),
            (
                "overlays/debug/kustomization.yaml",
                "resources:\n  - ../../base\nnamePrefix: debug-\npatches:\n  - path: privileged.yaml\n",
            ),
            ("overlays/debug/privileged.yaml", PRIVILEGED_PATCH),
        ],
    );
    dir
}

/// Runs `nexafi validate --format json PATH` in `dir` and returns the exit code and report.
fn validate(dir: &Path, path: &str) -> (Option<i32>, Value) {
    let output = Command::cargo_bin("nexafi")
        .unwrap()
        .current_dir(dir)
        .args(["validate", "--format", "json", path])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "invalid JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), report)
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
fn overlay_patch_fails_at_patch_line() {
    let dir = overlay_tree();
    let (code, report) = validate(dir.path(), ".");
    assert_eq!(code, Some(1));

    let privileged = findings(&report, PRIVILEGED);
    // The base is consumed by the overlay, so its Deployment is checked once, as built.
    assert_eq!(privileged.len(), 1, "{privileged:#?}");
    let finding = privileged[0];
    assert_eq!(finding["verdict"], "fail");
    assert_eq!(
        finding["resource"],
        "apps/v1/Deployment/payments/debug-ledger"
    );
    assert_eq!(finding["file"], "./overlays/debug/privileged.yaml");
    assert_eq!(finding["line"], 11);
}

#[test]
fn base_alone_passes() {
    let dir = overlay_tree();
    let (_, report) = validate(dir.path(), "base");
    let privileged = findings(&report, PRIVILEGED);
    assert_eq!(privileged.len(), 1, "{privileged:#?}");
    assert_eq!(privileged[0]["verdict"], "pass");
    assert_eq!(
        privileged[0]["resource"],
        "apps/v1/Deployment/payments/ledger"
    );
    assert_eq!(privileged[0]["file"], "base/deployment.yaml");
}

#[test]
fn missing_base_is_error_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "overlays/prod/kustomization.yaml",
            "namespace: payments\nresources:\n  - ../../base\n",
        )],
    );
    let (code, report) = validate(dir.path(), ".");
    assert_eq!(code, Some(1));
    let errors = findings(&report, "NXF-LOAD-ERROR");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = errors[0];
    assert_eq!(error["verdict"], "error");
    assert_eq!(error["file"], "./overlays/prod/kustomization.yaml");
    assert_eq!(error["line"], 3);
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("\"../../base\" not found"), "{message}");
}

#[test]
fn unconsumed_manifest_still_scanned() {
    let dir = overlay_tree();
    write(
        dir.path(),
        &[(
            "standalone/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tool\n  namespace: ops\nspec:\n  containers:\n    - name: tool\n      image: registry.example.invalid/tool:1.0.0\n      securityContext:\n        privileged: true\n",
        )],
    );
    let (_, report) = validate(dir.path(), ".");
    let privileged = findings(&report, PRIVILEGED);
    let files: Vec<&str> = privileged
        .iter()
        .map(|finding| finding["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        vec!["./overlays/debug/privileged.yaml", "./standalone/pod.yaml"]
    );
}
