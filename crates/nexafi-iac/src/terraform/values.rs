//! Operations on evaluated values that the evaluator shares between its parts.

use nexafi_model::{Node, Span, Unknown, Value, format_number};

/// Key that marks a map as the whole object of one resource instance, with the instance
/// address as value. Reading an attribute such a map lacks gives an unknown "computed by
/// the provider" value instead of an error. The key cannot be written in HCL, and it is
/// removed before values reach a resource body or a function.
pub(crate) const RESOURCE_MARKER: &str = "\u{0}resource";

/// Clones `node` with every span replaced by `span`: a value read through a reference
/// points at the referring expression.
pub(crate) fn respan(node: &Node, span: Span) -> Node {
    let value = match &node.value {
        Value::List(items) => Value::List(items.iter().map(|item| respan(item, span)).collect()),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(key, item)| (key.clone(), respan(item, span)))
                .collect(),
        ),
        other => other.clone(),
    };
    Node::new(span, value)
}

/// Compares two values, ignoring spans.
pub(crate) fn same_value(left: &Node, right: &Node) -> bool {
    match (&left.value, &right.value) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a == b,
        (Value::String(a), Value::String(b)) => a == b,
        (Value::List(a), Value::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, value)| b.get(key).is_some_and(|other| same_value(value, other)))
        }
        (Value::Unknown(a), Value::Unknown(b)) => a == b,
        _ => false,
    }
}

/// Returns the first unknown value inside `node`, depth first.
pub(crate) fn first_unknown(node: &Node) -> Option<&Unknown> {
    match &node.value {
        Value::Unknown(unknown) => Some(unknown),
        Value::List(items) => items.iter().find_map(first_unknown),
        Value::Map(map) => map.values().find_map(first_unknown),
        _ => None,
    }
}

/// Names the type of a value for messages.
pub(crate) fn type_name(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Map(_) => "object",
        Value::Unknown(_) => "unknown value",
    }
}

/// Converts a value to a number the way Terraform does: numbers, and strings that hold one.
pub(crate) fn to_number(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Number(number) => Some(*number),
        Value::String(text) => text
            .trim()
            .parse()
            .ok()
            .filter(|number: &f64| number.is_finite()),
        _ => None,
    }
}

/// Converts a value to a bool the way Terraform does: bools, and the strings "true" and
/// "false".
pub(crate) fn to_bool(node: &Node) -> Option<bool> {
    match &node.value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) if text == "true" => Some(true),
        Value::String(text) if text == "false" => Some(false),
        _ => None,
    }
}

/// Converts a primitive value to the text a string template inserts.
pub(crate) fn to_text(node: &Node) -> Result<String, String> {
    match &node.value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(format_number(*number)),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Null => Err("a null value cannot be inserted into a string".to_owned()),
        _ => Err(format!(
            "a {} cannot be inserted into a string; convert it with jsonencode() or join()",
            type_name(node)
        )),
    }
}

/// Converts a primitive value to a map key or `for_each` key.
pub(crate) fn to_key(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(format_number(*number)),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Removes every [`RESOURCE_MARKER`] key.
pub(crate) fn strip_markers(node: &mut Node) {
    match &mut node.value {
        Value::List(items) => items.iter_mut().for_each(strip_markers),
        Value::Map(map) => {
            map.shift_remove(RESOURCE_MARKER);
            map.values_mut().for_each(strip_markers);
        }
        _ => {}
    }
}

/// Formats an instance key as Terraform writes it in addresses: `["name"]`.
pub(crate) fn quote_key(key: &str) -> String {
    let mut quoted = String::with_capacity(key.len() + 4);
    quoted.push_str("[\"");
    for character in key.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            other => quoted.push(other),
        }
    }
    quoted.push_str("\"]");
    quoted
}

/// Returns a short rendering of a value for error messages, cut at 80 characters.
pub(crate) fn describe(node: &Node) -> String {
    let mut text = node.display();
    if text.chars().count() > 80 {
        text = text.chars().take(77).collect::<String>() + "...";
    }
    text
}
