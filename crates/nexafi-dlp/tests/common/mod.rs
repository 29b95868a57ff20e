//! Generators of valid and invalid sensitive values for the corpus and property tests.
//! Check digits are computed here, independently of the library's validators.

#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// A small deterministic generator (SplitMix64), so every run plants the same values.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn string_from(&mut self, alphabet: &[u8], count: usize) -> String {
        (0..count)
            .map(|_| char::from(*self.pick(alphabet)))
            .collect()
    }

    pub fn digits(&mut self, count: usize) -> String {
        self.string_from(b"0123456789", count)
    }
}

pub const DIGITS: &[u8] = b"0123456789";
pub const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Luhn check digit for `payload`, computed from the right with every second digit,
/// starting at the rightmost payload digit, doubled.
pub fn luhn_digit(payload: &str) -> char {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0');
            if index % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// A card scheme: a prefix to start from and the lengths it issues.
pub struct Scheme {
    pub brand: &'static str,
    pub prefixes: &'static [&'static str],
    pub lengths: &'static [usize],
}

pub const SCHEMES: &[Scheme] = &[
    Scheme {
        brand: "visa",
        prefixes: &["4"],
        lengths: &[13, 16, 19],
    },
    Scheme {
        brand: "mastercard",
        prefixes: &["51", "55", "2221", "2500", "2720"],
        lengths: &[16],
    },
    Scheme {
        brand: "amex",
        prefixes: &["34", "37"],
        lengths: &[15],
    },
    Scheme {
        brand: "discover",
        prefixes: &["6011", "644", "649", "65", "622126", "622925"],
        lengths: &[16, 19],
    },
    Scheme {
        brand: "jcb",
        prefixes: &["3528", "3589"],
        lengths: &[16, 19],
    },
    Scheme {
        brand: "diners",
        prefixes: &["300", "305", "36", "38"],
        lengths: &[14, 16],
    },
    Scheme {
        brand: "unionpay",
        prefixes: &["62"],
        lengths: &[16, 19],
    },
    Scheme {
        brand: "maestro",
        prefixes: &["5018", "6304", "6759"],
        lengths: &[13, 16, 19],
    },
];

/// Returns a Luhn-valid card number of the scheme.
pub fn card(rng: &mut Rng, scheme: &Scheme, length: usize) -> String {
    let prefix = *rng.pick(scheme.prefixes);
    let mut payload = prefix.to_owned();
    // UnionPay numbers must avoid the Discover co-branded range 622126-622925.
    if scheme.brand == "unionpay" {
        payload.push('8');
    }
    payload.push_str(&rng.digits(length - payload.len() - 1));
    let check = luhn_digit(&payload);
    payload.push(check);
    payload
}

/// Writes a card number in a layout: plain, 4-4-4-4 style groups, or Amex's 4-6-5.
pub fn layout_card(number: &str, separator: Option<char>) -> String {
    let Some(separator) = separator else {
        return number.to_owned();
    };
    let sizes: Vec<usize> = if number.len() == 15 {
        vec![4, 6, 5]
    } else if number.len() == 14 {
        vec![4, 6, 4]
    } else {
        let mut sizes = vec![4; number.len() / 4];
        if !number.len().is_multiple_of(4) {
            sizes.push(number.len() % 4);
        }
        sizes
    };
    let mut groups = Vec::new();
    let mut start = 0;
    for size in sizes {
        groups.push(&number[start..start + size]);
        start += size;
    }
    groups.join(&separator.to_string())
}

/// Country and BBAN layout from the IBAN registry: `n` digits, `a` capitals, `c` capitals
/// or digits, each preceded by its count.
pub const IBAN_FORMATS: &[(&str, &str)] = &[
    ("AD", "4n4n12c"),
    ("AE", "3n16n"),
    ("AL", "8n16c"),
    ("AT", "5n11n"),
    ("AZ", "4a20c"),
    ("BA", "3n3n8n2n"),
    ("BE", "3n7n2n"),
    ("BG", "4a4n2n8c"),
    ("BH", "4a14c"),
    ("BR", "8n5n10n1a1c"),
    ("CH", "5n12c"),
    ("CR", "4n14n"),
    ("CY", "3n5n16c"),
    ("CZ", "4n6n10n"),
    ("DE", "8n10n"),
    ("DK", "4n9n1n"),
    ("EE", "2n2n11n1n"),
    ("ES", "4n4n1n1n10n"),
    ("FI", "3n11n"),
    ("FO", "4n9n1n"),
    ("FR", "5n5n11c2n"),
    ("GB", "4a6n8n"),
    ("GE", "2a16n"),
    ("GI", "4a15c"),
    ("GL", "4n9n1n"),
    ("GR", "3n4n16c"),
    ("HR", "7n10n"),
    ("HU", "3n4n1n15n1n"),
    ("IE", "4a6n8n"),
    ("IL", "3n3n13n"),
    ("IS", "4n2n6n10n"),
    ("IT", "1a5n5n12c"),
    ("JO", "4a4n18c"),
    ("KW", "4a22c"),
    ("KZ", "3n13c"),
    ("LB", "4n20c"),
    ("LI", "5n12c"),
    ("LT", "5n11n"),
    ("LU", "3n13c"),
    ("LV", "4a13c"),
    ("MC", "5n5n11c2n"),
    ("MD", "2c18c"),
    ("ME", "3n13n2n"),
    ("MK", "3n10c2n"),
    ("MT", "4a5n18c"),
    ("MU", "4a2n2n12n3n3a"),
    ("NL", "4a10n"),
    ("NO", "4n6n1n"),
    ("PK", "4a16c"),
    ("PL", "8n16n"),
    ("PT", "4n4n11n2n"),
    ("QA", "4a21c"),
    ("RO", "4a16c"),
    ("RS", "3n13n2n"),
    ("SA", "2n18c"),
    ("SE", "3n16n1n"),
    ("SI", "5n8n2n"),
    ("SK", "4n6n10n"),
    ("SM", "1a5n5n12c"),
    ("TN", "2n3n13n2n"),
    ("TR", "5n1n16c"),
    ("UA", "6n19c"),
];

pub fn bban(rng: &mut Rng, format: &str) -> String {
    let mut output = String::new();
    let mut count = 0;
    for byte in format.bytes() {
        if byte.is_ascii_digit() {
            count = count * 10 + usize::from(byte - b'0');
            continue;
        }
        let alphabet = match byte {
            b'n' => DIGITS,
            b'a' => UPPER,
            _ => UPPER_DIGITS,
        };
        output.push_str(&rng.string_from(alphabet, count));
        count = 0;
    }
    output
}

/// ISO 7064 mod 97-10 check digits for a country and BBAN.
pub fn iban_check_digits(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut remainder: u64 = 0;
    for character in rearranged.chars() {
        let value = character.to_digit(36).unwrap_or(0) as u64;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    format!("{:02}", 98 - remainder)
}

pub fn iban(rng: &mut Rng, country: &str, format: &str) -> String {
    let bban = bban(rng, format);
    format!("{country}{}{bban}", iban_check_digits(country, &bban))
}

/// Print form of an IBAN: groups of four separated by spaces.
pub fn iban_print(iban: &str) -> String {
    iban.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Returns a routing number with a valid checksum and first two digits that the Federal
/// Reserve assigns.
pub fn routing_number(rng: &mut Rng) -> String {
    let prefix = *rng.pick(&[
        "01", "02", "07", "11", "12", "21", "26", "32", "61", "67", "72", "80",
    ]);
    let payload = format!("{prefix}{}", rng.digits(6));
    let weights = [3, 7, 1, 3, 7, 1, 3, 7];
    let sum: u32 = payload
        .bytes()
        .zip(weights)
        .map(|(byte, weight)| u32::from(byte - b'0') * weight)
        .sum();
    // The ninth digit has weight 1.
    let check = (10 - sum % 10) % 10;
    format!("{payload}{check}")
}

/// Returns a social security number outside the ranges never issued.
pub fn ssn(rng: &mut Rng) -> String {
    let area = 1 + rng.below(899);
    let area = if area == 666 { 667 } else { area };
    let group = 1 + rng.below(99);
    let serial = 1 + rng.below(9999);
    format!("{area:03}-{group:02}-{serial:04}")
}

pub fn bic(rng: &mut Rng) -> String {
    let country = *rng.pick(&["DE", "FR", "GB", "US", "CH", "NL", "SG", "JP"]);
    let mut code = format!(
        "{}{country}{}",
        rng.string_from(UPPER, 4),
        rng.string_from(UPPER_DIGITS, 2)
    );
    if rng.below(2) == 0 {
        code.push_str(&rng.string_from(UPPER_DIGITS, 3));
    }
    code
}

pub fn email(rng: &mut Rng) -> String {
    format!(
        "{}.{}@{}.example.com",
        rng.string_from(b"abcdefghijklmnopqrstuvwxyz", 6),
        rng.string_from(b"abcdefghijklmnopqrstuvwxyz", 5),
        rng.string_from(b"abcdefghijklmnopqrstuvwxyz", 7)
    )
}

/// Returns a random value with every character class, so it reads as a secret.
pub fn random_secret(rng: &mut Rng, length: usize) -> String {
    let mut value = rng.string_from(ALNUM, length - 4);
    value.push_str(&rng.string_from(UPPER, 1));
    value.push_str(&rng.string_from(b"abcdefghijklmnopqrstuvwxyz", 1));
    value.push_str(&rng.string_from(DIGITS, 1));
    value.push_str(&rng.string_from(b"#%^*!", 1));
    value
}

/// Returns a string with upper and lower case letters and digits, as AWS secret keys have.
pub fn mixed(rng: &mut Rng, alphabet: &[u8], length: usize) -> String {
    loop {
        let value = rng.string_from(alphabet, length);
        if value.bytes().any(|b| b.is_ascii_uppercase())
            && value.bytes().any(|b| b.is_ascii_lowercase())
            && value.bytes().any(|b| b.is_ascii_digit())
        {
            return value;
        }
    }
}

pub fn jwt(rng: &mut Rng) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = format!(r#"{{"sub":"{}","iat":1733356800}}"#, rng.digits(8));
    let payload = URL_SAFE_NO_PAD.encode(claims.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(rng.string_from(ALNUM, 32).as_bytes());
    format!("{header}.{payload}.{signature}")
}

pub fn pem_key(rng: &mut Rng, label: &str) -> String {
    let body: Vec<u8> = (0..240).map(|_| rng.next() as u8).collect();
    let encoded = STANDARD.encode(body);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or(""))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----",
        lines.join("\n")
    )
}

/// Returns one value of every secret kind, with the detector expected to find it.
pub fn secrets(rng: &mut Rng) -> Vec<(&'static str, String)> {
    vec![
        (
            "aws-access-key-id",
            format!("AKIA{}", rng.string_from(UPPER_DIGITS, 16)),
        ),
        (
            "aws-access-key-id",
            format!("ASIA{}", rng.string_from(UPPER_DIGITS, 16)),
        ),
        ("private-key", pem_key(rng, "RSA PRIVATE KEY")),
        ("private-key", pem_key(rng, "OPENSSH PRIVATE KEY")),
        ("private-key", pem_key(rng, "PRIVATE KEY")),
        ("jwt", jwt(rng)),
        (
            "github-token",
            format!("ghp_{}", rng.string_from(ALNUM, 36)),
        ),
        (
            "github-token",
            format!("gho_{}", rng.string_from(ALNUM, 36)),
        ),
        (
            "github-token",
            format!("ghu_{}", rng.string_from(ALNUM, 36)),
        ),
        (
            "github-token",
            format!("ghs_{}", rng.string_from(ALNUM, 36)),
        ),
        (
            "github-token",
            format!("ghr_{}", rng.string_from(ALNUM, 36)),
        ),
        (
            "github-token",
            format!(
                "github_pat_{}_{}",
                rng.string_from(ALNUM, 22),
                rng.string_from(ALNUM, 59)
            ),
        ),
        (
            "gitlab-token",
            format!("glpat-{}", rng.string_from(ALNUM, 20)),
        ),
        (
            "slack-token",
            format!(
                "xoxb-{}-{}-{}",
                rng.digits(12),
                rng.digits(13),
                rng.string_from(ALNUM, 24)
            ),
        ),
        (
            "slack-token",
            format!(
                "xoxp-{}-{}-{}",
                rng.digits(12),
                rng.digits(12),
                rng.string_from(ALNUM, 32)
            ),
        ),
        (
            "slack-token",
            format!("xoxa-2-{}", rng.string_from(ALNUM, 40)),
        ),
        ("slack-token", format!("xoxr-{}", mixed(rng, ALNUM, 30))),
        (
            "slack-webhook",
            format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                rng.string_from(UPPER_DIGITS, 8),
                rng.string_from(UPPER_DIGITS, 10),
                rng.string_from(ALNUM, 24)
            ),
        ),
        (
            "stripe-key",
            format!("sk_live_{}", rng.string_from(ALNUM, 24)),
        ),
        (
            "stripe-key",
            format!("rk_live_{}", rng.string_from(ALNUM, 24)),
        ),
        (
            "stripe-key",
            format!("whsec_{}", rng.string_from(ALNUM, 32)),
        ),
    ]
}

/// Words without digits, key words or context words, to pad lines.
pub const FILLER: &[&str] = &[
    "the",
    "request",
    "was",
    "accepted",
    "by",
    "gateway",
    "service",
    "status",
    "ready",
    "user",
    "profile",
    "updated",
    "region",
    "north",
    "queue",
    "message",
    "handled",
    "retry",
    "later",
    "value",
    "field",
    "record",
    "stored",
    "batch",
    "completed",
];

pub fn filler(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| *rng.pick(FILLER))
        .collect::<Vec<_>>()
        .join(" ")
}
