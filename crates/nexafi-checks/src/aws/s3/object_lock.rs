use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity,
};

use crate::Check;
use crate::aws::s3::bucket::{BUCKET_KIND, Origin, split_resources, undecided};
use crate::aws::support::{BlockItem, as_bool, block_items};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-S3-006",
        slug: "s3-bucket-object-lock-disabled",
        title: "S3 buckets have Object Lock enabled",
        severity: Severity::Low,
        input: InputKind::Terraform,
        kinds: &[BUCKET_KIND],
        categories: &["log-integrity", "deletion-protection"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_143"],
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket#object_lock_enabled",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_object_lock_configuration",
        ],
        docs: CheckDocs {
            what: "Looks for Object Lock on every `aws_s3_bucket`: `object_lock_enabled = true` on \
                   the bucket (AWS provider v4 and later), an inline `object_lock_configuration` \
                   block with `object_lock_enabled = \"Enabled\"` (v3), or an \
                   `aws_s3_bucket_object_lock_configuration` naming the bucket, whose \
                   `object_lock_enabled` defaults to \"Enabled\". The check fails when the bucket \
                   sets `object_lock_enabled = false`, when a configuration names another state, \
                   and when nothing enables Object Lock (the default for new buckets). A pass \
                   says whether a default retention rule exists.",
            why: "Object Lock stores objects write-once-read-many: no user, not even the root \
                  user in compliance mode, can delete or overwrite a locked version before its \
                  retention ends. Broker-dealer records under SEC rule 17a-4, audit trails kept \
                  for SOX and PCI DSS 10.3 (audit logs protected from modification) rely on such \
                  immutable storage, and it defeats ransomware that deletes backups first.",
            fix: "Enable Object Lock and give the bucket a default retention:\n\n```hcl\n\
                  resource \"aws_s3_bucket\" \"audit\" {\n  bucket              = \"audit-trail\"\n  \
                  object_lock_enabled = true\n}\n\n\
                  resource \"aws_s3_bucket_object_lock_configuration\" \"audit\" {\n  \
                  bucket = aws_s3_bucket.audit.id\n\n  rule {\n    default_retention {\n      \
                  mode  = \"COMPLIANCE\"\n      years = 7\n    }\n  }\n}\n```",
            limitations: "Every bucket is checked, though Object Lock matters most for audit, \
                          backup and records buckets; waive the check for scratch and cache \
                          buckets. A missing default retention rule does not fail the check, \
                          since uploads may set retention per object. Governance mode, which \
                          privileged users can bypass, passes like compliance mode.",
        },
    },
    cases: include_str!("object_lock.cases.yaml"),
    evaluate,
};

const SPLIT_KIND: &str = "aws_s3_bucket_object_lock_configuration";
const ENABLED: &str = "Enabled";

fn evaluate(bucket: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();

    let flag = "object_lock_enabled";
    match bucket.body.lookup(flag) {
        Lookup::Missing => {}
        Lookup::Unknown(unknown, span) => evaluations.push(
            Evaluation::unknown(
                span,
                format!("`{flag}` cannot be known offline: {}", unknown.reason),
            )
            .attribute(flag),
        ),
        Lookup::Present(node) => evaluations.push(match as_bool(node) {
            Some(true) => Evaluation::pass(node.span, format!("`{flag}` is true")).attribute(flag),
            _ => Evaluation::fail(
                node.span,
                format!(
                    "`{flag}` is {}; set it to true (Object Lock can only be turned on, never \
                     off)",
                    node.display()
                ),
            )
            .attribute(flag)
            .expected("true")
            .found(node.display()),
        }),
    }

    let inline = Origin::inline(bucket);
    for (index, item) in block_items(&bucket.body, "object_lock_configuration")
        .into_iter()
        .enumerate()
    {
        let prefix = format!("object_lock_configuration.{index}");
        evaluations.push(match item {
            BlockItem::Known(block) => judge_configuration(inline, &prefix, block, None),
            BlockItem::Unknown(unknown, span) => Evaluation::unknown(
                span,
                format!(
                    "`object_lock_configuration` is dynamic and cannot be expanded offline: {}",
                    unknown.reason
                ),
            )
            .attribute("object_lock_configuration"),
        });
    }

    let split = split_resources(model, bucket, SPLIT_KIND);
    for resource in &split.matched {
        evaluations.push(judge_configuration(
            Origin::split(resource),
            "",
            &resource.body,
            Some(ENABLED),
        ));
    }
    if !evaluations.is_empty() {
        return evaluations;
    }

    let missing = Evaluation::fail(
        bucket.name_span,
        "Object Lock is not enabled, so every object version can be deleted or overwritten; \
         set `object_lock_enabled = true` and add an `aws_s3_bucket_object_lock_configuration` \
         with a default retention",
    )
    .attribute(flag)
    .expected("true")
    .found("omitted");
    vec![undecided(bucket, &split.undetermined, missing)]
}

/// Judges one Object Lock configuration; `prefix` leads to it in its resource, and
/// `default` is the state the provider assumes when `object_lock_enabled` is omitted.
fn judge_configuration(
    origin: Origin<'_>,
    prefix: &str,
    block: &Node,
    default: Option<&str>,
) -> Evaluation {
    let path = join(prefix, "object_lock_enabled");
    let described = origin.describe(&path);
    let retention = retention_note(block);
    match block.lookup("object_lock_enabled") {
        Lookup::Present(node) if node.as_str() == Some(ENABLED) => Evaluation::pass(
            node.span,
            format!("{described} is \"Enabled\"; {retention}"),
        )
        .attribute(path),
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
        Lookup::Missing => match default {
            Some(state) => Evaluation::pass(
                block.span,
                format!("{described} is omitted and defaults to {state:?}; {retention}"),
            )
            .attribute(path),
            None => Evaluation::fail(
                block.span,
                format!("{described} is missing; set it to \"Enabled\""),
            )
            .attribute(path)
            .expected("Enabled")
            .found("omitted"),
        },
    }
}

/// Describes the default retention of a configuration for pass messages.
fn retention_note(block: &Node) -> String {
    match block.lookup("rule.0.default_retention.0.mode") {
        Lookup::Present(mode) => format!("default retention mode {}", mode.display()),
        Lookup::Unknown(..) => "the default retention mode is unknown offline".to_owned(),
        Lookup::Missing => {
            "no default retention rule, so objects are locked only when uploads ask".to_owned()
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}
