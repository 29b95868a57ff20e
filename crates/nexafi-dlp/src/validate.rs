//! Checksums and number plans that tell a real identifier from a string of the same shape.
//!
//! Every function takes the value already normalised: digits only for card, routing and
//! social security numbers, upper-case letters and digits without spaces for IBANs.

use crate::countries;

/// Card scheme, decided from the leading digits (the issuer identification number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Diners,
    UnionPay,
    Maestro,
}

impl CardBrand {
    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Visa => "visa",
            Self::Mastercard => "mastercard",
            Self::Amex => "amex",
            Self::Discover => "discover",
            Self::Jcb => "jcb",
            Self::Diners => "diners",
            Self::UnionPay => "unionpay",
            Self::Maestro => "maestro",
        }
    }

    /// Card number lengths the scheme issues, in digits.
    fn lengths(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Self::Visa => 13..=19,
            Self::Mastercard => 16..=16,
            Self::Amex => 15..=15,
            Self::Discover | Self::Jcb | Self::UnionPay => 16..=19,
            Self::Diners => 14..=19,
            Self::Maestro => 12..=19,
        }
    }
}

/// Returns true when `digits` passes the Luhn (mod 10) check.
pub fn luhn_valid(digits: &[u8]) -> bool {
    luhn_sum(digits, false).is_multiple_of(10)
}

/// Returns the digit that makes `payload` followed by it Luhn-valid.
pub fn luhn_check_digit(payload: &[u8]) -> u8 {
    let sum = luhn_sum(payload, true);
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// Sums the digits the Luhn way, doubling every second digit from the right. When
/// `check_digit_follows` is true, the rightmost digit of `digits` is itself doubled,
/// because a check digit will be appended after it.
fn luhn_sum(digits: &[u8], check_digit_follows: bool) -> u32 {
    let mut sum = 0;
    for (position, &byte) in digits.iter().rev().enumerate() {
        let mut digit = u32::from(byte - b'0');
        if (position % 2 == 1) != check_digit_follows {
            digit *= 2;
            if digit > 9 {
                digit -= 9;
            }
        }
        sum += digit;
    }
    sum
}

/// Returns the brand of a card number whose leading digits and length match a scheme.
pub fn card_brand(digits: &[u8]) -> Option<CardBrand> {
    let prefix = |count: usize| -> u32 {
        digits
            .iter()
            .take(count)
            .fold(0, |value, &byte| value * 10 + u32::from(byte - b'0'))
    };
    if digits.len() < 12 {
        return None;
    }
    let (p2, p3, p4, p6) = (prefix(2), prefix(3), prefix(4), prefix(6));
    let brand = if p2 == 34 || p2 == 37 {
        CardBrand::Amex
    } else if (300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39 {
        CardBrand::Diners
    } else if (3528..=3589).contains(&p4) {
        CardBrand::Jcb
    } else if digits[0] == b'4' {
        CardBrand::Visa
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        CardBrand::Mastercard
    } else if matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763) {
        CardBrand::Maestro
    } else if p4 == 6011 || (622126..=622925).contains(&p6) || (644..=649).contains(&p3) || p2 == 65
    {
        CardBrand::Discover
    } else if p2 == 62 {
        CardBrand::UnionPay
    } else {
        return None;
    };
    brand.lengths().contains(&digits.len()).then_some(brand)
}

/// Returns the brand of a card number that passes the Luhn check and a scheme's prefix
/// and length rules.
pub fn valid_card(digits: &[u8]) -> Option<CardBrand> {
    if !(13..=19).contains(&digits.len()) || !luhn_valid(digits) {
        return None;
    }
    card_brand(digits)
}

/// Returns true when `iban` (upper case, no spaces) has its country's length, check
/// digits from 02 to 98 and passes the ISO 13616 mod-97 check. Check digits 00, 01 and
/// 99 are never issued, because the check digits are computed as 98 minus a remainder.
pub fn iban_valid(iban: &[u8]) -> bool {
    let Some(expected) = countries::iban_length(&iban[..iban.len().min(2)]) else {
        return false;
    };
    if iban.len() != expected
        || !iban[2..4].iter().all(u8::is_ascii_digit)
        || !iban
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let check = (iban[2] - b'0') * 10 + (iban[3] - b'0');
    (2..=98).contains(&check) && iban_remainder(iban) == 1
}

/// Returns the ISO 7064 mod-97 remainder of an IBAN, read with its first four characters
/// moved to the end and letters counted as 10 (A) to 35 (Z).
pub fn iban_remainder(iban: &[u8]) -> u32 {
    let rotated = iban[4..].iter().chain(&iban[..4]);
    rotated.fold(0u32, |remainder, &byte| {
        if byte.is_ascii_digit() {
            (remainder * 10 + u32::from(byte - b'0')) % 97
        } else {
            (remainder * 100 + u32::from(byte - b'A') + 10) % 97
        }
    })
}

/// Returns true when nine digits form an ABA routing transit number. The weighted
/// checksum (3, 7, 1 repeated) must be a multiple of ten. The first two digits must fall
/// in a range the Federal Reserve assigns: 00-12 banks, 21-32 thrifts, 61-72 electronic
/// transactions, 80 traveller's cheques.
pub fn aba_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let prefix = (digits[0] - b'0') * 10 + (digits[1] - b'0');
    if !matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80) {
        return false;
    }
    let weights = [3, 7, 1];
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(index, &byte)| weights[index % 3] * u32::from(byte - b'0'))
        .sum();
    sum.is_multiple_of(10)
}

/// Returns true when nine digits can be a US social security number. The Social Security
/// Administration never issues area 000, 666 or 900-999, group 00 or serial 0000.
pub fn ssn_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let area = &digits[0..3];
    let group = &digits[3..5];
    let serial = &digits[5..9];
    area != b"000" && area != b"666" && area[0] != b'9' && group != b"00" && serial != b"0000"
}

/// Returns true when `code` is an 8 or 11 character SWIFT/BIC code (ISO 9362): a 4-letter
/// institution code, an ISO 3166 country code, a 2-character location code and an
/// optional 3-character branch code.
pub fn bic_valid(code: &[u8]) -> bool {
    if code.len() != 8 && code.len() != 11 {
        return false;
    }
    let upper_alnum = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    code[..4].iter().all(u8::is_ascii_uppercase)
        && countries::is_country(&code[4..6])
        && code[6..].iter().all(upper_alnum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_known_test_numbers() {
        assert!(luhn_valid(b"4111111111111111"));
        assert!(luhn_valid(b"378282246310005"));
        assert!(!luhn_valid(b"4111111111111112"));
    }

    #[test]
    fn luhn_check_digit_completes_payload() {
        assert_eq!(luhn_check_digit(b"411111111111111"), b'1');
        assert_eq!(luhn_check_digit(b"37828224631000"), b'5');
    }

    #[test]
    fn card_brand_reads_prefix_ranges() {
        assert_eq!(valid_card(b"4111111111111111"), Some(CardBrand::Visa));
        assert_eq!(valid_card(b"5555555555554444"), Some(CardBrand::Mastercard));
        assert_eq!(valid_card(b"2221000000000009"), Some(CardBrand::Mastercard));
        assert_eq!(valid_card(b"378282246310005"), Some(CardBrand::Amex));
        assert_eq!(valid_card(b"6011111111111117"), Some(CardBrand::Discover));
        assert_eq!(valid_card(b"3530111333300000"), Some(CardBrand::Jcb));
        assert_eq!(valid_card(b"30569309025904"), Some(CardBrand::Diners));
        assert_eq!(valid_card(b"6200000000000005"), Some(CardBrand::UnionPay));
        assert_eq!(valid_card(b"6759649826438453"), Some(CardBrand::Maestro));
    }

    #[test]
    fn card_brand_rejects_wrong_length() {
        // An Amex prefix with 16 digits, Luhn-valid.
        assert_eq!(valid_card(b"3782822463100052"), None);
    }

    #[test]
    fn iban_accepts_registry_examples() {
        assert!(iban_valid(b"DE89370400440532013000"));
        assert!(iban_valid(b"GB82WEST12345698765432"));
        assert!(!iban_valid(b"GB82WEST12345698765433"));
        assert!(!iban_valid(b"DE8937040044053201300"));
    }

    #[test]
    fn aba_checks_sum_and_prefix() {
        assert!(aba_valid(b"021000021"));
        assert!(aba_valid(b"011000015"));
        assert!(!aba_valid(b"021000022"));
        assert!(!aba_valid(b"500000005"));
    }

    #[test]
    fn ssn_excludes_unissued_ranges() {
        assert!(ssn_valid(b"123456789"));
        for invalid in [
            b"000123456",
            b"666123456",
            b"900123456",
            b"123006789",
            b"123450000",
        ] {
            assert!(!ssn_valid(invalid), "{}", String::from_utf8_lossy(invalid));
        }
    }

    #[test]
    fn bic_needs_country_code() {
        assert!(bic_valid(b"DEUTDEFF"));
        assert!(bic_valid(b"DEUTDEFF500"));
        assert!(!bic_valid(b"DEUTQQFF"));
        assert!(!bic_valid(b"DEUTDEF"));
    }
}
