//! The Markdown report: sections, escaping of scanned text, and a snapshot.

mod common;

use nexafi_report::render_markdown;

fn rendered() -> String {
    render_markdown(&common::audit_fixture().result)
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(rendered());
}

#[test]
fn sections_in_order() {
    let text = rendered();
    let headings: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("## "))
        .collect();
    assert_eq!(
        headings,
        [
            "## Frameworks",
            "## Failing findings",
            "## Unknown findings",
            "## Waivers",
            "## Manual controls"
        ]
    );
}

#[test]
fn waiver_states_listed() {
    let text = rendered();
    let rows: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("| `NXF-"))
        .filter(|line| line.contains("nexafi.toml") || line.contains("ledger.yaml:12"))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[0].contains("| active | 1 |"), "{}", rows[0]);
    assert!(rows[1].contains("| expired | 1 |"), "{}", rows[1]);
    assert!(rows[2].contains("| unused | 0 |"), "{}", rows[2]);
}

#[test]
fn overdue_attestation_flagged() {
    let text = rendered();
    assert!(text.contains("**overdue** since 2026-06-01"), "{text}");
}

#[test]
fn scanned_text_is_escaped() {
    let text = rendered();
    // The expired waiver's reason contains `<eBPF>`, which must not become an HTML tag.
    assert!(text.contains("\\<eBPF\\>"), "{text}");
    assert!(!text.contains("<eBPF>"), "{text}");
    // `&` in an attestation would otherwise start an entity.
    assert!(text.contains("acknowledgements \\& training"), "{text}");
}

#[test]
fn table_rows_have_equal_cells() {
    let text = rendered();
    let mut table: Vec<&str> = Vec::new();
    for line in text.lines().chain(std::iter::once("")) {
        if line.starts_with('|') {
            table.push(line);
            continue;
        }
        if let Some(header) = table.first() {
            let cells = cell_count(header);
            for row in &table {
                assert_eq!(cell_count(row), cells, "{row}");
            }
        }
        table.clear();
    }
}

/// Counts the cells of a table row, skipping pipes escaped with a backslash.
fn cell_count(row: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for character in row.chars() {
        match character {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count - 1
}
