use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::number_at_least;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-RDS-002",
        slug: "rds-backup-retention-short",
        title: "RDS instances and Aurora clusters keep automated backups for at least 7 days",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_db_instance", "aws_rds_cluster"],
        categories: &["backup"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_133"],
        references: &[
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.BackupRetention.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/db_instance#backup_retention_period",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/rds_cluster#backup_retention_period",
        ],
        docs: CheckDocs {
            what: "Reads `backup_retention_period` on every `aws_db_instance` and \
                   `aws_rds_cluster` and fails when it is below 7 days. An omitted value fails \
                   too: clusters then keep backups for 1 day, and instances for 1 day when \
                   created through the RDS API (the provider documentation gives 0). A value of \
                   0 turns automated backups off. Read replicas (`replicate_source_db` set) are \
                   skipped, because the backups of their source protect the data.",
            why: "Automated backups give point-in-time recovery within the retention window. A \
                  corruption, a faulty migration or a ransomware attack is often found days \
                  later; with one day of backups the last clean state is already gone. SOC 2 \
                  A1.2 and the FFIEC handbook expect recovery capabilities that match the time \
                  an incident takes to detect, and a week is the least most recovery plans \
                  assume.",
            fix: "Set a retention of at least 7 days (RDS allows up to 35), and keep long-term \
                  copies with AWS Backup:\n\n```hcl\nresource \"aws_rds_cluster\" \"ledger\" {\n  \
                  backup_retention_period = 14\n  preferred_backup_window = \"02:00-03:00\"\n}\n```",
            limitations: "Only automated backups are read; AWS Backup plans that cover the \
                          database are not taken into account. Read replicas are skipped even \
                          when they are promoted later.",
        },
    },
    cases: include_str!("backup_retention.cases.yaml"),
    evaluate,
};

const PATH: &str = "backup_retention_period";

/// Seven days: one week of point-in-time recovery.
const MINIMUM_DAYS: f64 = 7.0;

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    if resource.kind == "aws_rds_cluster" {
        return vec![number_at_least(
            resource,
            PATH,
            MINIMUM_DAYS,
            Some(1.0),
            "set `backup_retention_period` to 7 days or more",
        )];
    }

    // A read replica has no backups of its own to protect the data.
    match resource.body.lookup("replicate_source_db") {
        Lookup::Missing => {}
        Lookup::Present(node) if node.as_str().is_some_and(|text| text.trim().is_empty()) => {}
        Lookup::Present(_) | Lookup::Unknown(..) => return Vec::new(),
    }
    vec![number_at_least(
        resource,
        PATH,
        MINIMUM_DAYS,
        None,
        "set `backup_retention_period` to 7 days or more (when it is omitted, RDS keeps \
         automated backups for at most 1 day)",
    )]
}
