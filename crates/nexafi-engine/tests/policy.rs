//! Custom Rego policies evaluated by a real scan of files in a temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use nexafi_engine::{EngineError, PolicyLimits, PolicySet, ScanOptions, scan};
use nexafi_model::{Finding, Severity, Verdict};

const DEPLOYMENTS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger
  namespace: payments
spec:
  template:
    spec:
      containers:
        - name: ledger
          image: registry.example.test/ledger:1.4.2
          securityContext:
            privileged: true
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway
  namespace: payments
spec:
  template:
    spec:
      containers:
        - name: gateway
          image: registry.example.test/gateway:2.0.0
"#;

const PRIVILEGED_POLICY: &str = r#"
package nexafi.custom.privileged

__nexafi__ := {
  "id": "ACME-K8S-001",
  "title": "Containers never run privileged",
  "severity": "critical",
  "categories": ["container-privileged-hostns"],
  "kinds": ["Deployment"],
}

deny contains msg if {
  some container in input.body.spec.template.spec.containers
  container.securityContext.privileged == true
  msg := sprintf("container %s of %s runs privileged", [container.name, input.address])
}
"#;

const TEAM_LABEL_POLICY: &str = r#"
package nexafi.custom.labels

warn contains {"msg": sprintf("%s has no team label", [input.address])} if {
  input.kind == "Deployment"
  not input.body.metadata.labels.team
}
"#;

fn write(root: &Path, name: &str, text: &str) -> PathBuf {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn scan_with(root: &Path, policies: Vec<PathBuf>) -> Result<Vec<Finding>, EngineError> {
    let options = ScanOptions {
        paths: vec![root.join("manifests")],
        policies,
        ..ScanOptions::default()
    };
    Ok(scan(&options)?.result.findings)
}

fn of_check<'a>(findings: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|finding| finding.check_id == id)
        .collect()
}

#[test]
fn deny_fails_and_compliant_resource_passes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "manifests/deployments.yaml", DEPLOYMENTS);
    let policies = write(dir.path(), "policies/privileged.rego", PRIVILEGED_POLICY);
    let findings = scan_with(dir.path(), vec![policies]).unwrap();

    let custom = of_check(&findings, "ACME-K8S-001");
    assert_eq!(custom.len(), 2, "{custom:#?}");
    let failed: Vec<_> = custom
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].severity, Severity::Critical);
    assert!(
        failed[0].message.contains("container ledger"),
        "{}",
        failed[0].message
    );
    assert!(failed[0].resource.ends_with("Deployment/payments/ledger"));
    assert!(failed[0].line > 0);
    assert!(
        failed[0].controls.contains_key("pci_dss"),
        "{:?}",
        failed[0].controls
    );
    let passed: Vec<_> = custom
        .iter()
        .filter(|f| f.verdict == Verdict::Pass)
        .collect();
    assert_eq!(passed.len(), 1);
    assert!(passed[0].resource.ends_with("Deployment/payments/gateway"));
}

#[test]
fn warn_reports_info_severity() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "manifests/deployments.yaml", DEPLOYMENTS);
    let policies = write(dir.path(), "policies/labels.rego", TEAM_LABEL_POLICY);
    let findings = scan_with(dir.path(), vec![dir.path().join("policies")]).unwrap();
    let _ = policies;

    let warnings = of_check(&findings, "REGO-nexafi.custom.labels");
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    for warning in warnings {
        assert_eq!(warning.verdict, Verdict::Fail);
        assert_eq!(warning.severity, Severity::Info);
        assert!(
            warning.message.ends_with("has no team label"),
            "{}",
            warning.message
        );
    }
}

#[test]
fn policy_unit_test_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "manifests/deployments.yaml", DEPLOYMENTS);
    write(dir.path(), "policies/privileged.rego", PRIVILEGED_POLICY);
    write(
        dir.path(),
        "policies/privileged_test.rego",
        "package broken\nthis is not rego",
    );
    let findings = scan_with(dir.path(), vec![dir.path().join("policies")]).unwrap();
    assert_eq!(of_check(&findings, "ACME-K8S-001").len(), 2);
}

#[test]
fn syntax_error_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "manifests/deployments.yaml", DEPLOYMENTS);
    let policy = write(
        dir.path(),
        "policies/broken.rego",
        "package broken\n\ndeny contains msg if {\n  msg := \n}\n",
    );
    let error = scan_with(dir.path(), vec![policy]).unwrap_err().to_string();
    assert!(error.contains("broken.rego"), "{error}");
    assert!(error.contains(":4"), "{error}");
}

#[test]
fn unknown_category_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "manifests/deployments.yaml", DEPLOYMENTS);
    let policy = write(
        dir.path(),
        "policies/bad_meta.rego",
        "package bad\n\n__nexafi__ := {\"categories\": [\"made-up\"]}\n\ndeny contains \"x\" if { false }\n",
    );
    let error = scan_with(dir.path(), vec![policy]).unwrap_err().to_string();
    assert!(error.contains("unknown category \"made-up\""), "{error}");
}

#[test]
fn empty_policy_directory_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "manifests/deployments.yaml", DEPLOYMENTS);
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    let error = scan_with(dir.path(), vec![dir.path().join("policies")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("no .rego file found"), "{error}");
}

#[test]
fn slow_policy_times_out_as_error_finding() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "manifests/deployments.yaml", DEPLOYMENTS);
    let policy = write(
        dir.path(),
        "policies/slow.rego",
        r#"
package slow

deny contains msg if {
  count([x | some a in numbers.range(1, 3000); some b in numbers.range(1, 3000); x := a * b]) > 0
  msg := "finished"
}
"#,
    );
    let limits = PolicyLimits {
        timeout: Duration::from_millis(200),
        ..PolicyLimits::default()
    };
    let mut set = PolicySet::load(&[policy], limits).unwrap();
    let sources = nexafi_model::SourceMap::new();
    let manifest = dir.path().join("manifests/deployments.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let loaded = nexafi_iac::kubernetes::load_file(&manifest, text, &sources);
    let model = nexafi_model::Model::new(sources, loaded.resources);
    let findings = set.evaluate_model(&model, &[dir.path().to_path_buf()]);

    assert_eq!(findings.len(), 2, "{findings:#?}");
    for finding in findings {
        assert_eq!(finding.verdict, Verdict::Error);
        assert_eq!(finding.check_id, nexafi_engine::policy::POLICY_ERROR_ID);
        assert!(finding.message.contains("slow"), "{}", finding.message);
    }
}

#[test]
fn unknown_values_reach_policies_marked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "manifests/main.tf",
        r#"
variable "retention" {}

resource "aws_cloudwatch_log_group" "audit" {
  name              = "audit"
  retention_in_days = var.retention
}
"#,
    );
    let policy = write(
        dir.path(),
        "policies/unknown.rego",
        r#"
package retention

deny contains msg if {
  input.kind == "aws_cloudwatch_log_group"
  reason := input.body.retention_in_days["$unknown"]
  msg := sprintf("retention unknown: %s", [reason])
}
"#,
    );
    let findings = scan_with(dir.path(), vec![policy]).unwrap();
    let denied = of_check(&findings, "REGO-retention");
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert!(
        denied[0].message.starts_with("retention unknown: "),
        "{}",
        denied[0].message
    );
    assert!(
        denied[0].message.contains("retention"),
        "{}",
        denied[0].message
    );
}
