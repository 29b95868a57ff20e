//! Values with spans: the body of every resource.

use indexmap::IndexMap;
use serde::Serialize;

use crate::source::Span;

/// Map from key to value, in source order.
pub type Map = IndexMap<String, Node>;

/// A value together with the span of the source text it came from.
///
/// For a Terraform value computed from a variable, the span is the expression in the
/// resource block; the variable's own span is not kept.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    pub span: Span,
    #[serde(flatten)]
    pub value: Value,
}

/// A value as a loader resolved it offline.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    Null,
    Bool(bool),
    /// Numbers are f64: exact for integers up to 2^53, which covers every port, size and
    /// retention period a check compares.
    Number(f64),
    String(String),
    List(Vec<Node>),
    Map(Map),
    /// A value that cannot be known without running the tool or reaching the cloud.
    Unknown(Unknown),
}

/// Why a value is unknown. The reason is shown to users next to an `unknown` verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unknown {
    pub reason: String,
}

impl Unknown {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// The three states a check meets when it reads an attribute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lookup<'a> {
    /// The attribute is absent, so the provider or API default applies.
    Missing,
    /// The attribute is present but its value is unknown offline.
    Unknown(&'a Unknown, Span),
    Present(&'a Node),
}

impl<'a> Lookup<'a> {
    pub fn node(self) -> Option<&'a Node> {
        match self {
            Lookup::Present(node) => Some(node),
            _ => None,
        }
    }

    pub fn is_missing(self) -> bool {
        matches!(self, Lookup::Missing)
    }
}

impl Node {
    pub fn new(span: Span, value: Value) -> Self {
        Self { span, value }
    }

    pub fn null(span: Span) -> Self {
        Self::new(span, Value::Null)
    }

    pub fn unknown(span: Span, reason: impl Into<String>) -> Self {
        Self::new(span, Value::Unknown(Unknown::new(reason)))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Number(value) => Some(value),
            _ => None,
        }
    }

    /// Returns the number as an integer when it is one exactly.
    pub fn as_i64(&self) -> Option<i64> {
        let value = self.as_f64()?;
        let in_range = value.fract() == 0.0 && value.abs() < 9.007_199_254_740_992e15;
        // The range check above makes the cast exact.
        #[allow(clippy::cast_possible_truncation)]
        in_range.then_some(value as i64)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.value {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_unknown(&self) -> Option<&Unknown> {
        match &self.value {
            Value::Unknown(unknown) => Some(unknown),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.value, Value::Unknown(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Returns the direct child `key` of a map; `None` for other values.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    /// Follows a dotted path of map keys and list indexes (`spec.template.spec`,
    /// `rule.0.apply_server_side_encryption_by_default`).
    ///
    /// A null value counts as missing, because Terraform and Kubernetes treat an
    /// explicit null like an omitted attribute. An unknown value on the way stops
    /// the walk and is returned, since whatever lies below it is unknown too.
    pub fn lookup(&self, path: &str) -> Lookup<'_> {
        let mut current = self;
        for segment in path.split('.').filter(|segment| !segment.is_empty()) {
            if let Value::Unknown(unknown) = &current.value {
                return Lookup::Unknown(unknown, current.span);
            }
            let next = match &current.value {
                Value::Map(map) => map.get(segment),
                Value::List(items) => segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|index| items.get(index)),
                _ => None,
            };
            match next {
                Some(node) => current = node,
                None => return Lookup::Missing,
            }
        }
        match &current.value {
            Value::Null => Lookup::Missing,
            Value::Unknown(unknown) => Lookup::Unknown(unknown, current.span),
            _ => Lookup::Present(current),
        }
    }

    /// Returns the nested Terraform blocks named `name`: loaders store repeated blocks
    /// as a list of maps, and a single map is accepted too.
    pub fn blocks(&self, name: &str) -> Vec<&Node> {
        match self.get(name).map(|node| &node.value) {
            Some(Value::List(items)) => items.iter().collect(),
            Some(Value::Map(_)) => self.get(name).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Renders the value compactly for messages ("found" in findings).
    pub fn display(&self) -> String {
        match &self.value {
            Value::Null => "null".to_owned(),
            Value::Bool(value) => value.to_string(),
            Value::Number(value) => format_number(*value),
            Value::String(value) => format!("{value:?}"),
            Value::List(items) => {
                let parts: Vec<String> = items.iter().map(Node::display).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Map(map) => {
                let parts: Vec<String> = map
                    .iter()
                    .map(|(key, value)| format!("{key} = {}", value.display()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Value::Unknown(unknown) => format!("(unknown: {})", unknown.reason),
        }
    }

    /// Converts to plain JSON; unknown values become `{"$unknown": reason}`.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(value) => serde_json::Value::Bool(*value),
            Value::Number(value) => match self.as_i64() {
                Some(integer) => serde_json::Value::from(integer),
                None => serde_json::Number::from_f64(*value)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
            },
            Value::String(value) => serde_json::Value::String(value.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(key, value)| (key.clone(), value.to_json()))
                    .collect(),
            ),
            Value::Unknown(unknown) => {
                serde_json::json!({ "$unknown": unknown.reason })
            }
        }
    }
}

/// Formats a number without a trailing `.0` when it is an integer.
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn span() -> Span {
        Span::new(FileId(0), 0, 0)
    }

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node::new(
            span(),
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            ),
        )
    }

    #[test]
    fn lookup_present_nested() {
        let node = map(vec![(
            "spec",
            map(vec![("replicas", Node::new(span(), Value::Number(3.0)))]),
        )]);
        let found = node.lookup("spec.replicas").node().and_then(Node::as_i64);
        assert_eq!(found, Some(3));
    }

    #[test]
    fn lookup_missing_and_null() {
        let node = map(vec![("a", Node::null(span()))]);
        assert!(node.lookup("a").is_missing());
        assert!(node.lookup("b.c").is_missing());
    }

    #[test]
    fn lookup_stops_at_unknown() {
        let node = map(vec![("a", Node::unknown(span(), "var.x has no value"))]);
        match node.lookup("a.b.c") {
            Lookup::Unknown(unknown, _) => assert_eq!(unknown.reason, "var.x has no value"),
            other => panic!("expected unknown, got {other:?}"),
        }
    }

    #[test]
    fn lookup_list_index() {
        let list = Node::new(
            span(),
            Value::List(vec![Node::new(span(), Value::String("x".into()))]),
        );
        let node = map(vec![("items", list)]);
        assert_eq!(
            node.lookup("items.0").node().and_then(Node::as_str),
            Some("x")
        );
        assert!(node.lookup("items.1").is_missing());
    }

    #[test]
    fn display_formats_integers() {
        assert_eq!(Node::new(span(), Value::Number(365.0)).display(), "365");
        assert_eq!(Node::new(span(), Value::Number(0.5)).display(), "0.5");
    }
}
