//! Country tables: ISO 3166-1 alpha-2 codes and the IBAN length of each country that
//! issues IBANs, as listed in the SWIFT IBAN registry.
//!
//! NOTE: a country that joins the IBAN registry later is rejected until it is added to
//! [`IBAN_LENGTHS`].

/// Every officially assigned ISO 3166-1 alpha-2 code, plus XK (Kosovo), which SWIFT uses
/// in BICs and IBANs although ISO has not assigned it.
const COUNTRY_CODES: &str = "\
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM \
PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ \
UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// IBAN length, in characters, of each country that issues IBANs.
pub const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// Returns true when `code` is two upper-case letters naming a country.
pub fn is_country(code: &[u8]) -> bool {
    code.len() == 2
        && code.iter().all(u8::is_ascii_uppercase)
        && COUNTRY_CODES
            .as_bytes()
            .chunks(3)
            .any(|entry| &entry[..2] == code)
}

/// Returns the IBAN length of the country `code`, or `None` when it issues no IBANs.
pub fn iban_length(code: &[u8]) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(country, _)| country.as_bytes() == code)
        .map(|&(_, length)| length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_table_is_well_formed() {
        let codes: Vec<&str> = COUNTRY_CODES.split(' ').collect();
        assert_eq!(codes.len(), 250, "249 ISO codes and XK");
        assert!(codes.iter().all(|code| code.len() == 2));
        assert!(codes.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn iban_countries_are_countries() {
        for (code, length) in IBAN_LENGTHS {
            assert!(is_country(code.as_bytes()), "{code}");
            assert!((15..=34).contains(length), "{code}");
        }
    }

    #[test]
    fn lookups_reject_unknown_codes() {
        assert!(!is_country(b"QQ"));
        assert!(!is_country(b"de"));
        assert_eq!(iban_length(b"US"), None);
        assert_eq!(iban_length(b"DE"), Some(22));
    }
}
