use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::{self, describe};
use crate::kubernetes::pod::{self, CONTAINERS_AND_INIT, Container};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-POD-010",
        slug: "k8s-container-host-port",
        title: "Containers bind no host ports",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["no-public-endpoints"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_26"],
        references: &[
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            "https://kubernetes.io/docs/concepts/configuration/overview/#services",
        ],
        docs: CheckDocs {
            what: "Reads `ports[*].hostPort` of every container and init container (ephemeral \
                   containers cannot declare ports). Each port with a `hostPort` other than 0 \
                   fails with its own finding. A container without ports, or whose ports have \
                   no host port, passes.",
            why: "A host port opens the pod on the node's own address, outside the Service, \
                  Ingress and load balancer layers where TLS, WAF rules and access logs are \
                  enforced, and often outside the NetworkPolicy model. On a regulated platform \
                  every entry point has to be inventoried and justified; host ports create \
                  entry points that no Service object shows.",
            fix: "Remove `hostPort` and publish the port through a Service:\n\n```yaml\n\
                  ports:\n  - containerPort: 8443\n    name: https\n```\n\nthen select the pod \
                  from a `ClusterIP` Service and expose it through the Ingress.",
            limitations: "A pod with `hostNetwork: true` listens on the node's address without \
                          any `hostPort`; the host-namespaces check reports that case.",
        },
    },
    cases: include_str!("host_ports.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    pod::evaluate_containers(resource, CONTAINERS_AND_INIT, |_, container| {
        evaluate_container(container)
    })
}

fn evaluate_container(container: &Container<'_>) -> Vec<Evaluation> {
    let label = container.label();
    let ports_attribute = container.attribute("ports");
    let ports = match container.lookup("ports") {
        Lookup::Unknown(unknown, span) => {
            return vec![object::unknown(&ports_attribute, unknown, span)];
        }
        Lookup::Missing => &[][..],
        Lookup::Present(node) => node.as_list().unwrap_or_default(),
    };

    let mut evaluations = Vec::new();
    for (index, port) in ports.iter().enumerate() {
        let attribute = format!("{ports_attribute}.{index}.hostPort");
        match port.lookup("hostPort") {
            Lookup::Missing => {}
            Lookup::Unknown(unknown, span) => {
                evaluations.push(object::unknown(&attribute, unknown, span));
            }
            Lookup::Present(host_port) if host_port.as_i64() == Some(0) => {}
            Lookup::Present(host_port) => evaluations.push(
                Evaluation::fail(
                    host_port.span,
                    format!(
                        "{label} binds host port {} on the node; remove `hostPort` and \
                         expose the port through a Service",
                        describe(host_port)
                    ),
                )
                .attribute(attribute)
                .expected("no hostPort")
                .found(describe(host_port)),
            ),
        }
    }
    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::pass(container.span(), format!("{label} binds no host port"))
                .attribute(ports_attribute),
        );
    }
    evaluations
}
