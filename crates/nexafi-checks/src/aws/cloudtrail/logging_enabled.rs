use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CLOUDTRAIL-005",
        slug: "cloudtrail-logging-stopped",
        title: "CloudTrail trails are logging",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &["aws_cloudtrail"],
        categories: &["audit-logging-cloud"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudtrail#enable_logging",
            "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html",
        ],
        docs: CheckDocs {
            what: "Reads `enable_logging` on every `aws_cloudtrail`. It fails when the attribute \
                   is false, which makes Terraform call `StopLogging` so the trail exists but \
                   records nothing. Omitted, the provider default is true and the check passes.",
            why: "A stopped trail looks like audit logging in a resource inventory while leaving \
                  every API call unrecorded; stopping trails is one of the first things an \
                  attacker does. PCI DSS 10.2 requires audit logs to be enabled and active, and \
                  10.7 asks that failures of logging be detected and answered.",
            fix: "Remove `enable_logging = false`, or set it to true:\n\n```hcl\n\
                  resource \"aws_cloudtrail\" \"main\" {\n  name           = \"organization\"\n  \
                  s3_bucket_name = aws_s3_bucket.trail.id\n  enable_logging = true\n}\n```",
            limitations: "A trail stopped outside Terraform (console, API) is not visible in \
                          code; the drift only appears at the next plan.",
        },
    },
    cases: include_str!("logging_enabled.cases.yaml"),
    evaluate,
};

fn evaluate(trail: &Resource, _model: &Model) -> Vec<Evaluation> {
    vec![bool_attribute(
        trail,
        "enable_logging",
        true,
        true,
        "remove it or set `enable_logging = true`, because a stopped trail records nothing",
    )]
}
