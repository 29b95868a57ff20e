use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity, Value,
};

use crate::Check;
use crate::aws::support::{referenced_by_value, template_pattern, wildcard_match};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-IAM-002",
        slug: "iam-administrator-access-attached",
        title: "The AWS managed AdministratorAccess policy is not attached",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &[
            "aws_iam_role_policy_attachment",
            "aws_iam_user_policy_attachment",
            "aws_iam_group_policy_attachment",
            "aws_iam_policy_attachment",
            "aws_iam_role",
        ],
        categories: &["iam-least-privilege"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
        ],
        docs: CheckDocs {
            what: "Reads `policy_arn` of the IAM policy attachment resources and \
                   `managed_policy_arns` of `aws_iam_role`, and fails when one names the AWS \
                   managed `AdministratorAccess` policy in any partition. An ARN built from a \
                   template such as `arn:${data.aws_partition.current.partition}:iam::aws:\
                   policy/AdministratorAccess` fails too, and so does a reference to a \
                   `data.aws_iam_policy` whose `name` or `arn` is that policy. A reference to an \
                   `aws_iam_policy` resource passes here (NXF-AWS-IAM-001 judges its content); \
                   an ARN from a variable without a value is unknown. Roles without \
                   `managed_policy_arns` are skipped.",
            why: "AdministratorAccess allows every action on every resource. Attached to a \
                  CI role, an application role or a user, it turns any leak of that \
                  identity's credentials into full control of the account, including its \
                  audit trail. Least privilege (PCI DSS 7.2, SOC 2 CC6.3, SOX ITGC access \
                  controls) rules it out outside documented break-glass access.",
            fix: "Attach a policy scoped to the job, or a narrower AWS managed job-function \
                  policy:\n\n```hcl\nresource \"aws_iam_role_policy_attachment\" \"deployer\" \
                  {\n  role       = aws_iam_role.deployer.name\n  policy_arn = \
                  aws_iam_policy.deployer.arn\n}\n```\n\nKeep AdministratorAccess for a \
                  break-glass role that requires MFA, and waive the finding there with an \
                  owner and an expiry date.",
            limitations: "Other AWS managed policies that grant nearly everything \
                          (`PowerUserAccess`, `IAMFullAccess`) are not reported. Attachments \
                          made outside Terraform, for example by permission sets of IAM \
                          Identity Center, are not seen.",
        },
    },
    cases: include_str!("admin_managed_policy.cases.yaml"),
    evaluate,
};

const ADMIN_POLICY_NAME: &str = "AdministratorAccess";
const ADMIN_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    if resource.kind != "aws_iam_role" {
        return vec![evaluate_arn(resource, model, "policy_arn")];
    }

    const PATH: &str = "managed_policy_arns";
    match resource.body.lookup(PATH) {
        Lookup::Missing => Vec::new(),
        Lookup::Unknown(unknown_value, span) => vec![
            Evaluation::unknown(
                span,
                format!("`{PATH}` cannot be known offline: {}", unknown_value.reason),
            )
            .attribute(PATH),
        ],
        Lookup::Present(node) => match &node.value {
            Value::List(items) if items.is_empty() => Vec::new(),
            Value::List(items) => {
                let evaluations: Vec<Evaluation> = (0..items.len())
                    .map(|index| evaluate_arn(resource, model, &format!("{PATH}.{index}")))
                    .collect();
                worst_first(evaluations)
            }
            _ => vec![evaluate_arn(resource, model, PATH)],
        },
    }
}

/// Keeps the failures and unknowns of a list of ARNs, or one pass when all pass.
fn worst_first(evaluations: Vec<Evaluation>) -> Vec<Evaluation> {
    let problems: Vec<Evaluation> = evaluations
        .iter()
        .filter(|evaluation| evaluation.verdict != nexafi_model::Verdict::Pass)
        .cloned()
        .collect();
    if problems.is_empty() {
        evaluations.into_iter().take(1).collect()
    } else {
        problems
    }
}

fn evaluate_arn(resource: &Resource, model: &Model, path: &str) -> Evaluation {
    match resource.body.lookup(path) {
        Lookup::Missing => {
            Evaluation::pass(resource.name_span, format!("`{path}` is not set")).attribute(path)
        }
        Lookup::Present(node) => match node.as_str() {
            Some(arn) if is_admin_arn(arn) => admin_failure(node, path, &format!("{arn:?}")),
            _ => Evaluation::pass(node.span, format!("`{path}` is {}", node.display()))
                .attribute(path),
        },
        Lookup::Unknown(unknown_value, span) => {
            let sources = referenced_by_value(model, resource, path, span);
            for source in &sources {
                if is_admin_data_source(source) {
                    let node = resource
                        .body
                        .get(path)
                        .map_or_else(|| Node::null(span), Clone::clone);
                    return admin_failure(&node, path, &source.address);
                }
            }
            let text = model
                .sources
                .get(span.file)
                .and_then(|file| template_pattern(file.slice(span)));
            if let Some(pattern) = text {
                if pattern.ends_with(":policy/AdministratorAccess")
                    && wildcard_match(&pattern, ADMIN_POLICY_ARN)
                {
                    return admin_failure(&Node::null(span), path, &pattern);
                }
                if !wildcard_match(&pattern, ADMIN_POLICY_ARN) {
                    return Evaluation::pass(
                        span,
                        format!("`{path}` cannot name AdministratorAccess (`{pattern}`)"),
                    )
                    .attribute(path);
                }
            }
            if let Some(source) = sources.first()
                && source.kind == "aws_iam_policy"
            {
                return Evaluation::pass(
                    span,
                    format!(
                        "`{path}` names the customer managed policy {}",
                        source.address
                    ),
                )
                .attribute(path);
            }
            Evaluation::unknown(
                span,
                format!("`{path}` cannot be known offline: {}", unknown_value.reason),
            )
            .attribute(path)
        }
    }
}

/// Returns true for the ARN of AdministratorAccess in any partition (`aws`, `aws-cn`,
/// `aws-us-gov`).
fn is_admin_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4] == "aws"
        && parts[5] == "policy/AdministratorAccess"
}

/// Returns true for a `data.aws_iam_policy` that looks up AdministratorAccess.
fn is_admin_data_source(source: &Resource) -> bool {
    if source.kind != "data.aws_iam_policy" {
        return false;
    }
    let name = source.body.lookup("name");
    let arn = source.body.lookup("arn");
    matches!(name, Lookup::Present(node) if node.as_str() == Some(ADMIN_POLICY_NAME))
        || matches!(arn, Lookup::Present(node) if node.as_str().is_some_and(is_admin_arn))
}

fn admin_failure(node: &Node, path: &str, found: &str) -> Evaluation {
    Evaluation::fail(
        node.span,
        format!(
            "`{path}` attaches the AWS managed AdministratorAccess policy ({found}), which allows \
             every action on every resource; attach a policy scoped to the job instead"
        ),
    )
    .attribute(path)
    .expected("a policy scoped to the job")
    .found(found.to_owned())
}
