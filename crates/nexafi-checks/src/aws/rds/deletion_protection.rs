use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-RDS-003",
        slug: "rds-deletion-protection-disabled",
        title: "RDS instances and Aurora clusters have deletion protection enabled",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_db_instance", "aws_rds_cluster"],
        categories: &["deletion-protection"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_293", "CKV_AWS_139"],
        references: &[
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/db_instance#deletion_protection",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/rds_cluster#deletion_protection",
        ],
        docs: CheckDocs {
            what: "Reads `deletion_protection` on every `aws_db_instance` and `aws_rds_cluster` \
                   and fails when it is false or omitted (the provider default is false).",
            why: "With deletion protection on, RDS rejects a delete request until the flag is \
                  turned off in a separate change. A mistaken `terraform destroy`, a renamed \
                  resource that Terraform replaces, or a compromised pipeline identity then \
                  cannot remove a production database, and its automated backups, in one step. \
                  Regulators treat loss of transaction records as a reportable incident.",
            fix: "Set `deletion_protection = true` on production databases:\n\n```hcl\nresource \
                  \"aws_rds_cluster\" \"ledger\" {\n  deletion_protection = true\n}\n```\n\nTo \
                  retire a database on purpose, turn the flag off in one apply and delete it in \
                  the next.",
            limitations: "The check cannot tell production from disposable test databases; \
                          waive it for the latter. Cluster instances \
                          (`aws_rds_cluster_instance`) have no flag of their own and are \
                          protected through their cluster.",
        },
    },
    cases: include_str!("deletion_protection.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    vec![bool_attribute(
        resource,
        "deletion_protection",
        true,
        false,
        "set `deletion_protection = true`",
    )]
}
