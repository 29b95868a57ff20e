use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::s3::bucket::{BUCKET_KIND, Origin, undecided};
use crate::aws::s3::sse::{SPLIT_KIND, SseRule, sse_rules};
use crate::aws::support::{KmsKeyRef, kms_key_ref};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-S3-002",
        slug: "s3-bucket-not-encrypted-with-cmk",
        title: "S3 buckets encrypt by default with a customer managed KMS key",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &[BUCKET_KIND],
        categories: &["enc-at-rest"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_145"],
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
            "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#customer-cmk",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_server_side_encryption_configuration",
        ],
        docs: CheckDocs {
            what: "Reads the default encryption rules of every `aws_s3_bucket` (inline \
                   `server_side_encryption_configuration` or a split \
                   `aws_s3_bucket_server_side_encryption_configuration` naming the bucket). It \
                   passes when every rule uses `sse_algorithm` `aws:kms` or `aws:kms:dsse` with a \
                   `kms_master_key_id` that names a customer managed key: a literal key ARN, key \
                   id or alias, or a reference to an `aws_kms_key`, `aws_kms_replica_key`, \
                   `aws_kms_alias` or key data source. It fails on `AES256` (SSE-S3), on \
                   `aws:kms` without `kms_master_key_id` (S3 then uses the AWS managed key \
                   `aws/s3`), on an `alias/aws/...` key, and on a bucket without default \
                   encryption.",
            why: "With a customer managed key the platform decides who may decrypt (the key \
                  policy), can disable the key to cut off access in an incident, rotates it on its \
                  own cryptoperiod, and sees every decrypt in CloudTrail. The AWS managed key \
                  `aws/s3` lets any principal of the account with S3 read access decrypt, and its \
                  policy cannot be changed. PCI DSS 3.6 and 3.7 expect documented control over \
                  keys that protect account data, which the customer managed key provides.",
            fix: "Point the rule at a key you manage:\n\n```hcl\nresource \"aws_kms_key\" \"s3\" {\n  \
                  enable_key_rotation = true\n}\n\n\
                  resource \"aws_s3_bucket_server_side_encryption_configuration\" \"ledger\" {\n  \
                  bucket = aws_s3_bucket.ledger.id\n\n  rule {\n    \
                  apply_server_side_encryption_by_default {\n      sse_algorithm     = \"aws:kms\"\n      \
                  kms_master_key_id = aws_kms_key.s3.arn\n    }\n    bucket_key_enabled = true\n  }\n}\n```",
            limitations: "A literal ARN or alias is taken as customer managed unless it is an \
                          `alias/aws/...` alias; the check cannot tell whether a literal ARN points \
                          at an AWS managed key. A key id from a variable without a value is \
                          unknown. Access to the key itself is judged by the KMS key policy \
                          checks, not here.",
        },
    },
    cases: include_str!("encryption_cmk.cases.yaml"),
    evaluate,
};

fn evaluate(bucket: &Resource, model: &Model) -> Vec<Evaluation> {
    let found = sse_rules(model, bucket);
    let evaluations: Vec<Evaluation> = found.rules.iter().map(|rule| judge(model, rule)).collect();
    if !evaluations.is_empty() {
        return evaluations;
    }

    let missing = Evaluation::fail(
        bucket.name_span,
        format!(
            "no default encryption is declared for this bucket; add an `{SPLIT_KIND}` with \
             `sse_algorithm = \"aws:kms\"` and `kms_master_key_id` set to a key you manage"
        ),
    )
    .attribute("server_side_encryption_configuration")
    .expected("aws:kms with a customer managed key")
    .found("omitted");
    vec![undecided(bucket, &found.undetermined, missing)]
}

fn judge(model: &Model, rule: &SseRule<'_>) -> Evaluation {
    match rule {
        SseRule::Default {
            origin,
            path,
            block,
        } => judge_default(model, *origin, path, block),
        SseRule::Empty { origin, path, span } => Evaluation::fail(
            *span,
            format!(
                "{} is missing, so nothing is encrypted with a customer managed key; add it \
                 with `sse_algorithm = \"aws:kms\"` and `kms_master_key_id`",
                origin.describe(path)
            ),
        )
        .attribute(path.clone())
        .expected("aws:kms with a customer managed key")
        .found("omitted"),
        SseRule::Unknown {
            origin,
            path,
            reason,
            span,
        } => Evaluation::unknown(
            *span,
            format!(
                "{} is a dynamic block that cannot be expanded offline: {reason}",
                origin.describe(path)
            ),
        )
        .attribute(path.clone()),
    }
}

fn judge_default(
    model: &Model,
    origin: Origin<'_>,
    path: &str,
    block: &nexafi_model::Node,
) -> Evaluation {
    let algorithm_path = format!("{path}.sse_algorithm");
    let algorithm = match block.lookup("sse_algorithm") {
        Lookup::Present(node) => node,
        Lookup::Unknown(unknown, span) => {
            return Evaluation::unknown(
                span,
                format!(
                    "{} cannot be known offline: {}",
                    origin.describe(&algorithm_path),
                    unknown.reason
                ),
            )
            .attribute(algorithm_path);
        }
        Lookup::Missing => {
            return Evaluation::fail(
                block.span,
                format!(
                    "{} is missing; set `sse_algorithm = \"aws:kms\"` with a customer managed key",
                    origin.describe(&algorithm_path)
                ),
            )
            .attribute(algorithm_path)
            .expected("\"aws:kms\"")
            .found("omitted");
        }
    };
    if !matches!(algorithm.as_str(), Some("aws:kms" | "aws:kms:dsse")) {
        return Evaluation::fail(
            algorithm.span,
            format!(
                "{} is {}, which does not use a KMS key; set \"aws:kms\" and \
                 `kms_master_key_id` to a key you manage",
                origin.describe(&algorithm_path),
                algorithm.display()
            ),
        )
        .attribute(algorithm_path)
        .expected("\"aws:kms\" or \"aws:kms:dsse\"")
        .found(algorithm.display());
    }

    let key_path = format!("{path}.kms_master_key_id");
    let described = origin.describe(&key_path);
    let key_span = match origin.resource.body.lookup(&key_path) {
        Lookup::Present(node) => node.span,
        _ => block.span,
    };
    match kms_key_ref(model, origin.resource, &key_path) {
        KmsKeyRef::CustomerManaged(key) => Evaluation::pass(
            key_span,
            format!("{described} is {key}, a customer managed key"),
        )
        .attribute(key_path),
        KmsKeyRef::AwsManaged(key) => Evaluation::fail(
            key_span,
            format!(
                "{described} is {key}, an AWS managed key whose policy cannot be restricted; \
                 use an `aws_kms_key` you manage"
            ),
        )
        .attribute(key_path)
        .expected("a customer managed key")
        .found(key),
        KmsKeyRef::Missing => Evaluation::fail(
            key_span,
            format!(
                "{described} is not set, so S3 uses the AWS managed key aws/s3; set it to the \
                 ARN of an `aws_kms_key` you manage"
            ),
        )
        .attribute(key_path)
        .expected("a customer managed key")
        .found("omitted"),
        KmsKeyRef::Unknown { reason, span } => Evaluation::unknown(
            span,
            format!("{described} cannot be known offline: {reason}"),
        )
        .attribute(key_path),
    }
}
