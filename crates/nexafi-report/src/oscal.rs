//! The OSCAL 1.1.2 assessment-results report, for auditors' GRC tools.
//!
//! The document has one result. Its reviewed controls are every control of the reported
//! frameworks. Each finding of the scan becomes an observation (the evidence: check,
//! resource, file and line), and each control becomes an OSCAL finding whose target status
//! is `satisfied` or `not-satisfied`, with links to the observations behind it.
//!
//! OSCAL requires `import-ap`, a reference to the assessment plan. nexafi has no separate
//! plan document: the plan is the rule set, so `import-ap` points at a back-matter
//! resource that names the tool version, the check catalog digest and the frameworks.
//!
//! OSCAL control ids are tokens (a letter or `_` first, then letters, digits, `.`, `-`
//! and `_`), while framework ids such as PCI DSS `3.5.1` or GDPR `32(1)(a)` are not. Each
//! control is therefore written as `<framework>-<id>` with parentheses turned into dots
//! (`gdpr-32.1.a`), and the framework's own id is kept in a `control-id` property.
//!
//! UUIDs are version 5 (name-based), derived from the scan's start time, commit, paths and
//! rule set, so rendering one scan twice gives the same document.

use std::collections::BTreeMap;

use nexafi_model::{
    Attestation, ControlResult, ControlStatus, Finding, FrameworkResult, ScanResult,
};
use serde::Serialize;
use uuid::Uuid;

/// OSCAL release whose assessment-results schema the output follows.
pub const OSCAL_VERSION: &str = "1.1.2";
/// Namespace of the properties nexafi defines; OSCAL requires one for names outside its own.
const NAMESPACE: &str = "urn:nexafi:oscal";

#[derive(Serialize)]
struct Document {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResults {
    uuid: String,
    metadata: Metadata,
    import_ap: ImportAp,
    results: Vec<AssessmentResult>,
    back_matter: BackMatter,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    title: String,
    last_modified: String,
    version: String,
    oscal_version: &'static str,
    props: Vec<Prop>,
    remarks: String,
}

#[derive(Serialize)]
struct ImportAp {
    href: String,
    remarks: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResult {
    uuid: String,
    title: String,
    description: String,
    start: String,
    props: Vec<Prop>,
    reviewed_controls: ReviewedControls,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    observations: Vec<Observation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<OscalFinding>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReviewedControls {
    description: String,
    control_selections: Vec<ControlSelection>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlSelection {
    description: String,
    props: Vec<Prop>,
    include_controls: Vec<SelectedControl>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SelectedControl {
    control_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Observation {
    uuid: String,
    title: String,
    description: String,
    props: Vec<Prop>,
    methods: [&'static str; 1],
    types: [&'static str; 1],
    relevant_evidence: [Evidence; 1],
    collected: String,
}

#[derive(Serialize)]
struct Evidence {
    href: String,
    description: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct OscalFinding {
    uuid: String,
    title: String,
    description: String,
    props: Vec<Prop>,
    links: Vec<Link>,
    target: Target,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<RelatedObservation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Target {
    #[serde(rename = "type")]
    kind: &'static str,
    target_id: String,
    status: ObjectiveStatus,
}

#[derive(Serialize)]
struct ObjectiveStatus {
    state: &'static str,
    reason: &'static str,
    remarks: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RelatedObservation {
    observation_uuid: String,
}

#[derive(Serialize)]
struct BackMatter {
    resources: Vec<Resource>,
}

#[derive(Serialize)]
struct Resource {
    uuid: String,
    title: String,
    description: String,
    props: Vec<Prop>,
}

#[derive(Serialize)]
struct Link {
    href: String,
    rel: &'static str,
}

#[derive(Serialize)]
struct Prop {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ns: Option<&'static str>,
    value: String,
}

impl Prop {
    /// Creates a property that nexafi defines, in its own namespace.
    fn own(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            ns: Some(NAMESPACE),
            value: value.into(),
        }
    }
}

/// Makes the deterministic UUIDs of one document.
struct Uuids {
    namespace: Uuid,
}

impl Uuids {
    fn new(result: &ScanResult) -> Self {
        let inputs = &result.inputs;
        let seed = format!(
            "{}\0{}\0{}\0{}\0{}",
            inputs.started_at.as_deref().unwrap_or(""),
            inputs.commit.as_deref().unwrap_or(""),
            inputs.paths.join("\0"),
            inputs.check_catalog_digest.as_deref().unwrap_or(""),
            result.tool.version,
        );
        let base = Uuid::new_v5(&Uuid::NAMESPACE_URL, NAMESPACE.as_bytes());
        Self {
            namespace: Uuid::new_v5(&base, seed.as_bytes()),
        }
    }

    fn make(&self, name: &str) -> String {
        Uuid::new_v5(&self.namespace, name.as_bytes())
            .hyphenated()
            .to_string()
    }
}

/// Renders the scan result as an OSCAL assessment-results document, pretty-printed JSON
/// ending with a newline.
///
/// OSCAL requires a timestamp on the document, the result and each observation: they all
/// get the scan's start time, or the current time when the scan has none.
pub fn render_oscal(result: &ScanResult) -> String {
    let uuids = Uuids::new(result);
    let start = result.inputs.started_at.clone().unwrap_or_else(|| {
        jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or_else(|_| jiff::Timestamp::now())
            .to_string()
    });
    let plan_uuid = uuids.make("plan");
    let framework_uuids: BTreeMap<&str, String> = result
        .frameworks
        .iter()
        .map(|framework| {
            (
                framework.id.as_str(),
                uuids.make(&format!("framework\0{}", framework.id)),
            )
        })
        .collect();

    let mut findings: Vec<&Finding> = result.findings.iter().collect();
    findings.sort_by(crate::by_location);
    let observations: Vec<(&Finding, Observation)> = findings
        .into_iter()
        .enumerate()
        .map(|(position, finding)| (finding, observation(finding, position, &uuids, &start)))
        .collect();

    let mut control_findings = Vec::new();
    for framework in &result.frameworks {
        let catalog_uuid = framework_uuids
            .get(framework.id.as_str())
            .cloned()
            .unwrap_or_default();
        for control in &framework.controls {
            control_findings.push(control_finding(
                framework,
                control,
                &observations,
                &catalog_uuid,
                &uuids,
            ));
        }
    }

    let document = Document {
        assessment_results: AssessmentResults {
            uuid: uuids.make("assessment-results"),
            metadata: metadata(result, &start),
            import_ap: ImportAp {
                href: format!("#{plan_uuid}"),
                remarks: "nexafi has no separate assessment plan: the plan is its rule set, described by the back-matter resource this points at.".to_owned(),
            },
            results: vec![AssessmentResult {
                uuid: uuids.make("result"),
                title: format!("{} validate", result.tool.name),
                description: format!(
                    "Automated checks of infrastructure code in {}: {} files, {} resources, {} checks.",
                    result.inputs.paths.join(", "),
                    result.inputs.files,
                    result.inputs.resources,
                    result.inputs.checks
                ),
                start: start.clone(),
                props: summary_props(result),
                reviewed_controls: reviewed_controls(result, &framework_uuids),
                observations: observations
                    .into_iter()
                    .map(|(_, observation)| observation)
                    .collect(),
                findings: control_findings,
            }],
            back_matter: BackMatter {
                resources: back_matter(result, &plan_uuid, &framework_uuids),
            },
        },
    };
    crate::to_pretty_json(&document)
}

fn metadata(result: &ScanResult, start: &str) -> Metadata {
    let mut props = vec![
        Prop::own(
            "tool",
            format!("{} {}", result.tool.name, result.tool.version),
        ),
        Prop::own("scanned-paths", result.inputs.paths.join(", ")),
    ];
    if let Some(commit) = &result.inputs.commit {
        props.push(Prop::own("commit", commit.clone()));
    }
    if let Some(digest) = &result.inputs.check_catalog_digest {
        props.push(Prop::own("check-catalog-digest", digest.clone()));
    }
    Metadata {
        title: format!(
            "Compliance assessment of infrastructure code by {}",
            result.tool.name
        ),
        last_modified: start.to_owned(),
        version: result.tool.version.clone(),
        oscal_version: OSCAL_VERSION,
        props,
        remarks: "Generated by nexafi validate. A satisfied control means every automated check behind it passed or was waived; it is technical evidence only, and most controls also need process evidence.".to_owned(),
    }
}

fn summary_props(result: &ScanResult) -> Vec<Prop> {
    let summary = &result.summary;
    vec![
        Prop::own("pass", summary.pass.to_string()),
        Prop::own("fail", summary.fail.to_string()),
        Prop::own("unknown", summary.unknown.to_string()),
        Prop::own("waived", summary.waived.to_string()),
        Prop::own("error", summary.error.to_string()),
    ]
}

fn reviewed_controls(
    result: &ScanResult,
    framework_uuids: &BTreeMap<&str, String>,
) -> ReviewedControls {
    let control_selections = result
        .frameworks
        .iter()
        .filter(|framework| !framework.controls.is_empty())
        .map(|framework| {
            let mut props = vec![Prop::own("framework", framework.id.clone())];
            if let Some(uuid) = framework_uuids.get(framework.id.as_str()) {
                props.push(Prop::own("catalog-resource", uuid.clone()));
            }
            ControlSelection {
                description: format!("{} {}", framework.name, framework.version),
                props,
                include_controls: framework
                    .controls
                    .iter()
                    .map(|control| SelectedControl {
                        control_id: control_token(&framework.id, &control.id),
                    })
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    let control_selections = if control_selections.is_empty() {
        // The schema needs at least one selection. With no framework there is nothing to
        // list, and an empty include list shows that.
        vec![ControlSelection {
            description: "No framework was selected.".to_owned(),
            props: Vec::new(),
            include_controls: Vec::new(),
        }]
    } else {
        control_selections
    };
    ReviewedControls {
        description: "Every control of the reported frameworks, including the manual ones that need evidence outside the code.".to_owned(),
        control_selections,
    }
}

fn observation(finding: &Finding, position: usize, uuids: &Uuids, start: &str) -> Observation {
    let mut props = vec![
        Prop::own("check-id", finding.check_id.clone()),
        Prop::own("verdict", finding.verdict.as_str()),
        Prop::own("severity", finding.severity.as_str()),
        Prop::own("fingerprint", finding.fingerprint.clone()),
    ];
    if !finding.resource.is_empty() {
        props.push(Prop::own("resource", finding.resource.clone()));
    }
    if let Some(attribute) = &finding.attribute {
        props.push(Prop::own("attribute", attribute.clone()));
    }
    if let Some(suppression) = &finding.suppression {
        props.push(Prop::own("waiver-reason", suppression.reason.clone()));
        if let Some(expires) = &suppression.expires {
            props.push(Prop::own("waiver-expires", expires.clone()));
        }
        if suppression.expired {
            props.push(Prop::own("waiver-expired", "true"));
        }
    }

    let mut description = finding.message.clone();
    if let Some(expected) = &finding.expected {
        description.push_str(&format!(" Expected: {expected}."));
    }
    if let Some(found) = &finding.found {
        description.push_str(&format!(" Found: {found}."));
    }

    // The position keeps two findings with one fingerprint (one per container, say) apart.
    let name = format!("observation\0{}\0{position}", finding.fingerprint);
    Observation {
        uuid: uuids.make(&name),
        title: format!("{} on {}", finding.check_id, subject(finding)),
        description,
        props,
        methods: ["TEST"],
        types: ["finding"],
        relevant_evidence: [Evidence {
            href: evidence_href(finding),
            description: format!(
                "{} at line {}, column {}",
                finding.file, finding.line, finding.column
            ),
        }],
        collected: start.to_owned(),
    }
}

/// Returns the resource address, or the file for a finding about a whole input.
fn subject(finding: &Finding) -> &str {
    if finding.resource.is_empty() {
        &finding.file
    } else {
        &finding.resource
    }
}

/// Returns a relative URI reference to the file and line, in the `#L<line>` form code hosts use.
fn evidence_href(finding: &Finding) -> String {
    let mut path = finding.file.replace('\\', "/");
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_owned();
    }
    let encoded: String = path
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'-' | b'.' | b'_' | b'~') {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    format!("{encoded}#L{}", finding.line)
}

fn control_finding(
    framework: &FrameworkResult,
    control: &ControlResult,
    observations: &[(&Finding, Observation)],
    catalog_uuid: &str,
    uuids: &Uuids,
) -> OscalFinding {
    let token = control_token(&framework.id, &control.id);
    let related_observations = observations
        .iter()
        .filter(|(finding, _)| {
            finding
                .controls
                .get(&framework.id)
                .is_some_and(|ids| ids.contains(&control.id))
        })
        .map(|(_, observation)| RelatedObservation {
            observation_uuid: observation.uuid.clone(),
        })
        .collect();
    let (state, reason, status_remarks) = target_status(control);

    let mut props = vec![
        Prop::own("framework", framework.id.clone()),
        Prop::own("control-id", control.id.clone()),
        Prop::own("status", control.status.as_str()),
    ];
    if !control.checks.is_empty() {
        props.push(Prop::own("checks", control.checks.join(" ")));
    }
    let remarks = control.attestation.as_ref().map(attestation_remarks);

    OscalFinding {
        uuid: uuids.make(&format!("finding\0{}\0{}", framework.id, control.id)),
        title: format!(
            "{} {}: {}",
            framework_label(framework),
            control.id,
            control.title
        ),
        description: format!(
            "{} pass, {} fail, {} unknown and {} waived results from {} check(s).",
            control.pass,
            control.fail,
            control.unknown,
            control.waived,
            control.checks.len()
        ),
        props,
        links: vec![Link {
            href: format!("#{catalog_uuid}"),
            rel: "reference",
        }],
        target: Target {
            kind: "objective-id",
            target_id: token,
            status: ObjectiveStatus {
                state,
                reason,
                remarks: status_remarks,
            },
        },
        related_observations,
        remarks,
    }
}

/// Maps a control status to OSCAL's two states and a reason. Only evidence that decides a
/// control makes it satisfied: a current attestation does for a manual control, while
/// unknown results and missing or overdue attestations leave it not satisfied.
fn target_status(control: &ControlResult) -> (&'static str, &'static str, String) {
    match (control.status, &control.attestation) {
        (ControlStatus::Satisfied, _) => (
            "satisfied",
            "pass",
            "Every automated check behind the control passed or was waived.".to_owned(),
        ),
        (ControlStatus::NotSatisfied, _) => (
            "not-satisfied",
            "fail",
            "At least one automated check behind the control failed.".to_owned(),
        ),
        (ControlStatus::NotAssessed, _) => (
            "not-satisfied",
            "other",
            "Not assessed: no check behind the control could be decided offline.".to_owned(),
        ),
        (ControlStatus::Manual, Some(attestation)) if !attestation.overdue => (
            "satisfied",
            "other",
            format!(
                "Manual control attested by {} on {}; next review due {}.",
                attestation.owner, attestation.date, attestation.due
            ),
        ),
        (ControlStatus::Manual, Some(attestation)) => (
            "not-satisfied",
            "other",
            format!(
                "Manual control whose attestation by {} was due for review on {}.",
                attestation.owner, attestation.due
            ),
        ),
        (ControlStatus::Manual, None) => (
            "not-satisfied",
            "other",
            "Manual control without attestation: it needs process or people evidence.".to_owned(),
        ),
    }
}

fn attestation_remarks(attestation: &Attestation) -> String {
    format!(
        "Evidence: {}. Owner: {}. Attested on {}, reviewed every {} days, next review due {}{}.",
        attestation.evidence,
        attestation.owner,
        attestation.date,
        attestation.review_interval_days,
        attestation.due,
        if attestation.overdue {
            " (overdue)"
        } else {
            ""
        }
    )
}

fn framework_label(framework: &FrameworkResult) -> String {
    format!("{} {}", framework.name, framework.version)
}

fn back_matter(
    result: &ScanResult,
    plan_uuid: &str,
    framework_uuids: &BTreeMap<&str, String>,
) -> Vec<Resource> {
    let mut plan_props = vec![Prop::own(
        "tool",
        format!("{} {}", result.tool.name, result.tool.version),
    )];
    if let Some(digest) = &result.inputs.check_catalog_digest {
        plan_props.push(Prop::own("check-catalog-digest", digest.clone()));
    }
    if let Some(threshold) = result.inputs.severity_threshold {
        plan_props.push(Prop::own("severity-threshold", threshold.as_str()));
    }
    let framework_ids: Vec<&str> = result
        .frameworks
        .iter()
        .map(|framework| framework.id.as_str())
        .collect();
    let mut resources = vec![Resource {
        uuid: plan_uuid.to_owned(),
        title: "Automated assessment plan".to_owned(),
        description: format!(
            "The {} built-in checks of {} {}, evaluated offline against the scanned infrastructure code and mapped to the controls of {}.",
            result.inputs.checks,
            result.tool.name,
            result.tool.version,
            if framework_ids.is_empty() {
                "no framework".to_owned()
            } else {
                framework_ids.join(", ")
            }
        ),
        props: plan_props,
    }];
    for framework in &result.frameworks {
        let Some(uuid) = framework_uuids.get(framework.id.as_str()) else {
            continue;
        };
        resources.push(Resource {
            uuid: uuid.clone(),
            title: framework_label(framework),
            description: format!(
                "Control catalog of {}. Control ids in this document are written {}-<control id> with parentheses turned into dots; the control-id property keeps the framework's own id.",
                framework.name, framework.id
            ),
            props: vec![Prop::own("framework", framework.id.clone())],
        });
    }
    resources
}

/// Writes a framework's control id as an OSCAL token: `pci_dss-3.5.1`,
/// `gdpr-32.1.a` for `32(1)(a)`. Characters a token cannot hold become `-`.
pub(crate) fn control_token(framework: &str, control: &str) -> String {
    let mut token = String::with_capacity(framework.len() + control.len() + 1);
    for character in framework.chars() {
        token.push(token_char(character));
    }
    token.push('-');
    let mut previous_dot = false;
    for character in control.chars() {
        let mapped = match character {
            '(' => '.',
            ')' => continue,
            other => token_char(other),
        };
        // A `.` before `(`, as in `1.(a)`, would otherwise give `1..a`.
        if mapped == '.' && previous_dot {
            continue;
        }
        previous_dot = mapped == '.';
        token.push(mapped);
    }
    token
}

fn token_char(character: char) -> char {
    if character.is_alphanumeric() || matches!(character, '.' | '-' | '_') {
        character
    } else {
        '-'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_token_of_dotted_id() {
        assert_eq!(control_token("pci_dss", "3.5.1"), "pci_dss-3.5.1");
        assert_eq!(control_token("soc2", "CC6.1"), "soc2-CC6.1");
    }

    #[test]
    fn control_token_of_parenthesised_id() {
        assert_eq!(control_token("gdpr", "32(1)(a)"), "gdpr-32.1.a");
        assert_eq!(control_token("glba", "314.4(c)(3)"), "glba-314.4.c.3");
    }

    #[test]
    fn control_token_replaces_spaces() {
        assert_eq!(control_token("ffiec", "IS II.C"), "ffiec-IS-II.C");
    }
}
