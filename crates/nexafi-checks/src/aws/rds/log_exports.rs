use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Value,
};

use crate::Check;
use crate::aws::support::unknown;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-RDS-006",
        slug: "rds-audit-log-not-exported",
        title: "RDS instances and Aurora clusters export their audit logs to CloudWatch Logs",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_db_instance", "aws_rds_cluster"],
        categories: &["service-access-logs"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_129"],
        references: &[
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/db_instance#enabled_cloudwatch_logs_exports",
        ],
        docs: CheckDocs {
            what: "Reads `enabled_cloudwatch_logs_exports` on every `aws_db_instance` and \
                   `aws_rds_cluster` and fails when it is omitted or empty (nothing is \
                   exported), or when it leaves out the log type that records database \
                   activity for the engine: `audit` for MySQL, MariaDB, Aurora MySQL and \
                   Oracle, `postgresql` for PostgreSQL and Aurora PostgreSQL. For other or \
                   unknown engines any exported log type passes. Read replicas \
                   (`replicate_source_db`) are evaluated like their own database.",
            why: "Database logs kept only on the instance rotate away within days and vanish \
                  with the instance. Exported to CloudWatch Logs they can be retained for the \
                  PCI DSS 10.5.1 year, protected from the database administrators they record, \
                  and searched when an incident or an auditor asks who read or changed which \
                  records. The audit log type is the one that answers that question.",
            fix: "Export the audit log of the engine (MySQL and MariaDB also need the audit \
                  plugin in their option or parameter group, PostgreSQL needs `pgaudit` or \
                  `log_statement` for statement-level detail):\n\n```hcl\nresource \
                  \"aws_rds_cluster\" \"ledger\" {\n  engine                          = \
                  \"aurora-postgresql\"\n  enabled_cloudwatch_logs_exports = \
                  [\"postgresql\"]\n}\n```",
            limitations: "The check cannot see whether the engine actually writes audit \
                          records: the MySQL audit plugin, `server_audit_logging` on Aurora \
                          MySQL and `pgaudit` are set in parameter or option groups. Database \
                          activity streams are not taken into account.",
        },
    },
    cases: include_str!("log_exports.cases.yaml"),
    evaluate,
};

const PATH: &str = "enabled_cloudwatch_logs_exports";

/// Returns the log type that records database activity for `engine`, when there is one.
fn audit_log_type(engine: &str) -> Option<&'static str> {
    let engine = engine.to_ascii_lowercase();
    if engine.starts_with("aurora-postgresql") || engine.starts_with("postgres") {
        Some("postgresql")
    } else if engine == "aurora"
        || engine.starts_with("aurora-mysql")
        || engine.starts_with("mysql")
        || engine.starts_with("mariadb")
        || engine.starts_with("oracle")
    {
        Some("audit")
    } else {
        None
    }
}

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    let engine = match resource.body.lookup("engine") {
        Lookup::Present(node) => node.as_str().and_then(audit_log_type),
        // Aurora clusters default to the `aurora` engine (Aurora MySQL).
        Lookup::Missing if resource.kind == "aws_rds_cluster" => Some("audit"),
        _ => None,
    };

    let evaluation = match resource.body.lookup(PATH) {
        Lookup::Missing => Evaluation::fail(
            resource.name_span,
            "no database log is exported to CloudWatch Logs; set \
             `enabled_cloudwatch_logs_exports` to the audit log of the engine",
        )
        .attribute(PATH)
        .expected(engine.map_or("at least one log type".to_owned(), |kind| {
            format!("{kind:?}")
        }))
        .found("omitted"),
        Lookup::Unknown(unknown_value, span) => unknown(PATH, &unknown_value.reason, span),
        Lookup::Present(node) => judge_exports(node, engine),
    };
    vec![evaluation]
}

fn judge_exports(node: &nexafi_model::Node, wanted: Option<&str>) -> Evaluation {
    let items = match &node.value {
        Value::List(items) => items.as_slice(),
        _ => std::slice::from_ref(node),
    };
    if items.is_empty() {
        return Evaluation::fail(
            node.span,
            "`enabled_cloudwatch_logs_exports` is empty, so no database log is exported",
        )
        .attribute(PATH)
        .expected(wanted.map_or("at least one log type".to_owned(), |kind| {
            format!("{kind:?}")
        }))
        .found("[]");
    }
    let Some(wanted) = wanted else {
        return Evaluation::pass(
            node.span,
            format!("database logs {} are exported", node.display()),
        )
        .attribute(PATH);
    };
    if items.iter().any(|item| item.as_str() == Some(wanted)) {
        return Evaluation::pass(node.span, format!("the {wanted:?} log is exported"))
            .attribute(PATH);
    }
    if let Some(item) = items.iter().find(|item| item.is_unknown()) {
        let reason = item
            .as_unknown()
            .map_or("", |unknown_value| unknown_value.reason.as_str());
        return unknown(PATH, reason, item.span);
    }
    Evaluation::fail(
        node.span,
        format!(
            "`enabled_cloudwatch_logs_exports` is {} and leaves out the {wanted:?} log, which \
             records database activity; add it",
            node.display()
        ),
    )
    .attribute(PATH)
    .expected(format!("{wanted:?}"))
    .found(node.display())
}
