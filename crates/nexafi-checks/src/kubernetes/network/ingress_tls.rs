use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity,
};

use crate::Check;
use crate::kubernetes::object;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-NET-003",
        slug: "k8s-ingress-without-tls",
        title: "Ingresses terminate TLS for every host they route",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: &["Ingress"],
        categories: &["tls-in-transit"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls",
            "https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/",
        ],
        docs: CheckDocs {
            what: "Reads `spec.tls` and `spec.rules` of every Ingress. It fails when `spec.tls` \
                   is omitted or empty. When TLS entries exist, each rule's `host` must be \
                   covered by one: listed in an entry's `hosts` exactly, or matched by a \
                   wildcard entry such as `*.example.com` (one label deep). A TLS entry \
                   without `hosts` covers every host, as the controller then uses its default. \
                   A rule without `host` matches any host name, so only such a catch-all \
                   entry covers it. Each uncovered rule fails with its own finding.",
            why: "An Ingress without TLS serves the application over plain HTTP: session \
                  cookies, API tokens and payment data cross the network readable and \
                  modifiable. PCI DSS requires strong cryptography for cardholder data over \
                  open networks, and GDPR and GLBA expect personal and financial data to be \
                  encrypted in transit.",
            fix: "Add a TLS entry for every host, with a certificate from cert-manager or your \
                  PKI:\n\n```yaml\nspec:\n  tls:\n    - hosts: [\"pay.example.com\"]\n      \
                  secretName: pay-example-com-tls\n  rules:\n    - host: pay.example.com\n```",
            limitations: "Whether the controller also redirects HTTP to HTTPS, which TLS \
                          versions it accepts and whether the referenced Secret exists are not \
                          checked; controller annotations such as ssl-redirect are not read. \
                          TLS terminated in front of the cluster (at a cloud load balancer) \
                          is not seen.",
        },
    },
    cases: include_str!("ingress_tls.cases.yaml"),
    evaluate,
};

/// The hosts that the TLS entries of an Ingress cover.
enum Coverage<'a> {
    /// An entry without `hosts` covers every host.
    Everything,
    Hosts(Vec<&'a str>),
}

impl Coverage<'_> {
    fn covers(&self, host: &str) -> bool {
        match self {
            Coverage::Everything => true,
            Coverage::Hosts(hosts) => hosts.iter().any(|pattern| host_matches(pattern, host)),
        }
    }
}

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    let fix = "add a `spec.tls` entry with the host and a certificate Secret";
    let entries = match resource.body.lookup("spec.tls") {
        Lookup::Unknown(unknown, span) => return vec![object::unknown("spec.tls", unknown, span)],
        Lookup::Missing => &[][..],
        Lookup::Present(node) => node.as_list().unwrap_or_default(),
    };
    if entries.is_empty() {
        return vec![
            Evaluation::fail(
                resource.name_span,
                format!("the Ingress has no TLS configuration, so it serves plain HTTP; {fix}"),
            )
            .attribute("spec.tls")
            .expected("a TLS entry for every host")
            .found("omitted"),
        ];
    }

    let coverage = match coverage(entries) {
        Ok(coverage) => coverage,
        Err(evaluation) => return vec![evaluation],
    };
    let rules = match resource.body.lookup("spec.rules") {
        Lookup::Unknown(unknown, span) => {
            return vec![object::unknown("spec.rules", unknown, span)];
        }
        Lookup::Missing => &[][..],
        Lookup::Present(node) => node.as_list().unwrap_or_default(),
    };

    let mut evaluations = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let attribute = format!("spec.rules.{index}.host");
        match rule.lookup("host") {
            Lookup::Unknown(unknown, span) => {
                evaluations.push(object::unknown(&attribute, unknown, span));
            }
            Lookup::Present(host) => {
                let name = host.as_str().unwrap_or_default();
                if !coverage.covers(name) {
                    evaluations.push(
                        Evaluation::fail(
                            host.span,
                            format!("host {name} has no TLS entry, so it is served over plain HTTP; {fix}"),
                        )
                        .attribute(attribute)
                        .expected("a TLS entry covering the host")
                        .found(name),
                    );
                }
            }
            Lookup::Missing => {
                if !coverage.covers("") {
                    evaluations.push(
                        Evaluation::fail(
                            rule.span,
                            format!(
                                "rule {index} has no host, so it answers for any host name, \
                                 but the TLS entries cover only listed hosts; give the rule a \
                                 host or add a TLS entry without `hosts`"
                            ),
                        )
                        .attribute(attribute)
                        .expected("a TLS entry covering the host")
                        .found("any host"),
                    );
                }
            }
        }
    }
    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::pass(
                resource.name_span,
                "the Ingress terminates TLS for every host it routes",
            )
            .attribute("spec.tls"),
        );
    }
    evaluations
}

/// Collects the hosts the TLS entries cover, or the `unknown` verdict of an entry or
/// host list that cannot be known offline.
fn coverage(entries: &[Node]) -> Result<Coverage<'_>, Evaluation> {
    let mut hosts = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let attribute = format!("spec.tls.{index}.hosts");
        match entry.lookup("hosts") {
            Lookup::Unknown(unknown, span) => {
                return Err(object::unknown(&attribute, unknown, span));
            }
            Lookup::Missing => return Ok(Coverage::Everything),
            Lookup::Present(list) => {
                let items = list.as_list().unwrap_or_default();
                if items.is_empty() {
                    return Ok(Coverage::Everything);
                }
                for item in items {
                    if let Some(unknown) = item.as_unknown() {
                        return Err(object::unknown(&attribute, unknown, item.span));
                    }
                    hosts.extend(item.as_str());
                }
            }
        }
    }
    Ok(Coverage::Hosts(hosts))
}

/// Returns true when the TLS host `pattern` covers `host`: the same name, or a wildcard
/// `*.example.com` covering exactly one more label (`pay.example.com`).
fn host_matches(pattern: &str, host: &str) -> bool {
    if pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    let Some(suffix) = pattern.strip_prefix("*.") else {
        return false;
    };
    match host.split_once('.') {
        Some((label, rest)) => {
            !label.is_empty() && label != "*" && rest.eq_ignore_ascii_case(suffix)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_matches_exact() {
        assert!(host_matches("pay.example.com", "pay.example.com"));
        assert!(!host_matches("pay.example.com", "api.example.com"));
    }

    #[test]
    fn host_matches_wildcard_one_label() {
        assert!(host_matches("*.example.com", "pay.example.com"));
        assert!(!host_matches("*.example.com", "a.pay.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
    }
}
