use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CLOUDTRAIL-002",
        slug: "cloudtrail-log-validation-disabled",
        title: "CloudTrail trails sign their log files for integrity validation",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_cloudtrail"],
        categories: &["log-integrity"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_36"],
        references: &[
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudtrail#enable_log_file_validation",
        ],
        docs: CheckDocs {
            what: "Reads `enable_log_file_validation` on every `aws_cloudtrail`. It fails when the \
                   attribute is false or omitted; the provider default is false. A string \
                   \"true\" counts as true.",
            why: "With validation on, CloudTrail delivers a signed digest file every hour that \
                  chains the hashes of the log files. `aws cloudtrail validate-logs` then proves \
                  that no log file was changed or deleted after delivery, which is what an \
                  auditor or a court needs before trusting the trail. PCI DSS 10.3.4 requires \
                  file-integrity monitoring or change detection on audit logs, and SOX audit \
                  trails must be shown to be complete.",
            fix: "Turn validation on:\n\n```hcl\nresource \"aws_cloudtrail\" \"main\" {\n  \
                  name                       = \"organization\"\n  \
                  s3_bucket_name             = aws_s3_bucket.trail.id\n  \
                  enable_log_file_validation = true\n}\n```",
            limitations: "Validation detects tampering after the fact; it does not prevent it. \
                          Pair it with Object Lock and a restrictive policy on the trail bucket, \
                          which NXF-AWS-S3-006 and the S3 checks cover.",
        },
    },
    cases: include_str!("log_validation.cases.yaml"),
    evaluate,
};

fn evaluate(trail: &Resource, _model: &Model) -> Vec<Evaluation> {
    vec![bool_attribute(
        trail,
        "enable_log_file_validation",
        true,
        false,
        "set `enable_log_file_validation = true` so that CloudTrail signs digest files",
    )]
}
