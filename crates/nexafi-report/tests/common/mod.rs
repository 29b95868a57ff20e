//! A hand-made scan of a small Terraform file and a Kubernetes manifest, with findings
//! located by searching the real source text.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use nexafi_model::{
    Attestation, CheckDocs, CheckMeta, CheckStatus, ControlResult, ControlStatus, FileId, Finding,
    FrameworkResult, InputKind, ScanInputs, ScanResult, Severity, SourceMap, Span, Summary,
    Suppression, SuppressionKind, ToolInfo, Verdict, WaiverUse, fingerprint,
};

pub const TERRAFORM: &str = r#"resource "aws_kms_key" "ledger" {
  description         = "ledger key"
  enable_key_rotation = false
}

resource "aws_s3_bucket" "audit_logs" {
	bucket = var.audit_bucket_name
}
"#;

pub const MANIFEST: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger
  namespace: payments
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example/ledger:1.4
          securityContext:
            privileged: true
            runAsNonRoot: true
"#;

pub struct Fixture {
    pub sources: SourceMap,
    pub result: ScanResult,
}

/// A finding's location, as the engine writes it.
struct Place {
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

/// Locates the first match of `needle` in the file `id`.
fn place(sources: &SourceMap, id: FileId, needle: &str) -> Place {
    let Some(file) = sources.get(id) else {
        panic!("file {id:?} is not in the source map");
    };
    let Some(start) = file.text.find(needle) else {
        panic!("{needle:?} is not in {}", file.path.display());
    };
    let Some(location) = sources.locate(Span::new(id, start, start + needle.len())) else {
        panic!("{needle:?} cannot be located");
    };
    Place {
        file: location.path.display().to_string(),
        line: location.start.line,
        column: location.start.column,
        end_line: location.end.line,
        end_column: location.end.column,
    }
}

struct Spec<'a> {
    check_id: &'a str,
    title: &'a str,
    severity: Severity,
    verdict: Verdict,
    message: &'a str,
    categories: &'a [&'a str],
    controls: &'a [(&'a str, &'a [&'a str])],
    resource: &'a str,
    resource_kind: &'a str,
    attribute: Option<&'a str>,
    expected: Option<&'a str>,
    found: Option<&'a str>,
}

fn finding(place: Place, spec: Spec<'_>) -> Finding {
    Finding {
        check_id: spec.check_id.to_owned(),
        title: spec.title.to_owned(),
        severity: spec.severity,
        verdict: spec.verdict,
        message: spec.message.to_owned(),
        categories: spec.categories.iter().map(|c| (*c).to_owned()).collect(),
        controls: spec
            .controls
            .iter()
            .map(|(framework, ids)| {
                (
                    (*framework).to_owned(),
                    ids.iter().map(|id| (*id).to_owned()).collect(),
                )
            })
            .collect::<BTreeMap<_, _>>(),
        fingerprint: fingerprint(spec.check_id, &place.file, spec.resource, spec.attribute),
        suppression: None,
        file: place.file,
        line: place.line,
        column: place.column,
        end_line: place.end_line,
        end_column: place.end_column,
        resource: spec.resource.to_owned(),
        resource_kind: spec.resource_kind.to_owned(),
        attribute: spec.attribute.map(str::to_owned),
        expected: spec.expected.map(str::to_owned),
        found: spec.found.map(str::to_owned),
    }
}

fn control(
    id: &str,
    title: &str,
    status: ControlStatus,
    checks: &[&str],
    counts: [usize; 4],
) -> ControlResult {
    ControlResult {
        id: id.to_owned(),
        title: title.to_owned(),
        status,
        checks: checks.iter().map(|c| (*c).to_owned()).collect(),
        pass: counts[0],
        fail: counts[1],
        unknown: counts[2],
        waived: counts[3],
        attestation: None,
    }
}

/// Builds a scan with one finding of each verdict, in an unsorted order.
pub fn fixture() -> Fixture {
    let sources = SourceMap::new();
    let terraform = sources.add("infra/main.tf", TERRAFORM.to_owned());
    let manifest = sources.add("k8s/ledger.yaml", MANIFEST.to_owned());

    let findings = vec![
        finding(
            place(&sources, manifest, "true"),
            Spec {
                check_id: "NXF-K8S-POD-001",
                title: "Containers do not run privileged",
                severity: Severity::Critical,
                verdict: Verdict::Fail,
                message: "container app runs privileged; remove securityContext.privileged or set it to false",
                categories: &["workload-hardening"],
                controls: &[("pci_dss", &["2.2.1"]), ("soc2", &["CC6.8"])],
                resource: "apps/v1/Deployment/payments/ledger",
                resource_kind: "Deployment",
                attribute: Some("spec.template.spec.containers.0.securityContext.privileged"),
                expected: Some("false"),
                found: Some("true"),
            },
        ),
        finding(
            place(&sources, terraform, "false"),
            Spec {
                check_id: "NXF-AWS-KMS-001",
                title: "KMS customer-managed keys rotate automatically",
                severity: Severity::Medium,
                verdict: Verdict::Fail,
                message: "automatic key rotation is disabled; set enable_key_rotation = true",
                categories: &["key-rotation"],
                controls: &[("ffiec", &["IS.II.C.19"]), ("pci_dss", &["3.7.4"])],
                resource: "aws_kms_key.ledger",
                resource_kind: "aws_kms_key",
                attribute: Some("enable_key_rotation"),
                expected: Some("true"),
                found: Some("false"),
            },
        ),
        finding(
            place(&sources, terraform, "var.audit_bucket_name"),
            Spec {
                check_id: "NXF-AWS-S3-004",
                title: "S3 bucket names follow the data-classification prefix",
                severity: Severity::Low,
                verdict: Verdict::Unknown,
                message: "var.audit_bucket_name has no default and no value was given",
                categories: &["asset-inventory"],
                controls: &[],
                resource: "aws_s3_bucket.audit_logs",
                resource_kind: "aws_s3_bucket",
                attribute: Some("bucket"),
                expected: None,
                found: Some("(unknown: var.audit_bucket_name has no value)"),
            },
        ),
        finding(
            place(&sources, manifest, "runAsNonRoot: true"),
            Spec {
                check_id: "NXF-K8S-POD-002",
                title: "Containers run as a non-root user",
                severity: Severity::High,
                verdict: Verdict::Pass,
                message: "container app sets runAsNonRoot: true",
                categories: &["workload-hardening"],
                controls: &[("pci_dss", &["2.2.1"])],
                resource: "apps/v1/Deployment/payments/ledger",
                resource_kind: "Deployment",
                attribute: Some("spec.template.spec.containers.0.securityContext.runAsNonRoot"),
                expected: None,
                found: None,
            },
        ),
        finding(
            place(&sources, terraform, "\"ledger\""),
            Spec {
                check_id: "NXF-AWS-KMS-002",
                title: "KMS keys have a deletion window of at least 30 days",
                severity: Severity::Low,
                verdict: Verdict::Waived,
                message: "`deletion_window_in_days` is 7; set it to 30 or more",
                categories: &["kms-key-access"],
                controls: &[("pci_dss", &["3.6.1"])],
                resource: "aws_kms_key.ledger",
                resource_kind: "aws_kms_key",
                attribute: Some("deletion_window_in_days"),
                expected: Some(">= 30"),
                found: None,
            },
        ),
        Finding {
            check_id: "NXF-LOAD-ERROR".to_owned(),
            title: "Input could not be loaded".to_owned(),
            severity: Severity::High,
            verdict: Verdict::Error,
            message: "helm is not installed, so the chart cannot be rendered; install helm 3 or scan rendered manifests".to_owned(),
            categories: Vec::new(),
            controls: BTreeMap::new(),
            fingerprint: fingerprint("NXF-LOAD-ERROR", "charts/payments", "", None),
            suppression: None,
            file: "charts/payments".to_owned(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            resource: String::new(),
            resource_kind: String::new(),
            attribute: None,
            expected: None,
            found: None,
        },
    ];

    let mut findings = findings;
    let waiver = Suppression {
        kind: SuppressionKind::Waiver,
        file: "nexafi.toml".to_owned(),
        line: 4,
        reason: "key is recreated by the ledger migration".to_owned(),
        owner: Some("platform-team".to_owned()),
        expires: Some("2027-01-31".to_owned()),
        ticket: Some("SEC-42".to_owned()),
        accepted: None,
        expired: false,
    };
    let expired = Suppression {
        kind: SuppressionKind::Inline,
        file: "infra/main.tf".to_owned(),
        line: 1,
        reason: "rotation moves to the HSM".to_owned(),
        owner: None,
        expires: Some("2026-01-31".to_owned()),
        ticket: None,
        accepted: None,
        expired: true,
    };
    let unused = Suppression {
        kind: SuppressionKind::Waiver,
        file: "nexafi.toml".to_owned(),
        line: 11,
        reason: "bucket is being retired".to_owned(),
        owner: Some("storage-team".to_owned()),
        expires: Some("2027-06-30".to_owned()),
        ticket: None,
        accepted: None,
        expired: false,
    };
    findings[4].suppression = Some(waiver.clone());
    findings[1].suppression = Some(expired.clone());
    let waivers = vec![
        WaiverUse {
            declaration: waiver,
            check: "NXF-AWS-KMS-002".to_owned(),
            target: Some("aws_kms_key.ledger".to_owned()),
            matched: 1,
        },
        WaiverUse {
            declaration: unused,
            check: "NXF-AWS-S3-*".to_owned(),
            target: Some("legacy/**".to_owned()),
            matched: 0,
        },
        WaiverUse {
            declaration: expired,
            check: "NXF-AWS-KMS-001".to_owned(),
            target: None,
            matched: 1,
        },
    ];

    let mut frameworks = vec![
        FrameworkResult {
            id: "pci_dss".to_owned(),
            name: "PCI DSS".to_owned(),
            version: "4.0.1".to_owned(),
            score: Some(33.33),
            coverage: 75.0,
            satisfied: 1,
            not_satisfied: 2,
            not_assessed: 0,
            manual: 1,
            controls: vec![
                control(
                    "2.2.1",
                    "Configuration standards cover every system component",
                    ControlStatus::NotSatisfied,
                    &["NXF-K8S-POD-001", "NXF-K8S-POD-002"],
                    [1, 2, 0, 0],
                ),
                control(
                    "3.6.1",
                    "Key-management procedures protect cryptographic keys",
                    ControlStatus::Satisfied,
                    &["NXF-AWS-KMS-002"],
                    [0, 0, 0, 1],
                ),
                control(
                    "3.7.4",
                    "Keys are changed at the end of their cryptoperiod",
                    ControlStatus::NotSatisfied,
                    &["NXF-AWS-KMS-001"],
                    [0, 2, 0, 0],
                ),
                control(
                    "12.1.1",
                    "An information security policy is published",
                    ControlStatus::Manual,
                    &[],
                    [0, 0, 0, 0],
                ),
            ],
        },
        FrameworkResult {
            id: "soc2".to_owned(),
            name: "SOC 2 - AICPA Trust Services Criteria".to_owned(),
            version: "2017 TSC (with revised points of focus, 2022)".to_owned(),
            score: None,
            coverage: 50.0,
            satisfied: 0,
            not_satisfied: 0,
            not_assessed: 1,
            manual: 1,
            controls: vec![
                control(
                    "CC6.8",
                    "Unauthorized or malicious software is prevented or detected",
                    ControlStatus::NotAssessed,
                    &["NXF-K8S-POD-001"],
                    [0, 0, 1, 0],
                ),
                control(
                    "CC1.1",
                    "The entity demonstrates integrity and ethical values",
                    ControlStatus::Manual,
                    &[],
                    [0, 0, 0, 0],
                ),
            ],
        },
    ];

    frameworks[0].controls[3].attestation = Some(Attestation {
        evidence: "https://wiki.example.com/isms/policy-v3".to_owned(),
        owner: "ciso".to_owned(),
        date: "2026-03-01".to_owned(),
        review_interval_days: 365,
        due: "2027-03-01".to_owned(),
        overdue: false,
    });
    frameworks[1].controls[1].attestation = Some(Attestation {
        evidence: "HR handbook v4, section 2".to_owned(),
        owner: "people-team".to_owned(),
        date: "2024-01-10".to_owned(),
        review_interval_days: 365,
        due: "2025-01-09".to_owned(),
        overdue: true,
    });

    let result = ScanResult {
        tool: ToolInfo {
            name: "nexafi".to_owned(),
            version: "0.1.0".to_owned(),
        },
        inputs: ScanInputs {
            paths: vec!["infra".to_owned(), "k8s".to_owned(), "charts".to_owned()],
            files: 2,
            resources: 3,
            checks: 64,
            severity_threshold: Some(Severity::Medium),
            commit: None,
            started_at: None,
            check_catalog_digest: None,
            config: Some("nexafi.toml".to_owned()),
            baseline: None,
            diff_base: None,
        },
        summary: Summary::count(&findings),
        findings,
        frameworks,
        waivers,
    };
    Fixture { sources, result }
}

/// Builds the scan of [`fixture`] with everything an audit report shows besides findings.
/// It adds the scan's commit, start time and rule set digest, a waived finding, a finding
/// whose waiver has expired and an unused waiver. One manual control is attested and
/// another one's review is overdue.
pub fn audit_fixture() -> Fixture {
    let Fixture {
        sources,
        mut result,
    } = fixture();

    result.inputs.commit = Some("3f1c2a9e4b7d8c6f5a0e1d2c3b4a5f6e7d8c9b0a".to_owned());
    result.inputs.started_at = Some("2026-11-30T09:15:00Z".to_owned());
    result.inputs.check_catalog_digest =
        Some("6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b".to_owned());

    let accepted = Suppression {
        kind: SuppressionKind::Waiver,
        file: "nexafi.toml".to_owned(),
        line: 4,
        reason: "key is recreated by the ledger migration".to_owned(),
        owner: Some("platform-team".to_owned()),
        expires: Some("2027-01-31".to_owned()),
        ticket: Some("SEC-1042".to_owned()),
        accepted: None,
        expired: false,
    };
    let lapsed = Suppression {
        kind: SuppressionKind::Inline,
        file: "k8s/ledger.yaml".to_owned(),
        line: 12,
        reason: "privileged until the <eBPF> agent moves to a DaemonSet".to_owned(),
        owner: Some("sre".to_owned()),
        expires: Some("2026-10-01".to_owned()),
        ticket: None,
        accepted: None,
        expired: true,
    };
    let unused = Suppression {
        kind: SuppressionKind::Waiver,
        file: "nexafi.toml".to_owned(),
        line: 11,
        reason: "legacy bucket is read-only".to_owned(),
        owner: Some("data-team".to_owned()),
        expires: Some("2027-06-30".to_owned()),
        ticket: None,
        accepted: None,
        expired: false,
    };

    for finding in &mut result.findings {
        match finding.check_id.as_str() {
            "NXF-AWS-KMS-002" => finding.suppression = Some(accepted.clone()),
            "NXF-K8S-POD-001" => finding.suppression = Some(lapsed.clone()),
            _ => {}
        }
    }
    result.waivers = vec![
        WaiverUse {
            declaration: accepted,
            check: "NXF-AWS-KMS-002".to_owned(),
            target: Some("aws_kms_key.ledger".to_owned()),
            matched: 1,
        },
        WaiverUse {
            declaration: lapsed,
            check: "NXF-K8S-POD-001".to_owned(),
            target: None,
            matched: 1,
        },
        WaiverUse {
            declaration: unused,
            check: "NXF-AWS-S3".to_owned(),
            target: Some("aws_s3_bucket.legacy_*".to_owned()),
            matched: 0,
        },
    ];

    for framework in &mut result.frameworks {
        for control in &mut framework.controls {
            control.attestation = match (framework.id.as_str(), control.id.as_str()) {
                ("pci_dss", "12.1.1") => Some(Attestation {
                    evidence: "Information security policy v7, approved by the board".to_owned(),
                    owner: "ciso@nexafi.example".to_owned(),
                    date: "2026-09-15".to_owned(),
                    review_interval_days: 365,
                    due: "2027-09-15".to_owned(),
                    overdue: false,
                }),
                ("soc2", "CC1.1") => Some(Attestation {
                    evidence: "Code of conduct acknowledgements & training records".to_owned(),
                    owner: "hr@nexafi.example".to_owned(),
                    date: "2025-06-01".to_owned(),
                    review_interval_days: 365,
                    due: "2026-06-01".to_owned(),
                    overdue: true,
                }),
                _ => None,
            };
        }
    }
    Fixture { sources, result }
}

/// Declarations of the fixture's checks, as the CLI passes them to the SARIF renderer.
pub fn check_metas() -> Vec<CheckMeta> {
    const DOCS: CheckDocs = CheckDocs {
        what: "Reads the setting named in the finding and fails when it is unsafe.",
        why: "A regulated platform must show each setting is safe.",
        fix: "Set the attribute to the expected value:\n\n```hcl\nenable_key_rotation = true\n```",
        limitations: "Values known only at apply time are reported as unknown.",
    };
    let meta = |id: &'static str,
                slug: &'static str,
                title: &'static str,
                severity: Severity,
                input: InputKind,
                categories: &'static [&'static str]| CheckMeta {
        id,
        slug,
        title,
        severity,
        input,
        kinds: &[],
        categories,
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &["https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"],
        docs: DOCS,
    };
    vec![
        meta(
            "NXF-K8S-POD-001",
            "container-privileged",
            "Containers do not run privileged",
            Severity::Critical,
            InputKind::Kubernetes,
            &["workload-hardening"],
        ),
        meta(
            "NXF-K8S-POD-002",
            "container-runs-as-root",
            "Containers run as a non-root user",
            Severity::High,
            InputKind::Kubernetes,
            &["workload-hardening"],
        ),
        meta(
            "NXF-AWS-KMS-001",
            "kms-key-rotation-disabled",
            "KMS customer-managed keys rotate automatically",
            Severity::Medium,
            InputKind::Terraform,
            &["key-rotation"],
        ),
        meta(
            "NXF-AWS-KMS-002",
            "kms-deletion-window-short",
            "KMS keys have a deletion window of at least 30 days",
            Severity::Low,
            InputKind::Terraform,
            &["kms-key-access"],
        ),
        meta(
            "NXF-AWS-S3-004",
            "s3-bucket-name-unclassified",
            "S3 bucket names follow the data-classification prefix",
            Severity::Low,
            InputKind::Terraform,
            &["asset-inventory"],
        ),
    ]
}

/// Returns the path of a pinned peer tool from `$NEXAFI_TOOLS_BIN`. Panics with the fix when
/// the variable or the tool is missing, because a schema test that skips proves nothing.
pub fn peer_tool(name: &str) -> PathBuf {
    let Some(directory) = std::env::var_os("NEXAFI_TOOLS_BIN") else {
        panic!(
            "NEXAFI_TOOLS_BIN is not set; run scripts/test.sh, or export NEXAFI_TOOLS_BIN=<repository>/.venv/bin after installing scripts/requirements-test.txt there"
        );
    };
    let tool = PathBuf::from(directory).join(name);
    assert!(
        tool.is_file(),
        "{} is missing; install the pinned tools of scripts/requirements-test.txt into the directory NEXAFI_TOOLS_BIN names",
        tool.display()
    );
    tool
}

/// Returns a schema file of `tests/schemas`.
pub fn schema_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name)
}

/// Validates `document` against `schema` with check-jsonschema and returns its output on
/// failure.
pub fn check_jsonschema(schema: &Path, document: &str, extension: &str) -> Result<(), String> {
    let Ok(directory) = tempfile::tempdir() else {
        panic!("cannot create a temporary directory");
    };
    let instance = directory.path().join(format!("report.{extension}"));
    if let Err(error) = std::fs::write(&instance, document) {
        panic!("cannot write {}: {error}", instance.display());
    }
    let output = match Command::new(peer_tool("check-jsonschema"))
        .arg("--schemafile")
        .arg(schema)
        .arg(&instance)
        .output()
    {
        Ok(output) => output,
        Err(error) => panic!("cannot run check-jsonschema: {error}"),
    };
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
