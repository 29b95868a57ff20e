use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::ec2::vpc::{VpcLink, link_to_vpc};
use crate::aws::support::{BlockItem, block_items, path_without_indexes};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EC2-002",
        slug: "default-security-group-allows-traffic",
        title: "Default security groups allow no traffic",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &[DEFAULT_GROUP_KIND, "aws_vpc"],
        categories: &["network-segmentation"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV2_AWS_12"],
        references: &[
            "https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/default_security_group",
        ],
        docs: CheckDocs {
            what: "Judges two kinds of resources. An `aws_default_security_group` fails when it \
                   declares any `ingress` or `egress` rule, inline or through an \
                   `aws_security_group_rule`, `aws_vpc_security_group_ingress_rule` or \
                   `aws_vpc_security_group_egress_rule` that references it. Terraform removes \
                   every rule it does not declare, so a default group without rules denies all \
                   traffic and passes. An `aws_vpc` fails when no `aws_default_security_group` \
                   references it through `vpc_id`: AWS then keeps the default group's original \
                   rules, which allow all traffic between members of the group and all outbound \
                   traffic, so leaving the group unmanaged counts as allowing traffic. A default \
                   group whose `vpc_id` is unknown offline makes an otherwise failing VPC unknown.",
            why: "Every instance, endpoint or function launched without an explicit security \
                  group lands in the default group. If that group allows traffic, such resources \
                  can reach each other and the internet with nobody having decided it. PCI DSS \
                  1.3.1 and 1.3.2 require inbound and outbound traffic to be limited to what is \
                  necessary and everything else denied, and a default group that allows nothing \
                  forces every resource into a reviewed group.",
            fix: "Manage the default group of each VPC and leave it empty:\n\n```hcl\n\
                  resource \"aws_default_security_group\" \"main\" {\n  \
                  vpc_id = aws_vpc.main.id\n}\n```",
            limitations: "The default group of the default VPC (`aws_default_vpc`) is not \
                          required to be managed. Rules added to a default group from another \
                          root module, or outside Terraform, are not visible; Terraform removes \
                          them at the next apply of this root. A VPC created by a module that \
                          manages its default group through a module input is judged only by \
                          what the loader can resolve.",
        },
    },
    cases: include_str!("default_security_group.cases.yaml"),
    evaluate,
};

const DEFAULT_GROUP_KIND: &str = "aws_default_security_group";
const RULE_KINDS: &[&str] = &[
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
];

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    if resource.kind == DEFAULT_GROUP_KIND {
        judge_group(resource, model)
    } else {
        vec![judge_vpc(resource, model)]
    }
}

fn judge_group(group: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();
    for direction in ["ingress", "egress"] {
        for (index, item) in block_items(&group.body, direction).into_iter().enumerate() {
            evaluations.push(match item {
                BlockItem::Known(block) => Evaluation::fail(
                    block.span,
                    format!(
                        "`{direction}.{index}` adds a rule to the default security group; remove \
                         it and put the rule in a dedicated security group"
                    ),
                )
                .attribute(format!("{direction}.{index}"))
                .expected("no rules")
                .found(format!("{direction} rule {}", block.display())),
                BlockItem::Unknown(unknown, span) => Evaluation::unknown(
                    span,
                    format!(
                        "the `{direction}` blocks are dynamic and cannot be expanded offline: {}",
                        unknown.reason
                    ),
                )
                .attribute(direction),
            });
        }
    }

    // A rule resource belongs to the group named by its `security_group_id`; other
    // references (`source_security_group_id`) only name the group as a traffic source.
    let attached = |rule: &&Resource| {
        rule.references.iter().any(|reference| {
            path_without_indexes(&reference.attribute) == "security_group_id"
                && group.is_target_of(reference)
        })
    };
    for kind in RULE_KINDS {
        for rule in model.referrers(group, kind).filter(attached) {
            evaluations.push(
                Evaluation::fail(
                    rule.name_span,
                    format!(
                        "{} adds a rule to the default security group; attach it to a dedicated \
                         security group instead",
                        rule.address
                    ),
                )
                .attribute("security_group_id")
                .expected("no rules")
                .found(rule.address.clone()),
            );
        }
    }

    if evaluations.is_empty() {
        evaluations.push(Evaluation::pass(
            group.name_span,
            "the default security group declares no rules, so Terraform keeps it empty and it \
             allows no traffic",
        ));
    }
    evaluations
}

fn judge_vpc(vpc: &Resource, model: &Model) -> Evaluation {
    let mut undetermined = Vec::new();
    for group in model.in_group(vpc, DEFAULT_GROUP_KIND) {
        match link_to_vpc(group, "vpc_id", vpc) {
            VpcLink::Yes => {
                return Evaluation::pass(
                    vpc.name_span,
                    format!(
                        "{} manages this VPC's default security group and is judged on its own",
                        group.address
                    ),
                );
            }
            VpcLink::Undetermined(reason) => {
                undetermined.push(format!("{} may manage it: {reason}", group.address));
            }
            VpcLink::No => {}
        }
    }
    if !undetermined.is_empty() {
        return Evaluation::unknown(
            vpc.name_span,
            format!(
                "no default security group is known to manage this VPC's, and {}",
                undetermined.join("; ")
            ),
        )
        .attribute(DEFAULT_GROUP_KIND);
    }
    Evaluation::fail(
        vpc.name_span,
        format!(
            "no `{DEFAULT_GROUP_KIND}` manages this VPC's default security group, so it keeps \
             the AWS rules that allow traffic between its members and all outbound traffic; add \
             one with `vpc_id` set to this VPC and no rules"
        ),
    )
    .attribute(DEFAULT_GROUP_KIND)
    .expected("a managed default security group without rules")
    .found("none")
}
