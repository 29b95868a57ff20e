//! Resolution of YAML scalars the way Kubernetes reads them.
//!
//! Kubernetes decodes manifests with `sigs.k8s.io/yaml`, whose YAML layer follows
//! YAML 1.1 for plain (unquoted) scalars: `yes`, `on` and `y` are booleans, `0755` is
//! an octal integer, and underscores inside numbers are ignored. Quoted and block
//! scalars are always strings. Timestamps stay strings, as they do when that library
//! decodes into untyped values.

use nexafi_model::Value;
use saphyr_parser::{ScalarStyle, Tag};

/// Resolves a plain (unquoted, untagged) scalar.
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Number(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Number(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Number(f64::NAN),
        _ => {}
    }

    let starts_like_number = text
        .bytes()
        .next()
        .is_some_and(|first| first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.'));
    if !starts_like_number {
        return Value::String(text.to_owned());
    }

    let digits: String = text.chars().filter(|c| *c != '_').collect();
    if let Some(integer) = parse_integer(&digits) {
        return Value::Number(integer);
    }
    if is_decimal_float(&digits)
        && let Ok(float) = digits.parse::<f64>()
    {
        return Value::Number(float);
    }
    Value::String(text.to_owned())
}

/// Resolves any scalar from its text, style and tag. An explicit core tag (`!!str`,
/// `!!int`, ...) wins over the style, and other tags are ignored. Returns an error message
/// when a tag names a type the text is not.
pub(crate) fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let core_type = tag
        .filter(|tag| tag.is_yaml_core_schema())
        .map(|tag| tag.suffix.as_str());
    match core_type {
        Some("str" | "binary" | "timestamp") => Ok(Value::String(text.to_owned())),
        Some(expected @ ("null" | "bool" | "int" | "float")) => {
            let value = resolve_plain(text);
            let matches = match (&value, expected) {
                (Value::Null, "null") | (Value::Bool(_), "bool") => true,
                (Value::Number(number), "int") => number.fract() == 0.0,
                (Value::Number(_), "float") => true,
                _ => false,
            };
            if matches {
                Ok(value)
            } else {
                Err(format!(
                    "the value {text:?} is not a valid !!{expected}; fix the value or remove the tag"
                ))
            }
        }
        _ if style == ScalarStyle::Plain => Ok(resolve_plain(text)),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// Parses an integer as Go's `strconv.ParseInt(text, 0, 64)` does, falling back to an
/// unsigned 64-bit value: an optional sign, then `0x`, `0o`, `0b` or a leading `0` for
/// octal. Returns `None` when the text is not such an integer.
fn parse_integer(text: &str) -> Option<f64> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = unsigned.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &unsigned[2..]),
        Some("0o") => (8, &unsigned[2..]),
        Some("0b") => (2, &unsigned[2..]),
        _ if unsigned.len() > 1 && unsigned.starts_with('0') => (8, &unsigned[1..]),
        _ => (10, unsigned),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;

    // Go accepts the full u64 range only without a sign, and i64 with one.
    #[allow(clippy::cast_precision_loss)]
    let value = magnitude as f64;
    if negative {
        (magnitude <= 1 << 63).then_some(-value)
    } else {
        Some(value)
    }
}

/// Matches `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the float syntax of
/// YAML 1.1 as Kubernetes applies it.
fn is_decimal_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        index += 1;
    }

    let integer_digits = count_digits(&bytes[index..]);
    index += integer_digits;
    if integer_digits == 0 {
        if bytes.get(index) != Some(&b'.') {
            return false;
        }
        index += 1;
        let fraction_digits = count_digits(&bytes[index..]);
        if fraction_digits == 0 {
            return false;
        }
        index += fraction_digits;
    } else if bytes.get(index) == Some(&b'.') {
        index += 1;
        index += count_digits(&bytes[index..]);
    }

    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'+' | b'-')) {
            index += 1;
        }
        let exponent_digits = count_digits(&bytes[index..]);
        if exponent_digits == 0 {
            return false;
        }
        index += exponent_digits;
    }
    index == bytes.len()
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count()
}

/// Converts a resolved key to the string Kubernetes uses: `sigs.k8s.io/yaml` turns
/// boolean and numeric keys into their JSON text, so an unquoted `on:` key is `"true"`.
/// Returns `None` for keys that are lists or maps.
pub(crate) fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(nexafi_model::format_number(*number)),
        Value::Null => Some("null".to_owned()),
        Value::List(_) | Value::Map(_) | Value::Unknown(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Option<f64> {
        match resolve_plain(text) {
            Value::Number(value) => Some(value),
            _ => None,
        }
    }

    #[test]
    fn yaml11_booleans() {
        for text in [
            "yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true", "TRUE",
        ] {
            assert_eq!(resolve_plain(text), Value::Bool(true), "{text}");
        }
        for text in [
            "no", "No", "NO", "off", "Off", "OFF", "n", "N", "false", "False",
        ] {
            assert_eq!(resolve_plain(text), Value::Bool(false), "{text}");
        }
        assert_eq!(resolve_plain("yEs"), Value::String("yEs".into()));
    }

    #[test]
    fn nulls() {
        for text in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(text), Value::Null, "{text:?}");
        }
    }

    #[test]
    fn integers_in_every_base() {
        assert_eq!(number("0755"), Some(493.0));
        assert_eq!(number("0o755"), Some(493.0));
        assert_eq!(number("0x1F"), Some(31.0));
        assert_eq!(number("0b101"), Some(5.0));
        assert_eq!(number("-0x10"), Some(-16.0));
        assert_eq!(number("+42"), Some(42.0));
        assert_eq!(number("1_000"), Some(1000.0));
        assert_eq!(number("0"), Some(0.0));
    }

    #[test]
    fn invalid_octal_reads_as_float() {
        // Go's ParseInt rejects 08 as octal, so the float syntax accepts it.
        assert_eq!(number("08"), Some(8.0));
    }

    #[test]
    fn floats() {
        assert_eq!(number("1.5"), Some(1.5));
        assert_eq!(number(".5"), Some(0.5));
        assert_eq!(number("1e3"), Some(1000.0));
        assert_eq!(number("1."), Some(1.0));
        assert_eq!(number("-.inf"), Some(f64::NEG_INFINITY));
        assert!(number(".nan").is_some_and(f64::is_nan));
    }

    #[test]
    fn near_numbers_stay_strings() {
        for text in [
            "1.2.3",
            "0x",
            "-",
            "+",
            ".",
            "1e",
            "12:30",
            "2024-01-01",
            "1Gi",
        ] {
            assert_eq!(resolve_plain(text), Value::String(text.into()), "{text}");
        }
    }

    #[test]
    fn quoted_stays_string() {
        let value = resolve("yes", ScalarStyle::DoubleQuoted, None);
        assert_eq!(value, Ok(Value::String("yes".into())));
    }

    #[test]
    fn core_tag_forces_type() {
        let str_tag = Tag {
            handle: "tag:yaml.org,2002:".into(),
            suffix: "str".into(),
        };
        let int_tag = Tag {
            handle: "tag:yaml.org,2002:".into(),
            suffix: "int".into(),
        };
        assert_eq!(
            resolve("yes", ScalarStyle::Plain, Some(&str_tag)),
            Ok(Value::String("yes".into()))
        );
        assert_eq!(
            resolve("12", ScalarStyle::DoubleQuoted, Some(&int_tag)),
            Ok(Value::Number(12.0))
        );
        assert!(resolve("abc", ScalarStyle::Plain, Some(&int_tag)).is_err());
    }

    #[test]
    fn keys_become_json_text() {
        assert_eq!(key_text(&Value::Bool(true)), Some("true".into()));
        assert_eq!(key_text(&Value::Number(8080.0)), Some("8080".into()));
        assert_eq!(key_text(&Value::List(vec![])), None);
    }
}
