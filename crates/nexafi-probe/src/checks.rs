//! Turns a [`ProbeReport`] into findings, one per check and endpoint, with a pass, fail or
//! unknown verdict like the offline checks.

use std::collections::BTreeMap;

use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Finding, InputKind, Severity, Verdict, fingerprint,
};

use crate::hello::Version;
use crate::suites::{self, Strength};
use crate::{CertificateReport, HttpHead, ProbeReport};

const KINDS: &[&str] = &["tls_endpoint"];

#[allow(clippy::too_many_arguments)]
const fn check(
    id: &'static str,
    slug: &'static str,
    title: &'static str,
    severity: Severity,
    categories: &'static [&'static str],
    references: &'static [&'static str],
    what: &'static str,
    why: &'static str,
    fix: &'static str,
    limitations: &'static str,
) -> CheckMeta {
    CheckMeta {
        id,
        slug,
        title,
        severity,
        input: InputKind::Endpoint,
        kinds: KINDS,
        categories,
        extra_controls: &[],
        status: CheckStatus::Preview,
        aliases: &[],
        references,
        docs: CheckDocs {
            what,
            why,
            fix,
            limitations,
        },
    }
}

const NIST_800_52: &str = "https://csrc.nist.gov/pubs/sp/800/52/r2/final";

const OUTDATED: CheckMeta = check(
    "NXF-TLS-001",
    "tls-outdated-protocol",
    "Endpoint accepts SSL 3.0, TLS 1.0 or TLS 1.1",
    Severity::High,
    &["tls-min-version"],
    &[NIST_800_52],
    "Sends one ClientHello per outdated version and fails when the server answers with a ServerHello for it.",
    "PCI DSS 4.0 counts SSL and early TLS as not strong cryptography, and NIST SP 800-52 Rev. 2 requires TLS 1.2 or newer for government systems; downgrade attacks such as POODLE and BEAST target these versions.",
    "Set the server's minimum protocol to TLS 1.2, for example `ssl_protocols TLSv1.2 TLSv1.3;` in nginx or `MinProtocol = TLSv1.2` in OpenSSL.",
    "A server that refuses a probe for another reason (an SNI it does not serve, a rate limit) looks like one that refuses the version.",
);
const MODERN_MISSING: CheckMeta = check(
    "NXF-TLS-002",
    "tls-modern-protocol-missing",
    "Endpoint offers neither TLS 1.2 nor TLS 1.3",
    Severity::High,
    &["tls-min-version"],
    &[NIST_800_52],
    "Fails when neither a TLS 1.2 nor a TLS 1.3 ClientHello is accepted.",
    "Without TLS 1.2 or 1.3 every client either fails or falls back to broken protocols.",
    "Enable TLS 1.2 and TLS 1.3 in the server's TLS settings.",
    "Only the versions this probe can ask for are known: a server speaking a future version only is reported as failing.",
);
const INSECURE_SUITE: CheckMeta = check(
    "NXF-TLS-003",
    "tls-insecure-cipher-suite",
    "Endpoint accepts broken cipher suites (NULL, EXPORT, anonymous, RC4, DES, 3DES, MD5)",
    Severity::High,
    &["tls-min-version"],
    &[NIST_800_52],
    "Lists every suite the server accepts for each version, by offering all known suites and removing the chosen one until the server refuses, and fails on NULL, EXPORT, anonymous, RC4, DES, 3DES or MD5 suites.",
    "These suites give no confidentiality, no authentication, or can be broken in practice (RC4 biases, Sweet32 on 64-bit blocks).",
    "Restrict the cipher list to ECDHE suites with AES-GCM or ChaCha20-Poly1305.",
    "Suites outside the probe's table (PSK, SRP, Kerberos) are not offered and so not reported.",
);
const NO_FORWARD_SECRECY: CheckMeta = check(
    "NXF-TLS-004",
    "tls-no-forward-secrecy",
    "Endpoint accepts static RSA key exchange, which has no forward secrecy",
    Severity::Medium,
    &["tls-min-version"],
    &[NIST_800_52],
    "Fails when the server accepts a TLS_RSA_* suite that is not already reported as broken.",
    "With static RSA key exchange, anyone who later obtains the server's private key can decrypt recorded traffic, card data included.",
    "Remove TLS_RSA_* suites and keep ECDHE (or DHE) suites.",
    "Servers that accept RSA key exchange only for old clients still fail.",
);
const EXPIRED: CheckMeta = check(
    "NXF-TLS-005",
    "tls-certificate-expired",
    "Certificate is expired or not yet valid",
    Severity::High,
    &["cert-lifecycle"],
    &["https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.5"],
    "Reads the leaf certificate and compares its validity period with the probe's clock.",
    "Clients reject an expired certificate, and users trained to click through warnings are open to interception.",
    "Renew the certificate and deploy it, and automate renewal (ACM, cert-manager).",
    "Uses the clock of the machine running the probe.",
);
const EXPIRING: CheckMeta = check(
    "NXF-TLS-006",
    "tls-certificate-expiring",
    "Certificate expires soon",
    Severity::Medium,
    &["cert-lifecycle"],
    &[],
    "Fails when the leaf certificate expires within the warning period (30 days unless --expiry-warning-days sets it).",
    "An expiry found a month ahead is a ticket; found the day after, it is an outage.",
    "Renew the certificate, and alert on expiry from monitoring as well.",
    "Only the leaf is checked; an intermediate that expires first is not reported.",
);
const UNTRUSTED: CheckMeta = check(
    "NXF-TLS-007",
    "tls-certificate-untrusted",
    "Certificate chain does not verify for the host name",
    Severity::High,
    &["cert-lifecycle", "tls-in-transit"],
    &["https://www.rfc-editor.org/rfc/rfc5280"],
    "Verifies the chain the server sends against the Mozilla root set plus any --ca-file, for the target's host name or IP address, with rustls's WebPKI verifier.",
    "An unverifiable chain cannot prove the server's identity, so clients either fail or learn to skip verification.",
    "Serve the full chain from a trusted CA, with the host name in the subject alternative names; pass --ca-file for a private CA.",
    "Revocation (OCSP, CRL) is not checked.",
);
const WEAK_KEY: CheckMeta = check(
    "NXF-TLS-008",
    "tls-certificate-weak-key",
    "Certificate key is shorter than 112-bit security (RSA 2048, EC 224)",
    Severity::Medium,
    &["cert-lifecycle"],
    &["https://csrc.nist.gov/pubs/sp/800/57/pt1/r5/final"],
    "Reads the leaf certificate's public key and fails on RSA under 2048 bits or elliptic curves under 224 bits.",
    "NIST SP 800-57 sets 112-bit security as the minimum; shorter keys can be factored or solved with affordable compute.",
    "Reissue the certificate with RSA 2048 or longer, or ECDSA P-256.",
    "Key types other than RSA and EC are not judged.",
);
const HSTS: CheckMeta = check(
    "NXF-HTTP-001",
    "http-hsts-missing",
    "Strict-Transport-Security is missing or shorter than one year",
    Severity::Medium,
    &["tls-in-transit"],
    &["https://www.rfc-editor.org/rfc/rfc6797"],
    "Sends one GET request over TLS and fails when the response has no Strict-Transport-Security header or its max-age is under 31536000 seconds.",
    "Without HSTS a first plain-HTTP request can be intercepted and downgraded (SSL stripping).",
    "Send `Strict-Transport-Security: max-age=31536000; includeSubDomains`.",
    "Only the response to the target's path is read; other paths may differ.",
);
const NOSNIFF: CheckMeta = check(
    "NXF-HTTP-002",
    "http-nosniff-missing",
    "X-Content-Type-Options: nosniff is missing",
    Severity::Low,
    &[],
    &[],
    "Fails when the response lacks `X-Content-Type-Options: nosniff`.",
    "Browsers that sniff content types can run uploaded data as script.",
    "Send `X-Content-Type-Options: nosniff` on every response.",
    "Only the response to the target's path is read.",
);
const FRAMING: CheckMeta = check(
    "NXF-HTTP-003",
    "http-framing-unrestricted",
    "Neither X-Frame-Options nor a CSP frame-ancestors directive limits framing",
    Severity::Low,
    &[],
    &[],
    "Fails when the response has neither X-Frame-Options DENY or SAMEORIGIN nor a Content-Security-Policy with frame-ancestors.",
    "Pages that can be framed by any site are open to clickjacking.",
    "Send `Content-Security-Policy: frame-ancestors 'none'` (or `X-Frame-Options: DENY`).",
    "APIs that never serve HTML can waive this check.",
);
const DISCLOSURE: CheckMeta = check(
    "NXF-HTTP-004",
    "http-version-disclosed",
    "Server or X-Powered-By header discloses a software version",
    Severity::Low,
    &[],
    &[],
    "Fails when the Server or X-Powered-By header contains a digit, which usually means a version number.",
    "A version string tells an attacker which known vulnerabilities to try first.",
    "Drop the version from these headers (`server_tokens off;` in nginx, `ServerTokens Prod` in Apache).",
    "A product name that contains a digit is reported too.",
);
/// Reported once per endpoint that cannot be reached.
pub const UNREACHABLE_ID: &str = "NXF-PROBE-UNREACHABLE";

/// Every live check, in report order.
pub const CHECKS: &[CheckMeta] = &[
    OUTDATED,
    MODERN_MISSING,
    INSECURE_SUITE,
    NO_FORWARD_SECRECY,
    EXPIRED,
    EXPIRING,
    UNTRUSTED,
    WEAK_KEY,
    HSTS,
    NOSNIFF,
    FRAMING,
    DISCLOSURE,
];

/// HSTS max-age that browsers' preload lists and OWASP recommend: one year.
const HSTS_MIN_SECONDS: u64 = 31_536_000;

struct Outcome {
    verdict: Verdict,
    message: String,
    attribute: &'static str,
    expected: Option<String>,
    found: Option<String>,
}

fn outcome(verdict: Verdict, attribute: &'static str, message: String) -> Outcome {
    Outcome {
        verdict,
        message,
        attribute,
        expected: None,
        found: None,
    }
}

/// Builds one finding per check for a reachable endpoint, or one error finding when the
/// endpoint cannot be reached. Controls are left empty for the caller to map from the
/// categories.
pub fn findings(report: &ProbeReport) -> Vec<Finding> {
    if let Some(reason) = &report.unreachable {
        return vec![unreachable(report, reason)];
    }
    let outcomes = [
        (OUTDATED, outdated(report)),
        (MODERN_MISSING, modern_missing(report)),
        (INSECURE_SUITE, suites_matching(report, Strength::Insecure)),
        (NO_FORWARD_SECRECY, no_forward_secrecy(report)),
        (EXPIRED, with_certificate(report, expired)),
        (EXPIRING, with_certificate(report, expiring)),
        (UNTRUSTED, with_certificate(report, untrusted)),
        (WEAK_KEY, with_certificate(report, weak_key)),
        (HSTS, with_http(report, hsts)),
        (NOSNIFF, with_http(report, nosniff)),
        (FRAMING, with_http(report, framing)),
        (DISCLOSURE, with_http(report, disclosure)),
    ];
    outcomes
        .into_iter()
        .map(|(check, outcome)| to_finding(report, check, outcome))
        .collect()
}

fn to_finding(report: &ProbeReport, check: CheckMeta, outcome: Outcome) -> Finding {
    let url = &report.target.url;
    Finding {
        check_id: check.id.to_owned(),
        title: check.title.to_owned(),
        severity: check.severity,
        verdict: outcome.verdict,
        message: outcome.message,
        categories: check.categories.iter().map(|c| (*c).to_owned()).collect(),
        controls: BTreeMap::new(),
        fingerprint: fingerprint(check.id, url, url, Some(outcome.attribute)),
        suppression: None,
        file: url.clone(),
        // An endpoint has no lines, and line 0 makes renderers show the URL alone.
        line: 0,
        column: 0,
        end_line: 0,
        end_column: 0,
        resource: url.clone(),
        resource_kind: "tls_endpoint".to_owned(),
        attribute: Some(outcome.attribute.to_owned()),
        expected: outcome.expected,
        found: outcome.found,
    }
}

fn unreachable(report: &ProbeReport, reason: &str) -> Finding {
    let url = &report.target.url;
    Finding {
        check_id: UNREACHABLE_ID.to_owned(),
        title: "Endpoint could not be probed".to_owned(),
        severity: Severity::High,
        verdict: Verdict::Error,
        message: format!("{reason}; check the address and that the service is running"),
        categories: Vec::new(),
        controls: BTreeMap::new(),
        fingerprint: fingerprint(UNREACHABLE_ID, url, url, None),
        suppression: None,
        file: url.clone(),
        // An endpoint has no lines, and line 0 makes renderers show the URL alone.
        line: 0,
        column: 0,
        end_line: 0,
        end_column: 0,
        resource: url.clone(),
        resource_kind: "tls_endpoint".to_owned(),
        attribute: None,
        expected: None,
        found: None,
    }
}

fn version_list(versions: &[Version]) -> String {
    versions
        .iter()
        .map(|version| version.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn offered_versions(report: &ProbeReport) -> String {
    let versions: Vec<Version> = report.suites.keys().copied().collect();
    if versions.is_empty() {
        "none".to_owned()
    } else {
        version_list(&versions)
    }
}

fn outdated(report: &ProbeReport) -> Outcome {
    let offered: Vec<Version> = Version::ALL
        .into_iter()
        .filter(|version| version.is_outdated() && report.supports(*version))
        .collect();
    let undecided: Vec<Version> = Version::ALL
        .into_iter()
        .filter(|version| version.is_outdated() && report.version_errors.contains_key(version))
        .collect();
    let mut result = if !offered.is_empty() {
        outcome(
            Verdict::Fail,
            "protocols",
            format!(
                "accepts {list}; PCI DSS 4.0 and NIST SP 800-52 Rev. 2 require TLS 1.2 or newer, so disable {list} in the server's TLS settings",
                list = version_list(&offered)
            ),
        )
    } else if !undecided.is_empty() {
        outcome(
            Verdict::Unknown,
            "protocols",
            format!(
                "could not decide whether {} is accepted: {}",
                version_list(&undecided),
                report.version_errors[&undecided[0]]
            ),
        )
    } else {
        outcome(
            Verdict::Pass,
            "protocols",
            "refuses SSL 3.0, TLS 1.0 and TLS 1.1".to_owned(),
        )
    };
    result.expected = Some("TLS 1.2 or newer only".to_owned());
    result.found = Some(offered_versions(report));
    result
}

fn modern_missing(report: &ProbeReport) -> Outcome {
    let modern = [Version::Tls12, Version::Tls13];
    let mut result = if modern.iter().any(|version| report.supports(*version)) {
        outcome(
            Verdict::Pass,
            "protocols",
            "offers TLS 1.2 or TLS 1.3".to_owned(),
        )
    } else if modern
        .iter()
        .any(|version| report.version_errors.contains_key(version))
    {
        outcome(
            Verdict::Unknown,
            "protocols",
            "could not decide whether TLS 1.2 or TLS 1.3 is offered".to_owned(),
        )
    } else {
        outcome(
            Verdict::Fail,
            "protocols",
            "offers neither TLS 1.2 nor TLS 1.3; enable TLS 1.2 and TLS 1.3 in the server's TLS settings".to_owned(),
        )
    };
    result.expected = Some("TLS 1.2 or TLS 1.3".to_owned());
    result.found = Some(offered_versions(report));
    result
}

/// Lists the accepted suites for which `matches` is true, as "name (version)".
fn accepted_suites(report: &ProbeReport, matches: impl Fn(&suites::Suite) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (version, accepted) in &report.suites {
        for id in accepted {
            if let Some(suite) = suites::by_id(*id)
                && matches(&suite)
            {
                found.push(format!("{} ({})", suite.name, version.as_str()));
            }
        }
    }
    found
}

fn suites_decided(report: &ProbeReport) -> bool {
    !report.suites.is_empty() || report.version_errors.is_empty()
}

fn suites_matching(report: &ProbeReport, strength: Strength) -> Outcome {
    let found = accepted_suites(report, |suite| suite.strength() == strength);
    suite_outcome(
        report,
        found,
        "accepts broken cipher suites: {}; remove them from the server's cipher list",
        "accepts no broken cipher suite",
    )
}

fn no_forward_secrecy(report: &ProbeReport) -> Outcome {
    let found = accepted_suites(report, |suite| {
        suite.lacks_forward_secrecy() && suite.strength() != Strength::Insecure
    });
    suite_outcome(
        report,
        found,
        "accepts suites without forward secrecy: {}; prefer ECDHE suites and remove TLS_RSA_* ones",
        "every accepted suite has forward secrecy",
    )
}

fn suite_outcome(report: &ProbeReport, found: Vec<String>, fail: &str, pass: &str) -> Outcome {
    if !found.is_empty() {
        let mut result = outcome(
            Verdict::Fail,
            "cipher_suites",
            fail.replace("{}", &found.join(", ")),
        );
        result.found = Some(found.join(", "));
        result
    } else if !suites_decided(report) {
        outcome(
            Verdict::Unknown,
            "cipher_suites",
            "no protocol version could be enumerated, so the cipher suites are unknown".to_owned(),
        )
    } else {
        outcome(Verdict::Pass, "cipher_suites", pass.to_owned())
    }
}

fn with_certificate(
    report: &ProbeReport,
    evaluate: fn(&ProbeReport, &CertificateReport) -> Outcome,
) -> Outcome {
    match &report.certificate {
        Ok(certificate) => evaluate(report, certificate),
        Err(reason) => outcome(
            Verdict::Unknown,
            "certificate",
            format!("the certificate could not be read: {reason}"),
        ),
    }
}

fn days(seconds: i64) -> i64 {
    seconds.div_euclid(86_400)
}

/// Writes a count of days with the right plural: `1 day`, `3 days`.
fn day_count(count: i64) -> String {
    if count == 1 {
        "1 day".to_owned()
    } else {
        format!("{count} days")
    }
}

fn expired(report: &ProbeReport, certificate: &CertificateReport) -> Outcome {
    let now = report.probed_at;
    let mut result = if certificate.not_after < now {
        outcome(
            Verdict::Fail,
            "certificate.not_after",
            format!(
                "the certificate of {} expired {} ago; renew it and deploy the new one",
                certificate.subject,
                day_count(days(now - certificate.not_after))
            ),
        )
    } else if certificate.not_before > now {
        outcome(
            Verdict::Fail,
            "certificate.not_before",
            format!(
                "the certificate of {} is not valid for another {}; check the issuing CA's clock and the server's",
                certificate.subject,
                day_count(days(certificate.not_before - now) + 1)
            ),
        )
    } else {
        outcome(
            Verdict::Pass,
            "certificate.not_after",
            format!(
                "the certificate is valid for {} more",
                day_count(days(certificate.not_after - now))
            ),
        )
    };
    result.found = Some(format!(
        "expires in {}",
        day_count(days(certificate.not_after - now))
    ));
    result
}

fn expiring(report: &ProbeReport, certificate: &CertificateReport) -> Outcome {
    let left = days(certificate.not_after - report.probed_at);
    let limit = i64::from(report.expiry_warning_days);
    let mut result = if left < 0 {
        outcome(
            Verdict::Fail,
            "certificate.not_after",
            "the certificate has already expired".to_owned(),
        )
    } else if left < limit {
        outcome(
            Verdict::Fail,
            "certificate.not_after",
            format!(
                "the certificate expires in {left} days, within the {limit}-day warning period; renew it now"
            ),
        )
    } else {
        outcome(
            Verdict::Pass,
            "certificate.not_after",
            format!("the certificate expires in {}", day_count(left)),
        )
    };
    result.expected = Some(format!("at least {limit} days left"));
    result.found = Some(format!("{} left", day_count(left)));
    result
}

fn untrusted(_: &ProbeReport, certificate: &CertificateReport) -> Outcome {
    match &certificate.verify_error {
        Some(error) => {
            let mut result = outcome(
                Verdict::Fail,
                "certificate.chain",
                format!(
                    "the chain of {} (issued by {}) does not verify: {error}; serve the full chain from a trusted CA, or pass --ca-file for a private CA",
                    certificate.subject, certificate.issuer
                ),
            );
            result.found = Some(error.clone());
            result
        }
        None => outcome(
            Verdict::Pass,
            "certificate.chain",
            format!(
                "the chain of {} verifies for the host name ({} certificates sent)",
                certificate.subject, certificate.chain_length
            ),
        ),
    }
}

fn weak_key(_: &ProbeReport, certificate: &CertificateReport) -> Outcome {
    let mut result = if certificate.key.is_weak() {
        outcome(
            Verdict::Fail,
            "certificate.key",
            format!(
                "the certificate key is {}; reissue it with RSA 2048 or longer, or ECDSA P-256",
                certificate.key
            ),
        )
    } else {
        outcome(
            Verdict::Pass,
            "certificate.key",
            format!("the certificate key is {}", certificate.key),
        )
    };
    result.found = Some(certificate.key.to_string());
    result
}

fn with_http(report: &ProbeReport, evaluate: fn(&HttpHead) -> Outcome) -> Outcome {
    match &report.http {
        Ok(head) => evaluate(head),
        Err(reason) => outcome(
            Verdict::Unknown,
            "http.headers",
            format!("the HTTP response headers could not be read: {reason}"),
        ),
    }
}

fn hsts(head: &HttpHead) -> Outcome {
    let value = head.get("strict-transport-security");
    let mut result = match value.map(crate::headers::hsts_max_age) {
        None => outcome(
            Verdict::Fail,
            "http.strict-transport-security",
            "no Strict-Transport-Security header; send `max-age=31536000; includeSubDomains`"
                .to_owned(),
        ),
        Some(Some(age)) if age >= HSTS_MIN_SECONDS => outcome(
            Verdict::Pass,
            "http.strict-transport-security",
            format!("Strict-Transport-Security max-age is {age} seconds"),
        ),
        Some(_) => outcome(
            Verdict::Fail,
            "http.strict-transport-security",
            "Strict-Transport-Security max-age is missing or under one year; raise it to 31536000"
                .to_owned(),
        ),
    };
    result.expected = Some(format!("max-age >= {HSTS_MIN_SECONDS}"));
    result.found = Some(value.unwrap_or("absent").to_owned());
    result
}

fn nosniff(head: &HttpHead) -> Outcome {
    let value = head.get("x-content-type-options");
    let mut result = if value.is_some_and(|value| value.eq_ignore_ascii_case("nosniff")) {
        outcome(
            Verdict::Pass,
            "http.x-content-type-options",
            "X-Content-Type-Options is nosniff".to_owned(),
        )
    } else {
        outcome(
            Verdict::Fail,
            "http.x-content-type-options",
            "X-Content-Type-Options is not nosniff; send `X-Content-Type-Options: nosniff`"
                .to_owned(),
        )
    };
    result.found = Some(value.unwrap_or("absent").to_owned());
    result
}

fn framing(head: &HttpHead) -> Outcome {
    let frame_options = head.get("x-frame-options").is_some_and(|value| {
        value.eq_ignore_ascii_case("deny") || value.eq_ignore_ascii_case("sameorigin")
    });
    let ancestors = head
        .get("content-security-policy")
        .is_some_and(|policy| policy.to_ascii_lowercase().contains("frame-ancestors"));
    if frame_options || ancestors {
        outcome(
            Verdict::Pass,
            "http.x-frame-options",
            "framing is limited".to_owned(),
        )
    } else {
        outcome(
            Verdict::Fail,
            "http.x-frame-options",
            "framing is not limited; send `Content-Security-Policy: frame-ancestors 'none'` or `X-Frame-Options: DENY`".to_owned(),
        )
    }
}

fn disclosure(head: &HttpHead) -> Outcome {
    let disclosed: Vec<String> = ["server", "x-powered-by"]
        .into_iter()
        .filter_map(|name| {
            let value = head.get(name)?;
            value
                .chars()
                .any(|c| c.is_ascii_digit())
                .then(|| format!("{name}: {value}"))
        })
        .collect();
    if disclosed.is_empty() {
        outcome(
            Verdict::Pass,
            "http.server",
            "no software version in Server or X-Powered-By".to_owned(),
        )
    } else {
        let mut result = outcome(
            Verdict::Fail,
            "http.server",
            format!(
                "headers disclose software versions ({}); drop the version from them",
                disclosed.join("; ")
            ),
        );
        result.found = Some(disclosed.join("; "));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyInfo, Target};

    const NOW: i64 = 1_800_000_000;

    fn report() -> ProbeReport {
        let target: Target = "https://127.0.0.1:8443"
            .parse()
            .unwrap_or_else(|error| panic!("{error}"));
        ProbeReport {
            target,
            address: None,
            unreachable: None,
            suites: BTreeMap::from([
                (Version::Tls13, vec![0x1301]),
                (Version::Tls12, vec![0xC02F]),
            ]),
            version_errors: BTreeMap::new(),
            certificate: Ok(CertificateReport {
                subject: "CN=api.example.test".to_owned(),
                issuer: "CN=Example Test CA".to_owned(),
                not_before: NOW - 86_400,
                not_after: NOW + 90 * 86_400,
                key: KeyInfo::Ec(256),
                chain_length: 2,
                verify_error: None,
            }),
            http: Ok(HttpHead {
                status: 200,
                headers: vec![
                    (
                        "strict-transport-security".to_owned(),
                        "max-age=63072000".to_owned(),
                    ),
                    ("x-content-type-options".to_owned(), "nosniff".to_owned()),
                    (
                        "content-security-policy".to_owned(),
                        "frame-ancestors 'none'".to_owned(),
                    ),
                    ("server".to_owned(), "nexafi".to_owned()),
                ],
            }),
            probed_at: NOW,
            expiry_warning_days: 30,
        }
    }

    fn verdict(report: &ProbeReport, id: &str) -> Verdict {
        findings(report)
            .into_iter()
            .find(|finding| finding.check_id == id)
            .map_or(Verdict::Error, |finding| finding.verdict)
    }

    #[test]
    fn hardened_endpoint_passes_every_check() {
        let findings = findings(&report());
        assert_eq!(findings.len(), CHECKS.len());
        for finding in findings {
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
    fn outdated_protocol_fails() {
        let mut report = report();
        report.suites.insert(Version::Tls10, vec![0xC013]);
        assert_eq!(verdict(&report, "NXF-TLS-001"), Verdict::Fail);
    }

    #[test]
    fn undecided_outdated_protocol_is_unknown() {
        let mut report = report();
        report
            .version_errors
            .insert(Version::Tls11, "timed out".to_owned());
        assert_eq!(verdict(&report, "NXF-TLS-001"), Verdict::Unknown);
    }

    #[test]
    fn only_outdated_protocols_fail_modern_check() {
        let mut report = report();
        report.suites = BTreeMap::from([(Version::Tls10, vec![0x002F])]);
        assert_eq!(verdict(&report, "NXF-TLS-002"), Verdict::Fail);
        assert_eq!(verdict(&report, "NXF-TLS-004"), Verdict::Fail);
    }

    #[test]
    fn broken_suite_fails() {
        let mut report = report();
        report.suites.insert(Version::Tls12, vec![0xC02F, 0x000A]);
        assert_eq!(verdict(&report, "NXF-TLS-003"), Verdict::Fail);
        assert_eq!(
            verdict(&report, "NXF-TLS-004"),
            Verdict::Pass,
            "3DES counts as broken only"
        );
    }

    #[test]
    fn expired_certificate_fails() {
        let mut report = report();
        if let Ok(certificate) = &mut report.certificate {
            certificate.not_after = NOW - 2 * 86_400;
        }
        assert_eq!(verdict(&report, "NXF-TLS-005"), Verdict::Fail);
        assert_eq!(verdict(&report, "NXF-TLS-006"), Verdict::Fail);
    }

    #[test]
    fn expiring_certificate_warns() {
        let mut report = report();
        if let Ok(certificate) = &mut report.certificate {
            certificate.not_after = NOW + 10 * 86_400;
        }
        assert_eq!(verdict(&report, "NXF-TLS-005"), Verdict::Pass);
        assert_eq!(verdict(&report, "NXF-TLS-006"), Verdict::Fail);
    }

    #[test]
    fn unreadable_certificate_is_unknown() {
        let mut report = report();
        report.certificate = Err("handshake failed".to_owned());
        for id in ["NXF-TLS-005", "NXF-TLS-006", "NXF-TLS-007", "NXF-TLS-008"] {
            assert_eq!(verdict(&report, id), Verdict::Unknown, "{id}");
        }
    }

    #[test]
    fn untrusted_chain_and_weak_key_fail() {
        let mut report = report();
        if let Ok(certificate) = &mut report.certificate {
            certificate.verify_error = Some("invalid peer certificate: UnknownIssuer".to_owned());
            certificate.key = KeyInfo::Rsa(1024);
        }
        assert_eq!(verdict(&report, "NXF-TLS-007"), Verdict::Fail);
        assert_eq!(verdict(&report, "NXF-TLS-008"), Verdict::Fail);
    }

    #[test]
    fn missing_headers_fail() {
        let mut report = report();
        report.http = Ok(HttpHead {
            status: 200,
            headers: vec![
                (
                    "strict-transport-security".to_owned(),
                    "max-age=300".to_owned(),
                ),
                ("server".to_owned(), "nginx/1.25.3".to_owned()),
            ],
        });
        for id in [
            "NXF-HTTP-001",
            "NXF-HTTP-002",
            "NXF-HTTP-003",
            "NXF-HTTP-004",
        ] {
            assert_eq!(verdict(&report, id), Verdict::Fail, "{id}");
        }
    }

    #[test]
    fn absent_hsts_fails() {
        let mut report = report();
        report.http = Ok(HttpHead::default());
        assert_eq!(verdict(&report, "NXF-HTTP-001"), Verdict::Fail);
    }

    #[test]
    fn unreadable_headers_are_unknown() {
        let mut report = report();
        report.http = Err("connection reset".to_owned());
        assert_eq!(verdict(&report, "NXF-HTTP-001"), Verdict::Unknown);
    }

    #[test]
    fn unreachable_endpoint_is_one_error() {
        let mut report = report();
        report.unreachable = Some("cannot connect to 127.0.0.1:8443: refused".to_owned());
        let findings = findings(&report);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].verdict, Verdict::Error);
        assert_eq!(findings[0].check_id, UNREACHABLE_ID);
    }

    #[test]
    fn check_ids_are_unique() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|check| check.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
    }
}
