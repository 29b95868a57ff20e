use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Span, Verdict,
};

use crate::Check;
use crate::kubernetes::object::BoolField;
use crate::kubernetes::pod::{self, ALL_CONTAINERS, Container};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-002",
        slug: "k8s-container-privilege-escalation",
        title: "Containers set allowPrivilegeEscalation to false",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-capabilities"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_20"],
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            "https://www.kernel.org/doc/html/latest/userspace-api/no_new_privs.html",
        ],
        docs: CheckDocs {
            what: "Reads `securityContext.allowPrivilegeEscalation` of every container, init \
                   container and ephemeral container of a workload's pod spec, one verdict per \
                   container. The field passes only when it is the boolean false. It fails when \
                   it is true, omitted (Kubernetes then leaves escalation allowed), or not a \
                   boolean. It also fails when the container is privileged or adds \
                   `SYS_ADMIN`, because Kubernetes always allows escalation for such a \
                   container whatever the field says. Pods with `os.name: windows` are \
                   skipped: the field cannot be set there.",
            why: "The field sets the kernel's `no_new_privs` flag. Without it, a process in the \
                  container can gain privileges through setuid binaries or file capabilities, \
                  which is the usual second step of a container breakout. The Restricted Pod \
                  Security Standard requires false, and assessors of a cardholder data \
                  environment expect workloads to run with the least privilege they need.",
            fix: "Set the field on every container:\n\n```yaml\nsecurityContext:\n  \
                  allowPrivilegeEscalation: false\n```\n\nIf the image relies on setuid \
                  binaries (`sudo`, `ping` in old images), rebuild it so the process starts \
                  with the user and capabilities it needs.",
            limitations: "Values set by a mutating admission webhook or a policy engine at \
                          deploy time are not seen. Capabilities other than `SYS_ADMIN` that \
                          also allow escalation are left to the added-capabilities check.",
        },
    },
    cases: include_str!("privilege_escalation.cases.yaml"),
    evaluate,
};

const FIELD: &str = "securityContext.allowPrivilegeEscalation";

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, ALL_CONTAINERS, |pod, container| {
        if pod.is_windows() {
            return Vec::new();
        }
        vec![evaluate_container(container)]
    })
}

fn evaluate_container(container: &Container<'_>) -> Evaluation {
    let field = BoolField {
        field: FIELD,
        attribute: container.attribute(FIELD),
        subject: container.label(),
        missing_span: container.span(),
        expected: false,
        default: true,
        fix: "set `allowPrivilegeEscalation: false` in the container's `securityContext`",
    };
    let verdict = field.evaluate(container.lookup(FIELD));
    if verdict.verdict != Verdict::Pass {
        return verdict;
    }

    // Kubernetes documents that escalation is always allowed for a privileged container
    // or one with CAP_SYS_ADMIN, so an explicit false does not hold there.
    if let Lookup::Present(node) = container.lookup("securityContext.privileged")
        && node.as_bool() == Some(true)
    {
        return overridden(container, node.span, "the container is privileged");
    }
    if let Some((_, span)) = pod::added_capabilities(container)
        .into_iter()
        .find(|(name, _)| name == "SYS_ADMIN")
    {
        return overridden(container, span, "the container adds `SYS_ADMIN`");
    }
    verdict
}

fn overridden(container: &Container<'_>, span: Span, reason: &str) -> Evaluation {
    Evaluation::fail(
        span,
        format!(
            "{}: `{FIELD}` is false, but {reason}, and Kubernetes then always allows \
             privilege escalation; remove `privileged: true` and `SYS_ADMIN` so the setting \
             takes effect",
            container.label()
        ),
    )
    .attribute(container.attribute(FIELD))
    .expected("false, without privileged or SYS_ADMIN")
    .found(reason)
}
