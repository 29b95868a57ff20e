use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity,
};

use crate::Check;
use crate::aws::support::{BlockItem, block_items, referenced_by_value};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-BACKUP-002",
        slug: "backup-plan-no-copy",
        title: "Every AWS Backup rule copies its recovery points to another vault",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_backup_plan"],
        categories: &["backup-cross-region"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/backup_plan#copy_action",
        ],
        docs: CheckDocs {
            what: "Reads every `rule` block of every `aws_backup_plan` and fails each rule \
                   without a `copy_action` block that sets `destination_vault_arn`. A \
                   destination given as a literal ARN or as a reference to an \
                   `aws_backup_vault` passes; one from a variable without a value is unknown, \
                   and so is a `dynamic` rule or copy action that cannot be expanded offline.",
            why: "Recovery points in a single vault share the fate of its region and account: \
                  a regional outage, a deleted vault or an attacker with backup permissions \
                  can take the primary data and its backups together. The FFIEC business \
                  continuity booklet and SOC 2 A1.2 expect backups kept apart from the systems \
                  they protect, and a copy in another region, preferably in a separate backup \
                  account, provides that.",
            fix: "Add a copy action to a vault in another region (or account):\n\n```hcl\nrule \
                  {\n  rule_name         = \"daily\"\n  target_vault_name = \
                  aws_backup_vault.ledger.name\n  schedule          = \"cron(0 3 * * ? *)\"\n\n  \
                  copy_action {\n    destination_vault_arn = aws_backup_vault.ledger_dr.arn\n    \
                  lifecycle {\n      delete_after = 35\n    }\n  }\n}\n```",
            limitations: "The check cannot compare regions offline: a copy to another vault \
                          in the same region passes. It does not check that the destination \
                          vault is encrypted or locked; NXF-AWS-BACKUP-003 and 004 check vaults \
                          that the configuration defines.",
        },
    },
    cases: include_str!("cross_region_copy.cases.yaml"),
    evaluate,
};

fn evaluate(plan: &Resource, model: &Model) -> Vec<Evaluation> {
    block_items(&plan.body, "rule")
        .into_iter()
        .enumerate()
        .map(|(index, rule)| match rule {
            BlockItem::Unknown(unknown_value, span) => Evaluation::unknown(
                span,
                format!(
                    "the rules of the plan cannot be known offline: {}",
                    unknown_value.reason
                ),
            )
            .attribute("rule"),
            BlockItem::Known(rule) => evaluate_rule(plan, model, rule, index),
        })
        .collect()
}

fn evaluate_rule(plan: &Resource, model: &Model, rule: &Node, index: usize) -> Evaluation {
    let name = match rule.get("rule_name").and_then(Node::as_str) {
        Some(name) => format!("rule {name:?}"),
        None => format!("rule {}", index + 1),
    };
    let copies = block_items(rule, "copy_action");
    if copies.is_empty() {
        return Evaluation::fail(
            rule.span,
            format!(
                "{name} keeps its recovery points in one vault only; add a `copy_action` with \
                 a `destination_vault_arn` in another region"
            ),
        )
        .attribute(format!("rule.{index}.copy_action"))
        .expected("a copy_action with destination_vault_arn")
        .found("none");
    }

    let mut first_problem = None;
    for (copy_index, copy) in copies.into_iter().enumerate() {
        let path = format!("rule.{index}.copy_action.{copy_index}.destination_vault_arn");
        let evaluation = match copy {
            BlockItem::Unknown(unknown_value, span) => Evaluation::unknown(
                span,
                format!(
                    "the copy actions of {name} cannot be known offline: {}",
                    unknown_value.reason
                ),
            )
            .attribute(path),
            BlockItem::Known(copy) => evaluate_destination(plan, model, &name, copy, &path),
        };
        if evaluation.verdict == nexafi_model::Verdict::Pass {
            return evaluation;
        }
        first_problem.get_or_insert(evaluation);
    }
    first_problem.unwrap_or_else(|| Evaluation::fail(rule.span, format!("{name} has no copy")))
}

fn evaluate_destination(
    plan: &Resource,
    model: &Model,
    name: &str,
    copy: &Node,
    path: &str,
) -> Evaluation {
    match copy.lookup("destination_vault_arn") {
        Lookup::Present(node) if node.as_str().is_some_and(|arn| !arn.trim().is_empty()) => {
            let region = node
                .as_str()
                .and_then(|arn| arn.split(':').nth(3))
                .filter(|region| !region.is_empty())
                .map_or_else(String::new, |region| format!(" in {region}"));
            Evaluation::pass(
                node.span,
                format!("{name} copies its recovery points to a vault{region}"),
            )
            .attribute(path)
        }
        Lookup::Unknown(unknown_value, span) => {
            match referenced_by_value(model, plan, path, span).first() {
                Some(vault) => Evaluation::pass(
                    span,
                    format!("{name} copies its recovery points to {}", vault.address),
                )
                .attribute(path),
                None => Evaluation::unknown(
                    span,
                    format!(
                        "the copy destination of {name} cannot be known offline: {}",
                        unknown_value.reason
                    ),
                )
                .attribute(path),
            }
        }
        _ => Evaluation::fail(
            copy.span,
            format!("the `copy_action` of {name} sets no `destination_vault_arn`"),
        )
        .attribute(path)
        .expected("a vault ARN")
        .found("omitted"),
    }
}
