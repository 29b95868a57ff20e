//! Ingress rules of security groups, read from the three ways Terraform declares them:
//! inline `ingress` blocks of `aws_security_group` (and `aws_default_security_group`),
//! `aws_security_group_rule` with `type = "ingress"`, and
//! `aws_vpc_security_group_ingress_rule`.

use nexafi_model::{Evaluation, Lookup, Node, Resource, Span, Value, format_number};

use crate::aws::support::{BlockItem, as_number, block_items, is_open_cidr};

/// A TCP or UDP port worth guarding, with the service that listens on it.
pub(crate) struct GuardedPort {
    pub port: u16,
    pub service: &'static str,
}

/// Resource kinds that hold ingress rules.
pub(crate) const INGRESS_KINDS: &[&str] = &[
    "aws_security_group",
    "aws_default_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
];

/// One ingress rule: a block or resource body, or a `dynamic` block that could not be
/// expanded, with the reason.
enum RuleSource<'a> {
    Block(&'a Node),
    Dynamic(String, Span),
}

/// The effect of one rule on the guarded ports.
enum RuleVerdict {
    /// Internet traffic reaches these ports through the rule.
    Open {
        ports: Vec<&'static GuardedPort>,
        source: String,
        span: Span,
    },
    Closed,
    Unknown {
        reason: String,
        span: Span,
    },
}

/// Evaluates every ingress rule of `resource` against `guarded`. `fix` ends a failure
/// message. Returns nothing for an egress `aws_security_group_rule`.
pub(crate) fn evaluate_ingress(
    resource: &Resource,
    guarded: &'static [GuardedPort],
    fix: &str,
) -> Vec<Evaluation> {
    let rules: Vec<(String, RuleSource<'_>)> = match resource.kind.as_str() {
        "aws_security_group" | "aws_default_security_group" => {
            block_items(&resource.body, "ingress")
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    let path = format!("ingress.{index}");
                    match item {
                        BlockItem::Known(block) => (path, RuleSource::Block(block)),
                        BlockItem::Unknown(unknown, span) => (
                            "ingress".to_owned(),
                            RuleSource::Dynamic(
                                format!(
                                    "the `ingress` blocks are dynamic and cannot be expanded \
                                     offline: {}",
                                    unknown.reason
                                ),
                                span,
                            ),
                        ),
                    }
                })
                .collect()
        }
        "aws_security_group_rule" => match resource.body.lookup("type") {
            Lookup::Present(node) if node.as_str() != Some("ingress") => return Vec::new(),
            _ => vec![(String::new(), RuleSource::Block(&resource.body))],
        },
        _ => vec![(String::new(), RuleSource::Block(&resource.body))],
    };

    let mut evaluations = Vec::new();
    let mut closed = 0;
    for (path, rule) in &rules {
        let verdict = match rule {
            RuleSource::Block(block) => judge_rule(resource, block, guarded),
            RuleSource::Dynamic(reason, span) => RuleVerdict::Unknown {
                reason: reason.clone(),
                span: *span,
            },
        };
        let place = if path.is_empty() {
            "this rule".to_owned()
        } else {
            format!("`{path}`")
        };
        match verdict {
            RuleVerdict::Open {
                ports,
                source,
                span,
            } => {
                let listed = describe_ports(&ports);
                evaluations.push(
                    Evaluation::fail(span, format!("{place} lets {source} reach {listed}; {fix}"))
                        .attribute(attribute(path, "cidr_blocks"))
                        .expected("no ingress from 0.0.0.0/0 or ::/0 to these ports")
                        .found(format!("{source} to {listed}")),
                );
            }
            RuleVerdict::Unknown { reason, span } => evaluations.push(
                Evaluation::unknown(
                    span,
                    format!("{place} may open guarded ports to the internet: {reason}"),
                )
                .attribute(attribute(path, "cidr_blocks")),
            ),
            RuleVerdict::Closed => closed += 1,
        }
    }

    if evaluations.is_empty() {
        let message = if rules.is_empty() {
            "no ingress rules are declared".to_owned()
        } else {
            format!(
                "none of the {closed} ingress rule(s) opens {} to 0.0.0.0/0 or ::/0",
                describe_ports(&guarded.iter().collect::<Vec<_>>())
            )
        };
        evaluations.push(Evaluation::pass(resource.name_span, message));
    }
    evaluations
}

fn attribute(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn describe_ports(ports: &[&GuardedPort]) -> String {
    let names: Vec<String> = ports
        .iter()
        .map(|port| format!("{} ({})", port.port, port.service))
        .collect();
    format!("port(s) {}", names.join(", "))
}

/// Judges one rule: a block of `aws_security_group` or the body of a rule resource.
fn judge_rule(resource: &Resource, rule: &Node, guarded: &'static [GuardedPort]) -> RuleVerdict {
    let protocol_key = if rule.get("ip_protocol").is_some() {
        "ip_protocol"
    } else {
        "protocol"
    };
    let span_of = |path: &str| match rule.lookup(path) {
        Lookup::Present(node) => node.span,
        Lookup::Unknown(_, span) => span,
        Lookup::Missing => resource.name_span,
    };

    let ports: Result<Vec<&'static GuardedPort>, String> = match protocol(rule, protocol_key) {
        Protocol::NoPorts => return RuleVerdict::Closed,
        Protocol::Unknown(reason) => Err(format!("`{protocol_key}` is unknown: {reason}")),
        Protocol::AllPorts => Ok(guarded.iter().collect()),
        Protocol::Ports => port_range(rule).map(|(from, to)| {
            guarded
                .iter()
                .filter(|port| from <= f64::from(port.port) && f64::from(port.port) <= to)
                .collect()
        }),
    };
    if matches!(&ports, Ok(matched) if matched.is_empty()) {
        return RuleVerdict::Closed;
    }

    let mut unknown_source: Option<(String, Span)> = None;
    for (path, node) in sources(rule) {
        match &node.value {
            Value::String(cidr) if is_open_cidr(cidr) => match &ports {
                Ok(matched) => {
                    return RuleVerdict::Open {
                        ports: matched.clone(),
                        source: cidr.clone(),
                        span: node.span,
                    };
                }
                Err(reason) => {
                    return RuleVerdict::Unknown {
                        reason: format!("it allows {cidr}, and {reason}"),
                        span: span_of(protocol_key),
                    };
                }
            },
            Value::Unknown(unknown) if unknown_source.is_none() => {
                unknown_source = Some((
                    format!("`{path}` is unknown: {}", unknown.reason),
                    node.span,
                ));
            }
            _ => {}
        }
    }

    match unknown_source {
        Some((reason, span)) => RuleVerdict::Unknown { reason, span },
        None => RuleVerdict::Closed,
    }
}

enum Protocol {
    AllPorts,
    Ports,
    NoPorts,
    Unknown(String),
}

/// Reads the protocol: `-1` or `all` opens every port; TCP, UDP and SCTP use ports; ICMP
/// and other protocols have none.
fn protocol(rule: &Node, key: &str) -> Protocol {
    let text = match rule.lookup(key) {
        // An omitted protocol is invalid in every form; treat it as "all", the widest.
        Lookup::Missing => return Protocol::AllPorts,
        Lookup::Unknown(unknown, _) => return Protocol::Unknown(unknown.reason.clone()),
        Lookup::Present(node) => match &node.value {
            Value::Number(number) => format_number(*number),
            Value::String(text) => text.trim().to_ascii_lowercase(),
            _ => return Protocol::AllPorts,
        },
    };
    match text.as_str() {
        "-1" | "all" => Protocol::AllPorts,
        "tcp" | "6" | "udp" | "17" | "sctp" | "132" => Protocol::Ports,
        _ => Protocol::NoPorts,
    }
}

/// Reads `from_port` and `to_port`. An omitted port, or `-1` on either end, means every
/// port, as AWS reads a rule for all traffic.
fn port_range(rule: &Node) -> Result<(f64, f64), String> {
    let read = |key: &str| match rule.lookup(key) {
        Lookup::Missing => Ok(None),
        Lookup::Unknown(unknown, _) => Err(format!("`{key}` is unknown: {}", unknown.reason)),
        Lookup::Present(node) => match as_number(node) {
            Some(value) if value < 0.0 => Ok(None),
            Some(value) => Ok(Some(value)),
            None => Err(format!("`{key}` is not a number: {}", node.display())),
        },
    };
    match (read("from_port")?, read("to_port")?) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Ok((0.0, 65535.0)),
    }
}

/// Returns the CIDR values of a rule, each with its attribute path; an unknown list
/// yields one unknown node.
fn sources(rule: &Node) -> Vec<(String, &Node)> {
    let mut found = Vec::new();
    for key in ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"] {
        let Some(node) = rule.get(key) else {
            continue;
        };
        match &node.value {
            Value::List(items) => {
                for (index, item) in items.iter().enumerate() {
                    found.push((format!("{key}.{index}"), item));
                }
            }
            _ => found.push((key.to_owned(), node)),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_cidr_forms() {
        assert!(is_open_cidr("0.0.0.0/0"));
        assert!(is_open_cidr("::/0"));
        assert!(is_open_cidr(" 10.0.0.0/0 "));
        assert!(!is_open_cidr("10.0.0.0/8"));
        assert!(!is_open_cidr("0.0.0.0"));
        assert!(!is_open_cidr("::/00x"));
    }
}
