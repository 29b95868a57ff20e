use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity, Span,
};

use crate::Check;
use crate::aws::support::{
    BlockItem, Policy, PolicyLookup, PolicyStatement, PolicyTerm, all_of, any_of, block_items,
    read_policy, read_policy_document_resource, wildcard_match,
};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-IAM-001",
        slug: "iam-policy-full-admin",
        title: "IAM policies do not allow every action on every resource",
        severity: Severity::Critical,
        input: InputKind::Terraform,
        kinds: &[
            "aws_iam_policy",
            "aws_iam_role_policy",
            "aws_iam_user_policy",
            "aws_iam_group_policy",
            "aws_iam_role",
            "data.aws_iam_policy_document",
        ],
        categories: &["iam-least-privilege"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_62", "CKV_AWS_1"],
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document",
        ],
        docs: CheckDocs {
            what: "Reads the `policy` of `aws_iam_policy`, `aws_iam_role_policy`, \
                   `aws_iam_user_policy` and `aws_iam_group_policy`, the `inline_policy` blocks \
                   of `aws_iam_role`, and the `statement` blocks of every \
                   `data.aws_iam_policy_document`. A policy may be a `jsonencode(...)` value, a \
                   JSON string (a heredoc or `file(...)`), or a reference to a policy document \
                   data source, whose statements and merged source documents are read through \
                   the reference. It fails for each statement with `Effect` `Allow` (the \
                   default in policy documents) whose actions include `*` or `*:*`, or that \
                   uses `NotAction` (everything except a few actions), and whose resources \
                   include `*`, or that uses `NotResource`. Conditions do not change the \
                   verdict. A policy, an effect, an action or a resource that is unknown \
                   offline and could complete such a statement gives unknown.",
            why: "A statement that allows everything on everything makes its holder an \
                  administrator of the account: it can read every secret and database \
                  snapshot, turn off CloudTrail and GuardDuty, and create new users with new \
                  keys. PCI DSS 7.2, SOC 2 CC6.3 and SOX access controls require access to be \
                  limited to what a job needs, and an auditor reads such a policy as a failed \
                  control unless it belongs to a documented break-glass role.",
            fix: "List the actions and resources the workload needs:\n\n```hcl\ndata \
                  \"aws_iam_policy_document\" \"ledger\" {\n  statement {\n    actions   = \
                  [\"dynamodb:GetItem\", \"dynamodb:PutItem\"]\n    resources = \
                  [aws_dynamodb_table.ledger.arn]\n  }\n}\n```\n\nFor a break-glass role, keep \
                  the policy, require MFA in its trust policy, and record a waiver with an \
                  owner and an expiry date.",
            limitations: "Only `*` and `*:*` count as every action; `iam:*` or \
                          `s3:*` on all resources are broad but not reported here. Override \
                          documents are read as additional statements, so a statement that an \
                          override replaces by `sid` is still judged. AWS managed policies \
                          attached by ARN are covered by NXF-AWS-IAM-002.",
        },
    },
    cases: include_str!("admin_policy.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    match resource.kind.as_str() {
        "data.aws_iam_policy_document" => {
            let policy = read_policy_document_resource(model, resource);
            judge_policy(resource, "statement", policy)
        }
        "aws_iam_role" => evaluate_inline_policies(resource, model),
        _ => match read_policy(model, resource, "policy") {
            PolicyLookup::Present(policy) => judge_policy(resource, "policy", policy),
            other => judge_unreadable(other, "policy"),
        },
    }
}

fn evaluate_inline_policies(role: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();
    for (index, block) in block_items(&role.body, "inline_policy")
        .into_iter()
        .enumerate()
    {
        let path = format!("inline_policy.{index}.policy");
        match block {
            BlockItem::Unknown(unknown_value, span) => evaluations.push(
                Evaluation::unknown(
                    span,
                    format!(
                        "the `inline_policy` blocks cannot be known offline: {}",
                        unknown_value.reason
                    ),
                )
                .attribute("inline_policy"),
            ),
            BlockItem::Known(_) => match read_policy(model, role, &path) {
                PolicyLookup::Present(policy) => {
                    evaluations.extend(judge_policy(role, &path, policy));
                }
                other => evaluations.extend(judge_unreadable(other, &path)),
            },
        }
    }
    evaluations
}

fn judge_unreadable(lookup: PolicyLookup, path: &str) -> Vec<Evaluation> {
    match lookup {
        PolicyLookup::Missing | PolicyLookup::Present(_) => Vec::new(),
        PolicyLookup::Unknown { reason, span } => vec![
            Evaluation::unknown(
                span,
                format!("the policy cannot be known offline: {reason}"),
            )
            .attribute(path),
        ],
        PolicyLookup::Invalid { message, span } => vec![
            Evaluation::unknown(span, format!("the policy cannot be read: {message}"))
                .attribute(path),
        ],
    }
}

fn judge_policy(resource: &Resource, path: &str, policy: Policy) -> Vec<Evaluation> {
    let mut failures = Vec::new();
    let mut undecided: Option<(String, Span)> = None;
    for (index, statement) in policy.statements.iter().enumerate() {
        let mut name = statement.sid.as_ref().map_or_else(
            || format!("statement {}", index + 1),
            |sid| format!("statement {sid:?}"),
        );
        // A role may have several inline policies, so the message names the one with the statement.
        if path.starts_with("inline_policy") {
            name = format!("{name} of `{path}`");
        }
        match full_access(statement) {
            Some(true) => failures.push(full_access_failure(path, &name, statement)),
            None => {
                undecided.get_or_insert((
                    format!(
                        "{name} may allow every action on every resource: its effect, actions \
                         or resources cannot be known offline"
                    ),
                    statement.span,
                ));
            }
            Some(false) => {}
        }
    }
    if !failures.is_empty() {
        return failures;
    }

    let undecided = undecided.or_else(|| {
        policy.unknown_parts.first().map(|(reason, span)| {
            (
                format!("part of the policy cannot be known offline: {reason}"),
                *span,
            )
        })
    });
    match undecided {
        Some((message, span)) => vec![Evaluation::unknown(span, message).attribute(path)],
        None => vec![
            Evaluation::pass(
                resource.name_span,
                format!(
                    "no statement allows every action on every resource ({} read)",
                    policy.statements.len()
                ),
            )
            .attribute(path),
        ],
    }
}

/// Returns whether `statement` allows every action on every resource; `None` when unknown.
fn full_access(statement: &PolicyStatement) -> Option<bool> {
    let every_action = if statement.not_actions.is_empty() {
        any_of(statement.actions.iter().map(is_every_action))
    } else {
        // `NotAction` allows everything it does not list; listing `*` leaves nothing.
        any_of(
            statement
                .not_actions
                .iter()
                .map(|action| action.equals("*")),
        )
        .map(|all| !all)
    };
    let every_resource = if statement.not_resources.is_empty() {
        any_of(
            statement
                .resources
                .iter()
                .map(|resource| resource.equals("*")),
        )
    } else {
        any_of(
            statement
                .not_resources
                .iter()
                .map(|resource| resource.equals("*")),
        )
        .map(|all| !all)
    };
    all_of([statement.has_effect("Allow"), every_action, every_resource])
}

/// Returns whether an `Action` pattern matches every action: `*` or `*:*`.
fn is_every_action(action: &PolicyTerm) -> Option<bool> {
    match action {
        PolicyTerm::Known(pattern) => Some(
            pattern
                .split(':')
                .all(|part| !part.is_empty() && part.chars().all(|c| c == '*')),
        ),
        PolicyTerm::Unknown(_) => None,
        PolicyTerm::Partial { pattern, .. } => {
            let could_be = wildcard_match(pattern, "*") || wildcard_match(pattern, "*:*");
            (!could_be).then_some(false)
        }
    }
}

fn full_access_failure(path: &str, name: &str, statement: &PolicyStatement) -> Evaluation {
    let actions = if statement.not_actions.is_empty() {
        format!("`Action` {}", terms(&statement.actions))
    } else {
        format!("`NotAction` {}", terms(&statement.not_actions))
    };
    let resources = if statement.not_resources.is_empty() {
        format!("`Resource` {}", terms(&statement.resources))
    } else {
        format!("`NotResource` {}", terms(&statement.not_resources))
    };
    let conditions = if statement.conditions.is_empty() {
        ""
    } else {
        " (its conditions narrow when, not what)"
    };
    Evaluation::fail(
        statement.span,
        format!(
            "{name} allows every action on every resource ({actions}, {resources}){conditions}; \
             list the actions and resource ARNs the principal needs"
        ),
    )
    .attribute(path)
    .expected("specific actions and resources")
    .found(format!("{actions}, {resources}"))
}

fn terms(terms: &[PolicyTerm]) -> String {
    let parts: Vec<String> = terms.iter().map(PolicyTerm::display).collect();
    format!("[{}]", parts.join(", "))
}
