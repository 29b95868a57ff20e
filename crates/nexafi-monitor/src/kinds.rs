//! The API resources the monitor watches: every kind a Kubernetes check evaluates or looks
//! up, and no other.

use kube::core::{ApiResource, GroupVersionKind};

/// One kind of the Kubernetes API, as the monitor lists and watches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchedKind {
    /// API group, empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// Resource name in the URL path, as RBAC rules name it.
    pub plural: &'static str,
    pub namespaced: bool,
}

impl WatchedKind {
    /// Returns the `apiVersion` of objects of this kind (`apps/v1`, or `v1` for the core
    /// group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn api_resource(&self) -> ApiResource {
        let gvk = GroupVersionKind::gvk(self.group, self.version, self.kind);
        ApiResource::from_gvk_with_plural(&gvk, self.plural)
    }
}

const fn kind(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
) -> WatchedKind {
    WatchedKind {
        group,
        version,
        kind,
        plural,
        namespaced,
    }
}

/// Every watched kind. The ClusterRole in `compliance/monitor.yaml` grants `list` and
/// `watch` on exactly these resources, and a test below keeps it so.
///
/// Secrets are left out on purpose: the check on Secret data targets manifests in Git,
/// and every Secret in a live cluster contains data.
pub const WATCHED_KINDS: &[WatchedKind] = &[
    kind("", "v1", "Namespace", "namespaces", false),
    kind("", "v1", "Pod", "pods", true),
    kind(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        true,
    ),
    kind("", "v1", "ServiceAccount", "serviceaccounts", true),
    kind("apps", "v1", "Deployment", "deployments", true),
    kind("apps", "v1", "StatefulSet", "statefulsets", true),
    kind("apps", "v1", "DaemonSet", "daemonsets", true),
    kind("apps", "v1", "ReplicaSet", "replicasets", true),
    kind("batch", "v1", "Job", "jobs", true),
    kind("batch", "v1", "CronJob", "cronjobs", true),
    kind(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
    ),
    kind("networking.k8s.io", "v1", "Ingress", "ingresses", true),
    kind("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
    kind(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
    ),
    kind(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
    ),
    kind(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
    ),
];

/// Kinds that checks evaluate but the monitor does not read from a cluster.
pub const UNWATCHED_KINDS: &[&str] = &["Secret"];

/// Kinds that checks look up beside the object they evaluate: the ServiceAccount of a pod,
/// the NetworkPolicies of a namespace, the Role of a binding.
const LOOKED_UP_KINDS: &[&str] = &["ServiceAccount", "NetworkPolicy", "Role", "ClusterRole"];

/// Returns the watched kind named `name`.
pub fn find(name: &str) -> Option<&'static WatchedKind> {
    WATCHED_KINDS.iter().find(|watched| watched.kind == name)
}

/// Returns true when the monitor needs objects of `name`: a check evaluates or looks up
/// that kind.
pub fn is_needed(name: &str) -> bool {
    LOOKED_UP_KINDS.contains(&name)
        || nexafi_checks::all().iter().any(|check| {
            check.meta.input == nexafi_model::InputKind::Kubernetes
                && check.meta.kinds.contains(&name)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_kind_is_watched() {
        for check in nexafi_checks::all() {
            if check.meta.input != nexafi_model::InputKind::Kubernetes {
                continue;
            }
            for name in check.meta.kinds {
                assert!(
                    find(name).is_some() || UNWATCHED_KINDS.contains(name),
                    "{} evaluates {name}, which the monitor does not watch",
                    check.meta.id
                );
            }
        }
    }

    #[test]
    fn every_watched_kind_is_needed() {
        for watched in WATCHED_KINDS {
            assert!(
                is_needed(watched.kind),
                "{} is watched but no check needs it",
                watched.kind
            );
        }
    }

    /// The ClusterRole of the shipped manifest grants read access to exactly the watched
    /// resources: no more (least privilege), no less (a watch would fail with 403).
    #[test]
    fn manifest_grants_exactly_watched() {
        let manifest = include_str!("../../../infrastructure/kubernetes/compliance/monitor.yaml");
        let documents: Vec<serde_json::Value> = serde_saphyr::from_multiple(manifest)
            .unwrap_or_else(|error| panic!("monitor.yaml is not valid YAML: {error}"));
        let role = documents
            .iter()
            .find(|document| document["kind"] == "ClusterRole")
            .unwrap_or_else(|| panic!("monitor.yaml has no ClusterRole"));

        let mut granted = std::collections::BTreeSet::new();
        for rule in role["rules"].as_array().into_iter().flatten() {
            let verbs: Vec<&str> = rule["verbs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_str)
                .collect();
            assert_eq!(verbs, ["list", "watch"], "{rule}");
            for group in rule["apiGroups"].as_array().into_iter().flatten() {
                for resource in rule["resources"].as_array().into_iter().flatten() {
                    granted.insert(format!(
                        "{}/{}",
                        group.as_str().unwrap_or("?"),
                        resource.as_str().unwrap_or("?")
                    ));
                }
            }
        }
        let watched: std::collections::BTreeSet<String> = WATCHED_KINDS
            .iter()
            .map(|watched| format!("{}/{}", watched.group, watched.plural))
            .collect();

        assert_eq!(granted, watched);
    }

    #[test]
    fn api_version_of_core_group() {
        assert_eq!(
            find("Pod").map(WatchedKind::api_version).as_deref(),
            Some("v1")
        );
        assert_eq!(
            find("CronJob").map(WatchedKind::api_version).as_deref(),
            Some("batch/v1")
        );
    }
}
