use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::network::{Direction, evaluate_default_deny};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-NET-001",
        slug: "k8s-namespace-no-default-deny-ingress",
        title: "Each namespace has a default-deny ingress NetworkPolicy",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: &["Namespace"],
        categories: &["network-segmentation"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic",
            "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/",
        ],
        docs: CheckDocs {
            what: "For every Namespace declared in the scan, looks for a NetworkPolicy in that \
                   namespace that isolates all its pods for ingress: an empty or omitted \
                   `podSelector`, `Ingress` among its `policyTypes` (listed, or implied when \
                   the field is omitted), and no ingress rule that admits everything (a rule \
                   with neither peers nor ports, or whose peer is `0.0.0.0/0` or `::/0` on all \
                   ports). Rules that allow chosen peers or ports are fine: pods are isolated \
                   and only the listed flows get in. The namespace fails when no such policy \
                   exists. Egress is a separate, stricter check.",
            why: "Kubernetes lets every pod reach every other pod until a NetworkPolicy selects \
                  it. Without a default-deny policy, a compromised pod anywhere in the cluster \
                  reaches the payment services directly. PCI DSS requires the cardholder data \
                  environment to be segmented, with inbound traffic limited to what is \
                  necessary, and a default-deny baseline is how that is shown for a namespace.",
            fix: "Add a default-deny policy to each namespace, then one policy per allowed \
                  flow:\n\n```yaml\napiVersion: networking.k8s.io/v1\nkind: \
                  NetworkPolicy\nmetadata:\n  name: default-deny-ingress\n  namespace: \
                  payments\nspec:\n  podSelector: {}\n  policyTypes: [\"Ingress\"]\n```",
            limitations: "NetworkPolicies that exist only in the cluster, and policies of \
                          other engines (Cilium, Calico global policies, AdminNetworkPolicy), \
                          are not seen. Namespaces that are not declared in the scan are not \
                          checked. The check does not verify that the cluster's network plugin \
                          enforces NetworkPolicies.",
        },
    },
    cases: include_str!("default_deny_ingress.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    evaluate_default_deny(resource, model, Direction::Ingress)
}
