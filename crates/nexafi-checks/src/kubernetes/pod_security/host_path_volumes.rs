use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity,
};

use crate::Check;
use crate::kubernetes::object;
use crate::kubernetes::pod::{self, PodSpec};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-009",
        slug: "k8s-pod-host-path-volume",
        title: "Pods mount no hostPath volumes",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["container-privileged-hostns"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
        ],
        docs: CheckDocs {
            what: "Reads `volumes` of the pod spec of every workload. Each volume with a \
                   `hostPath` source fails with its own finding, whatever the path and \
                   whether it is mounted read-only; the message names the host path. A pod \
                   without volumes, or with none of type hostPath, passes.",
            why: "A hostPath volume gives the container a directory or file of the node. \
                  Paths such as `/`, `/etc`, `/var/lib/kubelet` or the container runtime's \
                  socket hand over the node, its credentials and every other pod on it. \
                  Even a harmless-looking path ties the pod to one node and may expose data \
                  of other workloads. The Baseline Pod Security Standard forbids hostPath \
                  volumes.",
            fix: "Use a volume type that does not reach into the node: `emptyDir` for scratch \
                  space, a PersistentVolumeClaim for data, a ConfigMap or projected Secret for \
                  configuration:\n\n```yaml\nvolumes:\n  - name: cache\n    emptyDir: {}\n```",
            limitations: "Read-only hostPath mounts and harmless paths fail too, because the \
                          check cannot judge what a path exposes; waive a reviewed exception. \
                          A PersistentVolume of type hostPath bound through a claim is not \
                          traced.",
        },
    },
    cases: include_str!("host_path_volumes.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_pod(resource, |pod| evaluate_volumes(pod))
}

fn evaluate_volumes(pod: &PodSpec<'_>) -> Vec<Evaluation> {
    let attribute = pod.attribute("volumes");
    let volumes = match pod.lookup("volumes") {
        Lookup::Unknown(unknown, span) => return vec![object::unknown(&attribute, unknown, span)],
        Lookup::Missing => {
            return vec![
                Evaluation::pass(pod.resource.name_span, "the pod declares no volumes")
                    .attribute(attribute),
            ];
        }
        Lookup::Present(node) => node.as_list().unwrap_or_default(),
    };

    let mut evaluations = Vec::new();
    for (index, volume) in volumes.iter().enumerate() {
        let host_path_attribute = format!("{attribute}.{index}.hostPath");
        match volume.lookup("hostPath") {
            Lookup::Missing => {}
            Lookup::Unknown(unknown, span) => {
                evaluations.push(object::unknown(&host_path_attribute, unknown, span));
            }
            Lookup::Present(host_path) => {
                evaluations.push(host_path_failure(volume, host_path, host_path_attribute));
            }
        }
    }
    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::pass(
                pod.resource.name_span,
                format!("none of the pod's {} volumes is a hostPath", volumes.len()),
            )
            .attribute(attribute),
        );
    }
    evaluations
}

fn host_path_failure(volume: &Node, host_path: &Node, attribute: String) -> Evaluation {
    let name = volume
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or("unnamed");
    let path = match host_path.lookup("path") {
        Lookup::Present(path) => path.display(),
        Lookup::Unknown(..) => "an unknown path".to_owned(),
        Lookup::Missing => "no path".to_owned(),
    };
    Evaluation::fail(
        host_path.span,
        format!(
            "volume `{name}` mounts the node's {path} into the pod; replace it with an \
             emptyDir, a PersistentVolumeClaim or a projected volume"
        ),
    )
    .attribute(attribute)
    .expected("no hostPath volume")
    .found(format!("hostPath {path}"))
}
