use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::{self, describe};
use crate::kubernetes::pod::{self, ALL_CONTAINERS, Container};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-005",
        slug: "k8s-container-capabilities-not-dropped",
        title: "Containers drop all Linux capabilities",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-capabilities"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_37"],
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container",
            "https://man7.org/linux/man-pages/man7/capabilities.7.html",
        ],
        docs: CheckDocs {
            what: "Reads `securityContext.capabilities.drop` of every container, init container \
                   and ephemeral container, one verdict per container. It passes when the list \
                   contains `ALL`, and fails when the list is omitted, empty or lacks `ALL`. \
                   The match is exact, as the Restricted Pod Security Standard admission check \
                   makes it: `all` or `CAP_ALL` fail with a message saying so. Pods with \
                   `os.name: windows` are skipped, since capabilities are Linux-only.",
            why: "containerd and Docker grant fourteen capabilities by default, \
                  including `NET_RAW` (forge packets, spoof on the pod network), `CHOWN`, \
                  `DAC_OVERRIDE` and `SETUID`. Most services need none of them. Dropping all \
                  and adding back only what is needed applies least privilege at the kernel \
                  boundary, which the Restricted Pod Security Standard requires and PCI DSS \
                  system hardening expects.",
            fix: "Drop everything, then add back only what the service needs:\n\n```yaml\n\
                  securityContext:\n  capabilities:\n    drop: [\"ALL\"]\n    add: \
                  [\"NET_BIND_SERVICE\"]  # only for ports below 1024\n```",
            limitations: "Capabilities granted by a runtime configuration outside the manifest \
                          (a containerd default capability list) are not seen.",
        },
    },
    cases: include_str!("capabilities_drop_all.cases.yaml"),
    evaluate,
};

const FIELD: &str = "securityContext.capabilities.drop";
const FIX: &str = "add `drop: [\"ALL\"]` under `securityContext.capabilities` and add back only \
                   the capabilities the container needs";

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, ALL_CONTAINERS, |pod, container| {
        if pod.is_windows() {
            return Vec::new();
        }
        vec![evaluate_container(container)]
    })
}

fn evaluate_container(container: &Container<'_>) -> Evaluation {
    let label = container.label();
    let attribute = container.attribute(FIELD);
    let node = match container.lookup(FIELD) {
        Lookup::Unknown(unknown, span) => return object::unknown(&attribute, unknown, span),
        Lookup::Missing => {
            return Evaluation::fail(
                container.span(),
                format!(
                    "{label} drops no capabilities, so it keeps the runtime's default set; {FIX}"
                ),
            )
            .attribute(attribute)
            .expected("[\"ALL\"]")
            .found("omitted");
        }
        Lookup::Present(node) => node,
    };
    let Some(items) = node.as_list() else {
        return Evaluation::fail(
            node.span,
            format!(
                "{label}: `{FIELD}` is {}, not a list, so the API server rejects the object; {FIX}",
                describe(node)
            ),
        )
        .attribute(attribute)
        .expected("[\"ALL\"]")
        .found(describe(node));
    };

    if let Some(all) = items.iter().find(|item| item.as_str() == Some("ALL")) {
        return Evaluation::pass(all.span, format!("{label} drops ALL capabilities"))
            .attribute(attribute);
    }
    if let Some((unknown, span)) = items
        .iter()
        .find_map(|item| item.as_unknown().map(|unknown| (unknown, item.span)))
    {
        return object::unknown(&attribute, unknown, span);
    }
    if let Some(near) = items.iter().find(|item| {
        item.as_str()
            .is_some_and(|name| pod::capability_name(name) == "ALL")
    }) {
        return Evaluation::fail(
            near.span,
            format!(
                "{label} drops {}, but the Restricted Pod Security Standard only accepts the \
                 exact value \"ALL\"; write `drop: [\"ALL\"]`",
                near.display()
            ),
        )
        .attribute(attribute)
        .expected("[\"ALL\"]")
        .found(node.display());
    }
    Evaluation::fail(
        node.span,
        format!(
            "{label} drops only {} and keeps the other default capabilities; {FIX}",
            node.display()
        ),
    )
    .attribute(attribute)
    .expected("[\"ALL\"]")
    .found(node.display())
}
