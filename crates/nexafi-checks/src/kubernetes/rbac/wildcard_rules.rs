use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-RBAC-001",
        slug: "k8s-rbac-wildcard-rule",
        title: "Roles and ClusterRoles name their API groups, resources and verbs",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: &["Role", "ClusterRole"],
        categories: &["k8s-rbac"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_49"],
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
        ],
        docs: CheckDocs {
            what: "Reads every rule of Roles and ClusterRoles. Each `*` in a rule's \
                   `apiGroups` or `verbs`, and each entry of `resources` that contains `*` \
                   (`*`, `*/scale`, `pods/*`), fails with its own finding. A role whose rules \
                   name everything explicitly passes, and so does a role without rules. An \
                   aggregated ClusterRole is judged on its own `rules` only.",
            why: "A wildcard grants every present and future resource or verb, including ones \
                  added later by CRDs, such as reading Secrets, `escalate`, `bind` and \
                  `impersonate`. Least privilege for the people and service accounts that \
                  reach a cardholder data environment is a PCI DSS requirement, and an \
                  auditor cannot review what a wildcard will mean tomorrow.",
            fix: "List what the subject needs:\n\n```yaml\nrules:\n  - apiGroups: [\"apps\"]\n    \
                  resources: [\"deployments\"]\n    verbs: [\"get\", \"list\", \"watch\"]\n```",
            limitations: "Wildcards in `nonResourceURLs` are not reported. Rules that ClusterRole \
                          aggregation adds from other roles are checked on those roles, not on \
                          the aggregating one.",
        },
    },
    cases: include_str!("wildcard_rules.cases.yaml"),
    evaluate,
};

/// Rule fields and what a wildcard in each grants, for the message.
const FIELDS: &[(&str, &str)] = &[
    ("apiGroups", "every API group"),
    ("resources", "every resource it matches"),
    ("verbs", "every verb"),
];

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    let kind = &resource.kind;
    let rules = match resource.body.lookup("rules") {
        Lookup::Unknown(unknown, span) => return vec![object::unknown("rules", unknown, span)],
        Lookup::Missing => {
            let message = if resource.body.lookup("aggregationRule").is_missing() {
                format!("the {kind} has no rules")
            } else {
                format!(
                    "the {kind} has no rules of its own; aggregated roles are checked on their own"
                )
            };
            return vec![Evaluation::pass(resource.name_span, message).attribute("rules")];
        }
        Lookup::Present(node) => node.as_list().unwrap_or_default(),
    };

    let mut evaluations = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        for (field, grants) in FIELDS {
            let attribute = format!("rules.{index}.{field}");
            let items = match rule.lookup(field) {
                Lookup::Unknown(unknown, span) => {
                    evaluations.push(object::unknown(&attribute, unknown, span));
                    continue;
                }
                Lookup::Missing => continue,
                Lookup::Present(node) => node.as_list().unwrap_or_default(),
            };
            for (position, item) in items.iter().enumerate() {
                let item_attribute = format!("{attribute}.{position}");
                if let Some(unknown) = item.as_unknown() {
                    evaluations.push(object::unknown(&item_attribute, unknown, item.span));
                    continue;
                }
                let Some(text) = item.as_str() else {
                    continue;
                };
                let wildcard = if *field == "resources" {
                    text.contains('*')
                } else {
                    text == "*"
                };
                if wildcard {
                    evaluations.push(
                        Evaluation::fail(
                            item.span,
                            format!(
                                "rule {index} of the {kind} lists {text:?} in `{field}`, which \
                                 grants {grants}, including ones added later; list the {field} \
                                 the subjects need"
                            ),
                        )
                        .attribute(item_attribute)
                        .expected(format!("explicit {field}"))
                        .found(text),
                    );
                }
            }
        }
    }
    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::pass(
                resource.name_span,
                format!("every rule of the {kind} names its API groups, resources and verbs"),
            )
            .attribute("rules"),
        );
    }
    evaluations
}
