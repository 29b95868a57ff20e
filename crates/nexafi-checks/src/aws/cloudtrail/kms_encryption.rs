use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::{KmsKeyRef, kms_key_ref};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CLOUDTRAIL-003",
        slug: "cloudtrail-not-encrypted-with-kms",
        title: "CloudTrail trails encrypt log files with a customer managed KMS key",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_cloudtrail"],
        categories: &["enc-at-rest", "log-integrity"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_35"],
        references: &[
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudtrail#kms_key_id",
        ],
        docs: CheckDocs {
            what: "Reads `kms_key_id` on every `aws_cloudtrail`. It passes when the attribute \
                   names a customer managed key: a literal key ARN or alias, or a reference to an \
                   `aws_kms_key`, `aws_kms_alias` or key data source. It fails when the attribute \
                   is omitted, null or empty (log files then get only SSE-S3 encryption from the \
                   bucket) and when it names an `alias/aws/...` key. A value from a variable \
                   without a value is unknown.",
            why: "Trail logs reveal the whole account: principals, resource names, source \
                  addresses and errors. With SSE-KMS, reading a log file needs `kms:Decrypt` on \
                  a key whose policy the security team controls, so a broad S3 read grant no \
                  longer exposes the audit trail, and every decryption is itself logged. PCI DSS \
                  10.3.1 limits read access to audit log files to those with a job-related need.",
            fix: "Create a key whose policy lets CloudTrail encrypt, and point the trail at it:\n\n\
                  ```hcl\nresource \"aws_cloudtrail\" \"main\" {\n  \
                  name           = \"organization\"\n  \
                  s3_bucket_name = aws_s3_bucket.trail.id\n  \
                  kms_key_id     = aws_kms_key.trail.arn\n}\n```",
            limitations: "The check does not verify that the key policy grants CloudTrail \
                          `kms:GenerateDataKey*`; without it, delivery fails at apply time. A \
                          literal ARN is taken as customer managed.",
        },
    },
    cases: include_str!("kms_encryption.cases.yaml"),
    evaluate,
};

const PATH: &str = "kms_key_id";

fn evaluate(trail: &Resource, model: &Model) -> Vec<Evaluation> {
    let span = match trail.body.lookup(PATH) {
        Lookup::Present(node) => node.span,
        _ => trail.name_span,
    };
    let evaluation = match kms_key_ref(model, trail, PATH) {
        KmsKeyRef::CustomerManaged(key) => Evaluation::pass(
            span,
            format!("`{PATH}` is {key}, so log files are encrypted with SSE-KMS"),
        ),
        KmsKeyRef::AwsManaged(key) => Evaluation::fail(
            span,
            format!(
                "`{PATH}` is {key}, an AWS managed key that CloudTrail cannot use; set it to an \
                 `aws_kms_key` you manage"
            ),
        )
        .expected("a customer managed key")
        .found(key),
        KmsKeyRef::Missing => Evaluation::fail(
            span,
            format!(
                "`{PATH}` is not set, so log files carry only the bucket's SSE-S3 encryption; set \
                 it to the ARN of an `aws_kms_key` whose policy allows CloudTrail"
            ),
        )
        .expected("a customer managed key")
        .found("omitted"),
        KmsKeyRef::Unknown { reason, span } => {
            Evaluation::unknown(span, format!("`{PATH}` cannot be known offline: {reason}"))
        }
    };
    vec![evaluation.attribute(PATH)]
}
