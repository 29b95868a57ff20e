use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::s3::bucket::{BUCKET_KIND, Origin, split_resources, undecided};
use crate::aws::support::{BlockItem, as_bool, block_items};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-S3-004",
        slug: "s3-bucket-versioning-disabled",
        title: "S3 buckets keep object versions",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &[BUCKET_KIND],
        categories: &["deletion-protection"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_21"],
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_versioning",
        ],
        docs: CheckDocs {
            what: "Reads the versioning state of every `aws_s3_bucket`: the inline `versioning` \
                   block's `enabled` (AWS provider v3 style, default false) and the \
                   `versioning_configuration.status` of each `aws_s3_bucket_versioning` that names \
                   the bucket (v4 style). It passes when versioning is enabled and fails when \
                   `enabled` is false, when `status` is `Suspended` or `Disabled`, and when \
                   nothing configures versioning, because new buckets start unversioned. A \
                   boolean given as the string \"true\" counts as true, as Terraform converts it.",
            why: "Without versioning an overwrite or delete, whether by mistake, by a faulty \
                  deploy or by ransomware with stolen credentials, destroys the only copy. Ledgers, \
                  statements and audit evidence must stay recoverable: SOX expects financial records \
                  to survive, and PCI DSS 10.3 asks that audit log files be protected from \
                  modification and backed up. Versioning is also a prerequisite of S3 \
                  replication and Object Lock.",
            fix: "Enable versioning for the bucket:\n\n```hcl\n\
                  resource \"aws_s3_bucket_versioning\" \"ledger\" {\n  \
                  bucket = aws_s3_bucket.ledger.id\n\n  versioning_configuration {\n    \
                  status = \"Enabled\"\n  }\n}\n```",
            limitations: "MFA delete is not required. Lifecycle rules that expire noncurrent \
                          versions quickly weaken the protection and are not read. Versioning set \
                          outside this Terraform root (another root module, the console) is not \
                          visible.",
        },
    },
    cases: include_str!("versioning.cases.yaml"),
    evaluate,
};

const SPLIT_KIND: &str = "aws_s3_bucket_versioning";

fn evaluate(bucket: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();

    for (index, item) in block_items(&bucket.body, "versioning")
        .into_iter()
        .enumerate()
    {
        let path = format!("versioning.{index}.enabled");
        let block = match item {
            BlockItem::Known(block) => block,
            BlockItem::Unknown(unknown, span) => {
                evaluations.push(
                    Evaluation::unknown(
                        span,
                        format!(
                            "the `versioning` block is dynamic and cannot be expanded offline: {}",
                            unknown.reason
                        ),
                    )
                    .attribute("versioning"),
                );
                continue;
            }
        };
        evaluations.push(match block.lookup("enabled") {
            Lookup::Present(node) => match as_bool(node) {
                Some(true) => {
                    Evaluation::pass(node.span, format!("`{path}` is true")).attribute(path)
                }
                _ => Evaluation::fail(
                    node.span,
                    format!("`{path}` is {}; set it to true", node.display()),
                )
                .attribute(path)
                .expected("true")
                .found(node.display()),
            },
            Lookup::Unknown(unknown, span) => Evaluation::unknown(
                span,
                format!("`{path}` cannot be known offline: {}", unknown.reason),
            )
            .attribute(path),
            Lookup::Missing => Evaluation::fail(
                block.span,
                format!("`{path}` is omitted and defaults to false; set `enabled = true`"),
            )
            .attribute(path)
            .expected("true")
            .found("omitted"),
        });
    }

    let split = split_resources(model, bucket, SPLIT_KIND);
    for resource in &split.matched {
        evaluations.extend(judge_split(Origin::split(resource)));
    }
    if !evaluations.is_empty() {
        return evaluations;
    }

    let missing = Evaluation::fail(
        bucket.name_span,
        format!(
            "versioning is not configured, so the bucket keeps no previous versions; add an \
             `{SPLIT_KIND}` with `status = \"Enabled\"`"
        ),
    )
    .attribute(SPLIT_KIND)
    .expected("Enabled")
    .found("omitted");
    vec![undecided(bucket, &split.undetermined, missing)]
}

fn judge_split(origin: Origin<'_>) -> Vec<Evaluation> {
    let resource = origin.resource;
    let items = block_items(&resource.body, "versioning_configuration");
    if items.is_empty() {
        return vec![
            Evaluation::fail(
                resource.name_span,
                format!(
                    "{} is missing; add it with `status = \"Enabled\"`",
                    origin.describe("versioning_configuration")
                ),
            )
            .attribute("versioning_configuration")
            .expected("Enabled")
            .found("omitted"),
        ];
    }

    let mut evaluations = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let path = format!("versioning_configuration.{index}.status");
        let described = origin.describe(&path);
        let block = match item {
            BlockItem::Known(block) => block,
            BlockItem::Unknown(unknown, span) => {
                evaluations.push(
                    Evaluation::unknown(
                        span,
                        format!(
                            "{} is dynamic and cannot be expanded offline: {}",
                            origin.describe("versioning_configuration"),
                            unknown.reason
                        ),
                    )
                    .attribute("versioning_configuration"),
                );
                continue;
            }
        };
        evaluations.push(match block.lookup("status") {
            Lookup::Present(node) if node.as_str() == Some("Enabled") => {
                Evaluation::pass(node.span, format!("{described} is \"Enabled\"")).attribute(path)
            }
            Lookup::Present(node) => Evaluation::fail(
                node.span,
                format!("{described} is {}; set it to \"Enabled\"", node.display()),
            )
            .attribute(path)
            .expected("Enabled")
            .found(node.display()),
            Lookup::Unknown(unknown, span) => Evaluation::unknown(
                span,
                format!("{described} cannot be known offline: {}", unknown.reason),
            )
            .attribute(path),
            Lookup::Missing => Evaluation::fail(
                block.span,
                format!("{described} is missing; set `status = \"Enabled\"`"),
            )
            .attribute(path)
            .expected("Enabled")
            .found("omitted"),
        });
    }
    evaluations
}
