//! Conversions Sprig applies to arguments (the `cast` package's rules).

use crate::helm::value::Value;

/// Sprig's `strval`: a string as is, anything else printed with `%v`.
pub fn strval(value: &Value) -> String {
    match value {
        Value::String(text) => text.to_string(),
        other => other.to_go_string(),
    }
}

/// `cast.ToInt64`: numbers truncated, booleans as 0 or 1, strings parsed (base prefixes
/// allowed), anything else 0.
pub fn to_i64(value: &Value) -> i64 {
    match value {
        Value::Int(number) => *number,
        #[allow(clippy::cast_possible_truncation)]
        Value::Float(number) => *number as i64,
        Value::Bool(flag) => i64::from(*flag),
        Value::String(text) => parse_int(text.trim()).unwrap_or(0),
        _ => 0,
    }
}

/// `cast.ToFloat64`.
pub fn to_f64(value: &Value) -> f64 {
    match value {
        #[allow(clippy::cast_precision_loss)]
        Value::Int(number) => *number as f64,
        Value::Float(number) => *number,
        Value::Bool(flag) => f64::from(u8::from(*flag)),
        Value::String(text) => text.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let lower = body.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(binary) = lower.strip_prefix("0b") {
        i64::from_str_radix(binary, 2).ok()?
    } else if let Some(octal) = lower.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()?
    } else if lower.len() > 1 && lower.starts_with('0') {
        i64::from_str_radix(&lower[1..], 8).ok()?
    } else {
        lower.parse().ok()?
    };
    Some(if negative { -value } else { value })
}

/// Returns the items of a list-like value, or `None` for other values.
pub fn list_items(value: &Value) -> Option<Vec<Value>> {
    match value {
        Value::List(items) => Some(items.as_ref().clone()),
        Value::Versions(items) => Some(
            items
                .iter()
                .map(|item| Value::string(item.as_str()))
                .collect(),
        ),
        _ => None,
    }
}
