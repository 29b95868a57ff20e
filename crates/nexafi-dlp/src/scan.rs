//! The scanner: cheap passes over the bytes find candidates, validators keep the real ones.
//!
//! Three passes run over each buffer. A digit pass visits each word that starts with a
//! digit or a capital for card, IBAN, routing and social security numbers. A `memchr` pass visits each `@` for e-mail
//! addresses. Two Aho-Corasick automata find token prefixes (case-sensitive, as `ghp_`)
//! and key words (case-insensitive, as `password`) for secrets and SWIFT codes. Only the
//! few candidates these passes yield reach the checksums and decoders.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::allow::Allowlist;
use crate::context::{self, CARD_WORDS, IBAN_WORDS, ROUTING_WORDS, SSN_WORDS};
use crate::finding::{Candidate, Detector, Finding};
use crate::redact::preview;
use crate::secrets::{self, Keyword, Prefix};
use crate::validate::{self, CardBrand};
use crate::{countries, text};

/// Findings below this confidence are dropped unless the caller sets another minimum.
pub const DEFAULT_MIN_CONFIDENCE: u8 = 50;

/// Maximum length of a reported value, in bytes, reached by PEM private key blocks.
/// Streaming keeps this much of each chunk for the next one.
pub const MAX_VALUE_LEN: usize = 16 * 1024;

/// Settings of a scan: detectors, minimum confidence and allow-list.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Findings with a lower confidence (0 to 100) are dropped.
    pub min_confidence: u8,
    /// Detectors to run; every detector when empty.
    pub detectors: Vec<Detector>,
    /// Values accepted on purpose, by SHA-256.
    pub allowlist: Allowlist,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            detectors: Vec::new(),
            allowlist: Allowlist::default(),
        }
    }
}

/// A reusable scanner. Building one compiles the automata, so build it once and share it
/// between threads.
#[derive(Debug, Clone)]
pub struct Scanner {
    prefixes: AhoCorasick,
    keywords: AhoCorasick,
    enabled: [bool; Detector::ALL.len()],
    min_confidence: u8,
    allowlist: Allowlist,
}

impl Scanner {
    /// Builds a scanner with the given options.
    pub fn new(options: ScanOptions) -> Self {
        let mut enabled = [options.detectors.is_empty(); Detector::ALL.len()];
        for detector in &options.detectors {
            enabled[*detector as usize] = true;
        }
        Self {
            prefixes: build_automaton(Prefix::ALL.iter().map(|p| p.text()), false),
            keywords: build_automaton(Keyword::ALL.iter().flat_map(|k| k.spellings()), false),
            enabled,
            min_confidence: options.min_confidence,
            allowlist: options.allowlist,
        }
    }

    /// Scans one buffer and returns its findings in order of position.
    pub fn scan(&self, bytes: &[u8]) -> Vec<Finding> {
        let mut position = text::Position::default();
        self.candidates(bytes)
            .into_iter()
            .map(|candidate| {
                position.advance(bytes, 0, candidate.start);
                to_finding(&candidate, bytes, 0, &position)
            })
            .collect()
    }

    /// Returns the validated, non-overlapping candidates of `bytes` in order of position,
    /// without those below the minimum confidence or on the allow-list.
    pub(crate) fn candidates(&self, bytes: &[u8]) -> Vec<Candidate> {
        let mut found = Vec::new();
        if self.any_enabled(&[
            Detector::CardNumber,
            Detector::Iban,
            Detector::AbaRoutingNumber,
            Detector::UsSsn,
        ]) {
            scan_digits(bytes, &mut found);
        }
        if self.is_enabled(Detector::EmailAddress) {
            scan_emails(bytes, &mut found);
        }
        if self.any_enabled(&[
            Detector::AwsAccessKeyId,
            Detector::AwsSecretAccessKey,
            Detector::PrivateKey,
            Detector::Jwt,
            Detector::GithubToken,
            Detector::GitlabToken,
            Detector::SlackToken,
            Detector::SlackWebhook,
            Detector::StripeKey,
        ]) {
            for hit in self.prefixes.find_iter(bytes) {
                let prefix = Prefix::ALL[hit.pattern().as_usize()];
                secrets::on_prefix(prefix, bytes, hit.start(), hit.end(), &mut found);
            }
        }
        if self.any_enabled(&[
            Detector::GenericSecret,
            Detector::AwsSecretAccessKey,
            Detector::SwiftBic,
        ]) {
            for hit in self.keywords.find_iter(bytes) {
                let keyword = Keyword::ALL[hit.pattern().as_usize() / Keyword::SPELLINGS];
                secrets::on_keyword(keyword, bytes, hit.start(), hit.end(), &mut found);
            }
        }

        found.retain(|candidate| {
            self.is_enabled(candidate.detector) && candidate.confidence >= self.min_confidence
        });
        let mut kept = resolve_overlaps(found);
        if !self.allowlist.is_empty() {
            kept.retain(|candidate| {
                let raw = &bytes[candidate.start..candidate.end];
                !self.allowlist.allows_value(candidate.detector, raw)
            });
        }
        kept
    }

    fn is_enabled(&self, detector: Detector) -> bool {
        self.enabled[detector as usize]
    }

    fn any_enabled(&self, detectors: &[Detector]) -> bool {
        detectors.iter().any(|detector| self.is_enabled(*detector))
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new(ScanOptions::default())
    }
}

fn build_automaton<T: AsRef<[u8]>>(
    patterns: impl Iterator<Item = T>,
    ignore_case: bool,
) -> AhoCorasick {
    let patterns: Vec<T> = patterns.collect();
    match AhoCorasickBuilder::new()
        .ascii_case_insensitive(ignore_case)
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
    {
        Ok(automaton) => automaton,
        // The patterns are a handful of short constants, far below any size limit of the
        // builder, so this cannot fail at run time. The unit tests build both automata.
        Err(error) => unreachable!("invalid built-in patterns: {error}"),
    }
}

/// Turns a candidate into a finding, given the position of its first byte. `base` is the
/// offset of `window` in the whole input.
pub(crate) fn to_finding(
    candidate: &Candidate,
    window: &[u8],
    base: u64,
    position: &text::Position,
) -> Finding {
    let raw = &window[candidate.start..candidate.end];
    Finding {
        detector: candidate.detector,
        brand: candidate.brand.map(CardBrand::name),
        start: base + candidate.start as u64,
        end: base + candidate.end as u64,
        line: position.line,
        column: position.column,
        confidence: candidate.confidence,
        preview: preview(candidate.detector, raw),
        path: None,
    }
}

/// Keeps the first of overlapping candidates. Among candidates starting at the same byte
/// the more specific detector wins, then the longer value.
fn resolve_overlaps(mut found: Vec<Candidate>) -> Vec<Candidate> {
    found.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.detector.specificity().cmp(&a.detector.specificity()))
            .then(b.end.cmp(&a.end))
            .then(a.detector.cmp(&b.detector))
    });
    let mut kept: Vec<Candidate> = Vec::with_capacity(found.len());
    for candidate in found {
        if kept.last().is_none_or(|last| candidate.start >= last.end) {
            kept.push(candidate);
        }
    }
    kept
}

/// Most digit groups read in one run, as in `4111 1111 1111 1111 111`.
const MAX_GROUPS: usize = 8;

/// Walks every word that starts with a digit or a capital and tries the number detectors
/// on it. A number or an IBAN can only start where a word starts, so digits inside a word
/// (hex digests, identifiers) are passed over without a look.
fn scan_digits(bytes: &[u8], found: &mut Vec<Candidate>) {
    let mut index = 0;
    while let Some(start) = text::next_word_start(bytes, index) {
        // An IBAN starts with its country code: two capitals right before the check digits.
        if bytes[start].is_ascii_uppercase() {
            if bytes.get(start + 1).is_some_and(u8::is_ascii_uppercase)
                && bytes.get(start + 2).is_some_and(u8::is_ascii_digit)
                && let Some(candidate) = iban_at(bytes, start)
            {
                index = candidate.end;
                found.push(candidate);
            } else {
                index = start + 1;
            }
            continue;
        }

        if start > 0 && !number_may_follow(bytes[start - 1]) {
            index = skip_groups(bytes, start);
            continue;
        }

        // Only a run starting with 13 or more digits, nine digits, or a group of three or
        // four followed by a separator can be a number any detector reads. Dates, times
        // and counts stop here without reading their groups.
        let first_end = start + text::digit_run(&bytes[start..]);
        let first_len = first_end - start;
        let separated = matches!(bytes.get(first_end), Some(b' ' | b'-'))
            && bytes.get(first_end + 1).is_some_and(u8::is_ascii_digit);
        if first_len < 9 && !(separated && (first_len == 3 || first_len == 4)) {
            index = if separated {
                skip_groups(bytes, start)
            } else {
                first_end
            };
            continue;
        }

        let groups = read_groups(bytes, start);
        let groups = groups.as_slice();
        let run_end = groups.last().map_or(start + 1, |group| group.1);
        if let Some(candidate) = number_at(bytes, groups) {
            index = candidate.end;
            found.push(candidate);
        } else {
            index = run_end;
        }
    }
}

/// Returns the end of the digit groups starting at `start`, across single spaces and
/// dashes, without recording them.
fn skip_groups(bytes: &[u8], start: usize) -> usize {
    let mut end = start + text::digit_run(&bytes[start..]);
    while matches!(bytes.get(end), Some(b' ' | b'-'))
        && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
    {
        end += 1 + text::digit_run(&bytes[end + 1..]);
    }
    end
}

/// Returns true when a number may start right after `byte`, a byte outside any word:
/// `+` starts a phone number, and `.` or `,` a decimal part or a version.
fn number_may_follow(byte: u8) -> bool {
    !matches!(byte, b'+' | b'.' | b',')
}

/// Returns true when a number may end right before `bytes[end]`.
fn number_may_end(bytes: &[u8], end: usize) -> bool {
    match bytes.get(end) {
        None => true,
        Some(&byte) if text::is_word_byte(byte) => false,
        Some(b'.' | b',') => !bytes.get(end + 1).is_some_and(u8::is_ascii_digit),
        Some(_) => true,
    }
}

/// Digit groups of one run as byte ranges, kept on the stack: most runs in ordinary text
/// are short, and the digit pass must not allocate for each of them.
struct Groups {
    ranges: [(usize, usize); MAX_GROUPS],
    len: usize,
}

impl Groups {
    fn as_slice(&self) -> &[(usize, usize)] {
        &self.ranges[..self.len]
    }
}

/// Reads digit groups from `start`, separated by single spaces or single dashes, the same
/// separator throughout.
fn read_groups(bytes: &[u8], start: usize) -> Groups {
    let mut groups = Groups {
        ranges: [(0, 0); MAX_GROUPS],
        len: 0,
    };
    let mut separator = None;
    let mut position = start;
    loop {
        let group_end = position + text::digit_run(&bytes[position..]);
        groups.ranges[groups.len] = (position, group_end);
        groups.len += 1;
        if groups.len == MAX_GROUPS {
            break;
        }
        let Some(&next) = bytes.get(group_end) else {
            break;
        };
        let continues = matches!(next, b' ' | b'-')
            && separator.is_none_or(|sep| sep == next)
            && bytes.get(group_end + 1).is_some_and(u8::is_ascii_digit);
        if !continues {
            break;
        }
        separator = Some(next);
        position = group_end + 1;
    }
    groups
}

/// Tries card, social security and routing numbers on a run of digit groups.
fn number_at(bytes: &[u8], groups: &[(usize, usize)]) -> Option<Candidate> {
    let (first_start, first_end) = groups[0];
    let first_len = first_end - first_start;
    let run_end = groups[groups.len() - 1].1;
    let whole_run_ends = number_may_end(bytes, run_end);

    // Plain digits: the first group alone.
    if (13..=19).contains(&first_len) && (groups.len() > 1 || whole_run_ends) {
        return card(
            bytes,
            first_start,
            first_end,
            &bytes[first_start..first_end],
        );
    }
    if groups.len() == 1 && first_len == 9 && whole_run_ends {
        return nine_digits(bytes, first_start, first_end);
    }

    // Too few digits for any detector: the common case of dates, times and counts.
    let mut lengths = [0usize; MAX_GROUPS];
    for (length, (start, end)) in lengths.iter_mut().zip(groups) {
        *length = end - start;
    }
    let lengths = &lengths[..groups.len()];
    let run_total: usize = lengths.iter().sum();
    if run_total < 9 {
        return None;
    }

    // 123-45-6789 or 123 45 6789.
    if lengths == [3, 2, 4] && whole_run_ends {
        let digits = collect_digits(bytes, groups);
        if validate::ssn_valid(&digits) {
            let confidence = context::adjust(bytes, first_start, run_end, 60, SSN_WORDS, 30);
            return Some(candidate(Detector::UsSsn, first_start, run_end, confidence));
        }
        return None;
    }

    // Grouped card numbers start with four digits: 4-4-4-4, 4-6-5, 4-6-4 and so on. A run
    // of 13 to 19 digits is one number. A longer run may be a card number followed by
    // more digits, such as an expiry date, so its prefixes are tried, longest first.
    if first_len != 4 || groups.len() < 2 || lengths.iter().any(|&len| len > 6) {
        return None;
    }
    if (13..=19).contains(&run_total) {
        if !whole_run_ends {
            return None;
        }
        let digits = collect_digits(bytes, groups);
        return card(bytes, first_start, run_end, &digits);
    }
    for count in (2..groups.len()).rev() {
        let total: usize = lengths[..count].iter().sum();
        if !(13..=19).contains(&total) {
            continue;
        }
        let digits = collect_digits(bytes, &groups[..count]);
        if let Some(found) = card(bytes, first_start, groups[count - 1].1, &digits) {
            return Some(found);
        }
    }
    None
}

fn card(bytes: &[u8], start: usize, end: usize, digits: &[u8]) -> Option<Candidate> {
    let brand = validate::valid_card(digits)?;
    let confidence = context::adjust(bytes, start, end, 70, CARD_WORDS, 20);
    Some(Candidate {
        brand: Some(brand),
        ..candidate(Detector::CardNumber, start, end, confidence)
    })
}

/// Reads nine plain digits as a routing number or a social security number, but only
/// with a context word near them, because alone they are as likely an id or an amount.
fn nine_digits(bytes: &[u8], start: usize, end: usize) -> Option<Candidate> {
    let digits = &bytes[start..end];
    let routing = validate::aba_valid(digits)
        .then(|| context::adjust(bytes, start, end, 30, ROUTING_WORDS, 50));
    let ssn =
        validate::ssn_valid(digits).then(|| context::adjust(bytes, start, end, 30, SSN_WORDS, 40));
    match (routing, ssn) {
        (Some(r), Some(s)) if s > r => Some(candidate(Detector::UsSsn, start, end, s)),
        (Some(r), _) => Some(candidate(Detector::AbaRoutingNumber, start, end, r)),
        (None, Some(s)) => Some(candidate(Detector::UsSsn, start, end, s)),
        (None, None) => None,
    }
}

fn collect_digits(bytes: &[u8], groups: &[(usize, usize)]) -> Vec<u8> {
    groups
        .iter()
        .flat_map(|&(start, end)| bytes[start..end].iter().copied())
        .collect()
}

/// Reads an IBAN starting at its country code: electronic form (no spaces) or print form
/// (a space after every four characters).
fn iban_at(bytes: &[u8], start: usize) -> Option<Candidate> {
    let length = countries::iban_length(&bytes[start..start + 2])?;
    let spaced = bytes.get(start + 4) == Some(&b' ');
    let mut iban = [0u8; 34];
    let mut count = 0;
    let mut position = start;
    while count < length {
        if spaced && count > 0 && count % 4 == 0 {
            if bytes.get(position) != Some(&b' ') {
                return None;
            }
            position += 1;
        }
        let byte = *bytes.get(position)?;
        if !(byte.is_ascii_uppercase() || byte.is_ascii_digit()) {
            return None;
        }
        iban[count] = byte;
        count += 1;
        position += 1;
    }
    if bytes.get(position).is_some_and(|&b| text::is_word_byte(b)) {
        return None;
    }
    if !validate::iban_valid(&iban[..length]) {
        return None;
    }
    let confidence = context::adjust(bytes, start, position, 80, IBAN_WORDS, 15);
    Some(candidate(Detector::Iban, start, position, confidence))
}

/// Maximum lengths of the local part and the domain of an e-mail address (RFC 5321).
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

/// Last labels of host names no one receives mail at. `.cluster.local` ends in `.local`.
const NO_MAIL_SUFFIXES: &[&[u8]] = &[
    b"local",
    b"internal",
    b"svc",
    b"localhost",
    b"invalid",
    b"test",
    b"example",
];

fn scan_emails(bytes: &[u8], found: &mut Vec<Candidate>) {
    let mut resume = 0;
    for at in memchr::memchr_iter(b'@', bytes) {
        if at < resume {
            continue;
        }
        if let Some(candidate) = email_at(bytes, at) {
            resume = candidate.end;
            found.push(candidate);
        }
    }
}

fn email_at(bytes: &[u8], at: usize) -> Option<Candidate> {
    let is_local =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let mut start = at;
    while start > 0 && at - start < MAX_LOCAL && is_local(bytes[start - 1]) {
        start -= 1;
    }
    if start > 0 && is_local(bytes[start - 1]) {
        return None;
    }
    while start < at && bytes[start] == b'.' {
        start += 1;
    }
    if start == at || bytes[at - 1] == b'.' {
        return None;
    }

    // Domain labels: letters, digits and inner hyphens, separated by dots.
    let mut end = at + 1;
    let mut last_dot = None;
    let mut label_start = end;
    while end < bytes.len() && end - at <= MAX_DOMAIN {
        let byte = bytes[end];
        if byte.is_ascii_alphanumeric() || byte == b'-' {
            end += 1;
        } else if byte == b'.'
            && end > label_start
            && bytes.get(end + 1).is_some_and(u8::is_ascii_alphanumeric)
        {
            last_dot = Some(end);
            end += 1;
            label_start = end;
        } else {
            break;
        }
    }
    let last_dot = last_dot?;
    let top_level = &bytes[last_dot + 1..end];
    if !(2..=24).contains(&top_level.len()) || !top_level.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    // Reserved, special-use and cluster-internal names receive no mail, so
    // `rabbit@rabbitmq-0.rabbitmq-headless.data.svc.cluster.local` is a node name. Tokenised
    // addresses use `.invalid` on purpose.
    if NO_MAIL_SUFFIXES
        .iter()
        .any(|suffix| top_level.eq_ignore_ascii_case(suffix))
    {
        return None;
    }
    if bytes.get(end).is_some_and(|&b| b == b'_' || b == b'@') {
        return None;
    }
    Some(candidate(Detector::EmailAddress, start, end, 80))
}

pub(crate) fn candidate(detector: Detector, start: usize, end: usize, confidence: u8) -> Candidate {
    Candidate {
        detector,
        brand: None,
        start,
        end,
        confidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<&'static str> {
        Scanner::default()
            .scan(text.as_bytes())
            .iter()
            .map(|finding| finding.detector.id())
            .collect()
    }

    #[test]
    fn card_formats_are_found() {
        assert_eq!(ids("card 4111111111111111."), ["card-number"]);
        assert_eq!(ids("card 4111 1111 1111 1111"), ["card-number"]);
        assert_eq!(ids("card 4111-1111-1111-1111 exp"), ["card-number"]);
        assert_eq!(ids("amex 3782 822463 10005"), ["card-number"]);
        assert_eq!(ids("4111111111111111 12/28"), ["card-number"]);
    }

    #[test]
    fn card_look_alikes_are_ignored() {
        assert!(ids("order 4111111111111111").is_empty());
        assert!(ids("id a4111111111111111").is_empty());
        assert!(ids("value 4111111111111111.5").is_empty());
        assert!(ids("4111-1111 1111-1111").is_empty());
        assert!(ids("41111111111111111111").is_empty());
    }

    #[test]
    fn iban_forms_are_found() {
        assert_eq!(ids("iban DE89370400440532013000"), ["iban"]);
        assert_eq!(ids("GB82 WEST 1234 5698 7654 32"), ["iban"]);
        assert!(ids("GB82WEST12345698765433").is_empty());
    }

    #[test]
    fn nine_digits_need_context() {
        assert!(ids("id 021000021").is_empty());
        assert_eq!(ids("routing number: 021000021"), ["aba-routing-number"]);
        assert_eq!(ids("ssn 123456789"), ["us-ssn"]);
        assert_eq!(ids("applicant 123-45-6789"), ["us-ssn"]);
        assert!(ids("applicant 666-45-6789").is_empty());
    }

    #[test]
    fn email_is_found() {
        assert_eq!(ids("mail jane.doe+x@mail.example.com."), ["email-address"]);
        assert_eq!(ids("ops@svc.example.org"), ["email-address"]);
        assert_eq!(ids("ops@local.example.net"), ["email-address"]);
        assert!(ids("pkg@1.2.3").is_empty());
    }

    #[test]
    fn email_at_special_use_host_is_ignored() {
        for text in [
            "x@token.invalid",
            "nodes.1 = rabbit@rabbitmq-0.rabbitmq-headless.nexafi-data.svc.cluster.local",
            "rabbit@rabbitmq-0.rabbitmq-headless.nexafi-data.svc",
            "admin@vault.internal",
            "root@box.localhost",
            "jane@mail.example",
            "jane@mail.TEST",
            "printer@office.local",
        ] {
            assert!(ids(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn spans_and_positions_are_exact() {
        let findings = Scanner::default().scan("a\nbé card 4111111111111111\n".as_bytes());
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].start, findings[0].end), (11, 27));
        assert_eq!((findings[0].line, findings[0].column), (2, 9));
        assert_eq!(findings[0].preview, "411111******1111");
    }
}
