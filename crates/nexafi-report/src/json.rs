//! The JSON report: a versioned document that scripts and other tools read.
//!
//! `docs/json-report.md` describes every field and `docs/schema/report-v1.schema.json`
//! is its JSON Schema. Keys appear in a fixed order so that reports diff cleanly.

use nexafi_model::{
    Finding, FrameworkResult, REPORT_SCHEMA_VERSION, ScanInputs, ScanResult, Summary, ToolInfo,
    WaiverUse,
};
use serde::Serialize;

/// The top-level JSON object. Field order here is the key order in the output.
#[derive(Serialize)]
struct Report<'a> {
    schema_version: &'static str,
    tool: &'a ToolInfo,
    inputs: &'a ScanInputs,
    summary: &'a Summary,
    findings: Vec<&'a Finding>,
    frameworks: &'a [FrameworkResult],
    /// Always present, empty when nothing was declared, so readers need no special case.
    waivers: &'a [WaiverUse],
}

/// Renders the scan result as pretty-printed JSON ending with a newline.
///
/// Findings are sorted by file, line and column, whatever their order in `result`.
pub fn render_json(result: &ScanResult) -> String {
    let mut findings: Vec<&Finding> = result.findings.iter().collect();
    findings.sort_by(crate::by_location);
    let report = Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: &result.tool,
        inputs: &result.inputs,
        summary: &result.summary,
        findings,
        frameworks: &result.frameworks,
        waivers: &result.waivers,
    };
    // Serialization cannot fail for these types: every map key is a string and
    // non-finite numbers become null. The fallback still keeps the output valid JSON.
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|error| {
        serde_json::json!({
            "schema_version": REPORT_SCHEMA_VERSION,
            "error": format!("failed to serialize the report: {error}"),
        })
        .to_string()
    });
    text.push('\n');
    text
}
