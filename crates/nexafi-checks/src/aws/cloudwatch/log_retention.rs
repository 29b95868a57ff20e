use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    format_number,
};

use crate::Check;
use crate::aws::support::{as_number, unknown};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CLOUDWATCH-001",
        slug: "cloudwatch-log-retention-short",
        title: "CloudWatch log groups keep logs for at least 365 days",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_cloudwatch_log_group"],
        categories: &["log-retention"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_338"],
        references: &[
            "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_log_group#retention_in_days",
        ],
        docs: CheckDocs {
            what: "Reads `retention_in_days` on every `aws_cloudwatch_log_group` and fails when \
                   it is between 1 and 364. Omitted, null or 0 means the logs never expire: that \
                   passes, with a message recommending an explicit period, because it keeps the \
                   logs at least as long as any retention policy needs. Log groups of the \
                   `DELIVERY` class are skipped: CloudWatch keeps their events for one day by \
                   design and forwards them to S3 or Firehose, where retention is decided.",
            why: "PCI DSS 10.5.1 requires audit logs to be kept for at least 12 months, with \
                  the last three months at hand; SOX audit trails of financial systems are kept \
                  for seven years (2557 days). A shorter retention destroys the evidence that an \
                  assessor or an incident investigation needs. Logs that never expire meet both \
                  rules, but they keep personal data without limit, which the GDPR storage \
                  limitation principle (article 5(1)(e)) argues against, and they cost more \
                  every month; an explicit period such as 2557 days states the policy.",
            fix: "Set the retention that your policy requires, one of the values CloudWatch \
                  accepts (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 for a \
                  year and more):\n\n```hcl\nresource \"aws_cloudwatch_log_group\" \"audit\" {\n  \
                  name              = \"/nexafi/ledger/audit\"\n  retention_in_days = 2557\n}\n```",
            limitations: "The check does not know which log groups hold audit trails and \
                          applies one year to all of them; waive it for debug logs with a \
                          documented shorter period. Log groups that services create \
                          themselves (Lambda, API Gateway) without a Terraform resource are not \
                          seen.",
        },
    },
    cases: include_str!("log_retention.cases.yaml"),
    evaluate,
};

const PATH: &str = "retention_in_days";

/// One year, the PCI DSS 10.5.1 minimum for audit logs.
const MINIMUM_DAYS: f64 = 365.0;

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    if let Lookup::Present(class) = resource.body.lookup("log_group_class")
        && class
            .as_str()
            .is_some_and(|class| class.eq_ignore_ascii_case("DELIVERY"))
    {
        return Vec::new();
    }

    let never_expire = |span| {
        Evaluation::pass(
            span,
            "logs never expire, which keeps them for every retention policy; consider an \
             explicit period such as 2557 days (7 years) to bound storage of personal data",
        )
        .attribute(PATH)
    };
    let evaluation = match resource.body.lookup(PATH) {
        Lookup::Missing => never_expire(resource.name_span),
        Lookup::Unknown(unknown_value, span) => unknown(PATH, &unknown_value.reason, span),
        Lookup::Present(node) => match as_number(node) {
            Some(0.0) => never_expire(node.span),
            Some(days) if days >= MINIMUM_DAYS => Evaluation::pass(
                node.span,
                format!("log events are kept for {} days", format_number(days)),
            )
            .attribute(PATH),
            _ => Evaluation::fail(
                node.span,
                format!(
                    "log events are deleted after {} days; set `retention_in_days` to 365 or \
                     more (2557 for audit trails kept 7 years)",
                    node.display()
                ),
            )
            .attribute(PATH)
            .expected(">= 365")
            .found(node.display()),
        },
    };
    vec![evaluation]
}
