//! `configMapGenerator` and `secretGenerator`, and the content hash kustomize appends to
//! generated names.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use nexafi_model::{Map, Node, Span, Unknown, Value};
use sha2::{Digest, Sha256};

use super::Builder;
use super::object::{Failure, Object};
use super::paths::{is_within, normalize};
use super::spec::{Generator, Kustomization, Spanned};

/// Builds the ConfigMap or Secret one generator entry describes.
pub(crate) fn generate(
    builder: &Builder<'_>,
    kustomization: &Kustomization,
    generator: &Generator,
) -> Result<Object, Failure> {
    let fail = |span: Span, message: String| Failure::new(&kustomization.path, Some(span), message);
    let mut data: Vec<(String, Node)> = Vec::new();
    let mut binary: Vec<(String, Node)> = Vec::new();

    let insert = |data: &mut Vec<(String, Node)>,
                  key: String,
                  value: Node,
                  span: Span|
     -> Result<(), Failure> {
        if !is_valid_key(&key) {
            return Err(fail(
                span,
                format!(
                    "{key:?} is not a valid {} key; use only letters, digits, `-`, `_` and `.`",
                    generator.kind
                ),
            ));
        }
        if data.iter().any(|(existing, _)| *existing == key) {
            return Err(fail(
                span,
                format!(
                    "key {key:?} is set twice in {} {:?}; keep one of them",
                    generator.kind, generator.name.text
                ),
            ));
        }
        data.push((key, value));
        Ok(())
    };

    for literal in &generator.literals {
        let Some((key, value)) = literal.text.split_once('=') else {
            return Err(fail(
                literal.span,
                format!(
                    "literal {:?} is not KEY=VALUE; add `=` and a value",
                    literal.text
                ),
            ));
        };
        let value = Node::new(literal.span, Value::String(unquote(value).to_owned()));
        insert(&mut data, key.to_owned(), value, literal.span)?;
    }

    for entry in &generator.files {
        let (key, relative) = match entry.text.split_once('=') {
            Some((key, path)) => (key.to_owned(), path),
            None => {
                let name = Path::new(&entry.text)
                    .file_name()
                    .and_then(|name| name.to_str())
                    .unwrap_or_default();
                (name.to_owned(), entry.text.as_str())
            }
        };
        let path = local_file(kustomization, relative, entry)?;
        let bytes = std::fs::read(&path).map_err(|error| {
            fail(
                entry.span,
                format!(
                    "cannot read generator file {}: {error}; fix the path or add the file",
                    path.display()
                ),
            )
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => insert(
                &mut data,
                key,
                Node::new(entry.span, Value::String(text)),
                entry.span,
            )?,
            Err(error) => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(error.as_bytes());
                insert(
                    &mut binary,
                    key,
                    Node::new(entry.span, Value::String(encoded)),
                    entry.span,
                )?;
            }
        }
    }

    for entry in &generator.envs {
        let path = local_file(kustomization, &entry.text, entry)?;
        let (file, source) = builder.read(&path).map_err(|error| {
            fail(
                entry.span,
                format!(
                    "cannot read env file {}: {error}; fix the path or add the file",
                    path.display()
                ),
            )
        })?;
        let mut offset = 0usize;
        for line in source.text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let content = line.trim_end_matches(['\n', '\r']);
            let trimmed = content.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let lead = content.len() - trimmed.len();
            let span = Span::new(file, start + lead, start + content.len());
            let value = match trimmed.split_once('=') {
                Some((_, value)) => Value::String(value.to_owned()),
                // kustomize takes a bare key's value from its own environment, which is
                // not the environment of a deployment, so the value is unknown here.
                None => Value::Unknown(Unknown::new(format!(
                    "{} takes the value of {trimmed} from the environment of whoever runs kustomize",
                    path.display()
                ))),
            };
            let key = trimmed.split_once('=').map_or(trimmed, |(key, _)| key);
            insert(&mut data, key.to_owned(), Node::new(span, value), span)?;
        }
    }

    Ok(assemble(generator, data, binary))
}

/// Resolves a generator file, which kustomize loads only from in or below the
/// kustomization directory.
fn local_file(
    kustomization: &Kustomization,
    relative: &str,
    entry: &Spanned,
) -> Result<std::path::PathBuf, Failure> {
    let path = normalize(&kustomization.dir.join(relative));
    if !is_within(&kustomization.dir, &path) {
        return Err(Failure::new(
            &kustomization.path,
            Some(entry.span),
            format!(
                "{} is outside {}, and kustomize loads generator files only from in or below \
                 the kustomization directory; move the file there",
                path.display(),
                kustomization.dir.display()
            ),
        ));
    }
    Ok(path)
}

fn assemble(
    generator: &Generator,
    data: Vec<(String, Node)>,
    binary: Vec<(String, Node)>,
) -> Object {
    let span = generator.span;
    let text = |value: &str| Node::new(span, Value::String(value.to_owned()));
    let secret = generator.kind == "Secret";
    let encode = |node: Node| -> Node {
        match node.value {
            Value::String(value) if secret => Node::new(
                node.span,
                Value::String(base64::engine::general_purpose::STANDARD.encode(value)),
            ),
            other => Node::new(node.span, other),
        }
    };

    let mut metadata = Map::new();
    metadata.insert(
        "name".to_owned(),
        Node::new(
            generator.name.span,
            Value::String(generator.name.text.clone()),
        ),
    );
    if let Some(namespace) = &generator.namespace {
        metadata.insert("namespace".to_owned(), namespace.clone());
    }
    for (field, pairs) in [
        ("labels", &generator.options.labels),
        ("annotations", &generator.options.annotations),
    ] {
        if !pairs.is_empty() {
            let map: Map = pairs.iter().cloned().collect();
            metadata.insert(field.to_owned(), Node::new(span, Value::Map(map)));
        }
    }

    let mut body = Map::new();
    body.insert("apiVersion".to_owned(), text("v1"));
    body.insert("kind".to_owned(), text(generator.kind));
    body.insert("metadata".to_owned(), Node::new(span, Value::Map(metadata)));
    if secret {
        let secret_type = generator
            .secret_type
            .clone()
            .unwrap_or_else(|| text("Opaque"));
        body.insert("type".to_owned(), secret_type);
    }
    if !data.is_empty() {
        let map: Map = data
            .into_iter()
            .map(|(key, value)| (key, encode(value)))
            .collect();
        body.insert("data".to_owned(), Node::new(span, Value::Map(map)));
    }
    if !binary.is_empty() {
        let field = if secret { "data" } else { "binaryData" };
        let map: Map = binary.into_iter().collect();
        match body.get_mut(field).map(|node| &mut node.value) {
            Some(Value::Map(existing)) => existing.extend(map),
            _ => {
                body.insert(field.to_owned(), Node::new(span, Value::Map(map)));
            }
        }
    }
    if generator.options.immutable == Some(true) {
        body.insert("immutable".to_owned(), Node::new(span, Value::Bool(true)));
    }

    let mut object = Object::new(Node::new(span, Value::Map(body)));
    object.needs_hash = generator.options.disable_name_suffix_hash != Some(true);
    object
}

/// Strips one pair of matching quotes around a literal's value.
// NOTE: kustomize is believed to unquote literal values this way; this was not checked
// against its source.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// ConfigMap and Secret keys: letters, digits, `-`, `_` and `.`, at most 253 characters,
/// and not `.` or `..`.
fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key.chars().all(|character| {
            character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.')
        })
}

/// Computes the name suffix kustomize appends to a generated ConfigMap or Secret.
///
/// The input is the JSON that Go's `encoding/json` writes for `{kind, name, data}`, plus
/// `binaryData` for ConfigMaps and `type` for Secrets, with keys sorted. Its SHA-256 in
/// hex is cut to 10 characters, and `0 1 3 a e` become `g h k m t`, the encoding of
/// kubectl's `--append-hash`. The tests reproduce names published in the Kubernetes
/// documentation with it.
pub(crate) fn hash_suffix(object: &Object) -> String {
    let map_or_empty = |path: &str| -> serde_json::Value {
        match object.node.lookup(path) {
            nexafi_model::Lookup::Present(node) if node.as_map().is_some() => node.to_json(),
            _ => serde_json::Value::String(String::new()),
        }
    };

    let mut fields: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    fields.insert("kind", serde_json::Value::String(object.kind().to_owned()));
    fields.insert("name", serde_json::Value::String(object.name().to_owned()));
    fields.insert("data", map_or_empty("data"));
    if object.kind() == "Secret" {
        fields.insert(
            "type",
            serde_json::Value::String(object.text("type").to_owned()),
        );
        if object
            .node
            .lookup("stringData")
            .node()
            .is_some_and(|node| node.as_map().is_some())
        {
            fields.insert("stringData", map_or_empty("stringData"));
        }
    } else if object
        .node
        .lookup("binaryData")
        .node()
        .is_some_and(|node| node.as_map().is_some())
    {
        fields.insert("binaryData", map_or_empty("binaryData"));
    }

    let sorted: serde_json::Map<String, serde_json::Value> = fields
        .into_iter()
        .map(|(key, value)| (key.to_owned(), sort_keys(value)))
        .collect();
    let encoded = go_json_escape(&serde_json::Value::Object(sorted).to_string());

    let digest = Sha256::digest(encoded.as_bytes());
    let hex: String = digest
        .iter()
        .take(5)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    hex.chars()
        .map(|character| match character {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            other => other,
        })
        .collect()
}

/// Rebuilds JSON objects with their keys in byte order, as Go writes maps.
fn sort_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: BTreeMap<String, serde_json::Value> = map
                .into_iter()
                .map(|(key, value)| (key, sort_keys(value)))
                .collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sort_keys).collect())
        }
        other => other,
    }
}

/// Applies the escapes Go's `encoding/json` adds and serde_json does not: `<`, `>` and `&`
/// (HTML safety) and the line and paragraph separators. These characters occur only inside
/// strings of the encoded text, so a plain replacement is exact.
fn go_json_escape(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_matching_pairs() {
        assert_eq!(unquote("\"a b\""), "a b");
        assert_eq!(unquote("'x'"), "x");
        assert_eq!(unquote("\"x'"), "\"x'");
    }

    #[test]
    fn keys_validated() {
        assert!(is_valid_key("app.properties"));
        assert!(!is_valid_key("a b"));
        assert!(!is_valid_key(".."));
    }

    #[test]
    fn go_escapes() {
        assert_eq!(
            go_json_escape("{\"a\":\"<&>\"}"),
            "{\"a\":\"\\u003c\\u0026\\u003e\"}"
        );
    }
}
