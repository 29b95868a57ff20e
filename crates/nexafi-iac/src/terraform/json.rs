//! Terraform's JSON configuration syntax (`.tf.json`, `.tfvars.json`).
//!
//! serde_json keeps no positions, so a small JSON reader here records the byte span of
//! every value. The conversion then follows Terraform's rules for JSON: block types and
//! labels are object keys, and strings in expressions are templates (`"${var.x}"`).

use nexafi_model::{FileId, Span};

use super::hcl::{self, Spans, SyntaxError};
use super::syntax::{Attribute, Block, Body, Expr, ExprKind, Item, ObjectKey};

/// Deepest nesting of arrays and objects accepted, which keeps the recursive reader
/// and the conversion within the stack.
const MAX_DEPTH: usize = 128;

/// Attributes of resources that hold maps: a JSON object under these names is a map value,
/// not a nested block.
///
/// NOTE: without provider schemas, any other object in a resource body is read as a
/// nested block, so a map attribute missing from this list has the shape of a block
/// (a list holding one map).
const MAP_ATTRIBUTES: &[&str] = &[
    "tags",
    "tags_all",
    "labels",
    "annotations",
    "environment",
    "variables",
    "parameters",
    "triggers",
    "metadata_options_tags",
    "environment_variables",
    "default_tags",
    "attributes",
    "options",
];

/// A JSON value with the span of its text.
#[derive(Clone, Debug)]
pub(crate) struct JsonValue {
    pub kind: JsonKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) enum JsonKind {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<Member>),
}

/// An object member; keys may repeat, and Terraform reads repeated block keys as
/// several blocks.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub key: String,
    pub key_span: Span,
    pub value: JsonValue,
}

/// Reads one JSON document.
pub(crate) fn parse(text: &str, file: FileId) -> Result<JsonValue, SyntaxError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        position: 0,
        file,
    };
    reader.skip_whitespace();
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.position < reader.bytes.len() {
        return Err(reader.error("unexpected text after the JSON value"));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    position: usize,
    file: FileId,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            message: message.to_owned(),
            offset: self.position,
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(byte) = self.bytes.get(self.position) {
            if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                self.position += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("arrays and objects are nested more than 128 levels deep"));
        }
        let start = self.position;
        let kind = match self.bytes.get(self.position) {
            None => return Err(self.error("expected a JSON value, found the end of the file")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => JsonKind::String(self.string()?),
            Some(b't') => self.keyword("true", JsonKind::Bool(true))?,
            Some(b'f') => self.keyword("false", JsonKind::Bool(false))?,
            Some(b'n') => self.keyword("null", JsonKind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a JSON value")),
        };
        Ok(JsonValue {
            kind,
            span: Span::new(self.file, start, self.position),
        })
    }

    fn keyword(&mut self, word: &str, kind: JsonKind) -> Result<JsonKind, SyntaxError> {
        if self.bytes[self.position..].starts_with(word.as_bytes()) {
            self.position += word.len();
            Ok(kind)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<JsonKind, SyntaxError> {
        let start = self.position;
        if self.bytes.get(self.position) == Some(&b'-') {
            self.position += 1;
        }
        let digits_start = self.position;
        self.digits();
        if self.position == digits_start {
            return Err(self.error("expected digits in the number"));
        }
        if self.bytes.get(self.position) == Some(&b'.') {
            self.position += 1;
            let fraction_start = self.position;
            self.digits();
            if self.position == fraction_start {
                return Err(self.error("expected digits after the decimal point"));
            }
        }
        if matches!(self.bytes.get(self.position), Some(b'e' | b'E')) {
            self.position += 1;
            if matches!(self.bytes.get(self.position), Some(b'+' | b'-')) {
                self.position += 1;
            }
            let exponent_start = self.position;
            self.digits();
            if self.position == exponent_start {
                return Err(self.error("expected digits in the exponent"));
            }
        }
        self.text[start..self.position]
            .parse()
            .map(JsonKind::Number)
            .map_err(|_| self.error("invalid number"))
    }

    fn digits(&mut self) {
        while matches!(self.bytes.get(self.position), Some(b'0'..=b'9')) {
            self.position += 1;
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        // The caller saw the opening quote.
        self.position += 1;
        let mut out = String::new();
        loop {
            let run_start = self.position;
            while let Some(byte) = self.bytes.get(self.position) {
                if *byte == b'"' || *byte == b'\\' || *byte < 0x20 {
                    break;
                }
                self.position += 1;
            }
            // The run stops at ASCII bytes only, so it ends on a character boundary.
            out.push_str(&self.text[run_start..self.position]);
            match self.bytes.get(self.position) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.position += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.position += 1;
                    let escaped = match self.bytes.get(self.position) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.position += 1;
                            out.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape sequence in string")),
                    };
                    self.position += 1;
                    out.push(escaped);
                }
                Some(_) => return Err(self.error("control character in string; escape it")),
            }
        }
    }

    /// Reads the hex digits after `\u`, with a second escape for a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.bytes[self.position..].starts_with(b"\\u") {
                self.position += 2;
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return char::from_u32(code)
                        .ok_or_else(|| self.error("invalid unicode escape"));
                }
            }
            return Err(self.error("unpaired surrogate in unicode escape"));
        }
        char::from_u32(first).ok_or_else(|| self.error("invalid unicode escape"))
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self
            .text
            .get(self.position..self.position + 4)
            .ok_or_else(|| self.error("expected four hex digits after \\u"))?;
        let code = u32::from_str_radix(digits, 16)
            .map_err(|_| self.error("expected four hex digits after \\u"))?;
        self.position += 4;
        Ok(code)
    }

    fn array(&mut self, depth: usize) -> Result<JsonKind, SyntaxError> {
        self.position += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.position) == Some(&b']') {
            self.position += 1;
            return Ok(JsonKind::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.bytes.get(self.position) {
                Some(b',') => self.position += 1,
                Some(b']') => {
                    self.position += 1;
                    return Ok(JsonKind::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]` in the array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonKind, SyntaxError> {
        self.position += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.position) == Some(&b'}') {
            self.position += 1;
            return Ok(JsonKind::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.position) != Some(&b'"') {
                return Err(self.error("expected a string key in the object"));
            }
            let key_start = self.position;
            let key = self.string()?;
            let key_span = Span::new(self.file, key_start, self.position);
            self.skip_whitespace();
            if self.bytes.get(self.position) != Some(&b':') {
                return Err(self.error("expected `:` after the object key"));
            }
            self.position += 1;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_whitespace();
            match self.bytes.get(self.position) {
                Some(b',') => self.position += 1,
                Some(b'}') => {
                    self.position += 1;
                    return Ok(JsonKind::Object(members));
                }
                _ => return Err(self.error("expected `,` or `}` in the object")),
            }
        }
    }
}

/// Converts a `.tf.json` document into a configuration body. Strings that are not valid
/// templates become invalid expressions and are listed in the returned errors.
pub(crate) fn config_body(value: &JsonValue) -> Result<(Body, Vec<SyntaxError>), SyntaxError> {
    let JsonKind::Object(members) = &value.kind else {
        return Err(SyntaxError {
            message: "the root of a .tf.json file must be an object".to_owned(),
            offset: value.span.start as usize,
        });
    };
    let mut converter = Converter { errors: Vec::new() };
    let mut items = Vec::new();
    for member in members {
        match member.key.as_str() {
            "resource" | "data" => {
                for (kind, kind_span, by_name) in converter.entries(&member.value) {
                    for (name, name_span, body) in converter.entries(by_name) {
                        for body in each_object(body) {
                            let labels_span = join(kind_span, name_span);
                            items.push(Item::Block(Block {
                                kind: member.key.clone(),
                                labels: vec![kind.clone(), name.clone()],
                                labels_span,
                                body: converter.resource_body(body),
                                span: join(kind_span, body.span),
                            }));
                        }
                    }
                }
            }
            "module" | "output" | "variable" => {
                for (name, name_span, body) in converter.entries(&member.value) {
                    for body in each_object(body) {
                        let variable = member.key == "variable";
                        items.push(Item::Block(Block {
                            kind: member.key.clone(),
                            labels: vec![name.clone()],
                            labels_span: name_span,
                            body: converter.attributes_body(body, variable),
                            span: join(name_span, body.span),
                        }));
                    }
                }
            }
            "locals" => {
                for body in each_object(&member.value) {
                    items.push(Item::Block(Block {
                        kind: "locals".to_owned(),
                        labels: Vec::new(),
                        labels_span: member.key_span,
                        body: converter.attributes_body(body, false),
                        span: join(member.key_span, body.span),
                    }));
                }
            }
            // Providers, settings, comments and blocks that declare no resources.
            _ => {}
        }
    }
    Ok((Body { items }, converter.errors))
}

/// Converts a `.tfvars.json` document: each member is a variable value, read literally.
pub(crate) fn tfvars_body(value: &JsonValue) -> Result<Body, SyntaxError> {
    let JsonKind::Object(members) = &value.kind else {
        return Err(SyntaxError {
            message: "the root of a .tfvars.json file must be an object".to_owned(),
            offset: value.span.start as usize,
        });
    };
    let items = members
        .iter()
        .map(|member| {
            Item::Attribute(Attribute {
                name: member.key.clone(),
                name_span: member.key_span,
                expr: literal(&member.value),
            })
        })
        .collect();
    Ok(Body { items })
}

/// Returns the objects of a block value: one object, or each object of an array.
fn each_object(value: &JsonValue) -> Vec<&JsonValue> {
    match &value.kind {
        JsonKind::Object(_) => vec![value],
        JsonKind::Array(items) => items
            .iter()
            .filter(|item| matches!(item.kind, JsonKind::Object(_)))
            .collect(),
        _ => Vec::new(),
    }
}

fn join(first: Span, last: Span) -> Span {
    Span::new(first.file, first.start as usize, last.end as usize)
}

/// Reads a JSON value as a literal, with no templates: variable defaults and tfvars.
fn literal(value: &JsonValue) -> Expr {
    let kind = match &value.kind {
        JsonKind::Null => ExprKind::Null,
        JsonKind::Bool(flag) => ExprKind::Bool(*flag),
        JsonKind::Number(number) => ExprKind::Number(*number),
        JsonKind::String(text) => ExprKind::String(text.clone()),
        JsonKind::Array(items) => ExprKind::Tuple(items.iter().map(literal).collect()),
        JsonKind::Object(members) => ExprKind::Object(
            members
                .iter()
                .map(|member| {
                    (
                        ObjectKey::Literal(member.key.clone()),
                        literal(&member.value),
                    )
                })
                .collect(),
        ),
    };
    Expr::new(kind, value.span)
}

struct Converter {
    errors: Vec<SyntaxError>,
}

impl Converter {
    /// Returns the members of an object (or of each object in an array), skipping `//`
    /// comments.
    fn entries<'v>(&mut self, value: &'v JsonValue) -> Vec<(&'v String, Span, &'v JsonValue)> {
        let mut entries = Vec::new();
        for object in each_object(value) {
            if let JsonKind::Object(members) = &object.kind {
                for member in members {
                    if member.key != "//" {
                        entries.push((&member.key, member.key_span, &member.value));
                    }
                }
            }
        }
        entries
    }

    /// Reads a JSON value as an expression: strings are templates.
    fn expression(&mut self, value: &JsonValue) -> Expr {
        let kind = match &value.kind {
            JsonKind::String(text) => {
                if !text.contains("${") && !text.contains("%{") {
                    return Expr::new(ExprKind::String(text.clone()), value.span);
                }
                match hcl::parse_template(text, Spans::Fixed(value.span)) {
                    Ok(expr) => return expr,
                    Err(error) => {
                        self.errors.push(SyntaxError {
                            message: format!("invalid template in JSON string: {}", error.message),
                            offset: value.span.start as usize,
                        });
                        ExprKind::Invalid(format!("invalid template: {}", error.message))
                    }
                }
            }
            JsonKind::Array(items) => {
                ExprKind::Tuple(items.iter().map(|item| self.expression(item)).collect())
            }
            JsonKind::Object(members) => ExprKind::Object(
                members
                    .iter()
                    .filter(|member| member.key != "//")
                    .map(|member| {
                        let key = if member.key.contains("${") {
                            let key_value = JsonValue {
                                kind: JsonKind::String(member.key.clone()),
                                span: member.key_span,
                            };
                            ObjectKey::Expr(self.expression(&key_value))
                        } else {
                            ObjectKey::Literal(member.key.clone())
                        };
                        (key, self.expression(&member.value))
                    })
                    .collect(),
            ),
            _ => return literal(value),
        };
        Expr::new(kind, value.span)
    }

    /// Converts a body of attributes only: module calls, outputs, locals and variables.
    /// In a variable, `default` is literal and `type` contains a type expression.
    fn attributes_body(&mut self, value: &JsonValue, variable: bool) -> Body {
        let mut items = Vec::new();
        for (key, key_span, member) in self.entries(value) {
            let expr = match (variable, key.as_str(), &member.kind) {
                (true, "default", _) => literal(member),
                (true, "type", JsonKind::String(text)) => {
                    match hcl::parse_expression(text, Spans::Fixed(member.span)) {
                        Ok(expr) => expr,
                        Err(error) => {
                            self.errors.push(SyntaxError {
                                message: format!("invalid type constraint: {}", error.message),
                                offset: member.span.start as usize,
                            });
                            Expr::new(ExprKind::Invalid(error.message), member.span)
                        }
                    }
                }
                (true, "validation", _) => continue,
                _ => self.expression(member),
            };
            items.push(Item::Attribute(Attribute {
                name: key.clone(),
                name_span: key_span,
                expr,
            }));
        }
        Body { items }
    }

    /// Converts a resource or nested block body. Objects become nested blocks unless the
    /// key names a known map attribute.
    fn resource_body(&mut self, value: &JsonValue) -> Body {
        let mut items = Vec::new();
        for (key, key_span, member) in self.entries(value) {
            match key.as_str() {
                "provisioner" | "connection" | "lifecycle" | "depends_on" => continue,
                "dynamic" => {
                    for (label, label_span, dynamic) in self.entries(member) {
                        for dynamic in each_object(dynamic) {
                            items.push(Item::Block(self.dynamic_block(label, label_span, dynamic)));
                        }
                    }
                    continue;
                }
                _ => {}
            }
            let is_map_attribute = MAP_ATTRIBUTES.contains(&key.as_str());
            let blocks: Vec<&JsonValue> = match &member.kind {
                JsonKind::Object(_) if !is_map_attribute => vec![member],
                JsonKind::Array(elements)
                    if !is_map_attribute
                        && !elements.is_empty()
                        && elements
                            .iter()
                            .all(|element| matches!(element.kind, JsonKind::Object(_))) =>
                {
                    elements.iter().collect()
                }
                _ => Vec::new(),
            };
            if blocks.is_empty() {
                items.push(Item::Attribute(Attribute {
                    name: key.clone(),
                    name_span: key_span,
                    expr: self.expression(member),
                }));
                continue;
            }
            for block in blocks {
                items.push(Item::Block(Block {
                    kind: key.clone(),
                    labels: Vec::new(),
                    labels_span: key_span,
                    body: self.resource_body(block),
                    span: join(key_span, block.span),
                }));
            }
        }
        Body { items }
    }

    /// `"dynamic": {"label": {"for_each": ..., "iterator": "name", "content": {...}}}`.
    fn dynamic_block(&mut self, label: &str, label_span: Span, value: &JsonValue) -> Block {
        let mut items = Vec::new();
        for (key, key_span, member) in self.entries(value) {
            match (key.as_str(), &member.kind) {
                ("content", _) => {
                    for content in each_object(member) {
                        items.push(Item::Block(Block {
                            kind: "content".to_owned(),
                            labels: Vec::new(),
                            labels_span: key_span,
                            body: self.resource_body(content),
                            span: join(key_span, content.span),
                        }));
                    }
                }
                ("iterator", JsonKind::String(name)) => items.push(Item::Attribute(Attribute {
                    name: key.clone(),
                    name_span: key_span,
                    expr: Expr::new(ExprKind::Variable(name.clone()), member.span),
                })),
                _ => items.push(Item::Attribute(Attribute {
                    name: key.clone(),
                    name_span: key_span,
                    expr: self.expression(member),
                })),
            }
        }
        Block {
            kind: "dynamic".to_owned(),
            labels: vec![label.to_owned()],
            labels_span: label_span,
            body: Body { items },
            span: join(label_span, value.span),
        }
    }
}
