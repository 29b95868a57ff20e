//! The SARIF report: the SARIF 2.1.0 schema, GitHub code scanning's rules and a snapshot.

mod common;

use nexafi_report::render_sarif;
use serde_json::Value;

fn rendered_text() -> String {
    render_sarif(&common::audit_fixture().result, &common::check_metas())
}

fn rendered() -> Value {
    let text = rendered_text();
    match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => panic!("render_sarif wrote invalid JSON: {error}\n{text}"),
    }
}

fn results(log: &Value) -> Vec<Value> {
    log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn result_for(log: &Value, rule_id: &str) -> Value {
    let found = results(log)
        .into_iter()
        .find(|result| result["ruleId"] == rule_id);
    match found {
        Some(result) => result,
        None => panic!("no result for {rule_id}"),
    }
}

#[test]
fn sarif_matches_schema() {
    let schema = common::schema_path("sarif-schema-2.1.0.json");
    let checked = common::check_jsonschema(&schema, &rendered_text(), "sarif");
    assert!(checked.is_ok(), "{}", checked.err().unwrap_or_default());
}

#[test]
fn schema_rejects_bad_level() {
    let mut log = rendered();
    log["runs"][0]["results"][0]["level"] = Value::from("critical");
    let schema = common::schema_path("sarif-schema-2.1.0.json");
    let checked = common::check_jsonschema(&schema, &log.to_string(), "sarif");
    let Err(output) = checked else {
        panic!("the schema accepted level \"critical\"");
    };
    assert!(output.contains("critical"), "{output}");
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(rendered_text());
}

#[test]
fn rule_index_points_at_rule() {
    let log = rendered();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let results = results(&log);
    assert!(!results.is_empty());
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert!(index < rules.len(), "{result}");
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

#[test]
fn rules_carry_help_and_severity() {
    let log = rendered();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Five declared checks and the load error, which no check declares.
    assert_eq!(rules.len(), 6);
    for rule in &rules {
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
        assert!(rule["help"]["text"].is_string(), "{rule}");
        assert!(rule["help"]["markdown"].is_string(), "{rule}");
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap_or("")
            .parse()
            .unwrap_or(-1.0);
        assert!((0.1..=10.0).contains(&score), "{rule}");
        let tags = rule["properties"]["tags"].as_array().map_or(0, Vec::len);
        assert!((1..=10).contains(&tags), "{rule}");
    }
    let kms = &rules[0];
    assert_eq!(kms["id"], "NXF-AWS-KMS-001");
    let markdown = kms["help"]["markdown"].as_str().unwrap_or("");
    assert!(markdown.contains("## How to fix"), "{markdown}");
    assert!(
        markdown.contains("enable_key_rotation = true"),
        "{markdown}"
    );
}

#[test]
fn passes_are_left_out() {
    let log = rendered();
    let ids: Vec<String> = results(&log)
        .iter()
        .map(|result| result["ruleId"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(ids.len(), 5, "{ids:?}");
    assert!(!ids.contains(&"NXF-K8S-POD-002".to_owned()), "{ids:?}");
}

#[test]
fn waived_result_is_suppressed() {
    let result = result_for(&rendered(), "NXF-AWS-KMS-002");
    let suppressions = result["suppressions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(suppressions.len(), 1, "{result}");
    assert_eq!(suppressions[0]["kind"], "external");
    assert_eq!(suppressions[0]["status"], "accepted");
    assert_eq!(
        suppressions[0]["justification"],
        "key is recreated by the ledger migration"
    );
    assert_eq!(suppressions[0]["properties"]["ticket"], "SEC-1042");
}

#[test]
fn expired_waiver_is_not_suppressed() {
    let result = result_for(&rendered(), "NXF-K8S-POD-001");
    assert!(result.get("suppressions").is_none(), "{result}");
    assert_eq!(result["level"], "error");
    let note = result["properties"]["expiredWaiver"].as_str().unwrap_or("");
    assert!(note.contains("2026-10-01"), "{result}");
}

#[test]
fn unknown_needs_review() {
    let result = result_for(&rendered(), "NXF-AWS-S3-004");
    assert_eq!(result["kind"], "review");
    assert_eq!(result["level"], "none");
}

#[test]
fn location_is_relative_region() {
    let result = result_for(&rendered(), "NXF-AWS-KMS-001");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "infra/main.tf");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 3);
    assert_eq!(location["region"]["startColumn"], 25);
    assert_eq!(location["region"]["endColumn"], 30);
    assert_eq!(
        result["partialFingerprints"]["nexafiFingerprint/v1"]
            .as_str()
            .map(str::len),
        Some(32)
    );
}

#[test]
fn run_records_scan_inputs() {
    let log = rendered();
    let run = &log["runs"][0];
    assert_eq!(
        run["invocations"][0]["startTimeUtc"],
        "2026-11-30T09:15:00Z"
    );
    assert_eq!(
        run["properties"]["commit"],
        "3f1c2a9e4b7d8c6f5a0e1d2c3b4a5f6e7d8c9b0a"
    );
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["automationDetails"]["id"], "nexafi/validate/");
}
