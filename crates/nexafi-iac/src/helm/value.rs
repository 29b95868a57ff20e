//! Values seen by templates, with Go's truthiness and `%v` printing.
//!
//! Helm decodes values files through JSON, so every number read from YAML is a Go
//! `float64`, while numbers written in a template or given with `--set` are integers.
//! [`Value`] keeps that distinction because it changes what a template prints:
//! `1000000` from a values file prints as `1e+06`, as it does with Helm.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use nexafi_model::Span;

use super::files::Files;

/// Maximum nesting printed or copied before a value is treated as cyclic. `set` can make a
/// dict contain itself, and the Kubernetes API nests far less deeply.
pub const MAX_VALUE_DEPTH: usize = 200;

/// A template value. Maps are shared and mutable, as Go maps are, so `set` and `unset`
/// change the map for every holder.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Go's nil interface, also the result of reading a missing map key.
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Rc<str>),
    List(Rc<Vec<Value>>),
    Map(MapRef),
    /// The `.Files` object of a chart.
    Files(Rc<Files>),
    /// `.Capabilities.APIVersions`: a list with a `Has` method.
    Versions(Rc<Vec<String>>),
}

/// A shared, mutable map.
pub type MapRef = Rc<RefCell<ValueMap>>;

/// Entries of a map, sorted by key as Go prints and ranges over them, and the place in a
/// values file each entry was read from.
#[derive(Clone, Debug, Default)]
pub struct ValueMap {
    pub entries: BTreeMap<String, Value>,
    /// Span of the value in a values file, for entries read from one.
    pub origins: BTreeMap<String, Span>,
}

impl ValueMap {
    pub fn insert(&mut self, key: String, value: Value) {
        self.origins.remove(&key);
        self.entries.insert(key, value);
    }
}

impl Value {
    pub fn string(text: impl Into<Rc<str>>) -> Self {
        Value::String(text.into())
    }

    pub fn list(items: Vec<Value>) -> Self {
        Value::List(Rc::new(items))
    }

    pub fn map(entries: BTreeMap<String, Value>) -> Self {
        Value::Map(Rc::new(RefCell::new(ValueMap {
            entries,
            origins: BTreeMap::new(),
        })))
    }

    pub fn empty_map() -> Self {
        Value::map(BTreeMap::new())
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// Go's truth of a value in `if`, `with`, `and`, `or` and `not`.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(value) => *value,
            Value::Int(value) => *value != 0,
            Value::Float(value) => *value != 0.0,
            Value::String(text) => !text.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(map) => !map.borrow().entries.is_empty(),
            Value::Files(files) => !files.is_empty(),
            Value::Versions(versions) => !versions.is_empty(),
        }
    }

    /// Sprig's `empty`: the zero value of the type, or nil.
    pub fn is_empty(&self) -> bool {
        !self.is_true()
    }

    /// Returns the Go type name used in error messages and by `typeOf`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::Files(_) => "chart.Files",
            Value::Versions(_) => "chart.VersionSet",
        }
    }

    /// Returns the Go `reflect.Kind` name that `kindOf` prints.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) | Value::Versions(_) => "slice",
            Value::Map(_) | Value::Files(_) => "map",
        }
    }

    /// Looks up a key of a map value; `None` when the value is not a map.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Value::Map(map) => Some(map.borrow().entries.get(key).cloned().unwrap_or_default()),
            _ => None,
        }
    }

    /// Copies maps and lists all the way down, so the copy shares nothing mutable.
    pub fn deep_copy(&self) -> Value {
        self.deep_copy_at(0)
    }

    fn deep_copy_at(&self, depth: usize) -> Value {
        if depth > MAX_VALUE_DEPTH {
            return Value::Nil;
        }
        match self {
            Value::List(items) => Value::list(
                items
                    .iter()
                    .map(|item| item.deep_copy_at(depth + 1))
                    .collect(),
            ),
            Value::Map(map) => {
                let map = map.borrow();
                let entries = map
                    .entries
                    .iter()
                    .map(|(key, value)| (key.clone(), value.deep_copy_at(depth + 1)))
                    .collect();
                Value::Map(Rc::new(RefCell::new(ValueMap {
                    entries,
                    origins: map.origins.clone(),
                })))
            }
            other => other.clone(),
        }
    }

    /// Prints the value as Go's `fmt` does with `%v`.
    pub fn to_go_string(&self) -> String {
        let mut out = String::new();
        write_go(&mut out, self, 0);
        out
    }
}

/// Writes `value` as Go's `%v` verb does: `map[a:1 b:2]`, `[1 2]`, `<nil>`.
pub fn write_go(out: &mut String, value: &Value, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        out.push_str("...");
        return;
    }
    match value {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Value::Int(value) => {
            let _ = write!(out, "{value}");
        }
        Value::Float(value) => out.push_str(&format_float_g(*value)),
        Value::String(text) => out.push_str(text),
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_go(out, item, depth + 1);
            }
            out.push(']');
        }
        Value::Versions(items) => {
            out.push('[');
            out.push_str(&items.join(" "));
            out.push(']');
        }
        Value::Map(map) => {
            out.push_str("map[");
            for (index, (key, item)) in map.borrow().entries.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_go(out, item, depth + 1);
            }
            out.push(']');
        }
        Value::Files(files) => {
            out.push_str("map[");
            out.push_str(&files.names().join(" "));
            out.push(']');
        }
    }
}

/// Formats a float as Go's `%v` does (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest
/// digits that read back exactly, in exponent form when the decimal exponent is below -4
/// or at least 6.
pub fn format_float_g(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let (negative, digits, exponent) = shortest_digits(value);
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exponent) {
        format!("{sign}{}", exponent_form(&digits, exponent))
    } else {
        format!("{sign}{}", decimal_form(&digits, exponent))
    }
}

/// Formats a float as Go's `encoding/json` does: decimal unless the exponent is below -6
/// or at least 21.
pub fn format_float_json(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    let (negative, digits, exponent) = shortest_digits(value);
    let sign = if negative { "-" } else { "" };
    if !(-6..21).contains(&exponent) {
        format!("{sign}{}", exponent_form(&digits, exponent))
    } else {
        format!("{sign}{}", decimal_form(&digits, exponent))
    }
}

/// Splits a finite, non-zero float into its sign, shortest round-trip digits and decimal
/// exponent (the power of ten of the first digit).
fn shortest_digits(value: f64) -> (bool, String, i32) {
    // Rust's `{:e}` prints the shortest digits that read back exactly, as Go does.
    let text = format!("{:e}", value.abs());
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0').to_owned();
    let digits = if digits.is_empty() {
        "0".to_owned()
    } else {
        digits
    };
    (
        value.is_sign_negative(),
        digits,
        exponent.parse().unwrap_or(0),
    )
}

fn exponent_form(digits: &str, exponent: i32) -> String {
    let (first, rest) = digits.split_at(1);
    let mantissa = if rest.is_empty() {
        first.to_owned()
    } else {
        format!("{first}.{rest}")
    };
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

fn decimal_form(digits: &str, exponent: i32) -> String {
    let length = digits.len() as i32;
    if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        format!("0.{zeros}{digits}")
    } else if exponent + 1 >= length {
        let zeros = "0".repeat((exponent + 1 - length) as usize);
        format!("{digits}{zeros}")
    } else {
        let (whole, fraction) = digits.split_at((exponent + 1) as usize);
        format!("{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_prints_like_go() {
        assert_eq!(format_float_g(1.0), "1");
        assert_eq!(format_float_g(1.5), "1.5");
        assert_eq!(format_float_g(123456.0), "123456");
        assert_eq!(format_float_g(1_000_000.0), "1e+06");
        assert_eq!(format_float_g(1_234_567.0), "1.234567e+06");
        assert_eq!(format_float_g(0.00001), "1e-05");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(-2.25), "-2.25");
    }

    #[test]
    fn float_json_like_go() {
        assert_eq!(format_float_json(1_234_567.0), "1234567");
        assert_eq!(format_float_json(0.5), "0.5");
        assert_eq!(format_float_json(1e21), "1e+21");
    }

    #[test]
    fn map_prints_sorted() {
        let mut entries = BTreeMap::new();
        entries.insert("z".to_owned(), Value::Int(1));
        entries.insert(
            "b".to_owned(),
            Value::list(vec![Value::Nil, Value::Bool(true)]),
        );
        assert_eq!(
            Value::map(entries).to_go_string(),
            "map[b:[<nil> true] z:1]"
        );
    }
}
