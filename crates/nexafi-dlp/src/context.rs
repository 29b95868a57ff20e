//! Words near a value that make it more or less likely to be what its shape suggests.

/// Bytes before a value searched for context words, from the start of its line at most.
const BEFORE: usize = 48;
/// Bytes after a value searched for context words, up to the end of its line at most.
const AFTER: usize = 16;

/// Bytes around a value that any detector reads, before or after it. Streaming keeps at
/// least this much of the previous chunk so a value near a chunk boundary gets the same
/// result as in one buffer.
pub const REACH: usize = 256;

pub const CARD_WORDS: &[&str] = &[
    "card",
    "visa",
    "mastercard",
    "amex",
    "pan",
    "credit",
    "debit",
    "cc",
    "maestro",
    "discover",
    "jcb",
    "diners",
    "unionpay",
];
pub const IBAN_WORDS: &[&str] = &["iban", "account", "bank", "sepa"];
pub const ROUTING_WORDS: &[&str] = &["routing", "aba", "rtn", "transit"];
pub const SSN_WORDS: &[&str] = &["ssn", "social security", "social_security", "taxpayer"];

/// Words that mark numbers of other kinds: order, invoice and tracking numbers, phone
/// numbers and similar references.
pub const NEGATIVE_WORDS: &[&str] = &[
    "order", "invoice", "tracking", "phone", "tel", "fax", "mobile", "isbn", "serial",
];

/// Returns true when one of `words` occurs near `start..end`. A word must not follow a
/// letter unless it starts a camelCase part, so `card` matches `card_number` and
/// `creditCard` but not `discard`.
pub fn near(bytes: &[u8], start: usize, end: usize, words: &[&str]) -> bool {
    // Words on other lines describe other values: the line before a routing number may
    // be a tracking number.
    let before = &bytes[start.saturating_sub(BEFORE)..start];
    let before = memchr::memrchr(b'\n', before).map_or(before, |newline| &before[newline + 1..]);
    let after = &bytes[end..(end + AFTER).min(bytes.len())];
    let after = memchr::memchr(b'\n', after).map_or(after, |newline| &after[..newline]);
    words
        .iter()
        .any(|word| contains_word(before, word.as_bytes()) || contains_word(after, word.as_bytes()))
}

/// Adds `raise` to `base` when positive words are near the value and subtracts 40 when
/// negative words are, clamped to 0..=100.
pub fn adjust(
    bytes: &[u8],
    start: usize,
    end: usize,
    base: u8,
    positive: &[&str],
    raise: u8,
) -> u8 {
    let mut score = i16::from(base);
    if near(bytes, start, end, positive) {
        score += i16::from(raise);
    }
    if near(bytes, start, end, NEGATIVE_WORDS) {
        score -= 40;
    }
    score.clamp(0, 100) as u8
}

fn contains_word(haystack: &[u8], word: &[u8]) -> bool {
    if haystack.len() < word.len() {
        return false;
    }
    (0..=haystack.len() - word.len()).any(|index| {
        haystack[index..index + word.len()].eq_ignore_ascii_case(word)
            && (index == 0
                || !haystack[index - 1].is_ascii_alphabetic()
                || is_camel_start(haystack, index))
            && (word.len() > 3
                || haystack
                    .get(index + word.len())
                    .is_none_or(|next| !next.is_ascii_lowercase()))
    })
}

/// Returns true when the word at `index` starts a new part of a camelCase name, as `Card`
/// in `creditCard`.
fn is_camel_start(haystack: &[u8], index: usize) -> bool {
    haystack[index].is_ascii_uppercase() && haystack[index - 1].is_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_need_a_left_boundary() {
        assert!(contains_word(b"card_number: ", b"card"));
        assert!(contains_word(b"creditCard: ", b"card"));
        assert!(!contains_word(b"discard ", b"card"));
        assert!(!contains_word(b"company ", b"pan"));
        assert!(!contains_word(b"pancake ", b"pan"));
    }

    #[test]
    fn negative_words_lower_confidence() {
        let text = b"order number 4111111111111111";
        assert_eq!(adjust(text, 13, 29, 70, CARD_WORDS, 20), 30);
        let text = b"visa card 4111111111111111";
        assert_eq!(adjust(text, 10, 26, 70, CARD_WORDS, 20), 90);
    }
}
