//! Objects as the build accumulates them, and the failure that stops a build.

use std::path::{Path, PathBuf};

use nexafi_model::{Map, Node, Span, Value};

use crate::kubernetes::CLUSTER_SCOPED_KINDS;

/// A problem that stops the build of an overlay: reported as an error diagnostic.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    /// The file to point at, usually the kustomization that holds the faulty entry.
    pub path: PathBuf,
    pub span: Option<Span>,
    /// Plain sentence: what failed, on which value, and how to fix it.
    pub message: String,
}

impl Failure {
    pub(crate) fn new(path: &Path, span: Option<Span>, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            span,
            message: message.into(),
        }
    }
}

/// How a generated ConfigMap or Secret combines with one of the same name from a base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Behavior {
    Create,
    Merge,
    Replace,
}

/// One Kubernetes object in the build.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub node: Node,
    /// Names the object had before a prefix, suffix or hash changed it, oldest first, so
    /// references written against an older name can be updated at the end.
    pub previous_names: Vec<String>,
    /// Set on generated ConfigMaps and Secrets that get a content hash suffix at the end of
    /// the build.
    pub needs_hash: bool,
}

impl Object {
    pub(crate) fn new(node: Node) -> Self {
        Self {
            node,
            previous_names: Vec::new(),
            needs_hash: false,
        }
    }

    pub(crate) fn text(&self, path: &str) -> &str {
        self.node
            .lookup(path)
            .node()
            .and_then(Node::as_str)
            .unwrap_or_default()
    }

    pub(crate) fn api_version(&self) -> &str {
        self.text("apiVersion")
    }

    pub(crate) fn kind(&self) -> &str {
        self.text("kind")
    }

    pub(crate) fn name(&self) -> &str {
        self.text("metadata.name")
    }

    /// Returns `metadata.namespace`, or "" when it is not set.
    pub(crate) fn namespace(&self) -> &str {
        self.text("metadata.namespace")
    }

    /// Returns the API group: "" for the core group (`apiVersion: v1`).
    pub(crate) fn group(&self) -> &str {
        split_api_version(self.api_version()).0
    }

    pub(crate) fn version(&self) -> &str {
        split_api_version(self.api_version()).1
    }

    pub(crate) fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED_KINDS.contains(&self.kind())
    }

    /// Returns true when the object has been known under `name`, now or before.
    pub(crate) fn answers_to(&self, name: &str) -> bool {
        self.name() == name || self.previous_names.iter().any(|previous| previous == name)
    }

    /// Identity used to reject two objects of the same kind, name and namespace, as
    /// kustomize does. An empty namespace and `default` are the same namespace.
    pub(crate) fn id(&self) -> (String, String, String, String) {
        let namespace = match self.namespace() {
            "" => "default",
            other => other,
        };
        (
            self.group().to_owned(),
            self.kind().to_owned(),
            namespace.to_owned(),
            self.name().to_owned(),
        )
    }

    /// Renders the object as kustomize names it in messages: `Deployment/payments/ledger`.
    pub(crate) fn describe(&self) -> String {
        match self.namespace() {
            "" => format!("{}/{}", self.kind(), self.name()),
            namespace => format!("{}/{namespace}/{}", self.kind(), self.name()),
        }
    }

    /// Renames the object and remembers the old name.
    pub(crate) fn rename(&mut self, name: String) {
        let old = self.name().to_owned();
        if old == name {
            return;
        }
        if let Some(node) = child_mut(&mut self.node, &["metadata", "name"]) {
            node.value = Value::String(name);
            self.previous_names.push(old);
        }
    }
}

/// Splits `apps/v1` into ("apps", "v1") and `v1` into ("", "v1").
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// Returns the node at a path of map keys, when every step is a map.
pub(crate) fn child_mut<'n>(node: &'n mut Node, path: &[&str]) -> Option<&'n mut Node> {
    let mut current = node;
    for key in path {
        let Value::Map(map) = &mut current.value else {
            return None;
        };
        current = map.get_mut(*key)?;
    }
    Some(current)
}

/// Returns the map at a path of keys, creating empty maps (spanned at `span`) where keys
/// are missing or null. Returns `None` when a step holds something other than a map.
pub(crate) fn ensure_map<'n>(node: &'n mut Node, path: &[&str], span: Span) -> Option<&'n mut Map> {
    let mut current = node;
    for key in path {
        if current.is_null() {
            current.value = Value::Map(Map::new());
        }
        let Value::Map(map) = &mut current.value else {
            return None;
        };
        let entry = map
            .entry((*key).to_owned())
            .or_insert_with(|| Node::new(span, Value::Map(Map::new())));
        current = entry;
    }
    if current.is_null() {
        current.value = Value::Map(Map::new());
    }
    match &mut current.value {
        Value::Map(map) => Some(map),
        _ => None,
    }
}
