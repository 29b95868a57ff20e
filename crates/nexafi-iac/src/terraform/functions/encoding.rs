//! JSON, YAML, CSV, base64 and URL encodings.
//!
//! Decoders read strings from the configuration under review, so they bound what
//! hostile input can cost: JSON nesting stops at `serde_json`'s limit of 128 levels,
//! YAML nesting at [`MAX_YAML_DEPTH`], and YAML aliases may copy at most
//! [`MAX_COPIED_NODES`] values in total.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use nexafi_model::{Map, Node, Span, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::args::{Call, Outcome};
use super::datetime;
use super::value::{self, MAX_COPIED_NODES};

/// Deepest nesting `yamldecode` accepts, the same as JSON's limit.
const MAX_YAML_DEPTH: usize = 128;

pub(super) fn jsonencode(call: &Call) -> Outcome {
    let node = call.arg(0)?;
    let text = json_encode(node).map_err(|message| call.fail(message))?;
    call.checked_string(text)
}

/// Encodes a value as compact JSON the way Terraform does: object keys sorted, and
/// `<`, `>`, `&`, U+2028 and U+2029 escaped so the result is safe inside HTML.
pub(super) fn json_encode(node: &Node) -> Result<String, String> {
    let mut out = String::new();
    write_json(node, &mut out)?;
    Ok(out)
}

fn write_json(node: &Node, out: &mut String) -> Result<(), String> {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => {
            if !number.is_finite() {
                return Err("cannot encode an infinite number as JSON".to_owned());
            }
            out.push_str(&value::number_to_string(*number));
        }
        Value::String(text) => write_json_string(text, out),
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(map) => {
            let mut entries: Vec<(&String, &Node)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
        Value::Unknown(unknown) => {
            return Err(format!("value is unknown: {}", unknown.reason));
        }
    }
    Ok(())
}

fn write_json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Decodes JSON into a value. A key repeated in one object is an error, as in
/// Terraform.
pub(super) fn jsondecode(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    let node = JsonSeed { span: call.span }
        .deserialize(&mut deserializer)
        .and_then(|node| deserializer.end().map(|()| node))
        .map_err(|error| call.fail(format!("invalid JSON: {error}")))?;
    Ok(node)
}

/// Builds a [`Node`] straight from the JSON parser, so duplicate keys can be caught.
#[derive(Clone, Copy)]
struct JsonSeed {
    span: Span,
}

impl<'de> DeserializeSeed<'de> for JsonSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed {
    type Value = Node;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Node, E> {
        Ok(Node::new(self.span, Value::Bool(flag)))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Node, E> {
        Ok(Node::new(self.span, Value::Number(number as f64)))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Node, E> {
        Ok(Node::new(self.span, Value::Number(number as f64)))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Node, E> {
        Ok(Node::new(self.span, Value::Number(number)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Node, E> {
        Ok(Node::new(self.span, Value::String(text.to_owned())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::null(self.span))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Node::new(self.span, Value::List(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Node, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate {key:?} property in JSON object"
                )));
            }
            let item = access.next_value_seed(self)?;
            map.insert(key, item);
        }
        Ok(Node::new(self.span, Value::Map(map)))
    }
}

/// Encodes a value as YAML block syntax, as Terraform's `yamlencode` does: map keys
/// sorted and double-quoted, strings double-quoted unless they span several lines,
/// which become literal blocks (`|`).
///
/// NOTE: Terraform's YAML writer also folds double-quoted strings longer than 80
/// columns onto several lines; this writer keeps them on one line. Both decode to the
/// same value.
pub(super) fn yamlencode(call: &Call) -> Outcome {
    let node = call.arg(0)?;
    let text = yaml_document(node).map_err(|message| call.fail(message))?;
    call.checked_string(text)
}

fn yaml_document(node: &Node) -> Result<String, String> {
    let mut out = String::new();
    match &node.value {
        Value::List(items) if !items.is_empty() => write_yaml_list(items, 0, false, &mut out)?,
        Value::Map(map) if !map.is_empty() => write_yaml_map(map, 0, false, &mut out)?,
        _ => {
            let scalar = yaml_scalar(node, 2)?;
            out.push_str(&scalar.text);
            end_line(&mut out);
            if scalar.open_ended {
                // A plain scalar alone in a document gets an explicit document end.
                out.push_str("...\n");
            }
        }
    }
    Ok(out)
}

fn write_yaml_map(map: &Map, indent: usize, inline: bool, out: &mut String) -> Result<(), String> {
    let mut entries: Vec<(&String, &Node)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (index, (key, item)) in entries.into_iter().enumerate() {
        if index > 0 || !inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_double_quoted(key));
        out.push(':');
        match &item.value {
            Value::Map(inner) if !inner.is_empty() => {
                out.push('\n');
                write_yaml_map(inner, indent + 2, false, out)?;
            }
            Value::List(inner) if !inner.is_empty() => {
                // Sequences inside a mapping are not indented, as go-yaml writes them.
                out.push('\n');
                write_yaml_list(inner, indent, false, out)?;
            }
            _ => {
                out.push(' ');
                out.push_str(&yaml_scalar(item, indent + 2)?.text);
                end_line(out);
            }
        }
        // Indentation grows with depth, so check the size as the text grows.
        value::check_string_size(out.len())?;
    }
    Ok(())
}

fn write_yaml_list(
    items: &[Node],
    indent: usize,
    inline: bool,
    out: &mut String,
) -> Result<(), String> {
    for (index, item) in items.iter().enumerate() {
        if index > 0 || !inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match &item.value {
            Value::Map(inner) if !inner.is_empty() => write_yaml_map(inner, indent + 2, true, out)?,
            Value::List(inner) if !inner.is_empty() => {
                write_yaml_list(inner, indent + 2, true, out)?;
            }
            _ => {
                out.push_str(&yaml_scalar(item, indent + 2)?.text);
                end_line(out);
            }
        }
        value::check_string_size(out.len())?;
    }
    Ok(())
}

fn end_line(out: &mut String) {
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

struct YamlScalar {
    text: String,
    /// A plain scalar, which needs `...` to end a document that holds only it.
    open_ended: bool,
}

/// Writes a scalar, or an empty collection in flow style. `indent` is the column of
/// the lines of a literal block.
fn yaml_scalar(node: &Node, indent: usize) -> Result<YamlScalar, String> {
    let (text, open_ended) = match &node.value {
        Value::Null => ("null".to_owned(), true),
        Value::Bool(flag) => (flag.to_string(), true),
        Value::Number(number) => (value::number_to_string(*number), true),
        Value::String(text) if text.contains('\n') && literal_allowed(text) => {
            (yaml_literal(text, indent), false)
        }
        Value::String(text) => (yaml_double_quoted(text), false),
        Value::List(_) => ("[]".to_owned(), false),
        Value::Map(_) => ("{}".to_owned(), false),
        Value::Unknown(unknown) => return Err(format!("value is unknown: {}", unknown.reason)),
    };
    Ok(YamlScalar { text, open_ended })
}

/// Tells whether a multi-line string can be a literal block: no characters that need
/// escapes, no space before a line break and no trailing space.
fn literal_allowed(text: &str) -> bool {
    let printable = text.chars().all(|c| {
        c == '\n' || (yaml_printable(c) && !matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
    });
    printable && !text.contains(" \n") && !text.ends_with(' ') && !text.starts_with('\u{feff}')
}

fn yaml_literal(text: &str, indent: usize) -> String {
    let mut out = String::from("|");
    if text.starts_with([' ', '\n']) {
        out.push('2');
    }
    let body = text.strip_suffix('\n');
    match body {
        None => out.push('-'),
        Some(rest) if rest.is_empty() || rest.ends_with('\n') => out.push('+'),
        Some(_) => {}
    }
    let margin = " ".repeat(indent);
    for line in body.unwrap_or(text).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&margin);
            out.push_str(line);
        }
    }
    if body.is_some() {
        out.push('\n');
    }
    out
}

/// Tells whether YAML writes the character as it is, without an escape.
fn yaml_printable(c: char) -> bool {
    matches!(u32::from(c),
        0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        && c != '\u{feff}'
}

fn yaml_double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if yaml_printable(c) => out.push(c),
            c if u32::from(c) <= 0xFF => out.push_str(&format!("\\x{:02X}", u32::from(c))),
            c if u32::from(c) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// Decodes one YAML document with Terraform's rules. Plain scalars resolve to null,
/// bool (YAML 1.1 words such as `yes` and `off` included), number or timestamp, and
/// everything quoted is a string. Map keys resolve the same way and then become
/// strings, so a key `yes` becomes `"true"`. Merge keys (`<<`) are ordinary keys, as
/// in Terraform.
pub(super) fn yamldecode(call: &Call) -> Outcome {
    let text = call.string(0)?;
    YamlBuilder::new(call.span)
        .build(&text)
        .map_err(|message| call.fail(message))
}

enum Frame {
    List {
        items: Vec<Node>,
        anchor: usize,
    },
    Map {
        map: Map,
        key: Option<String>,
        anchor: usize,
    },
}

struct YamlBuilder {
    span: Span,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    copied: usize,
    root: Option<Node>,
}

impl YamlBuilder {
    fn new(span: Span) -> Self {
        Self {
            span,
            stack: Vec::new(),
            anchors: HashMap::new(),
            copied: 0,
            root: None,
        }
    }

    fn build(mut self, text: &str) -> Result<Node, String> {
        let mut documents = 0;
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|error| format!("invalid YAML: {error}"))?;
            let line = span.start.line();
            match event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        return Err(format!(
                            "unexpected extra content after value at line {line}: only one YAML document is allowed"
                        ));
                    }
                }
                Event::Scalar(raw, style, anchor, tag) => {
                    let node = self.scalar(&raw, style, tag.as_deref())?;
                    self.finish(node, anchor)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    check_collection_tag(tag.as_deref(), "seq")?;
                    self.open(Frame::List {
                        items: Vec::new(),
                        anchor,
                    })?;
                }
                Event::MappingStart(anchor, tag) => {
                    check_collection_tag(tag.as_deref(), "map")?;
                    self.open(Frame::Map {
                        map: Map::new(),
                        key: None,
                        anchor,
                    })?;
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let (node, anchor) = match self.stack.pop() {
                        Some(Frame::List { items, anchor }) => {
                            (Node::new(self.span, Value::List(items)), anchor)
                        }
                        Some(Frame::Map { map, anchor, .. }) => {
                            (Node::new(self.span, Value::Map(map)), anchor)
                        }
                        None => {
                            return Err(format!(
                                "invalid YAML: unbalanced collection at line {line}"
                            ));
                        }
                    };
                    self.finish(node, anchor)?;
                }
                Event::Alias(anchor) => {
                    let Some(target) = self.anchors.get(&anchor) else {
                        return Err(format!(
                            "invalid YAML: alias at line {line} refers to an unknown anchor; aliases must follow their anchor and must not refer to a collection that contains them"
                        ));
                    };
                    self.copied = self.copied.saturating_add(value::node_count(target));
                    if self.copied > MAX_COPIED_NODES {
                        return Err(format!(
                            "aliases copy more than {MAX_COPIED_NODES} values; the document expands too much"
                        ));
                    }
                    let node = target.clone();
                    self.finish(node, 0)?;
                }
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        Ok(self.root.unwrap_or_else(|| Node::null(self.span)))
    }

    fn open(&mut self, frame: Frame) -> Result<(), String> {
        if self.stack.len() >= MAX_YAML_DEPTH {
            return Err(format!(
                "the YAML document is nested more than {MAX_YAML_DEPTH} levels deep"
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Places a completed value: as the root, as a list element, or as a map key or
    /// value.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), String> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::List { items, .. }) => items.push(node),
            Some(Frame::Map { map, key, .. }) => match key.take() {
                None => {
                    let text = value::to_string(&node)
                        .ok_or("only string, number and bool map keys are supported")?;
                    *key = Some(text.into_owned());
                }
                Some(name) => {
                    map.insert(name, node);
                }
            },
        }
        Ok(())
    }

    fn scalar(&self, raw: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Node, String> {
        let value = match tag {
            None if style == ScalarStyle::Plain => resolve_plain(raw)?,
            None => Value::String(raw.to_owned()),
            Some(tag) => resolve_tagged(raw, tag)?,
        };
        Ok(Node::new(self.span, value))
    }
}

fn check_collection_tag(tag: Option<&Tag>, expected: &str) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(tag) if tag.is_yaml_core_schema() && tag.suffix == expected => Ok(()),
        Some(tag) => Err(format!("unsupported tag {:?}", tag.to_string())),
    }
}

/// Resolves an untagged plain scalar, following Terraform's YAML decoder.
fn resolve_plain(raw: &str) -> Result<Value, String> {
    match raw {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Ok(Value::Bool(true));
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Ok(Value::Bool(false));
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Ok(Value::Number(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" | "-Inf" | "-inf" => {
            return Ok(Value::Number(f64::NEG_INFINITY));
        }
        "+Inf" | "+inf" => return Ok(Value::Number(f64::INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Err("floating point NaN is not supported".to_owned()),
        _ => {}
    }

    let first = raw.as_bytes().first().copied().unwrap_or(b' ');
    if first == b'.' {
        if let Some(number) = value::parse_number(raw) {
            return Ok(Value::Number(number));
        }
    } else if first.is_ascii_digit() || first == b'+' || first == b'-' {
        if let Some(timestamp) = datetime::yaml_timestamp(raw) {
            return Ok(Value::String(timestamp));
        }
        let plain = raw.replace('_', "");
        if let Some(number) = value::parse_number(&plain) {
            return Ok(Value::Number(number));
        }
        if plain.starts_with("0b") || plain.starts_with("-0b") {
            return parse_integer(&plain)
                .map(Value::Number)
                .ok_or_else(|| format!("cannot parse {raw:?} as !!int"));
        }
    }
    Ok(Value::String(raw.to_owned()))
}

fn resolve_tagged(raw: &str, tag: &Tag) -> Result<Value, String> {
    let unsupported = || format!("unsupported tag {:?}", tag.to_string());
    if !tag.is_yaml_core_schema() {
        return Err(unsupported());
    }
    let cannot = |kind: &str| format!("cannot parse {raw:?} as !!{kind}");
    match tag.suffix.as_str() {
        "str" => Ok(Value::String(raw.to_owned())),
        "binary" => {
            let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| format!("cannot parse {raw:?} as !!binary: not valid base64"))?;
            Ok(Value::String(raw.to_owned()))
        }
        "bool" => match resolve_plain(raw) {
            Ok(Value::Bool(flag)) => Ok(Value::Bool(flag)),
            _ => Err(cannot("bool")),
        },
        "null" => Ok(Value::Null),
        "int" | "float" => {
            let plain = raw.replace('_', "");
            match resolve_plain(&plain) {
                Ok(Value::Number(number)) => Ok(Value::Number(number)),
                _ => parse_integer(&plain)
                    .map(Value::Number)
                    .ok_or_else(|| cannot(&tag.suffix)),
            }
        }
        "timestamp" => datetime::yaml_timestamp(raw)
            .map(Value::String)
            .ok_or_else(|| cannot("timestamp")),
        _ => Err(unsupported()),
    }
}

/// Parses an integer with an optional sign and a `0x`, `0o`, `0b` or leading-zero
/// octal prefix, as Go's `strconv.ParseInt` with base 0 does.
fn parse_integer(text: &str) -> Option<f64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (radix, digits) =
        if let Some(rest) = digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
            (16, rest)
        } else if let Some(rest) = digits.strip_prefix("0o").or(digits.strip_prefix("0O")) {
            (8, rest)
        } else if let Some(rest) = digits.strip_prefix("0b").or(digits.strip_prefix("0B")) {
            (2, rest)
        } else if digits.len() > 1 && digits.starts_with('0') {
            (8, digits.get(1..).unwrap_or_default())
        } else {
            (10, digits)
        };
    let magnitude = u64::from_str_radix(digits, radix).ok()? as f64;
    Some(if negative { -magnitude } else { magnitude })
}

pub(super) fn base64encode(call: &Call) -> Outcome {
    let text = call.string(0)?;
    call.string_node(STANDARD.encode(text.as_bytes()))
}

/// Decodes base64 that must spell UTF-8 text. Line breaks are ignored, as in Go.
pub(super) fn base64decode(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let bytes = STANDARD.decode(compact.as_bytes()).map_err(|_| {
        let shown: String = text.chars().take(64).collect();
        call.fail(format!("failed to decode base64 data {shown:?}"))
    })?;
    let decoded = String::from_utf8(bytes)
        .map_err(|_| call.fail("the result of decoding the provided string is not valid UTF-8"))?;
    call.string_node(decoded)
}

/// Escapes a string for a URL query, as Go's `url.QueryEscape`: letters, digits and
/// `-_.~` stay, a space becomes `+`, every other byte becomes `%XX`.
pub(super) fn urlencode(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    call.string_node(out)
}

/// Decodes CSV whose first line names the columns into a list of maps, one per
/// record, following RFC 4180 as Go's `encoding/csv` reads it.
pub(super) fn csvdecode(call: &Call) -> Outcome {
    let text = call.string(0)?;
    let records = parse_csv(&text).map_err(|message| call.fail(message))?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(call.fail("missing header line"));
    };
    for (index, name) in header.iter().enumerate() {
        if header.get(..index).unwrap_or_default().contains(name) {
            return Err(call.fail(format!("duplicate column name {name:?}")));
        }
    }

    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            return Err(call.fail(format!(
                "parse error on line {line}: wrong number of fields"
            )));
        }
        let map: Map = header
            .iter()
            .zip(fields)
            .map(|(name, field)| (name.clone(), call.node(Value::String(field))))
            .collect();
        rows.push(call.node(Value::Map(map)));
    }
    call.list_node(rows)
}

/// Splits CSV text into records, each with the 1-based line it starts on. Empty lines
/// are skipped.
fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.replace("\r\n", "\n");
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1_usize;

    while chars.peek().is_some() {
        if chars.next_if_eq(&'\n').is_some() {
            line += 1;
            continue;
        }
        let start_line = line;
        let mut fields = Vec::new();
        loop {
            let mut field = String::new();
            if chars.next_if_eq(&'"').is_some() {
                loop {
                    match chars.next() {
                        None => {
                            return Err(format!(
                                "parse error on line {start_line}: extraneous or missing \" in quoted-field"
                            ));
                        }
                        Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                if !matches!(chars.peek(), None | Some(',' | '\n')) {
                    return Err(format!(
                        "parse error on line {line}: extraneous or missing \" in quoted-field"
                    ));
                }
            } else {
                while let Some(c) = chars.next_if(|c| !matches!(c, ',' | '\n')) {
                    if c == '"' {
                        return Err(format!(
                            "parse error on line {line}: bare \" in non-quoted-field"
                        ));
                    }
                    field.push(c);
                }
            }
            fields.push(field);
            match chars.next() {
                Some(',') => continue,
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        records.push((start_line, fields));
    }
    Ok(records)
}
