//! YAML and JSON in and out of template values.
//!
//! Helm reads YAML through JSON (`sigs.k8s.io/yaml`), so numbers read from YAML or
//! JSON are floats and maps come out with sorted keys. The writers here produce valid
//! YAML and JSON with the same data as Helm's; quoting and line breaks may differ.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use nexafi_model::{FileId, Node, SourceMap, Value as NodeValue};

use super::value::{MAX_VALUE_DEPTH, Value, ValueMap, format_float_json};
use crate::kubernetes::yaml::read_stream;

/// Converts a YAML node into a value, keeping the span of every map value as its origin.
pub fn from_node(node: &Node, keep_origins: bool) -> Value {
    match &node.value {
        NodeValue::Null | NodeValue::Unknown(_) => Value::Nil,
        NodeValue::Bool(flag) => Value::Bool(*flag),
        NodeValue::Number(number) => Value::Float(*number),
        NodeValue::String(text) => Value::string(text.as_str()),
        NodeValue::List(items) => Value::list(
            items
                .iter()
                .map(|item| from_node(item, keep_origins))
                .collect(),
        ),
        NodeValue::Map(map) => {
            let mut out = ValueMap::default();
            for (key, child) in map {
                out.entries
                    .insert(key.clone(), from_node(child, keep_origins));
                if keep_origins {
                    out.origins.insert(key.clone(), child.span);
                }
            }
            Value::Map(Rc::new(RefCell::new(out)))
        }
    }
}

/// Parses one YAML document into a value. An empty document is an empty map, as Helm
/// reads an empty values file.
pub fn parse_document(text: &str) -> Result<Value, String> {
    let sources = SourceMap::new();
    let file = sources.add("fromYaml", String::new());
    parse_in(text, file, false)
        .map(|mut documents| documents.pop().unwrap_or_else(Value::empty_map))
}

/// Parses every document of `text`, reporting the first syntax error.
pub fn parse_in(text: &str, file: FileId, keep_origins: bool) -> Result<Vec<Value>, String> {
    let stream = read_stream(text, file);
    if let Some(error) = stream.errors.first() {
        return Err(error.message.clone());
    }
    Ok(stream
        .documents
        .iter()
        .map(|document| from_node(document, keep_origins))
        .collect())
}

/// Parses JSON into a value; numbers become floats, as with Go's `encoding/json`.
pub fn from_json(text: &str) -> Result<Value, String> {
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|error| error.to_string())?;
    Ok(from_json_value(&parsed))
}

pub fn from_json_value(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(flag) => Value::Bool(*flag),
        serde_json::Value::Number(number) => Value::Float(number.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(text) => Value::string(text.as_str()),
        serde_json::Value::Array(items) => Value::list(items.iter().map(from_json_value).collect()),
        serde_json::Value::Object(map) => Value::map(
            map.iter()
                .map(|(key, item)| (key.clone(), from_json_value(item)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

/// Converts a value to JSON for schema validation; floats with no fraction become
/// integers, as JSON Schema's `integer` expects.
pub fn to_json_value(value: &Value) -> serde_json::Value {
    to_json_value_at(value, 0)
}

fn to_json_value_at(value: &Value, depth: usize) -> serde_json::Value {
    if depth > MAX_VALUE_DEPTH {
        return serde_json::Value::Null;
    }
    match value {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(flag) => serde_json::Value::Bool(*flag),
        Value::Int(number) => serde_json::Value::from(*number),
        Value::Float(number) => {
            if number.fract() == 0.0 && number.abs() < 9.0e15 {
                #[allow(clippy::cast_possible_truncation)]
                serde_json::Value::from(*number as i64)
            } else {
                serde_json::Number::from_f64(*number)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Value::String(text) => serde_json::Value::String(text.to_string()),
        Value::List(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|item| to_json_value_at(item, depth + 1))
                .collect(),
        ),
        Value::Versions(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|item| serde_json::Value::String(item.clone()))
                .collect(),
        ),
        Value::Map(map) => serde_json::Value::Object(
            map.borrow()
                .entries
                .iter()
                .map(|(key, item)| (key.clone(), to_json_value_at(item, depth + 1)))
                .collect(),
        ),
        Value::Files(files) => serde_json::Value::Object(
            files
                .names()
                .into_iter()
                .map(|name| {
                    let text = files.get(&name);
                    (name, serde_json::Value::String(text))
                })
                .collect(),
        ),
    }
}

/// Writes JSON as Go's `json.Marshal`: sorted keys, `<`, `>` and `&` escaped.
pub fn to_json(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, value, 0)?;
    Ok(out)
}

fn write_json(out: &mut String, value: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_VALUE_DEPTH {
        return Err("value nests too deeply or contains itself".to_owned());
    }
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Int(number) => {
            let _ = write!(out, "{number}");
        }
        Value::Float(number) => {
            if !number.is_finite() {
                return Err(format!("json: unsupported value: {number}"));
            }
            out.push_str(&format_float_json(*number));
        }
        Value::String(text) => json_string(out, text),
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json(out, item, depth + 1)?;
            }
            out.push(']');
        }
        Value::Versions(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                json_string(out, item);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (index, (key, item)) in map.borrow().entries.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                json_string(out, key);
                out.push(':');
                write_json(out, item, depth + 1)?;
            }
            out.push('}');
        }
        Value::Files(_) => write_json(out, &from_json_value(&to_json_value(value)), depth + 1)?,
    }
    Ok(())
}

fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

/// Writes YAML for `toYaml`: block style, sorted keys, two-space indentation, lists of a
/// map key at the key's indentation, and the final line break trimmed as Helm does.
pub fn to_yaml(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    match value {
        Value::Map(map) if !map.borrow().entries.is_empty() => write_map(&mut out, value, 0, 0)?,
        Value::List(items) if !items.is_empty() => write_list(&mut out, value, 0, 0)?,
        other => {
            write_scalar(&mut out, other, 0)?;
        }
    }
    // Helm trims one final line break, and the template usually supplies it again.
    if out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

fn indent(out: &mut String, level: usize) {
    out.extend(std::iter::repeat_n(' ', level));
}

fn write_map(out: &mut String, value: &Value, level: usize, depth: usize) -> Result<(), String> {
    if depth > MAX_VALUE_DEPTH {
        return Err("value nests too deeply or contains itself".to_owned());
    }
    let entries: Vec<(String, Value)> = match value {
        Value::Map(map) => map
            .borrow()
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Value::Files(files) => files
            .names()
            .into_iter()
            .map(|name| {
                let text = files.get(&name);
                (name, Value::string(text))
            })
            .collect(),
        _ => Vec::new(),
    };
    for (key, item) in entries {
        indent(out, level);
        out.push_str(&yaml_string(&key));
        out.push(':');
        write_child(out, &item, level, depth)?;
    }
    Ok(())
}

fn write_list(out: &mut String, value: &Value, level: usize, depth: usize) -> Result<(), String> {
    if depth > MAX_VALUE_DEPTH {
        return Err("value nests too deeply or contains itself".to_owned());
    }
    let items: Vec<Value> = match value {
        Value::List(items) => items.as_ref().clone(),
        Value::Versions(items) => items
            .iter()
            .map(|item| Value::string(item.as_str()))
            .collect(),
        _ => Vec::new(),
    };
    for item in items {
        indent(out, level);
        out.push('-');
        match &item {
            Value::Map(map) if !map.borrow().entries.is_empty() => {
                // The first key goes on the dash line, the rest align under it.
                let mut nested = String::new();
                write_map(&mut nested, &item, level + 2, depth + 1)?;
                out.push(' ');
                out.push_str(nested.get(level + 2..).unwrap_or(""));
            }
            Value::List(items) if !items.is_empty() => {
                let mut nested = String::new();
                write_list(&mut nested, &item, level + 2, depth + 1)?;
                out.push(' ');
                out.push_str(nested.get(level + 2..).unwrap_or(""));
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, level + 2)?;
                out.push('\n');
            }
        }
    }
    Ok(())
}

fn write_child(out: &mut String, item: &Value, level: usize, depth: usize) -> Result<(), String> {
    match item {
        Value::Map(map) if !map.borrow().entries.is_empty() => {
            out.push('\n');
            write_map(out, item, level + 2, depth + 1)
        }
        Value::Files(files) if !files.is_empty() => {
            out.push('\n');
            write_map(out, item, level + 2, depth + 1)
        }
        Value::List(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, item, level, depth + 1)
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar, level + 2)?;
            out.push('\n');
            Ok(())
        }
    }
}

fn write_scalar(out: &mut String, value: &Value, level: usize) -> Result<(), String> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Int(number) => {
            let _ = write!(out, "{number}");
        }
        Value::Float(number) => {
            if !number.is_finite() {
                return Err(format!("json: unsupported value: {number}"));
            }
            out.push_str(&format_float_json(*number));
        }
        Value::String(text) => match literal_block(text, level.max(2)) {
            Some(block) => out.push_str(&block),
            None => out.push_str(&yaml_string(text)),
        },
        Value::Map(_) | Value::Files(_) => out.push_str("{}"),
        Value::List(_) | Value::Versions(_) => out.push_str("[]"),
    }
    Ok(())
}

/// Writes a multi-line string as a literal block (`|`), as Helm's `toYaml` does, with
/// its lines at `indent` spaces. Returns `None` when a literal block cannot carry the
/// string exactly: a leading space, trailing spaces on a line, or control characters.
fn literal_block(text: &str, indent: usize) -> Option<String> {
    if !text.contains('\n') || text.starts_with([' ', '\n']) {
        return None;
    }
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    let clean_lines = body.split('\n').all(|line| {
        !line.ends_with([' ', '\t']) && !line.chars().any(|c| c.is_control() && c != '\t')
    });
    if !clean_lines || body.contains("\n\t") || body.starts_with('\t') {
        return None;
    }
    // Several final line breaks would need `|+`, which the final newline that Helm
    // trims from `toYaml` output could change, so such strings stay quoted.
    let chomping = match trailing {
        0 => "|-",
        1 => "|",
        _ => return None,
    };
    let pad = " ".repeat(indent);
    let mut out = String::from(chomping);
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Some(out)
}

/// Writes a string as a YAML scalar: plain when it reads back as the same string, else
/// double-quoted with JSON escapes.
fn yaml_string(text: &str) -> String {
    if is_plain_safe(text) {
        return text.to_owned();
    }
    let mut out = String::new();
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if text.starts_with(' ') || text.ends_with(' ') {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    if text.chars().any(|c| c.is_control()) {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~" | ".inf" | ".nan"
    ) {
        return false;
    }
    // Anything that starts like a number may resolve to one (`1e3`, `0x1F`, `1_000`,
    // `12:30` as sexagesimal in YAML 1.1), so it is quoted.
    let starts_numeric = first.is_ascii_digit()
        || (first == '.' || first == '+') && text[1..].starts_with(|c: char| c.is_ascii_digit());
    !starts_numeric
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        parse_document("b:\n  - x: 1\n    y: [true, \"007\"]\n  - plain\na: {}\nc: ''\n").unwrap()
    }

    #[test]
    fn to_yaml_reads_back() {
        let text = to_yaml(&sample()).unwrap();
        let again = parse_document(&text).unwrap();
        assert_eq!(
            to_json(&again).unwrap(),
            to_json(&sample()).unwrap(),
            "{text}"
        );
    }

    #[test]
    fn multi_line_strings_read_back() {
        for text in [
            "a\nb",
            "a\nb\n",
            "a\n\nb\n\n",
            " lead\nx",
            "trail \nx",
            "k: v\n- item\n",
        ] {
            let mut entries = std::collections::BTreeMap::new();
            entries.insert("text".to_owned(), Value::string(text));
            entries.insert("list".to_owned(), Value::list(vec![Value::string(text)]));
            let value = Value::map(entries);
            // A template puts back the final line break `toYaml` trims.
            let written = format!("{}\n", to_yaml(&value).unwrap());
            let again = parse_document(&written).unwrap();
            assert_eq!(
                to_json(&again).unwrap(),
                to_json(&value).unwrap(),
                "{written}"
            );
        }
    }

    #[test]
    fn to_json_escapes_like_go() {
        let value = Value::string("<a&b>");
        assert_eq!(to_json(&value).unwrap(), "\"\\u003ca\\u0026b\\u003e\"");
    }

    #[test]
    fn numbers_from_yaml_are_floats() {
        let value = parse_document("count: 3").unwrap();
        let number = value.get("count");
        assert!(
            matches!(number, Some(Value::Float(n)) if n == 3.0),
            "{number:?}"
        );
    }
}
