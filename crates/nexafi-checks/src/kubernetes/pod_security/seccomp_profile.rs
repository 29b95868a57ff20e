use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::{self, describe};
use crate::kubernetes::pod::{self, ALL_CONTAINERS, Container, Level, PodSpec};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-007",
        slug: "k8s-container-seccomp-unconfined",
        title: "Containers run under the RuntimeDefault or a Localhost seccomp profile",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-seccomp-psa"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_31"],
        references: &[
            "https://kubernetes.io/docs/tutorials/security/seccomp/",
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
        ],
        docs: CheckDocs {
            what: "Resolves `securityContext.seccompProfile.type` for every container, init \
                   container and ephemeral container: the container's value wins over the \
                   pod's. `RuntimeDefault` and `Localhost` pass. `Unconfined` fails, and so \
                   does a profile set nowhere, because the kubelet then runs the container \
                   unconfined unless the node enables the `--seccomp-default` flag, which is \
                   off by default. Pods with `os.name: windows` are skipped.",
            why: "Seccomp filters the system calls a container may make. The runtime's default \
                  profile blocks dozens of calls used in kernel exploits and container escapes \
                  (`unshare`, `keyctl`, `bpf`, `mount`) at almost no cost to ordinary services. \
                  The Restricted Pod Security Standard requires a profile, and it is a cheap \
                  layer of defence for workloads that handle cardholder data.",
            fix: "Set the profile once for the whole pod:\n\n```yaml\nspec:\n  \
                  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n```",
            limitations: "The `seccomp.security.alpha.kubernetes.io` annotations, deprecated \
                          since Kubernetes 1.19 and no longer supported by current releases, \
                          are not read. Nodes \
                          that enable `--seccomp-default` apply RuntimeDefault to every \
                          container, which the manifest does not show; such clusters can waive \
                          the finding. The content of a Localhost profile is not inspected.",
        },
    },
    cases: include_str!("seccomp_profile.cases.yaml"),
    evaluate,
};

const FIELD: &str = "seccompProfile.type";
const FIX: &str = "set `seccompProfile: {type: RuntimeDefault}` in the pod's `securityContext`";

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
    let setting = pod::security_setting(pod, container, FIELD);
    let origin = match setting.level {
        Level::Pod => " (from the pod's securityContext)",
        Level::Container | Level::Unset => "",
    };
    match setting.lookup {
        Lookup::Unknown(unknown, span) => object::unknown(&setting.attribute, unknown, span),
        Lookup::Missing => Evaluation::fail(
            container.span(),
            format!(
                "{label} has no seccomp profile in the pod or the container, so it runs \
                 Unconfined; {FIX}"
            ),
        )
        .attribute(setting.attribute)
        .expected("RuntimeDefault or Localhost")
        .found("omitted"),
        Lookup::Present(node) => match node.as_str() {
            Some(profile @ ("RuntimeDefault" | "Localhost")) => Evaluation::pass(
                node.span,
                format!("{label} runs under the {profile} seccomp profile{origin}"),
            )
            .attribute(setting.attribute),
            Some("Unconfined") => Evaluation::fail(
                node.span,
                format!("{label} runs with seccomp Unconfined{origin}; {FIX}"),
            )
            .attribute(setting.attribute)
            .expected("RuntimeDefault or Localhost")
            .found("Unconfined"),
            _ => Evaluation::fail(
                node.span,
                format!(
                    "{label}: `seccompProfile.type` is {}, which is not a profile type the \
                     API server accepts; {FIX}",
                    describe(node)
                ),
            )
            .attribute(setting.attribute)
            .expected("RuntimeDefault or Localhost")
            .found(describe(node)),
        },
    }
}
