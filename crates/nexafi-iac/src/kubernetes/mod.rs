//! Kubernetes manifests: multi-document YAML and JSON, `kind: List`, YAML 1.1 booleans.
//!
//! Every map with a string `apiVersion` and `kind` becomes one [`Resource`] whose body is
//! the whole object. Items of `List` kinds are objects of their own. Other documents
//! (Helm values, Kustomize files, arbitrary JSON) are skipped with a debug log.

mod scalar;
pub(crate) mod yaml;

use std::path::Path;

use nexafi_model::{FileId, InputKind, Node, Resource, SourceMap, Span, Value};

use crate::{Diagnostic, DiagnosticLevel, Loaded};

pub use yaml::{ALIAS_BUDGET, MAX_DEPTH};

/// Group shared by every Kubernetes object of a scan.
pub const GROUP: &str = "kubernetes";

/// Address segment used when an object has neither `metadata.name` nor
/// `metadata.generateName`.
pub const UNNAMED: &str = "<unnamed>";

/// Kinds that live outside namespaces, so their addresses have no namespace segment.
pub const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "CSIDriver",
    "PodSecurityPolicy",
];

/// Namespace of namespaced objects that do not set `metadata.namespace`.
const DEFAULT_NAMESPACE: &str = "default";

/// Loads every Kubernetes object in one YAML or JSON file. Documents that are not
/// Kubernetes objects are skipped with a debug log.
pub fn load_file(path: &Path, text: String, sources: &SourceMap) -> Loaded {
    let file = sources.add(path, text);
    let mut loaded = Loaded::default();
    let Some(source) = sources.get(file) else {
        return loaded;
    };

    let stream = yaml::read_stream(&source.text, file);
    for error in stream.errors {
        loaded.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            path: path.to_path_buf(),
            span: Some(error.span),
            message: error.message,
            subject: None,
        });
    }

    let mut reader = ObjectReader {
        path,
        file,
        text: &source.text,
        loaded: &mut loaded,
    };
    for document in stream.documents {
        reader.read(document, 0);
    }
    loaded
}

struct ObjectReader<'a> {
    path: &'a Path,
    file: FileId,
    text: &'a str,
    loaded: &'a mut Loaded,
}

impl ObjectReader<'_> {
    /// Adds the object in `node`, or the items of a list kind. `depth` counts the lists
    /// around it.
    fn read(&mut self, node: Node, depth: usize) {
        let Some((api_version, kind)) = object_type(&node) else {
            tracing::debug!(
                path = %self.path.display(),
                offset = node.span.start,
                "skipped a YAML document that is not a Kubernetes object"
            );
            return;
        };

        // `kind: List` is always a list. Other `*List` kinds (`PodList`) are lists only
        // when they have items, because a custom resource kind may end in "List" too.
        let has_items = node.get("items").and_then(Node::as_list).is_some();
        if (kind == "List" || kind.ends_with("List") && has_items) && depth < MAX_DEPTH {
            let Value::Map(mut map) = node.value else {
                return;
            };
            if let Some(Node {
                value: Value::List(items),
                ..
            }) = map.shift_remove("items")
            {
                for item in items {
                    self.read(item, depth + 1);
                }
            }
            return;
        }

        // Every object of the Kubernetes API has metadata. Files that borrow the
        // apiVersion/kind header without it are tool configuration: kubeconfig
        // (`kind: Config`), kustomization.yaml, kind and kubeadm cluster files.
        if node.get("metadata").is_none() && !kind.ends_with("List") {
            tracing::debug!(
                path = %self.path.display(),
                api_version = %api_version,
                kind = %kind,
                "skipped a document without metadata: tool configuration, not a Kubernetes object"
            );
            return;
        }

        let resource = self.resource(node, api_version, kind);
        self.loaded.resources.push(resource);
    }

    fn resource(&mut self, body: Node, api_version: String, kind: String) -> Resource {
        let metadata = body.get("metadata");
        if metadata.is_some_and(|metadata| !metadata.is_null() && metadata.as_map().is_none()) {
            self.error(
                metadata.map_or(body.span, |metadata| metadata.span),
                "metadata is not a map; write it as a map with at least `name`".to_owned(),
                None,
            );
        }

        let (name, name_span, name_problem) = self.name(&body);
        let cluster_scoped = CLUSTER_SCOPED_KINDS.contains(&kind.as_str());
        let address = if cluster_scoped {
            format!("{api_version}/{kind}/{name}")
        } else {
            let namespace = metadata
                .and_then(|metadata| metadata.get("namespace"))
                .and_then(Node::as_str)
                .filter(|namespace| !namespace.is_empty())
                .unwrap_or(DEFAULT_NAMESPACE);
            format!("{api_version}/{kind}/{namespace}/{name}")
        };
        if let Some(message) = name_problem {
            self.error(name_span, message, Some(address.clone()));
        }

        Resource {
            address,
            input: InputKind::Kubernetes,
            kind,
            group: GROUP.to_owned(),
            span: body.span,
            name_span,
            body,
            references: Vec::new(),
            instances_unknown: None,
        }
    }

    /// Returns the name used in the address, the span to point at, and the problem
    /// with the name when there is one.
    fn name(&self, body: &Node) -> (String, Span, Option<String>) {
        let kind_span = body.get("kind").map_or(body.span, |kind| kind.span);
        let metadata = body.get("metadata");
        let name = metadata.and_then(|metadata| metadata.get("name"));
        let generate_name = metadata.and_then(|metadata| metadata.get("generateName"));

        match name.map(|name| (&name.value, name.span)) {
            Some((Value::String(text), span)) if !text.is_empty() => (text.clone(), span, None),
            Some((Value::Number(_) | Value::Bool(_), span)) => {
                let written = self
                    .text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or_default()
                    .to_owned();
                let message = format!(
                    "metadata.name {written} is not a string; quote it, as in name: \"{written}\""
                );
                (written, span, Some(message))
            }
            _ => match generate_name.and_then(|node| node.as_str().map(|text| (text, node.span))) {
                Some((prefix, span)) if !prefix.is_empty() => (prefix.to_owned(), span, None),
                _ => (
                    UNNAMED.to_owned(),
                    name.map_or(kind_span, |name| name.span),
                    Some(
                        "object has no metadata.name; add a name under metadata \
                         (or generateName for objects created with a generated name)"
                            .to_owned(),
                    ),
                ),
            },
        }
    }

    fn error(&mut self, span: Span, message: String, subject: Option<String>) {
        debug_assert_eq!(span.file, self.file);
        self.loaded.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            path: self.path.to_path_buf(),
            span: Some(span),
            message,
            subject,
        });
    }
}

/// Returns `apiVersion` and `kind` when the node is a Kubernetes object.
fn object_type(node: &Node) -> Option<(String, String)> {
    let api_version = node.get("apiVersion")?.as_str()?;
    let kind = node.get("kind")?.as_str()?;
    if api_version.is_empty() || kind.is_empty() {
        return None;
    }
    Some((api_version.to_owned(), kind.to_owned()))
}
