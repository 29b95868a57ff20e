//! `nexafi frameworks list` and `nexafi frameworks show`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use nexafi_compliance::{DEFAULT_FRAMEWORKS, Framework};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{FrameworksCommand, OutputFormat};
use crate::output::write_report;

pub fn run(command: FrameworksCommand, _color: bool) -> Result<Outcome, super::Error> {
    let catalog = nexafi_compliance::load()?;
    let text = match command {
        FrameworksCommand::List { format } => list(catalog.frameworks(), format)?,
        FrameworksCommand::Show { id, format } => {
            let framework = catalog
                .framework(&id)
                .map_err(|error| super::Error::Usage(error.to_string()))?;
            show(framework, format)?
        }
    };
    write_report(None, &text)?;
    Ok(Outcome::Success)
}

/// Check ids per control id of one framework, from the checks' primary evidence.
fn checks_by_control(framework: &str) -> BTreeMap<String, Vec<&'static str>> {
    let mut map: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for check in nexafi_checks::all() {
        let controls =
            nexafi_compliance::controls_for(check.meta.categories, check.meta.extra_controls);
        for control in controls.get(framework).into_iter().flatten() {
            map.entry(control.clone()).or_default().push(check.meta.id);
        }
    }
    map
}

#[derive(Serialize)]
struct FrameworkEntry<'a> {
    id: &'a str,
    name: &'a str,
    version: &'a str,
    default: bool,
    controls: usize,
    automated_controls: usize,
}

fn list(frameworks: &[Framework], format: OutputFormat) -> Result<String, super::Error> {
    let entries: Vec<FrameworkEntry<'_>> = frameworks
        .iter()
        .map(|framework| {
            let automated = checks_by_control(&framework.id);
            FrameworkEntry {
                id: &framework.id,
                name: &framework.name,
                version: &framework.version,
                default: DEFAULT_FRAMEWORKS.contains(&framework.id.as_str()),
                controls: framework.controls.len(),
                automated_controls: framework
                    .controls
                    .iter()
                    .filter(|control| automated.contains_key(&control.id))
                    .count(),
            }
        })
        .collect();
    if format == OutputFormat::Json {
        let mut text = serde_json::to_string_pretty(&entries)?;
        text.push('\n');
        return Ok(text);
    }
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "id",
            "name",
            "version",
            "controls",
            "with checks",
            "default",
        ]);
    for entry in &entries {
        table.add_row([
            entry.id.to_owned(),
            entry.name.to_owned(),
            entry.version.to_owned(),
            entry.controls.to_string(),
            entry.automated_controls.to_string(),
            if entry.default { "yes" } else { "no" }.to_owned(),
        ]);
    }
    Ok(format!("{table}\n"))
}

#[derive(Serialize)]
struct ControlEntry<'a> {
    id: &'a str,
    title: &'a str,
    checks: Vec<&'static str>,
    primary_categories: &'a [String],
    supporting_categories: &'a [String],
}

fn show(framework: &Framework, format: OutputFormat) -> Result<String, super::Error> {
    let checks = checks_by_control(&framework.id);
    let entries: Vec<ControlEntry<'_>> = framework
        .controls
        .iter()
        .map(|control| ControlEntry {
            id: &control.id,
            title: &control.title,
            checks: checks.get(&control.id).cloned().unwrap_or_default(),
            primary_categories: &control.evidenced_by.primary,
            supporting_categories: &control.evidenced_by.supporting,
        })
        .collect();
    if format == OutputFormat::Json {
        let value = serde_json::json!({
            "id": framework.id,
            "name": framework.name,
            "version": framework.version,
            "notes": framework.notes,
            "controls": entries,
        });
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        return Ok(text);
    }

    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} {} ({})",
        framework.name, framework.version, framework.id
    );
    if let Some(notes) = &framework.notes {
        let _ = writeln!(text, "{notes}");
    }
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["control", "title", "checks"]);
    for entry in &entries {
        let checks = if entry.checks.is_empty() {
            "manual evidence".to_owned()
        } else {
            entry.checks.join(", ")
        };
        table.add_row([entry.id.to_owned(), entry.title.to_owned(), checks]);
    }
    let _ = writeln!(text, "{table}");
    let automated = entries
        .iter()
        .filter(|entry| !entry.checks.is_empty())
        .count();
    let _ = writeln!(
        text,
        "{} controls, {automated} with automated checks",
        entries.len()
    );
    Ok(text)
}
