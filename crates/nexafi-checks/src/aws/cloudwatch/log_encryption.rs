use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::{KmsKeyRef, kms_key_ref};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CLOUDWATCH-002",
        slug: "cloudwatch-log-group-default-key",
        title: "CloudWatch log groups are encrypted with a customer-managed KMS key",
        severity: Severity::Low,
        input: InputKind::Terraform,
        kinds: &["aws_cloudwatch_log_group"],
        categories: &["enc-at-rest", "log-integrity"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_158"],
        references: &[
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_log_group#kms_key_id",
        ],
        docs: CheckDocs {
            what: "Reads `kms_key_id` on every `aws_cloudwatch_log_group` and fails when it is \
                   omitted or names an AWS managed key (`alias/aws/...`). A key given as a \
                   reference to an `aws_kms_key`, a customer alias or a literal key ARN passes. \
                   A key from a variable without a value is unknown.",
            why: "CloudWatch Logs always encrypts log data, but with keys that AWS owns and \
                  whose use nobody in the account can restrict or audit. A customer-managed key \
                  adds a second permission check: reading the logs then needs `kms:Decrypt` on \
                  that key as well, every use appears in CloudTrail, and disabling the key cuts \
                  off access at once. Logs often contain personal data and request payloads, \
                  so PCI DSS 3.5 and 10.3 and GDPR article 32 favour this control.",
            fix: "Create a key whose policy allows the `logs.<region>.amazonaws.com` service \
                  principal, and reference it:\n\n```hcl\nresource \"aws_cloudwatch_log_group\" \
                  \"audit\" {\n  name       = \"/nexafi/ledger/audit\"\n  kms_key_id = \
                  aws_kms_key.logs.arn\n}\n```",
            limitations: "The check does not read the key policy, so a key that CloudWatch \
                          Logs is not allowed to use still passes here (and the apply fails). \
                          A literal key ARN is assumed to be customer managed.",
        },
    },
    cases: include_str!("log_encryption.cases.yaml"),
    evaluate,
};

const PATH: &str = "kms_key_id";

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    let evaluation = match kms_key_ref(model, resource, PATH) {
        KmsKeyRef::CustomerManaged(key) => Evaluation::pass(
            resource
                .body
                .get(PATH)
                .map_or(resource.name_span, |node| node.span),
            format!("log data is encrypted with {key}"),
        )
        .attribute(PATH),
        KmsKeyRef::Missing => Evaluation::fail(
            resource.name_span,
            "`kms_key_id` is omitted, so log data is encrypted only with keys that AWS owns; \
             set `kms_key_id` to a customer-managed KMS key",
        )
        .attribute(PATH)
        .expected("a customer-managed KMS key")
        .found("omitted"),
        KmsKeyRef::AwsManaged(key) => Evaluation::fail(
            resource
                .body
                .get(PATH)
                .map_or(resource.name_span, |node| node.span),
            format!(
                "`kms_key_id` names the AWS managed key {key}, whose policy cannot be \
                 restricted; use a customer-managed KMS key"
            ),
        )
        .attribute(PATH)
        .expected("a customer-managed KMS key")
        .found(key),
        KmsKeyRef::Unknown { reason, span } => Evaluation::unknown(
            span,
            format!("`kms_key_id` cannot be known offline: {reason}"),
        )
        .attribute(PATH),
    };
    vec![evaluation]
}
