//! Secret detectors: tokens recognised by their prefix, PEM private keys, JWTs, AWS keys
//! and high-entropy values assigned to names like `password`, plus SWIFT codes, which
//! are only trusted after a `swift` or `bic` label.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::finding::{Candidate, Detector};
use crate::scan::{MAX_VALUE_LEN, candidate};
use crate::text::{self, entropy, is_word_byte};
use crate::validate;

/// Case-sensitive prefixes that start a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    AwsAkia,
    AwsAsia,
    AwsAbia,
    AwsAcca,
    PemBegin,
    JwtHeader,
    GithubPersonal,
    GithubOauth,
    GithubUser,
    GithubServer,
    GithubRefresh,
    GithubFineGrained,
    GitlabPersonal,
    SlackApp,
    SlackBot,
    SlackUser,
    SlackRefresh,
    SlackWebhook,
    StripeSecretLive,
    StripeRestrictedLive,
    StripeSecretTest,
    StripeRestrictedTest,
    StripeWebhookSecret,
}

impl Prefix {
    pub const ALL: [Prefix; 23] = [
        Self::AwsAkia,
        Self::AwsAsia,
        Self::AwsAbia,
        Self::AwsAcca,
        Self::PemBegin,
        Self::JwtHeader,
        Self::GithubPersonal,
        Self::GithubOauth,
        Self::GithubUser,
        Self::GithubServer,
        Self::GithubRefresh,
        Self::GithubFineGrained,
        Self::GitlabPersonal,
        Self::SlackApp,
        Self::SlackBot,
        Self::SlackUser,
        Self::SlackRefresh,
        Self::SlackWebhook,
        Self::StripeSecretLive,
        Self::StripeRestrictedLive,
        Self::StripeSecretTest,
        Self::StripeRestrictedTest,
        Self::StripeWebhookSecret,
    ];

    pub fn text(self) -> &'static str {
        match self {
            Self::AwsAkia => "AKIA",
            Self::AwsAsia => "ASIA",
            Self::AwsAbia => "ABIA",
            Self::AwsAcca => "ACCA",
            Self::PemBegin => "-----BEGIN ",
            // `{"` in base64url: every JSON object header starts with it.
            Self::JwtHeader => "eyJ",
            Self::GithubPersonal => "ghp_",
            Self::GithubOauth => "gho_",
            Self::GithubUser => "ghu_",
            Self::GithubServer => "ghs_",
            Self::GithubRefresh => "ghr_",
            Self::GithubFineGrained => "github_pat_",
            Self::GitlabPersonal => "glpat-",
            Self::SlackApp => "xoxa-",
            Self::SlackBot => "xoxb-",
            Self::SlackUser => "xoxp-",
            Self::SlackRefresh => "xoxr-",
            Self::SlackWebhook => "hooks.slack.com/services/",
            Self::StripeSecretLive => "sk_live_",
            Self::StripeRestrictedLive => "rk_live_",
            Self::StripeSecretTest => "sk_test_",
            Self::StripeRestrictedTest => "rk_test_",
            Self::StripeWebhookSecret => "whsec_",
        }
    }
}

/// Words that label a secret or a SWIFT code, matched in lower case, upper case, title
/// case and, for `apikey`, camel case. A case-insensitive search was the slowest pass of
/// the scanner, and names rarely mix case any other way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Password,
    Passwd,
    Secret,
    Token,
    ApiKeyUnderscore,
    ApiKeyJoined,
    ApiKeyDash,
    Credential,
    Swift,
    Bic,
}

impl Keyword {
    pub const ALL: [Keyword; 10] = [
        Self::Password,
        Self::Passwd,
        Self::Secret,
        Self::Token,
        Self::ApiKeyUnderscore,
        Self::ApiKeyJoined,
        Self::ApiKeyDash,
        Self::Credential,
        Self::Swift,
        Self::Bic,
    ];

    /// Number of spellings each keyword has in [`Keyword::spellings`].
    pub const SPELLINGS: usize = 4;

    /// Returns the spellings searched for: lower case, upper case, title case, and a
    /// fourth that is camel case for `apikey` and title case again for the others.
    pub fn spellings(self) -> [String; Self::SPELLINGS] {
        let lower = self.text();
        let mut title = lower.to_owned();
        title[..1].make_ascii_uppercase();
        let fourth = match self {
            Self::ApiKeyJoined => "apiKey".to_owned(),
            _ => title.clone(),
        };
        [lower.to_owned(), lower.to_ascii_uppercase(), title, fourth]
    }

    pub fn text(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Passwd => "passwd",
            Self::Secret => "secret",
            Self::Token => "token",
            Self::ApiKeyUnderscore => "api_key",
            Self::ApiKeyJoined => "apikey",
            Self::ApiKeyDash => "api-key",
            Self::Credential => "credential",
            Self::Swift => "swift",
            Self::Bic => "bic",
        }
    }
}

/// Bytes after an AWS access key id searched for its secret access key.
const AWS_SECRET_REACH: usize = 200;
/// Longest JWT read, in bytes.
const MAX_JWT_LEN: usize = 8 * 1024;
/// Maximum length of the value of a `password = ...` assignment, in bytes.
const MAX_ASSIGNED_LEN: usize = 256;
/// Maximum length of each side of a name around a key word, in bytes, as
/// `database_` in `database_password_for_reporting`.
const MAX_NAME_PART: usize = 48;

fn is_alnum(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

fn is_base64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/'
}

/// Returns the length of the run at the start of `bytes` whose bytes satisfy `accept`,
/// counting at most `max` bytes.
fn run(bytes: &[u8], max: usize, accept: impl Fn(u8) -> bool) -> usize {
    bytes
        .iter()
        .take(max)
        .position(|&byte| !accept(byte))
        .unwrap_or(bytes.len().min(max))
}

fn preceded_by_alnum(bytes: &[u8], start: usize) -> bool {
    start > 0 && is_alnum(bytes[start - 1])
}

/// Reads a token after `prefix_end` made of `accept` bytes with a length in `lengths`,
/// ending at a byte that `accept` rejects.
fn token(
    bytes: &[u8],
    prefix_end: usize,
    lengths: std::ops::RangeInclusive<usize>,
    accept: impl Fn(u8) -> bool + Copy,
) -> Option<usize> {
    let length = run(&bytes[prefix_end..], *lengths.end() + 1, accept);
    lengths.contains(&length).then_some(prefix_end + length)
}

/// Handles a token prefix found at `start..prefix_end`.
pub fn on_prefix(
    prefix: Prefix,
    bytes: &[u8],
    start: usize,
    prefix_end: usize,
    found: &mut Vec<Candidate>,
) {
    use Prefix::*;

    if prefix != SlackWebhook && prefix != PemBegin && preceded_by_alnum(bytes, start) {
        return;
    }
    let push = |found: &mut Vec<Candidate>, detector, end: Option<usize>, confidence| {
        if let Some(end) = end {
            found.push(candidate(detector, start, end, confidence));
        }
    };
    match prefix {
        AwsAkia | AwsAsia | AwsAbia | AwsAcca => {
            let upper_digit = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
            if let Some(end) = token(bytes, prefix_end, 16..=16, upper_digit)
                && !bytes.get(end).copied().is_some_and(is_alnum)
            {
                found.push(candidate(Detector::AwsAccessKeyId, start, end, 90));
                aws_secret_near(bytes, end, found);
            }
        }
        PemBegin => pem_block(bytes, start, prefix_end, found),
        JwtHeader => jwt(bytes, start, found),
        GithubPersonal | GithubOauth | GithubUser | GithubServer | GithubRefresh => {
            let end = token(bytes, prefix_end, 36..=36, is_alnum);
            push(found, Detector::GithubToken, end, 95);
        }
        GithubFineGrained => {
            let end = token(bytes, prefix_end, 60..=255, is_word_byte);
            push(found, Detector::GithubToken, end, 95);
        }
        GitlabPersonal => {
            let accept = |b: u8| is_base64url(b) || b == b'.';
            let end = token(bytes, prefix_end, 20..=64, accept)
                .map(|end| end - run_back(&bytes[..end], |b| b == b'.'));
            push(found, Detector::GitlabToken, end, 95);
        }
        SlackApp | SlackBot | SlackUser | SlackRefresh => {
            let accept = |b: u8| is_alnum(b) || b == b'-';
            let end = token(bytes, prefix_end, 10..=255, accept)
                .filter(|&end| bytes[prefix_end..end].iter().any(u8::is_ascii_digit));
            push(found, Detector::SlackToken, end, 90);
        }
        SlackWebhook => slack_webhook(bytes, start, prefix_end, found),
        StripeSecretLive | StripeRestrictedLive | StripeWebhookSecret => {
            let end = token(bytes, prefix_end, 16..=255, is_alnum);
            push(found, Detector::StripeKey, end, 95);
        }
        StripeSecretTest | StripeRestrictedTest => {
            let end = token(bytes, prefix_end, 16..=255, is_alnum);
            push(found, Detector::StripeKey, end, 70);
        }
    }
}

fn run_back(bytes: &[u8], accept: impl Fn(u8) -> bool) -> usize {
    bytes.iter().rev().take_while(|&&byte| accept(byte)).count()
}

/// Looks for a 40-character AWS secret access key in the bytes after a key id.
fn aws_secret_near(bytes: &[u8], from: usize, found: &mut Vec<Candidate>) {
    let limit = (from + AWS_SECRET_REACH).min(bytes.len());
    let mut position = from;
    while position < limit {
        let length = run(&bytes[position..], 41, is_base64);
        if length == 0 {
            position += 1;
            continue;
        }
        let end = position + length;
        let bounded = !bytes.get(end).is_some_and(|&b| is_base64(b) || b == b'=');
        if length == 40 && bounded && looks_like_aws_secret(&bytes[position..end]) {
            found.push(candidate(Detector::AwsSecretAccessKey, position, end, 85));
            return;
        }
        position = end + run(&bytes[end..], usize::MAX, is_base64);
    }
}

/// Returns true for 40 random base64 characters with upper and lower case letters and
/// digits, as a secret access key has and a hex digest of the same length has not.
fn looks_like_aws_secret(value: &[u8]) -> bool {
    value.len() == 40
        && value.iter().all(|&b| is_base64(b))
        && value.iter().any(u8::is_ascii_uppercase)
        && value.iter().any(u8::is_ascii_lowercase)
        && value.iter().any(u8::is_ascii_digit)
        && entropy(value) >= 4.0
}

/// Reads a PEM private key block, from its BEGIN line to the matching END line. The body
/// must hold key material: a block with a placeholder body is documentation.
fn pem_block(bytes: &[u8], start: usize, label_start: usize, found: &mut Vec<Candidate>) {
    let line_end = (label_start + 64).min(bytes.len());
    let Some(label_len) = memchr::memmem::find(&bytes[label_start..line_end], b"-----") else {
        return;
    };
    let label = &bytes[label_start..label_start + label_len];
    if !(label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK")) {
        return;
    }
    let body_start = label_start + label_len + 5;
    let mut end_line = b"-----END ".to_vec();
    end_line.extend_from_slice(label);
    end_line.extend_from_slice(b"-----");
    let search_end = (start + MAX_VALUE_LEN).min(bytes.len());
    if body_start > search_end {
        return;
    }
    let Some(body_len) = memchr::memmem::find(&bytes[body_start..search_end], &end_line) else {
        return;
    };
    let body = &bytes[body_start..body_start + body_len];
    let key_chars = body.iter().filter(|&&b| is_base64(b)).count();
    if key_chars < 64 {
        return;
    }
    let end = body_start + body_len + end_line.len();
    found.push(candidate(Detector::PrivateKey, start, end, 100));
}

/// Reads a JWS compact serialisation: three base64url parts separated by dots, whose
/// header decodes to a JSON object with an `alg` member and whose payload decodes to a
/// JSON object.
fn jwt(bytes: &[u8], start: usize, found: &mut Vec<Candidate>) {
    if start > 0 && (is_base64url(bytes[start - 1]) || bytes[start - 1] == b'.') {
        return;
    }
    let window = &bytes[start..(start + MAX_JWT_LEN).min(bytes.len())];
    let header_len = run(window, MAX_JWT_LEN, is_base64url);
    if window.get(header_len) != Some(&b'.') {
        return;
    }
    let payload_start = header_len + 1;
    let payload_len = run(&window[payload_start..], MAX_JWT_LEN, is_base64url);
    let signature_start = payload_start + payload_len + 1;
    if payload_len == 0 || window.get(payload_start + payload_len) != Some(&b'.') {
        return;
    }
    let signature_len = run(&window[signature_start..], MAX_JWT_LEN, is_base64url);
    let end = signature_start + signature_len;
    if window
        .get(end)
        .is_some_and(|&b| b == b'.' || is_base64url(b))
    {
        return;
    }
    let header = decode_json_object(&window[..header_len]);
    let has_alg = header.is_some_and(|object| object.get("alg").is_some_and(|alg| alg.is_string()));
    if !has_alg || decode_json_object(&window[payload_start..payload_start + payload_len]).is_none()
    {
        return;
    }
    found.push(candidate(Detector::Jwt, start, start + end, 90));
}

fn decode_json_object(part: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let decoded = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&decoded).ok()? {
        serde_json::Value::Object(object) => Some(object),
        _ => None,
    }
}

/// Reads `https://hooks.slack.com/services/T.../B.../secret`.
fn slack_webhook(bytes: &[u8], start: usize, prefix_end: usize, found: &mut Vec<Candidate>) {
    let upper_digit = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let mut position = prefix_end;
    for (lead, min) in [(b'T', 8), (b'B', 8)] {
        if bytes.get(position) != Some(&lead) {
            return;
        }
        let length = run(&bytes[position..], 32, upper_digit);
        if length < min || bytes.get(position + length) != Some(&b'/') {
            return;
        }
        position += length + 1;
    }
    let Some(end) = token(bytes, position, 20..=64, is_alnum) else {
        return;
    };
    let scheme = b"https://";
    let begin = if start >= scheme.len() && &bytes[start - scheme.len()..start] == scheme {
        start - scheme.len()
    } else {
        start
    };
    found.push(candidate(Detector::SlackWebhook, begin, end, 95));
}

/// Handles a key word found at `start..end`.
pub fn on_keyword(
    keyword: Keyword,
    bytes: &[u8],
    start: usize,
    end: usize,
    found: &mut Vec<Candidate>,
) {
    match keyword {
        Keyword::Swift | Keyword::Bic => swift_code(bytes, start, end, found),
        _ => assignment(bytes, start, end, found),
    }
}

/// Words that may follow `swift` or `bic` in a label, as in `SWIFT/BIC code`.
const BIC_LABEL_WORDS: &[&[u8]] = &[
    b"code", b"bic", b"swift", b"id", b"address", b"number", b"no",
];

/// Reads a SWIFT/BIC code right after its label: `swift: DEUTDEFF`, `BIC DEUTDEFF500`.
fn swift_code(bytes: &[u8], start: usize, end: usize, found: &mut Vec<Candidate>) {
    if start > 0 && bytes[start - 1].is_ascii_alphabetic() {
        return;
    }
    if bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
        return;
    }
    let mut position = end;
    // Skip label words and the separators between them.
    for _ in 0..4 {
        position += run(&bytes[position..], 4, |b| {
            matches!(b, b'_' | b'-' | b'/' | b' ')
        });
        let word_len = run(&bytes[position..], 8, |b| b.is_ascii_alphabetic());
        let word = &bytes[position..position + word_len];
        if word_len > 0 && BIC_LABEL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            position += word_len;
        } else {
            break;
        }
    }
    position += run(&bytes[position..], 8, |b| {
        matches!(b, b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'#')
    });
    let code_len = run(&bytes[position..], 12, |b| {
        b.is_ascii_uppercase() || b.is_ascii_digit()
    });
    let code = &bytes[position..position + code_len];
    if bytes
        .get(position + code_len)
        .copied()
        .is_some_and(is_word_byte)
        || !validate::bic_valid(code)
    {
        return;
    }
    found.push(candidate(
        Detector::SwiftBic,
        position,
        position + code_len,
        85,
    ));
}

/// Reads `NAME = value`, `NAME: value`, `"NAME": "value"` and similar, where NAME contains
/// the key word, and keeps the value when it looks random enough to be a secret.
fn assignment(bytes: &[u8], start: usize, end: usize, found: &mut Vec<Candidate>) {
    let is_name = |b: u8| is_word_byte(b) || b == b'-' || b == b'.';
    let name_start = start - run_back(&bytes[start.saturating_sub(MAX_NAME_PART)..start], is_name);
    let name_end = end + run(&bytes[end..], MAX_NAME_PART, is_name);
    if bytes.get(name_end).copied().is_some_and(is_name) {
        return;
    }
    let name = &bytes[name_start..name_end];

    // Closing quote of a quoted key, blanks, the operator, blanks, an opening quote.
    let mut position = name_end;
    if matches!(bytes.get(position), Some(b'"' | b'\'')) {
        position += 1;
    }
    position += run(&bytes[position..], 8, |b| b == b' ' || b == b'\t');
    let operator = match bytes.get(position..(position + 2).min(bytes.len())) {
        Some([b':', b'=']) | Some([b'=', b'>']) => 2,
        Some([b'=', b'=']) | Some([b':', b':']) => return,
        Some([b':' | b'=', ..]) => 1,
        _ => return,
    };
    position += operator;
    position += run(&bytes[position..], 8, |b| b == b' ' || b == b'\t');
    let quote = match bytes.get(position) {
        Some(&q @ (b'"' | b'\'' | b'`')) => {
            position += 1;
            Some(q)
        }
        _ => None,
    };

    let value_start = position;
    let value_len = match quote {
        Some(q) => {
            let len = run(&bytes[value_start..], MAX_ASSIGNED_LEN + 1, |b| {
                b != q && b != b'\n'
            });
            if bytes.get(value_start + len) != Some(&q) {
                return;
            }
            len
        }
        None => {
            let len = run(&bytes[value_start..], MAX_ASSIGNED_LEN + 1, |b| {
                b.is_ascii_graphic()
                    && !matches!(b, b'"' | b'\'' | b'`' | b',' | b';' | b')' | b']' | b'}')
            });
            if matches!(bytes.get(value_start + len), Some(b'(' | b'['))
                || is_reference(&bytes[value_start..value_start + len])
            {
                return;
            }
            len
        }
    };
    if value_len > MAX_ASSIGNED_LEN {
        return;
    }
    let value = &bytes[value_start..value_start + value_len];
    let Some(confidence) = secret_value_confidence(value) else {
        return;
    };

    let lower_name = name.to_ascii_lowercase();
    let aws_name = [&b"secret_access_key"[..], b"secretaccesskey", b"aws_secret"]
        .iter()
        .any(|part| memchr::memmem::find(&lower_name, part).is_some());
    if aws_name && looks_like_aws_secret(value) {
        found.push(candidate(
            Detector::AwsSecretAccessKey,
            value_start,
            value_start + value_len,
            90,
        ));
        return;
    }
    found.push(candidate(
        Detector::GenericSecret,
        value_start,
        value_start + value_len,
        confidence,
    ));
}

/// Returns a confidence for an assigned value, or `None` when the value is a placeholder,
/// a reference, a date, a version, a UUID, a plain word list or too predictable.
fn secret_value_confidence(value: &[u8]) -> Option<u8> {
    if value.len() < 8 {
        return None;
    }
    if matches!(
        value[0],
        b'$' | b'{' | b'<' | b'[' | b'(' | b'%' | b'!' | b'*' | b'@' | b'&'
    ) {
        return None;
    }
    if memchr::memmem::find(value, b"://").is_some() || value.starts_with(b"ENC[") {
        return None;
    }
    if is_token_marker(value) || is_date(value) || is_version(value) || is_uuid(value) {
        return None;
    }
    if is_word_list(value) {
        return None;
    }

    let classes = [
        value.iter().any(u8::is_ascii_lowercase),
        value.iter().any(u8::is_ascii_uppercase),
        value.iter().any(u8::is_ascii_digit),
        value.iter().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&present| present)
    .count();
    let bits = entropy(value);
    let random_enough =
        (classes >= 3 && bits >= 3.0) || (classes >= 2 && bits >= 3.5 && value.len() >= 16);
    if !random_enough {
        return None;
    }
    Some(if bits >= 4.0 { 75 } else { 60 })
}

/// Roots of Terraform references: a dotted path starting with one of them is an
/// expression, whatever its other parts look like (`aws_kms_key.s3.arn` is not one, but
/// `data.aws_kms_key.s3.arn` is).
const REFERENCE_ROOTS: &[&[u8]] = &[
    b"var",
    b"local",
    b"module",
    b"data",
    b"each",
    b"count",
    b"self",
    b"path",
    b"terraform",
];

/// Returns whether an unquoted value starts with a dotted identifier path, possibly indexed
/// or called: `local.primary_keys["eks"]`, `var.db_password`, `module.vault.token`,
/// `settings.database.password`. Such a value is code that reads a secret, not the secret.
/// Outside the Terraform roots every part must be a plain name, so that a random token
/// with a dot in it still counts as a value.
fn is_reference(value: &[u8]) -> bool {
    let path_len = run(value, value.len(), |b| {
        is_word_byte(b) || b == b'-' || b == b'.'
    });
    if !matches!(value.get(path_len), None | Some(b'[' | b'(')) {
        return false;
    }
    let path = &value[..path_len];
    let mut parts = path.split(|&b| b == b'.');
    let Some(root) = parts.next() else {
        return false;
    };
    let rest: Vec<&[u8]> = parts.collect();
    let is_identifier = |part: &[u8]| {
        part.first()
            .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
    };
    if !is_identifier(root) || rest.is_empty() || !rest.iter().all(|part| !part.is_empty()) {
        return false;
    }
    if REFERENCE_ROOTS.contains(&root) {
        return true;
    }
    // Plain names: each piece between `_` and `-` is letters only or digits only.
    std::iter::once(root).chain(rest).all(|part| {
        is_identifier(part)
            && part.split(|&b| b == b'_' || b == b'-').all(|piece| {
                piece.iter().all(u8::is_ascii_alphabetic) || piece.iter().all(u8::is_ascii_digit)
            })
    })
}

/// `tok_` followed by 16 lower-case hex digits: the form of a tokenised secret.
pub fn is_token_marker(value: &[u8]) -> bool {
    value.len() == 20
        && value.starts_with(b"tok_")
        && value[4..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// `2026-12-04`, possibly followed by a time.
fn is_date(value: &[u8]) -> bool {
    value.len() >= 10
        && text::digit_run(value) == 4
        && value[4] == b'-'
        && text::digit_run(&value[5..]) == 2
        && value[7] == b'-'
}

/// `1.2.3`, `v1.24.0-rc.1`.
fn is_version(value: &[u8]) -> bool {
    let rest = value.strip_prefix(b"v").unwrap_or(value);
    let major = text::digit_run(rest);
    major > 0
        && rest.get(major) == Some(&b'.')
        && rest.get(major + 1).is_some_and(u8::is_ascii_digit)
}

fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(index, &b)| match index {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Words and numbers joined by `-`, `_` or `.`, as `db-credentials-prod` or `eu-west-1`:
/// names, not secrets. A segment mixing letters and digits counts as random.
fn is_word_list(value: &[u8]) -> bool {
    let mut separated = false;
    for segment in value.split(|&b| matches!(b, b'-' | b'_' | b'.' | b'/')) {
        separated = true;
        let letters = segment.iter().all(u8::is_ascii_alphabetic);
        let digits = segment.iter().all(u8::is_ascii_digit);
        if !(letters || digits) {
            return false;
        }
    }
    separated
        && value
            .iter()
            .any(|&b| matches!(b, b'-' | b'_' | b'.' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_are_not_secrets() {
        for value in [
            "${DB_PASSWORD}",
            "2026-12-04T23:29:23Z",
            "v1.24.3-rc.1",
            "123e4567-e89b-12d3-a456-426614174000",
            "db-credentials-prod",
            "changeme",
            "tok_0123456789abcdef",
            "https://vault.example.com/v1",
        ] {
            assert_eq!(secret_value_confidence(value.as_bytes()), None, "{value}");
        }
    }

    #[test]
    fn references_are_not_values() {
        for value in [
            "local.primary_keys[",
            "var.db_password",
            "module.network_primary.private_subnet_ids",
            "data.aws_kms_key.s3.arn",
            "each.value.token",
            "settings.database.password",
            "local.keys(",
        ] {
            assert!(is_reference(value.as_bytes()), "{value}");
        }
        for value in [
            "Xk9mP2.vL7qR8zT",
            "aws_kms_key.s3.arn",
            "q8Fz3LwP0aV7nR2c",
            "local",
            "local.",
            "local.x+1",
            "9abc.def",
        ] {
            assert!(!is_reference(value.as_bytes()), "{value}");
        }
    }

    fn found(text: &str) -> Vec<Detector> {
        crate::Scanner::default()
            .scan(text.as_bytes())
            .iter()
            .map(|finding| finding.detector)
            .collect()
    }

    #[test]
    fn terraform_reference_is_not_a_secret() {
        assert!(found(r#"  secrets_kms_key_arn  = local.primary_keys["eks"]"#).is_empty());
        assert!(found("  db_password = var.db_password").is_empty());
        assert!(found("  api_token = module.vault.token_value").is_empty());
    }

    #[test]
    fn quoted_secret_beside_reference_is_found() {
        let text = concat!(
            "  secrets_kms_key_arn = local.primary_keys[\"eks\"]\n",
            "  api_secret = \"q8Fz3LwP0aV7nR2cXk9mP2vL\"\n",
        );
        assert_eq!(found(text), [Detector::GenericSecret]);
        assert_eq!(
            found("password: Xk9mP2.vL7qR8zT"),
            [Detector::GenericSecret]
        );
    }

    #[test]
    fn values_that_are_secrets() {
        for value in ["Xk9#mP2$vL7q", "hunter2-Staging!", "q8Fz3LwP0aV7nR2c"] {
            assert!(
                secret_value_confidence(value.as_bytes()).is_some(),
                "{value}"
            );
        }
    }
}
