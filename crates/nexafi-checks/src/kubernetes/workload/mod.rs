//! Operation of workloads: health probes and the namespace they land in.

use nexafi_model::{Evaluation, Lookup, Resource};

use crate::Check;
use crate::kubernetes::object;
use crate::kubernetes::pod::{self, ContainerList};

pub mod default_namespace;
pub mod liveness_probe;
pub mod readiness_probe;

pub static CHECKS: &[&Check] = &[
    &liveness_probe::CHECK,
    &readiness_probe::CHECK,
    &default_namespace::CHECK,
];

/// Checks that every long-running container of `resource` declares the probe `field`
/// (`livenessProbe`, `readinessProbe`): the main containers, and init containers with
/// `restartPolicy: Always`, which run beside them as sidecars. `purpose` completes the
/// failure message ("so the kubelet never restarts it when it hangs").
pub fn evaluate_probe(resource: &Resource, field: &str, purpose: &str) -> Vec<Evaluation> {
    // A bare Pod that is never restarted runs to completion like a Job, which needs no
    // probe either.
    if resource.kind == "Pod"
        && let Lookup::Present(policy) = resource.body.lookup("spec.restartPolicy")
        && matches!(policy.as_str(), Some("Never" | "OnFailure"))
    {
        return Vec::new();
    }
    let lists = [ContainerList::Containers, ContainerList::InitContainers];
    pod::evaluate_containers(resource, &lists, |_, container| {
        if container.list == ContainerList::InitContainers && !container.is_sidecar() {
            return Vec::new();
        }
        let label = container.label();
        let attribute = container.attribute(field);
        let evaluation = match container.lookup(field) {
            Lookup::Unknown(unknown, span) => object::unknown(&attribute, unknown, span),
            Lookup::Present(probe) => {
                let handler = ["httpGet", "tcpSocket", "grpc", "exec"]
                    .into_iter()
                    .find(|handler| probe.get(handler).is_some());
                let message = match handler {
                    Some(handler) => format!("{label} has a `{field}` using `{handler}`"),
                    None => format!("{label} has a `{field}`"),
                };
                Evaluation::pass(probe.span, message).attribute(attribute)
            }
            Lookup::Missing => Evaluation::fail(
                container.span(),
                format!("{label} declares no `{field}`, {purpose}; add one that checks the service itself"),
            )
            .attribute(attribute)
            .expected(format!("a {field}"))
            .found("omitted"),
        };
        vec![evaluation]
    })
}
