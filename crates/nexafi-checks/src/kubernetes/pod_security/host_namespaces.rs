use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::BoolField;
use crate::kubernetes::pod;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-008",
        slug: "k8s-pod-host-namespaces",
        title: "Pods do not share the host's network, PID or IPC namespace",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-privileged-hostns"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"],
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#hostname-and-name-resolution",
        ],
        docs: CheckDocs {
            what: "Reads `hostNetwork`, `hostPID` and `hostIPC` of the pod spec of every \
                   workload, one verdict per field. A field fails when it is true or not a \
                   boolean; omitted fields default to false and pass.",
            why: "`hostNetwork` puts the pod on the node's network stack: it can bind node \
                  ports, reach services that listen on localhost only (the kubelet's read-only \
                  port, node-local agents) and bypass NetworkPolicy. `hostPID` lets it see and \
                  signal every process on the node and read their environment, where secrets \
                  often sit. `hostIPC` exposes shared memory of host processes. Each breaks \
                  the isolation between tenants and segments that PCI DSS scoping relies on.",
            fix: "Remove the fields or set them to false:\n\n```yaml\nspec:\n  hostNetwork: \
                  false\n  hostPID: false\n  hostIPC: false\n```\n\nNode agents that need \
                  the host belong in a dedicated namespace with a reviewed exception.",
            limitations: "Windows HostProcess pods, which reach the host through \
                          `windowsOptions.hostProcess`, are not checked here.",
        },
    },
    cases: include_str!("host_namespaces.cases.yaml"),
    evaluate,
};

/// The pod fields that share a host namespace, with the fix for each.
const FIELDS: &[(&str, &str)] = &[
    (
        "hostNetwork",
        "remove `hostNetwork: true` and expose the pod through a Service",
    ),
    (
        "hostPID",
        "remove `hostPID: true`; a workload that must see host processes needs a reviewed exception",
    ),
    ("hostIPC", "remove `hostIPC: true`"),
];

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_pod(resource, |pod| {
        FIELDS
            .iter()
            .map(|(field, fix)| {
                BoolField {
                    field,
                    attribute: pod.attribute(field),
                    subject: "the pod".to_owned(),
                    missing_span: resource.name_span,
                    expected: false,
                    default: false,
                    fix,
                }
                .evaluate(pod.lookup(field))
            })
            .collect()
    })
}
