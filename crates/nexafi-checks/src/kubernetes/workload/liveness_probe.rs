use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::pod;
use crate::kubernetes::workload::evaluate_probe;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-WORKLOAD-001",
        slug: "k8s-container-liveness-probe-missing",
        title: "Long-running containers declare a liveness probe",
        severity: Severity::Low,
        input: InputKind::Kubernetes,
        kinds: pod::LONG_RUNNING_KINDS,
        categories: &["high-availability"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_8"],
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/",
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
        ],
        docs: CheckDocs {
            what: "Reads `livenessProbe` of every container of Pods, Deployments, StatefulSets, \
                   DaemonSets, ReplicaSets and ReplicationControllers, and of their sidecar \
                   init containers (`restartPolicy: Always`), one verdict per container. A \
                   container without a liveness probe fails. Jobs, CronJobs and bare Pods \
                   with `restartPolicy` Never or OnFailure are not checked: their pods \
                   run to completion. Readiness is a separate check, \
                   because the two probes answer different questions and a finding should say \
                   which one is missing.",
            why: "Without a liveness probe the kubelet only restarts a container whose process \
                  exits. A payment API that deadlocks or leaks into an unresponsive state keeps \
                  running and keeps failing requests until someone notices. Automatic recovery \
                  is part of the availability commitments that SOC 2 and service agreements \
                  with card networks and banks carry.",
            fix: "Add a cheap probe of the process itself, not of its dependencies:\n\n```yaml\n\
                  livenessProbe:\n  httpGet:\n    path: /healthz\n    port: 8080\n  \
                  periodSeconds: 10\n  failureThreshold: 3\n```",
            limitations: "The check does not judge the probe: a probe that calls a database \
                          restarts healthy pods when the database is slow, and a probe of a \
                          static page never fails.",
        },
    },
    cases: include_str!("liveness_probe.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    evaluate_probe(
        resource,
        "livenessProbe",
        "so the kubelet restarts it only when its process exits, not when it hangs",
    )
}
