use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Value,
};

use crate::Check;
use crate::aws::support::{as_bool, is_open_cidr};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EKS-002",
        slug: "eks-endpoint-open-to-internet",
        title: "Public EKS API endpoints accept only listed CIDR ranges",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &["aws_eks_cluster"],
        categories: &["no-public-endpoints"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_38"],
        references: &[
            "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/eks_cluster#public_access_cidrs",
        ],
        docs: CheckDocs {
            what: "For every `aws_eks_cluster` whose `vpc_config.endpoint_public_access` is true \
                   or omitted (the EKS default is public), reads \
                   `vpc_config.public_access_cidrs`. It fails when the list contains a range with \
                   prefix length 0 (`0.0.0.0/0`), and when the list is omitted, because EKS then \
                   allows `0.0.0.0/0`. A cluster with a private endpoint passes. An unknown flag, \
                   or an unknown entry in the list, is unknown.",
            why: "If the API endpoint must stay public (for a hosted CI service, say), limiting \
                  it to known address ranges removes it from internet-wide scanning and from \
                  attackers holding leaked credentials elsewhere. PCI DSS 1.4.2 allows inbound \
                  traffic from untrusted networks only to what is authorised, and 1.3.1 limits \
                  inbound traffic to what is necessary.",
            fix: "List the ranges that need the API:\n\n```hcl\nresource \"aws_eks_cluster\" \"payments\" {\n  \
                  name     = \"payments\"\n  role_arn = aws_iam_role.cluster.arn\n\n  \
                  vpc_config {\n    subnet_ids             = var.private_subnet_ids\n    \
                  endpoint_public_access = true\n    \
                  public_access_cidrs    = [\"203.0.113.0/24\"]\n  }\n}\n```",
            limitations: "Broad but not universal ranges (a /1, a cloud provider's whole address \
                          space) pass. IPv6 ranges are not accepted by EKS in this list and are \
                          not judged.",
        },
    },
    cases: include_str!("endpoint_cidrs.cases.yaml"),
    evaluate,
};

const PUBLIC: &str = "vpc_config.0.endpoint_public_access";
const CIDRS: &str = "vpc_config.0.public_access_cidrs";

fn evaluate(cluster: &Resource, _model: &Model) -> Vec<Evaluation> {
    match cluster.body.lookup(PUBLIC) {
        Lookup::Present(node) if as_bool(node) == Some(false) => {
            return vec![
                Evaluation::pass(
                    node.span,
                    format!("`{PUBLIC}` is false, so no CIDR is public"),
                )
                .attribute(PUBLIC),
            ];
        }
        Lookup::Unknown(unknown, span) => {
            return vec![
                Evaluation::unknown(
                    span,
                    format!("`{PUBLIC}` cannot be known offline: {}", unknown.reason),
                )
                .attribute(PUBLIC),
            ];
        }
        _ => {}
    }

    let cidrs = match cluster.body.lookup(CIDRS) {
        Lookup::Missing => {
            return vec![
                Evaluation::fail(
                    cluster.name_span,
                    format!(
                        "the endpoint is public and `{CIDRS}` is omitted, so EKS accepts \
                         0.0.0.0/0; list the ranges that need the API"
                    ),
                )
                .attribute(CIDRS)
                .expected("specific CIDR ranges")
                .found("omitted (0.0.0.0/0)"),
            ];
        }
        Lookup::Unknown(unknown, span) => {
            return vec![
                Evaluation::unknown(
                    span,
                    format!("`{CIDRS}` cannot be known offline: {}", unknown.reason),
                )
                .attribute(CIDRS),
            ];
        }
        Lookup::Present(node) => node,
    };

    let items: Vec<&nexafi_model::Node> = match &cidrs.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![cidrs],
    };
    let mut unknown_item = None;
    for item in &items {
        match &item.value {
            Value::String(cidr) if is_open_cidr(cidr) => {
                return vec![
                    Evaluation::fail(
                        item.span,
                        format!(
                            "`{CIDRS}` contains {cidr:?}, so the public API accepts the whole \
                             internet; list specific ranges or make the endpoint private"
                        ),
                    )
                    .attribute(CIDRS)
                    .expected("specific CIDR ranges")
                    .found(cidrs.display()),
                ];
            }
            Value::Unknown(unknown) if unknown_item.is_none() => {
                unknown_item = Some((unknown.reason.clone(), item.span));
            }
            _ => {}
        }
    }
    if let Some((reason, span)) = unknown_item {
        return vec![
            Evaluation::unknown(
                span,
                format!("an entry of `{CIDRS}` cannot be known offline: {reason}"),
            )
            .attribute(CIDRS),
        ];
    }
    vec![
        Evaluation::pass(
            cidrs.span,
            format!("the public endpoint accepts only {}", cidrs.display()),
        )
        .attribute(CIDRS),
    ]
}
