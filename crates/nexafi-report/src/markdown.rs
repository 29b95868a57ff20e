//! The Markdown report, for pull request comments, job summaries and wikis.
//!
//! Sections: the scan inputs, a summary, one table row per framework, the failing
//! findings, unknown findings, waivers with their use, and manual controls with their
//! attestations. Text from scanned files and configuration is escaped, so a resource name
//! cannot inject links, HTML or table cells.

use std::fmt::Write as _;

use nexafi_model::{ControlStatus, Finding, FrameworkResult, ScanResult, Verdict, WaiverUse};

/// Renders the scan result as CommonMark with GitHub tables, ending with a newline.
pub fn render_markdown(result: &ScanResult) -> String {
    let mut out = String::new();
    write_header(&mut out, result);
    write_frameworks(&mut out, &result.frameworks);
    write_findings(&mut out, result);
    write_waivers(&mut out, result);
    write_manual_controls(&mut out, &result.frameworks);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn write_header(out: &mut String, result: &ScanResult) {
    let inputs = &result.inputs;
    let summary = &result.summary;
    let _ = writeln!(out, "# nexafi compliance report\n");
    let _ = writeln!(
        out,
        "**{} fail**, {} unknown, {} error, {} pass, {} waived ({} findings; {} files, {} resources, {} checks)\n",
        summary.fail,
        summary.unknown,
        summary.error,
        summary.pass,
        summary.waived,
        result.findings.len(),
        inputs.files,
        inputs.resources,
        inputs.checks
    );

    let _ = writeln!(out, "| scan input | value |");
    let _ = writeln!(out, "|---|---|");
    let paths: Vec<String> = inputs.paths.iter().map(|path| code(path)).collect();
    let _ = writeln!(out, "| paths | {} |", paths.join(", "));
    let _ = writeln!(
        out,
        "| commit | {} |",
        inputs
            .commit
            .as_deref()
            .map_or("not a Git work tree".to_owned(), code)
    );
    let _ = writeln!(
        out,
        "| started | {} |",
        inputs
            .started_at
            .as_deref()
            .map_or("unknown".to_owned(), escape)
    );
    let _ = writeln!(
        out,
        "| tool | {} {} |",
        escape(&result.tool.name),
        escape(&result.tool.version)
    );
    let _ = writeln!(
        out,
        "| check catalog digest | {} |",
        inputs
            .check_catalog_digest
            .as_deref()
            .map_or("unknown".to_owned(), code)
    );
    let _ = writeln!(
        out,
        "| severity threshold | {} |\n",
        inputs
            .severity_threshold
            .map_or("none", |severity| severity.as_str())
    );
}

fn write_frameworks(out: &mut String, frameworks: &[FrameworkResult]) {
    if frameworks.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Frameworks\n");
    let _ = writeln!(
        out,
        "| framework | version | satisfied | not satisfied | not assessed | manual | score | coverage |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|");
    for framework in frameworks {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1}% |",
            escape(&framework.name),
            escape(&framework.version),
            framework.satisfied,
            framework.not_satisfied,
            framework.not_assessed,
            framework.manual,
            framework
                .score
                .map_or("n/a".to_owned(), |score| format!("{score:.1}%")),
            framework.coverage
        );
    }
    let _ = writeln!(
        out,
        "\nScore: satisfied controls as a share of the controls with a decided status. Coverage: controls with automated evidence as a share of all.\n"
    );

    let failing: Vec<(&FrameworkResult, &nexafi_model::ControlResult)> = frameworks
        .iter()
        .flat_map(|framework| {
            framework
                .controls
                .iter()
                .filter(|control| control.status == ControlStatus::NotSatisfied)
                .map(move |control| (framework, control))
        })
        .collect();
    if failing.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Controls not satisfied\n");
    let _ = writeln!(
        out,
        "| framework | control | title | failing results | checks |"
    );
    let _ = writeln!(out, "|---|---|---|--:|---|");
    for (framework, control) in failing {
        let checks: Vec<String> = control.checks.iter().map(|check| code(check)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            escape(&framework.name),
            escape(&control.id),
            escape(&control.title),
            control.fail,
            checks.join(", ")
        );
    }
    out.push('\n');
}

fn write_findings(out: &mut String, result: &ScanResult) {
    let mut findings: Vec<&Finding> = result.findings.iter().collect();
    findings.sort_by(crate::by_location);

    let failing: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|finding| matches!(finding.verdict, Verdict::Fail | Verdict::Error))
        .collect();
    let _ = writeln!(out, "## Failing findings\n");
    if failing.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        write_finding_table(out, &failing);
    }

    let unknown: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|finding| finding.verdict == Verdict::Unknown)
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(out, "## Unknown findings\n");
        let _ = writeln!(
            out,
            "These could not be decided offline and are not counted as passes.\n"
        );
        write_finding_table(out, &unknown);
    }
}

fn write_finding_table(out: &mut String, findings: &[&Finding]) {
    let _ = writeln!(
        out,
        "| severity | check | location | resource | message | controls |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for finding in findings {
        let mut message = escape(&finding.message);
        if let Some(suppression) = &finding.suppression
            && suppression.expired
        {
            let _ = write!(
                message,
                " (waiver expired on {})",
                escape(suppression.expires.as_deref().unwrap_or("an unknown day"))
            );
        }
        let controls: Vec<String> = finding
            .controls
            .iter()
            .map(|(framework, ids)| format!("{} {}", escape(framework), escape(&ids.join(", "))))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            finding.severity,
            code(&finding.check_id),
            code(&format!(
                "{}:{}:{}",
                finding.file, finding.line, finding.column
            )),
            if finding.resource.is_empty() {
                String::new()
            } else {
                code(&finding.resource)
            },
            message,
            controls.join("; ")
        );
    }
    out.push('\n');
}

fn write_waivers(out: &mut String, result: &ScanResult) {
    let waived: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|finding| finding.suppression.is_some())
        .collect();
    if result.waivers.is_empty() && waived.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Waivers\n");

    if !result.waivers.is_empty() {
        let _ = writeln!(
            out,
            "| check | target | state | matched | reason | owner | expires | ticket | declared in |"
        );
        let _ = writeln!(out, "|---|---|---|--:|---|---|---|---|---|");
        for waiver in &result.waivers {
            let declaration = &waiver.declaration;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                code(&waiver.check),
                waiver.target.as_deref().map_or(String::new(), code),
                waiver_state(waiver),
                waiver.matched,
                escape(&declaration.reason),
                escape(declaration.owner.as_deref().unwrap_or("")),
                escape(declaration.expires.as_deref().unwrap_or("")),
                escape(declaration.ticket.as_deref().unwrap_or("")),
                code(&format!("{}:{}", declaration.file, declaration.line))
            );
        }
        out.push('\n');
    }

    if !waived.is_empty() {
        let _ = writeln!(out, "### Findings with a waiver\n");
        let _ = writeln!(out, "| check | location | resource | verdict | reason |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        let mut sorted = waived;
        sorted.sort_by(crate::by_location);
        for finding in sorted {
            let reason = finding
                .suppression
                .as_ref()
                .map_or(String::new(), |suppression| escape(&suppression.reason));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&finding.check_id),
                code(&format!(
                    "{}:{}:{}",
                    finding.file, finding.line, finding.column
                )),
                code(&finding.resource),
                finding.verdict,
                reason
            );
        }
        out.push('\n');
    }
}

/// Describes a waiver's state in a word or two: unused and expired waivers need action.
pub(crate) fn waiver_state(waiver: &WaiverUse) -> &'static str {
    match (waiver.declaration.expired, waiver.matched) {
        (true, _) => "expired",
        (false, 0) => "unused",
        (false, _) => "active",
    }
}

fn write_manual_controls(out: &mut String, frameworks: &[FrameworkResult]) {
    let manual: Vec<(&FrameworkResult, &nexafi_model::ControlResult)> = frameworks
        .iter()
        .flat_map(|framework| {
            framework
                .controls
                .iter()
                .filter(|control| control.status == ControlStatus::Manual)
                .map(move |control| (framework, control))
        })
        .collect();
    if manual.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Manual controls\n");
    let _ = writeln!(
        out,
        "No automated check gives evidence for these; an auditor needs process or people evidence. Attestations come from `nexafi.toml`.\n"
    );
    let _ = writeln!(
        out,
        "| framework | control | title | attestation | owner | attested | next review |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for (framework, control) in manual {
        let (evidence, owner, date, due) = match &control.attestation {
            Some(attestation) => (
                escape(&attestation.evidence),
                escape(&attestation.owner),
                escape(&attestation.date),
                if attestation.overdue {
                    format!("**overdue** since {}", escape(&attestation.due))
                } else {
                    escape(&attestation.due)
                },
            ),
            None => (
                "none".to_owned(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            escape(&framework.name),
            escape(&control.id),
            escape(&control.title),
            evidence,
            owner,
            date,
            due
        );
    }
    out.push('\n');
}

/// Escapes text for a Markdown table cell: characters with a Markdown meaning get a
/// backslash, and line breaks become spaces so a cell stays on its row.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                escaped.push('\\');
                escaped.push(character);
            }
            '\r' | '\n' => escaped.push(' '),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Writes text as a code span. The fence is one backtick longer than the longest run of
/// backticks in the text, and `|` is escaped because GitHub splits table cells on it
/// even inside code spans.
fn code(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for character in text.chars() {
        if character == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let body = text.replace(['\r', '\n'], " ").replace('|', "\\|");
    let padding = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{padding}{body}{padding}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_markdown_syntax() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("[x](y)"), "\\[x\\](y)");
        assert_eq!(escape("<script>"), "\\<script\\>");
        assert_eq!(escape("one\ntwo"), "one two");
    }

    #[test]
    fn code_span_fences() {
        assert_eq!(code("main.tf"), "`main.tf`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
