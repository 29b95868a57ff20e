use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::{KmsKeyRef, kms_key_ref};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-BACKUP-004",
        slug: "backup-vault-default-key",
        title: "AWS Backup vaults encrypt with a customer-managed KMS key",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_backup_vault"],
        categories: &["enc-at-rest"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_166"],
        references: &[
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/backup_vault#kms_key_arn",
        ],
        docs: CheckDocs {
            what: "Reads `kms_key_arn` on every `aws_backup_vault`. It fails when the attribute \
                   is omitted (AWS Backup then uses the AWS managed key `aws/backup`) or names \
                   an AWS managed key, and passes for a reference to an `aws_kms_key`, a \
                   customer alias or a literal key ARN. A key from a variable without a value \
                   is unknown.",
            why: "Backups hold a full copy of the production data. With the AWS managed key, \
                  anyone allowed to use AWS Backup in the account can restore and read them, \
                  and the key cannot be shared with a separate backup account for \
                  cross-account copies. A customer-managed key lets the key policy decide who \
                  may restore, and its use is logged in CloudTrail, as PCI DSS 3.6 and 3.7 \
                  expect for keys that protect stored account data.",
            fix: "Create the vault with a customer-managed key (the key cannot be changed \
                  later):\n\n```hcl\nresource \"aws_backup_vault\" \"ledger\" {\n  name        \
                  = \"ledger\"\n  kms_key_arn = aws_kms_key.backup.arn\n}\n```",
            limitations: "The key policy is not read. Recovery points of services that \
                          encrypt backups with the key of their source (such as RDS and EBS \
                          snapshots) keep that key whatever the vault sets.",
        },
    },
    cases: include_str!("vault_encryption.cases.yaml"),
    evaluate,
};

const PATH: &str = "kms_key_arn";

fn evaluate(vault: &Resource, model: &Model) -> Vec<Evaluation> {
    let value_span = vault
        .body
        .get(PATH)
        .map_or(vault.name_span, |node| node.span);
    let evaluation = match kms_key_ref(model, vault, PATH) {
        KmsKeyRef::CustomerManaged(key) => Evaluation::pass(
            value_span,
            format!("recovery points are encrypted with {key}"),
        )
        .attribute(PATH),
        KmsKeyRef::Missing => Evaluation::fail(
            vault.name_span,
            "`kms_key_arn` is omitted, so the vault uses the AWS managed key aws/backup; set \
             `kms_key_arn` to a customer-managed KMS key when the vault is created",
        )
        .attribute(PATH)
        .expected("a customer-managed KMS key")
        .found("omitted"),
        KmsKeyRef::AwsManaged(key) => Evaluation::fail(
            value_span,
            format!(
                "`kms_key_arn` names the AWS managed key {key}; use a customer-managed KMS key"
            ),
        )
        .attribute(PATH)
        .expected("a customer-managed KMS key")
        .found(key),
        KmsKeyRef::Unknown { reason, span } => Evaluation::unknown(
            span,
            format!("`kms_key_arn` cannot be known offline: {reason}"),
        )
        .attribute(PATH),
    };
    vec![evaluation]
}
