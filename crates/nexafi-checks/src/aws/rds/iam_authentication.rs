use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-RDS-005",
        slug: "rds-iam-authentication-disabled",
        title: "RDS instances and Aurora clusters accept IAM database authentication",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_db_instance", "aws_rds_cluster"],
        categories: &["credential-lifecycle"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_161", "CKV_AWS_162"],
        references: &[
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html",
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.IAMDBAuth.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/db_instance#iam_database_authentication_enabled",
        ],
        docs: CheckDocs {
            what: "Reads `iam_database_authentication_enabled` on every `aws_db_instance` and \
                   `aws_rds_cluster` and fails when it is false or omitted (the default is \
                   false). Engines without IAM authentication are skipped: Oracle, SQL Server, \
                   Db2 and RDS Custom (`engine` starting with `oracle`, `sqlserver`, `db2` or \
                   `custom-`). An engine that is unknown offline is evaluated like a supported \
                   one.",
            why: "With IAM authentication, applications and people connect with tokens that \
                  live 15 minutes and are issued to an IAM role, instead of long-lived database \
                  passwords that end up in configuration files and are rarely rotated. Access \
                  is then granted, revoked and logged in one place (IAM and CloudTrail), which \
                  is the evidence PCI DSS 8.3 and 8.6 and SOX access reviews ask for.",
            fix: "Enable IAM authentication and grant `rds-db:connect` to the roles that need \
                  it:\n\n```hcl\nresource \"aws_rds_cluster\" \"ledger\" {\n  \
                  iam_database_authentication_enabled = true\n}\n```\n\nThe master password \
                  still exists; keep it in Secrets Manager with \
                  `manage_master_user_password = true`.",
            limitations: "The flag only allows IAM authentication: database users created \
                          with passwords keep working, and the check cannot see them. Aurora \
                          Serverless v1 clusters, which do not support IAM authentication, are \
                          still evaluated; that engine mode has reached its end of life.",
        },
    },
    cases: include_str!("iam_authentication.cases.yaml"),
    evaluate,
};

/// Engine name prefixes of RDS engines that do not support IAM database authentication.
const UNSUPPORTED_ENGINES: &[&str] = &["oracle", "sqlserver", "db2", "custom-"];

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    if let Lookup::Present(engine) = resource.body.lookup("engine") {
        let unsupported = engine.as_str().is_some_and(|name| {
            let name = name.to_ascii_lowercase();
            UNSUPPORTED_ENGINES
                .iter()
                .any(|prefix| name.starts_with(prefix))
        });
        if unsupported {
            return Vec::new();
        }
    }
    vec![bool_attribute(
        resource,
        "iam_database_authentication_enabled",
        true,
        false,
        "set `iam_database_authentication_enabled = true`",
    )]
}
