//! `nexafi security`: the security view of a scan, plus live probes of the endpoints the
//! user names with `--target`.
//!
//! The offline part is the engine's findings without the checks that prove only
//! resilience or governance (backups, retention, availability, inventory): those stay in
//! `nexafi validate`. The live part connects only to the named targets.

use std::collections::BTreeSet;
use std::time::Duration;

use nexafi_engine::{ScanOptions, resolve_frameworks, scan};
use nexafi_iac::terraform;
use nexafi_model::{CheckMeta, Finding, ScanInputs, ScanResult, Summary, ToolInfo, Verdict};
use nexafi_probe::{ProbeOptions, Target};
use nexafi_report::{HumanOptions, render_human, render_json};

use crate::Outcome;
use crate::cli::{OutputFormat, SecurityArgs};
use crate::commands::validate::outcome;
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
            terraform: terraform::Options::default(),
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

    let text = match args.format {
        OutputFormat::Json => render_json(&result),
        OutputFormat::Human => {
            let options = HumanOptions {
                color: color && args.output.is_none(),
                show_passed: args.show_passed,
            };
            let sources = sources.unwrap_or_default();
            let mut buffer = Vec::new();
            render_human(&result, &sources, &options, &mut buffer)?;
            String::from_utf8_lossy(&buffer).into_owned()
        }
    };
    write_report(args.output.as_deref(), &text)?;
    Ok(outcome(
        &result,
        args.severity_threshold,
        args.fail_on_unknown,
    ))
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
