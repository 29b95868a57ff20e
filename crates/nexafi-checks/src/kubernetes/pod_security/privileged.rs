use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::BoolField;
use crate::kubernetes::pod::{self, ALL_CONTAINERS};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-001",
        slug: "k8s-container-privileged",
        title: "Containers do not run privileged",
        severity: Severity::Critical,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-privileged-hostns"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_16"],
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
        ],
        docs: CheckDocs {
            what: "Reads `securityContext.privileged` of every container, init container and \
                   ephemeral container in the pod spec of Pods, Deployments, StatefulSets, \
                   DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs. Each \
                   container gets its own verdict. A container fails when the field is true, \
                   or when it holds something other than a boolean (a quoted \"true\"), which \
                   the API server rejects. An omitted field defaults to false and passes.",
            why: "A privileged container gets every Linux capability, sees all host devices and \
                  runs without the seccomp and AppArmor confinement of ordinary containers: \
                  whoever controls its process controls the node, every pod on it and the \
                  credentials those pods mount. On a platform that processes cardholder or \
                  customer financial data this turns one compromised workload into a breach of \
                  the segment, and the Baseline Pod Security Standard forbids it outright.",
            fix: "Remove `privileged: true`, and grant only the capability the workload really \
                  needs:\n\n```yaml\nsecurityContext:\n  privileged: false\n  \
                  allowPrivilegeEscalation: false\n  capabilities:\n    drop: [\"ALL\"]\n    \
                  add: [\"NET_BIND_SERVICE\"]\n```\n\nNode agents that truly need the host \
                  (CNI plugins, storage drivers) belong in a dedicated namespace whose \
                  exception is documented and reviewed.",
            limitations: "The check reads manifests only: a mutating admission webhook that \
                          sets `privileged` at deploy time is not seen. Windows HostProcess \
                          containers (`windowsOptions.hostProcess`) are not checked here.",
        },
    },
    cases: include_str!("privileged.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, ALL_CONTAINERS, |_, container| {
        let field = BoolField {
            field: "securityContext.privileged",
            attribute: container.attribute("securityContext.privileged"),
            subject: container.label(),
            missing_span: container.span(),
            expected: false,
            default: false,
            fix: "remove `privileged: true` and add only the capabilities the container needs",
        };
        vec![field.evaluate(container.lookup("securityContext.privileged"))]
    })
}
