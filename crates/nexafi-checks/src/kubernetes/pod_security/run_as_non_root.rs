use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::{self, describe};
use crate::kubernetes::pod::{self, ALL_CONTAINERS, Container, Level, PodSpec, Setting};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-003",
        slug: "k8s-container-runs-as-root",
        title: "Containers run as a non-root user",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-non-root"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_23"],
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
        ],
        docs: CheckDocs {
            what: "Resolves `runAsUser` and `runAsNonRoot` for every container, init container \
                   and ephemeral container, one verdict per container. The container's \
                   `securityContext` wins over the pod's, as in Kubernetes. A container passes \
                   when its effective `runAsUser` is above 0, or when `runAsNonRoot` is true \
                   and `runAsUser` is not 0. It fails when `runAsUser` is 0, when `runAsNonRoot` \
                   is false without a non-zero `runAsUser`, and when both are omitted: the \
                   image's `USER` then decides, and many images run as root. Pods with \
                   `os.name: windows` are skipped, since `runAsUser` does not apply to them.",
            why: "A process running as UID 0 in a container is root on the node's kernel. Any \
                  escape through a kernel bug, a writable host mount or a misconfigured \
                  capability then lands with full rights on the node. The CIS Kubernetes \
                  Benchmark, an industry hardening standard of the kind PCI DSS requirement 2.2 \
                  refers to, and the Restricted Pod Security Standard both ask for \
                  non-root containers.",
            fix: "Set a non-root user for the whole pod, and let the kubelet refuse images that \
                  would run as root:\n\n```yaml\nspec:\n  securityContext:\n    runAsNonRoot: \
                  true\n    runAsUser: 10001\n    runAsGroup: 10001\n```",
            limitations: "When only `runAsNonRoot: true` is set, the kubelet verifies the \
                          image's user at start; the check trusts that verification and cannot \
                          tell whether the image will start at all. A user name in the image's \
                          `USER` instruction is not resolved offline.",
        },
    },
    cases: include_str!("run_as_non_root.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, ALL_CONTAINERS, |pod, container| {
        if pod.is_windows() {
            return Vec::new();
        }
        vec![evaluate_container(pod, container)]
    })
}

fn evaluate_container(pod: &PodSpec<'_>, container: &Container<'_>) -> Evaluation {
    let label = container.label();
    let user = pod::security_setting(pod, container, "runAsUser");
    let non_root = pod::security_setting(pod, container, "runAsNonRoot");
    let fix = "set `runAsNonRoot: true` and a non-zero `runAsUser` in the pod's or the \
               container's `securityContext`";

    match user.lookup {
        Lookup::Present(node) => match node.as_i64() {
            Some(uid) if uid > 0 => {
                return Evaluation::pass(
                    node.span,
                    format!("{label} runs as UID {uid}{}", origin(&user)),
                )
                .attribute(&user.attribute);
            }
            Some(0) => {
                return Evaluation::fail(
                    node.span,
                    format!("{label} runs as UID 0 (root){}; {fix}", origin(&user)),
                )
                .attribute(&user.attribute)
                .expected("a UID above 0")
                .found("0");
            }
            _ => {
                return Evaluation::fail(
                    node.span,
                    format!(
                        "{label}: `runAsUser` is {}, not a non-negative integer, so the API \
                         server rejects the object; {fix}",
                        describe(node)
                    ),
                )
                .attribute(&user.attribute)
                .expected("a UID above 0")
                .found(describe(node));
            }
        },
        Lookup::Unknown(..) | Lookup::Missing => {}
    }

    // `runAsUser` is omitted or unknown, so `runAsNonRoot` decides. With
    // `runAsNonRoot: true` the kubelet refuses to start the container as root, whatever
    // the user turns out to be.
    match non_root.lookup {
        Lookup::Present(node) if node.as_bool() == Some(true) => Evaluation::pass(
            node.span,
            format!("{label}: `runAsNonRoot` is true{}", origin(&non_root)),
        )
        .attribute(&non_root.attribute),
        Lookup::Unknown(unknown, span) => object::unknown(&non_root.attribute, unknown, span),
        _ => match user.lookup {
            Lookup::Unknown(unknown, span) => object::unknown(&user.attribute, unknown, span),
            _ => fail_without_user(container, &non_root, fix),
        },
    }
}

fn fail_without_user(container: &Container<'_>, non_root: &Setting<'_>, fix: &str) -> Evaluation {
    let label = container.label();
    match non_root.lookup {
        Lookup::Present(node) => {
            let found = describe(node);
            let problem = if node.as_bool() == Some(false) {
                format!("`runAsNonRoot` is false{}", origin(non_root))
            } else {
                format!(
                    "`runAsNonRoot` is {found}, not a boolean, so the API server rejects the object"
                )
            };
            Evaluation::fail(
                node.span,
                format!("{label}: {problem} and no non-zero `runAsUser` is set; {fix}"),
            )
            .attribute(&non_root.attribute)
            .expected("true")
            .found(found)
        }
        _ => Evaluation::fail(
            container.span(),
            format!(
                "{label}: neither the pod nor the container sets `runAsNonRoot` or \
                 `runAsUser`, so the image decides the user and may run as root; {fix}"
            ),
        )
        .attribute(&non_root.attribute)
        .expected("runAsNonRoot: true or runAsUser > 0")
        .found("omitted"),
    }
}

/// Says where an effective value comes from when it is the pod's.
fn origin(setting: &Setting<'_>) -> &'static str {
    match setting.level {
        Level::Pod => " (from the pod's securityContext)",
        Level::Container | Level::Unset => "",
    }
}
