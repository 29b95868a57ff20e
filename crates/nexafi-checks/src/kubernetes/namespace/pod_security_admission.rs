use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::{self, describe, map_entry};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-NS-001",
        slug: "k8s-namespace-pod-security-not-enforced",
        title: "Namespaces enforce the Baseline or Restricted Pod Security Standard",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: &["Namespace"],
        categories: &["container-seccomp-psa"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
            "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/",
        ],
        docs: CheckDocs {
            what: "Reads the label `pod-security.kubernetes.io/enforce` of every Namespace. \
                   `restricted` and `baseline` pass. `privileged` fails, and so does an \
                   omitted label, since Pod Security Admission then applies the cluster's \
                   default, which is `privileged` unless an admission configuration sets \
                   another. Any other value fails as invalid. The `audit` and `warn` labels \
                   do not count, because they reject nothing.",
            why: "Pod Security Admission is the built-in control that rejects privileged pods, \
                  host namespaces, hostPath volumes and, at `restricted`, root users and \
                  missing seccomp profiles. Without an enforce label, every workload check \
                  of this tool describes a preference rather than a guarantee: nothing stops \
                  the next deployment from running privileged next to cardholder data.",
            fix: "Label the namespace, and pin the version of the standard so that upgrades \
                  do not change it unannounced:\n\n```yaml\napiVersion: v1\nkind: \
                  Namespace\nmetadata:\n  name: payments\n  labels:\n    \
                  pod-security.kubernetes.io/enforce: restricted\n    \
                  pod-security.kubernetes.io/enforce-version: v1.30\n```",
            limitations: "A cluster-wide default set in the API server's admission \
                          configuration, or an equivalent Kyverno or Gatekeeper policy, is not \
                          seen; such clusters can waive the finding with that evidence. \
                          Namespaces that exist only in the cluster are not checked.",
        },
    },
    cases: include_str!("pod_security_admission.cases.yaml"),
    evaluate,
};

const LABEL: &str = "pod-security.kubernetes.io/enforce";

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    let attribute = format!("metadata.labels.{LABEL}");
    let fix = format!("label the namespace `{LABEL}: restricted` (or `baseline` at least)");
    let label = match resource.body.lookup("metadata.labels") {
        Lookup::Unknown(unknown, span) => {
            return vec![object::unknown("metadata.labels", unknown, span)];
        }
        Lookup::Missing => Lookup::Missing,
        Lookup::Present(labels) => map_entry(labels, LABEL),
    };
    let evaluation = match label {
        Lookup::Unknown(unknown, span) => object::unknown(&attribute, unknown, span),
        Lookup::Missing => Evaluation::fail(
            resource.name_span,
            format!(
                "the namespace has no `{LABEL}` label, so the cluster default applies, which \
                 is `privileged` unless configured otherwise; {fix}"
            ),
        )
        .attribute(attribute)
        .expected("restricted or baseline")
        .found("omitted"),
        Lookup::Present(node) => match node.as_str() {
            Some(level @ ("restricted" | "baseline")) => Evaluation::pass(
                node.span,
                format!("the namespace enforces the {level} Pod Security Standard"),
            )
            .attribute(attribute),
            Some("privileged") => Evaluation::fail(
                node.span,
                format!("the namespace enforces `privileged`, which allows every pod; {fix}"),
            )
            .attribute(attribute)
            .expected("restricted or baseline")
            .found("privileged"),
            _ => Evaluation::fail(
                node.span,
                format!(
                    "`{LABEL}` is {}, which is not a Pod Security level; {fix}",
                    describe(node)
                ),
            )
            .attribute(attribute)
            .expected("restricted or baseline")
            .found(describe(node)),
        },
    };
    vec![evaluation]
}
