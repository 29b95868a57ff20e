//! What a scan reports: the detector, where the value is and a masked preview. A finding
//! never holds the value itself, so printing, logging or serialising it cannot leak it.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use crate::validate::CardBrand;

/// The kind of sensitive value a detector finds. The id is stable and used in reports,
/// allow-lists and the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Detector {
    CardNumber,
    Iban,
    AbaRoutingNumber,
    SwiftBic,
    UsSsn,
    EmailAddress,
    AwsAccessKeyId,
    AwsSecretAccessKey,
    PrivateKey,
    Jwt,
    GithubToken,
    GitlabToken,
    SlackToken,
    SlackWebhook,
    StripeKey,
    GenericSecret,
}

impl Detector {
    /// Every detector, in report order.
    pub const ALL: [Detector; 16] = [
        Self::CardNumber,
        Self::Iban,
        Self::AbaRoutingNumber,
        Self::SwiftBic,
        Self::UsSsn,
        Self::EmailAddress,
        Self::AwsAccessKeyId,
        Self::AwsSecretAccessKey,
        Self::PrivateKey,
        Self::Jwt,
        Self::GithubToken,
        Self::GitlabToken,
        Self::SlackToken,
        Self::SlackWebhook,
        Self::StripeKey,
        Self::GenericSecret,
    ];

    /// Stable kebab-case id, as in `card-number`.
    pub fn id(self) -> &'static str {
        match self {
            Self::CardNumber => "card-number",
            Self::Iban => "iban",
            Self::AbaRoutingNumber => "aba-routing-number",
            Self::SwiftBic => "swift-bic",
            Self::UsSsn => "us-ssn",
            Self::EmailAddress => "email-address",
            Self::AwsAccessKeyId => "aws-access-key-id",
            Self::AwsSecretAccessKey => "aws-secret-access-key",
            Self::PrivateKey => "private-key",
            Self::Jwt => "jwt",
            Self::GithubToken => "github-token",
            Self::GitlabToken => "gitlab-token",
            Self::SlackToken => "slack-token",
            Self::SlackWebhook => "slack-webhook",
            Self::StripeKey => "stripe-key",
            Self::GenericSecret => "generic-secret",
        }
    }

    /// Returns true for credentials, as opposed to payment and personal data.
    pub fn is_secret(self) -> bool {
        !matches!(
            self,
            Self::CardNumber
                | Self::Iban
                | Self::AbaRoutingNumber
                | Self::SwiftBic
                | Self::UsSsn
                | Self::EmailAddress
        )
    }

    /// Rank used when two findings start at the same byte: the specific detector wins
    /// over the generic assignment rule that matched the same value.
    pub(crate) fn specificity(self) -> u8 {
        match self {
            Self::GenericSecret => 0,
            Self::SwiftBic | Self::AbaRoutingNumber | Self::UsSsn => 1,
            _ => 2,
        }
    }
}

impl fmt::Display for Detector {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.id())
    }
}

impl std::str::FromStr for Detector {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|detector| detector.id() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|detector| detector.id()).collect();
                format!(
                    "unknown detector {text:?}: expected one of {}",
                    known.join(", ")
                )
            })
    }
}

/// One sensitive value found in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub detector: Detector,
    /// Card scheme of a card number, as in `visa`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<&'static str>,
    /// Byte offsets of the value in the input, end exclusive.
    pub start: u64,
    pub end: u64,
    /// 1-based line of the first byte.
    pub line: u64,
    /// 1-based column of the first byte, counted in characters.
    pub column: u64,
    /// How sure the detector is, from 0 to 100. Context words near the value move it.
    pub confidence: u8,
    /// The value with most of it masked, safe to show.
    pub preview: String,
    /// Where the value sits inside a JSON or YAML document, as in `$.payments[3].card`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Finding {
    /// Byte range of the value in the input.
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Confidence as a word: high (80 and above), medium (50 to 79) or low.
    pub fn level(&self) -> &'static str {
        match self.confidence {
            80.. => "high",
            50..=79 => "medium",
            _ => "low",
        }
    }
}

/// A validated value before line and column are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub detector: Detector,
    pub brand: Option<CardBrand>,
    pub start: usize,
    pub end: usize,
    pub confidence: u8,
}
