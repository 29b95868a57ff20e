//! Kubernetes RBAC: roles, bindings and the service account tokens pods receive.

use nexafi_model::Node;

use crate::Check;

pub mod cluster_admin_binding;
pub mod service_account_token;
pub mod wildcard_rules;

pub static CHECKS: &[&Check] = &[
    &wildcard_rules::CHECK,
    &cluster_admin_binding::CHECK,
    &service_account_token::CHECK,
];

/// Returns true when the list field `field` of an RBAC rule contains `*`.
fn rule_lists_wildcard(rule: &Node, field: &str) -> bool {
    rule.get(field)
        .and_then(Node::as_list)
        .is_some_and(|items| items.iter().any(|item| item.as_str() == Some("*")))
}

/// Returns true when `rules` contains a rule that grants every verb on every resource of
/// every API group, which makes the role as powerful as `cluster-admin` in its scope.
pub fn grants_everything(rules: &Node) -> bool {
    rules.as_list().is_some_and(|rules| {
        rules.iter().any(|rule| {
            ["apiGroups", "resources", "verbs"]
                .into_iter()
                .all(|field| rule_lists_wildcard(rule, field))
        })
    })
}
