//! The JSON report against its published schema, and a snapshot of it.

mod common;

use std::path::PathBuf;

use nexafi_report::render_json;
use serde_json::Value;

fn schema() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/report-v1.schema.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    };
    match serde_json::from_str(&text) {
        Ok(schema) => schema,
        Err(error) => panic!("{} is not JSON: {error}", path.display()),
    }
}

fn rendered() -> Value {
    let text = render_json(&common::fixture().result);
    match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => panic!("render_json wrote invalid JSON: {error}\n{text}"),
    }
}

/// Returns the schema errors of `instance`, one line each.
fn schema_errors(instance: &Value) -> Vec<String> {
    let validator = match jsonschema::validator_for(&schema()) {
        Ok(validator) => validator,
        Err(error) => panic!("the schema does not compile: {error}"),
    };
    validator
        .iter_errors(instance)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

#[test]
fn schema_is_valid_2020_12() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let checked = jsonschema::meta::validate(&schema);
    assert!(checked.is_ok(), "{checked:?}");
}

#[test]
fn report_matches_schema() {
    let errors = schema_errors(&rendered());
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn schema_rejects_bad_verdict() {
    let mut report = rendered();
    report["findings"][0]["verdict"] = Value::from("maybe");
    let errors = schema_errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("/findings/0/verdict"), "{errors:?}");
}

#[test]
fn schema_rejects_missing_field() {
    let mut report = rendered();
    if let Some(control) = report["frameworks"][0]["controls"][0].as_object_mut() {
        control.remove("status");
    }
    let errors = schema_errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

/// Collects the keys of `value` as paths (`findings[].check_id`), skipping the keys of
/// `controls` maps, which are framework ids rather than field names.
fn key_paths(value: &Value, prefix: &str, paths: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                if key != "controls" || !child.is_object() {
                    key_paths(child, &path, paths);
                }
                paths.push(path);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), paths);
            }
        }
        _ => {}
    }
}

/// Follows a key path through the schema's `properties`, `items` and `$ref`s.
fn schema_has(schema: &Value, path: &str) -> bool {
    let resolve = |node: &Value| -> Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/$defs/");
                schema["$defs"][name].clone()
            }
            None => node.clone(),
        }
    };
    let mut node = schema.clone();
    for part in path.split('.') {
        let (key, is_array) = match part.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (part, false),
        };
        let Some(child) = node
            .get("properties")
            .and_then(|properties| properties.get(key))
        else {
            return false;
        };
        node = resolve(child);
        if is_array {
            node = resolve(&node["items"]);
        }
    }
    true
}

#[test]
fn schema_documents_every_key() {
    let schema = schema();
    let mut paths = Vec::new();
    key_paths(&rendered(), "", &mut paths);
    assert!(paths.len() > 40, "{paths:?}");
    for path in paths {
        assert!(schema_has(&schema, &path), "{path} is not in the schema");
    }
}

#[test]
fn top_level_key_order() {
    let report = rendered();
    let keys: Vec<&str> = report
        .as_object()
        .map(|map| map.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "schema_version",
            "tool",
            "inputs",
            "summary",
            "findings",
            "frameworks",
            "waivers"
        ]
    );
    assert_eq!(
        report["schema_version"],
        nexafi_model::REPORT_SCHEMA_VERSION
    );
}

#[test]
fn output_ends_with_newline() {
    let text = render_json(&common::fixture().result);
    assert!(text.ends_with("}\n"), "{text}");
    assert!(!text.ends_with("\n\n"));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(render_json(&common::fixture().result));
}

#[test]
fn findings_sorted_by_location() {
    let report = rendered();
    let locations: Vec<(String, u64, u64)> = report["findings"]
        .as_array()
        .map(|findings| {
            findings
                .iter()
                .map(|finding| {
                    (
                        finding["file"].as_str().unwrap_or_default().to_owned(),
                        finding["line"].as_u64().unwrap_or_default(),
                        finding["column"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(locations.len(), 6);
    let mut sorted = locations.clone();
    sorted.sort();
    assert_eq!(locations, sorted);
    assert_eq!(locations[0].0, "charts/payments");
}
