//! `nexafi validate`: the scan, its report and its exit status.

use std::time::Instant;

use nexafi_engine::{ScanOptions, scan};
use nexafi_iac::terraform;
use std::path::{Path, PathBuf};

use nexafi_model::{CheckMeta, Finding, ScanResult, Severity, Verdict};
use nexafi_report::{
    HumanOptions, render_html, render_human, render_json, render_junit, render_markdown,
    render_oscal, render_sarif,
};

use crate::Outcome;
use crate::cli::{ReportFormat, ValidateArgs};
use crate::output::write_report;

pub fn run(args: &ValidateArgs, color: bool) -> Result<Outcome, super::Error> {
    nexafi_compliance::load()?;
    // Check the report destinations before scanning, so a usage error comes at once.
    pair_outputs(&args.format, &args.output)?;
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
    };
    let started = Instant::now();
    let scan_output = scan(&options)?;
    tracing::info!(
        files = scan_output.result.inputs.files,
        resources = scan_output.result.inputs.resources,
        findings = scan_output.result.findings.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scan finished"
    );

    let destinations = pair_outputs(&args.format, &args.output)?;
    let checks: Vec<CheckMeta> = nexafi_checks::all()
        .into_iter()
        .map(|check| check.meta)
        .collect();
    // Render every report before writing any, so a usage or render error leaves no files.
    let mut reports = Vec::with_capacity(destinations.len());
    for (format, output) in destinations {
        let text = match format {
            ReportFormat::Human => {
                let options = HumanOptions {
                    // Never colour a file: escape codes there are noise.
                    color: color && output.is_none(),
                    show_passed: args.show_passed,
                };
                let mut buffer = Vec::new();
                render_human(
                    &scan_output.result,
                    &scan_output.model.sources,
                    &options,
                    &mut buffer,
                )?;
                String::from_utf8_lossy(&buffer).into_owned()
            }
            ReportFormat::Json => render_json(&scan_output.result),
            ReportFormat::Sarif => render_sarif(&scan_output.result, &checks),
            ReportFormat::Junit => render_junit(&scan_output.result),
            ReportFormat::Oscal => render_oscal(&scan_output.result),
            ReportFormat::Markdown => render_markdown(&scan_output.result),
            ReportFormat::Html => render_html(&scan_output.result),
        };
        reports.push((output, text));
    }
    for (output, text) in &reports {
        write_report(output.as_deref(), text)?;
    }

    Ok(outcome(
        &scan_output.result,
        args.severity_threshold,
        args.fail_on_unknown,
    ))
}

/// Pairs each `--format` with the `--output` at the same position; a format without one,
/// or with `-`, goes to standard output (`None`). No `--format` means the human report.
fn pair_outputs(
    formats: &[ReportFormat],
    outputs: &[PathBuf],
) -> Result<Vec<(ReportFormat, Option<PathBuf>)>, super::Error> {
    let formats = if formats.is_empty() {
        &[ReportFormat::Human][..]
    } else {
        formats
    };
    if outputs.len() > formats.len() {
        return Err(super::Error::Usage(format!(
            "{} --output values but {} --format: give one --format before each --output, for example --format sarif --output nexafi.sarif",
            outputs.len(),
            formats.len()
        )));
    }

    let pairs: Vec<(ReportFormat, Option<PathBuf>)> = formats
        .iter()
        .enumerate()
        .map(|(position, format)| {
            let output = outputs
                .get(position)
                .filter(|path| path.as_path() != Path::new("-"))
                .cloned();
            (*format, output)
        })
        .collect();

    let to_stdout: Vec<String> = pairs
        .iter()
        .filter(|(_, output)| output.is_none())
        .map(|(format, _)| format_name(*format))
        .collect();
    if to_stdout.len() > 1 {
        return Err(super::Error::Usage(format!(
            "formats {} would all go to standard output; give each but one an --output FILE",
            to_stdout.join(", ")
        )));
    }
    for (position, (_, output)) in pairs.iter().enumerate() {
        let Some(path) = output else { continue };
        let repeated = pairs[..position]
            .iter()
            .any(|(_, earlier)| earlier.as_deref() == Some(path.as_path()));
        if repeated {
            return Err(super::Error::Usage(format!(
                "--output {} is given for two formats; give each format its own file",
                path.display()
            )));
        }
    }
    Ok(pairs)
}

fn format_name(format: ReportFormat) -> String {
    use clap::ValueEnum;
    format.to_possible_value().map_or_else(
        || format!("{format:?}"),
        |value| value.get_name().to_owned(),
    )
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
