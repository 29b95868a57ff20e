//! Generated corpora with planted values: every value is found exactly once, at its exact
//! span, and look-alikes produce no finding.

mod common;

use std::collections::BTreeMap;

use common::*;
use nexafi_dlp::{Detector, Finding, Scanner, iban_lengths};

/// Text built line by line, remembering where each planted value went.
#[derive(Default)]
struct Corpus {
    text: String,
    planted: Vec<(&'static str, usize, usize)>,
}

impl Corpus {
    fn plant(&mut self, before: &str, value: &str, after: &str, detector: &'static str) {
        self.text.push_str(before);
        let start = self.text.len();
        self.text.push_str(value);
        self.planted.push((detector, start, self.text.len()));
        self.text.push_str(after);
        self.text.push('\n');
    }
}

fn scan(text: &str) -> Vec<Finding> {
    Scanner::default().scan(text.as_bytes())
}

/// Asserts that the findings are exactly the planted values.
fn assert_exact(corpus: &Corpus) {
    let findings = scan(&corpus.text);
    let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
    for (detector, _, _) in &corpus.planted {
        *expected.entry(detector).or_default() += 1;
    }
    let mut actual: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in &findings {
        *actual.entry(finding.detector.id()).or_default() += 1;
    }
    let spans: Vec<(&str, usize, usize)> = findings
        .iter()
        .map(|f| (f.detector.id(), f.start as usize, f.end as usize))
        .collect();
    for planted in &corpus.planted {
        if !spans.contains(planted) {
            let (detector, start, end) = *planted;
            panic!(
                "planted {detector} not found at {start}..{end}: {:?}",
                &corpus.text[start..end]
            );
        }
    }
    for (detector, start, end) in &spans {
        assert!(
            corpus.planted.contains(&(*detector, *start, *end)),
            "unexpected {detector} at {start}..{end}: {:?}",
            &corpus.text[*start..*end]
        );
    }
    assert_eq!(actual, expected);
}

#[test]
fn cards_of_every_brand_and_layout() {
    let mut rng = Rng::new(1);
    let mut corpus = Corpus::default();
    let mut brands: BTreeMap<&str, usize> = BTreeMap::new();
    for scheme in SCHEMES {
        for &length in scheme.lengths {
            for separator in [None, Some(' '), Some('-')] {
                for _ in 0..4 {
                    let number = card(&mut rng, scheme, length);
                    let written = layout_card(&number, separator);
                    let before = format!("{} card: ", filler(&mut rng, 3));
                    corpus.plant(&before, &written, " ok", "card-number");
                    *brands.entry(scheme.brand).or_default() += 1;
                }
            }
        }
    }
    assert_exact(&corpus);

    let findings = scan(&corpus.text);
    let mut found: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in &findings {
        *found.entry(finding.brand.unwrap_or("none")).or_default() += 1;
    }
    assert_eq!(found, brands);
}

#[test]
fn invalid_cards_are_ignored() {
    let mut rng = Rng::new(2);
    let mut lines = Vec::new();
    for scheme in SCHEMES {
        for &length in scheme.lengths {
            let number = card(&mut rng, scheme, length);
            // A wrong check digit.
            let last = number.as_bytes()[number.len() - 1] - b'0';
            let broken = format!("{}{}", &number[..number.len() - 1], (last + 1) % 10);
            lines.push(format!("card {broken}"));
            lines.push(format!("card {}", layout_card(&broken, Some(' '))));
        }
    }
    // Luhn-valid numbers in ranges no scheme issues, and lengths no scheme uses.
    for prefix in ["1", "7", "8", "9", "99"] {
        let payload = format!("{prefix}{}", rng.digits(15 - prefix.len()));
        lines.push(format!("card {payload}{}", luhn_digit(&payload)));
    }
    let payload = format!("4{}", rng.digits(18));
    lines.push(format!("card {payload}{}", luhn_digit(&payload)));
    let payload = format!("34{}", rng.digits(13));
    lines.push(format!("card {payload}{}", luhn_digit(&payload)));
    let text = lines.join("\n");
    assert_eq!(scan(&text), Vec::new(), "{text}");
}

#[test]
fn ibans_of_many_countries() {
    let mut rng = Rng::new(3);
    let mut corpus = Corpus::default();
    let lengths: BTreeMap<&str, usize> = iban_lengths().iter().copied().collect();
    assert!(IBAN_FORMATS.len() >= 30);
    for (country, format) in IBAN_FORMATS {
        for _ in 0..3 {
            let value = iban(&mut rng, country, format);
            assert_eq!(Some(&value.len()), lengths.get(country), "{country}");
            corpus.plant("IBAN: ", &value, "", "iban");
            corpus.plant("transfer to ", &iban_print(&value), " today", "iban");
        }
    }
    assert_exact(&corpus);
}

#[test]
fn invalid_ibans_are_ignored() {
    let mut rng = Rng::new(4);
    let mut lines = Vec::new();
    for (country, format) in IBAN_FORMATS {
        let value = iban(&mut rng, country, format);
        let check: u32 = value[2..4].parse().unwrap();
        let wrong = format!("{country}{:02}{}", (check + 1) % 97 + 2, &value[4..]);
        lines.push(format!("IBAN: {wrong}"));
        lines.push(format!("IBAN: {}", &value[..value.len() - 1]));
    }
    lines.push("IBAN: US12345678901234567890".to_owned());
    let text = lines.join("\n");
    assert_eq!(scan(&text), Vec::new(), "{text}");
}

#[test]
fn routing_ssn_and_swift_with_context() {
    let mut rng = Rng::new(5);
    let mut corpus = Corpus::default();
    for _ in 0..40 {
        corpus.plant(
            "ABA routing number: ",
            &routing_number(&mut rng),
            "",
            "aba-routing-number",
        );
        corpus.plant("applicant SSN ", &ssn(&mut rng), " on file", "us-ssn");
        corpus.plant(
            &format!("{} ", filler(&mut rng, 2)),
            &ssn(&mut rng),
            "",
            "us-ssn",
        );
        let plain = ssn(&mut rng).replace('-', "");
        corpus.plant("social security number ", &plain, "", "us-ssn");
        corpus.plant("SWIFT/BIC: ", &bic(&mut rng), "", "swift-bic");
        corpus.plant("\"bic\": \"", &bic(&mut rng), "\",", "swift-bic");
        corpus.plant("mail ", &email(&mut rng), " now", "email-address");
    }
    assert_exact(&corpus);
}

#[test]
fn invalid_numbers_with_context_are_ignored() {
    let mut rng = Rng::new(6);
    let mut lines = Vec::new();
    for _ in 0..20 {
        let valid = routing_number(&mut rng);
        let last = valid.as_bytes()[8] - b'0';
        lines.push(format!(
            "routing number: {}{}",
            &valid[..8],
            (last + 1) % 10
        ));
    }
    for invalid in [
        "000-12-3456",
        "666-12-3456",
        "901-12-3456",
        "123-00-4567",
        "123-45-0000",
    ] {
        lines.push(format!("SSN {invalid}"));
    }
    lines.push("routing number: 501000005".to_owned());
    lines.push("swift: DEUTQQFF".to_owned());
    lines.push("swift build COMPLETE".to_owned());
    lines.push("BIC code: DEUT".to_owned());
    let text = lines.join("\n");
    assert_eq!(scan(&text), Vec::new(), "{text}");
}

#[test]
fn every_secret_kind() {
    let mut rng = Rng::new(7);
    let mut corpus = Corpus::default();
    for _ in 0..5 {
        for (detector, value) in secrets(&mut rng) {
            corpus.plant("export VALUE=", &value, "", detector);
        }
        let key_id = format!("AKIA{}", rng.string_from(UPPER_DIGITS, 16));
        corpus.plant("aws_access_key_id = ", &key_id, "", "aws-access-key-id");
        let secret = mixed(&mut rng, BASE64, 40);
        corpus.plant(
            "aws_secret_access_key = ",
            &secret,
            "",
            "aws-secret-access-key",
        );
        let secret = mixed(&mut rng, BASE64, 40);
        corpus.plant(
            "SECRET_ACCESS_KEY: \"",
            &secret,
            "\"",
            "aws-secret-access-key",
        );
        let password = random_secret(&mut rng, 16);
        corpus.plant("db_password = \"", &password, "\"", "generic-secret");
        let api_key = mixed(&mut rng, ALNUM, 32);
        corpus.plant("  api_key: ", &api_key, "", "generic-secret");
        let token = random_secret(&mut rng, 24);
        corpus.plant("{\"client_secret\": \"", &token, "\"}", "generic-secret");
    }
    assert_exact(&corpus);
}

#[test]
fn look_alikes_produce_no_finding() {
    let mut rng = Rng::new(8);
    let mut lines: Vec<String> = Vec::new();
    for _ in 0..30 {
        let visa = card(&mut rng, &SCHEMES[0], 16);
        lines.push(format!("order number {visa}"));
        lines.push(format!("invoice {}", layout_card(&visa, Some('-'))));
        lines.push(format!("tracking id {visa} shipped"));
        lines.push(format!("ORD-2026-{}", rng.digits(6)));
        lines.push(format!(
            "ts={}",
            1_700_000_000_000 + rng.below(100_000_000_000)
        ));
        lines.push(format!(
            "ts_ns={}",
            1_700_000_000_000_000_000 + rng.below(1 << 60)
        ));
        lines.push(format!(
            "at 2026-{:02}-{:02}T{:02}:14:09.123Z",
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24)
        ));
        lines.push(format!(
            "request {}-{}-4{}-a{}-{}",
            rng.string_from(b"0123456789abcdef", 8),
            rng.string_from(b"0123456789abcdef", 4),
            rng.string_from(b"0123456789abcdef", 3),
            rng.string_from(b"0123456789abcdef", 3),
            rng.string_from(b"0123456789abcdef", 12)
        ));
        lines.push(format!(
            "uuid {}-{}-{}-{}-{}",
            rng.digits(8),
            rng.digits(4),
            rng.digits(4),
            rng.digits(4),
            rng.digits(12)
        ));
        lines.push(format!(
            "phone +1 {}-{}-{}",
            rng.digits(3),
            rng.digits(3),
            rng.digits(4)
        ));
        lines.push(format!("call +44 20 {} {}", rng.digits(4), rng.digits(4)));
        lines.push(format!("mobile +49{}", rng.digits(12)));
        lines.push(format!(
            "tel ({}) {}-{}",
            rng.digits(3),
            rng.digits(3),
            rng.digits(4)
        ));
        lines.push(format!(
            "version {}.{}.{}",
            rng.below(30),
            rng.below(100),
            rng.below(1000)
        ));
        lines.push(format!(
            "image v{}.{}.{}-rc.{}+build.{}",
            rng.below(9),
            rng.below(99),
            rng.below(99),
            rng.below(9),
            rng.digits(16)
        ));
        lines.push(format!(
            "commit {}",
            rng.string_from(b"0123456789abcdef", 40)
        ));
        lines.push(format!(
            "sha256: {}",
            rng.string_from(b"0123456789abcdef", 64)
        ));
        lines.push(format!("md5 {}", rng.string_from(b"0123456789abcdef", 32)));
        lines.push(format!(
            "ip 10.{}.{}.{}",
            rng.below(255),
            rng.below(255),
            rng.below(255)
        ));
        lines.push(format!("amount {}.{:02}", rng.digits(14), rng.below(100)));
        lines.push(format!("id {}", rng.digits(9)));
        lines.push(format!("count {}", rng.digits(30)));
    }
    lines.extend(
        [
            "password = ${DB_PASSWORD}",
            "token: {{ .Values.token }}",
            "secret_name: db-credentials-prod",
            "password_min_length = 12",
            "token_url: https://auth.example.com/oauth/token",
            "password = os.environ['DB_PASSWORD']",
            "secret = get_secret('name')",
            "token_expiry: 2026-12-04T23:29:23Z",
            "api_key_version: v1.24.3-rc.1",
            "password: changeme",
            "if password == \"\" {",
            "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
            "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ3JlZGl0IGNhcmQgdGVzdCBjZXJ0aWZpY2F0ZTAKBggqhkjOPQQDAjAA\n-----END CERTIFICATE-----",
            "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln",
            "pkg@1.2.3 installed",
            "xoxb-not-a-token",
            "ghp_short",
        ]
        .map(str::to_owned),
    );
    let text = lines.join("\n");
    let findings = scan(&text);
    if let Some(finding) = findings.first() {
        let span = finding.span();
        panic!(
            "look-alike found as {}: {:?}",
            finding.detector,
            &text[span.start.saturating_sub(20)..span.end]
        );
    }
}

#[test]
fn findings_never_show_the_value() {
    let mut rng = Rng::new(9);
    let mut corpus = Corpus::default();
    for (detector, value) in secrets(&mut rng) {
        corpus.plant("export VALUE=", &value, "", detector);
    }
    let number = card(&mut rng, &SCHEMES[0], 16);
    corpus.plant("card ", &number, "", "card-number");
    let value = iban(&mut rng, "DE", "8n10n");
    corpus.plant("iban ", &value, "", "iban");
    for finding in scan(&corpus.text) {
        let raw = &corpus.text[finding.span()];
        let shown = format!(
            "{finding:?} {} {}",
            serde_json::to_string(&finding).unwrap(),
            finding.preview
        );
        assert!(!shown.contains(raw), "{} leaks its value", finding.detector);
        assert!(!raw.is_empty());
    }
    assert_eq!(Detector::ALL.len(), 16);
}
