//! The human report on a real source map: snapshots with colour off, and the rules
//! snapshots do not show on their own.

mod common;

use nexafi_model::{ScanResult, SourceMap, Summary, Verdict};
use nexafi_report::{HumanOptions, render_human};

fn render(result: &ScanResult, sources: &SourceMap, options: HumanOptions) -> String {
    let mut out = Vec::new();
    if let Err(error) = render_human(result, sources, &options, &mut out) {
        panic!("render_human failed: {error}");
    }
    match String::from_utf8(out) {
        Ok(text) => text,
        Err(error) => panic!("render_human wrote invalid UTF-8: {error}"),
    }
}

#[test]
fn human_snapshot() {
    let fixture = common::fixture();
    let text = render(&fixture.result, &fixture.sources, HumanOptions::default());
    insta::assert_snapshot!(text);
}

#[test]
fn human_snapshot_show_passed() {
    let fixture = common::fixture();
    let options = HumanOptions {
        show_passed: true,
        ..HumanOptions::default()
    };
    insta::assert_snapshot!(render(&fixture.result, &fixture.sources, options));
}

#[test]
fn passed_hidden_by_default() {
    let fixture = common::fixture();
    let text = render(&fixture.result, &fixture.sources, HumanOptions::default());
    assert!(!text.contains("pass[NXF-K8S-POD-002]"), "{text}");
    assert!(!text.contains("waived[NXF-AWS-KMS-002]"), "{text}");
    assert!(text.contains("fail[NXF-AWS-KMS-001]"), "{text}");
    assert!(text.contains("unknown[NXF-AWS-S3-004]"), "{text}");
    assert!(text.contains("error[NXF-LOAD-ERROR]"), "{text}");
}

#[test]
fn findings_sorted_by_location() {
    let fixture = common::fixture();
    let options = HumanOptions {
        show_passed: true,
        ..HumanOptions::default()
    };
    let text = render(&fixture.result, &fixture.sources, options);
    let order: Vec<usize> = [
        "charts/payments",
        "infra/main.tf:1:",
        "infra/main.tf:3:",
        "infra/main.tf:7:",
        "k8s/ledger.yaml:13:",
        "k8s/ledger.yaml:14:",
    ]
    .iter()
    .map(|location| match text.find(location) {
        Some(index) => index,
        None => panic!("{location} is not in the report:\n{text}"),
    })
    .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "{text}");
}

#[test]
fn missing_source_has_no_frame() {
    let fixture = common::fixture();
    let text = render(&fixture.result, &SourceMap::new(), HumanOptions::default());
    assert!(text.contains(" --> infra/main.tf:3:25"), "{text}");
    assert!(!text.contains("enable_key_rotation = false"), "{text}");
    assert!(!text.contains('^'), "{text}");
}

#[test]
fn controls_on_one_line() {
    let fixture = common::fixture();
    let text = render(&fixture.result, &fixture.sources, HumanOptions::default());
    assert!(
        text.contains("= controls: PCI DSS 2.2.1 · SOC 2 CC6.8\n"),
        "{text}"
    );
    // FFIEC is not among the report's frameworks, so its control is left out.
    assert!(text.contains("= controls: PCI DSS 3.7.4\n"), "{text}");
}

#[test]
fn color_only_when_asked() {
    let fixture = common::fixture();
    let plain = render(&fixture.result, &fixture.sources, HumanOptions::default());
    assert!(!plain.contains('\u{1b}'), "{plain}");
    let options = HumanOptions {
        color: true,
        ..HumanOptions::default()
    };
    let colored = render(&fixture.result, &fixture.sources, options);
    // Bold red for a failure label.
    assert!(
        colored.contains("\u{1b}[1m\u{1b}[31mfail[NXF-AWS-KMS-001]"),
        "{colored}"
    );
}

#[test]
fn escape_codes_in_source_replaced() {
    let fixture = common::fixture();
    let mut result = fixture.result.clone();
    result.findings[0].message = "bad \u{1b}[2J value".to_owned();
    let text = render(&result, &fixture.sources, HumanOptions::default());
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("bad \u{FFFD}[2J value"), "{text}");
}

#[test]
fn no_findings_message() {
    let fixture = common::fixture();
    let mut result = fixture.result.clone();
    result
        .findings
        .retain(|finding| matches!(finding.verdict, Verdict::Pass | Verdict::Waived));
    result.summary = Summary::count(&result.findings);
    let text = render(&result, &fixture.sources, HumanOptions::default());
    assert!(
        text.starts_with("No failing, unknown or error findings.\n"),
        "{text}"
    );
    assert!(
        text.contains("summary: 0 fail, 0 unknown, 0 error, 1 pass, 1 waived"),
        "{text}"
    );
}

#[test]
fn table_omitted_without_frameworks() {
    let fixture = common::fixture();
    let mut result = fixture.result.clone();
    result.frameworks.clear();
    let text = render(&result, &fixture.sources, HumanOptions::default());
    assert!(!text.contains("coverage"), "{text}");
    assert!(text.trim_end().ends_with("64 checks)"), "{text}");
}
