use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::{self, DEFAULT_NAMESPACE, Namespace};
use crate::kubernetes::pod;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-WORKLOAD-003",
        slug: "k8s-workload-default-namespace",
        title: "Workloads run in a dedicated namespace, not in default",
        severity: Severity::Low,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["environment-separation"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_21"],
        references: &[
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
        ],
        docs: CheckDocs {
            what: "Reads `metadata.namespace` of every workload (Pods, Deployments, \
                   StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and \
                   CronJobs). It fails when the namespace is `default`, and when it is \
                   omitted: the object then lands in the namespace of whoever applies it, \
                   which is `default` unless the client's context or the deployment tool sets \
                   another.",
            why: "Namespaces are where Kubernetes attaches RBAC, NetworkPolicies, Pod Security \
                  Admission levels, quotas and limit ranges. The `default` namespace usually \
                  has none of them, is shared by anything deployed carelessly, and cannot be \
                  deleted. Workloads of a cardholder data environment need a namespace of \
                  their own so that segmentation and access rules apply to them and to \
                  nothing else.",
            fix: "Create a namespace for the application and name it in every manifest:\n\n\
                  ```yaml\nmetadata:\n  name: ledger\n  namespace: payments\n```",
            limitations: "A namespace given only on the command line (`kubectl -n`), by a \
                          Kustomization or by a Helm release is not seen; such manifests fail \
                          until the namespace is written into them or the finding is waived.",
        },
    },
    cases: include_str!("default_namespace.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    let attribute = "metadata.namespace";
    let evaluation = match object::namespace(resource) {
        Namespace::Unknown(unknown, span) => object::unknown(attribute, unknown, span),
        Namespace::Named(DEFAULT_NAMESPACE, span) => Evaluation::fail(
            span,
            format!(
                "{} runs in the `default` namespace; move it to a namespace of its own with \
                 RBAC, NetworkPolicies and Pod Security labels",
                resource.kind
            ),
        )
        .attribute(attribute)
        .expected("a dedicated namespace")
        .found("default"),
        Namespace::Named(name, span) => Evaluation::pass(
            span,
            format!("{} runs in namespace `{name}`", resource.kind),
        )
        .attribute(attribute),
        Namespace::Omitted => Evaluation::fail(
            resource.name_span,
            format!(
                "{} names no namespace, so it lands in the client's current namespace, \
                 `default` unless configured otherwise; set `metadata.namespace`",
                resource.kind
            ),
        )
        .attribute(attribute)
        .expected("a dedicated namespace")
        .found("omitted"),
    };
    vec![evaluation]
}
