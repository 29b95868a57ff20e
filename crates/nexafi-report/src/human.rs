//! The human report: a code frame per finding, a summary line and a table of framework
//! results, for a terminal or a CI log.

use std::io::{self, Write};
use std::path::Path;

use anstyle::{AnsiColor, Style};
use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};
use nexafi_model::{
    Finding, FrameworkResult, ScanResult, SourceMap, Suppression, SuppressionKind, Verdict,
    WaiverUse,
};

use crate::frame::{LineSpan, Palette, clean, gutter_width, write_frame};

/// Width of the framework table in columns. Long version texts wrap inside it.
const TABLE_WIDTH: u16 = 120;

/// Options of the human report.
#[derive(Clone, Copy, Debug, Default)]
pub struct HumanOptions {
    /// Writes ANSI colour codes.
    pub color: bool,
    /// Shows passed and waived findings too, not only failures, unknowns and errors.
    pub show_passed: bool,
}

/// Writes the human report of `result` to `out`.
///
/// Findings come sorted by file, line and column, each with a code frame when its file
/// is in `sources` and without one otherwise.
pub fn render_human(
    result: &ScanResult,
    sources: &SourceMap,
    options: &HumanOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let palette = Palette::new(options.color);
    let framework_order = framework_order(result);

    let mut reported: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|finding| options.show_passed || !is_passing(finding.verdict))
        .collect();
    reported.sort_by(crate::by_location);

    for finding in &reported {
        write_finding(out, finding, sources, &framework_order, palette)?;
        writeln!(out)?;
    }
    if reported.is_empty() {
        writeln!(out, "No failing, unknown or error findings.")?;
        writeln!(out)?;
    }

    write_unused_waivers(out, &result.waivers, palette)?;
    if let Some(reference) = &result.inputs.diff_base {
        writeln!(
            out,
            "{}: only findings that did not exist at {} are listed; the framework table covers the whole tree",
            palette.paint(Style::new().bold(), "note"),
            clean(reference),
        )?;
    }
    write_summary(out, result, palette)?;
    if !result.frameworks.is_empty() {
        writeln!(out)?;
        write_framework_table(out, &result.frameworks, palette)?;
        write_attestations(out, &result.frameworks, palette)?;
    }
    Ok(())
}

fn is_passing(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Pass | Verdict::Waived)
}

fn verdict_style(verdict: Verdict) -> Style {
    let color = match verdict {
        Verdict::Fail | Verdict::Error => AnsiColor::Red,
        Verdict::Unknown => AnsiColor::Yellow,
        Verdict::Pass => AnsiColor::Green,
        Verdict::Waived => AnsiColor::Cyan,
    };
    Style::new().bold().fg_color(Some(color.into()))
}

/// Framework ids in the order their controls are listed on a finding: the frameworks of
/// the report, or every catalog framework when the report has none.
fn framework_order(result: &ScanResult) -> Vec<String> {
    if result.frameworks.is_empty() {
        nexafi_compliance::FRAMEWORK_IDS
            .iter()
            .map(|id| (*id).to_owned())
            .collect()
    } else {
        result
            .frameworks
            .iter()
            .map(|framework| framework.id.clone())
            .collect()
    }
}

/// Formats the controls of a finding on one line: `PCI DSS 3.5.1, 3.6.1.2 · SOC 2 CC6.1`.
fn controls_line(finding: &Finding, framework_order: &[String]) -> String {
    let catalog = nexafi_compliance::catalog();
    framework_order
        .iter()
        .filter_map(|framework| {
            let controls = finding.controls.get(framework)?;
            if controls.is_empty() {
                return None;
            }
            let name = catalog
                .framework(framework)
                .map_or(framework.as_str(), |known| known.short_name());
            Some(format!("{name} {}", controls.join(", ")))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn write_finding(
    out: &mut dyn Write,
    finding: &Finding,
    sources: &SourceMap,
    framework_order: &[String],
    palette: Palette,
) -> io::Result<()> {
    let style = verdict_style(finding.verdict);
    let label = format!("{}[{}]", finding.verdict, finding.check_id);
    writeln!(
        out,
        "{} {}: {}",
        palette.paint(style, &label),
        palette.paint(Style::new().bold(), finding.severity.as_str()),
        palette.paint(Style::new().bold(), &clean(&finding.message)),
    )?;

    let width = gutter_width(finding.line);
    let location = if finding.line == 0 {
        clean(&finding.file).into_owned()
    } else {
        format!(
            "{}:{}:{}",
            clean(&finding.file),
            finding.line,
            finding.column
        )
    };
    writeln!(
        out,
        "{:width$}{} {location}",
        "",
        palette.paint(Palette::accent(), "-->")
    )?;

    let span = LineSpan {
        line: finding.line,
        column: finding.column,
        end_line: finding.end_line,
        end_column: finding.end_column,
    };
    let file = sources
        .find(Path::new(&finding.file))
        .and_then(|id| sources.get(id));
    let framed = match file {
        Some(file) => write_frame(out, &file, span, style, palette)?,
        None => false,
    };
    let bar = palette.paint(Palette::accent(), "|");
    if framed {
        writeln!(out, "{:width$} {bar}", "")?;
    }

    let mut notes: Vec<(&str, String)> = vec![("rule", finding.title.clone())];
    if !finding.resource.is_empty() {
        notes.push(("resource", finding.resource.clone()));
    }
    if let Some(attribute) = &finding.attribute {
        notes.push(("attribute", attribute.clone()));
    }
    if let Some(expected) = &finding.expected {
        notes.push(("expected", expected.clone()));
    }
    if let Some(found) = &finding.found {
        notes.push(("found", found.clone()));
    }
    let controls = controls_line(finding, framework_order);
    if !controls.is_empty() {
        notes.push(("controls", controls));
    }
    let marker = palette.paint(Palette::accent(), "=");
    for (key, value) in notes {
        writeln!(
            out,
            "{:width$} {marker} {}: {}",
            "",
            palette.paint(Style::new().bold(), key),
            clean(&value)
        )?;
    }
    if let Some(suppression) = &finding.suppression {
        let (label, text) = suppression_note(suppression);
        writeln!(
            out,
            "{:width$} {marker} {}: {}",
            "",
            palette.paint(Style::new().bold(), &label),
            clean(&text)
        )?;
    }
    Ok(())
}

/// Describes the suppression of a finding as a note: `waived: REASON (...)`, or
/// `waiver expired on DATE: REASON (...)` when it no longer applies.
fn suppression_note(suppression: &Suppression) -> (String, String) {
    let mut details: Vec<String> = Vec::new();
    if let Some(owner) = &suppression.owner {
        details.push(format!("owner {owner}"));
    }
    if !suppression.expired
        && let Some(expires) = &suppression.expires
    {
        details.push(format!("expires {expires}"));
    }
    if let Some(ticket) = &suppression.ticket {
        details.push(format!("ticket {ticket}"));
    }
    if let Some(accepted) = &suppression.accepted {
        details.push(format!("accepted {accepted}"));
    }
    details.push(declaration_place(suppression));
    let details = details.join(", ");
    let text = format!("{} ({details})", suppression.reason);
    match (&suppression.expires, suppression.expired) {
        (Some(expires), true) => (format!("waiver expired on {expires}"), text),
        _ => ("waived".to_owned(), text),
    }
}

/// Names where a suppression is declared: `nexafi.toml:12`, `main.tf:3`, or the
/// baseline file, which has no line numbers.
fn declaration_place(suppression: &Suppression) -> String {
    match suppression.kind {
        SuppressionKind::Baseline => format!("baseline {}", suppression.file),
        SuppressionKind::Waiver | SuppressionKind::Inline if suppression.line > 0 => {
            format!("{}:{}", suppression.file, suppression.line)
        }
        SuppressionKind::Waiver | SuppressionKind::Inline => suppression.file.clone(),
    }
}

/// Lists the waivers and inline suppressions that matched no finding, so stale risk
/// acceptances get removed.
fn write_unused_waivers(
    out: &mut dyn Write,
    waivers: &[WaiverUse],
    palette: Palette,
) -> io::Result<()> {
    let unused: Vec<&WaiverUse> = waivers
        .iter()
        .filter(|waiver| waiver.matched == 0)
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    let warning = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
    let (noun, pronoun) = if unused.len() == 1 {
        ("waiver", "it")
    } else {
        ("waivers", "them")
    };
    writeln!(
        out,
        "{}: {} unused {noun} matched no finding; remove {pronoun} or correct the check or target:",
        palette.paint(warning, "warning"),
        unused.len(),
    )?;
    for waiver in unused {
        let declaration = &waiver.declaration;
        let target = waiver
            .target
            .as_ref()
            .map(|target| format!(" on {target}"))
            .unwrap_or_default();
        let expiry = match (&declaration.expires, declaration.expired) {
            (Some(expires), true) => format!(", expired on {expires}"),
            (Some(expires), false) => format!(", expires {expires}"),
            (None, _) => String::new(),
        };
        writeln!(
            out,
            "  {} {}{target}{expiry}",
            palette.paint(Palette::accent(), &declaration_place(declaration)),
            clean(&waiver.check),
        )?;
    }
    writeln!(out)
}

/// Lists the attested manual controls of each framework and marks overdue reviews.
fn write_attestations(
    out: &mut dyn Write,
    frameworks: &[FrameworkResult],
    palette: Palette,
) -> io::Result<()> {
    let catalog = nexafi_compliance::catalog();
    let mut lines: Vec<String> = Vec::new();
    for framework in frameworks {
        let name = catalog
            .framework(&framework.id)
            .map_or(framework.name.as_str(), |known| known.short_name());
        for control in &framework.controls {
            let Some(attestation) = &control.attestation else {
                continue;
            };
            let state = if attestation.overdue {
                let style = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
                format!(
                    "{}: review was due {}",
                    palette.paint(style, "overdue"),
                    attestation.due
                )
            } else {
                format!("review due {}", attestation.due)
            };
            lines.push(format!(
                "  {name} {}: {state}; attested {} by {}; evidence: {}",
                control.id,
                attestation.date,
                clean(&attestation.owner),
                clean(&attestation.evidence),
            ));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} (manual controls; they do not change the scores):",
        palette.paint(Style::new().bold(), "attestations")
    )?;
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn write_summary(out: &mut dyn Write, result: &ScanResult, palette: Palette) -> io::Result<()> {
    let summary = &result.summary;
    let counts = [
        (Verdict::Fail, summary.fail),
        (Verdict::Unknown, summary.unknown),
        (Verdict::Error, summary.error),
        (Verdict::Pass, summary.pass),
        (Verdict::Waived, summary.waived),
    ];
    let parts: Vec<String> = counts
        .iter()
        .map(|(verdict, count)| {
            let text = format!("{count} {verdict}");
            if *count > 0 {
                palette.paint(verdict_style(*verdict), &text)
            } else {
                text
            }
        })
        .collect();
    let total: usize = counts.iter().map(|(_, count)| count).sum();
    let inputs = &result.inputs;
    writeln!(
        out,
        "{}: {} ({total} findings; {} files, {} resources, {} checks)",
        palette.paint(Style::new().bold(), "summary"),
        parts.join(", "),
        inputs.files,
        inputs.resources,
        inputs.checks,
    )
}

fn write_framework_table(
    out: &mut dyn Write,
    frameworks: &[FrameworkResult],
    palette: Palette,
) -> io::Result<()> {
    let colored = palette.paint(Style::new(), "x") != "x";
    let mut table = Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(TABLE_WIDTH);
    if colored {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }

    let headers = [
        "framework",
        "version",
        "satisfied",
        "not\nsatisfied",
        "not\nassessed",
        "manual",
        "score",
        "coverage",
    ];
    table.set_header(
        headers
            .iter()
            .map(|header| Cell::new(header).add_attribute(Attribute::Bold)),
    );

    let catalog = nexafi_compliance::catalog();
    for framework in frameworks {
        let name = catalog
            .framework(&framework.id)
            .map_or(framework.name.as_str(), |known| known.short_name());
        let score = framework
            .score
            .map_or_else(|| "n/a".to_owned(), format_percent);
        let mut not_satisfied = Cell::new(framework.not_satisfied);
        if framework.not_satisfied > 0 {
            not_satisfied = not_satisfied.fg(Color::Red);
        }
        let number = |value: usize| Cell::new(value).set_alignment(CellAlignment::Right);
        table.add_row(vec![
            Cell::new(name),
            Cell::new(short_version(&framework.version)),
            number(framework.satisfied),
            not_satisfied.set_alignment(CellAlignment::Right),
            number(framework.not_assessed),
            number(framework.manual),
            Cell::new(score).set_alignment(CellAlignment::Right),
            Cell::new(format_percent(framework.coverage)).set_alignment(CellAlignment::Right),
        ]);
    }
    writeln!(out, "{table}")
}

/// Cuts a version text at its first parenthesis or semicolon, so that the table shows
/// `2017 TSC` for `2017 TSC (with revised points of focus, 2022)`. The JSON report keeps
/// the whole text.
fn short_version(version: &str) -> &str {
    let end = version.find([';', '(']).unwrap_or(version.len());
    let short = version[..end].trim_end_matches([' ', ',']);
    if short.is_empty() { version } else { short }
}

/// Formats a percentage with at most one decimal: `50%`, `66.7%`.
fn format_percent(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}%")
    } else {
        format!("{rounded:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_cut_at_first_clause() {
        assert_eq!(short_version("4.0.1"), "4.0.1");
        assert_eq!(
            short_version("2017 TSC (with revised points of focus, 2022)"),
            "2017 TSC"
        );
        assert_eq!(
            short_version("Information Security booklet Sep 2016; AIO Jun 2021"),
            "Information Security booklet Sep 2016"
        );
        assert_eq!(short_version("(draft)"), "(draft)");
    }

    #[test]
    fn percent_formats() {
        assert_eq!(format_percent(50.0), "50%");
        assert_eq!(format_percent(66.67), "66.7%");
        assert_eq!(format_percent(0.0), "0%");
        assert_eq!(format_percent(99.96), "100%");
    }
}
