//! Control status and scores per framework, from the findings of a scan.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use nexafi_model::{
    Attestation, CheckMeta, ControlResult, ControlStatus, Finding, FrameworkResult, Verdict,
};

use crate::catalog::{Catalog, Framework, catalog};

/// Evaluates every control of each framework against the embedded catalog. See
/// [`Catalog::evaluate`].
pub fn evaluate(
    frameworks: &[&str],
    checks: &[CheckMeta],
    findings: &[Finding],
) -> Vec<FrameworkResult> {
    catalog().evaluate(frameworks, checks, findings)
}

/// Evaluates every control of each framework against the embedded catalog and attaches
/// the attestations of manual controls. See [`Catalog::evaluate_attested`].
pub fn evaluate_attested(
    frameworks: &[&str],
    checks: &[CheckMeta],
    findings: &[Finding],
    attestations: &[ControlAttestation],
) -> Vec<FrameworkResult> {
    catalog().evaluate_attested(frameworks, checks, findings, attestations)
}

/// An attestation of one control, as `nexafi.toml` declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlAttestation {
    /// Framework id (not an alias).
    pub framework: String,
    pub control: String,
    pub attestation: Attestation,
}

/// Findings of one check, counted per verdict.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    pass: usize,
    fail: usize,
    unknown: usize,
    waived: usize,
    /// Inputs that failed to load: what they hold was never checked.
    unloaded: usize,
}

impl Tally {
    fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.pass += 1,
            // An error from a check means it could not prove anything, so it counts
            // against the control like a failure.
            Verdict::Fail | Verdict::Error => self.fail += 1,
            Verdict::Unknown => self.unknown += 1,
            Verdict::Waived => self.waived += 1,
        }
    }

    fn merge(&mut self, other: Tally) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.unknown += other.unknown;
        self.waived += other.waived;
    }

    fn status(self) -> ControlStatus {
        if self.fail > 0 {
            ControlStatus::NotSatisfied
        } else if self.unloaded > 0 || self.unknown > 0 {
            // Satisfied means every result passed: one undecided result leaves the
            // control unproven, however many others passed.
            ControlStatus::NotAssessed
        } else if self.pass + self.waived > 0 {
            ControlStatus::Satisfied
        } else {
            ControlStatus::Manual
        }
    }
}

impl Catalog {
    /// Evaluates every control of each named framework.
    ///
    /// `frameworks` contains ids or aliases. Unknown names are skipped, so callers resolve
    /// user input with [`Catalog::framework`] first. `checks` are the checks that ran and
    /// `findings` everything they and the loaders reported.
    ///
    /// A control's status comes from the findings of the checks that give it primary
    /// evidence (through their categories or extra controls):
    /// - `not_satisfied` when one of them failed or errored;
    /// - otherwise `not_assessed` when one of them was unknown or an input failed to load
    ///   (see below), because the control is then not proven;
    /// - otherwise `satisfied` when one of them passed or was waived;
    /// - otherwise `manual`: no check that ran applied, so the evidence has to come from
    ///   process or people. Controls with only supporting evidence are always manual.
    ///
    /// An error finding that none of `checks` produced is an input that failed to load
    /// (the engine's `NXF-LOAD-ERROR`). Nothing in that input was proven, and any control
    /// could depend on it, so no control that some check in `checks` gives primary evidence
    /// for can be satisfied: those without a failure become `not_assessed`. A failure found
    /// elsewhere still makes its control `not_satisfied`, and controls without such a check
    /// stay manual. The scan itself fails on any load error, whatever the statuses.
    pub fn evaluate(
        &self,
        frameworks: &[&str],
        checks: &[CheckMeta],
        findings: &[Finding],
    ) -> Vec<FrameworkResult> {
        let ran: HashSet<&str> = checks.iter().map(|check| check.id).collect();
        let mut tallies: HashMap<&str, Tally> = HashMap::new();
        let mut input_errors = 0;
        for finding in findings {
            let check_id = finding.check_id.as_str();
            if ran.contains(check_id) {
                tallies.entry(check_id).or_default().add(finding.verdict);
            } else if finding.verdict == Verdict::Error {
                input_errors += 1;
            }
        }

        // (framework id, control id) to the ids of the checks giving primary evidence.
        let mut evidence: HashMap<(String, String), BTreeSet<&str>> = HashMap::new();
        for check in checks {
            for (framework, controls) in self.controls_for(check.categories, check.extra_controls) {
                for control in controls {
                    evidence
                        .entry((framework.clone(), control))
                        .or_default()
                        .insert(check.id);
                }
            }
        }

        let mut seen = HashSet::new();
        frameworks
            .iter()
            .filter_map(|name| self.framework(name).ok())
            .filter(|framework| seen.insert(framework.id.as_str()))
            .map(|framework| {
                let context = Context {
                    evidence: &evidence,
                    tallies: &tallies,
                    input_errors,
                };
                evaluate_framework(framework, &context)
            })
            .collect()
    }

    /// Evaluates like [`Catalog::evaluate`], then attaches each attestation to its
    /// control when that control's status is `manual`.
    ///
    /// An attestation changes no status, score or coverage: those measure what the
    /// scanned code proves, and an attestation is a person's statement about process.
    /// Reports list attested controls, and overdue ones, beside the scores. Attestations
    /// of frameworks not evaluated, or of controls with another status, are ignored;
    /// callers validate them with [`Catalog::primary_checks`] first.
    pub fn evaluate_attested(
        &self,
        frameworks: &[&str],
        checks: &[CheckMeta],
        findings: &[Finding],
        attestations: &[ControlAttestation],
    ) -> Vec<FrameworkResult> {
        let mut results = self.evaluate(frameworks, checks, findings);
        for result in &mut results {
            for control in &mut result.controls {
                if control.status != ControlStatus::Manual {
                    continue;
                }
                control.attestation = attestations
                    .iter()
                    .find(|entry| entry.framework == result.id && entry.control == control.id)
                    .map(|entry| entry.attestation.clone());
            }
        }
        results
    }

    /// Returns the ids of the checks among `checks` that give primary evidence for a
    /// control, through their categories or extra controls. A control without any is
    /// manual in every scan.
    pub fn primary_checks(
        &self,
        framework: &str,
        control: &str,
        checks: &[CheckMeta],
    ) -> Vec<&'static str> {
        checks
            .iter()
            .filter(|check| {
                self.controls_for(check.categories, check.extra_controls)
                    .get(framework)
                    .is_some_and(|controls| controls.iter().any(|id| id == control))
            })
            .map(|check| check.id)
            .collect()
    }
}

/// The evidence of a scan that every control is evaluated against.
struct Context<'a> {
    evidence: &'a HashMap<(String, String), BTreeSet<&'a str>>,
    tallies: &'a HashMap<&'a str, Tally>,
    input_errors: usize,
}

fn evaluate_framework(framework: &Framework, context: &Context<'_>) -> FrameworkResult {
    let controls: Vec<ControlResult> = framework
        .controls
        .iter()
        .map(|control| {
            let key = (framework.id.clone(), control.id.clone());
            let checks: Vec<&str> = context
                .evidence
                .get(&key)
                .map(|checks| checks.iter().copied().collect())
                .unwrap_or_default();

            let mut tally = Tally::default();
            for check in &checks {
                if let Some(check_tally) = context.tallies.get(check) {
                    tally.merge(*check_tally);
                }
            }
            if !checks.is_empty() {
                tally.unloaded = context.input_errors;
            }

            ControlResult {
                id: control.id.clone(),
                title: control.title.clone(),
                status: tally.status(),
                checks: checks.iter().map(|check| (*check).to_owned()).collect(),
                pass: tally.pass,
                fail: tally.fail,
                unknown: tally.unknown,
                waived: tally.waived,
                attestation: None,
            }
        })
        .collect();

    let mut counts: BTreeMap<ControlStatus, usize> = BTreeMap::new();
    for control in &controls {
        *counts.entry(control.status).or_default() += 1;
    }
    let count = |status| counts.get(&status).copied().unwrap_or(0);
    let satisfied = count(ControlStatus::Satisfied);
    let not_satisfied = count(ControlStatus::NotSatisfied);
    let not_assessed = count(ControlStatus::NotAssessed);
    let manual = count(ControlStatus::Manual);

    FrameworkResult {
        id: framework.id.clone(),
        name: framework.name.clone(),
        version: framework.version.clone(),
        score: score(satisfied, not_satisfied),
        coverage: coverage(controls.len(), manual),
        satisfied,
        not_satisfied,
        not_assessed,
        manual,
        controls,
    }
}

/// Computes satisfied controls as a percentage of decided ones, rounded to two
/// decimals, or `None` when no control was decided.
fn score(satisfied: usize, not_satisfied: usize) -> Option<f64> {
    let decided = satisfied + not_satisfied;
    (decided > 0).then(|| percent(satisfied, decided))
}

/// Computes controls with automated evidence as a percentage of all controls, rounded
/// to two decimals. A framework without controls has a coverage of 0.
fn coverage(total: usize, manual: usize) -> f64 {
    if total == 0 {
        return 0.0;
    }
    percent(total - manual, total)
}

/// Rounds to two decimals so that reports show stable, short numbers (`66.67`).
fn percent(part: usize, whole: usize) -> f64 {
    // Control counts are far below 2^52, so the conversions are exact.
    #[allow(clippy::cast_precision_loss)]
    let ratio = part as f64 / whole as f64;
    (ratio * 10_000.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use nexafi_model::{CheckDocs, CheckStatus, InputKind, Severity};

    use super::*;

    /// Two frameworks: `pci_dss` with a control for each status path and `soc2` with one
    /// control, joined by two categories.
    fn test_catalog() -> Catalog {
        let mut text = String::from("schema_version: 1\nframeworks:\n");
        for id in crate::catalog::FRAMEWORK_IDS {
            text.push_str(&format!(
                "  {id}:\n    name: {id} name\n    version: '1'\n    controls:\n"
            ));
            match id {
                "pci_dss" => text.push_str(
                    "    - id: '1.1'\n      title: Encrypt\n      evidenced_by:\n        primary: [enc]\n\
                     \x20   - id: '1.2'\n      title: Log\n      evidenced_by:\n        primary: [log]\n\
                     \x20   - id: '1.3'\n      title: Process only\n\
                     \x20   - id: '1.4'\n      title: Supported only\n      evidenced_by:\n        supporting: [enc]\n",
                ),
                "soc2" => text.push_str(
                    "    - id: CC6.1\n      title: Access\n      evidenced_by:\n        primary: [enc, log]\n",
                ),
                _ => text.push_str("    - id: X\n      title: Other\n"),
            }
        }
        text.push_str(
            "categories:\n\
             - id: enc\n  title: Encryption\n  verifies: volumes\n  controls: ['pci_dss:1.1', 'soc2:CC6.1']\n  supporting: ['pci_dss:1.4']\n\
             - id: log\n  title: Logging\n  verifies: trails\n  controls: ['pci_dss:1.2', 'soc2:CC6.1']\n",
        );
        match Catalog::from_yaml("test.yaml", &text) {
            Ok(catalog) => catalog,
            Err(error) => panic!("{error}"),
        }
    }

    fn check(id: &'static str, categories: &'static [&'static str]) -> CheckMeta {
        CheckMeta {
            id,
            slug: "test-check",
            title: "Test check",
            severity: Severity::High,
            input: InputKind::Terraform,
            kinds: &["aws_s3_bucket"],
            categories,
            extra_controls: &[],
            status: CheckStatus::Stable,
            aliases: &[],
            references: &[],
            docs: CheckDocs {
                what: "",
                why: "",
                fix: "",
                limitations: "",
            },
        }
    }

    fn finding(check_id: &str, verdict: Verdict) -> Finding {
        Finding {
            check_id: check_id.to_owned(),
            title: "Test check".to_owned(),
            severity: Severity::High,
            verdict,
            message: "message".to_owned(),
            categories: Vec::new(),
            controls: BTreeMap::new(),
            file: "main.tf".to_owned(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 2,
            resource: "aws_s3_bucket.b".to_owned(),
            resource_kind: "aws_s3_bucket".to_owned(),
            attribute: None,
            expected: None,
            found: None,
            fingerprint: "0".repeat(32),
            suppression: None,
        }
    }

    fn checks() -> Vec<CheckMeta> {
        vec![check("ENC-1", &["enc"]), check("LOG-1", &["log"])]
    }

    fn control<'a>(results: &'a [FrameworkResult], framework: &str, id: &str) -> &'a ControlResult {
        let found = results
            .iter()
            .find(|result| result.id == framework)
            .and_then(|result| result.controls.iter().find(|control| control.id == id));
        match found {
            Some(control) => control,
            None => panic!("no result for {framework}:{id}"),
        }
    }

    fn status_of(findings: &[Finding], framework: &str, id: &str) -> ControlStatus {
        let results = test_catalog().evaluate(&["pci_dss", "soc2"], &checks(), findings);
        control(&results, framework, id).status
    }

    #[test]
    fn status_satisfied_on_pass() {
        let findings = [finding("ENC-1", Verdict::Pass)];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.1"),
            ControlStatus::Satisfied
        );
    }

    #[test]
    fn status_satisfied_on_waived() {
        let findings = [finding("ENC-1", Verdict::Waived)];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.1"),
            ControlStatus::Satisfied
        );
    }

    #[test]
    fn status_not_satisfied_on_fail() {
        let findings = [
            finding("ENC-1", Verdict::Pass),
            finding("ENC-1", Verdict::Fail),
            finding("ENC-1", Verdict::Unknown),
        ];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.1"),
            ControlStatus::NotSatisfied
        );
    }

    #[test]
    fn status_not_satisfied_on_check_error() {
        let findings = [
            finding("ENC-1", Verdict::Pass),
            finding("ENC-1", Verdict::Error),
        ];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.1"),
            ControlStatus::NotSatisfied
        );
    }

    #[test]
    fn status_not_assessed_on_unknown() {
        let findings = [
            finding("ENC-1", Verdict::Unknown),
            finding("ENC-1", Verdict::Unknown),
        ];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.1"),
            ControlStatus::NotAssessed
        );
    }

    #[test]
    fn status_not_assessed_when_partly_unknown() {
        let findings = [
            finding("ENC-1", Verdict::Unknown),
            finding("ENC-1", Verdict::Pass),
        ];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.1"),
            ControlStatus::NotAssessed
        );
    }

    #[test]
    fn status_manual_without_findings() {
        // ENC-1 ran but found nothing to evaluate.
        let findings = [finding("LOG-1", Verdict::Pass)];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.1"),
            ControlStatus::Manual
        );
    }

    #[test]
    fn status_manual_without_checks() {
        let findings = [finding("ENC-1", Verdict::Fail)];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.3"),
            ControlStatus::Manual
        );
    }

    #[test]
    fn status_manual_with_supporting_only() {
        let findings = [finding("ENC-1", Verdict::Pass)];
        assert_eq!(
            status_of(&findings, "pci_dss", "1.4"),
            ControlStatus::Manual
        );
    }

    #[test]
    fn status_ignores_checks_not_run() {
        // Only LOG-1 ran, so findings of ENC-1 are no evidence for pci_dss 1.1.
        let findings = [finding("ENC-1", Verdict::Fail)];
        let results = test_catalog().evaluate(&["pci_dss"], &[check("LOG-1", &["log"])], &findings);
        let result = control(&results, "pci_dss", "1.1");
        assert_eq!(result.status, ControlStatus::Manual);
        assert!(result.checks.is_empty());
    }

    #[test]
    fn shared_control_fails_on_either() {
        let findings = [
            finding("ENC-1", Verdict::Pass),
            finding("LOG-1", Verdict::Fail),
        ];
        assert_eq!(
            status_of(&findings, "soc2", "CC6.1"),
            ControlStatus::NotSatisfied
        );
        assert_eq!(
            status_of(&findings, "pci_dss", "1.1"),
            ControlStatus::Satisfied
        );
    }

    #[test]
    fn load_error_leaves_controls_unassessed() {
        let findings = [
            finding("ENC-1", Verdict::Pass),
            finding("NXF-LOAD-ERROR", Verdict::Error),
        ];
        let results = test_catalog().evaluate(&["pci_dss"], &checks(), &findings);
        let encrypt = control(&results, "pci_dss", "1.1");
        assert_eq!(encrypt.status, ControlStatus::NotAssessed);
        assert_eq!(encrypt.fail, 0);
        assert_eq!(encrypt.pass, 1);
        let log = control(&results, "pci_dss", "1.2");
        assert_eq!(log.status, ControlStatus::NotAssessed);
    }

    #[test]
    fn load_error_keeps_failures() {
        let findings = [
            finding("ENC-1", Verdict::Fail),
            finding("NXF-LOAD-ERROR", Verdict::Error),
        ];
        let results = test_catalog().evaluate(&["pci_dss"], &checks(), &findings);
        assert_eq!(
            control(&results, "pci_dss", "1.1").status,
            ControlStatus::NotSatisfied
        );
    }

    #[test]
    fn load_error_keeps_manual_controls() {
        let findings = [finding("NXF-LOAD-ERROR", Verdict::Error)];
        let results = test_catalog().evaluate(&["pci_dss"], &checks(), &findings);
        assert_eq!(
            control(&results, "pci_dss", "1.3").status,
            ControlStatus::Manual
        );
        assert_eq!(
            control(&results, "pci_dss", "1.4").status,
            ControlStatus::Manual
        );
    }

    #[test]
    fn counts_per_control() {
        let findings = [
            finding("ENC-1", Verdict::Pass),
            finding("ENC-1", Verdict::Pass),
            finding("ENC-1", Verdict::Waived),
            finding("LOG-1", Verdict::Unknown),
            finding("LOG-1", Verdict::Fail),
        ];
        let results = test_catalog().evaluate(&["soc2"], &checks(), &findings);
        let access = control(&results, "soc2", "CC6.1");
        assert_eq!(access.pass, 2);
        assert_eq!(access.waived, 1);
        assert_eq!(access.unknown, 1);
        assert_eq!(access.fail, 1);
        assert_eq!(access.checks, vec!["ENC-1", "LOG-1"]);
    }

    #[test]
    fn score_and_coverage_arithmetic() {
        // pci_dss: 1.1 satisfied, 1.2 not satisfied, 1.3 and 1.4 manual.
        let findings = [
            finding("ENC-1", Verdict::Pass),
            finding("LOG-1", Verdict::Fail),
        ];
        let results = test_catalog().evaluate(&["pci_dss"], &checks(), &findings);
        let pci = &results[0];
        assert_eq!(pci.satisfied, 1);
        assert_eq!(pci.not_satisfied, 1);
        assert_eq!(pci.not_assessed, 0);
        assert_eq!(pci.manual, 2);
        assert_eq!(pci.score, Some(50.0));
        assert_eq!(pci.coverage, 50.0);
    }

    #[test]
    fn score_ignores_not_assessed() {
        // 1.1 satisfied, 1.2 not assessed: the score is over decided controls only.
        let findings = [
            finding("ENC-1", Verdict::Pass),
            finding("LOG-1", Verdict::Unknown),
        ];
        let results = test_catalog().evaluate(&["pci_dss"], &checks(), &findings);
        let pci = &results[0];
        assert_eq!(pci.not_assessed, 1);
        assert_eq!(pci.score, Some(100.0));
        assert_eq!(pci.coverage, 50.0);
    }

    #[test]
    fn score_none_when_undecided() {
        let findings = [finding("ENC-1", Verdict::Unknown)];
        let results = test_catalog().evaluate(&["pci_dss"], &checks(), &findings);
        assert_eq!(results[0].score, None);
        assert_eq!(results[0].coverage, 25.0);
    }

    #[test]
    fn percent_rounds_two_decimals() {
        assert_eq!(percent(2, 3), 66.67);
        assert_eq!(percent(1, 3), 33.33);
        assert_eq!(percent(0, 7), 0.0);
        assert_eq!(coverage(0, 0), 0.0);
        assert_eq!(score(0, 0), None);
        assert_eq!(score(1, 2), Some(33.33));
    }

    #[test]
    fn frameworks_in_requested_order() {
        let results = test_catalog().evaluate(&["soc-2", "pci", "soc2", "hipaa"], &checks(), &[]);
        let ids: Vec<&str> = results.iter().map(|result| result.id.as_str()).collect();
        assert_eq!(ids, vec!["soc2", "pci_dss"]);
    }

    #[test]
    fn every_control_reported() {
        let results = test_catalog().evaluate(&["pci_dss"], &checks(), &[]);
        let ids: Vec<&str> = results[0].controls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["1.1", "1.2", "1.3", "1.4"]);
        assert_eq!(results[0].controls[0].title, "Encrypt");
        assert_eq!(results[0].name, "pci_dss name");
    }

    fn attestation(overdue: bool) -> Attestation {
        Attestation {
            evidence: "policy v3".to_owned(),
            owner: "ciso".to_owned(),
            date: "2026-01-10".to_owned(),
            review_interval_days: 365,
            due: "2027-01-10".to_owned(),
            overdue,
        }
    }

    fn attested(framework: &str, control: &str, overdue: bool) -> ControlAttestation {
        ControlAttestation {
            framework: framework.to_owned(),
            control: control.to_owned(),
            attestation: attestation(overdue),
        }
    }

    #[test]
    fn attestation_attached_to_manual_control() {
        let findings = [finding("ENC-1", Verdict::Pass)];
        let attestations = [attested("pci_dss", "1.3", true)];
        let results =
            test_catalog().evaluate_attested(&["pci_dss"], &checks(), &findings, &attestations);
        let process = control(&results, "pci_dss", "1.3");
        assert_eq!(process.status, ControlStatus::Manual);
        assert_eq!(process.attestation, Some(attestation(true)));
        assert_eq!(control(&results, "pci_dss", "1.4").attestation, None);
    }

    #[test]
    fn attestation_leaves_scores_alone() {
        let findings = [
            finding("ENC-1", Verdict::Pass),
            finding("LOG-1", Verdict::Fail),
        ];
        let plain = test_catalog().evaluate(&["pci_dss"], &checks(), &findings);
        let attestations = [
            attested("pci_dss", "1.3", false),
            attested("pci_dss", "1.4", false),
        ];
        let with =
            test_catalog().evaluate_attested(&["pci_dss"], &checks(), &findings, &attestations);
        assert_eq!(with[0].score, plain[0].score);
        assert_eq!(with[0].coverage, plain[0].coverage);
        assert_eq!(with[0].manual, 2);
        assert_eq!(with[0].satisfied, 1);
    }

    #[test]
    fn attestation_ignored_on_automated_control() {
        let findings = [finding("ENC-1", Verdict::Fail)];
        let attestations = [attested("pci_dss", "1.1", false)];
        let results =
            test_catalog().evaluate_attested(&["pci_dss"], &checks(), &findings, &attestations);
        let encrypt = control(&results, "pci_dss", "1.1");
        assert_eq!(encrypt.status, ControlStatus::NotSatisfied);
        assert_eq!(encrypt.attestation, None);
    }

    #[test]
    fn primary_checks_per_control() {
        let catalog = test_catalog();
        assert_eq!(
            catalog.primary_checks("pci_dss", "1.1", &checks()),
            vec!["ENC-1"]
        );
        assert_eq!(
            catalog.primary_checks("soc2", "CC6.1", &checks()),
            vec!["ENC-1", "LOG-1"]
        );
        assert!(
            catalog
                .primary_checks("pci_dss", "1.3", &checks())
                .is_empty()
        );
        assert!(
            catalog
                .primary_checks("pci_dss", "1.4", &checks())
                .is_empty()
        );
    }

    #[test]
    fn embedded_catalog_evaluates() {
        let rotation = check("KMS-1", &["key-rotation"]);
        let findings = [finding("KMS-1", Verdict::Fail)];
        let results = evaluate(&["pci_dss"], &[rotation], &findings);
        let control = control(&results, "pci_dss", "3.7.4");
        assert_eq!(control.status, ControlStatus::NotSatisfied);
        assert_eq!(control.checks, vec!["KMS-1"]);
        assert!(
            results[0].manual > 100,
            "pci_dss has over 100 other controls"
        );
    }
}
