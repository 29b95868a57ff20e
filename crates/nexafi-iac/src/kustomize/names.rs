//! Name references: after prefixes, suffixes and hashes change names, every field that
//! names another object of the build is updated to the new name, as kustomize's name
//! reference transformer does. A reference to an object outside the build is left as
//! written.

use nexafi_model::{Node, Value};

use super::object::Object;

/// Fields of the pod spec that name other objects, with the kind they name.
const POD_SPEC_REFERENCES: &[(&[&str], &str)] = &[
    (&["volumes", "[]", "configMap", "name"], "ConfigMap"),
    (&["volumes", "[]", "secret", "secretName"], "Secret"),
    (
        &["volumes", "[]", "persistentVolumeClaim", "claimName"],
        "PersistentVolumeClaim",
    ),
    (
        &[
            "volumes",
            "[]",
            "projected",
            "sources",
            "[]",
            "configMap",
            "name",
        ],
        "ConfigMap",
    ),
    (
        &[
            "volumes",
            "[]",
            "projected",
            "sources",
            "[]",
            "secret",
            "name",
        ],
        "Secret",
    ),
    (&["imagePullSecrets", "[]", "name"], "Secret"),
    (&["serviceAccountName"], "ServiceAccount"),
    (&["serviceAccount"], "ServiceAccount"),
    (&["priorityClassName"], "PriorityClass"),
];

/// Fields of each container (of all three container lists) that name other objects.
const CONTAINER_REFERENCES: &[(&[&str], &str)] = &[
    (
        &["env", "[]", "valueFrom", "configMapKeyRef", "name"],
        "ConfigMap",
    ),
    (
        &["env", "[]", "valueFrom", "secretKeyRef", "name"],
        "Secret",
    ),
    (&["envFrom", "[]", "configMapRef", "name"], "ConfigMap"),
    (&["envFrom", "[]", "secretRef", "name"], "Secret"),
];

/// Fields outside pod specs that name other objects, by the kind that contains them.
const OBJECT_REFERENCES: &[(&str, &[&str], &str)] = &[
    ("StatefulSet", &["spec", "serviceName"], "Service"),
    (
        "Ingress",
        &[
            "spec", "rules", "[]", "http", "paths", "[]", "backend", "service", "name",
        ],
        "Service",
    ),
    (
        "Ingress",
        &["spec", "defaultBackend", "service", "name"],
        "Service",
    ),
    ("Ingress", &["spec", "tls", "[]", "secretName"], "Secret"),
    ("ServiceAccount", &["secrets", "[]", "name"], "Secret"),
    (
        "ServiceAccount",
        &["imagePullSecrets", "[]", "name"],
        "Secret",
    ),
];

/// An object's kind, namespace and names, copied so references can be rewritten while
/// the objects are borrowed.
struct Entry {
    kind: String,
    namespace: String,
    cluster_scoped: bool,
    name: String,
    previous: Vec<String>,
}

/// Rewrites references to renamed objects of the build.
pub(crate) fn fix_references(objects: &mut [Object]) {
    let entries: Vec<Entry> = objects
        .iter()
        .map(|object| Entry {
            kind: object.kind().to_owned(),
            namespace: object.namespace().to_owned(),
            cluster_scoped: object.is_cluster_scoped(),
            name: object.name().to_owned(),
            previous: object.previous_names.clone(),
        })
        .collect();
    if entries.iter().all(|entry| entry.previous.is_empty()) {
        return;
    }

    for object in objects.iter_mut() {
        let namespace = object.namespace().to_owned();
        let resolve = |kind: &str, name: &str| resolve(&entries, kind, &namespace, name);
        let kind = object.kind().to_owned();

        if let Some(spec_path) = pod_spec_path(&kind) {
            visit(&mut object.node, spec_path, &mut |spec| {
                for (path, target) in POD_SPEC_REFERENCES {
                    visit(spec, path, &mut |node| rewrite(node, target, &resolve));
                }
                for list in ["containers", "initContainers", "ephemeralContainers"] {
                    for (path, target) in CONTAINER_REFERENCES {
                        let mut full = vec![list, "[]"];
                        full.extend_from_slice(path);
                        visit(spec, &full, &mut |node| rewrite(node, target, &resolve));
                    }
                }
            });
        }
        for (holder, path, target) in OBJECT_REFERENCES {
            if *holder == kind {
                visit(&mut object.node, path, &mut |node| {
                    rewrite(node, target, &resolve)
                });
            }
        }
        match kind.as_str() {
            "RoleBinding" | "ClusterRoleBinding" => {
                let role_kind = object.text("roleRef.kind").to_owned();
                visit(&mut object.node, &["roleRef", "name"], &mut |node| {
                    rewrite(node, &role_kind, &resolve);
                });
                visit(&mut object.node, &["subjects", "[]"], &mut |subject| {
                    if subject.get("kind").and_then(Node::as_str) == Some("ServiceAccount") {
                        visit(subject, &["name"], &mut |node| {
                            rewrite(node, "ServiceAccount", &resolve)
                        });
                    }
                });
            }
            "HorizontalPodAutoscaler" => {
                let target_kind = object.text("spec.scaleTargetRef.kind").to_owned();
                visit(
                    &mut object.node,
                    &["spec", "scaleTargetRef", "name"],
                    &mut |node| {
                        rewrite(node, &target_kind, &resolve);
                    },
                );
            }
            _ => {}
        }
    }
}

/// Returns the current name of the one object of `kind` once called `name`, in the
/// referrer's namespace unless the kind is cluster-scoped.
fn resolve(entries: &[Entry], kind: &str, namespace: &str, name: &str) -> Option<String> {
    let same_namespace = |entry: &Entry| {
        let normal = |text: &str| {
            if text.is_empty() {
                "default".to_owned()
            } else {
                text.to_owned()
            }
        };
        entry.cluster_scoped || normal(&entry.namespace) == normal(namespace)
    };
    let mut found: Option<&str> = None;
    for entry in entries {
        if entry.kind != kind || !same_namespace(entry) {
            continue;
        }
        if entry.name == name {
            return None;
        }
        if entry.previous.iter().any(|previous| previous == name) {
            match found {
                Some(other) if other != entry.name => return None,
                _ => found = Some(&entry.name),
            }
        }
    }
    found.map(str::to_owned)
}

fn rewrite(node: &mut Node, kind: &str, resolve: &dyn Fn(&str, &str) -> Option<String>) {
    if let Some(current) = node.as_str()
        && let Some(renamed) = resolve(kind, current)
    {
        node.value = Value::String(renamed);
    }
}

fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// Calls `action` on every node at `path`, where `[]` steps into each list item.
fn visit(node: &mut Node, path: &[&str], action: &mut dyn FnMut(&mut Node)) {
    match path.split_first() {
        None => action(node),
        Some((&"[]", rest)) => {
            if let Value::List(items) = &mut node.value {
                for item in items {
                    visit(item, rest, action);
                }
            }
        }
        Some((key, rest)) => {
            if let Value::Map(map) = &mut node.value
                && let Some(child) = map.get_mut(*key)
            {
                visit(child, rest, action);
            }
        }
    }
}
