//! `nexafi validate`: the scan, its report and its exit status.

use std::path::{Path, PathBuf};
use std::time::Instant;

use nexafi_engine::{ScanOptions, ScanOutput, scan};
use nexafi_iac::{helm, terraform};
use nexafi_model::{CheckMeta, Finding, ScanResult, Severity, SourceMap, Verdict};
use nexafi_report::{
    HumanOptions, render_html, render_human, render_json, render_junit, render_markdown,
    render_oscal, render_sarif,
};

use crate::Outcome;
use crate::cli::{ReportFormat, ScanInputArgs, ValidateArgs};
use crate::output::write_report;

pub fn run(args: &ValidateArgs, color: bool) -> Result<Outcome, super::Error> {
    nexafi_compliance::load()?;
    // Pair the report destinations before scanning, so a usage error comes at once.
    let destinations = pair_outputs(&args.format, &args.output)?;
    args.inputs.check()?;

    let options = ScanOptions {
        paths: args.paths.clone(),
        excludes: args.exclude.clone(),
        terraform: args.inputs.terraform(),
        helm: args.inputs.helm(),
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
    let scan_output = scan(&options)?;
    tracing::info!(
        files = scan_output.result.inputs.files,
        resources = scan_output.result.inputs.resources,
        findings = scan_output.result.findings.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scan finished"
    );
    if let (Some(path), Some(entries)) = (&args.write_baseline, scan_output.baseline_entries) {
        let noun = if entries == 1 { "entry" } else { "entries" };
        eprintln!("wrote {entries} {noun} to the baseline {}", path.display());
    }

    // Render every report before writing any, so a render error leaves no files.
    let mut reports = Vec::with_capacity(destinations.len());
    for (format, output) in destinations {
        let text = render(format, output.is_none(), &scan_output, args, color)?;
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

impl ScanInputArgs {
    /// Checks that the named files exist and the `--helm-set` expressions parse, before
    /// anything is scanned.
    pub(crate) fn check(&self) -> Result<(), super::Error> {
        for (flag, paths) in [
            ("--var-file", &self.var_file),
            ("--helm-values", &self.helm_values),
        ] {
            for path in paths {
                if !path.is_file() {
                    return Err(super::Error::Usage(format!(
                        "{flag} {} does not exist or is not a file",
                        path.display()
                    )));
                }
            }
        }
        for expression in &self.helm_set {
            helm::values::parse_set(expression).map_err(super::Error::Usage)?;
        }
        Ok(())
    }

    pub(crate) fn terraform(&self) -> terraform::Options {
        terraform::Options {
            var_files: self.var_file.clone(),
            vars: self.var.clone(),
        }
    }

    pub(crate) fn helm(&self) -> helm::ChartOptions {
        helm::ChartOptions {
            values_files: self.helm_values.clone(),
            set: self.helm_set.clone(),
            values_siblings: self.helm_values_siblings,
            release_name: self.helm_release.clone(),
            namespace: self.helm_namespace.clone(),
        }
    }
}

/// Renders one report of the scan. `to_stdout` allows colour in the human report, which
/// never goes into a file.
fn render(
    format: ReportFormat,
    to_stdout: bool,
    scan_output: &ScanOutput,
    args: &ValidateArgs,
    color: bool,
) -> Result<String, super::Error> {
    let checks: Vec<CheckMeta> = nexafi_checks::all()
        .into_iter()
        .map(|check| check.meta)
        .collect();
    let sources = crate::output::mask_sources(&scan_output.model.sources);
    let view = ReportView {
        result: &scan_output.result,
        sources: &sources,
        checks: &checks,
        show_passed: args.show_passed,
        color: color && to_stdout,
    };
    render_report(format, &view)
}

/// What a renderer needs besides the format: shared by `validate` and `security`.
pub(crate) struct ReportView<'a> {
    pub result: &'a ScanResult,
    /// Source files, for the code frames of the human report.
    pub sources: &'a SourceMap,
    /// Declarations of the checks that ran, for SARIF rules.
    pub checks: &'a [CheckMeta],
    pub show_passed: bool,
    pub color: bool,
}

/// Renders one report in `format`.
pub(crate) fn render_report(
    format: ReportFormat,
    view: &ReportView<'_>,
) -> Result<String, super::Error> {
    let result = view.result;
    let text = match format {
        ReportFormat::Human => {
            let options = HumanOptions {
                color: view.color,
                show_passed: view.show_passed,
            };
            let mut buffer = Vec::new();
            render_human(result, view.sources, &options, &mut buffer)?;
            String::from_utf8_lossy(&buffer).into_owned()
        }
        ReportFormat::Json => render_json(result),
        ReportFormat::Sarif => render_sarif(result, view.checks),
        ReportFormat::Junit => render_junit(result),
        ReportFormat::Oscal => render_oscal(result),
        ReportFormat::Markdown => render_markdown(result),
        ReportFormat::Html => render_html(result),
    };
    Ok(text)
}

/// Pairs each `--format` with the `--output` at the same position; a format without one,
/// or with `-`, goes to standard output (`None`). No `--format` means the human report.
pub(crate) fn pair_outputs(
    formats: &[ReportFormat],
    outputs: &[PathBuf],
) -> Result<Vec<(ReportFormat, Option<PathBuf>)>, super::Error> {
    pair_formats(
        formats,
        outputs,
        ReportFormat::Human,
        "--format sarif --output nexafi.sarif",
    )
}

/// Pairs formats of any command with their outputs, as [`pair_outputs`] does: `default`
/// stands in for a missing `--format`, and `example` shows a correct pair in the error.
pub(crate) fn pair_formats<F: Copy + clap::ValueEnum + std::fmt::Debug>(
    formats: &[F],
    outputs: &[PathBuf],
    default: F,
    example: &str,
) -> Result<Vec<(F, Option<PathBuf>)>, super::Error> {
    let default = [default];
    let formats = if formats.is_empty() {
        &default[..]
    } else {
        formats
    };
    if outputs.len() > formats.len() {
        return Err(super::Error::Usage(format!(
            "{} --output values but {} --format: give one --format before each --output, for example {example}",
            outputs.len(),
            formats.len()
        )));
    }

    let pairs: Vec<(F, Option<PathBuf>)> = formats
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

fn format_name<F: clap::ValueEnum + std::fmt::Debug>(format: F) -> String {
    format.to_possible_value().map_or_else(
        || format!("{format:?}"),
        |value| value.get_name().to_owned(),
    )
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
