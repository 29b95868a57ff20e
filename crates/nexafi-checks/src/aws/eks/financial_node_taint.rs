use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity, Span, Value,
};

use crate::Check;
use crate::aws::support::{BlockItem, block_items};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EKS-005",
        slug: "eks-financial-node-group-untainted",
        title: "EKS node groups for financial workloads repel other pods with a taint",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &["aws_eks_node_group"],
        categories: &["network-segmentation"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/eks/latest/userguide/node-taints-managed-node-groups.html",
            "https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/eks_node_group#taint",
        ],
        docs: CheckDocs {
            what: "Finds the `aws_eks_node_group` resources meant for financial workloads: those \
                   whose `labels` set `nexafi.io/workload` to `financial`, and those named \
                   `financial` (`node_group_name`). Each must have a `taint` block with key \
                   `nexafi.io/workload`, value `financial` and effect `NO_SCHEDULE` or \
                   `NO_EXECUTE`. The check fails when no taint is declared, when the taint has \
                   another key or value, and when its effect is `PREFER_NO_SCHEDULE`, which \
                   the scheduler may ignore. Other node groups are not evaluated. A label map, \
                   name or taint that is unknown offline gives unknown.",
            why: "A label only attracts pods that ask for it; without a taint, the scheduler \
                  places any other pod on the financial nodes as well. Pods that handle \
                  cardholder data then share a kernel, a kubelet and node credentials with \
                  workloads outside the cardholder data environment, which brings those \
                  workloads into PCI DSS scope and lets a compromise of one reach the other. \
                  PCI DSS 1.3.1 and 1.4.1 expect the cardholder data environment to be \
                  separated from other systems.",
            fix: "Taint the node group with the key and value of its label, and give the \
                  financial pods the matching toleration and node selector:\n\n```hcl\n\
                  resource \"aws_eks_node_group\" \"financial\" {\n  \
                  cluster_name    = aws_eks_cluster.this.name\n  \
                  node_group_name = \"financial\"\n  \
                  node_role_arn   = aws_iam_role.node.arn\n  \
                  subnet_ids      = var.private_subnet_ids\n\n  \
                  labels = {\n    \"nexafi.io/workload\" = \"financial\"\n  }\n\n  \
                  taint {\n    key    = \"nexafi.io/workload\"\n    value  = \"financial\"\n    \
                  effect = \"NO_SCHEDULE\"\n  }\n\n  \
                  scaling_config {\n    min_size     = 3\n    desired_size = 3\n    \
                  max_size     = 9\n  }\n}\n```",
            limitations: "Taints set outside the node group API, such as kubelet flags in the \
                          user data of a custom AMI, are not seen. The check does not verify \
                          that financial pods tolerate the taint or that other pods do not; \
                          the Kubernetes manifests decide that. The label key and value are \
                          the NexaFi naming contract, not a Kubernetes convention.",
        },
    },
    cases: include_str!("financial_node_taint.cases.yaml"),
    evaluate,
};

const LABEL_KEY: &str = "nexafi.io/workload";
const WORKLOAD: &str = "financial";
const EXPECTED: &str = "taint nexafi.io/workload=financial with effect NO_SCHEDULE";

fn evaluate(node_group: &Resource, _model: &Model) -> Vec<Evaluation> {
    match is_financial(node_group) {
        Financial::No => Vec::new(),
        Financial::Unknown(reason, span) => vec![
            Evaluation::unknown(
                span,
                format!(
                    "cannot tell whether this node group is for financial workloads, because \
                     its `labels` and `node_group_name` are unknown offline: {reason}"
                ),
            )
            .attribute("labels"),
        ],
        Financial::Yes => vec![evaluate_taints(node_group)],
    }
}

enum Financial {
    Yes,
    No,
    Unknown(String, Span),
}

/// Decides from the label and the name whether the node group is meant for financial
/// workloads. Either one is enough when it is known.
fn is_financial(node_group: &Resource) -> Financial {
    let mut unknown = None;

    match node_group.body.lookup("labels") {
        Lookup::Present(labels) => match labels.get(LABEL_KEY) {
            Some(value) if value.as_str() == Some(WORKLOAD) => return Financial::Yes,
            Some(value) => {
                if let Some(reason) = value.as_unknown() {
                    unknown = Some((reason.reason.clone(), value.span));
                }
            }
            None => {}
        },
        Lookup::Unknown(reason, span) => unknown = Some((reason.reason.clone(), span)),
        Lookup::Missing => {}
    }

    match node_group.body.lookup("node_group_name") {
        Lookup::Present(name) if name.as_str() == Some(WORKLOAD) => return Financial::Yes,
        Lookup::Unknown(reason, span) if unknown.is_none() => {
            unknown = Some((reason.reason.clone(), span));
        }
        _ => {}
    }

    match unknown {
        Some((reason, span)) => Financial::Unknown(reason, span),
        None => Financial::No,
    }
}

/// How one `taint` block compares with the expected taint.
enum TaintMatch {
    /// Key, value and a hard effect all match.
    Exact,
    /// Key and value match, but the effect is only a preference the scheduler may ignore.
    SoftEffect(String),
    Other,
    Unknown(String, Span),
}

fn evaluate_taints(node_group: &Resource) -> Evaluation {
    let taints = block_items(&node_group.body, "taint");
    if taints.is_empty() {
        return Evaluation::fail(
            node_group.name_span,
            format!(
                "this node group is for financial workloads but declares no `taint`, so the \
                 scheduler places any pod on it; add a `taint` block with key `{LABEL_KEY}`, \
                 value `{WORKLOAD}` and effect `NO_SCHEDULE`"
            ),
        )
        .attribute("taint")
        .expected(EXPECTED)
        .found("omitted");
    }

    let mut soft = None;
    let mut unknown = None;
    for (index, item) in taints.iter().enumerate() {
        let path = format!("taint.{index}");
        let outcome = match item {
            BlockItem::Known(block) => match_taint(block),
            BlockItem::Unknown(reason, span) => TaintMatch::Unknown(reason.reason.clone(), *span),
        };
        match outcome {
            TaintMatch::Exact => {
                return Evaluation::pass(
                    item_span(item),
                    format!(
                        "`{path}` keeps every pod without a matching toleration off these nodes"
                    ),
                )
                .attribute(path);
            }
            TaintMatch::SoftEffect(effect) => {
                if soft.is_none() {
                    soft = Some((path, effect, item_span(item)));
                }
            }
            TaintMatch::Unknown(reason, span) => {
                if unknown.is_none() {
                    unknown = Some((path, reason, span));
                }
            }
            TaintMatch::Other => {}
        }
    }

    if let Some((path, reason, span)) = unknown {
        return Evaluation::unknown(span, format!("`{path}` cannot be known offline: {reason}"))
            .attribute(path);
    }
    if let Some((path, effect, span)) = soft {
        return Evaluation::fail(
            span,
            format!(
                "`{path}` has effect `{effect}`, which the scheduler ignores when other nodes are \
                 full; use `NO_SCHEDULE`"
            ),
        )
        .attribute(format!("{path}.effect"))
        .expected(EXPECTED)
        .found(effect);
    }

    let found = taints
        .iter()
        .filter_map(|item| match item {
            BlockItem::Known(block) => Some(describe_taint(block)),
            BlockItem::Unknown(..) => None,
        })
        .collect::<Vec<_>>()
        .join(", ");
    Evaluation::fail(
        node_group.name_span,
        format!(
            "no `taint` of this financial node group has key `{LABEL_KEY}` and value \
             `{WORKLOAD}`, so pods that tolerate only the other taints land here; add that taint \
             with effect `NO_SCHEDULE`"
        ),
    )
    .attribute("taint")
    .expected(EXPECTED)
    .found(found)
}

fn item_span(item: &BlockItem<'_>) -> Span {
    match item {
        BlockItem::Known(block) => block.span,
        BlockItem::Unknown(_, span) => *span,
    }
}

fn match_taint(block: &Node) -> TaintMatch {
    let mut texts = Vec::new();
    for name in ["key", "value", "effect"] {
        match block.lookup(name) {
            Lookup::Present(node) => match &node.value {
                Value::String(text) => texts.push(Some(text.as_str())),
                Value::Unknown(reason) => {
                    return TaintMatch::Unknown(reason.reason.clone(), node.span);
                }
                _ => texts.push(None),
            },
            Lookup::Unknown(reason, span) => {
                return TaintMatch::Unknown(reason.reason.clone(), span);
            }
            Lookup::Missing => texts.push(None),
        }
    }

    let (key, value, effect) = (texts[0], texts[1], texts[2]);
    if key != Some(LABEL_KEY) || value != Some(WORKLOAD) {
        return TaintMatch::Other;
    }
    match effect {
        Some("NO_SCHEDULE" | "NO_EXECUTE") => TaintMatch::Exact,
        Some(other) => TaintMatch::SoftEffect(other.to_owned()),
        None => TaintMatch::SoftEffect("omitted".to_owned()),
    }
}

fn describe_taint(block: &Node) -> String {
    let text = |name: &str| match block.lookup(name) {
        Lookup::Present(node) => node.display(),
        _ => "omitted".to_owned(),
    };
    format!("{}={}:{}", text("key"), text("value"), text("effect"))
}
