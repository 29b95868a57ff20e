//! Network isolation: default-deny NetworkPolicies per namespace and TLS on Ingresses.

use nexafi_model::{Evaluation, Lookup, Model, Node, Resource};

use crate::Check;
use crate::kubernetes::object;

pub mod default_deny_egress;
pub mod default_deny_ingress;
pub mod ingress_tls;

pub static CHECKS: &[&Check] = &[
    &default_deny_ingress::CHECK,
    &default_deny_egress::CHECK,
    &ingress_tls::CHECK,
];

/// One direction of NetworkPolicy traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// Returns the value of this direction in `policyTypes`.
    fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// Returns the field of the policy spec that lists the rules.
    fn rules_field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// Returns the field of one rule that lists the peers.
    fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

/// Verdict of one NetworkPolicy on the default-deny question in one direction.
enum PolicyVerdict {
    /// The policy selects every pod of its namespace and admits no traffic that every
    /// peer on every port could use.
    DefaultDeny,
    /// The policy does not isolate the whole namespace in this direction.
    NotDefaultDeny(String),
    /// Part of the policy is unknown offline.
    Unknown(String),
}

/// Evaluates whether the Namespace `namespace` has a NetworkPolicy in the scan that
/// denies all traffic in `direction` by default.
pub fn evaluate_default_deny(
    namespace: &Resource,
    model: &Model,
    direction: Direction,
) -> Vec<Evaluation> {
    let Some(name) = object::name_of_body(&namespace.body) else {
        return match namespace.body.lookup("metadata.name") {
            Lookup::Unknown(unknown, span) => {
                vec![object::unknown("metadata.name", unknown, span)]
            }
            _ => Vec::new(),
        };
    };
    let kind = direction.policy_type();
    let attribute = "NetworkPolicy";

    let mut unknown_reasons = Vec::new();
    let mut near_misses = Vec::new();
    for policy in model.in_group(namespace, "NetworkPolicy") {
        let policy_name = object::name_of_body(&policy.body).unwrap_or("unnamed");
        match object::namespace(policy) {
            object::Namespace::Unknown(unknown, _) => {
                unknown_reasons.push(format!(
                    "the namespace of NetworkPolicy `{policy_name}` is unknown: {}",
                    unknown.reason
                ));
                continue;
            }
            other if other.name() != Some(name) => continue,
            _ => {}
        }
        match judge_policy(policy, direction) {
            PolicyVerdict::DefaultDeny => {
                return vec![
                    Evaluation::pass(
                        namespace.name_span,
                        format!(
                            "NetworkPolicy `{policy_name}` denies {kind} traffic to every pod \
                             of namespace `{name}` by default"
                        ),
                    )
                    .attribute(attribute),
                ];
            }
            PolicyVerdict::NotDefaultDeny(reason) => {
                near_misses.push(format!("`{policy_name}` {reason}"));
            }
            PolicyVerdict::Unknown(reason) => {
                unknown_reasons.push(format!("NetworkPolicy `{policy_name}`: {reason}"));
            }
        }
    }

    if !unknown_reasons.is_empty() {
        return vec![
            Evaluation::unknown(
                namespace.name_span,
                format!(
                    "whether namespace `{name}` denies {kind} traffic by default cannot be \
                     known offline: {}",
                    unknown_reasons.join("; ")
                ),
            )
            .attribute(attribute),
        ];
    }
    let seen = if near_misses.is_empty() {
        "no NetworkPolicy in the scan targets it".to_owned()
    } else {
        format!("its NetworkPolicies do not: {}", near_misses.join("; "))
    };
    vec![
        Evaluation::fail(
            namespace.name_span,
            format!(
                "namespace `{name}` has no default-deny {kind} policy, and {seen}; add a \
                 NetworkPolicy with `podSelector: {{}}` and `policyTypes: [{kind}]` and no \
                 {} rules, then allow the flows the workloads need",
                direction.rules_field()
            ),
        )
        .attribute(attribute)
        .expected(format!("a default-deny {kind} NetworkPolicy"))
        .found("none"),
    ]
}

fn judge_policy(policy: &Resource, direction: Direction) -> PolicyVerdict {
    let spec = match policy.body.lookup("spec") {
        Lookup::Unknown(unknown, _) => return PolicyVerdict::Unknown(unknown.reason.clone()),
        Lookup::Missing => return PolicyVerdict::NotDefaultDeny("has no spec".to_owned()),
        Lookup::Present(spec) => spec,
    };

    // An omitted podSelector decodes to the empty selector, which selects every pod.
    match spec.lookup("podSelector") {
        Lookup::Unknown(unknown, _) => return PolicyVerdict::Unknown(unknown.reason.clone()),
        Lookup::Present(selector) if !selects_everything(selector) => {
            return PolicyVerdict::NotDefaultDeny("selects only some pods".to_owned());
        }
        _ => {}
    }

    match policy_types(spec) {
        Err(reason) => return PolicyVerdict::Unknown(reason),
        Ok(types) if !types.contains(&direction.policy_type()) => {
            return PolicyVerdict::NotDefaultDeny(format!(
                "does not list {} in policyTypes",
                direction.policy_type()
            ));
        }
        Ok(_) => {}
    }

    let rules = match spec.lookup(direction.rules_field()) {
        Lookup::Unknown(unknown, _) => return PolicyVerdict::Unknown(unknown.reason.clone()),
        Lookup::Missing => return PolicyVerdict::DefaultDeny,
        Lookup::Present(rules) => rules.as_list().unwrap_or_default(),
    };
    for rule in rules {
        if rule.is_unknown() {
            return PolicyVerdict::Unknown(format!(
                "a {} rule is unknown",
                direction.rules_field()
            ));
        }
        if admits_everything(rule, direction) {
            return PolicyVerdict::NotDefaultDeny(format!(
                "has an {} rule that admits all traffic",
                direction.rules_field()
            ));
        }
    }
    PolicyVerdict::DefaultDeny
}

/// Returns the effective `policyTypes`: the listed ones, or when omitted `Ingress` plus
/// `Egress` if the policy has egress rules, as the API server defaults them.
fn policy_types(spec: &Node) -> Result<Vec<&str>, String> {
    match spec.lookup("policyTypes") {
        Lookup::Unknown(unknown, _) => Err(unknown.reason.clone()),
        Lookup::Present(types) => Ok(types
            .as_list()
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect()),
        Lookup::Missing => {
            let mut types = vec!["Ingress"];
            if !spec.lookup("egress").is_missing() {
                types.push("Egress");
            }
            Ok(types)
        }
    }
}

/// Returns true for a label selector without match labels or expressions.
fn selects_everything(selector: &Node) -> bool {
    let empty = |field: &str| match selector.lookup(field) {
        Lookup::Missing => true,
        Lookup::Present(node) => {
            node.as_map().is_some_and(|map| map.is_empty())
                || node.as_list().is_some_and(|items| items.is_empty())
        }
        Lookup::Unknown(..) => false,
    };
    selector.as_map().is_some() && empty("matchLabels") && empty("matchExpressions")
}

/// Returns true for a rule that admits every peer on every port: no ports, and no peers
/// or a peer `ipBlock` of `0.0.0.0/0` or `::/0` without exceptions.
fn admits_everything(rule: &Node, direction: Direction) -> bool {
    let list_is_empty = |field: &str| match rule.lookup(field) {
        Lookup::Missing => true,
        Lookup::Present(node) => node.as_list().is_some_and(|items| items.is_empty()),
        Lookup::Unknown(..) => false,
    };
    if !list_is_empty("ports") {
        return false;
    }
    if list_is_empty(direction.peers_field()) {
        return true;
    }
    rule.lookup(direction.peers_field())
        .node()
        .and_then(Node::as_list)
        .unwrap_or_default()
        .iter()
        .any(|peer| {
            let cidr = peer.lookup("ipBlock.cidr").node().and_then(Node::as_str);
            matches!(cidr, Some("0.0.0.0/0" | "::/0"))
                && peer
                    .lookup("ipBlock.except")
                    .node()
                    .and_then(Node::as_list)
                    .is_none_or(|items| items.is_empty())
        })
}
