use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object;
use crate::kubernetes::pod::{self, CONTAINERS_AND_INIT, Container};
use crate::kubernetes::resources::{LimitRangeDefault, RESOURCES, limit_range_default};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-RES-001",
        slug: "k8s-container-limits-missing",
        title: "Containers set CPU and memory limits",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["resource-limits"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_11", "CKV_K8S_13"],
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
            "https://kubernetes.io/docs/concepts/policy/limit-range/",
        ],
        docs: CheckDocs {
            what: "Reads `resources.limits.cpu` and `resources.limits.memory` of every \
                   container and init container, one verdict per container and resource. A \
                   limit passes when the container sets it, or when a LimitRange in the scan, \
                   in the workload's namespace, gives containers a default limit (its \
                   `default`, or its `max`, which the API server copies into an omitted \
                   `default`). Otherwise it fails: Kubernetes sets no limit by default.",
            why: "A container without a memory limit can use all the memory of its node and get \
                  its neighbours killed; one without a CPU limit can starve them. On a shared \
                  cluster one faulty or compromised workload then degrades payment processing \
                  next to it. Limits also bound the blast radius of cryptomining after a \
                  compromise, and availability is part of SOC 2 and PCI DSS obligations.",
            fix: "Set both limits, sized from observed usage:\n\n```yaml\nresources:\n  \
                  requests:\n    cpu: 250m\n    memory: 256Mi\n  limits:\n    cpu: \"1\"\n    \
                  memory: 512Mi\n```\n\nor give the namespace a LimitRange with `default` \
                  values for containers.",
            limitations: "A LimitRange that exists only in the cluster, or that a namespace \
                          template adds later, is not seen. Values are not compared with \
                          observed usage, and some teams deliberately leave CPU limits off to \
                          avoid throttling; waive the CPU finding where that is the policy.",
        },
    },
    cases: include_str!("limits.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, CONTAINERS_AND_INIT, |_, container| {
        RESOURCES
            .iter()
            .map(|name| evaluate_limit(resource, model, container, name))
            .collect()
    })
}

fn evaluate_limit(
    resource: &Resource,
    model: &Model,
    container: &Container<'_>,
    name: &str,
) -> Evaluation {
    let label = container.label();
    let attribute = container.attribute(&format!("resources.limits.{name}"));
    match container.lookup("resources.limits") {
        Lookup::Unknown(unknown, span) => return object::unknown(&attribute, unknown, span),
        Lookup::Present(limits) => match object::map_entry(limits, name) {
            Lookup::Unknown(unknown, span) => return object::unknown(&attribute, unknown, span),
            Lookup::Present(value) => {
                return Evaluation::pass(
                    value.span,
                    format!("{label} limits {name} to {}", value.display()),
                )
                .attribute(attribute);
            }
            Lookup::Missing => {}
        },
        Lookup::Missing => {}
    }

    if let Some((range, value)) =
        limit_range_default(model, resource, name, LimitRangeDefault::Limit)
    {
        return Evaluation::pass(
            container.span(),
            format!(
                "{label} sets no {name} limit, and LimitRange {range} gives it {}",
                value.display()
            ),
        )
        .attribute(attribute);
    }
    Evaluation::fail(
        container.span(),
        format!(
            "{label} sets no {name} limit and no LimitRange in the scan supplies one, so it \
             may use all of its node's {name}; set `resources.limits.{name}`"
        ),
    )
    .attribute(attribute)
    .expected(format!("a {name} limit"))
    .found("omitted")
}
