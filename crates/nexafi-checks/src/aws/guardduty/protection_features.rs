use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::{as_bool, unknown};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-GUARDDUTY-002",
        slug: "guardduty-protection-disabled",
        title: "GuardDuty detectors keep S3, EKS audit log and malware protection on",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_guardduty_detector"],
        categories: &["intrusion-detection"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateDetector.html",
            "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-features-activation-model.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/guardduty_detector_feature",
        ],
        docs: CheckDocs {
            what: "For every `aws_guardduty_detector`, checks three protection plans: S3 \
                   protection (`S3_DATA_EVENTS`), EKS audit log monitoring (`EKS_AUDIT_LOGS`) \
                   and malware protection for EC2 (`EBS_MALWARE_PROTECTION`). An \
                   `aws_guardduty_detector_feature` that references the detector decides a \
                   plan through its `status`; otherwise the deprecated `datasources` block of \
                   the detector does (`s3_logs`, `kubernetes.audit_logs`, \
                   `malware_protection.scan_ec2_instance_with_findings.ebs_volumes`). A plan \
                   that neither configures passes, because GuardDuty turns every optional plan \
                   except Runtime Monitoring on when it creates a detector. A plan set to \
                   `DISABLED` or `enable = false` fails; one from a value unknown offline is \
                   unknown.",
            why: "The base detector sees control-plane and network activity only. S3 \
                  protection finds unusual reads and deletions of objects, such as bulk \
                  downloads of statements or exports; EKS audit log monitoring finds cluster \
                  credential abuse and privileged pods; malware protection scans the volumes \
                  of instances that behave suspiciously. Turning them off leaves the data \
                  stores and workloads of the platform without detection, which PCI DSS 11.5.1 \
                  and 5.2 expect.",
            fix: "Leave the plans at their default, or enable them explicitly with feature \
                  resources:\n\n```hcl\nresource \"aws_guardduty_detector_feature\" \"s3\" {\n  \
                  detector_id = aws_guardduty_detector.this.id\n  name        = \
                  \"S3_DATA_EVENTS\"\n  status      = \"ENABLED\"\n}\n```",
            limitations: "The default applies when Terraform creates the detector; a detector \
                          imported with plans already off is seen as on. Runtime Monitoring \
                          is not required. A feature resource that names its detector by a \
                          literal id instead of a reference is not matched. The EKS plan is \
                          required even in accounts without EKS clusters; waive it there.",
        },
    },
    cases: include_str!("protection_features.cases.yaml"),
    evaluate,
};

/// A protection plan: its feature name and the equivalent `datasources` path.
struct Plan {
    feature: &'static str,
    datasource: &'static str,
    label: &'static str,
}

const PLANS: [Plan; 3] = [
    Plan {
        feature: "S3_DATA_EVENTS",
        datasource: "datasources.0.s3_logs.0.enable",
        label: "S3 protection",
    },
    Plan {
        feature: "EKS_AUDIT_LOGS",
        datasource: "datasources.0.kubernetes.0.audit_logs.0.enable",
        label: "EKS audit log monitoring",
    },
    Plan {
        feature: "EBS_MALWARE_PROTECTION",
        datasource: "datasources.0.malware_protection.0.scan_ec2_instance_with_findings.0.ebs_volumes.0.enable",
        label: "malware protection for EC2",
    },
];

const FEATURE_KIND: &str = "aws_guardduty_detector_feature";

fn evaluate(detector: &Resource, model: &Model) -> Vec<Evaluation> {
    let features: Vec<&Resource> = model.referrers(detector, FEATURE_KIND).collect();
    PLANS
        .iter()
        .map(|plan| evaluate_plan(detector, &features, plan))
        .collect()
}

fn evaluate_plan(detector: &Resource, features: &[&Resource], plan: &Plan) -> Evaluation {
    let mut name_unknown = None;
    for feature in features {
        match feature.body.lookup("name") {
            Lookup::Present(name) if name.as_str() == Some(plan.feature) => {
                return evaluate_feature(feature, plan);
            }
            Lookup::Unknown(unknown_value, span) => {
                name_unknown.get_or_insert((feature.address.as_str(), unknown_value, span));
            }
            _ => {}
        }
    }
    if let Some((address, unknown_value, span)) = name_unknown {
        return Evaluation::unknown(
            span,
            format!(
                "the `name` of {address} cannot be known offline, so it may configure {}: {}",
                plan.label, unknown_value.reason
            ),
        )
        .attribute(plan.feature);
    }

    match detector.body.lookup(plan.datasource) {
        Lookup::Missing => Evaluation::pass(
            detector.name_span,
            format!(
                "{} is not configured, and GuardDuty turns it on when it creates the detector",
                plan.label
            ),
        )
        .attribute(plan.feature),
        Lookup::Unknown(unknown_value, span) => {
            unknown(plan.datasource, &unknown_value.reason, span)
        }
        Lookup::Present(node) => match as_bool(node) {
            Some(true) => Evaluation::pass(node.span, format!("{} is enabled", plan.label))
                .attribute(plan.datasource),
            _ => Evaluation::fail(
                node.span,
                format!(
                    "{} is turned off (`enable` is {}); set it to true, or replace the \
                     deprecated `datasources` block with an `{FEATURE_KIND}` named {} and \
                     `status = \"ENABLED\"`",
                    plan.label,
                    node.display(),
                    plan.feature
                ),
            )
            .attribute(plan.datasource)
            .expected("true")
            .found(node.display()),
        },
    }
}

fn evaluate_feature(feature: &Resource, plan: &Plan) -> Evaluation {
    match feature.body.lookup("status") {
        Lookup::Present(status) if status.as_str() == Some("ENABLED") => Evaluation::pass(
            status.span,
            format!("{} is enabled by {}", plan.label, feature.address),
        )
        .attribute(plan.feature),
        Lookup::Present(status) => Evaluation::fail(
            status.span,
            format!(
                "{} turns {} off (`status` is {}); set `status = \"ENABLED\"`",
                feature.address,
                plan.label,
                status.display()
            ),
        )
        .attribute(plan.feature)
        .expected("\"ENABLED\"")
        .found(status.display()),
        Lookup::Unknown(unknown_value, span) => Evaluation::unknown(
            span,
            format!(
                "`status` of {} cannot be known offline: {}",
                feature.address, unknown_value.reason
            ),
        )
        .attribute(plan.feature),
        Lookup::Missing => Evaluation::fail(
            feature.name_span,
            format!(
                "{} sets no `status` for {}; set `status = \"ENABLED\"`",
                feature.address, plan.label
            ),
        )
        .attribute(plan.feature)
        .expected("\"ENABLED\"")
        .found("omitted"),
    }
}
