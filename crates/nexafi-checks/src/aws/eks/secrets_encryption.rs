use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Value,
};

use crate::Check;
use crate::aws::support::{BlockItem, KmsKeyRef, block_items, kms_key_ref};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EKS-003",
        slug: "eks-secrets-not-encrypted-with-kms",
        title: "EKS clusters envelope-encrypt Secrets with a customer managed KMS key",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &["aws_eks_cluster"],
        categories: &["k8s-secrets-encryption", "enc-at-rest"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_58"],
        references: &[
            "https://docs.aws.amazon.com/eks/latest/userguide/envelope-encryption.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/eks_cluster#encryption_config",
        ],
        docs: CheckDocs {
            what: "Reads the `encryption_config` blocks of every `aws_eks_cluster`. It passes when \
                   a block lists `secrets` in `resources` and its `provider.key_arn` names a \
                   customer managed key (a literal ARN, or a reference to an `aws_kms_key` or \
                   key data source). It fails when no block covers `secrets`, when `key_arn` is \
                   empty, and when it names an `alias/aws/...` key. Since Kubernetes 1.28, EKS \
                   encrypts all API data with an AWS owned key by default; the check still \
                   fails without a configuration, because only a customer managed key gives the \
                   platform control over who can decrypt Secrets.",
            why: "Kubernetes Secrets hold database passwords, API tokens and signing keys. With \
                  a customer managed key as the key-encryption key, reading them from an etcd \
                  backup or snapshot requires `kms:Decrypt` under a key policy the security team \
                  controls, each use is logged in CloudTrail, and disabling the key cuts off \
                  access. PCI DSS 3.5.1 and 8.3.2 require stored authentication data to be \
                  unreadable, and 3.6.1 restricts access to the keys that protect it.",
            fix: "Encrypt Secrets with a key you manage:\n\n```hcl\nresource \"aws_eks_cluster\" \"payments\" {\n  \
                  name     = \"payments\"\n  role_arn = aws_iam_role.cluster.arn\n\n  \
                  encryption_config {\n    resources = [\"secrets\"]\n    provider {\n      \
                  key_arn = aws_kms_key.eks.arn\n    }\n  }\n\n  vpc_config {\n    \
                  subnet_ids = var.private_subnet_ids\n  }\n}\n```",
            limitations: "The key policy is not checked: EKS needs `kms:Encrypt`, `kms:Decrypt` \
                          and `kms:DescribeKey` for the cluster role. A literal ARN is taken as a \
                          customer managed key. Secrets synced from an external store are outside \
                          the check.",
        },
    },
    cases: include_str!("secrets_encryption.cases.yaml"),
    evaluate,
};

fn evaluate(cluster: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();
    for (index, item) in block_items(&cluster.body, "encryption_config")
        .into_iter()
        .enumerate()
    {
        let block = match item {
            BlockItem::Known(block) => block,
            BlockItem::Unknown(unknown, span) => {
                evaluations.push(
                    Evaluation::unknown(
                        span,
                        format!(
                            "`encryption_config` is dynamic and cannot be expanded offline: {}",
                            unknown.reason
                        ),
                    )
                    .attribute("encryption_config"),
                );
                continue;
            }
        };

        let resources_path = format!("encryption_config.{index}.resources");
        match covers_secrets(block) {
            Ok(false) => continue,
            Err((reason, span)) => {
                evaluations.push(
                    Evaluation::unknown(
                        span,
                        format!("`{resources_path}` cannot be known offline: {reason}"),
                    )
                    .attribute(resources_path),
                );
                continue;
            }
            Ok(true) => {}
        }

        let key_path = format!("encryption_config.{index}.provider.0.key_arn");
        let span = match cluster.body.lookup(&key_path) {
            Lookup::Present(node) => node.span,
            _ => block.span,
        };
        evaluations.push(match kms_key_ref(model, cluster, &key_path) {
            KmsKeyRef::CustomerManaged(key) => {
                Evaluation::pass(span, format!("Secrets are envelope-encrypted with {key}"))
                    .attribute(key_path)
            }
            KmsKeyRef::AwsManaged(key) => Evaluation::fail(
                span,
                format!(
                    "`{key_path}` is {key}, an AWS managed key; use an `aws_kms_key` you manage"
                ),
            )
            .attribute(key_path)
            .expected("a customer managed key")
            .found(key),
            KmsKeyRef::Missing => Evaluation::fail(
                span,
                format!(
                    "`{key_path}` is missing, so Secrets are not encrypted with a key you \
                     manage; set it to the ARN of an `aws_kms_key`"
                ),
            )
            .attribute(key_path)
            .expected("a customer managed key")
            .found("omitted"),
            KmsKeyRef::Unknown { reason, span } => Evaluation::unknown(
                span,
                format!("`{key_path}` cannot be known offline: {reason}"),
            )
            .attribute(key_path),
        });
    }

    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::fail(
                cluster.name_span,
                "no `encryption_config` covers `secrets`, so Secrets rely on the AWS owned key at \
                 best; add one with `resources = [\"secrets\"]` and a customer managed `key_arn`",
            )
            .attribute("encryption_config")
            .expected("resources = [\"secrets\"] with a customer managed key")
            .found("omitted"),
        );
    }
    evaluations
}

/// Returns whether the block's `resources` list contains `secrets`, or why that is
/// unknown.
fn covers_secrets(block: &nexafi_model::Node) -> Result<bool, (String, nexafi_model::Span)> {
    match block.lookup("resources") {
        Lookup::Missing => Ok(false),
        Lookup::Unknown(unknown, span) => Err((unknown.reason.clone(), span)),
        Lookup::Present(node) => match &node.value {
            Value::List(items) => {
                if items.iter().any(|item| item.as_str() == Some("secrets")) {
                    return Ok(true);
                }
                match items
                    .iter()
                    .find_map(|item| item.as_unknown().map(|u| (u, item.span)))
                {
                    Some((unknown, span)) => Err((unknown.reason.clone(), span)),
                    None => Ok(false),
                }
            }
            Value::String(text) => Ok(text == "secrets"),
            _ => Ok(false),
        },
    }
}
