use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Value,
};

use crate::Check;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EKS-004",
        slug: "eks-control-plane-logging-incomplete",
        title: "EKS clusters send all five control-plane log types to CloudWatch",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_eks_cluster"],
        categories: &["audit-logging-k8s"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_37"],
        references: &[
            "https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/eks_cluster#enabled_cluster_log_types",
        ],
        docs: CheckDocs {
            what: "Reads `enabled_cluster_log_types` on every `aws_eks_cluster` and fails unless it \
                   contains all of `api`, `audit`, `authenticator`, `controllerManager` and \
                   `scheduler`. Omitted, the list is empty, since EKS sends no control-plane logs \
                   by default. When some entries are unknown offline, the check fails only if \
                   more types are missing than there are unknown entries, and is unknown \
                   otherwise.",
            why: "The audit log records who read which Secret, who changed which role binding \
                  and who ran `exec` into which pod; the authenticator log ties Kubernetes users \
                  to IAM principals; the API, controller manager and scheduler logs explain \
                  failures and tampering with workloads. PCI DSS 10.2 requires audit logs of \
                  administrative actions and access to sensitive data, and SOC 2 CC7.2 expects \
                  such events to be monitored.",
            fix: "Enable every log type:\n\n```hcl\nresource \"aws_eks_cluster\" \"payments\" {\n  \
                  name     = \"payments\"\n  role_arn = aws_iam_role.cluster.arn\n\n  \
                  enabled_cluster_log_types = [\n    \"api\",\n    \"audit\",\n    \
                  \"authenticator\",\n    \"controllerManager\",\n    \"scheduler\",\n  ]\n\n  \
                  vpc_config {\n    subnet_ids = var.private_subnet_ids\n  }\n}\n```",
            limitations: "The retention of the `/aws/eks/<cluster>/cluster` log group is judged \
                          by the CloudWatch Logs checks, and only when the group is declared in \
                          code. The `audit-logging-k8s` category calls `controllerManager` \
                          and `scheduler` recommended; this check requires them, so waive it \
                          where their cost rules them out.",
        },
    },
    cases: include_str!("control_plane_logging.cases.yaml"),
    evaluate,
};

const PATH: &str = "enabled_cluster_log_types";
const LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

fn evaluate(cluster: &Resource, _model: &Model) -> Vec<Evaluation> {
    let list = match cluster.body.lookup(PATH) {
        Lookup::Missing => {
            return vec![
                Evaluation::fail(
                    cluster.name_span,
                    format!(
                        "`{PATH}` is omitted, so EKS sends no control-plane logs; list {}",
                        LOG_TYPES.join(", ")
                    ),
                )
                .attribute(PATH)
                .expected(LOG_TYPES.join(", "))
                .found("omitted"),
            ];
        }
        Lookup::Unknown(unknown, span) => {
            return vec![
                Evaluation::unknown(
                    span,
                    format!("`{PATH}` cannot be known offline: {}", unknown.reason),
                )
                .attribute(PATH),
            ];
        }
        Lookup::Present(node) => node,
    };

    let items: Vec<&nexafi_model::Node> = match &list.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![list],
    };
    let enabled: Vec<&str> = items.iter().filter_map(|item| item.as_str()).collect();
    let unknown: Vec<&nexafi_model::Node> = items
        .iter()
        .copied()
        .filter(|item| item.is_unknown())
        .collect();
    let missing: Vec<&str> = LOG_TYPES
        .iter()
        .copied()
        .filter(|log_type| !enabled.contains(log_type))
        .collect();

    if missing.is_empty() {
        return vec![
            Evaluation::pass(list.span, format!("`{PATH}` enables all five log types"))
                .attribute(PATH),
        ];
    }
    // Each unknown entry can supply at most one missing type.
    if missing.len() <= unknown.len() {
        let reason = unknown
            .first()
            .and_then(|item| item.as_unknown())
            .map_or(String::new(), |value| value.reason.clone());
        return vec![
            Evaluation::unknown(
                list.span,
                format!(
                    "`{PATH}` lacks {} unless its unknown entries supply them: {reason}",
                    missing.join(", ")
                ),
            )
            .attribute(PATH),
        ];
    }
    vec![
        Evaluation::fail(
            list.span,
            format!(
                "`{PATH}` does not enable {}; add them so that the control plane is fully logged",
                missing.join(", ")
            ),
        )
        .attribute(PATH)
        .expected(LOG_TYPES.join(", "))
        .found(list.display()),
    ]
}
