use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::s3::bucket::{BUCKET_KIND, undecided};
use crate::aws::s3::sse::{SPLIT_KIND, SSE_ALGORITHMS, SseRule, sse_rules};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-S3-001",
        slug: "s3-bucket-encryption-not-configured",
        title: "S3 buckets declare default server-side encryption",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &[BUCKET_KIND],
        categories: &["enc-at-rest"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_19"],
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_server_side_encryption_configuration",
        ],
        docs: CheckDocs {
            what: "Looks for the default encryption of every `aws_s3_bucket`, in the inline \
                   `server_side_encryption_configuration` block (AWS provider v3 style) or in an \
                   `aws_s3_bucket_server_side_encryption_configuration` whose `bucket` names the \
                   bucket by reference or by its literal name (v4 style). Every rule must hold an \
                   `apply_server_side_encryption_by_default` block whose `sse_algorithm` is \
                   `AES256`, `aws:kms` or `aws:kms:dsse`. The check fails when no configuration \
                   exists, when a rule has no default encryption block, and when the algorithm is \
                   not one S3 accepts. Since January 2023 S3 encrypts new objects with SSE-S3 \
                   even without a configuration; this check still fails then, because the \
                   platform requires the encryption to be declared in code, where review sees it \
                   and where `aws:kms` can be chosen. Whether the key is customer managed is \
                   the subject of NXF-AWS-S3-002.",
            why: "Stored cardholder data, customer records and ledger exports must be unreadable \
                  without a key (PCI DSS 3.5.1, GLBA Safeguards Rule 314.4(c)(3), GDPR Article \
                  32). Relying on a service default leaves no evidence in the repository, gives \
                  no place to pick a KMS key, and silently changes if the bucket is recreated \
                  through another tool. An explicit configuration is the artifact an assessor \
                  can read and the place where `aws:kms` with a customer managed key is set.",
            fix: "Declare default encryption, preferably with KMS:\n\n```hcl\n\
                  resource \"aws_s3_bucket_server_side_encryption_configuration\" \"ledger\" {\n  \
                  bucket = aws_s3_bucket.ledger.id\n\n  rule {\n    \
                  apply_server_side_encryption_by_default {\n      sse_algorithm     = \"aws:kms\"\n      \
                  kms_master_key_id = aws_kms_key.s3.arn\n    }\n    bucket_key_enabled = true\n  }\n}\n```",
            limitations: "A split resource that names the bucket through a value unknown offline \
                          (a variable without a value) cannot be matched, so the bucket is then \
                          reported as unknown. Buckets whose encryption is managed outside this \
                          Terraform root (another root module, the console) fail. Bucket policies \
                          that reject unencrypted uploads are not read.",
        },
    },
    cases: include_str!("encryption.cases.yaml"),
    evaluate,
};

fn evaluate(bucket: &Resource, model: &Model) -> Vec<Evaluation> {
    let found = sse_rules(model, bucket);
    let evaluations: Vec<Evaluation> = found.rules.iter().map(judge).collect();
    if !evaluations.is_empty() {
        return evaluations;
    }

    let missing = Evaluation::fail(
        bucket.name_span,
        format!(
            "no default encryption is declared for this bucket; S3 applies SSE-S3 on its own, \
             but the platform requires it in code: add an `{SPLIT_KIND}` with \
             `sse_algorithm = \"aws:kms\"`"
        ),
    )
    .attribute("server_side_encryption_configuration")
    .expected("a default encryption rule")
    .found("omitted");
    vec![undecided(bucket, &found.undetermined, missing)]
}

fn judge(rule: &SseRule<'_>) -> Evaluation {
    match rule {
        SseRule::Default {
            origin,
            path,
            block,
        } => {
            let attribute = format!("{path}.sse_algorithm");
            let described = origin.describe(&attribute);
            match block.lookup("sse_algorithm") {
                Lookup::Present(node) => match node.as_str() {
                    Some(algorithm) if SSE_ALGORITHMS.contains(&algorithm) => Evaluation::pass(
                        node.span,
                        format!("{described} is {algorithm:?}, so new objects are encrypted"),
                    )
                    .attribute(attribute),
                    _ => Evaluation::fail(
                        node.span,
                        format!(
                            "{described} is {}, which S3 does not accept; set \"aws:kms\"",
                            node.display()
                        ),
                    )
                    .attribute(attribute)
                    .expected("\"aws:kms\", \"aws:kms:dsse\" or \"AES256\"")
                    .found(node.display()),
                },
                Lookup::Unknown(unknown, span) => Evaluation::unknown(
                    span,
                    format!("{described} cannot be known offline: {}", unknown.reason),
                )
                .attribute(attribute),
                Lookup::Missing => Evaluation::fail(
                    block.span,
                    format!("{described} is missing; set `sse_algorithm = \"aws:kms\"`"),
                )
                .attribute(attribute)
                .expected("\"aws:kms\"")
                .found("omitted"),
            }
        }
        SseRule::Empty { origin, path, span } => Evaluation::fail(
            *span,
            format!(
                "{} is missing, so this configuration encrypts nothing by default; add the \
                 block with `sse_algorithm = \"aws:kms\"`",
                origin.describe(path)
            ),
        )
        .attribute(path.clone())
        .expected("a default encryption block")
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
