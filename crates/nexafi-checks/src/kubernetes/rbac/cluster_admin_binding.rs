use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity,
};

use crate::Check;
use crate::kubernetes::object;
use crate::kubernetes::rbac::grants_everything;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-RBAC-002",
        slug: "k8s-rbac-cluster-admin-binding",
        title: "No binding grants cluster-admin or an equivalent role",
        severity: Severity::High,
        input: InputKind::Kubernetes,
        kinds: &["ClusterRoleBinding", "RoleBinding"],
        categories: &["k8s-rbac"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
        ],
        docs: CheckDocs {
            what: "Reads `roleRef` and `subjects` of every ClusterRoleBinding and RoleBinding. \
                   A binding fails when it refers to the ClusterRole `cluster-admin`, or to a \
                   ClusterRole or Role declared in the scan that has a rule with `*` API \
                   groups, `*` resources and `*` verbs, and it has at least one subject. The \
                   message lists the subjects. A binding without subjects grants nothing and \
                   passes; other bindings pass.",
            why: "`cluster-admin` can do anything: read every Secret, change RBAC, run \
                  privileged pods on any node. A ClusterRoleBinding to it makes its subjects \
                  administrators of the whole cluster, and even a RoleBinding makes them \
                  administrators of a namespace, including its Secrets. Such access must be \
                  limited to break-glass accounts whose use is logged and reviewed, as PCI \
                  DSS and SOX access controls require.",
            fix: "Bind a role that grants only what the subject needs, and keep cluster-admin \
                  for a break-glass group outside the manifests:\n\n```yaml\nroleRef:\n  \
                  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n```",
            limitations: "Roles that exist only in the cluster are known by name alone, so an \
                          all-powerful role outside the scan is not recognised. Members of the \
                          `system:masters` group have full access without any binding; that \
                          membership comes from client certificates and never appears in \
                          manifests.",
        },
    },
    cases: include_str!("cluster_admin_binding.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    let role_ref = match resource.body.lookup("roleRef") {
        Lookup::Unknown(unknown, span) => return vec![object::unknown("roleRef", unknown, span)],
        Lookup::Missing => return Vec::new(),
        Lookup::Present(node) => node,
    };
    let name_node = match role_ref.lookup("name") {
        Lookup::Unknown(unknown, span) => {
            return vec![object::unknown("roleRef.name", unknown, span)];
        }
        Lookup::Missing => return Vec::new(),
        Lookup::Present(node) => node,
    };
    let Some(role_name) = name_node.as_str() else {
        return Vec::new();
    };
    let role_kind = role_ref
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or("ClusterRole");

    let all_powerful = if role_kind == "ClusterRole" && role_name == "cluster-admin" {
        Some("cluster-admin".to_owned())
    } else if declared_role_grants_everything(resource, model, role_kind, role_name) {
        Some(format!(
            "{role_kind} `{role_name}`, whose rules grant every verb on every resource"
        ))
    } else {
        None
    };
    let Some(role) = all_powerful else {
        return vec![
            Evaluation::pass(
                name_node.span,
                format!("the binding grants {role_kind} `{role_name}`"),
            )
            .attribute("roleRef.name"),
        ];
    };

    let subjects = match resource.body.lookup("subjects") {
        Lookup::Unknown(unknown, span) => {
            return vec![object::unknown("subjects", unknown, span)];
        }
        Lookup::Missing => Vec::new(),
        Lookup::Present(node) => node
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(describe_subject)
            .collect(),
    };
    if subjects.is_empty() {
        return vec![
            Evaluation::pass(
                name_node.span,
                format!("the binding refers to {role} but has no subjects, so it grants nothing"),
            )
            .attribute("roleRef.name"),
        ];
    }

    let scope = if resource.kind == "ClusterRoleBinding" {
        "the whole cluster".to_owned()
    } else {
        let namespace = object::namespace(resource).name().unwrap_or("its");
        format!("namespace `{namespace}`")
    };
    vec![
        Evaluation::fail(
            name_node.span,
            format!(
                "the {} grants {role} over {scope} to {}; bind a role limited to what the \
                 subjects need and keep cluster-admin for break-glass access",
                resource.kind,
                subjects.join(", ")
            ),
        )
        .attribute("roleRef.name")
        .expected("a least-privilege role")
        .found(role),
    ]
}

/// Returns true when the role that the binding refers to is declared in the scan and
/// grants everything. A RoleBinding's Role lives in the binding's namespace.
fn declared_role_grants_everything(
    binding: &Resource,
    model: &Model,
    role_kind: &str,
    role_name: &str,
) -> bool {
    let binding_namespace = object::namespace(binding).name();
    model.in_group(binding, role_kind).any(|role| {
        let same_name = object::name_of_body(&role.body) == Some(role_name);
        let same_namespace =
            role_kind == "ClusterRole" || object::namespace(role).name() == binding_namespace;
        same_name
            && same_namespace
            && role
                .body
                .lookup("rules")
                .node()
                .is_some_and(grants_everything)
    })
}

/// Names a subject for messages: `ServiceAccount ci/deployer`, `Group platform`.
fn describe_subject(subject: &Node) -> String {
    let kind = subject
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or("subject");
    let name = subject
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or("(unnamed)");
    match subject.get("namespace").and_then(Node::as_str) {
        Some(namespace) if kind == "ServiceAccount" => format!("{kind} {namespace}/{name}"),
        _ => format!("{kind} {name}"),
    }
}
