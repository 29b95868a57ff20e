//! Waivers, inline suppressions, baselines, attestations and `--diff-base`, through the
//! real binary on real files in temporary directories.

// Helpers of a test binary may unwrap: a panic is the test failure we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod common;

use common::{ACCOUNT_BASELINE, nexafi, write};

/// A key without rotation: the one failure (NXF-AWS-KMS-001) of the tree.
const UNROTATED_KEY: &str =
    "resource \"aws_kms_key\" \"ledger\" {\n  enable_key_rotation = false\n}\n";

/// A Terraform tree whose only failure is NXF-AWS-KMS-001 on `aws_kms_key.ledger`.
fn terraform_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "account.tf", ACCOUNT_BASELINE);
    write(dir.path(), "main.tf", UNROTATED_KEY);
    dir
}

fn waiver_toml(expires: &str) -> String {
    format!(
        "[[waiver]]\ncheck = \"NXF-AWS-KMS-001\"\nresource = \"aws_kms_key.ledger\"\nreason = \"Rotation is done by the HSM\"\nowner = \"crypto-team\"\nexpires = {expires}\nticket = \"SEC-9\"\n"
    )
}

fn run(dir: &Path, args: &[&str]) -> Output {
    nexafi()
        .current_dir(dir)
        .arg("validate")
        .args(args)
        .output()
        .unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `validate --format json` with `args` in `dir` and returns the exit status and
/// the report.
fn validate_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let output = run(dir, &all);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}); status {:?}, stderr: {}",
            output.status,
            stderr(&output)
        )
    });
    (code(&output), report)
}

fn findings<'a>(report: &'a Value, check_id: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["check_id"] == check_id)
        .collect()
}

/// Returns the one finding of `check_id` on `resource`.
fn finding<'a>(report: &'a Value, check_id: &str, resource: &str) -> &'a Value {
    let matching: Vec<&Value> = findings(report, check_id)
        .into_iter()
        .filter(|finding| finding["resource"] == resource)
        .collect();
    assert_eq!(matching.len(), 1, "findings of {check_id} on {resource}");
    matching[0]
}

fn failing(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["verdict"] == "fail")
        .map(|finding| {
            (
                finding["check_id"].as_str().unwrap().to_owned(),
                finding["resource"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn tree_fails_without_waiver() {
    let dir = terraform_tree();
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 1);
    assert_eq!(
        failing(&report),
        vec![(
            "NXF-AWS-KMS-001".to_owned(),
            "aws_kms_key.ledger".to_owned()
        )]
    );
    assert_eq!(report["waivers"], Value::Array(Vec::new()));
}

#[test]
fn waiver_applied() {
    let dir = terraform_tree();
    write(dir.path(), "nexafi.toml", &waiver_toml("2099-12-31"));
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 0);
    let key = finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.ledger");
    assert_eq!(key["verdict"], "waived");
    let suppression = &key["suppression"];
    assert_eq!(suppression["kind"], "waiver");
    assert_eq!(suppression["file"], "nexafi.toml");
    assert_eq!(suppression["line"], 1);
    assert_eq!(suppression["reason"], "Rotation is done by the HSM");
    assert_eq!(suppression["owner"], "crypto-team");
    assert_eq!(suppression["expires"], "2099-12-31");
    assert_eq!(suppression["ticket"], "SEC-9");
    assert_eq!(suppression["expired"], false);
    assert_eq!(report["summary"]["waived"], 1);
    assert_eq!(report["inputs"]["config"], "nexafi.toml");
    assert_eq!(report["waivers"][0]["matched"], 1);
    assert_eq!(report["waivers"][0]["target"], "aws_kms_key.ledger");
}

#[test]
fn waiver_by_path_glob() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "account.tf", ACCOUNT_BASELINE);
    write(dir.path(), "legacy/main.tf", UNROTATED_KEY);
    write(
        dir.path(),
        "nexafi.toml",
        "[[waiver]]\ncheck = \"NXF-AWS-KMS-*\"\npath = \"legacy/**\"\nreason = \"Legacy stack, removed in Q3\"\nowner = \"platform\"\nexpires = \"2099-12-31\"\n",
    );
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 0);
    let key = finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.ledger");
    assert_eq!(key["verdict"], "waived");
    assert_eq!(report["waivers"][0]["target"], "legacy/**");
}

#[test]
fn waiver_found_from_subdirectory_scan() {
    // The configuration lives at the Git work tree root, above the scanned path.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), "infra/account.tf", ACCOUNT_BASELINE);
    write(dir.path(), "infra/main.tf", UNROTATED_KEY);
    write(dir.path(), "nexafi.toml", &waiver_toml("2099-12-31"));
    let (status, report) = validate_json(&dir.path().join("infra"), &["."]);
    assert_eq!(status, 0);
    assert_eq!(
        finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.ledger")["verdict"],
        "waived"
    );
}

#[test]
fn waiver_expired() {
    let dir = terraform_tree();
    write(dir.path(), "nexafi.toml", &waiver_toml("2020-01-31"));
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 1);
    let key = finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.ledger");
    assert_eq!(key["verdict"], "fail");
    assert_eq!(key["suppression"]["expired"], true);
    assert_eq!(key["suppression"]["expires"], "2020-01-31");

    let human = run(dir.path(), &["."]);
    assert_eq!(code(&human), 1);
    let text = stdout(&human);
    assert!(
        text.contains("= waiver expired on 2020-01-31: Rotation is done by the HSM"),
        "{text}"
    );
}

#[test]
fn waiver_missing_reason() {
    let dir = terraform_tree();
    write(
        dir.path(),
        "nexafi.toml",
        "# Accepted risks\n\n[[waiver]]\ncheck = \"NXF-AWS-KMS-001\"\nowner = \"crypto-team\"\nexpires = 2099-12-31\n",
    );
    let output = run(dir.path(), &["."]);
    assert_eq!(code(&output), 2);
    assert!(output.stdout.is_empty());
    let message = stderr(&output);
    assert!(
        message.contains(
            "nexafi.toml:3:1: missing `reason`; add reason = \"why the risk is accepted\""
        ),
        "{message}"
    );
}

#[test]
fn waiver_missing_expiry() {
    let dir = terraform_tree();
    write(
        dir.path(),
        "nexafi.toml",
        "[[waiver]]\ncheck = \"NXF-AWS-KMS-001\"\nreason = \"r\"\nowner = \"crypto-team\"\n",
    );
    let output = run(dir.path(), &["."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("nexafi.toml:1:1: missing `expires`; add expires = 2027-03-31"),
        "{message}"
    );
}

#[test]
fn waiver_bad_date() {
    let dir = terraform_tree();
    write(dir.path(), "nexafi.toml", &waiver_toml("\"2099-31-12\""));
    let output = run(dir.path(), &["."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("nexafi.toml:6:11: invalid date"),
        "{message}"
    );
}

#[test]
fn waiver_unknown_key() {
    let dir = terraform_tree();
    let text = waiver_toml("2099-12-31") + "approved_by = \"cto\"\n";
    write(dir.path(), "nexafi.toml", &text);
    let output = run(dir.path(), &["."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("nexafi.toml:8:1: unknown field `approved_by`"),
        "{message}"
    );
}

#[test]
fn waiver_unused() {
    let dir = terraform_tree();
    let text = waiver_toml("2099-12-31").replace("aws_kms_key.ledger", "aws_kms_key.retired");
    write(dir.path(), "nexafi.toml", &text);
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 1);
    assert_eq!(report["waivers"][0]["matched"], 0);
    assert_eq!(report["waivers"][0]["check"], "NXF-AWS-KMS-001");

    let human = stdout(&run(dir.path(), &["."]));
    assert!(
        human.contains("warning: 1 unused waiver matched no finding"),
        "{human}"
    );
    assert!(
        human.contains("nexafi.toml:1 NXF-AWS-KMS-001 on aws_kms_key.retired, expires 2099-12-31"),
        "{human}"
    );
}

#[test]
fn config_flag_overrides() {
    let dir = terraform_tree();
    write(dir.path(), "nexafi.toml", &waiver_toml("2020-01-31"));
    write(dir.path(), "other/waivers.toml", &waiver_toml("2099-12-31"));
    let (status, report) = validate_json(dir.path(), &["--config", "other/waivers.toml", "."]);
    assert_eq!(status, 0);
    assert_eq!(report["inputs"]["config"], "other/waivers.toml");

    let missing = run(dir.path(), &["--config", "absent.toml", "."]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("absent.toml"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn inline_terraform() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "account.tf", ACCOUNT_BASELINE);
    write(
        dir.path(),
        "main.tf",
        "# Fixture key, destroyed every night.\n// nexafi:ignore NXF-AWS-KMS-001 reason=\"fixture key\" expires=2099-12-31 owner=qa\nresource \"aws_kms_key\" \"ledger\" {\n  enable_key_rotation = false\n}\n\nresource \"aws_kms_key\" \"payments\" {\n  enable_key_rotation = false # nexafi:ignore NXF-AWS-KMS-001 reason=\"moved to the HSM\" expires=2099-12-31\n}\n",
    );
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 0);
    let ledger = finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.ledger");
    assert_eq!(ledger["verdict"], "waived");
    assert_eq!(ledger["suppression"]["kind"], "inline");
    assert_eq!(ledger["suppression"]["file"], "./main.tf");
    assert_eq!(ledger["suppression"]["line"], 2);
    assert_eq!(ledger["suppression"]["owner"], "qa");
    let payments = finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.payments");
    assert_eq!(payments["verdict"], "waived");
    assert_eq!(payments["suppression"]["line"], 8);
    assert_eq!(report["waivers"].as_array().unwrap().len(), 2);
}

#[test]
fn inline_needs_adjacent_comment() {
    // A blank line between the comment and the block detaches the comment.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "account.tf", ACCOUNT_BASELINE);
    write(
        dir.path(),
        "main.tf",
        &format!(
            "# nexafi:ignore NXF-AWS-KMS-001 reason=\"fixture key\" expires=2099-12-31\n\n{UNROTATED_KEY}"
        ),
    );
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 1);
    assert_eq!(
        finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.ledger")["verdict"],
        "fail"
    );
    assert_eq!(report["waivers"][0]["matched"], 0);
}

/// A Deployment whose only failures come from `privileged: true`.
const PRIVILEGED_DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger
  namespace: payments
spec:
  template:
    spec:
      automountServiceAccountToken: false
      securityContext:
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: registry.example.com/ledger@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          securityContext:
            privileged: true
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          resources:
            limits:
              cpu: "1"
              memory: 512Mi
"#;

#[test]
fn inline_kubernetes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deploy.yaml", PRIVILEGED_DEPLOYMENT);
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 1);
    let address = "apps/v1/Deployment/payments/ledger";
    assert_eq!(
        finding(&report, "NXF-K8S-POD-001", address)["verdict"],
        "fail"
    );

    let commented = PRIVILEGED_DEPLOYMENT.replace(
        "privileged: true",
        "privileged: true  # nexafi:ignore NXF-K8S-POD-001,NXF-K8S-POD-002 reason=\"CNI agent needs host networking\" expires=2099-12-31 ticket=NET-7",
    );
    write(dir.path(), "deploy.yaml", &commented);
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 0);
    let privileged = finding(&report, "NXF-K8S-POD-001", address);
    assert_eq!(privileged["verdict"], "waived");
    assert_eq!(privileged["suppression"]["kind"], "inline");
    assert_eq!(privileged["suppression"]["line"], 17);
    assert_eq!(privileged["suppression"]["ticket"], "NET-7");
    assert_eq!(
        finding(&report, "NXF-K8S-POD-002", address)["verdict"],
        "waived"
    );
}

#[test]
fn inline_kubernetes_above_document() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "---\n# nexafi:ignore NXF-K8S-POD-* reason=\"CNI agent\" expires=2099-12-31\n{PRIVILEGED_DEPLOYMENT}"
    );
    write(dir.path(), "deploy.yaml", &text);
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 0);
    let privileged = finding(
        &report,
        "NXF-K8S-POD-001",
        "apps/v1/Deployment/payments/ledger",
    );
    assert_eq!(privileged["suppression"]["line"], 2);
}

const ROOT_DOCKERFILE: &str = "FROM gcr.io/distroless/cc-debian12:nonroot@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nCOPY app /app\nUSER root\nHEALTHCHECK CMD [\"/app\", \"--health\"]\nENTRYPOINT [\"/app\"]\n";

#[test]
fn inline_dockerfile() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", ROOT_DOCKERFILE);
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 1);
    assert_eq!(
        failing(&report),
        vec![("NXF-DOCKER-001".to_owned(), "Dockerfile/stage:0".to_owned())]
    );

    let commented = ROOT_DOCKERFILE.replace(
        "USER root\n",
        "# The agent reads host logs.\n# nexafi:ignore NXF-DOCKER-001 reason=\"reads /var/log of the host\" expires=2099-12-31 owner=sre\nUSER root\n",
    );
    write(dir.path(), "Dockerfile", &commented);
    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 0);
    let root = finding(&report, "NXF-DOCKER-001", "Dockerfile/stage:0");
    assert_eq!(root["verdict"], "waived");
    assert_eq!(root["suppression"]["line"], 4);
    assert_eq!(root["suppression"]["owner"], "sre");
}

#[test]
fn inline_missing_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "account.tf", ACCOUNT_BASELINE);
    write(
        dir.path(),
        "main.tf",
        "resource \"aws_kms_key\" \"ledger\" {\n  # nexafi:ignore NXF-AWS-KMS-001 expires=2099-12-31\n  enable_key_rotation = false\n}\n",
    );
    let output = run(dir.path(), &["."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("main.tf:2:5: nexafi:ignore is missing `reason`"),
        "{message}"
    );
}

#[test]
fn inline_missing_expiry() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        &format!("# nexafi:ignore NXF-DOCKER-001 reason=\"agent\"\n{ROOT_DOCKERFILE}"),
    );
    let output = run(dir.path(), &["."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("Dockerfile:1:3: nexafi:ignore is missing `expires`"),
        "{message}"
    );
}

#[test]
fn baseline_survives_moved_lines() {
    let dir = terraform_tree();
    let written = run(dir.path(), &["--write-baseline", "baseline.json", "."]);
    assert_eq!(code(&written), 1, "the run still reports the failure");
    assert!(
        stderr(&written).contains("wrote 1 entry to the baseline baseline.json"),
        "{}",
        stderr(&written)
    );
    let baseline: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(baseline["version"], 1);
    let entry = &baseline["entries"][0];
    assert_eq!(entry["check_id"], "NXF-AWS-KMS-001");
    assert_eq!(entry["resource"], "aws_kms_key.ledger");
    assert_eq!(entry["file"], "main.tf");
    assert_eq!(baseline["entries"].as_array().unwrap().len(), 1);

    // Push the old block down and add a new failing key above it.
    write(
        dir.path(),
        "main.tf",
        &format!(
            "# Keys of the ledger.\n\nresource \"aws_kms_key\" \"new\" {{\n  enable_key_rotation = false\n}}\n\n\n{UNROTATED_KEY}"
        ),
    );
    let (status, report) = validate_json(dir.path(), &["--baseline", "baseline.json", "."]);
    assert_eq!(status, 1);
    let old = finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.ledger");
    assert_eq!(old["verdict"], "waived");
    assert_eq!(old["line"], 9);
    assert_eq!(old["suppression"]["kind"], "baseline");
    assert_eq!(old["suppression"]["accepted"], entry["accepted"]);
    let new = finding(&report, "NXF-AWS-KMS-001", "aws_kms_key.new");
    assert_eq!(new["verdict"], "fail");
    assert_eq!(report["inputs"]["baseline"], "baseline.json");
}

#[test]
fn baseline_rewrite_keeps_dates() {
    let dir = terraform_tree();
    let earlier = run(dir.path(), &["--write-baseline", "baseline.json", "."]);
    assert_eq!(code(&earlier), 1);
    let path = dir.path().join("baseline.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut baseline: Value = serde_json::from_str(&text).unwrap();
    baseline["entries"][0]["accepted"] = Value::from("2025-02-03");
    std::fs::write(&path, serde_json::to_string_pretty(&baseline).unwrap()).unwrap();

    write(
        dir.path(),
        "extra.tf",
        "resource \"aws_kms_key\" \"extra\" {\n  enable_key_rotation = false\n}\n",
    );
    let rewritten = run(
        dir.path(),
        &[
            "--baseline",
            "baseline.json",
            "--write-baseline",
            "baseline.json",
            ".",
        ],
    );
    assert_eq!(code(&rewritten), 1, "the extra key is new and fails");
    let baseline: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let entries = baseline["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let ledger = entries
        .iter()
        .find(|entry| entry["resource"] == "aws_kms_key.ledger")
        .unwrap();
    assert_eq!(ledger["accepted"], "2025-02-03");
    let extra = entries
        .iter()
        .find(|entry| entry["resource"] == "aws_kms_key.extra")
        .unwrap();
    assert_ne!(extra["accepted"], "2025-02-03");

    let (status, _) = validate_json(dir.path(), &["--baseline", "baseline.json", "."]);
    assert_eq!(status, 0);
}

#[test]
fn baseline_missing_file() {
    let dir = terraform_tree();
    let output = run(dir.path(), &["--baseline", "absent.json", "."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("absent.json:1:1: cannot read the baseline"),
        "{message}"
    );
}

fn attestation_toml(framework: &str, control: &str, date: &str) -> String {
    format!(
        "[[attestation]]\nframework = \"{framework}\"\ncontrol = \"{control}\"\nevidence = \"https://wiki.example.com/isms/{control}\"\nowner = \"ciso\"\ndate = {date}\nreview_interval_days = 365\n"
    )
}

fn control<'a>(report: &'a Value, framework: &str, id: &str) -> &'a Value {
    report["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["id"] == framework)
        .and_then(|result| {
            result["controls"]
                .as_array()
                .unwrap()
                .iter()
                .find(|control| control["id"] == id)
        })
        .unwrap_or_else(|| panic!("no control {framework} {id}"))
}

/// Returns the day `days` before today in UTC, the calendar nexafi uses.
fn days_ago(days: i64) -> jiff::civil::Date {
    let today = jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    today.checked_sub(jiff::Span::new().days(days)).unwrap()
}

#[test]
fn attested_and_overdue_controls() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "account.tf", ACCOUNT_BASELINE);
    // Reviewed 30 days ago every 365 days: current for another 335 days.
    let reviewed = days_ago(30);
    let due = reviewed.checked_add(jiff::Span::new().days(365)).unwrap();
    let config = attestation_toml("pci", "1.2.2", &reviewed.to_string())
        + "\n"
        + &attestation_toml("soc2", "CC2.1", "2020-01-10");
    write(dir.path(), "nexafi.toml", &config);

    let (status, report) = validate_json(dir.path(), &["."]);
    assert_eq!(status, 0, "attestations do not change the exit status");
    let current = control(&report, "pci_dss", "1.2.2");
    assert_eq!(current["status"], "manual");
    assert_eq!(current["attestation"]["date"], reviewed.to_string());
    assert_eq!(current["attestation"]["due"], due.to_string());
    assert_eq!(current["attestation"]["overdue"], false);
    assert_eq!(current["attestation"]["owner"], "ciso");
    let overdue = control(&report, "soc2", "CC2.1");
    assert_eq!(overdue["attestation"]["due"], "2021-01-09");
    assert_eq!(overdue["attestation"]["overdue"], true);
    assert!(
        control(&report, "pci_dss", "1.2.3")
            .get("attestation")
            .is_none()
    );

    let human = stdout(&run(dir.path(), &["."]));
    let expected = format!("PCI DSS 1.2.2: review due {due}; attested {reviewed} by ciso");
    assert!(human.contains(&expected), "{human}");
    assert!(
        human.contains("SOC 2 CC2.1: overdue: review was due 2021-01-09"),
        "{human}"
    );
}

#[test]
fn attestation_of_automated_control() {
    let dir = terraform_tree();
    write(
        dir.path(),
        "nexafi.toml",
        &attestation_toml("pci_dss", "3.7.4", "2026-01-10"),
    );
    let output = run(dir.path(), &["."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("nexafi.toml:3:11: PCI DSS 3.7.4 is not a manual control"),
        "{message}"
    );
    assert!(message.contains("NXF-AWS-KMS-001"), "{message}");
}

#[test]
fn attestation_of_unknown_control() {
    let dir = terraform_tree();
    write(
        dir.path(),
        "nexafi.toml",
        &attestation_toml("pci_dss", "99.9", "2026-01-10"),
    );
    let output = run(dir.path(), &["."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("nexafi.toml:3:11: PCI DSS has no control \"99.9\""),
        "{message}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A repository with two commits: the first has the unrotated ledger key, the second
/// adds an unrotated payments key in `infra/`.
fn two_commit_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    write(dir.path(), "infra/account.tf", ACCOUNT_BASELINE);
    write(dir.path(), "infra/main.tf", UNROTATED_KEY);
    // Files outside the scanned path, or not read by a scan, must not matter.
    write(dir.path(), "README.md", "# Platform\n");
    write(dir.path(), "other/main.tf", UNROTATED_KEY);
    git(dir.path(), &["add", "."]);
    git(
        dir.path(),
        &["commit", "--quiet", "-m", "Add the ledger key"],
    );
    git(dir.path(), &["tag", "first"]);
    write(
        dir.path(),
        "infra/main.tf",
        &format!(
            "resource \"aws_kms_key\" \"payments\" {{\n  enable_key_rotation = false\n}}\n\n{UNROTATED_KEY}"
        ),
    );
    git(
        dir.path(),
        &["commit", "--quiet", "-am", "Add the payments key"],
    );
    dir
}

#[test]
fn diff_base_reports_new_findings() {
    let dir = two_commit_repo();
    let (status, report) = validate_json(dir.path(), &["--diff-base", "first", "infra"]);
    assert_eq!(status, 1);
    assert_eq!(
        failing(&report),
        vec![(
            "NXF-AWS-KMS-001".to_owned(),
            "aws_kms_key.payments".to_owned()
        )]
    );
    assert_eq!(report["inputs"]["diff_base"], "first");
    assert_eq!(report["summary"]["fail"], 1);

    let (status, report) = validate_json(dir.path(), &["--diff-base", "HEAD", "infra"]);
    assert_eq!(status, 0);
    assert!(failing(&report).is_empty());
    // The control table still describes the whole tree.
    assert_eq!(
        control(&report, "pci_dss", "3.7.4")["status"],
        "not_satisfied"
    );

    let human = run(dir.path(), &["--diff-base", "HEAD", "infra"]);
    assert_eq!(code(&human), 0);
    let text = stdout(&human);
    assert!(
        text.contains("note: only findings that did not exist at HEAD are listed"),
        "{text}"
    );
}

#[test]
fn diff_base_from_subdirectory() {
    let dir = two_commit_repo();
    let (status, report) =
        validate_json(&dir.path().join("infra"), &["--diff-base", "HEAD~1", "."]);
    assert_eq!(status, 1);
    assert_eq!(failing(&report).len(), 1);
}

#[test]
fn diff_base_unknown_ref() {
    let dir = two_commit_repo();
    let output = run(dir.path(), &["--diff-base", "no-such-branch", "infra"]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("unknown Git ref \"no-such-branch\" for --diff-base"),
        "{message}"
    );
}

#[test]
fn diff_base_outside_git() {
    let dir = terraform_tree();
    let output = run(dir.path(), &["--diff-base", "main", "."]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("--diff-base needs a Git repository"),
        "{message}"
    );
}

const POLICY_DOCKERFILE: &str = "FROM debian:12-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000\nUSER 10001\nHEALTHCHECK CMD [\"true\"]\nENTRYPOINT [\"/app\"]\n";

/// A custom policy that denies base images from outside one registry.
const REGISTRY_POLICY: &str = r#"
package acme.images

__nexafi__ := {"id": "ACME-IMG-001", "severity": "high", "categories": ["image-provenance"]}

deny contains msg if {
  input.kind == "DockerfileStage"
  not startswith(input.body.from.reference, "registry.acme.example/")
  msg := sprintf("stage %s pulls %s from outside the company registry", [input.address, input.body.from.reference])
}
"#;

#[test]
fn policy_finding_waived_inline() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies/images.rego", REGISTRY_POLICY);
    write(dir.path(), "app/Dockerfile", POLICY_DOCKERFILE);
    let (status, report) = validate_json(dir.path(), &["--policy", "policies", "app"]);
    assert_eq!(status, 1);
    assert_eq!(
        finding(&report, "ACME-IMG-001", "Dockerfile/stage:0")["verdict"],
        "fail"
    );

    write(
        dir.path(),
        "app/Dockerfile",
        &format!(
            "# nexafi:ignore ACME-IMG-001 reason=\"mirrored nightly\" expires=2099-12-31\n{POLICY_DOCKERFILE}"
        ),
    );
    let (status, report) = validate_json(dir.path(), &["--policy", "policies", "app"]);
    assert_eq!(status, 0);
    let denial = finding(&report, "ACME-IMG-001", "Dockerfile/stage:0");
    assert_eq!(denial["verdict"], "waived");
    assert_eq!(denial["suppression"]["kind"], "inline");
}

#[test]
fn policy_id_in_config() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies/images.rego", REGISTRY_POLICY);
    write(dir.path(), "app/Dockerfile", POLICY_DOCKERFILE);
    // A Git work tree root, where nexafi.toml is looked up.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let waiver = "[[waiver]]\ncheck = \"ACME-IMG-001\"\npath = \"app/**\"\nreason = \"mirrored nightly\"\nowner = \"platform\"\nexpires = 2099-12-31\n";
    write(dir.path(), "nexafi.toml", waiver);

    let (status, report) = validate_json(dir.path(), &["--policy", "policies", "app"]);
    assert_eq!(status, 0);
    assert_eq!(
        finding(&report, "ACME-IMG-001", "Dockerfile/stage:0")["verdict"],
        "waived"
    );

    // A run without --policy accepts the file and reports the waiver as unused.
    let (status, report) = validate_json(dir.path(), &["app"]);
    assert_eq!(status, 0);
    assert_eq!(report["waivers"][0]["check"], "ACME-IMG-001");
    assert_eq!(report["waivers"][0]["matched"], 0);
}

#[test]
fn security_applies_waivers() {
    let dir = tempfile::tempdir().unwrap();
    let commented = ROOT_DOCKERFILE.replace(
        "USER root\n",
        "# nexafi:ignore NXF-DOCKER-001 reason=\"reads /var/log of the host\" expires=2099-12-31\nUSER root\n",
    );
    write(dir.path(), "Dockerfile", &commented);
    write(
        dir.path(),
        "nexafi.toml",
        "[[waiver]]\ncheck = \"NXF-DOCKER-002\"\nreason = \"no such finding\"\nowner = \"sre\"\nexpires = 2099-12-31\n",
    );
    let output = nexafi()
        .current_dir(dir.path())
        .args(["security", "--format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let root = finding(&report, "NXF-DOCKER-001", "Dockerfile/stage:0");
    assert_eq!(root["verdict"], "waived");
    let unused: Vec<&Value> = report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|waiver| waiver["matched"] == 0)
        .collect();
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0]["check"], "NXF-DOCKER-002");
}
