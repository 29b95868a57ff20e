//! Helpers for any Kubernetes object: metadata, strict value reading and the verdict on
//! a value that is unknown offline.

use nexafi_model::{Evaluation, Lookup, Node, Resource, Span, Unknown, Value};

/// Namespace that Kubernetes uses for a namespaced object whose manifest names none,
/// when `kubectl` runs with the usual context.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The namespace of an object as the manifest states it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Namespace<'a> {
    /// `metadata.namespace` is set to this name.
    Named(&'a str, Span),
    /// `metadata.namespace` is omitted, so the object lands in the namespace of the
    /// client's context: `default` unless the deployment tool sets another.
    Omitted,
    /// `metadata.namespace` is present but unknown offline (a Helm value, for example).
    Unknown(&'a Unknown, Span),
}

impl<'a> Namespace<'a> {
    /// Returns the namespace name, `default` when omitted, or `None` when unknown.
    pub fn name(self) -> Option<&'a str> {
        match self {
            Namespace::Named(name, _) => Some(name),
            Namespace::Omitted => Some(DEFAULT_NAMESPACE),
            Namespace::Unknown(..) => None,
        }
    }
}

/// Reads `metadata.namespace` of `resource`. A value that is not a string counts as
/// omitted, because the API server rejects such an object anyway.
pub fn namespace(resource: &Resource) -> Namespace<'_> {
    namespace_of_body(&resource.body)
}

/// Reads `metadata.namespace` of an object body.
pub fn namespace_of_body(body: &Node) -> Namespace<'_> {
    match body.lookup("metadata.namespace") {
        Lookup::Present(node) => match node.as_str() {
            Some(name) if !name.is_empty() => Namespace::Named(name, node.span),
            _ => Namespace::Omitted,
        },
        Lookup::Missing => Namespace::Omitted,
        Lookup::Unknown(unknown, span) => Namespace::Unknown(unknown, span),
    }
}

/// Returns `metadata.name` of an object body when it is a known string.
pub fn name_of_body(body: &Node) -> Option<&str> {
    body.lookup("metadata.name").node().and_then(Node::as_str)
}

/// Looks up one key of a map node without splitting it at dots, for keys such as the
/// label `pod-security.kubernetes.io/enforce`. Follows the same three states as
/// [`Node::lookup`]: null counts as missing.
pub fn map_entry<'a>(map: &'a Node, key: &str) -> Lookup<'a> {
    match &map.value {
        Value::Unknown(unknown) => Lookup::Unknown(unknown, map.span),
        Value::Map(entries) => match entries.get(key) {
            None => Lookup::Missing,
            Some(node) => match &node.value {
                Value::Null => Lookup::Missing,
                Value::Unknown(unknown) => Lookup::Unknown(unknown, node.span),
                _ => Lookup::Present(node),
            },
        },
        _ => Lookup::Missing,
    }
}

/// Returns the `unknown` verdict for an attribute whose value cannot be known offline.
pub fn unknown(attribute: &str, unknown: &Unknown, span: Span) -> Evaluation {
    Evaluation::unknown(
        span,
        format!("`{attribute}` cannot be known offline: {}", unknown.reason),
    )
    .attribute(attribute)
}

/// Renders a node for the `found` field of a finding, naming a string as such because
/// the API expects a boolean or a number in the fields checks read.
pub fn describe(node: &Node) -> String {
    match &node.value {
        Value::String(text) => format!("the string {text:?}"),
        _ => node.display(),
    }
}

/// A boolean field that a check wants set to one value.
pub struct BoolField<'a> {
    /// The field as the message names it, relative to `subject` (`securityContext.privileged`).
    pub field: &'a str,
    /// Full attribute path for the finding.
    pub attribute: String,
    /// Owner of the field in messages: "container `app`", "the pod".
    pub subject: String,
    /// Span of the finding when the field is omitted.
    pub missing_span: Span,
    pub expected: bool,
    /// The value Kubernetes applies when the field is omitted.
    pub default: bool,
    /// Sentence with the change that fixes a failure.
    pub fix: &'a str,
}

impl BoolField<'_> {
    /// Returns the verdict on `lookup`, the field's value. Only a YAML boolean counts,
    /// because the API server rejects a quoted `"false"` in a boolean field, so a string
    /// fails with a message naming it.
    pub fn evaluate(&self, lookup: Lookup<'_>) -> Evaluation {
        let BoolField {
            field,
            subject,
            fix,
            ..
        } = self;
        match lookup {
            Lookup::Unknown(value, span) => unknown(&self.attribute, value, span),
            Lookup::Missing if self.default == self.expected => Evaluation::pass(
                self.missing_span,
                format!(
                    "{subject}: `{field}` is omitted and defaults to {}",
                    self.default
                ),
            )
            .attribute(&self.attribute),
            Lookup::Missing => Evaluation::fail(
                self.missing_span,
                format!(
                    "{subject}: `{field}` is omitted and defaults to {}; {fix}",
                    self.default
                ),
            )
            .attribute(&self.attribute)
            .expected(self.expected.to_string())
            .found("omitted"),
            Lookup::Present(node) => match node.as_bool() {
                Some(value) if value == self.expected => {
                    Evaluation::pass(node.span, format!("{subject}: `{field}` is {value}"))
                        .attribute(&self.attribute)
                }
                Some(value) => {
                    Evaluation::fail(node.span, format!("{subject}: `{field}` is {value}; {fix}"))
                        .attribute(&self.attribute)
                        .expected(self.expected.to_string())
                        .found(value.to_string())
                }
                None => Evaluation::fail(
                    node.span,
                    format!(
                        "{subject}: `{field}` is {}, not a boolean, so the API server \
                         rejects the object; {fix}",
                        describe(node)
                    ),
                )
                .attribute(&self.attribute)
                .expected(self.expected.to_string())
                .found(describe(node)),
            },
        }
    }
}
