//! `nexafi validate` with several `--format`/`--output` pairs, as users run it: real files
//! in a temporary directory, real exit statuses, every report read back.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn nexafi() -> Command {
    let mut command = Command::cargo_bin("nexafi").unwrap();
    command.env_remove("RUST_LOG").env("NO_COLOR", "1");
    command
}

/// Creates a tree with one failing KMS key.
fn failing_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_kms_key\" \"ledger\" {}\n",
    )
    .unwrap();
    dir
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_format_to_its_file() {
    let dir = failing_tree();
    nexafi()
        .current_dir(dir.path())
        .args(["validate", "--framework", "pci_dss"])
        .args(["--format", "sarif", "--output", "out.sarif"])
        .args(["--format", "junit", "--output", "out.xml"])
        .args(["--format", "oscal", "--output", "out.oscal.json"])
        .args(["--format", "markdown", "--output", "out.md"])
        .args(["--format", "html", "--output", "out.html"])
        .args(["--format", "json"])
        .arg(".")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"schema_version\""));

    let sarif = read_json(&dir.path().join("out.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(rules >= 80, "{rules} rules");
    let rotation = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "NXF-AWS-KMS-001")
        .cloned()
        .unwrap();
    assert_eq!(
        rotation["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "main.tf"
    );

    let oscal = read_json(&dir.path().join("out.oscal.json"));
    assert_eq!(
        oscal["assessment-results"]["metadata"]["oscal-version"],
        "1.1.2"
    );

    let junit = std::fs::read_to_string(dir.path().join("out.xml")).unwrap();
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(junit.contains("aws_kms_key.ledger"), "{junit}");

    let markdown = std::fs::read_to_string(dir.path().join("out.md")).unwrap();
    assert!(markdown.contains("`NXF-AWS-KMS-001`"), "{markdown}");

    let html = std::fs::read_to_string(dir.path().join("out.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("id=\"score-table\""));
}

#[test]
fn one_format_keeps_output_flag() {
    let dir = failing_tree();
    nexafi()
        .current_dir(dir.path())
        .args(["validate", "-f", "sarif", "-o", "report.sarif", "."])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let sarif = read_json(&dir.path().join("report.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn dash_output_is_stdout() {
    let dir = failing_tree();
    nexafi()
        .current_dir(dir.path())
        .args(["validate", "-f", "markdown", "-o", "-", "."])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("# nexafi compliance report"));
    assert!(!dir.path().join("-").exists());
}

#[test]
fn two_formats_on_stdout_rejected() {
    let dir = failing_tree();
    nexafi()
        .current_dir(dir.path())
        .args(["validate", "-f", "json", "-f", "sarif", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "formats json, sarif would all go to standard output",
        ));
}

#[test]
fn more_outputs_than_formats_rejected() {
    let dir = failing_tree();
    nexafi()
        .current_dir(dir.path())
        .args([
            "validate", "-f", "json", "-o", "a.json", "-o", "b.json", ".",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2 --output values but 1 --format"));
    assert!(!dir.path().join("a.json").exists());
}

#[test]
fn same_file_twice_rejected() {
    let dir = failing_tree();
    nexafi()
        .current_dir(dir.path())
        .args([
            "validate", "-f", "json", "-o", "r", "-f", "html", "-o", "r", ".",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--output r is given for two formats",
        ));
}

#[test]
fn unknown_format_lists_choices() {
    nexafi()
        .args(["validate", "-f", "pdf", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sarif").and(predicate::str::contains("oscal")));
}
