use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object;
use crate::kubernetes::pod::{self, CONTAINERS_AND_INIT, Container};
use crate::kubernetes::resources::{LimitRangeDefault, RESOURCES, limit_range_default};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-RES-002",
        slug: "k8s-container-requests-missing",
        title: "Containers set CPU and memory requests",
        severity: Severity::Low,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["resource-limits"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_10", "CKV_K8S_12"],
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
            "https://kubernetes.io/docs/concepts/policy/limit-range/",
        ],
        docs: CheckDocs {
            what: "Resolves the CPU and memory request of every container and init container, \
                   one verdict per container and resource. A request passes when \
                   `resources.requests` sets it; when the container sets a limit but no \
                   request, since Kubernetes then copies the limit into the request; or when a \
                   LimitRange in the scan, in the workload's namespace, gives containers a \
                   default request (`defaultRequest`, else `default`, `max` or `min`, the \
                   order in which the API server fills it). Otherwise it fails.",
            why: "The scheduler places pods by their requests. Without them, pods land on nodes \
                  that cannot sustain them, are the first evicted under pressure (BestEffort \
                  quality of service), and capacity planning has nothing to plan from. \
                  Predictable capacity is part of the availability commitments that SOC 2 \
                  and payment-processing agreements carry.",
            fix: "Set both requests from observed usage:\n\n```yaml\nresources:\n  \
                  requests:\n    cpu: 250m\n    memory: 256Mi\n```",
            limitations: "A LimitRange that exists only in the cluster is not seen. The check \
                          does not judge whether the values fit the workload.",
        },
    },
    cases: include_str!("requests.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, CONTAINERS_AND_INIT, |_, container| {
        RESOURCES
            .iter()
            .map(|name| evaluate_request(resource, model, container, name))
            .collect()
    })
}

fn evaluate_request(
    resource: &Resource,
    model: &Model,
    container: &Container<'_>,
    name: &str,
) -> Evaluation {
    let label = container.label();
    let attribute = container.attribute(&format!("resources.requests.{name}"));

    // The container's own request, then its limit, which Kubernetes copies into an
    // omitted request.
    for field in ["requests", "limits"] {
        match container.lookup(&format!("resources.{field}")) {
            Lookup::Unknown(unknown, span) => return object::unknown(&attribute, unknown, span),
            Lookup::Present(values) => match object::map_entry(values, name) {
                Lookup::Unknown(unknown, span) => {
                    return object::unknown(&attribute, unknown, span);
                }
                Lookup::Present(value) => {
                    let message = if field == "requests" {
                        format!("{label} requests {} of {name}", value.display())
                    } else {
                        format!(
                            "{label} sets no {name} request, so Kubernetes uses its limit {}",
                            value.display()
                        )
                    };
                    return Evaluation::pass(value.span, message).attribute(attribute);
                }
                Lookup::Missing => {}
            },
            Lookup::Missing => {}
        }
    }

    if let Some((range, value)) =
        limit_range_default(model, resource, name, LimitRangeDefault::Request)
    {
        return Evaluation::pass(
            container.span(),
            format!(
                "{label} sets no {name} request, and LimitRange {range} gives it {}",
                value.display()
            ),
        )
        .attribute(attribute);
    }
    Evaluation::fail(
        container.span(),
        format!(
            "{label} sets no {name} request or limit and no LimitRange in the scan supplies \
             one, so the scheduler reserves nothing for it; set `resources.requests.{name}`"
        ),
    )
    .attribute(attribute)
    .expected(format!("a {name} request"))
    .found("omitted")
}
