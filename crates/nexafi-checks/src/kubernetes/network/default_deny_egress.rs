use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::network::{Direction, evaluate_default_deny};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-NET-002",
        slug: "k8s-namespace-no-default-deny-egress",
        title: "Each namespace has a default-deny egress NetworkPolicy",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: &["Namespace"],
        categories: &["network-segmentation"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic",
            "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/",
        ],
        docs: CheckDocs {
            what: "For every Namespace declared in the scan, looks for a NetworkPolicy in that \
                   namespace that isolates all its pods for egress: an empty or omitted \
                   `podSelector`, `Egress` among its `policyTypes` (listed, or implied when \
                   the policy has `egress` rules and omits the field), and no egress rule that \
                   admits everything (neither peers nor ports, or a peer of `0.0.0.0/0` or \
                   `::/0` on all ports). A rule allowing DNS to chosen peers is fine. The \
                   namespace fails when no such policy exists. This is stricter than the \
                   ingress check and reported separately, so a team can adopt it later.",
            why: "Egress control is what stops a compromised pod from sending card data or \
                  credentials to the internet, reaching the cloud metadata endpoint or \
                  pivoting to databases of other systems. PCI DSS asks for outbound traffic \
                  from the cardholder data environment to be restricted to what is \
                  necessary.",
            fix: "Deny all egress by default, then allow DNS and the destinations the \
                  workloads need:\n\n```yaml\napiVersion: networking.k8s.io/v1\nkind: \
                  NetworkPolicy\nmetadata:\n  name: default-deny-egress\n  namespace: \
                  payments\nspec:\n  podSelector: {}\n  policyTypes: [\"Egress\"]\n  \
                  egress:\n    - to:\n        - namespaceSelector:\n            \
                  matchLabels:\n              kubernetes.io/metadata.name: kube-system\n      \
                  ports:\n        - protocol: UDP\n          port: 53\n```",
            limitations: "NetworkPolicies that exist only in the cluster and policies of other \
                          engines are not seen. An egress rule to a broad CIDR other than \
                          `0.0.0.0/0` counts as restricted. Namespaces that are not declared \
                          in the scan are not checked.",
        },
    },
    cases: include_str!("default_deny_egress.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    evaluate_default_deny(resource, model, Direction::Egress)
}
