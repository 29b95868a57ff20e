//! The HTML report: escaping, self-containment, a snapshot, and the page as headless
//! Chromium shows it after its script ran.

mod common;

use std::path::PathBuf;
use std::process::Command;

use nexafi_report::render_html;

const CHROMIUM: &str = "/usr/bin/chromium";

fn rendered() -> String {
    render_html(&common::audit_fixture().result)
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(rendered());
}

#[test]
fn scanned_text_is_escaped() {
    let page = rendered();
    assert!(
        page.contains("&lt;eBPF&gt;"),
        "the waiver reason is missing"
    );
    assert!(!page.contains("<eBPF>"), "the waiver reason is not escaped");
    assert!(page.contains("acknowledgements &amp; training"));
}

#[test]
fn page_loads_nothing() {
    let page = rendered();
    assert!(page.contains("Content-Security-Policy"));
    assert!(page.contains("default-src 'none'"));
    for needle in [
        " src=",
        "<link",
        "@import",
        "url(",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!page.contains(needle), "the page contains {needle:?}");
    }
}

#[test]
fn page_shows_inputs_and_waivers() {
    let page = rendered();
    for needle in [
        "3f1c2a9e4b7d8c6f5a0e1d2c3b4a5f6e7d8c9b0a",
        "2026-11-30T09:15:00Z",
        "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
        "nexafi 0.1.0",
        "<span class=\"badge expired\">expired</span>",
        "<span class=\"badge unused\">unused</span>",
        "<span class=\"badge overdue\">overdue</span>",
        "<span class=\"badge attested\">attested</span>",
    ] {
        assert!(page.contains(needle), "the page lacks {needle:?}");
    }
}

#[test]
fn chart_has_bar_per_framework() {
    let page = rendered();
    let chart_start = page.find("<svg").unwrap_or(0);
    let chart_end = page.find("</svg>").unwrap_or(0);
    let chart = &page[chart_start..chart_end];
    assert!(chart.contains("PCI DSS: 1 satisfied"), "{chart}");
    assert!(chart.contains("PCI DSS: 2 not satisfied"), "{chart}");
    assert!(chart.contains("score 33.3%, coverage 75.0%"), "{chart}");
    assert!(chart.contains("score n/a, coverage 50.0%"), "{chart}");
}

/// Opens the report in headless Chromium at `#fragment`, lets its script run and returns
/// the DOM and Chromium's log. Only the report's own temporary file is opened.
fn open_in_chromium(fragment: &str) -> (String, String) {
    assert!(
        PathBuf::from(CHROMIUM).is_file(),
        "{CHROMIUM} is missing; install the Debian package chromium (scripts/test.sh does)"
    );
    let Ok(directory) = tempfile::tempdir() else {
        panic!("cannot create a temporary directory");
    };
    let page = directory.path().join("report.html");
    if let Err(error) = std::fs::write(&page, rendered()) {
        panic!("cannot write {}: {error}", page.display());
    }
    let profile = directory.path().join("profile");
    let url = format!("file://{}#{fragment}", page.display());
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => panic!("cannot run {CHROMIUM}: {error}"),
    };
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn chromium_shows_control_detail() {
    let (dom, log) = open_in_chromium("control-pci_dss-3.7.4");

    // Chromium logs every console message, errors included, as a CONSOLE line.
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("CONSOLE"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");

    assert!(
        dom.contains("data-ready=\"true\""),
        "the script did not finish"
    );
    assert!(dom.contains("<table id=\"score-table\">"), "no score table");
    assert!(
        dom.contains("<td class=\"number\">33.3%</td>"),
        "no PCI DSS score"
    );
    assert!(
        dom.contains("6 of 6 controls shown"),
        "the filter did not run"
    );

    let Some(start) = dom.find("id=\"control-pci_dss-3.7.4\"") else {
        panic!("no detail element for PCI DSS 3.7.4");
    };
    let tag_start = dom[..start].rfind('<').unwrap_or(start);
    let tag = &dom[tag_start..start + dom[start..].find('>').unwrap_or(0)];
    assert!(tag.contains(" open"), "the linked control is closed: {tag}");
    let detail = &dom[start..start + dom[start..].find("</details>").unwrap_or(0)];
    assert!(
        detail.contains("automatic key rotation is disabled"),
        "the detail lacks the finding: {detail}"
    );
}
