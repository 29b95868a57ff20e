use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity,
};

use crate::Check;
use crate::aws::s3::bucket::{
    BUCKET_KIND, Naming, Origin, names_bucket, split_resources, undecided,
};
use crate::aws::support::{BlockItem, block_items, referenced_by_value};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-S3-005",
        slug: "s3-bucket-access-logging-disabled",
        title: "S3 buckets record server access logs",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &[BUCKET_KIND],
        categories: &["service-access-logs"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_18"],
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_logging",
        ],
        docs: CheckDocs {
            what: "Looks for server access logging of every `aws_s3_bucket`: an inline `logging` \
                   block (AWS provider v3 style) or an `aws_s3_bucket_logging` whose `bucket` names \
                   the bucket (v4 style), each with a `target_bucket`. A bucket that itself receives \
                   the access logs of another bucket (it is the `target_bucket` of some logging \
                   configuration) passes without logging of its own, because logging a log bucket \
                   into itself loops and AWS advises against it. The check fails when neither \
                   applies. A `target_bucket` computed from another resource counts as set; one \
                   from a variable without a value is unknown.",
            why: "Server access logs record every request to a bucket, including object reads, \
                  which CloudTrail records only when data events are enabled for the bucket. \
                  After a leak they show which objects were read, by whom and from where: PCI DSS \
                  10.2.1.1 asks for audit logs of all individual access to cardholder data, and a \
                  GDPR breach notification needs the same facts.",
            fix: "Send the access logs to a dedicated log bucket:\n\n```hcl\n\
                  resource \"aws_s3_bucket_logging\" \"ledger\" {\n  \
                  bucket        = aws_s3_bucket.ledger.id\n  \
                  target_bucket = aws_s3_bucket.access_logs.id\n  \
                  target_prefix = \"ledger/\"\n}\n```",
            limitations: "CloudTrail data events for the bucket are an alternative that the \
                          check does not recognise; waive it with that reason where they are on. \
                          The exemption for log buckets holds only when the logging \
                          configuration that targets them is in the same root module. Whether the \
                          target bucket exists and accepts the logs is not checked.",
        },
    },
    cases: include_str!("access_logging.cases.yaml"),
    evaluate,
};

const SPLIT_KIND: &str = "aws_s3_bucket_logging";

fn evaluate(bucket: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();
    let inline = Origin::inline(bucket);
    for (index, item) in block_items(&bucket.body, "logging").into_iter().enumerate() {
        let path = format!("logging.{index}.target_bucket");
        evaluations.push(match item {
            BlockItem::Known(block) => judge_target(model, inline, &path, block),
            BlockItem::Unknown(unknown, span) => Evaluation::unknown(
                span,
                format!(
                    "the `logging` block is dynamic and cannot be expanded offline: {}",
                    unknown.reason
                ),
            )
            .attribute("logging"),
        });
    }

    let split = split_resources(model, bucket, SPLIT_KIND);
    for resource in &split.matched {
        evaluations.push(judge_target(
            model,
            Origin::split(resource),
            "target_bucket",
            &resource.body,
        ));
    }
    if !evaluations.is_empty() {
        return evaluations;
    }

    if let Some(source) = logs_into(model, bucket) {
        return vec![
            Evaluation::pass(
                bucket.name_span,
                format!(
                    "this bucket receives the access logs of {source}, so it needs no logging \
                     of its own"
                ),
            )
            .attribute("logging"),
        ];
    }

    let missing = Evaluation::fail(
        bucket.name_span,
        format!(
            "server access logging is not configured; add an `{SPLIT_KIND}` that sends the logs \
             to a dedicated log bucket"
        ),
    )
    .attribute(SPLIT_KIND)
    .expected("a logging configuration")
    .found("omitted");
    vec![undecided(bucket, &split.undetermined, missing)]
}

/// Judges the `target_bucket` at `path` of a logging configuration; `block` is the
/// configuration that contains it.
fn judge_target(model: &Model, origin: Origin<'_>, path: &str, block: &Node) -> Evaluation {
    let described = origin.describe(path);
    match origin.resource.body.lookup(path) {
        Lookup::Present(node) => Evaluation::pass(
            node.span,
            format!("access logs go to {} ({described})", node.display()),
        )
        .attribute(path),
        Lookup::Unknown(unknown, span) => {
            let targets = referenced_by_value(model, origin.resource, path, span);
            match targets.first() {
                Some(target) => Evaluation::pass(
                    span,
                    format!("access logs go to {} ({described})", target.address),
                )
                .attribute(path),
                None => Evaluation::unknown(
                    span,
                    format!("{described} cannot be known offline: {}", unknown.reason),
                )
                .attribute(path),
            }
        }
        Lookup::Missing => Evaluation::fail(
            block.span,
            format!("{described} is missing, so no access logs are delivered; set it"),
        )
        .attribute(path)
        .expected("a log bucket")
        .found("omitted"),
    }
}

/// Returns the address of a bucket or logging resource that sends access logs into
/// `bucket`.
fn logs_into(model: &Model, bucket: &Resource) -> Option<String> {
    let split = model.in_group(bucket, SPLIT_KIND).find(|candidate| {
        matches!(
            names_bucket(candidate, "target_bucket", bucket),
            Naming::Yes
        )
    });
    if let Some(resource) = split {
        return Some(resource.address.clone());
    }
    model
        .in_group(bucket, BUCKET_KIND)
        .find(|candidate| {
            block_items(&candidate.body, "logging")
                .iter()
                .enumerate()
                .any(|(index, _)| {
                    let path = format!("logging.{index}.target_bucket");
                    matches!(names_bucket(candidate, &path, bucket), Naming::Yes)
                })
        })
        .map(|resource| resource.address.clone())
}
