//! Property tests: redaction leaves no detectable value, tokens are deterministic per
//! key, and streaming in any chunk size finds what one whole-buffer scan finds.

mod common;

use common::{
    IBAN_FORMATS, Rng, SCHEMES, bic, card, email, filler, iban, iban_print, layout_card,
    random_secret, routing_number, secrets, ssn,
};
use nexafi_dlp::{
    RedactMode, RedactPolicy, Scanner, TokenKey, redact_str, redact_stream, scan_reader,
};
use proptest::prelude::*;

/// Text of filler words with planted values, each chosen by the seed.
fn planted_text(seed: u64, values: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut parts = Vec::new();
    for _ in 0..values {
        let words = rng.below(4) as usize;
        parts.push(filler(&mut rng, words));
        let value = match rng.below(9) {
            0 => {
                let scheme = rng.pick(SCHEMES);
                let length = *rng.pick(scheme.lengths);
                let separator = *rng.pick(&[None, Some(' '), Some('-')]);
                format!(
                    "card {}",
                    layout_card(&card(&mut rng, scheme, length), separator)
                )
            }
            1 => {
                let (country, format) = *rng.pick(IBAN_FORMATS);
                let value = iban(&mut rng, country, format);
                if rng.below(2) == 0 {
                    iban_print(&value)
                } else {
                    value
                }
            }
            2 => format!("routing number {}", routing_number(&mut rng)),
            3 => format!("ssn {}", ssn(&mut rng)),
            4 => format!("swift: {}", bic(&mut rng)),
            5 => email(&mut rng),
            6 => format!("password = \"{}\"", random_secret(&mut rng, 14)),
            _ => {
                let secrets = secrets(&mut rng);
                rng.pick(&secrets).1.clone()
            }
        };
        parts.push(value);
    }
    parts.join(if seed.is_multiple_of(2) { " " } else { "\n" })
}

fn key(seed: u64) -> TokenKey {
    TokenKey::new(format!("fake-test-key-{seed:016}").into_bytes())
        .unwrap_or_else(|error| panic!("test key rejected: {error}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn redaction_leaves_no_detected_value(seed in any::<u64>(), values in 1usize..12) {
        let text = planted_text(seed, values);
        let scanner = Scanner::default();
        prop_assert!(!scanner.scan(text.as_bytes()).is_empty());
        for mode in [RedactMode::Pci, RedactMode::Full, RedactMode::Token(key(seed))] {
            let policy = RedactPolicy::new(mode.clone());
            let (redacted, _) = redact_str(&text, &policy);
            let left = scanner.scan(redacted.as_bytes());
            prop_assert!(left.is_empty(), "{mode:?} left {:?} in {redacted:?}", left);
        }
    }

    #[test]
    fn tokenisation_is_deterministic_per_key(seed in any::<u64>(), values in 1usize..8) {
        let text = planted_text(seed, values);
        let same = RedactPolicy::new(RedactMode::Token(key(seed)));
        let (first, _) = redact_str(&text, &same);
        let (second, _) = redact_str(&text, &same);
        prop_assert_eq!(&first, &second);
        let other = RedactPolicy::new(RedactMode::Token(key(seed.wrapping_add(1))));
        let (third, _) = redact_str(&text, &other);
        prop_assert_ne!(&first, &third);
    }

    #[test]
    fn streaming_matches_whole_scan(seed in any::<u64>(), chunk in 512usize..20_000) {
        let text = planted_text(seed, 200);
        let scanner = Scanner::default();
        let whole = scanner.scan(text.as_bytes());
        let mut streamed = Vec::new();
        scan_reader(&scanner, text.as_bytes(), chunk, |finding| streamed.push(finding)).unwrap();
        prop_assert_eq!(&streamed, &whole);

        let mut output = Vec::new();
        redact_stream(&scanner, &RedactMode::Full, text.as_bytes(), &mut output, chunk, |_| {}).unwrap();
        let (expected, _) = redact_str(&text, &RedactPolicy::new(RedactMode::Full));
        prop_assert_eq!(String::from_utf8(output).unwrap(), expected.into_owned());
    }
}
