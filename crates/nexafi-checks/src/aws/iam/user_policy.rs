use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Value,
};

use crate::Check;
use crate::aws::support::unknown;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-IAM-003",
        slug: "iam-policy-on-user",
        title: "IAM policies are granted to groups or roles, not to users",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &[
            "aws_iam_user_policy",
            "aws_iam_user_policy_attachment",
            "aws_iam_policy_attachment",
        ],
        categories: &["iam-least-privilege"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_40"],
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#use-groups-for-permissions",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_policy_attachment",
        ],
        docs: CheckDocs {
            what: "Fails every `aws_iam_user_policy` (an inline policy of a user) and every \
                   `aws_iam_user_policy_attachment`. An `aws_iam_policy_attachment` fails when \
                   its `users` list names anyone, and passes when it attaches to `roles` and \
                   `groups` only (`users` omitted or empty). `users` from a variable without a \
                   value is unknown.",
            why: "Permissions granted user by user drift apart: after a few role changes \
                  nobody can say why one person holds a right, and an access review has to \
                  read every user instead of a handful of groups. PCI DSS 7.2 and SOX access \
                  reviews expect access assigned by job function, which groups and roles \
                  express. Users with their own policies are also often long-lived \
                  credentials that IAM Identity Center or roles should replace.",
            fix: "Attach the policy to a group and add the user to it, or better, let people \
                  assume a role:\n\n```hcl\nresource \"aws_iam_group_policy_attachment\" \
                  \"operators\" {\n  group      = aws_iam_group.operators.name\n  policy_arn = \
                  aws_iam_policy.operators.arn\n}\n```",
            limitations: "The check cannot see break-glass or service users that need a \
                          policy of their own; waive those with an owner and an expiry date.",
        },
    },
    cases: include_str!("user_policy.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    let evaluation = match resource.kind.as_str() {
        "aws_iam_user_policy" => Evaluation::fail(
            resource.name_span,
            format!(
                "{} is an inline policy of an IAM user; move its statements to a policy \
                 attached to a group or a role",
                resource.address
            ),
        )
        .attribute("user")
        .expected("a group or role")
        .found("an IAM user"),
        "aws_iam_user_policy_attachment" => Evaluation::fail(
            resource.name_span,
            format!(
                "{} attaches a policy to an IAM user; attach it to a group or a role instead",
                resource.address
            ),
        )
        .attribute("user")
        .expected("a group or role")
        .found("an IAM user"),
        _ => evaluate_shared_attachment(resource),
    };
    vec![evaluation]
}

fn evaluate_shared_attachment(attachment: &Resource) -> Evaluation {
    const PATH: &str = "users";
    match attachment.body.lookup(PATH) {
        Lookup::Missing => Evaluation::pass(
            attachment.name_span,
            "the policy is attached to groups and roles only",
        )
        .attribute(PATH),
        Lookup::Unknown(unknown_value, span) => unknown(PATH, &unknown_value.reason, span),
        Lookup::Present(node) => match &node.value {
            Value::List(users) if users.is_empty() => {
                Evaluation::pass(node.span, "the policy is attached to groups and roles only")
                    .attribute(PATH)
            }
            _ => Evaluation::fail(
                node.span,
                format!(
                    "{} attaches its policy to IAM users {}; attach it to a group or a role \
                     instead",
                    attachment.address,
                    node.display()
                ),
            )
            .attribute(PATH)
            .expected("no users")
            .found(node.display()),
        },
    }
}
