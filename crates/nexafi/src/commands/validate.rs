//! `nexafi validate`: the scan, its report and its exit status.

use std::time::Instant;

use nexafi_engine::{ScanOptions, scan};
use nexafi_iac::terraform;
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

    let options = ScanOptions {
        paths: args.paths.clone(),
        excludes: args.exclude.clone(),
        terraform: terraform::Options {
            var_files: args.var_file.clone(),
            vars: args.var.clone(),
        },
        frameworks: args.framework.clone(),
        severity_threshold: Some(args.severity_threshold),
        policies: args.policy.clone(),
        config: args.config.clone(),
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
        diff_base: args.diff_base.clone(),
        ..ScanOptions::default()
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
    if let (Some(path), Some(entries)) = (&args.write_baseline, output.baseline_entries) {
        let noun = if entries == 1 { "entry" } else { "entries" };
        eprintln!("wrote {entries} {noun} to the baseline {}", path.display());
    }

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
pub fn outcome(result: &ScanResult, threshold: Severity, fail_on_unknown: bool) -> Outcome {
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
