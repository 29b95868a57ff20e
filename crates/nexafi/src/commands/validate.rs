//! `nexafi validate`: the scan, its report and its exit status.

use std::time::Instant;

use nexafi_engine::{ScanOptions, scan};
use nexafi_iac::{helm, terraform};
use nexafi_model::{Finding, ScanResult, Severity, Verdict};
use nexafi_report::{HumanOptions, render_human, render_json};

use crate::Outcome;
use crate::cli::{OutputFormat, ValidateArgs};
use crate::output::write_report;

pub fn run(args: &ValidateArgs, color: bool) -> Result<Outcome, super::Error> {
    nexafi_compliance::load()?;
    for path in &args.var_file {
        if !path.is_file() {
            return Err(super::Error::Usage(format!(
                "--var-file {} does not exist or is not a file",
                path.display()
            )));
        }
    }

    for path in &args.helm_values {
        if !path.is_file() {
            return Err(super::Error::Usage(format!(
                "--helm-values {} does not exist or is not a file",
                path.display()
            )));
        }
    }
    for expression in &args.helm_set {
        helm::values::parse_set(expression).map_err(super::Error::Usage)?;
    }

    let options = ScanOptions {
        paths: args.paths.clone(),
        excludes: args.exclude.clone(),
        terraform: terraform::Options {
            var_files: args.var_file.clone(),
            vars: args.var.clone(),
        },
        helm: helm::ChartOptions {
            values_files: args.helm_values.clone(),
            set: args.helm_set.clone(),
            values_siblings: args.helm_values_siblings,
        },
        frameworks: args.framework.clone(),
        severity_threshold: Some(args.severity_threshold),
    };
    let started = Instant::now();
    let output = scan(&options)?;
    tracing::info!(
        files = output.result.inputs.files,
        resources = output.result.inputs.resources,
        findings = output.result.findings.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scan finished"
    );

    let text = match args.format {
        OutputFormat::Json => render_json(&output.result),
        OutputFormat::Human => {
            let options = HumanOptions {
                // Never colour a file: escape codes there are noise.
                color: color && args.output.is_none(),
                show_passed: args.show_passed,
            };
            let mut buffer = Vec::new();
            render_human(&output.result, &output.model.sources, &options, &mut buffer)?;
            String::from_utf8_lossy(&buffer).into_owned()
        }
    };
    write_report(args.output.as_deref(), &text)?;

    Ok(outcome(
        &output.result,
        args.severity_threshold,
        args.fail_on_unknown,
    ))
}

/// Decides the exit status: failures at or above the threshold and inputs that could not
/// be loaded make it 1, and so do unknowns when the user asks for that.
fn outcome(result: &ScanResult, threshold: Severity, fail_on_unknown: bool) -> Outcome {
    let fails = |finding: &Finding| match finding.verdict {
        Verdict::Error => true,
        Verdict::Fail => finding.severity >= threshold,
        Verdict::Unknown => fail_on_unknown && finding.severity >= threshold,
        Verdict::Pass | Verdict::Waived => false,
    };
    if result.findings.iter().any(fails) {
        Outcome::Findings
    } else {
        Outcome::Success
    }
}
