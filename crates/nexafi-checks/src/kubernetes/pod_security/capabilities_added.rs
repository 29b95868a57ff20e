use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::{self, describe};
use crate::kubernetes::pod::{self, ALL_CONTAINERS, Container};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-006",
        slug: "k8s-container-dangerous-capabilities",
        title: "Containers add no capability beyond the Baseline set",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-capabilities"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            "https://man7.org/linux/man-pages/man7/capabilities.7.html",
        ],
        docs: CheckDocs {
            what: "Reads `securityContext.capabilities.add` of every container, init container \
                   and ephemeral container. Each added capability outside the thirteen that the \
                   Baseline Pod Security Standard allows (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, \
                   FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, \
                   SETUID, SYS_CHROOT) fails with its own finding: `ALL`, `SYS_ADMIN`, \
                   `NET_ADMIN`, `NET_RAW`, `SYS_PTRACE`, `SYS_MODULE`, `BPF` and the rest. \
                   Names are compared without case and without the `CAP_` prefix, as runtimes \
                   accept both. A container that adds nothing, or only allowed capabilities, \
                   passes. Pods with `os.name: windows` are skipped.",
            why: "Capabilities such as `SYS_ADMIN`, `SYS_MODULE` or `SYS_PTRACE` are each close \
                  to root on the node: mounting filesystems, loading kernel modules, reading \
                  other processes' memory. `NET_ADMIN` and `NET_RAW` allow rewriting routes and \
                  firewall rules or sniffing and spoofing traffic on the pod network, which \
                  defeats the network segmentation a cardholder data environment relies on.",
            fix: "Remove the capability and, where a feature really needs it, move that feature \
                  to a reviewed node agent in a separate namespace:\n\n```yaml\n\
                  securityContext:\n  capabilities:\n    drop: [\"ALL\"]\n    add: \
                  [\"NET_BIND_SERVICE\"]\n```",
            limitations: "`NET_RAW` is in the default set of containerd and Docker, so a \
                          container that never drops it still holds it; the drop-ALL check \
                          covers that case. Capabilities granted through privileged mode are \
                          left to the privileged-container check.",
        },
    },
    cases: include_str!("capabilities_added.cases.yaml"),
    evaluate,
};

/// Capabilities the Baseline Pod Security Standard lets a container add.
const BASELINE_ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

const FIELD: &str = "securityContext.capabilities.add";

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, ALL_CONTAINERS, |pod, container| {
        if pod.is_windows() {
            return Vec::new();
        }
        evaluate_container(container)
    })
}

fn evaluate_container(container: &Container<'_>) -> Vec<Evaluation> {
    let label = container.label();
    let attribute = container.attribute(FIELD);
    let node = match container.lookup(FIELD) {
        Lookup::Unknown(unknown, span) => return vec![object::unknown(&attribute, unknown, span)],
        Lookup::Missing => {
            return vec![
                Evaluation::pass(container.span(), format!("{label} adds no capabilities"))
                    .attribute(attribute),
            ];
        }
        Lookup::Present(node) => node,
    };
    let Some(items) = node.as_list() else {
        return vec![
            Evaluation::fail(
                node.span,
                format!(
                    "{label}: `{FIELD}` is {}, not a list, so the API server rejects the object; \
                     list capability names instead",
                    describe(node)
                ),
            )
            .attribute(attribute)
            .expected("a list of Baseline capabilities")
            .found(describe(node)),
        ];
    };

    let mut evaluations = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_attribute = format!("{attribute}.{index}");
        if let Some(unknown) = item.as_unknown() {
            evaluations.push(object::unknown(&item_attribute, unknown, item.span));
            continue;
        }
        let Some(raw) = item.as_str() else {
            continue;
        };
        let name = pod::capability_name(raw);
        if !BASELINE_ALLOWED.contains(&name.as_str()) {
            evaluations.push(
                Evaluation::fail(
                    item.span,
                    format!(
                        "{label} adds {name}, which the Baseline Pod Security Standard \
                         forbids; remove it from `capabilities.add`"
                    ),
                )
                .attribute(item_attribute)
                .expected("only Baseline capabilities such as NET_BIND_SERVICE")
                .found(name),
            );
        }
    }
    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::pass(
                node.span,
                format!(
                    "{label} adds only Baseline capabilities: {}",
                    node.display()
                ),
            )
            .attribute(attribute),
        );
    }
    evaluations
}
