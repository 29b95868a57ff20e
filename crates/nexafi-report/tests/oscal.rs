//! The OSCAL assessment-results report: NIST's OSCAL 1.1.2 schema, the links inside the
//! document and a snapshot.

mod common;

use std::collections::BTreeSet;

use nexafi_report::render_oscal;
use serde_json::Value;

fn rendered_text() -> String {
    render_oscal(&common::audit_fixture().result)
}

fn rendered() -> Value {
    let text = rendered_text();
    match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => panic!("render_oscal wrote invalid JSON: {error}\n{text}"),
    }
}

fn array(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

/// Returns the OSCAL finding whose target is `target_id`.
fn control_finding(document: &Value, target_id: &str) -> Value {
    let findings = array(&document["assessment-results"]["results"][0]["findings"]);
    match findings
        .into_iter()
        .find(|finding| finding["target"]["target-id"] == target_id)
    {
        Some(finding) => finding,
        None => panic!("no finding targets {target_id}"),
    }
}

#[test]
fn oscal_matches_nist_schema() {
    let schema = common::schema_path("oscal_assessment-results_schema.json");
    let checked = common::check_jsonschema(&schema, &rendered_text(), "json");
    assert!(checked.is_ok(), "{}", checked.err().unwrap_or_default());
}

#[test]
fn schema_rejects_numeric_control_id() {
    let mut document = rendered();
    document["assessment-results"]["results"][0]["reviewed-controls"]["control-selections"][0]["include-controls"]
        [0]["control-id"] = Value::from("3.5.1");
    let schema = common::schema_path("oscal_assessment-results_schema.json");
    let checked = common::check_jsonschema(&schema, &document.to_string(), "json");
    let Err(output) = checked else {
        panic!("the schema accepted a control id that is not a token");
    };
    assert!(output.contains("control-id"), "{output}");
}

#[test]
fn oscal_snapshot() {
    insta::assert_snapshot!(rendered_text());
}

#[test]
fn metadata_names_version_and_inputs() {
    let document = rendered();
    let metadata = &document["assessment-results"]["metadata"];
    assert_eq!(metadata["oscal-version"], "1.1.2");
    assert_eq!(metadata["last-modified"], "2026-11-30T09:15:00Z");
    let props = array(&metadata["props"]);
    let commit = props.iter().find(|prop| prop["name"] == "commit");
    assert_eq!(
        commit.map(|prop| prop["value"].clone()),
        Some(Value::from("3f1c2a9e4b7d8c6f5a0e1d2c3b4a5f6e7d8c9b0a"))
    );
}

#[test]
fn import_ap_points_at_plan() {
    let document = rendered();
    let results = &document["assessment-results"];
    let href = results["import-ap"]["href"].as_str().unwrap_or("");
    let Some(uuid) = href.strip_prefix('#') else {
        panic!("import-ap href {href:?} is not a fragment");
    };
    let resources = array(&results["back-matter"]["resources"]);
    let plan = resources.iter().find(|resource| resource["uuid"] == uuid);
    let Some(plan) = plan else {
        panic!("no back-matter resource {uuid}");
    };
    assert_eq!(plan["title"], "Automated assessment plan");
}

#[test]
fn every_control_has_finding() {
    let document = rendered();
    let result = &document["assessment-results"]["results"][0];
    let selected: BTreeSet<String> = array(&result["reviewed-controls"]["control-selections"])
        .iter()
        .flat_map(|selection| array(&selection["include-controls"]))
        .map(|control| control["control-id"].as_str().unwrap_or("").to_owned())
        .collect();
    let targeted: BTreeSet<String> = array(&result["findings"])
        .iter()
        .map(|finding| {
            finding["target"]["target-id"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(selected.len(), 6, "{selected:?}");
    assert_eq!(selected, targeted);
}

#[test]
fn target_states_follow_status() {
    let document = rendered();
    let cases = [
        ("pci_dss-2.2.1", "not-satisfied", "fail"),
        ("pci_dss-3.6.1", "satisfied", "pass"),
        // An attested manual control whose review is not due yet.
        ("pci_dss-12.1.1", "satisfied", "other"),
        ("soc2-CC6.8", "not-satisfied", "other"),
        // An attested manual control whose review is overdue.
        ("soc2-CC1.1", "not-satisfied", "other"),
    ];
    for (target, state, reason) in cases {
        let finding = control_finding(&document, target);
        assert_eq!(finding["target"]["status"]["state"], state, "{target}");
        assert_eq!(finding["target"]["status"]["reason"], reason, "{target}");
    }
    let overdue = control_finding(&document, "soc2-CC1.1");
    let remarks = overdue["target"]["status"]["remarks"]
        .as_str()
        .unwrap_or("");
    assert!(remarks.contains("2026-06-01"), "{remarks}");
}

#[test]
fn findings_link_existing_observations() {
    let document = rendered();
    let result = &document["assessment-results"]["results"][0];
    let observations: BTreeSet<String> = array(&result["observations"])
        .iter()
        .map(|observation| observation["uuid"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(observations.len(), 6);

    let pci_221 = control_finding(&document, "pci_dss-2.2.1");
    let related = array(&pci_221["related-observations"]);
    assert_eq!(related.len(), 2, "{pci_221}");
    for link in related {
        let uuid = link["observation-uuid"].as_str().unwrap_or("");
        assert!(observations.contains(uuid), "{uuid} is not an observation");
    }
}

#[test]
fn uuids_are_unique_and_stable() {
    let text = rendered_text();
    assert_eq!(text, rendered_text());
    let document = rendered();
    let mut uuids = Vec::new();
    collect_uuids(&document, &mut uuids);
    let unique: BTreeSet<&String> = uuids.iter().collect();
    assert!(uuids.len() > 10, "{uuids:?}");
    assert_eq!(unique.len(), uuids.len(), "{uuids:?}");
}

/// Collects the values of every `uuid` key, the identities an OSCAL document defines.
fn collect_uuids(value: &Value, uuids: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "uuid" {
                    uuids.push(child.as_str().unwrap_or("").to_owned());
                } else {
                    collect_uuids(child, uuids);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_uuids(item, uuids)),
        _ => {}
    }
}

#[test]
fn waived_observation_keeps_reason() {
    let document = rendered();
    let observations = array(&document["assessment-results"]["results"][0]["observations"]);
    let waived = observations.iter().find(|observation| {
        array(&observation["props"])
            .iter()
            .any(|prop| prop["name"] == "verdict" && prop["value"] == "waived")
    });
    let Some(waived) = waived else {
        panic!("no waived observation");
    };
    let reason = array(&waived["props"])
        .into_iter()
        .find(|prop| prop["name"] == "waiver-reason");
    assert_eq!(
        reason.map(|prop| prop["value"].clone()),
        Some(Value::from("key is recreated by the ledger migration"))
    );
    assert_eq!(waived["relevant-evidence"][0]["href"], "infra/main.tf#L1");
}

/// Loads `document` with compliance-trestle's OSCAL models and returns the observation and
/// finding counts it read, or its error output.
fn load_with_trestle(document: &str) -> Result<String, String> {
    let Ok(directory) = tempfile::tempdir() else {
        panic!("cannot create a temporary directory");
    };
    let path = directory.path().join("assessment-results.json");
    if let Err(error) = std::fs::write(&path, document) {
        panic!("cannot write {}: {error}", path.display());
    }
    let script = "import pathlib, sys\n\
                  from trestle.oscal.assessment_results import AssessmentResults\n\
                  results = AssessmentResults.oscal_read(pathlib.Path(sys.argv[1])).results[0]\n\
                  print(len(results.observations), len(results.findings))\n";
    let output = std::process::Command::new(common::peer_tool("python"))
        .args(["-c", script])
        .arg(&path)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => panic!("cannot run the tools' python: {error}"),
    };
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn trestle_reads_document() {
    let loaded = load_with_trestle(&rendered_text());
    assert_eq!(loaded, Ok("6 6".to_owned()));
}

#[test]
fn trestle_rejects_missing_target() {
    let mut document = rendered();
    if let Some(finding) =
        document["assessment-results"]["results"][0]["findings"][0].as_object_mut()
    {
        finding.remove("target");
    }
    let loaded = load_with_trestle(&document.to_string());
    let Err(output) = loaded else {
        panic!("trestle accepted a finding without a target");
    };
    assert!(output.contains("target"), "{output}");
}
