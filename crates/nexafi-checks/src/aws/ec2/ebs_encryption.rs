use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity, Span,
};

use crate::Check;
use crate::aws::support::{BlockItem, as_bool, block_items};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EC2-006",
        slug: "ebs-volume-unencrypted",
        title: "EBS volumes are encrypted",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &["aws_ebs_volume", "aws_instance"],
        categories: &["enc-at-rest"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_3", "CKV_AWS_8"],
        references: &[
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
            "https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ebs_encryption_by_default",
        ],
        docs: CheckDocs {
            what: "Reads `encrypted` on every `aws_ebs_volume`, and on the `root_block_device` and \
                   `ebs_block_device` blocks of every `aws_instance`. Everything passes when the \
                   same root module enables account-wide encryption by default with \
                   `aws_ebs_encryption_by_default` (`enabled` defaults to true). Otherwise a \
                   volume fails when `encrypted` is false or omitted (the provider default is \
                   false), and an instance fails when it declares no `root_block_device`, since \
                   the root volume then follows the AMI. A volume created from a `snapshot_id` \
                   without `encrypted` inherits the snapshot's encryption and is unknown.",
            why: "EBS volumes hold databases, application logs and swap, and their snapshots are \
                  easily copied or shared across accounts. Encryption at rest keeps those copies \
                  unreadable without the KMS key. PCI DSS 3.5.1 requires stored account data to be \
                  unreadable, and GLBA and GDPR Article 32 expect encryption of customer data at \
                  rest.",
            fix: "Turn on encryption by default for the account and region, and state it on \
                  volumes too:\n\n```hcl\nresource \"aws_ebs_encryption_by_default\" \"this\" {\n  \
                  enabled = true\n}\n\nresource \"aws_ebs_volume\" \"data\" {\n  \
                  availability_zone = \"eu-west-1a\"\n  size              = 100\n  \
                  encrypted         = true\n  kms_key_id        = aws_kms_key.ebs.arn\n}\n```",
            limitations: "Encryption by default enabled in another root module or outside \
                          Terraform is not visible. Launch templates and launch configurations \
                          are not read. Whether the key is customer managed is not judged here.",
        },
    },
    cases: include_str!("ebs_encryption.cases.yaml"),
    evaluate,
};

const ACCOUNT_KIND: &str = "aws_ebs_encryption_by_default";

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut account_unknown = None;
    for setting in model.in_group(resource, ACCOUNT_KIND) {
        match setting.body.lookup("enabled") {
            Lookup::Missing => return vec![account_pass(setting, setting.name_span)],
            Lookup::Present(node) if as_bool(node) == Some(true) => {
                return vec![account_pass(setting, node.span)];
            }
            Lookup::Present(_) => {}
            Lookup::Unknown(unknown, span) => {
                account_unknown = Some((setting.address.clone(), unknown.reason.clone(), span));
            }
        }
    }

    let mut evaluations = if resource.kind == "aws_ebs_volume" {
        vec![judge_volume(&resource.body, "", resource.name_span)]
    } else {
        judge_instance(resource)
    };

    // A failing volume is unknown while an account default that may enable encryption is.
    if let Some((address, reason, span)) = account_unknown {
        for evaluation in &mut evaluations {
            if evaluation.verdict == nexafi_model::Verdict::Fail {
                *evaluation = Evaluation::unknown(
                    span,
                    format!(
                        "`enabled` of {address} cannot be known offline ({reason}), and without \
                         encryption by default: {}",
                        evaluation.message
                    ),
                )
                .attribute(evaluation.attribute.clone().unwrap_or_default());
            }
        }
    }
    evaluations
}

fn account_pass(setting: &Resource, span: Span) -> Evaluation {
    Evaluation::pass(
        span,
        format!(
            "{} turns on EBS encryption by default for the account and region",
            setting.address
        ),
    )
}

fn judge_instance(instance: &Resource) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();
    let roots = block_items(&instance.body, "root_block_device");
    if roots.is_empty() {
        evaluations.push(
            Evaluation::fail(
                instance.name_span,
                "no `root_block_device` is declared, so the root volume is encrypted only if the \
                 AMI's snapshot is; add `root_block_device { encrypted = true }` or enable \
                 `aws_ebs_encryption_by_default`",
            )
            .attribute("root_block_device.0.encrypted")
            .expected("true")
            .found("omitted"),
        );
    }
    for name in ["root_block_device", "ebs_block_device"] {
        for (index, item) in block_items(&instance.body, name).into_iter().enumerate() {
            let prefix = format!("{name}.{index}.");
            evaluations.push(match item {
                BlockItem::Known(block) => judge_volume(block, &prefix, block.span),
                BlockItem::Unknown(unknown, span) => Evaluation::unknown(
                    span,
                    format!(
                        "`{name}` is dynamic and cannot be expanded offline: {}",
                        unknown.reason
                    ),
                )
                .attribute(name),
            });
        }
    }
    evaluations
}

/// Judges `encrypted` of a volume or block device; `prefix` leads to it and `missing_span`
/// is where to point when it is omitted.
fn judge_volume(volume: &Node, prefix: &str, missing_span: Span) -> Evaluation {
    let path = format!("{prefix}encrypted");
    match volume.lookup("encrypted") {
        Lookup::Present(node) => match as_bool(node) {
            Some(true) => Evaluation::pass(node.span, format!("`{path}` is true")),
            _ => Evaluation::fail(
                node.span,
                format!("`{path}` is {}; set it to true", node.display()),
            )
            .expected("true")
            .found(node.display()),
        },
        Lookup::Unknown(unknown, span) => Evaluation::unknown(
            span,
            format!("`{path}` cannot be known offline: {}", unknown.reason),
        ),
        Lookup::Missing if !volume.lookup("snapshot_id").is_missing() => Evaluation::unknown(
            missing_span,
            format!(
                "`{path}` is omitted, so the volume inherits the encryption of its snapshot, \
                 which cannot be known offline"
            ),
        ),
        Lookup::Missing => Evaluation::fail(
            missing_span,
            format!("`{path}` is omitted and defaults to false; set it to true"),
        )
        .expected("true")
        .found("omitted"),
    }
    .attribute(path)
}
