//! Live objects as the documents the Kubernetes loader reads.

use kube::api::DynamicObject;
use serde_json::Value;

use crate::kinds::WatchedKind;

/// Identity of one live object: kind, namespace (empty for cluster-scoped kinds) and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    /// Returns the synthetic source name findings point at:
    /// `cluster://NAMESPACE/KIND/NAME`, or `cluster://KIND/NAME` for cluster-scoped kinds.
    pub fn source_name(&self) -> String {
        if self.namespace.is_empty() {
            format!("cluster://{}/{}", self.kind, self.name)
        } else {
            format!("cluster://{}/{}/{}", self.namespace, self.kind, self.name)
        }
    }
}

/// Decision on one object of a watch event.
#[derive(Debug, PartialEq)]
pub enum Document {
    /// Evaluate the object: its JSON text without `status` and `managedFields`.
    Evaluate(String),
    /// Skip the object: its controller is evaluated instead.
    Owned,
}

/// Returns the key of `object`.
pub fn key(kind: &WatchedKind, object: &DynamicObject) -> ObjectKey {
    let namespace = if kind.namespaced {
        object.metadata.namespace.clone().unwrap_or_default()
    } else {
        String::new()
    };
    ObjectKey {
        kind: kind.kind,
        namespace,
        name: object.metadata.name.clone().unwrap_or_default(),
    }
}

/// Turns a live object into the document the loader reads.
///
/// Pods, ReplicaSets and Jobs that a controller manages (an owner reference with
/// `controller: true`) are skipped: the Deployment, StatefulSet, DaemonSet, CronJob or
/// other controller carries the same pod template and is evaluated once, as in the
/// manifests of a repository.
pub fn to_document(kind: &WatchedKind, object: &DynamicObject) -> Result<Document, String> {
    let controlled = object
        .metadata
        .owner_references
        .iter()
        .flatten()
        .any(|owner| owner.controller == Some(true));
    if controlled && matches!(kind.kind, "Pod" | "ReplicaSet" | "Job") {
        return Ok(Document::Owned);
    }

    let mut value = serde_json::to_value(object).map_err(|error| error.to_string())?;
    let Value::Object(map) = &mut value else {
        return Err("the object is not a JSON object".to_owned());
    };

    // List responses leave out the type of each item.
    map.insert("apiVersion".to_owned(), Value::String(kind.api_version()));
    map.insert("kind".to_owned(), Value::String(kind.kind.to_owned()));
    map.remove("status");
    if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
        metadata.remove("managedFields");
    }

    // Pretty JSON gives every field its own line, so a code frame shows one field.
    serde_json::to_string_pretty(&value)
        .map(Document::Evaluate)
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::kinds;
    use serde_json::json;

    fn object(value: Value) -> DynamicObject {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn document_strips_status() {
        let deployment = kinds::find("Deployment").unwrap();
        let live = object(json!({
            "metadata": {
                "name": "ledger",
                "namespace": "payments",
                "managedFields": [{"manager": "kubectl"}],
            },
            "spec": {"replicas": 2},
            "status": {"readyReplicas": 2},
        }));

        let Document::Evaluate(text) = to_document(deployment, &live).unwrap() else {
            panic!("the Deployment was skipped");
        };
        let value: Value = serde_json::from_str(&text).unwrap();

        assert_eq!(value["apiVersion"], "apps/v1");
        assert_eq!(value["kind"], "Deployment");
        assert_eq!(value["spec"]["replicas"], 2);
        assert!(value.get("status").is_none());
        assert!(value["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn controlled_pod_is_skipped() {
        let pod = kinds::find("Pod").unwrap();
        let live = object(json!({
            "metadata": {
                "name": "ledger-7d9-abc",
                "namespace": "payments",
                "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "ledger-7d9",
                    "uid": "00000000-0000-0000-0000-000000000001", "controller": true,
                }],
            },
            "spec": {"containers": []},
        }));

        assert_eq!(to_document(pod, &live).unwrap(), Document::Owned);
    }

    #[test]
    fn bare_pod_is_evaluated() {
        let pod = kinds::find("Pod").unwrap();
        let live = object(json!({
            "metadata": {"name": "debug", "namespace": "payments"},
            "spec": {"containers": []},
        }));

        assert!(matches!(
            to_document(pod, &live).unwrap(),
            Document::Evaluate(_)
        ));
    }

    #[test]
    fn source_name_of_scopes() {
        let namespaced = ObjectKey {
            kind: "Deployment",
            namespace: "payments".to_owned(),
            name: "ledger".to_owned(),
        };
        let cluster = ObjectKey {
            kind: "ClusterRole",
            namespace: String::new(),
            name: "admin".to_owned(),
        };

        assert_eq!(
            namespaced.source_name(),
            "cluster://payments/Deployment/ledger"
        );
        assert_eq!(cluster.source_name(), "cluster://ClusterRole/admin");
    }
}
