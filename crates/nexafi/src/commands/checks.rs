//! `nexafi checks list` and `nexafi checks explain`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use nexafi_checks::Check;
use nexafi_model::{CheckMeta, InputKind};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{ChecksCommand, InputFilter, OutputFormat};
use crate::output::write_report;

pub fn run(command: ChecksCommand, color: bool) -> Result<Outcome, super::Error> {
    nexafi_compliance::load()?;
    match command {
        ChecksCommand::List { format, input } => list(format, input),
        ChecksCommand::Explain { id } => explain(&id, color),
    }
}

/// A check as `checks list --format json` prints it.
#[derive(Serialize)]
struct CheckEntry<'a> {
    #[serde(flatten)]
    meta: &'a nexafi_model::CheckMeta,
    controls: BTreeMap<String, Vec<String>>,
}

fn list(format: OutputFormat, input: Option<InputFilter>) -> Result<Outcome, super::Error> {
    let wanted = input.map(|filter| match filter {
        InputFilter::Terraform => InputKind::Terraform,
        InputFilter::Kubernetes => InputKind::Kubernetes,
        InputFilter::Dockerfile => InputKind::Dockerfile,
    });
    let checks: Vec<&Check> = nexafi_checks::all()
        .into_iter()
        .filter(|check| wanted.is_none_or(|kind| check.meta.input == kind))
        .collect();

    let text = match format {
        OutputFormat::Json => {
            let entries: Vec<CheckEntry<'_>> = checks
                .iter()
                .map(|check| CheckEntry {
                    meta: &check.meta,
                    controls: nexafi_compliance::controls_for(
                        check.meta.categories,
                        check.meta.extra_controls,
                    ),
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&entries)?;
            text.push('\n');
            text
        }
        OutputFormat::Human => {
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(["id", "severity", "input", "title"]);
            for check in &checks {
                table.add_row([
                    check.meta.id,
                    check.meta.severity.as_str(),
                    check.meta.input.as_str(),
                    check.meta.title,
                ]);
            }
            format!("{table}\n{} checks\n", checks.len())
        }
    };
    write_report(None, &text)?;
    Ok(Outcome::Success)
}

fn explain(name: &str, color: bool) -> Result<Outcome, super::Error> {
    let meta = find_meta(name).ok_or_else(|| {
        super::Error::Usage(format!(
            "no check is named {name:?}; run `nexafi checks list` to see the ids"
        ))
    })?;
    write_report(None, &explanation(&meta, color))?;
    Ok(Outcome::Success)
}

/// Finds a built-in check by id, slug or alias, or one of the checks that only
/// `nexafi security` runs (live endpoint probes, secrets and sensitive data in files).
fn find_meta(name: &str) -> Option<CheckMeta> {
    if let Some(check) = nexafi_checks::find(name) {
        return Some(check.meta);
    }
    nexafi_probe::CHECKS
        .iter()
        .chain(super::security::FILE_CHECKS)
        .find(|meta| meta.id.eq_ignore_ascii_case(name.trim()) || meta.slug == name.trim())
        .copied()
}

/// Renders a check's documentation as text.
pub fn explanation(meta: &CheckMeta, color: bool) -> String {
    let heading = |text: &str| {
        if color {
            let style = anstyle::Style::new().bold().underline();
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    };
    let catalog = nexafi_compliance::catalog();
    let controls = nexafi_compliance::controls_for(meta.categories, meta.extra_controls);

    let mut text = String::new();
    let _ = writeln!(text, "{}  {}", heading(meta.id), meta.slug);
    let _ = writeln!(text, "{}\n", meta.title);
    let _ = writeln!(
        text,
        "Severity: {}   Input: {}   Status: {:?}",
        meta.severity,
        meta.input.as_str(),
        meta.status
    );
    let _ = writeln!(text, "Resource kinds: {}", meta.kinds.join(", "));
    let _ = writeln!(text, "Categories: {}", meta.categories.join(", "));
    if !meta.aliases.is_empty() {
        let _ = writeln!(text, "Aliases: {}", meta.aliases.join(", "));
    }
    if !controls.is_empty() {
        let _ = writeln!(text, "Controls:");
        for (framework, ids) in &controls {
            let name = catalog
                .framework(framework)
                .map_or(framework.as_str(), |framework| framework.name.as_str());
            let _ = writeln!(text, "  {name}: {}", ids.join(", "));
        }
    }
    for (title, body) in [
        ("What it checks", meta.docs.what),
        ("Why it matters", meta.docs.why),
        ("How to fix", meta.docs.fix),
        ("Limitations", meta.docs.limitations),
    ] {
        let _ = writeln!(text, "\n{}\n{}", heading(title), body.trim_end());
    }
    if !meta.references.is_empty() {
        let _ = writeln!(text, "\n{}", heading("References"));
        for reference in meta.references {
            let _ = writeln!(text, "  {reference}");
        }
    }
    text
}
