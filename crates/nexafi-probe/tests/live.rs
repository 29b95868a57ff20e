//! Probes real TLS servers started on 127.0.0.1: a hardened rustls server, one with an
//! expired certificate, one without security headers, and OpenSSL's `s_server` speaking
//! only TLS 1.0 with weak ciphers. Certificates come from a CA generated per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{OpensslServer, Pki, TlsServer, free_port};
use nexafi_model::Verdict;
use nexafi_probe::{ProbeOptions, ProbeReport, Target, UNREACHABLE_ID, Version, findings, probe};

const HARDENED_HEADERS: &[(&str, &str)] = &[
    (
        "Strict-Transport-Security",
        "max-age=63072000; includeSubDomains",
    ),
    ("X-Content-Type-Options", "nosniff"),
    (
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("Server", "nexafi"),
];

fn options(pki: &Pki, trust_ca: bool) -> ProbeOptions {
    ProbeOptions {
        timeout: Duration::from_secs(5),
        ca_files: if trust_ca {
            vec![pki.ca_file()]
        } else {
            Vec::new()
        },
        expiry_warning_days: 30,
    }
}

fn run(port: u16, options: &ProbeOptions) -> ProbeReport {
    let target: Target = format!("https://127.0.0.1:{port}/").parse().unwrap();
    probe(&target, options).unwrap()
}

fn verdict_of(report: &ProbeReport, id: &str) -> (Verdict, String) {
    findings(report)
        .into_iter()
        .find(|finding| finding.check_id == id)
        .map(|finding| (finding.verdict, finding.message))
        .unwrap_or_else(|| panic!("no finding for {id}"))
}

#[test]
fn hardened_server_passes_every_check() {
    let pki = Pki::new();
    let server = TlsServer::start(&pki, pki.valid_leaf(), HARDENED_HEADERS);
    let report = run(server.port, &options(&pki, true));

    assert!(report.supports(Version::Tls13), "{report:?}");
    assert!(report.supports(Version::Tls12), "{report:?}");
    assert!(!report.supports(Version::Tls10));
    assert!(!report.supports(Version::Tls11));
    assert!(
        report.version_errors.is_empty(),
        "{:?}",
        report.version_errors
    );
    for finding in findings(&report) {
        assert_eq!(
            finding.verdict,
            Verdict::Pass,
            "{}: {}",
            finding.check_id,
            finding.message
        );
    }
}

#[test]
fn expired_certificate_fails() {
    let pki = Pki::new();
    let server = TlsServer::start(&pki, pki.expired_leaf(), HARDENED_HEADERS);
    let report = run(server.port, &options(&pki, true));

    let (expired, message) = verdict_of(&report, "NXF-TLS-005");
    assert_eq!(expired, Verdict::Fail, "{message}");
    assert!(message.contains("expired"), "{message}");
    assert_eq!(verdict_of(&report, "NXF-TLS-006").0, Verdict::Fail);
    assert_eq!(verdict_of(&report, "NXF-TLS-007").0, Verdict::Fail);
    // The handshake still completes, so the headers are read.
    assert_eq!(verdict_of(&report, "NXF-HTTP-001").0, Verdict::Pass);
}

#[test]
fn unknown_issuer_fails_without_ca_file() {
    let pki = Pki::new();
    let server = TlsServer::start(&pki, pki.valid_leaf(), HARDENED_HEADERS);
    let report = run(server.port, &options(&pki, false));

    let (verdict, message) = verdict_of(&report, "NXF-TLS-007");
    assert_eq!(verdict, Verdict::Fail, "{message}");
    assert!(message.contains("--ca-file"), "{message}");
    assert_eq!(verdict_of(&report, "NXF-TLS-005").0, Verdict::Pass);
}

#[test]
fn missing_security_headers_fail() {
    let pki = Pki::new();
    let server = TlsServer::start(&pki, pki.valid_leaf(), &[("Server", "Apache/2.4.58")]);
    let report = run(server.port, &options(&pki, true));

    for id in [
        "NXF-HTTP-001",
        "NXF-HTTP-002",
        "NXF-HTTP-003",
        "NXF-HTTP-004",
    ] {
        assert_eq!(verdict_of(&report, id).0, Verdict::Fail, "{id}");
    }
    assert_eq!(verdict_of(&report, "NXF-TLS-001").0, Verdict::Pass);
}

#[test]
fn tls10_only_server_fails_protocol_checks() {
    let pki = Pki::new();
    let server = OpensslServer::start_tls10(&pki);
    let report = run(server.port, &options(&pki, true));

    assert!(report.supports(Version::Tls10), "{report:?}");
    assert!(!report.supports(Version::Tls12));
    let (outdated, message) = verdict_of(&report, "NXF-TLS-001");
    assert_eq!(outdated, Verdict::Fail);
    assert!(message.contains("TLS 1.0"), "{message}");
    assert_eq!(verdict_of(&report, "NXF-TLS-002").0, Verdict::Fail);
    // Static RSA and 3DES suites are enabled by the weak cipher string.
    assert_eq!(verdict_of(&report, "NXF-TLS-003").0, Verdict::Fail);
    assert_eq!(verdict_of(&report, "NXF-TLS-004").0, Verdict::Fail);
    // The certificate is read from the plaintext TLS 1.0 handshake.
    let (valid, message) = verdict_of(&report, "NXF-TLS-005");
    assert_eq!(valid, Verdict::Pass, "{message}");
    assert_eq!(verdict_of(&report, "NXF-TLS-007").0, Verdict::Pass);
    // No TLS 1.2 handshake is possible, so the headers stay unknown.
    assert_eq!(verdict_of(&report, "NXF-HTTP-001").0, Verdict::Unknown);
}

#[test]
fn closed_port_is_one_error() {
    let pki = Pki::new();
    let port = free_port();
    let report = run(port, &options(&pki, true));
    let findings = findings(&report);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].check_id, UNREACHABLE_ID);
    assert_eq!(findings[0].verdict, Verdict::Error);
}
