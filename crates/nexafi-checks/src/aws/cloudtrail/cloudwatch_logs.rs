use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::referenced_by_value;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CLOUDTRAIL-004",
        slug: "cloudtrail-not-sent-to-cloudwatch",
        title: "CloudTrail trails deliver events to CloudWatch Logs",
        severity: Severity::Low,
        input: InputKind::Terraform,
        kinds: &["aws_cloudtrail"],
        categories: &["audit-logging-cloud", "security-alerting"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV2_AWS_10"],
        references: &[
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudtrail#cloud_watch_logs_group_arn",
        ],
        docs: CheckDocs {
            what: "Reads `cloud_watch_logs_group_arn` and `cloud_watch_logs_role_arn` on every \
                   `aws_cloudtrail`. It passes when both are set, to literal ARNs or to values \
                   computed from other resources (an `aws_cloudwatch_log_group` and an \
                   `aws_iam_role`). It fails when the log group is omitted, null or empty, and \
                   when the log group is set without the role CloudTrail needs to write to it. A \
                   value from a variable without a value is unknown.",
            why: "S3 delivery alone lands events minutes later in files nobody reads. In \
                  CloudWatch Logs, metric filters and alarms raise an alert within minutes on \
                  root logins, policy changes, stopped trails or disabled keys. PCI DSS 10.4.1.1 \
                  requires automated review of audit logs, and the GLBA Safeguards Rule asks for \
                  monitoring that detects unauthorised activity.",
            fix: "Send the trail to a log group, through a role CloudTrail can assume:\n\n\
                  ```hcl\nresource \"aws_cloudtrail\" \"main\" {\n  \
                  name                       = \"organization\"\n  \
                  s3_bucket_name             = aws_s3_bucket.trail.id\n  \
                  cloud_watch_logs_group_arn = \"${aws_cloudwatch_log_group.trail.arn}:*\"\n  \
                  cloud_watch_logs_role_arn  = aws_iam_role.trail_to_cloudwatch.arn\n}\n```",
            limitations: "Metric filters and alarms on the log group are not checked here. \
                          Delivery to another SIEM through EventBridge or S3 notifications is an \
                          alternative the check does not recognise; waive it with that reason.",
        },
    },
    cases: include_str!("cloudwatch_logs.cases.yaml"),
    evaluate,
};

const GROUP: &str = "cloud_watch_logs_group_arn";
const ROLE: &str = "cloud_watch_logs_role_arn";

/// The state of one ARN attribute.
enum Arn {
    Set(String),
    Missing,
    Unknown(String, nexafi_model::Span),
}

fn evaluate(trail: &Resource, model: &Model) -> Vec<Evaluation> {
    let group = read_arn(trail, model, GROUP);
    let role = read_arn(trail, model, ROLE);
    let group_span = match trail.body.lookup(GROUP) {
        Lookup::Present(node) => node.span,
        Lookup::Unknown(_, span) => span,
        Lookup::Missing => trail.name_span,
    };

    let evaluation = match (group, role) {
        (Arn::Missing, _) => Evaluation::fail(
            trail.name_span,
            format!(
                "`{GROUP}` is not set, so events reach only S3 and no alarm can fire on them; \
                 set it and `{ROLE}`"
            ),
        )
        .attribute(GROUP)
        .expected("a CloudWatch Logs group ARN")
        .found("omitted"),
        (Arn::Unknown(reason, span), _) => {
            Evaluation::unknown(span, format!("`{GROUP}` cannot be known offline: {reason}"))
                .attribute(GROUP)
        }
        (Arn::Set(_), Arn::Missing) => Evaluation::fail(
            group_span,
            format!(
                "`{GROUP}` is set but `{ROLE}` is not, so CloudTrail cannot write to the log \
                 group; set `{ROLE}` to a role that allows logs:PutLogEvents"
            ),
        )
        .attribute(ROLE)
        .expected("an IAM role ARN")
        .found("omitted"),
        (Arn::Set(_), Arn::Unknown(reason, span)) => {
            Evaluation::unknown(span, format!("`{ROLE}` cannot be known offline: {reason}"))
                .attribute(ROLE)
        }
        (Arn::Set(group), Arn::Set(_)) => {
            Evaluation::pass(group_span, format!("events are delivered to {group}"))
                .attribute(GROUP)
        }
    };
    vec![evaluation]
}

fn read_arn(trail: &Resource, model: &Model, path: &str) -> Arn {
    match trail.body.lookup(path) {
        Lookup::Missing => Arn::Missing,
        Lookup::Present(node) => match node.as_str() {
            Some(text) if text.trim().is_empty() => Arn::Missing,
            _ => Arn::Set(node.display()),
        },
        Lookup::Unknown(unknown, span) => {
            match referenced_by_value(model, trail, path, span).first() {
                Some(target) => Arn::Set(target.address.clone()),
                None => Arn::Unknown(unknown.reason.clone(), span),
            }
        }
    }
}
