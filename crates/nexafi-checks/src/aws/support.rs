//! Helpers shared by the AWS checks: the usual verdicts on one Terraform attribute.

use nexafi_model::{Evaluation, Lookup, Node, Resource, Value, format_number};

/// Returns the verdict for an attribute that is unknown offline.
pub fn unknown(path: &str, reason: &str, node_span: nexafi_model::Span) -> Evaluation {
    Evaluation::unknown(
        node_span,
        format!("`{path}` cannot be known offline: {reason}"),
    )
    .attribute(path)
}

/// Reads a boolean the way Terraform converts it: `true`, or the strings "true"/"false".
pub fn as_bool(node: &Node) -> Option<bool> {
    match &node.value {
        Value::Bool(value) => Some(*value),
        Value::String(text) if text == "true" => Some(true),
        Value::String(text) if text == "false" => Some(false),
        _ => None,
    }
}

/// Reads a number, accepting numeric strings as Terraform does.
pub fn as_number(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Number(value) => Some(*value),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Checks that the boolean at `path` equals `expected`. `default` is the provider's value
/// when the attribute is omitted; `fix` is the sentence telling the user what to set.
pub fn bool_attribute(
    resource: &Resource,
    path: &str,
    expected: bool,
    default: bool,
    fix: &str,
) -> Evaluation {
    match resource.body.lookup(path) {
        Lookup::Unknown(unknown_value, span) => unknown(path, &unknown_value.reason, span),
        Lookup::Missing if default == expected => Evaluation::pass(
            resource.name_span,
            format!("`{path}` is omitted and defaults to {default}"),
        )
        .attribute(path),
        Lookup::Missing => Evaluation::fail(
            resource.name_span,
            format!("`{path}` is omitted and defaults to {default}; {fix}"),
        )
        .attribute(path)
        .expected(expected.to_string())
        .found("omitted"),
        Lookup::Present(node) => match as_bool(node) {
            Some(value) if value == expected => {
                Evaluation::pass(node.span, format!("`{path}` is {value}")).attribute(path)
            }
            Some(value) => Evaluation::fail(node.span, format!("`{path}` is {value}; {fix}"))
                .attribute(path)
                .expected(expected.to_string())
                .found(value.to_string()),
            None => Evaluation::fail(node.span, format!("`{path}` is not a boolean; {fix}"))
                .attribute(path)
                .expected(expected.to_string())
                .found(node.display()),
        },
    }
}

/// Checks that the number at `path` is at least `minimum`. `default` is the provider's
/// value when omitted (`None` when omission means "not configured").
pub fn number_at_least(
    resource: &Resource,
    path: &str,
    minimum: f64,
    default: Option<f64>,
    fix: &str,
) -> Evaluation {
    let expected = format!(">= {}", format_number(minimum));
    match resource.body.lookup(path) {
        Lookup::Unknown(unknown_value, span) => unknown(path, &unknown_value.reason, span),
        Lookup::Missing => match default {
            Some(value) if value >= minimum => Evaluation::pass(
                resource.name_span,
                format!(
                    "`{path}` is omitted and defaults to {}",
                    format_number(value)
                ),
            )
            .attribute(path),
            Some(value) => Evaluation::fail(
                resource.name_span,
                format!(
                    "`{path}` is omitted and defaults to {}; {fix}",
                    format_number(value)
                ),
            )
            .attribute(path)
            .expected(expected)
            .found("omitted"),
            None => Evaluation::fail(resource.name_span, format!("`{path}` is omitted; {fix}"))
                .attribute(path)
                .expected(expected)
                .found("omitted"),
        },
        Lookup::Present(node) => match as_number(node) {
            Some(value) if value >= minimum => {
                Evaluation::pass(node.span, format!("`{path}` is {}", format_number(value)))
                    .attribute(path)
            }
            _ => Evaluation::fail(node.span, format!("`{path}` is {}; {fix}", node.display()))
                .attribute(path)
                .expected(expected)
                .found(node.display()),
        },
    }
}
