use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::pod;
use crate::kubernetes::workload::evaluate_probe;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-WORKLOAD-002",
        slug: "k8s-container-readiness-probe-missing",
        title: "Long-running containers declare a readiness probe",
        severity: Severity::Low,
        input: InputKind::Kubernetes,
        kinds: pod::LONG_RUNNING_KINDS,
        categories: &["high-availability"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_9"],
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/",
            "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment",
        ],
        docs: CheckDocs {
            what: "Reads `readinessProbe` of every container of Pods, Deployments, StatefulSets, \
                   DaemonSets, ReplicaSets and ReplicationControllers, and of their sidecar \
                   init containers (`restartPolicy: Always`), one verdict per container. A \
                   container without a readiness probe fails. Jobs, CronJobs and bare Pods \
                   with `restartPolicy` Never or OnFailure are not checked. Liveness is a separate check.",
            why: "Without a readiness probe a pod receives traffic as soon as its process \
                  starts, before it has loaded keys, warmed caches or reached its database, and \
                  keeps receiving it while it is overloaded. During a rolling update the \
                  controller also replaces old pods without waiting for the new ones to \
                  work, so a bad release takes the whole service down instead of stalling.",
            fix: "Add a probe that succeeds only when the service can handle requests:\n\n\
                  ```yaml\nreadinessProbe:\n  httpGet:\n    path: /ready\n    port: 8080\n  \
                  periodSeconds: 5\n```",
            limitations: "Containers that serve no traffic (queue workers) still fail; waive \
                          the finding for them or give them a probe that reflects their health.",
        },
    },
    cases: include_str!("readiness_probe.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    evaluate_probe(
        resource,
        "readinessProbe",
        "so Services send it traffic before it can serve and while it cannot",
    )
}
