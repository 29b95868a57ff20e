//! The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers.
//!
//! One run contains every check as a rule, with its documentation as help text, and one result
//! per failing, unknown, waived or unloadable finding. Passing findings are left out because
//! code scanning lists every result as an alert. The fields follow the SARIF 2.1.0 schema
//! in `tests/schemas/` and the limits GitHub documents for uploads: at most 25,000
//! results per run and at most 10 tags per rule that GitHub shows.

use std::collections::{BTreeMap, BTreeSet};

use nexafi_model::{
    CheckMeta, Finding, ScanResult, Severity, Suppression, SuppressionKind, Verdict,
};
use serde::Serialize;

/// The schema URI that GitHub code scanning and editors recognise for SARIF 2.1.0.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Results GitHub accepts in one run; it rejects an upload with more.
const MAX_RESULTS: usize = 25_000;
/// Tags per rule that GitHub keeps; it ignores the rest.
const MAX_TAGS: usize = 10;
/// Key of the fingerprint in `partialFingerprints`; the version suffix lets the
/// fingerprint scheme change without matching old alerts by mistake.
const FINGERPRINT_KEY: &str = "nexafiFingerprint/v1";
/// Base of relative artifact URIs: the root of the checked-out repository.
const SOURCE_ROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Vec<SarifResult>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time_utc: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    scanned_paths: &'a [String],
    /// Commit of the scanned work tree. It is a property rather than a
    /// `versionControlProvenance` entry because that entry requires the repository URL,
    /// which nexafi does not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check_catalog_digest: Option<&'a str>,
    /// Results left out because the run would exceed what GitHub accepts.
    #[serde(skip_serializing_if = "is_zero")]
    omitted_results: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    /// The check's own severity, as `nexafi checks explain` prints it.
    severity: Severity,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    controls: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    kind: &'static str,
    level: &'static str,
    message: Text,
    locations: [ResultLocation; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    properties: SuppressionProperties,
}

#[derive(Serialize)]
struct SuppressionProperties {
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<String>,
}

#[derive(Serialize)]
struct ResultProperties {
    verdict: Verdict,
    severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    found: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    controls: BTreeMap<String, Vec<String>>,
    /// Set when a waiver matched but has expired, so the finding fails again.
    #[serde(rename = "expiredWaiver", skip_serializing_if = "Option::is_none")]
    expired_waiver: Option<String>,
}

/// Renders the scan result as a SARIF 2.1.0 log, pretty-printed and ending with a newline.
///
/// `checks` supplies the rule metadata, usually every built-in check. A finding whose check
/// is not among them, such as an input that failed to load, gets a rule built from itself.
/// Results are sorted by file, line and column.
pub fn render_sarif(result: &ScanResult, checks: &[CheckMeta]) -> String {
    let (rules, rule_index) = rules(result, checks);

    let mut reported: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|finding| finding.verdict != Verdict::Pass)
        .collect();
    reported.sort_by(crate::by_location);
    let omitted_results = reported.len().saturating_sub(MAX_RESULTS);
    reported.truncate(MAX_RESULTS);

    let results = reported
        .into_iter()
        .map(|finding| sarif_result(finding, rule_index.get(finding.check_id.as_str())))
        .collect();

    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: &result.tool.name,
                    version: &result.tool.version,
                    semantic_version: &result.tool.version,
                    rules,
                },
            },
            automation_details: AutomationDetails {
                id: format!("{}/validate/", result.tool.name),
            },
            invocations: [Invocation {
                execution_successful: true,
                start_time_utc: result.inputs.started_at.clone(),
            }],
            column_kind: "unicodeCodePoints",
            results,
            properties: RunProperties {
                scanned_paths: &result.inputs.paths,
                commit: result.inputs.commit.as_deref(),
                check_catalog_digest: result.inputs.check_catalog_digest.as_deref(),
                omitted_results,
            },
        }],
    };
    crate::to_pretty_json(&log)
}

/// Builds one rule per check, then one for each check id that only findings name, and
/// returns them with the index of each rule by id.
fn rules<'a>(
    result: &'a ScanResult,
    checks: &'a [CheckMeta],
) -> (Vec<Rule>, BTreeMap<&'a str, usize>) {
    let mut rules: Vec<Rule> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();

    let mut sorted: Vec<&CheckMeta> = checks.iter().collect();
    sorted.sort_by_key(|meta| meta.id);
    for meta in sorted {
        if index.contains_key(meta.id) {
            continue;
        }
        index.insert(meta.id, rules.len());
        rules.push(check_rule(meta));
    }

    let mut undeclared: BTreeSet<&str> = BTreeSet::new();
    for finding in &result.findings {
        if finding.verdict != Verdict::Pass && !index.contains_key(finding.check_id.as_str()) {
            undeclared.insert(&finding.check_id);
        }
    }
    for id in undeclared {
        let Some(finding) = result
            .findings
            .iter()
            .find(|finding| finding.check_id == id)
        else {
            continue;
        };
        index.insert(id, rules.len());
        rules.push(finding_rule(finding));
    }
    (rules, index)
}

fn check_rule(meta: &CheckMeta) -> Rule {
    let controls = nexafi_compliance::controls_for(meta.categories, meta.extra_controls);
    let mut tags = vec!["security".to_owned(), "compliance".to_owned()];
    tags.extend(
        meta.categories
            .iter()
            .map(|category| (*category).to_owned()),
    );
    tags.truncate(MAX_TAGS);

    Rule {
        id: meta.id.to_owned(),
        name: meta.slug.to_owned(),
        short_description: Text {
            text: meta.title.to_owned(),
        },
        full_description: Text {
            text: meta.docs.what.trim().to_owned(),
        },
        help_uri: meta.references.first().map(|uri| (*uri).to_owned()),
        help: Help {
            text: help_text(meta),
            markdown: help_markdown(meta, &controls),
        },
        default_configuration: Configuration {
            level: level(meta.severity),
        },
        properties: RuleProperties {
            tags,
            precision: "high",
            problem_severity: problem_severity(meta.severity),
            security_severity: security_severity(meta.severity),
            severity: meta.severity,
            controls,
            aliases: meta
                .aliases
                .iter()
                .map(|alias| (*alias).to_owned())
                .collect(),
        },
    }
}

/// Builds a rule for a finding that no check declares, such as an input that failed to
/// load, from the finding's own title and severity.
fn finding_rule(finding: &Finding) -> Rule {
    let text = format!(
        "{}. nexafi reports this when it cannot read or resolve an input; the message names the file and the fix.",
        finding.title
    );
    Rule {
        id: finding.check_id.clone(),
        name: finding.check_id.to_ascii_lowercase(),
        short_description: Text {
            text: finding.title.clone(),
        },
        full_description: Text { text: text.clone() },
        help_uri: None,
        help: Help {
            markdown: text.clone(),
            text,
        },
        default_configuration: Configuration {
            level: level(finding.severity),
        },
        properties: RuleProperties {
            tags: vec!["security".to_owned(), "input".to_owned()],
            precision: "high",
            problem_severity: problem_severity(finding.severity),
            security_severity: security_severity(finding.severity),
            severity: finding.severity,
            controls: BTreeMap::new(),
            aliases: Vec::new(),
        },
    }
}

fn help_text(meta: &CheckMeta) -> String {
    let docs = &meta.docs;
    let mut text = format!(
        "{}\n\nWhat it checks\n{}\n\nWhy it matters\n{}\n\nHow to fix\n{}",
        meta.title,
        docs.what.trim(),
        docs.why.trim(),
        docs.fix.trim()
    );
    if !docs.limitations.trim().is_empty() {
        text.push_str("\n\nLimitations\n");
        text.push_str(docs.limitations.trim());
    }
    text
}

fn help_markdown(meta: &CheckMeta, controls: &BTreeMap<String, Vec<String>>) -> String {
    let docs = &meta.docs;
    let mut text = format!(
        "**{}** ({}, {})\n\n## What it checks\n\n{}\n\n## Why it matters\n\n{}\n\n## How to fix\n\n{}\n",
        meta.title,
        meta.id,
        meta.severity,
        docs.what.trim(),
        docs.why.trim(),
        docs.fix.trim()
    );
    if !docs.limitations.trim().is_empty() {
        text.push_str("\n## Limitations\n\n");
        text.push_str(docs.limitations.trim());
        text.push('\n');
    }
    if !controls.is_empty() {
        text.push_str("\n## Controls\n\n");
        for (framework, ids) in controls {
            text.push_str(&format!("- {framework}: {}\n", ids.join(", ")));
        }
    }
    if !meta.references.is_empty() {
        text.push_str("\n## References\n\n");
        for reference in meta.references {
            text.push_str(&format!("- <{reference}>\n"));
        }
    }
    text
}

fn sarif_result(finding: &Finding, rule_index: Option<&usize>) -> SarifResult {
    // A waived finding stays a failure in SARIF terms, so viewers show it as suppressed
    // rather than hiding it. An unknown needs a person to review it.
    let (kind, level) = match finding.verdict {
        Verdict::Fail | Verdict::Waived => ("fail", level(finding.severity)),
        Verdict::Error => ("fail", "error"),
        Verdict::Unknown => ("review", "none"),
        Verdict::Pass => ("pass", "none"),
    };

    let suppressions = match (&finding.suppression, finding.verdict) {
        (Some(suppression), Verdict::Waived) if !suppression.expired => {
            vec![sarif_suppression(suppression)]
        }
        _ => Vec::new(),
    };
    let expired_waiver = finding
        .suppression
        .as_ref()
        .filter(|suppression| suppression.expired)
        .map(|suppression| {
            format!(
                "{} expired on {}",
                declaration(suppression),
                suppression.expires.as_deref().unwrap_or("an unknown day")
            )
        });

    let mut message = finding.message.clone();
    if let Some(attribute) = &finding.attribute {
        message.push_str(&format!(" (attribute `{attribute}`"));
        if let Some(found) = &finding.found {
            message.push_str(&format!(", found `{found}`"));
        }
        message.push(')');
    }

    let logical_locations = if finding.resource.is_empty() {
        Vec::new()
    } else {
        vec![LogicalLocation {
            fully_qualified_name: finding.resource.clone(),
            kind: "resource",
        }]
    };

    SarifResult {
        rule_id: finding.check_id.clone(),
        rule_index: rule_index.copied().unwrap_or_default(),
        kind,
        level,
        message: Text { text: message },
        locations: [ResultLocation {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(&finding.file),
                region: region(finding),
            },
            logical_locations,
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.fingerprint.clone())]),
        suppressions,
        properties: ResultProperties {
            verdict: finding.verdict,
            severity: finding.severity,
            attribute: finding.attribute.clone(),
            expected: finding.expected.clone(),
            found: finding.found.clone(),
            controls: finding.controls.clone(),
            expired_waiver,
        },
    }
}

fn sarif_suppression(suppression: &Suppression) -> SarifSuppression {
    // SARIF calls a suppression declared in the scanned file "inSource" and one kept
    // anywhere else, such as nexafi.toml or a baseline, "external".
    let kind = match suppression.kind {
        SuppressionKind::Inline => "inSource",
        SuppressionKind::Waiver | SuppressionKind::Baseline => "external",
    };
    SarifSuppression {
        kind,
        status: "accepted",
        justification: suppression.reason.clone(),
        properties: SuppressionProperties {
            source: declaration(suppression),
            owner: suppression.owner.clone(),
            expires: suppression.expires.clone(),
            ticket: suppression.ticket.clone(),
        },
    }
}

/// Names where a suppression was declared: `nexafi.toml:12`.
fn declaration(suppression: &Suppression) -> String {
    if suppression.line == 0 {
        suppression.file.clone()
    } else {
        format!("{}:{}", suppression.file, suppression.line)
    }
}

/// SARIF regions are 1-based and an end column points one past the last character, which
/// is how findings store them. A finding without a position points at the file's start.
fn region(finding: &Finding) -> Region {
    let start_line = finding.line.max(1);
    let start_column = finding.column.max(1);
    let end_line = finding.end_line.max(start_line);
    let mut end_column = finding.end_column.max(1);
    if end_line == start_line && end_column < start_column {
        end_column = start_column;
    }
    Region {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

/// Turns a finding's path into a URI. A relative path is resolved against the repository
/// root, which is what GitHub code scanning expects; an absolute path becomes a `file` URI.
///
/// NOTE: finding paths are relative to the working directory of `nexafi validate`, so the
/// URIs match the repository only when nexafi runs from the repository root.
fn artifact_location(path: &str) -> ArtifactLocation {
    let normalized = path.replace('\\', "/");
    let mut relative = normalized.as_str();
    while let Some(rest) = relative.strip_prefix("./") {
        relative = rest;
    }
    if relative.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", percent_encode(relative)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: percent_encode(relative),
            uri_base_id: Some(SOURCE_ROOT),
        }
    }
}

/// Percent-encodes every byte that may not appear literally in a URI path (RFC 3986),
/// keeping `/` as the separator.
fn percent_encode(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'/' | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Returns the severity GitHub shows for rules that are not security rules.
fn problem_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "recommendation",
    }
}

/// Returns a CVSS-like score as a string. GitHub shows 9.0 and above as critical, 7.0 to 8.9 as
/// high, 4.0 to 6.9 as medium and 0.1 to 3.9 as low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_uses_source_root() {
        let location = artifact_location("./infra/main.tf");
        assert_eq!(location.uri, "infra/main.tf");
        assert_eq!(location.uri_base_id, Some(SOURCE_ROOT));
    }

    #[test]
    fn absolute_path_becomes_file_uri() {
        let location = artifact_location("/srv/repo/main.tf");
        assert_eq!(location.uri, "file:///srv/repo/main.tf");
        assert_eq!(location.uri_base_id, None);
    }

    #[test]
    fn uri_encodes_spaces_and_percent() {
        assert_eq!(percent_encode("a b/100%.tf"), "a%20b/100%25.tf");
        assert_eq!(percent_encode("ü.tf"), "%C3%BC.tf");
    }

    #[test]
    fn severity_scores_match_github_bands() {
        for (severity, low, high) in [
            (Severity::Critical, 9.0, 10.0),
            (Severity::High, 7.0, 8.9),
            (Severity::Medium, 4.0, 6.9),
            (Severity::Low, 0.1, 3.9),
        ] {
            let score: f64 = security_severity(severity).parse().unwrap_or(-1.0);
            assert!(score >= low, "{severity}: {score}");
            assert!(score <= high, "{severity}: {score}");
        }
    }
}
