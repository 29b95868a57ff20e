use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::BoolField;
use crate::kubernetes::pod::{self, ALL_CONTAINERS};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-004",
        slug: "k8s-container-writable-root-filesystem",
        title: "Containers mount their root filesystem read-only",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-readonly-rootfs"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_22"],
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
            "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context-1",
        ],
        docs: CheckDocs {
            what: "Reads `securityContext.readOnlyRootFilesystem` of every container, init \
                   container and ephemeral container, one verdict per container. It passes \
                   only when the field is the boolean true, and fails when it is false, \
                   omitted (the default is a writable root filesystem) or not a boolean. Pods \
                   with `os.name: windows` are skipped: the API server rejects the field there.",
            why: "A writable root filesystem lets an attacker who gets code execution drop \
                  tools, change binaries or plant persistence inside the running container. \
                  Making it read-only limits writes to declared volumes, which keeps the \
                  running image identical to the scanned and approved one, an expectation of \
                  change control and file integrity monitoring on regulated platforms.",
            fix: "Make the root filesystem read-only and give the application the writable \
                  paths it needs as volumes:\n\n```yaml\ncontainers:\n  - name: api\n    \
                  securityContext:\n      readOnlyRootFilesystem: true\n    volumeMounts:\n      \
                  - name: tmp\n        mountPath: /tmp\nvolumes:\n  - name: tmp\n    \
                  emptyDir: {}\n```",
            limitations: "The check cannot tell whether the application writes to its root \
                          filesystem; a container that needs a writable path fails until the \
                          path is moved to a volume or the finding is waived.",
        },
    },
    cases: include_str!("read_only_root_filesystem.cases.yaml"),
    evaluate,
};

const FIELD: &str = "securityContext.readOnlyRootFilesystem";

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, ALL_CONTAINERS, |pod, container| {
        if pod.is_windows() {
            return Vec::new();
        }
        let field = BoolField {
            field: FIELD,
            attribute: container.attribute(FIELD),
            subject: container.label(),
            missing_span: container.span(),
            expected: true,
            default: false,
            fix: "set `readOnlyRootFilesystem: true` and mount an `emptyDir` volume for each \
                  path the application writes",
        };
        vec![field.evaluate(container.lookup(FIELD))]
    })
}
