//! Redaction: PCI masking, full masking and keyed, format-keeping tokenisation.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::finding::Detector;
use crate::scan::{ScanOptions, Scanner};
use crate::secrets::Prefix;
use crate::validate;

/// Shortest tokenisation key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 16;

/// Replacement rule for found values.
#[derive(Clone, PartialEq, Eq)]
pub enum RedactMode {
    /// Card numbers keep at most their first six and last four digits, with at least six
    /// digits masked. Every other value is masked in full.
    Pci,
    /// Every letter, digit and symbol becomes `*`; spaces, dashes and line breaks stay.
    Full,
    /// A keyed HMAC-SHA256 of the value replaces it: the same value and key always give
    /// the same token, so records can still be joined.
    Token(TokenKey),
}

impl fmt::Debug for RedactMode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pci => formatter.write_str("Pci"),
            Self::Full => formatter.write_str("Full"),
            Self::Token(_) => formatter.write_str("Token(..)"),
        }
    }
}

/// Secret key of tokenisation. Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKey(Vec<u8>);

impl fmt::Debug for TokenKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("TokenKey(..)")
    }
}

/// Error loading a tokenisation key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("tokenisation key is {length} bytes long; use at least {MIN_KEY_LEN} random bytes")]
    TooShort { length: usize },
    #[error("cannot read tokenisation key file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl TokenKey {
    /// Wraps raw key bytes, which must be at least [`MIN_KEY_LEN`] long.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, KeyError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_KEY_LEN {
            return Err(KeyError::TooShort {
                length: bytes.len(),
            });
        }
        Ok(Self(bytes))
    }

    /// Reads a key file. One trailing line break is not part of the key, so a key written
    /// with `echo` works.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let mut bytes = std::fs::read(path).map_err(|source| KeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Self::new(bytes)
    }

    /// Returns `count` pseudo-random bytes derived from the key, the detector and the
    /// normalised value: HMAC-SHA256 blocks over a block counter and the input.
    fn stream(&self, detector: Detector, value: &[u8], count: usize) -> Vec<u8> {
        let mut output = Vec::with_capacity(count + 32);
        let mut block: u32 = 0;
        while output.len() < count {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
                // HMAC takes keys of any length; this branch is never taken.
                return vec![0; count];
            };
            mac.update(&block.to_be_bytes());
            mac.update(detector.id().as_bytes());
            mac.update(&[0]);
            mac.update(value);
            output.extend_from_slice(&mac.finalize().into_bytes());
            block += 1;
        }
        output.truncate(count);
        output
    }
}

/// Returns the replacement of `raw`, a value found by `detector`.
pub fn replacement(detector: Detector, raw: &[u8], mode: &RedactMode) -> Vec<u8> {
    match mode {
        RedactMode::Full => mask_all(raw),
        RedactMode::Pci if detector == Detector::CardNumber => pci_mask(raw),
        RedactMode::Pci => mask_all(raw),
        RedactMode::Token(key) => tokenise(detector, raw, key),
    }
}

/// Masks every byte except blanks, line breaks and dashes, keeping the length.
fn mask_all(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .map(|&byte| {
            if matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'-') {
                byte
            } else {
                b'*'
            }
        })
        .collect()
}

/// Number of leading digits of a card number that may stay readable: six for 16 digits
/// and more, fewer for shorter numbers so that at least six digits are always masked.
fn pci_visible_lead(digit_count: usize) -> usize {
    digit_count.saturating_sub(4 + 6).min(6)
}

/// Masks the middle digits of a card number, keeping separators.
fn pci_mask(raw: &[u8]) -> Vec<u8> {
    let digit_count = raw.iter().filter(|b| b.is_ascii_digit()).count();
    let lead = pci_visible_lead(digit_count);
    let tail_from = digit_count.saturating_sub(4);
    let mut index = 0;
    raw.iter()
        .map(|&byte| {
            if !byte.is_ascii_digit() {
                return byte;
            }
            let visible = index < lead || index >= tail_from;
            index += 1;
            if visible { byte } else { b'*' }
        })
        .collect()
}

/// Returns the value as a detector compares it: digits only for numbers, letters and
/// digits for IBANs, the bytes as found for everything else. Allow-list hashes and tokens use it, so
/// `4111 1111 1111 1111` and `4111111111111111` are the same value.
pub fn normalise(detector: Detector, raw: &[u8]) -> Cow<'_, [u8]> {
    match detector {
        Detector::CardNumber | Detector::AbaRoutingNumber | Detector::UsSsn => {
            Cow::Owned(raw.iter().copied().filter(u8::is_ascii_digit).collect())
        }
        Detector::Iban => Cow::Owned(
            raw.iter()
                .copied()
                .filter(u8::is_ascii_alphanumeric)
                .collect(),
        ),
        _ => Cow::Borrowed(raw),
    }
}

/// Replaces a value with a token of the same shape where the shape matters, marked so
/// that no detector takes it for a real value:
/// - card numbers: same length and separators, prefix `99` (a range no card scheme
///   issues), and a valid Luhn check digit;
/// - IBANs: same country code and length, check digits `00` (never valid under mod-97),
///   and a `9` at the start of every run of digits, so no group reads as a card number;
/// - routing and social security numbers: first digit `9`, which starts neither a
///   routing number the Federal Reserve assigns nor a social security number ever issued;
/// - SWIFT codes: country `XX`, which names no country;
/// - e-mail addresses: a tokenised local part at the reserved domain `token.invalid`;
/// - secrets: `tok_` and 16 hex digits.
fn tokenise(detector: Detector, raw: &[u8], key: &TokenKey) -> Vec<u8> {
    let value = normalise(detector, raw);
    let random = key.stream(detector, &value, raw.len().max(16) + 8);
    match detector {
        Detector::CardNumber => {
            let count = value.len();
            let mut digits: Vec<u8> = b"99".to_vec();
            digits.extend(random.iter().take(count - 3).map(|b| b'0' + b % 10));
            digits.push(validate::luhn_check_digit(&digits));
            refill_digits(raw, &digits)
        }
        Detector::AbaRoutingNumber => {
            let mut digits = vec![b'9'];
            digits.extend(random.iter().take(value.len() - 1).map(|b| b'0' + b % 10));
            refill_digits(raw, &digits)
        }
        Detector::UsSsn => {
            let mut digits = vec![b'9'];
            digits.extend(random.iter().take(value.len() - 1).map(|b| b'0' + b % 10));
            refill_digits(raw, &digits)
        }
        Detector::Iban => {
            let mut output = Vec::with_capacity(raw.len());
            for (position, &byte) in raw.iter().enumerate() {
                let starts_digits = byte.is_ascii_digit()
                    && !raw[..position].last().is_some_and(u8::is_ascii_digit);
                output.push(match position {
                    0 | 1 => byte,
                    2 | 3 => b'0',
                    // A 9 at the start of every run of digits in the BBAN keeps them from
                    // reading as a card number, printed in groups or not, since no card
                    // scheme starts with 9 (card tokens use 99).
                    _ if starts_digits => b'9',
                    _ => same_class(byte, random[position]),
                });
            }
            output
        }
        Detector::SwiftBic => raw
            .iter()
            .enumerate()
            .map(|(position, &byte)| match position {
                4 | 5 => b'X',
                _ => same_class(byte, random[position]),
            })
            .collect(),
        Detector::EmailAddress => {
            let at = raw.iter().position(|&b| b == b'@').unwrap_or(raw.len());
            let mut output: Vec<u8> = raw[..at]
                .iter()
                .zip(&random)
                .map(|(&byte, &noise)| same_class(byte, noise))
                .collect();
            output.extend_from_slice(b"@token.invalid");
            output
        }
        _ => {
            let mut output = b"tok_".to_vec();
            for byte in &random[..8] {
                output.extend_from_slice(format!("{byte:02x}").as_bytes());
            }
            output
        }
    }
}

/// Replaces letters and digits with ones of the same class, chosen by `noise`.
fn same_class(byte: u8, noise: u8) -> u8 {
    if byte.is_ascii_digit() {
        b'0' + noise % 10
    } else if byte.is_ascii_uppercase() {
        b'A' + noise % 26
    } else if byte.is_ascii_lowercase() {
        b'a' + noise % 26
    } else {
        byte
    }
}

/// Writes `digits` into the digit positions of `raw`, keeping its separators.
fn refill_digits(raw: &[u8], digits: &[u8]) -> Vec<u8> {
    let mut next = digits.iter();
    raw.iter()
        .map(|&byte| {
            if byte.is_ascii_digit() {
                next.next().copied().unwrap_or(byte)
            } else {
                byte
            }
        })
        .collect()
}

/// Masked form of a value, safe to print: enough to recognise it, never enough to use it.
pub fn preview(detector: Detector, raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let tail = |count: usize| -> String {
        let chars: Vec<char> = text.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        chars[chars.len().saturating_sub(count)..].iter().collect()
    };
    match detector {
        Detector::CardNumber => String::from_utf8_lossy(&pci_mask(raw)).into_owned(),
        Detector::Iban => format!("{}****{}", &text[..2.min(text.len())], tail(4)),
        Detector::AbaRoutingNumber => format!("*****{}", tail(4)),
        Detector::UsSsn => format!("***-**-{}", tail(4)),
        Detector::SwiftBic => format!("{}****", &text[..4.min(text.len())]),
        Detector::EmailAddress => {
            let domain = text.split_once('@').map_or("", |(_, domain)| domain);
            let first = text.chars().next().unwrap_or('*');
            format!("{first}***@{domain}")
        }
        Detector::PrivateKey => text.lines().next().unwrap_or("-----BEGIN").to_owned(),
        Detector::AwsAccessKeyId => format!("{}****", &text[..4.min(text.len())]),
        Detector::Jwt => "eyJ****".to_owned(),
        Detector::GithubToken
        | Detector::GitlabToken
        | Detector::SlackToken
        | Detector::StripeKey => {
            let prefix = Prefix::ALL
                .iter()
                .map(|prefix| prefix.text())
                .filter(|prefix| text.starts_with(prefix))
                .max_by_key(|prefix| prefix.len())
                .unwrap_or("");
            format!("{prefix}****")
        }
        Detector::SlackWebhook => "https://hooks.slack.com/services/****".to_owned(),
        Detector::AwsSecretAccessKey | Detector::GenericSecret => "****".to_owned(),
    }
}

/// Masks every card number in `text` the PCI way (first six and last four digits at
/// most). Returns the input unchanged, without copying, when it contains no card number.
pub fn mask_card_numbers(text: &str) -> Cow<'_, str> {
    let scanner = card_scanner();
    let candidates = scanner.candidates(text.as_bytes());
    if candidates.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut output = String::with_capacity(text.len());
    let mut copied = 0;
    for candidate in &candidates {
        output.push_str(&text[copied..candidate.start]);
        let masked = pci_mask(&text.as_bytes()[candidate.start..candidate.end]);
        output.push_str(&String::from_utf8_lossy(&masked));
        copied = candidate.end;
    }
    output.push_str(&text[copied..]);
    Cow::Owned(output)
}

fn card_scanner() -> &'static Scanner {
    static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
    SCANNER.get_or_init(|| {
        Scanner::new(ScanOptions {
            detectors: vec![Detector::CardNumber],
            ..ScanOptions::default()
        })
    })
}

/// Redaction settings for JSON documents: the scanner and the replacement mode.
#[derive(Debug, Clone)]
pub struct RedactPolicy {
    pub mode: RedactMode,
    pub scanner: Scanner,
}

impl RedactPolicy {
    /// Creates a policy with the default scanner.
    pub fn new(mode: RedactMode) -> Self {
        Self {
            mode,
            scanner: Scanner::default(),
        }
    }
}

/// Redacts every string and number in a JSON document, in place. A number that contains
/// a value, such as a card number stored as an integer, becomes a string. Returns the
/// number of values replaced.
pub fn redact_json(value: &mut serde_json::Value, policy: &RedactPolicy) -> usize {
    match value {
        serde_json::Value::String(text) => match redact_str(text, policy) {
            (Cow::Owned(redacted), count) => {
                *text = redacted;
                count
            }
            (Cow::Borrowed(_), _) => 0,
        },
        serde_json::Value::Number(number) => {
            let text = number.to_string();
            match redact_str(&text, policy) {
                (Cow::Owned(redacted), count) => {
                    *value = serde_json::Value::String(redacted);
                    count
                }
                (Cow::Borrowed(_), _) => 0,
            }
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().map(|item| redact_json(item, policy)).sum()
        }
        serde_json::Value::Object(members) => members
            .values_mut()
            .map(|member| redact_json(member, policy))
            .sum(),
        serde_json::Value::Bool(_) | serde_json::Value::Null => 0,
    }
}

/// Redacts one string. Returns the result and the number of values replaced.
pub fn redact_str<'a>(text: &'a str, policy: &RedactPolicy) -> (Cow<'a, str>, usize) {
    let bytes = text.as_bytes();
    let candidates = policy.scanner.candidates(bytes);
    if candidates.is_empty() {
        return (Cow::Borrowed(text), 0);
    }
    let mut output = Vec::with_capacity(bytes.len());
    let mut copied = 0;
    for candidate in &candidates {
        output.extend_from_slice(&bytes[copied..candidate.start]);
        let raw = &bytes[candidate.start..candidate.end];
        output.extend_from_slice(&replacement(candidate.detector, raw, &policy.mode));
        copied = candidate.end;
    }
    output.extend_from_slice(&bytes[copied..]);
    // Replacements are ASCII and split the input only at value boundaries, which are
    // ASCII bytes, so the output is valid UTF-8.
    let redacted = String::from_utf8_lossy(&output).into_owned();
    (Cow::Owned(redacted), candidates.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::new(b"an-obviously-fake-test-key".to_vec()).unwrap()
    }

    #[test]
    fn pci_mask_keeps_six_and_four() {
        assert_eq!(pci_mask(b"4111 1111 1111 1111"), b"4111 11** **** 1111");
        assert_eq!(pci_mask(b"378282246310005"), b"37828******0005");
        assert_eq!(pci_mask(b"4222222222222"), b"422******2222");
    }

    #[test]
    fn card_token_is_marked_and_luhn_valid() {
        let token = tokenise(Detector::CardNumber, b"4111-1111-1111-1111", &key());
        assert_eq!(token.len(), 19);
        assert_eq!(&token[..2], b"99");
        assert_eq!(token[4], b'-');
        let digits: Vec<u8> = token.iter().copied().filter(u8::is_ascii_digit).collect();
        assert!(validate::luhn_valid(&digits));
        assert_eq!(validate::valid_card(&digits), None);
    }

    #[test]
    fn iban_token_keeps_country() {
        let token = tokenise(Detector::Iban, b"DE89 3704 0044 0532 0130 00", &key());
        assert_eq!(&token[..4], b"DE00");
        assert_eq!(token.len(), 27);
        assert_eq!(token[4], b' ');
    }

    #[test]
    fn tokens_are_deterministic_per_key() {
        let first = tokenise(Detector::CardNumber, b"4111111111111111", &key());
        let grouped = tokenise(Detector::CardNumber, b"4111 1111 1111 1111", &key());
        let grouped_digits: Vec<u8> = grouped.into_iter().filter(u8::is_ascii_digit).collect();
        assert_eq!(first, grouped_digits);
        let other = TokenKey::new(b"another-fake-test-key-0000".to_vec()).unwrap();
        assert_ne!(
            first,
            tokenise(Detector::CardNumber, b"4111111111111111", &other)
        );
    }

    #[test]
    fn short_key_is_rejected() {
        assert!(matches!(
            TokenKey::new(b"short".to_vec()),
            Err(KeyError::TooShort { length: 5 })
        ));
    }

    #[test]
    fn mask_card_numbers_borrows_clean_text() {
        assert!(matches!(
            mask_card_numbers("no cards here"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            mask_card_numbers("paid with 5555 5555 5555 4444 today"),
            "paid with 5555 55** **** 4444 today"
        );
    }

    #[test]
    fn redact_json_replaces_numbers_and_strings() {
        let mut document = serde_json::json!({
            "card": 4111111111111111u64,
            "note": "card 5555555555554444",
            "amount": 125,
        });
        let count = redact_json(&mut document, &RedactPolicy::new(RedactMode::Pci));
        assert_eq!(count, 2);
        assert_eq!(document["card"], "411111******1111");
        assert_eq!(document["note"], "card 555555******4444");
        assert_eq!(document["amount"], 125);
    }
}
