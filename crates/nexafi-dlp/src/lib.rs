//! Data loss prevention: finds card numbers, IBANs, US routing and social security
//! numbers, SWIFT codes, e-mail addresses and secrets in text, and masks or tokenises
//! them.
//!
//! Detection validates, it does not only match: card numbers pass the Luhn check and a
//! scheme's prefix and length, IBANs their country's length and mod-97, routing numbers
//! their checksum, JWTs decode. Words near a value raise or lower its confidence, and
//! findings below the minimum confidence are dropped. A [`Finding`] contains the position
//! and a masked preview, never the value.
//!
//! ```
//! use nexafi_dlp::{Scanner, mask_card_numbers};
//!
//! let findings = Scanner::default().scan(b"card: 4111 1111 1111 1111");
//! assert_eq!(findings[0].detector.id(), "card-number");
//! assert_eq!(findings[0].preview, "4111 11** **** 1111");
//! assert_eq!(mask_card_numbers("paid 5555555555554444"), "paid 555555******4444");
//! ```

mod allow;
mod context;
mod countries;
mod finding;
mod path;
mod redact;
mod scan;
mod secrets;
mod stream;
mod text;
pub mod validate;

pub use allow::{Allowlist, AllowlistError};
pub use finding::{Detector, Finding};
pub use path::{DocumentKind, assign_paths};
pub use redact::{
    KeyError, MIN_KEY_LEN, RedactMode, RedactPolicy, TokenKey, mask_card_numbers, normalise,
    redact_json, redact_str, replacement,
};
pub use scan::{DEFAULT_MIN_CONFIDENCE, MAX_VALUE_LEN, ScanOptions, Scanner};
pub use stream::{DEFAULT_CHUNK_SIZE, KEEP, StreamSummary, redact_stream, scan_reader};

/// IBAN lengths by country code, as the detector checks them.
pub fn iban_lengths() -> &'static [(&'static str, usize)] {
    countries::IBAN_LENGTHS
}
