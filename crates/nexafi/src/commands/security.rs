//! `nexafi security`: the security view of a scan, plus live probes of the endpoints the
//! user names with `--target`.
//!
//! The offline part is the engine's findings without the checks that prove only
//! resilience or governance (backups, retention, availability, inventory): those stay in
//! `nexafi validate`. The live part connects only to the named targets.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use nexafi_engine::{ScanOptions, resolve_frameworks, scan};
use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Finding, InputKind, ScanInputs, ScanResult, Severity,
    Summary, ToolInfo, Verdict, fingerprint,
};
use nexafi_probe::{ProbeOptions, Target};
use rayon::prelude::*;

use crate::Outcome;
use crate::cli::SecurityArgs;
use crate::commands::validate::{ReportView, outcome, pair_outputs, render_report};
use crate::output::write_report;

/// Categories whose checks prove resilience or governance rather than security; their
/// findings are left out of the security view.
const NON_SECURITY_CATEGORIES: &[&str] = &[
    "backup",
    "backup-cross-region",
    "restore-testing",
    "log-retention",
    "high-availability",
    "deletion-protection",
    "data-residency",
    "change-management",
    "asset-inventory",
    "data-lifecycle",
    "environment-separation",
];

pub fn run(args: &SecurityArgs, color: bool) -> Result<Outcome, super::Error> {
    nexafi_compliance::load()?;
    let destinations = pair_outputs(&args.format, &args.output)?;
    let targets = args
        .target
        .iter()
        .map(|text| text.parse::<Target>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| super::Error::Usage(error.to_string()))?;
    for file in &args.ca_file {
        if !file.is_file() {
            return Err(super::Error::Usage(format!(
                "--ca-file {} does not exist or is not a file",
                file.display()
            )));
        }
    }
    args.inputs.check()?;
    let frameworks = resolve_frameworks(&args.framework)?;

    // With only --target, no files are scanned; with neither, the current directory is.
    let paths = if args.paths.is_empty() && targets.is_empty() {
        vec![".".into()]
    } else {
        args.paths.clone()
    };

    let mut findings = Vec::new();
    let mut checks: Vec<CheckMeta> = Vec::new();
    let mut inputs = ScanInputs {
        paths: paths
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
        severity_threshold: Some(args.severity_threshold),
        ..ScanInputs::default()
    };
    let mut sources = None;
    let mut waivers = Vec::new();

    if !paths.is_empty() {
        let options = ScanOptions {
            paths: paths.clone(),
            excludes: args.exclude.clone(),
            terraform: args.inputs.terraform(),
            helm: args.inputs.helm(),
            frameworks: frameworks.clone(),
            severity_threshold: Some(args.severity_threshold),
            policies: args.policy.clone(),
            ..ScanOptions::default()
        };
        let output = scan(&options)?;
        let excluded = excluded_checks();
        checks.extend(
            nexafi_checks::all()
                .into_iter()
                .map(|check| check.meta)
                .filter(|meta| !excluded.contains(meta.id)),
        );
        findings.extend(
            output
                .result
                .findings
                .into_iter()
                .filter(|finding| !excluded.contains(finding.check_id.as_str())),
        );
        inputs = ScanInputs {
            checks: checks.len(),
            ..output.result.inputs
        };
        sources = Some(output.model.sources);
        waivers = output.result.waivers;
    }

    if !paths.is_empty() && !args.no_sensitive_data {
        findings.extend(sensitive_data(&paths)?);
        checks.extend([SECRETS, SENSITIVE_DATA]);
        inputs.checks = checks.len();
    }

    if !targets.is_empty() {
        let options = ProbeOptions {
            timeout: Duration::from_secs(args.timeout),
            ca_files: args.ca_file.clone(),
            expiry_warning_days: args.expiry_warning_days,
        };
        findings.extend(probe_all(&targets, &options)?);
        checks.extend(nexafi_probe::CHECKS.iter().copied());
        inputs.checks = checks.len();
        inputs
            .paths
            .extend(targets.iter().map(|target| target.url.clone()));
    }

    findings.sort_by(|left, right| {
        (
            &left.file,
            left.line,
            left.column,
            &left.check_id,
            &left.resource,
        )
            .cmp(&(
                &right.file,
                right.line,
                right.column,
                &right.check_id,
                &right.resource,
            ))
    });
    let framework_ids: Vec<&str> = frameworks.iter().map(String::as_str).collect();
    let result = ScanResult {
        tool: ToolInfo {
            name: "nexafi".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        inputs,
        summary: Summary::count(&findings),
        frameworks: nexafi_compliance::evaluate(&framework_ids, &checks, &findings),
        findings,
        waivers,
    };

    let sources = crate::output::mask_sources(&sources.unwrap_or_default());
    let mut reports = Vec::with_capacity(destinations.len());
    for (format, output) in destinations {
        let view = ReportView {
            result: &result,
            sources: &sources,
            checks: &checks,
            show_passed: args.show_passed,
            color: color && output.is_none(),
        };
        reports.push((output, render_report(format, &view)?));
    }
    for (output, text) in &reports {
        write_report(output.as_deref(), text)?;
    }
    Ok(outcome(
        &result,
        args.severity_threshold,
        args.fail_on_unknown,
    ))
}

/// The checks `security` runs over the scanned files with the DLP detectors.
pub(crate) const FILE_CHECKS: &[CheckMeta] = &[SECRETS, SENSITIVE_DATA];

/// Secrets found by the DLP detectors in scanned files.
const SECRETS: CheckMeta = CheckMeta {
    id: "NXF-DLP-001",
    slug: "secret-in-file",
    title: "Files contain no credentials (keys, tokens, private keys)",
    severity: Severity::High,
    input: InputKind::File,
    kinds: &["file"],
    categories: &["secrets-management"],
    extra_controls: &[],
    status: CheckStatus::Preview,
    aliases: &[],
    references: &["docs/dlp.md"],
    docs: CheckDocs {
        what: "Runs the `nexafi dlp` secret detectors (AWS keys, private keys, JWTs, GitHub, GitLab, Slack and Stripe tokens, high-entropy assignments near key words) over every scanned text file, honouring .gitignore. One failing finding per value, with a masked preview.",
        why: "A credential in a repository is readable by everyone with access to it and its history, and is the most common first step of a cloud breach.",
        fix: "Revoke and rotate the credential, remove it from the file and the Git history, and load it from a secret store at run time.",
        limitations: "Credentials with no recognisable format and no key word nearby are not found. Allow-lists are available through `nexafi dlp scan --allowlist`, not here.",
    },
};

/// Payment and personal data found by the DLP detectors in scanned files.
const SENSITIVE_DATA: CheckMeta = CheckMeta {
    id: "NXF-DLP-002",
    slug: "sensitive-data-in-file",
    title: "Files contain no card numbers, IBANs, routing numbers, SSNs or e-mail addresses",
    severity: Severity::Medium,
    input: InputKind::File,
    kinds: &["file"],
    categories: &["sensitive-data-discovery"],
    extra_controls: &[],
    status: CheckStatus::Preview,
    aliases: &[],
    references: &["docs/dlp.md"],
    docs: CheckDocs {
        what: "Runs the `nexafi dlp` detectors for card numbers (Luhn and scheme ranges), IBANs (mod-97), US routing numbers, SWIFT codes, US social security numbers and e-mail addresses over every scanned text file. One failing finding per value, with a masked preview.",
        why: "Cardholder and personal data outside the systems built to hold it widens the PCI DSS scope and breaks GDPR data minimisation.",
        fix: "Remove the value, or replace it with an obviously fake test value that fails validation.",
        limitations: "Valid-looking test values (the scheme test card numbers) are reported like real ones.",
    },
};

/// Runs the DLP detectors over the text files under `paths` and turns each value found
/// into a failing finding; a check with nothing found gets one passing finding.
fn sensitive_data(paths: &[PathBuf]) -> Result<Vec<Finding>, super::Error> {
    let allowlist = nexafi_dlp::Allowlist::default();
    let inputs = super::dlp::collect_inputs(paths, &allowlist)
        .map_err(|error| super::Error::Usage(error.to_string()))?;
    let scanner = nexafi_dlp::Scanner::default();
    let results: Vec<_> = inputs
        .par_iter()
        .map(|input| (input, super::dlp::scan_input(&scanner, input)))
        .collect();

    let roots = paths.first().cloned().unwrap_or_default();
    let mut findings = Vec::new();
    let mut read_errors = Vec::new();
    for (input, result) in &results {
        let file = input.display();
        if let Some(error) = &result.error {
            read_errors.push(error.clone());
        }
        for found in &result.findings {
            let meta = if found.detector.is_secret() {
                SECRETS
            } else {
                SENSITIVE_DATA
            };
            let width = (found.end - found.start) as u32;
            let line = found.line as u32;
            let column = found.column as u32;
            let location = found
                .path
                .as_ref()
                .map_or_else(String::new, |path| format!(" at {path}"));
            findings.push(Finding {
                check_id: meta.id.to_owned(),
                title: meta.title.to_owned(),
                severity: meta.severity,
                verdict: Verdict::Fail,
                message: format!(
                    "{} found{location}: {} (confidence {}%); remove it from the file",
                    found.detector, found.preview, found.confidence
                ),
                categories: meta.categories.iter().map(|c| (*c).to_owned()).collect(),
                controls: nexafi_compliance::controls_for(meta.categories, &[]),
                // The masked preview keeps the fingerprint stable when lines move, and
                // never exposes the value.
                fingerprint: fingerprint(meta.id, &file, found.detector.id(), Some(&found.preview)),
                suppression: None,
                file: file.clone(),
                line,
                column,
                end_line: line,
                end_column: column + width,
                resource: file.clone(),
                resource_kind: "file".to_owned(),
                attribute: found.path.clone(),
                expected: None,
                found: Some(found.preview.clone()),
            });
        }
    }

    let scanned = results.iter().filter(|(_, result)| !result.binary).count();
    for meta in [SECRETS, SENSITIVE_DATA] {
        if findings.iter().any(|finding| finding.check_id == meta.id) {
            continue;
        }
        let (verdict, message) = if read_errors.is_empty() {
            (
                Verdict::Pass,
                format!("nothing found in {scanned} text files"),
            )
        } else {
            (
                Verdict::Unknown,
                format!(
                    "nothing found in {scanned} text files, but {} could not be read: {}",
                    read_errors.len(),
                    read_errors[0]
                ),
            )
        };
        let root = roots.display().to_string();
        findings.push(Finding {
            check_id: meta.id.to_owned(),
            title: meta.title.to_owned(),
            severity: meta.severity,
            verdict,
            message,
            categories: meta.categories.iter().map(|c| (*c).to_owned()).collect(),
            controls: nexafi_compliance::controls_for(meta.categories, &[]),
            fingerprint: fingerprint(meta.id, &root, "", None),
            suppression: None,
            file: root.clone(),
            line: 0,
            column: 0,
            end_line: 0,
            end_column: 0,
            resource: root,
            resource_kind: "directory".to_owned(),
            attribute: None,
            expected: None,
            found: None,
        });
    }
    Ok(findings)
}

/// Ids of the built-in checks whose categories are all outside the security view.
fn excluded_checks() -> BTreeSet<&'static str> {
    nexafi_checks::all()
        .into_iter()
        .filter(|check| {
            !check.meta.categories.is_empty()
                && check
                    .meta
                    .categories
                    .iter()
                    .all(|category| NON_SECURITY_CATEGORIES.contains(category))
        })
        .map(|check| check.meta.id)
        .collect()
}

/// Probes the targets in parallel, one thread each, and maps the findings to controls.
fn probe_all(targets: &[Target], options: &ProbeOptions) -> Result<Vec<Finding>, super::Error> {
    let reports = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|target| {
                scope.spawn(move || {
                    tracing::info!(target = %target, "probing");
                    nexafi_probe::probe(target, options)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(nexafi_probe::ProbeError::Setup(
                        "probe thread panicked".to_owned(),
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(|error| super::Error::Usage(error.to_string()))?;

    let mut findings = Vec::new();
    for report in &reports {
        for mut finding in nexafi_probe::findings(report) {
            let categories: Vec<&str> = finding.categories.iter().map(String::as_str).collect();
            finding.controls = nexafi_compliance::controls_for(&categories, &[]);
            if finding.verdict == Verdict::Error {
                tracing::warn!(target = %report.target, "{}", finding.message);
            }
            findings.push(finding);
        }
    }
    Ok(findings)
}
