use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity, Span, format_number,
};

use crate::Check;
use crate::aws::support::{BlockItem, as_number, block_items};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-BACKUP-001",
        slug: "backup-plan-retention-short",
        title: "AWS Backup plans keep recovery points for at least 7 years",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_backup_plan"],
        categories: &["backup"],
        extra_controls: &["sox_itgc:ITGC-CO-05"],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/backup_plan#lifecycle",
        ],
        docs: CheckDocs {
            what: "Reads the `rule` blocks of every `aws_backup_plan` and passes when at least \
                   one rule keeps its recovery points for 2557 days (7 years) or more: its \
                   `lifecycle.delete_after` is 2557 or greater, or it has no `lifecycle` block \
                   or no `delete_after`, in which case recovery points are never deleted. One \
                   rule is enough because every rule of a plan backs up the same resource \
                   selection, and a tiered plan (daily copies kept for weeks, monthly copies \
                   kept for years) meets the promise. The plan fails when every rule deletes \
                   sooner, and is unknown when no rule passes and a rule or its lifecycle is \
                   unknown offline.",
            why: "The platform promises its customers and regulators seven years of \
                  retention for financial records, the period that SOX and most banking \
                  record-keeping rules use. Backups are the copy that survives deletion, \
                  corruption or ransomware in the primary store; a plan that expires every \
                  recovery point within weeks cannot restore a ledger as it was years ago.",
            fix: "Add a long-term rule next to the short-lived ones, moving old copies to cold \
                  storage:\n\n```hcl\nrule {\n  rule_name         = \"monthly-7y\"\n  \
                  target_vault_name = aws_backup_vault.ledger.name\n  schedule          = \
                  \"cron(0 3 1 * ? *)\"\n\n  lifecycle {\n    cold_storage_after = 90\n    \
                  delete_after       = 2557\n  }\n}\n```",
            limitations: "The check cannot tell which plans protect financial records and \
                          applies the 7-year rule to every plan; waive it for plans of \
                          disposable data. Retention of copies in other vaults \
                          (`copy_action.lifecycle`) is not counted. Recovery points kept \
                          forever pass, although GDPR storage limitation may call for an end.",
        },
    },
    cases: include_str!("plan_retention.cases.yaml"),
    evaluate,
};

/// Seven years of 365 days plus two leap days.
const MINIMUM_DAYS: f64 = 2557.0;

/// How long one rule keeps its recovery points.
enum Retention<'a> {
    Forever(Span),
    Days(f64, &'a Node),
    Invalid(&'a Node),
    Unknown(String, Span),
}

fn evaluate(plan: &Resource, _model: &Model) -> Vec<Evaluation> {
    let rules = block_items(&plan.body, "rule");
    if rules.is_empty() {
        return Vec::new();
    }

    let mut retentions = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let (name, retention) = match rule {
            BlockItem::Unknown(unknown_value, span) => (
                format!("{}", index + 1),
                Retention::Unknown(unknown_value.reason.clone(), *span),
            ),
            BlockItem::Known(rule) => (rule_name(rule, index), rule_retention(rule)),
        };
        retentions.push((name, retention));
    }

    for (name, retention) in &retentions {
        match retention {
            Retention::Forever(span) => {
                return vec![
                    Evaluation::pass(
                        *span,
                        format!("rule {name} never deletes its recovery points"),
                    )
                    .attribute("rule.lifecycle.delete_after"),
                ];
            }
            Retention::Days(days, node) if *days >= MINIMUM_DAYS => {
                return vec![
                    Evaluation::pass(
                        node.span,
                        format!(
                            "rule {name} keeps recovery points for {} days",
                            format_number(*days)
                        ),
                    )
                    .attribute("rule.lifecycle.delete_after"),
                ];
            }
            _ => {}
        }
    }

    if let Some((name, reason, span)) =
        retentions
            .iter()
            .find_map(|(name, retention)| match retention {
                Retention::Unknown(reason, span) => Some((name, reason, *span)),
                _ => None,
            })
    {
        return vec![
            Evaluation::unknown(
                span,
                format!("the retention of rule {name} cannot be known offline: {reason}"),
            )
            .attribute("rule.lifecycle.delete_after"),
        ];
    }

    vec![longest_rule_failure(plan, &retentions)]
}

fn rule_name(rule: &Node, index: usize) -> String {
    match rule.get("rule_name").and_then(Node::as_str) {
        Some(name) => format!("{name:?}"),
        None => format!("{}", index + 1),
    }
}

fn rule_retention(rule: &Node) -> Retention<'_> {
    let lifecycles = block_items(rule, "lifecycle");
    let lifecycle = match lifecycles.first() {
        None => return Retention::Forever(rule.span),
        Some(BlockItem::Unknown(unknown_value, span)) => {
            return Retention::Unknown(unknown_value.reason.clone(), *span);
        }
        Some(BlockItem::Known(lifecycle)) => lifecycle,
    };
    match lifecycle.lookup("delete_after") {
        Lookup::Missing => Retention::Forever(lifecycle.span),
        Lookup::Unknown(unknown_value, span) => {
            Retention::Unknown(unknown_value.reason.clone(), span)
        }
        Lookup::Present(node) => match as_number(node) {
            Some(days) => Retention::Days(days, node),
            None => Retention::Invalid(node),
        },
    }
}

/// Fails the plan at the rule that keeps its recovery points longest.
fn longest_rule_failure(plan: &Resource, retentions: &[(String, Retention<'_>)]) -> Evaluation {
    let mut longest: Option<(&str, f64, &Node)> = None;
    let mut invalid: Option<&Node> = None;
    for (name, retention) in retentions {
        match retention {
            Retention::Days(days, node) if longest.is_none_or(|(_, known, _)| *days > known) => {
                longest = Some((name, *days, node));
            }
            Retention::Invalid(node) => {
                invalid.get_or_insert(node);
            }
            _ => {}
        }
    }
    let (message, span, found) = match (longest, invalid) {
        (Some((name, days, node)), _) => (
            format!(
                "every rule deletes recovery points within 7 years; the longest, rule {name}, \
                 keeps them {} days. Add a rule with `lifecycle {{ delete_after = 2557 }}` or \
                 more",
                format_number(days)
            ),
            node.span,
            format!("{} days", format_number(days)),
        ),
        (None, Some(node)) => (
            format!(
                "`delete_after` is not a number ({}); set it to 2557 days or more",
                node.display()
            ),
            node.span,
            node.display(),
        ),
        (None, None) => (
            "no rule keeps recovery points for 7 years".to_owned(),
            plan.name_span,
            "none".to_owned(),
        ),
    };
    Evaluation::fail(span, message)
        .attribute("rule.lifecycle.delete_after")
        .expected(">= 2557 days in at least one rule")
        .found(found)
}
