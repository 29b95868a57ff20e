//! The HTML report: one self-contained page for auditors.
//!
//! The page shows the scan's inputs and a score and coverage chart per framework. It lists
//! every control with its status, and expanding a control shows the checks and findings
//! behind it. Then come the failing findings, the waivers (expired and unused ones too)
//! and the manual controls with their attestations. Styles and the script are inlined and a Content-Security-Policy
//! forbids loading anything, so the file opens offline and cannot send data anywhere.
//! Every text that comes from scanned files, configuration or the catalog is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use nexafi_model::{
    ControlResult, ControlStatus, Finding, FrameworkResult, ScanResult, Verdict, WaiverUse,
};

use crate::markdown::waiver_state;
use crate::oscal::control_token;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Only inline styles and scripts and `data:` images may load; nothing from the network or
/// the file system.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// Findings behind each control, by framework id and control id.
type ControlFindings<'a> = BTreeMap<(&'a str, &'a str), Vec<&'a Finding>>;

/// Renders the scan result as a standalone HTML5 page ending with a newline.
pub fn render_html(result: &ScanResult) -> String {
    let mut findings: Vec<&Finding> = result.findings.iter().collect();
    findings.sort_by(crate::by_location);
    let mut by_control: ControlFindings<'_> = BTreeMap::new();
    for finding in &findings {
        for (framework, ids) in &finding.controls {
            for id in ids {
                by_control
                    .entry((framework.as_str(), id.as_str()))
                    .or_default()
                    .push(finding);
            }
        }
    }

    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>nexafi compliance report</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n"
    );
    write_header(&mut page, result);
    write_frameworks(&mut page, &result.frameworks);
    write_controls(&mut page, &result.frameworks, &by_control);
    write_findings(&mut page, &findings);
    write_waivers(&mut page, result, &findings);
    write_manual_controls(&mut page, &result.frameworks);
    let _ = write!(page, "<script>\n{SCRIPT}</script>\n</body>\n</html>\n");
    page
}

fn write_header(page: &mut String, result: &ScanResult) {
    let inputs = &result.inputs;
    let summary = &result.summary;
    let _ = writeln!(page, "<header>\n<h1>nexafi compliance report</h1>");
    let _ = writeln!(
        page,
        "<p class=\"summary-counts\" id=\"summary\"><span><strong>{}</strong> fail</span><span>{} unknown</span><span>{} error</span><span>{} pass</span><span>{} waived</span><span class=\"muted\">{} findings</span></p>",
        summary.fail,
        summary.unknown,
        summary.error,
        summary.pass,
        summary.waived,
        result.findings.len()
    );
    let _ = writeln!(
        page,
        "</header>\n<section id=\"inputs\">\n<h2>Scan inputs</h2>"
    );
    let _ = writeln!(page, "<table>");

    let paths: Vec<String> = inputs
        .paths
        .iter()
        .map(|path| format!("<code>{}</code>", escape(path)))
        .collect();
    row(page, "Paths", &paths.join(", "));
    row(
        page,
        "Commit",
        &inputs.commit.as_deref().map_or(
            "<span class=\"muted\">not a Git work tree</span>".to_owned(),
            |commit| format!("<code>{}</code>", escape(commit)),
        ),
    );
    row(
        page,
        "Started",
        &inputs
            .started_at
            .as_deref()
            .map_or("<span class=\"muted\">unknown</span>".to_owned(), escape),
    );
    row(
        page,
        "Tool",
        &format!(
            "{} {}",
            escape(&result.tool.name),
            escape(&result.tool.version)
        ),
    );
    row(
        page,
        "Check catalog digest (SHA-256)",
        &inputs.check_catalog_digest.as_deref().map_or(
            "<span class=\"muted\">unknown</span>".to_owned(),
            |digest| format!("<code>{}</code>", escape(digest)),
        ),
    );
    row(
        page,
        "Scanned",
        &format!(
            "{} files, {} resources, {} checks",
            inputs.files, inputs.resources, inputs.checks
        ),
    );
    row(
        page,
        "Severity threshold",
        inputs
            .severity_threshold
            .map_or("none", |severity| severity.as_str()),
    );
    let _ = writeln!(page, "</table>\n</section>");
}

/// Writes a two-cell table row; `value` is markup the caller has escaped.
fn row(page: &mut String, label: &str, value: &str) {
    let _ = writeln!(
        page,
        "<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>"
    );
}

fn write_frameworks(page: &mut String, frameworks: &[FrameworkResult]) {
    let _ = writeln!(page, "<section id=\"frameworks\">\n<h2>Frameworks</h2>");
    if frameworks.is_empty() {
        let _ = writeln!(page, "<p>No framework was selected.</p>\n</section>");
        return;
    }
    write_chart(page, frameworks);
    let _ = writeln!(
        page,
        "<table id=\"score-table\">\n<thead><tr><th>Framework</th><th>Version</th><th>Score</th><th>Coverage</th><th>Satisfied</th><th>Not satisfied</th><th>Not assessed</th><th>Manual</th></tr></thead>\n<tbody>"
    );
    for framework in frameworks {
        let _ = writeln!(
            page,
            "<tr data-framework=\"{}\"><td><a href=\"#framework-{}\">{}</a></td><td>{}</td><td class=\"number\">{}</td><td class=\"number\">{:.1}%</td><td class=\"number\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td></tr>",
            escape(&framework.id),
            escape(&framework.id),
            escape(&framework.name),
            escape(&framework.version),
            framework
                .score
                .map_or("n/a".to_owned(), |score| format!("{score:.1}%")),
            framework.coverage,
            framework.satisfied,
            framework.not_satisfied,
            framework.not_assessed,
            framework.manual
        );
    }
    let _ = writeln!(
        page,
        "</tbody>\n</table>\n<p class=\"muted\">Score: satisfied controls as a share of the controls with a decided status (satisfied or not satisfied). Coverage: controls with automated evidence as a share of all controls. A satisfied control is technical evidence only; most controls also need process evidence.</p>\n</section>"
    );
}

/// Draws one stacked bar per framework: its controls split by status, scaled to the
/// framework's control count, with the score and coverage beside it.
fn write_chart(page: &mut String, frameworks: &[FrameworkResult]) {
    const LABEL_WIDTH: f64 = 200.0;
    const BAR_WIDTH: f64 = 440.0;
    const ROW_HEIGHT: f64 = 30.0;
    // Characters of a framework name that fit beside the bar; the full name is the tooltip.
    const LABEL_CHARS: usize = 24;
    let height = ROW_HEIGHT * frameworks.len() as f64 + 30.0;
    let _ = writeln!(
        page,
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 900 {height}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">\n<title id=\"chart-title\">Controls per framework by status</title>"
    );
    let colors = [
        ("satisfied", "#1a7f37"),
        ("not satisfied", "#cf222e"),
        ("not assessed", "#9a6700"),
        ("manual", "#6e7781"),
    ];

    for (row_index, framework) in frameworks.iter().enumerate() {
        let y = ROW_HEIGHT * row_index as f64;
        let counts = [
            framework.satisfied,
            framework.not_satisfied,
            framework.not_assessed,
            framework.manual,
        ];
        let total: usize = counts.iter().sum();
        let label: String = if framework.name.chars().count() > LABEL_CHARS {
            let cut: String = framework.name.chars().take(LABEL_CHARS - 1).collect();
            format!("{}…", cut.trim_end())
        } else {
            framework.name.clone()
        };
        let _ = writeln!(
            page,
            "<text x=\"0\" y=\"{:.1}\">{}<title>{}</title></text>",
            y + 18.0,
            escape(&label),
            escape(&framework.name)
        );
        let mut x = LABEL_WIDTH;
        for ((label, color), count) in colors.iter().zip(counts) {
            if count == 0 || total == 0 {
                continue;
            }
            let width = BAR_WIDTH * count as f64 / total as f64;
            let _ = writeln!(
                page,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"20\" fill=\"{color}\"><title>{}: {count} {label}</title></rect>",
                y + 4.0,
                escape(&framework.name)
            );
            x += width;
        }
        let _ = writeln!(
            page,
            "<text x=\"{:.1}\" y=\"{:.1}\">score {}, coverage {:.1}%</text>",
            LABEL_WIDTH + BAR_WIDTH + 10.0,
            y + 18.0,
            framework
                .score
                .map_or("n/a".to_owned(), |score| format!("{score:.1}%")),
            framework.coverage
        );
    }

    let legend_y = ROW_HEIGHT * frameworks.len() as f64 + 14.0;
    let mut x = LABEL_WIDTH;
    for (label, color) in colors {
        let _ = writeln!(
            page,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.1}\">{label}</text>",
            legend_y - 10.0,
            x + 16.0,
            legend_y
        );
        x += 110.0;
    }
    let _ = writeln!(page, "</svg>");
}

fn write_controls(
    page: &mut String,
    frameworks: &[FrameworkResult],
    by_control: &ControlFindings<'_>,
) {
    if frameworks.is_empty() {
        return;
    }
    let _ = writeln!(page, "<section id=\"controls\">\n<h2>Controls</h2>");
    let _ = writeln!(
        page,
        "<div class=\"toolbar\"><input id=\"control-search\" type=\"search\" placeholder=\"Filter controls, checks or resources\" aria-label=\"Filter controls\">\
         <select id=\"control-status\" aria-label=\"Status\"><option value=\"\">every status</option><option value=\"satisfied\">satisfied</option><option value=\"not_satisfied\">not satisfied</option><option value=\"not_assessed\">not assessed</option><option value=\"manual\">manual</option></select>\
         <button type=\"button\" id=\"expand-all\">Expand all</button><button type=\"button\" id=\"collapse-all\">Collapse all</button>\
         <span id=\"control-count\" class=\"muted\"></span></div>"
    );
    for framework in frameworks {
        let _ = writeln!(
            page,
            "<h3 id=\"framework-{}\">{} {}</h3>",
            escape(&framework.id),
            escape(&framework.name),
            escape(&framework.version)
        );
        for control in &framework.controls {
            let findings = by_control
                .get(&(framework.id.as_str(), control.id.as_str()))
                .map_or(&[][..], Vec::as_slice);
            write_control(page, framework, control, findings);
        }
    }
    let _ = writeln!(page, "</section>");
}

fn write_control(
    page: &mut String,
    framework: &FrameworkResult,
    control: &ControlResult,
    findings: &[&Finding],
) {
    let status = control.status.as_str();
    let _ = writeln!(
        page,
        "<details class=\"control\" id=\"control-{}\" data-status=\"{status}\">\n<summary><strong>{}</strong> {} <span class=\"badge {status}\">{}</span> <span class=\"muted\">{} pass, {} fail, {} unknown, {} waived</span></summary>\n<div class=\"detail\">",
        escape(&control_token(&framework.id, &control.id)),
        escape(&control.id),
        escape(&control.title),
        status.replace('_', " "),
        control.pass,
        control.fail,
        control.unknown,
        control.waived
    );

    if control.checks.is_empty() {
        let _ = writeln!(
            page,
            "<p>No built-in check gives evidence for this control.</p>"
        );
    } else {
        let checks: Vec<String> = control
            .checks
            .iter()
            .map(|check| format!("<code>{}</code>", escape(check)))
            .collect();
        let _ = writeln!(page, "<p>Checks: {}</p>", checks.join(", "));
    }
    if let Some(attestation) = &control.attestation {
        let _ = writeln!(
            page,
            "<p>Attestation: {} (owner {}, attested {}, next review {}{})</p>",
            escape(&attestation.evidence),
            escape(&attestation.owner),
            escape(&attestation.date),
            escape(&attestation.due),
            if attestation.overdue {
                ", <span class=\"badge overdue\">overdue</span>"
            } else {
                ""
            }
        );
    } else if control.status == ControlStatus::Manual {
        let _ = writeln!(
            page,
            "<p>Needs process or people evidence; no attestation is recorded in <code>nexafi.toml</code>.</p>"
        );
    }
    if !findings.is_empty() {
        write_finding_table(page, findings);
    }
    let _ = writeln!(page, "</div>\n</details>");
}

fn write_finding_table(page: &mut String, findings: &[&Finding]) {
    let _ = writeln!(
        page,
        "<table class=\"findings\">\n<thead><tr><th>Verdict</th><th>Severity</th><th>Check</th><th>Location</th><th>Resource</th><th>Message</th></tr></thead>\n<tbody>"
    );
    for finding in findings {
        let verdict = finding.verdict.as_str();
        let mut message = escape(&finding.message);
        if let Some(expected) = &finding.expected {
            let _ = write!(
                message,
                "<br><span class=\"muted\">expected:</span> {}",
                escape(expected)
            );
        }
        if let Some(found) = &finding.found {
            let _ = write!(
                message,
                "<br><span class=\"muted\">found:</span> {}",
                escape(found)
            );
        }
        if let Some(suppression) = &finding.suppression {
            let label = if suppression.expired {
                "waiver expired"
            } else {
                "waived"
            };
            let _ = write!(
                message,
                "<br><span class=\"muted\">{label}:</span> {}",
                escape(&suppression.reason)
            );
        }
        let _ = writeln!(
            page,
            "<tr><td><span class=\"badge {verdict}\">{verdict}</span></td><td>{}</td><td><code>{}</code></td><td><code>{}:{}:{}</code></td><td><code>{}</code></td><td>{message}</td></tr>",
            finding.severity,
            escape(&finding.check_id),
            escape(&finding.file),
            finding.line,
            finding.column,
            escape(&finding.resource)
        );
    }
    let _ = writeln!(page, "</tbody>\n</table>");
}

fn write_findings(page: &mut String, findings: &[&Finding]) {
    let open: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|finding| {
            matches!(
                finding.verdict,
                Verdict::Fail | Verdict::Error | Verdict::Unknown
            )
        })
        .collect();
    let _ = writeln!(
        page,
        "<section id=\"findings\">\n<h2>Failing, unknown and error findings</h2>"
    );
    if open.is_empty() {
        let _ = writeln!(page, "<p>None.</p>");
    } else {
        write_finding_table(page, &open);
    }
    let _ = writeln!(page, "</section>");
}

fn write_waivers(page: &mut String, result: &ScanResult, findings: &[&Finding]) {
    let _ = writeln!(page, "<section id=\"waivers\">\n<h2>Waivers</h2>");
    if result.waivers.is_empty() {
        let _ = writeln!(page, "<p>No waiver is declared.</p>");
    } else {
        let _ = writeln!(
            page,
            "<table>\n<thead><tr><th>State</th><th>Check</th><th>Target</th><th>Matched</th><th>Reason</th><th>Owner</th><th>Expires</th><th>Ticket</th><th>Declared in</th></tr></thead>\n<tbody>"
        );
        for waiver in &result.waivers {
            write_waiver_row(page, waiver);
        }
        let _ = writeln!(
            page,
            "</tbody>\n</table>\n<p class=\"muted\">An expired waiver no longer applies, so its findings fail again. An unused waiver matched nothing in this scan and can be removed.</p>"
        );
    }
    let waived: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|finding| finding.suppression.is_some())
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(page, "<h3>Findings with a waiver</h3>");
        write_finding_table(page, &waived);
    }
    let _ = writeln!(page, "</section>");
}

fn write_waiver_row(page: &mut String, waiver: &WaiverUse) {
    let declaration = &waiver.declaration;
    let state = waiver_state(waiver);
    let _ = writeln!(
        page,
        "<tr><td><span class=\"badge {state}\">{state}</span></td><td><code>{}</code></td><td>{}</td><td class=\"number\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}:{}</code></td></tr>",
        escape(&waiver.check),
        waiver
            .target
            .as_deref()
            .map_or(String::new(), |target| format!(
                "<code>{}</code>",
                escape(target)
            )),
        waiver.matched,
        escape(&declaration.reason),
        escape(declaration.owner.as_deref().unwrap_or("")),
        escape(declaration.expires.as_deref().unwrap_or("")),
        escape(declaration.ticket.as_deref().unwrap_or("")),
        escape(&declaration.file),
        declaration.line
    );
}

fn write_manual_controls(page: &mut String, frameworks: &[FrameworkResult]) {
    let manual: Vec<(&FrameworkResult, &ControlResult)> = frameworks
        .iter()
        .flat_map(|framework| {
            framework
                .controls
                .iter()
                .filter(|control| control.status == ControlStatus::Manual)
                .map(move |control| (framework, control))
        })
        .collect();
    let _ = writeln!(
        page,
        "<section id=\"manual\">\n<h2>Manual and attested controls</h2>"
    );
    if manual.is_empty() {
        let _ = writeln!(
            page,
            "<p>Every control has automated evidence.</p>\n</section>"
        );
        return;
    }
    let _ = writeln!(
        page,
        "<table>\n<thead><tr><th>Framework</th><th>Control</th><th>Title</th><th>State</th><th>Evidence</th><th>Owner</th><th>Attested</th><th>Next review</th></tr></thead>\n<tbody>"
    );
    for (framework, control) in manual {
        let (state, evidence, owner, date, due) = match &control.attestation {
            Some(attestation) => (
                if attestation.overdue {
                    "overdue"
                } else {
                    "attested"
                },
                escape(&attestation.evidence),
                escape(&attestation.owner),
                escape(&attestation.date),
                escape(&attestation.due),
            ),
            None => (
                "manual",
                "<span class=\"muted\">none recorded</span>".to_owned(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td><a href=\"#control-{}\">{}</a></td><td>{}</td><td><span class=\"badge {state}\">{state}</span></td><td>{evidence}</td><td>{owner}</td><td>{date}</td><td>{due}</td></tr>",
            escape(&framework.name),
            escape(&control_token(&framework.id, &control.id)),
            escape(&control.id),
            escape(&control.title),
        );
    }
    let _ = writeln!(page, "</tbody>\n</table>\n</section>");
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn script_closes_no_tag() {
        assert!(!SCRIPT.contains("</script"));
        assert!(!STYLE.contains("</style"));
    }
}
